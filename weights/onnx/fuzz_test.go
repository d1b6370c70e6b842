package onnx

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/facegate/facegate/internal/shared"
	"github.com/facegate/facegate/weights"
)

// FuzzImport feeds arbitrary bytes to Import. It must never panic or hang,
// and whatever it accepts must satisfy the importer's invariants and be
// storable in the weights format.
func FuzzImport(f *testing.F) {
	f.Add(model(11, convReluGraph()))
	f.Add(single(9, node("Slice", "n", []string{"x"}, []string{"y"}, attrIs("starts", 0), attrIs("ends", 2))))
	f.Add(single(11, node("Resize", "n", []string{"x", "roi", "s"}, []string{"y"}), tensorF("roi", []int64{0}, nil),
		tensorF("s", []int64{4}, []float32{1, 1, 2, 2})))
	f.Add(single(13, node("Unsqueeze", "n", []string{"x", "a"}, []string{"y"}), tensorI("a", []int64{1}, []int64{0})))
	f.Add(single(7, node("Upsample", "n", []string{"x"}, []string{"y"}, attrFs("scales", 1, 1, 2, 2))))
	// A truncated real model: real field layouts, cut mid-tensor. Seeds
	// from ../shared are optional so that fuzzing works without it.
	if dir, err := shared.Locate(); err == nil {
		if b, err := os.ReadFile(filepath.Join(dir, "models", "face_detection_yunet_2023mar_dynamic.onnx")); err == nil {
			f.Add(b[:4096])
			f.Add(b[:len(b)/2])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Import(data, Options{})
		if err != nil {
			if m != nil {
				t.Fatal("model returned with an error")
			}
			return
		}
		if msg := invariants(m); msg != "" {
			t.Fatal(msg)
		}
		if err := weights.Write(&bytes.Buffer{}, m); err != nil {
			t.Fatalf("imported model is not storable: %v", err)
		}
	})
}

// FuzzNormalise builds single-node models from fuzzed choices of operator,
// opset, inputs and attributes, reaching the per-operator normalisers far
// more often than mutated bytes would.
func FuzzNormalise(f *testing.F) {
	f.Add(uint8(4), uint8(0), uint16(0), []byte{1, 1, 2, 2, 1, 1})
	f.Add(uint8(4), uint8(20), uint16(0x12), []byte{8, 3, 4})
	f.Add(uint8(6), uint8(25), uint16(0x1a), []byte{})
	ops := SupportedOperators()
	names := []string{"axis", "axes", "kernel_shape", "strides", "pads", "dilations", "group", "auto_pad",
		"mode", "coordinate_transformation_mode", "nearest_mode", "to", "perm", "starts", "ends", "min",
		"max", "scales", "alpha", "beta", "transA", "transB", "epsilon", "ceil_mode", "count_include_pad",
		"allowzero", "antialias", "training_mode", "spatial", "value", "value_ints", "keep_aspect_ratio_policy"}
	strs := []string{"NOTSET", "VALID", "SAME_UPPER", "nearest", "linear", "cubic", "asymmetric",
		"half_pixel", "tf_crop_and_resize", "floor", "ceil", "stretch", "bilinear", ""}
	f.Fuzz(func(t *testing.T, opset, op uint8, sel uint16, spec []byte) {
		var attrs [][]byte
		for len(spec) >= 3 && len(attrs) < 8 {
			name := names[int(spec[0])%len(names)]
			v := int64(int8(spec[2]))
			switch spec[1] % 4 {
			case 0:
				attrs = append(attrs, attrI(name, v))
			case 1:
				n := int(spec[1]>>2) % 7
				vals := make([]int64, n)
				for i := range vals {
					vals[i] = v + int64(i%2)
				}
				attrs = append(attrs, attrIs(name, vals...))
			case 2:
				attrs = append(attrs, attrF(name, float32(v)/4))
			case 3:
				attrs = append(attrs, attrS(name, strs[int(spec[2])%len(strs)]))
			}
			spec = spec[3:]
		}
		ins := []string{"x"}
		pool := []string{"", "cf", "ci", "x"}
		for i := 0; i < int(sel%5); i++ {
			ins = append(ins, pool[(sel>>(3+2*i))&3])
		}
		outs := []string{"y"}
		if sel&0x8000 != 0 {
			outs = append(outs, "m")
		}
		data := model(int64(MinOpset)+int64(opset)%(MaxOpset-MinOpset+1), graphSpec{
			name:  "f",
			nodes: [][]byte{node(ops[int(op)%len(ops)], "n", ins, outs, attrs...)},
			inits: [][]byte{
				tensorF("cf", []int64{4}, []float32{1, 1, 2, 2}),
				tensorI("ci", []int64{1}, []int64{0}),
			},
			inputs:  [][]byte{vi("x", "N", 4, 8, 8)},
			outputs: [][]byte{vi("y")},
		})
		m, err := Import(data, Options{})
		if err != nil {
			return
		}
		if msg := invariants(m); msg != "" {
			t.Fatal(msg)
		}
		if err := weights.Write(&bytes.Buffer{}, m); err != nil {
			t.Fatalf("imported model is not storable: %v", err)
		}
	})
}
