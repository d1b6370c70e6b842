package weights

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// testModel builds a small network that exercises every part of the
// format: metadata with extras, symbolic and fixed dims, float32, int64,
// scalar and empty tensors, every attribute kind (a tensor attribute
// included), omitted optional inputs and outputs.
func testModel() *Model {
	w := make([]float32, 4*3*3*3)
	for i := range w {
		w[i] = float32(i)*0.01 - 0.5
	}
	return &Model{
		Meta: Metadata{
			Name:         "tiny",
			SourceFile:   "tiny.onnx",
			SourceSHA256: strings.Repeat("ab", 32),
			Producer:     "test 1.0",
			ColorOrder:   "BGR",
			Mean:         []float32{127.5, 127.5, 127.5},
			Std:          []float32{128, 128, 128},
			Extra:        map[string]string{"opset": "11", "note": "ünïcode ✓", "": "empty key"},
		},
		Graph: Graph{
			Inputs: []ValueInfo{{Name: "input", Shape: []Dim{{Param: "N"}, {Value: 3}, {Param: "H"}, {Param: "W"}}}},
			Outputs: []ValueInfo{
				{Name: "out", Shape: []Dim{{Param: "N"}, {}}},
				{Name: "feat", Shape: []Dim{{Param: "N"}, {Value: 4}, {Param: "H"}, {Param: "W"}}},
			},
			Tensors: []Tensor{
				{Name: "conv.w", DType: Float32, Shape: []int64{4, 3, 3, 3}, Float: w},
				{Name: "conv.b", DType: Float32, Shape: []int64{4}, Float: []float32{0.1, -0.2, float32(math.Inf(1)), 0}},
				{Name: "shape", DType: Int64, Shape: []int64{2}, Int: []int64{0, -1}},
				{Name: "scale", DType: Float32, Float: []float32{0.5}},
				{Name: "empty", DType: Float32, Shape: []int64{0, 7}, Float: []float32{}},
				{Name: "big", DType: Int64, Shape: []int64{3}, Int: []int64{math.MaxInt64, math.MinInt64, 1}},
			},
			Nodes: []Node{
				{Name: "conv", Op: "Conv", Inputs: []string{"input", "conv.w", "conv.b"}, Outputs: []string{"c"},
					Attrs: []Attr{
						{Name: "kernel_shape", Kind: AttrInts, Ints: []int64{3, 3}},
						{Name: "pads", Kind: AttrInts, Ints: []int64{1, 1, 1, 1}},
						{Name: "group", Kind: AttrInt, Int: 1},
						{Name: "auto_pad", Kind: AttrString, String: "NOTSET"},
					}},
				{Name: "clip", Op: "Clip", Inputs: []string{"c", "", "scale"}, Outputs: []string{"feat"}},
				{Name: "k", Op: "Constant", Outputs: []string{"kconst"},
					Attrs: []Attr{{Name: "value", Kind: AttrTensor,
						Tensor: &Tensor{DType: Float32, Shape: []int64{2, 2}, Float: []float32{1, 2, 3, 4}}}}},
				{Name: "bn", Op: "BatchNormalization", Inputs: []string{"feat", "conv.b", "conv.b", "conv.b", "conv.b"},
					Outputs: []string{"bnout", "", ""},
					Attrs: []Attr{
						{Name: "epsilon", Kind: AttrFloat, Float: 1e-5},
						{Name: "min", Kind: AttrFloat, Float: float32(math.Inf(-1))},
						{Name: "scales", Kind: AttrFloats, Floats: []float32{1, 2.5}},
						{Name: "names", Kind: AttrStrings, Strings: []string{"a", "", "ccc"}},
					}},
				{Op: "Reshape", Inputs: []string{"bnout", "shape"}, Outputs: []string{"out"}},
			},
		},
	}
}

