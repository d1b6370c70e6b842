package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/facegate/facegate/weights"
)

// convertTensor turns a decoded TensorProto into a weights.Tensor named
// name. FLOAT becomes Float32; DOUBLE, FLOAT16 and BFLOAT16 are converted to
// Float32 (exactly for the 16-bit types, rounded for DOUBLE); INT64, INT32
// and BOOL (as 0/1) become Int64. Anything else is an error: the engine computes in float32
// and uses int64 only for shapes and indices.
func convertTensor(t *tensorProto, name string) (*weights.Tensor, error) {
	if t.external {
		return nil, fmt.Errorf("tensor %q: data is stored externally (data_location EXTERNAL); "+
			"re-save the model with its weights embedded (onnx.save_model(..., save_as_external_data=False))", name)
	}
	if t.segment {
		return nil, fmt.Errorf("tensor %q: segmented tensors are not supported", name)
	}
	n, err := elementCount(t.dims)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", name, err)
	}
	out := &weights.Tensor{Name: name, Shape: append([]int64{}, t.dims...)}
	if len(t.dims) == 0 {
		out.Shape = nil
	}
	// ONNX allows exactly one data field; two would be ambiguous.
	fields := 0
	for _, present := range []bool{t.hasRaw, len(t.floatData) > 0, len(t.int32Data) > 0,
		len(t.int64Data) > 0, len(t.doubleData) > 0, t.otherData != ""} {
		if present {
			fields++
		}
	}
	if fields > 1 {
		return nil, fmt.Errorf("tensor %q: more than one data field is set", name)
	}
	size := func(have, elemSize int) error {
		if t.hasRaw {
			if int64(len(t.raw)) != n*int64(elemSize) {
				return fmt.Errorf("tensor %q: raw_data has %d bytes, shape %v of %s needs %d",
					name, len(t.raw), t.dims, dataTypeName(t.dataType), n*int64(elemSize))
			}
			return nil
		}
		if int64(have) != n {
			return fmt.Errorf("tensor %q: %d elements stored, shape %v needs %d", name, have, t.dims, n)
		}
		return nil
	}
	wrongField := func(want string) error {
		if t.otherData != "" {
			return fmt.Errorf("tensor %q: %s data stored in %s", name, dataTypeName(t.dataType), t.otherData)
		}
		if !t.hasRaw && n > 0 {
			// Report the field actually present.
			for _, f := range []struct {
				ok   bool
				name string
			}{{len(t.floatData) > 0, "float_data"}, {len(t.int32Data) > 0, "int32_data"},
				{len(t.int64Data) > 0, "int64_data"}, {len(t.doubleData) > 0, "double_data"}} {
				if f.ok && f.name != want {
					return fmt.Errorf("tensor %q: %s data stored in %s", name, dataTypeName(t.dataType), f.name)
				}
			}
		}
		return nil
	}
	switch t.dataType {
	case dtFloat:
		out.DType = weights.Float32
		if err := wrongField("float_data"); err != nil {
			return nil, err
		}
		if err := size(len(t.floatData), 4); err != nil {
			return nil, err
		}
		if t.hasRaw {
			out.Float = make([]float32, n)
			for i := range out.Float {
				out.Float[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.raw[4*i:]))
			}
		} else {
			out.Float = append([]float32{}, t.floatData...)
		}
	case dtDouble:
		out.DType = weights.Float32
		if err := wrongField("double_data"); err != nil {
			return nil, err
		}
		if err := size(len(t.doubleData), 8); err != nil {
			return nil, err
		}
		out.Float = make([]float32, n)
		for i := range out.Float {
			v := 0.0
			if t.hasRaw {
				v = math.Float64frombits(binary.LittleEndian.Uint64(t.raw[8*i:]))
			} else {
				v = t.doubleData[i]
			}
			out.Float[i] = float32(v)
		}
	case dtFloat16, dtBfloat16:
		out.DType = weights.Float32
		if err := wrongField("int32_data"); err != nil {
			return nil, err
		}
		if err := size(len(t.int32Data), 2); err != nil {
			return nil, err
		}
		out.Float = make([]float32, n)
		for i := range out.Float {
			var h uint16
			if t.hasRaw {
				h = binary.LittleEndian.Uint16(t.raw[2*i:])
			} else {
				h = uint16(t.int32Data[i])
			}
			if t.dataType == dtFloat16 {
				out.Float[i] = halfToFloat(h)
			} else {
				out.Float[i] = math.Float32frombits(uint32(h) << 16)
			}
		}
	case dtInt64:
		out.DType = weights.Int64
		if err := wrongField("int64_data"); err != nil {
			return nil, err
		}
		if err := size(len(t.int64Data), 8); err != nil {
			return nil, err
		}
		if t.hasRaw {
			out.Int = make([]int64, n)
			for i := range out.Int {
				out.Int[i] = int64(binary.LittleEndian.Uint64(t.raw[8*i:]))
			}
		} else {
			out.Int = append([]int64{}, t.int64Data...)
		}
	case dtInt32:
		out.DType = weights.Int64
		if err := wrongField("int32_data"); err != nil {
			return nil, err
		}
		if err := size(len(t.int32Data), 4); err != nil {
			return nil, err
		}
		out.Int = make([]int64, n)
		for i := range out.Int {
			if t.hasRaw {
				out.Int[i] = int64(int32(binary.LittleEndian.Uint32(t.raw[4*i:])))
			} else {
				out.Int[i] = int64(int32(t.int32Data[i]))
			}
		}
	case dtBool:
		// Only as Dropout's training_mode or similar flags; stored as 0/1.
		out.DType = weights.Int64
		if err := wrongField("int32_data"); err != nil {
			return nil, err
		}
		if err := size(len(t.int32Data), 1); err != nil {
			return nil, err
		}
		out.Int = make([]int64, n)
		for i := range out.Int {
			if t.hasRaw && t.raw[i] != 0 || !t.hasRaw && t.int32Data[i] != 0 {
				out.Int[i] = 1
			}
		}
	default:
		return nil, fmt.Errorf("tensor %q: data type %s is not supported (only float32/64/16, bfloat16, int32, int64, bool)",
			name, dataTypeName(t.dataType))
	}
	// A zero-element tensor keeps a non-nil empty slice so that exactly one
	// of Float and Int is set, as weights.Tensor promises.
	if out.DType == weights.Float32 && out.Float == nil {
		out.Float = []float32{}
	}
	if out.DType == weights.Int64 && out.Int == nil {
		out.Int = []int64{}
	}
	return out, nil
}

// elementCount multiplies dims, rejecting negative dims and products above
// maxElements (which also rules out overflow).
func elementCount(dims []int64) (int64, error) {
	if len(dims) > maxRank {
		return 0, fmt.Errorf("rank %d above %d", len(dims), maxRank)
	}
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", dims)
		}
		if d == 0 {
			n = 0
			continue
		}
		if n > maxElements/d {
			// n*d would exceed the cap; a later zero dim cannot rescue
			// a shape this size, and rejecting it keeps the rule simple.
			return 0, fmt.Errorf("shape %v has more than %d elements", dims, maxElements)
		}
		n *= d
	}
	return n, nil
}

// halfToFloat converts IEEE 754 binary16 bits to float32 exactly.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0:
		if frac == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: value = frac * 2^-24.
		v := float32(frac) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}