// normalize makes empty slices and maps nil, since the file cannot tell
// them apart.
func normalize(m *Model) *Model {
	c := *m
	if len(c.Meta.Extra) == 0 {
		c.Meta.Extra = nil
	}
	c.Meta.Mean = nilIfEmpty(c.Meta.Mean)
	c.Meta.Std = nilIfEmpty(c.Meta.Std)
	c.Graph.Inputs = normVI(c.Graph.Inputs)
	c.Graph.Outputs = normVI(c.Graph.Outputs)
	c.Graph.Tensors = nilIfEmpty(normTensors(c.Graph.Tensors))
	var nodes []Node
	for _, n := range c.Graph.Nodes {
		n.Inputs, n.Outputs = nilIfEmpty(n.Inputs), nilIfEmpty(n.Outputs)
		var attrs []Attr
		for _, a := range n.Attrs {
			a.Ints, a.Floats, a.Strings = nilIfEmpty(a.Ints), nilIfEmpty(a.Floats), nilIfEmpty(a.Strings)
			if a.Tensor != nil {
				t := normTensors([]Tensor{*a.Tensor})[0]
				a.Tensor = &t
			}
			attrs = append(attrs, a)
		}
		n.Attrs = attrs
		nodes = append(nodes, n)
	}
	c.Graph.Nodes = nodes
	return &c
}

func normVI(vis []ValueInfo) []ValueInfo {
	var out []ValueInfo
	for _, v := range vis {
		v.Shape = nilIfEmpty(v.Shape)
		out = append(out, v)
	}
	return out
}

func normTensors(ts []Tensor) []Tensor {
	var out []Tensor
	for _, t := range ts {
		t.Shape, t.Float, t.Int = nilIfEmpty(t.Shape), nilIfEmpty(t.Float), nilIfEmpty(t.Int)
		out = append(out, t)
	}
	return out
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func encode(t testing.TB, m *Model) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// encodeUnchecked writes m without validating it, as a faulty writer would.
func encodeUnchecked(t testing.TB, m *Model) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixChecksums recomputes the three checksums of a file whose preamble
// offsets are in range, so that tests and the fuzzer can reach the header
// decoder with altered bytes. Other inputs are returned unchanged.
func fixChecksums(data []byte) []byte {
	if len(data) < preambleSize || string(data[:len(magic)]) != magic {
		return data
	}
	data = bytes.Clone(data)
	le := binary.LittleEndian
	hOff, hLen, dOff := le.Uint64(data[16:]), le.Uint64(data[24:]), le.Uint64(data[32:])
	size := uint64(len(data))
	if hOff <= size && hLen <= size-hOff {
		le.PutUint32(data[48:], crc32.Checksum(data[hOff:hOff+hLen], castagnoli))
	}
	if dOff <= size {
		le.PutUint32(data[52:], crc32.Checksum(data[dOff:], castagnoli))
	}
	le.PutUint32(data[60:], crc32.Checksum(data[:60], castagnoli))
	return data
}

func TestRoundTrip(t *testing.T) {
	m := testModel()
	data := encode(t, m)
	got, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	if want := normalize(m); !reflect.DeepEqual(normalize(got), want) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", normalize(got), want)
	}
	if again := encode(t, got); !bytes.Equal(again, data) {
		t.Error("writing the loaded model gives different bytes: output is not deterministic")
	}
	// Tensor data is 64-byte aligned in the file and, on little-endian
	// hosts, used in place.
	base := uintptr(unsafe.Pointer(&data[0]))
	end := base + uintptr(len(data))
	for _, tn := range got.Graph.Tensors {
		var p uintptr
		switch {
		case len(tn.Float) > 0:
			p = uintptr(unsafe.Pointer(&tn.Float[0]))
		case len(tn.Int) > 0:
			p = uintptr(unsafe.Pointer(&tn.Int[0]))
		default:
			continue
		}
		if littleEndian && (p < base || p >= end) {
			t.Errorf("tensor %q was copied, want it to alias the file", tn.Name)
		}
		if p >= base && p < end && (p-base)%align != 0 {
			t.Errorf("tensor %q at file offset %d, not %d-byte aligned", tn.Name, p-base, align)
		}
	}
	if c := got.Graph.Tensors[0]; cap(c.Float) != len(c.Float) {
		t.Errorf("aliased tensor has cap %d > len %d: an append would overwrite its neighbour", cap(c.Float), len(c.Float))
	}
}

// TestReadMisaligned reads from a buffer whose tensors are not aligned in
// memory, which forces the copying decoder big-endian hosts always use.
func TestReadMisaligned(t *testing.T) {
	m := testModel()
	data := encode(t, m)
	buf := make([]byte, len(data)+1)
	copy(buf[1:], data)
	got, err := Read(buf[1:])
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalize(got), normalize(m)) {
		t.Fatal("misaligned read differs from the model written")
	}
}

func TestNaNAttrRoundTrip(t *testing.T) {
	nan := math.Float32frombits(0x7fc00001)
	m := &Model{Graph: Graph{
		Tensors: []Tensor{{Name: "t", DType: Float32, Shape: []int64{1}, Float: []float32{nan}}},
		Nodes: []Node{{Op: "Identity", Inputs: []string{"t"}, Outputs: []string{"y"},
			Attrs: []Attr{{Name: "f", Kind: AttrFloat, Float: nan}}}},
		Outputs: []ValueInfo{{Name: "y"}},
	}}
	got, err := Read(encode(t, m))
	if err != nil {
		t.Fatal(err)
	}
	if b := math.Float32bits(got.Graph.Nodes[0].Attrs[0].Float); b != 0x7fc00001 {
		t.Errorf("attribute NaN bits %#x, want 0x7fc00001", b)
	}
	if b := math.Float32bits(got.Graph.Tensors[0].Float[0]); b != 0x7fc00001 {
		t.Errorf("tensor NaN bits %#x, want 0x7fc00001", b)
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tiny.fgw")
	if err := os.WriteFile(path, []byte("old contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := testModel()
	if err := Save(path, m); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalize(got), normalize(m)) {
		t.Fatal("loaded model differs from the model saved")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after Save, want only the model (temporary file left?)", len(entries))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("saved file mode %v, %v; want 0644", fi.Mode(), err)
	}

	// A failed Save leaves the existing file alone and no temporary behind.
	bad := testModel()
	bad.Graph.Nodes[0].Inputs[0] = "nope"
	if err := Save(path, bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("Save(invalid) = %v, want ErrInvalid", err)
	}
	if _, err := Load(path); err != nil {
		t.Errorf("model damaged by a failed Save: %v", err)
	}

	if _, err := Load(filepath.Join(dir, "missing.fgw")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want os.ErrNotExist", err)
	}
	garbage := filepath.Join(dir, "garbage.fgw")
	os.WriteFile(garbage, bytes.Repeat([]byte("x"), 1000), 0o644)
	if _, err := Load(garbage); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), garbage) {
		t.Errorf("Load(garbage) = %v, want ErrFormat naming the file", err)
	}
}

func TestTruncated(t *testing.T) {
	data := encode(t, testModel())
	if _, err := Read(nil); !errors.Is(err, ErrFormat) {
		t.Errorf("Read(empty) = %v, want ErrFormat", err)
	}
	for n := 1; n < len(data); n++ {
		if _, err := Read(data[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Read(first %d of %d bytes) = %v, want ErrCorrupt", n, len(data), err)
		}
	}
	if _, err := Read(append(bytes.Clone(data), 0)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Read(file + 1 byte) = %v, want ErrCorrupt", err)
	}
}

// TestPreamble alters one preamble field at a time (fixing the checksums
// unless the case is about them) and checks the sentinel returned.
func TestPreamble(t *testing.T) {
	valid := encode(t, testModel())
	le := binary.LittleEndian
	hLen := le.Uint64(valid[24:])
	dOff := le.Uint64(valid[32:])
	size := uint64(len(valid))
	tests := []struct {
		name string
		edit func(b []byte)
		fix  bool
		want error
	}{
		{"magic", func(b []byte) { b[1] = 'G' }, false, ErrFormat},
		{"text-mode newline", func(b []byte) { copy(b[4:], "\n\x1a\n") }, false, ErrFormat},
		{"future version", func(b []byte) { le.PutUint32(b[8:], Version+1) }, false, ErrVersion},
		{"version 0", func(b []byte) { le.PutUint32(b[8:], 0) }, false, ErrVersion},
		{"feature flags", func(b []byte) { le.PutUint32(b[12:], 1) }, true, ErrVersion},
		{"reserved", func(b []byte) { le.PutUint32(b[56:], 7) }, true, ErrCorrupt},
		{"preamble checksum", func(b []byte) { b[16]++ }, false, ErrCorrupt},
		{"header checksum", func(b []byte) { b[preambleSize+2] ^= 1 }, false, ErrCorrupt},
		{"data checksum", func(b []byte) { b[len(b)-1] ^= 0x80 }, false, ErrCorrupt},
		{"header inside preamble", func(b []byte) { le.PutUint64(b[16:], 8) }, true, ErrCorrupt},
		{"header past end", func(b []byte) { le.PutUint64(b[16:], size+1) }, true, ErrCorrupt},
		{"header length huge", func(b []byte) { le.PutUint64(b[24:], math.MaxUint64) }, true, ErrCorrupt},
		{"header length short", func(b []byte) { le.PutUint64(b[24:], hLen-1) }, true, ErrCorrupt},
		{"header overlaps data", func(b []byte) { le.PutUint64(b[24:], dOff) }, true, ErrCorrupt},
		{"data misaligned", func(b []byte) { le.PutUint64(b[32:], dOff+1) }, true, ErrCorrupt},
		{"data past end", func(b []byte) { le.PutUint64(b[32:], dOff+align*1e6) }, true, ErrCorrupt},
		{"data offset huge", func(b []byte) { le.PutUint64(b[32:], math.MaxUint64&^(align-1)) }, true, ErrCorrupt},
		{"data length short", func(b []byte) { le.PutUint64(b[40:], size-dOff-1) }, true, ErrCorrupt},
		{"data length huge", func(b []byte) { le.PutUint64(b[40:], math.MaxUint64) }, true, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bytes.Clone(valid)
			tt.edit(b)
			if tt.fix {
				le.PutUint32(b[60:], crc32.Checksum(b[:60], castagnoli))
			}
			_, err := Read(b)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Read = %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "weights: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// invalidModels are models Write must refuse and Read must refuse when a
// faulty writer stores them anyway.
func invalidModels() map[string]func(m *Model) {
	return map[string]func(m *Model){
		"undefined input":      func(m *Model) { m.Graph.Nodes[0].Inputs[0] = "nope" },
		"cycle":                func(m *Model) { m.Graph.Nodes[0].Inputs[0] = "feat" },
		"self loop":            func(m *Model) { m.Graph.Nodes[1].Inputs[0] = "feat" },
		"duplicate tensor":     func(m *Model) { m.Graph.Tensors[1].Name = "conv.w" },
		"tensor named input":   func(m *Model) { m.Graph.Tensors[0].Name = "input" },
		"duplicate output":     func(m *Model) { m.Graph.Nodes[1].Outputs[0] = "c" },
		"output over tensor":   func(m *Model) { m.Graph.Nodes[0].Outputs[0] = "scale" },
		"duplicate input":      func(m *Model) { m.Graph.Inputs = append(m.Graph.Inputs, m.Graph.Inputs[0]) },
		"empty input name":     func(m *Model) { m.Graph.Inputs[0].Name = "" },
		"empty tensor name":    func(m *Model) { m.Graph.Tensors[3].Name = "" },
		"graph output missing": func(m *Model) { m.Graph.Outputs[0].Name = "nowhere" },
		"graph output twice":   func(m *Model) { m.Graph.Outputs[1].Name = "out" },
		"empty op":             func(m *Model) { m.Graph.Nodes[1].Op = "" },
		"attr kind":            func(m *Model) { m.Graph.Nodes[0].Attrs[2].Kind = 0 },
		"attr twice":           func(m *Model) { m.Graph.Nodes[0].Attrs[1].Name = "kernel_shape" },
		"attr empty name":      func(m *Model) { m.Graph.Nodes[0].Attrs[1].Name = "" },
		"dim both":             func(m *Model) { m.Graph.Inputs[0].Shape[1].Param = "C" },
		"dim negative":         func(m *Model) { m.Graph.Outputs[0].Shape[1].Value = -1 },
		"value rank 9":         func(m *Model) { m.Graph.Inputs[0].Shape = make([]Dim, 9) },
		"node input limit":     func(m *Model) { m.Graph.Nodes[1].Inputs = make([]string, maxNodeIO+1) },
		"long name": func(m *Model) {
			m.Graph.Tensors[3].Name = strings.Repeat("x", maxString+1)
			m.Graph.Nodes[1].Inputs[2] = m.Graph.Tensors[3].Name
		},
		"long metadata": func(m *Model) { m.Meta.Producer = strings.Repeat("x", maxString+1) },
		"extra limit": func(m *Model) {
			for i := range maxMetaExtra + 1 {
				m.Meta.Extra[string(rune('a'+i%26))+strings.Repeat("x", i/26)] = ""
			}
		},
	}
}

func TestInvalidModel(t *testing.T) {
	for name, edit := range invalidModels() {
		t.Run(name, func(t *testing.T) {
			m := testModel()
			edit(m)
			var buf bytes.Buffer
			if err := Write(&buf, m); !errors.Is(err, ErrInvalid) {
				t.Errorf("Write = %v, want ErrInvalid", err)
			}
			if buf.Len() != 0 {
				t.Errorf("Write refused the model but wrote %d bytes", buf.Len())
			}
			if _, err := Read(encodeUnchecked(t, m)); !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrCorrupt) {
				t.Errorf("Read = %v, want ErrInvalid or ErrCorrupt", err)
			}
		})
	}
	if err := Write(&bytes.Buffer{}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Write(nil) = %v, want ErrInvalid", err)
	}
}

// TestInvalidTensor covers tensors whose shape or data is wrong. Those a
// faulty writer could store are also read back.
func TestInvalidTensor(t *testing.T) {
	tests := []struct {
		name     string
		t        Tensor
		storable bool // the data written matches the size the header declares
	}{
		{"negative dim", Tensor{DType: Float32, Shape: []int64{-1}}, true},
		{"huge dims", Tensor{DType: Float32, Shape: []int64{1 << 20, 1 << 20}}, true},
		{"huge dim beside zero", Tensor{DType: Float32, Shape: []int64{0, 1 << 40}}, true},
		{"product overflows", Tensor{DType: Int64, Shape: []int64{1 << 31, 1 << 31, 1 << 31, 4}}, true},
		{"rank 9", Tensor{DType: Float32, Shape: make([]int64, 9)}, true},
		{"dtype 0", Tensor{DType: 0, Shape: []int64{1}}, true},
		{"dtype 3", Tensor{DType: 3, Shape: []int64{1}}, true},
		{"too little data", Tensor{DType: Float32, Shape: []int64{3}, Float: []float32{1, 2}}, false},
		{"too much data", Tensor{DType: Float32, Shape: []int64{1}, Float: []float32{1, 2}}, false},
		{"both slices", Tensor{DType: Float32, Shape: []int64{1}, Float: []float32{1}, Int: []int64{1}}, false},
		{"wrong slice", Tensor{DType: Int64, Shape: []int64{1}, Float: []float32{1}}, false},
	}
	for _, tt := range tests {
		for _, asAttr := range []bool{false, true} {
			name := tt.name
			if asAttr {
				name += " (attribute)"
			}
			t.Run(name, func(t *testing.T) {
				m := testModel()
				tn := tt.t
				if asAttr {
					m.Graph.Nodes[2].Attrs[0].Tensor = &tn
				} else {
					tn.Name = "scale"
					m.Graph.Tensors[3] = tn
				}
				if err := Write(&bytes.Buffer{}, m); !errors.Is(err, ErrInvalid) {
					t.Errorf("Write = %v, want ErrInvalid", err)
				}
				if !tt.storable {
					return
				}
				if _, err := Read(encodeUnchecked(t, m)); !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrCorrupt) {
					t.Errorf("Read = %v, want ErrInvalid or ErrCorrupt", err)
				}
			})
		}
	}
}

// rawTensor is a tensor record with a hand-picked data placement.
type rawTensor struct {
	shape     []int64
	off, size uint64
}

// rawFile assembles a file with valid checksums from tensor records placed
// by hand, bypassing the encoder's layout.
func rawFile(recs []rawTensor, dataLen int) []byte {
	var e encoder
	for range 5 {
		e.str("")
	}
	e.u32(0) // mean
	e.u32(0) // std
	e.u32(0) // extra
	e.u32(0) // inputs
	e.u32(0) // outputs
	e.u32(uint32(len(recs)))
	for i, r := range recs {
		e.str(string(rune('a' + i)))
		e.u8(uint8(Float32))
		e.u8(uint8(len(r.shape)))
		for _, d := range r.shape {
			e.i64(d)
		}
		e.u64(r.off)
		e.u64(r.size)
	}
	e.u32(0) // nodes
	dOff := alignUp(preambleSize + uint64(len(e.buf)))
	b := make([]byte, dOff+uint64(dataLen))
	copy(b, magic)
	le := binary.LittleEndian
	le.PutUint32(b[8:], Version)
	le.PutUint64(b[16:], preambleSize)
	le.PutUint64(b[24:], uint64(len(e.buf)))
	le.PutUint64(b[32:], dOff)
	le.PutUint64(b[40:], uint64(dataLen))
	copy(b[preambleSize:], e.buf)
	return fixChecksums(b)
}

func TestTensorPlacement(t *testing.T) {
	tests := []struct {
		name    string
		recs    []rawTensor
		dataLen int
		want    error
	}{
		{"valid", []rawTensor{{[]int64{4}, 0, 16}, {[]int64{2}, 64, 8}, {[]int64{0}, 128, 0}}, 128, nil},
		{"empty tensor at end", []rawTensor{{[]int64{4}, 0, 16}, {[]int64{0, 3}, 64, 0}}, 64, nil},
		{"misaligned", []rawTensor{{[]int64{4}, 4, 16}}, 64, ErrCorrupt},
		{"misaligned empty", []rawTensor{{[]int64{0}, 4, 0}}, 64, ErrCorrupt},
		{"overlap", []rawTensor{{[]int64{32}, 0, 128}, {[]int64{4}, 64, 16}}, 192, ErrCorrupt},
		{"overlap, reversed", []rawTensor{{[]int64{4}, 64, 16}, {[]int64{32}, 0, 128}}, 192, ErrCorrupt},
		{"same place", []rawTensor{{[]int64{4}, 0, 16}, {[]int64{4}, 0, 16}}, 64, ErrCorrupt},
		{"past end", []rawTensor{{[]int64{4}, 64, 16}}, 70, ErrCorrupt},
		{"offset huge", []rawTensor{{[]int64{4}, math.MaxUint64 &^ 63, 16}}, 64, ErrCorrupt},
		{"size mismatch", []rawTensor{{[]int64{4}, 0, 12}}, 64, ErrCorrupt},
		{"size huge", []rawTensor{{[]int64{1 << 30}, 0, 1 << 32}}, 64, ErrCorrupt},
		{"negative dim", []rawTensor{{[]int64{-4}, 0, 0}}, 64, ErrInvalid},
		{"huge dims, size wraps", []rawTensor{{[]int64{1 << 31, 1 << 31, 1 << 31, 1 << 31}, 0, 0}}, 64, ErrInvalid},
		{"huge dim beside zero", []rawTensor{{[]int64{0, math.MaxInt64}, 0, 0}}, 64, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(rawFile(tt.recs, tt.dataLen))
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Read = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestHeaderEdits corrupts each header byte (with fixed checksums, as a
// buggy writer would) and requires an error or a model Write accepts,
// never a panic; and a header with trailing bytes is refused.
func TestHeaderEdits(t *testing.T) {
	data := encode(t, testModel())
	hLen := binary.LittleEndian.Uint64(data[24:])
	for i := uint64(0); i < hLen; i++ {
		for _, v := range []byte{0, 0xff, data[preambleSize+i] + 1} {
			b := bytes.Clone(data)
			b[preambleSize+i] = v
			if m, err := Read(fixChecksums(b)); err == nil {
				var out bytes.Buffer
				if err := Write(&out, m); err != nil {
					t.Fatalf("byte %d = %#x: Read accepted a model Write refuses: %v", i, v, err)
				}
			}
		}
	}
	b := bytes.Clone(data)
	binary.LittleEndian.PutUint64(b[24:], hLen+1) // the header now ends with a padding byte
	if _, err := Read(fixChecksums(b)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("header with a trailing byte: Read = %v, want ErrCorrupt", err)
	}
}

// TestExtraKeysSorted: the writer sorts metadata keys; a file with keys
// out of order (or repeated) is refused rather than silently merged.
func TestExtraKeysSorted(t *testing.T) {
	m := &Model{Meta: Metadata{Extra: map[string]string{"a": "1", "b": "2"}}}
	data := encode(t, m)
	i := bytes.Index(data, []byte("a\x01\x00\x00\x001"))
	if i < 0 {
		t.Fatal("cannot find the first extra entry")
	}
	b := bytes.Clone(data)
	b[i] = 'b' // keys now "b", "b"
	if _, err := Read(fixChecksums(b)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("repeated key: Read = %v, want ErrCorrupt", err)
	}
	b[i] = 'c' // keys now "c", "b"
	if _, err := Read(fixChecksums(b)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("unsorted keys: Read = %v, want ErrCorrupt", err)
	}
}

// TestDeclaredCounts checks that counts larger than the bytes present are
// refused before anything is allocated for them.
func TestDeclaredCounts(t *testing.T) {
	m := &Model{}
	data := encode(t, m)
	// The empty model's header is 5 empty strings, then counts: mean, std,
	// extra, inputs, outputs, tensors, nodes.
	for k, what := range []string{"mean", "std", "extra", "inputs", "outputs", "tensors", "nodes"} {
		b := bytes.Clone(data)
		binary.LittleEndian.PutUint32(b[preambleSize+5*4+4*k:], math.MaxUint32)
		allocs := testing.AllocsPerRun(1, func() {
			if _, err := Read(fixChecksums(b)); !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s count 2^32-1: Read = %v, want ErrCorrupt", what, err)
			}
		})
		if allocs > 50 {
			t.Errorf("%s count 2^32-1: %v allocations", what, allocs)
		}
	}
}

// TestPortablePaths runs the big-endian code paths (encoding tensor data
// element by element, decoding into copies) on this host, by pretending it
// is big-endian: they must produce the same bytes and values.
func TestPortablePaths(t *testing.T) {
	m := testModel()
	native := encode(t, m)
	defer func(was bool) { littleEndian = was }(littleEndian)
	littleEndian = false
	if !bytes.Equal(encode(t, m), native) {
		t.Fatal("element-by-element encoding differs from the in-place bytes")
	}
	got, err := Read(native)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalize(got), normalize(m)) {
		t.Fatal("copying decoder differs from the model written")
	}
	w := got.Graph.Tensors[0].Float
	if p := uintptr(unsafe.Pointer(&w[0])); p >= uintptr(unsafe.Pointer(&native[0])) && p < uintptr(unsafe.Pointer(&native[0]))+uintptr(len(native)) {
		t.Error("tensor aliases the file although the host claims to be big-endian")
	}
}

// benchModel is a model the size of the embedders (about 4M weights).
func benchModel() *Model {
	m := testModel()
	for i := range 16 {
		w := make([]float32, 256<<10)
		m.Graph.Tensors = append(m.Graph.Tensors, Tensor{Name: "w" + string(rune('a'+i)), DType: Float32, Shape: []int64{256, 1024}, Float: w})
	}
	return m
}

func BenchmarkRead(b *testing.B) {
	data := encode(b, benchModel())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Read(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	m := benchModel()
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := Write(&buf, m); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}

// TestMemoryBound reads headers built from the smallest possible records
// (attributes of 9 bytes, nodes of 20) and checks that the loader's memory
// stays within a fixed multiple of the file size: the decoded structs are
// larger than their encodings, but never by more than a constant.
func TestMemoryBound(t *testing.T) {
	for _, attrsPerNode := range []int{0, maxAttrs} {
		var e encoder
		for range 5 {
			e.str("")
		}
		for range 5 {
			e.u32(0) // mean, std, extra, inputs, outputs
		}
		e.u32(0) // tensors
		nodes := 20000
		if attrsPerNode > 0 {
			nodes = 50
		}
		e.u32(uint32(nodes))
		for range nodes {
			e.str("")
			e.str("Op")
			e.u32(0)
			e.u32(0)
			e.u32(uint32(attrsPerNode))
			for range attrsPerNode {
				e.str("")
				e.u8(uint8(AttrFloat))
				e.f32(1)
			}
		}
		b := make([]byte, alignUp(preambleSize+uint64(len(e.buf))))
		copy(b, magic)
		le := binary.LittleEndian
		le.PutUint32(b[8:], Version)
		le.PutUint64(b[16:], preambleSize)
		le.PutUint64(b[24:], uint64(len(e.buf)))
		le.PutUint64(b[32:], uint64(len(b)))
		copy(b[preambleSize:], e.buf)
		b = fixChecksums(b)

		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Read(b)
		runtime.ReadMemStats(&after)
		if (err == nil) != (attrsPerNode == 0) {
			t.Fatalf("%d attributes per node: Read = %v", attrsPerNode, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 20*uint64(len(b)) {
			t.Errorf("%d attributes per node: allocated %d bytes reading a %d-byte file (%.1fx)",
				attrsPerNode, n, len(b), float64(n)/float64(len(b)))
		}
	}
}
