package weights

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzRead checks that Read never panics or over-allocates, and that every
// model it accepts is written back to a file that reads back to the same
// bytes. Each input is tried as is and with its checksums recomputed, so
// mutations reach the header decoder instead of stopping at a checksum.
func FuzzRead(f *testing.F) {
	// Seeds stay small: the fuzzer minimises every new input it finds, and
	// that is slow for inputs of kilobytes.
	f.Add(encode(f, &Model{}))
	small := &Model{
		Meta: Metadata{Name: "s", Mean: []float32{1}, Extra: map[string]string{"k": "v"}},
		Graph: Graph{
			Inputs:  []ValueInfo{{Name: "x", Shape: []Dim{{Param: "N"}, {Value: 2}}}},
			Outputs: []ValueInfo{{Name: "y"}},
			Tensors: []Tensor{
				{Name: "w", DType: Float32, Shape: []int64{2}, Float: []float32{1, 2}},
				{Name: "i", DType: Int64, Int: []int64{-1}},
			},
			Nodes: []Node{
				{Op: "C", Outputs: []string{"c"}, Attrs: []Attr{
					{Name: "v", Kind: AttrTensor, Tensor: &Tensor{DType: Float32, Shape: []int64{0}}},
					{Name: "f", Kind: AttrFloat, Float: 1},
					{Name: "s", Kind: AttrString, String: "s"},
					{Name: "fs", Kind: AttrFloats, Floats: []float32{1}},
					{Name: "ss", Kind: AttrStrings, Strings: []string{"a"}},
				}},
				{Op: "M", Inputs: []string{"x", "", "w", "c", "i"}, Outputs: []string{"y", ""},
					Attrs: []Attr{{Name: "a", Kind: AttrInts, Ints: []int64{1}}, {Name: "b", Kind: AttrInt, Int: 2}}},
			},
		}}
	f.Add(encode(f, small))
	cyclic := *small
	cyclic.Graph.Nodes = []Node{small.Graph.Nodes[1], small.Graph.Nodes[0]}
	f.Add(encodeUnchecked(f, &cyclic))
	f.Add(rawFile([]rawTensor{{[]int64{32}, 0, 128}, {[]int64{4}, 64, 16}}, 192))
	f.Add(rawFile([]rawTensor{{[]int64{4}, 4, 16}}, 64))
	future := encode(f, small)
	binary.LittleEndian.PutUint32(future[8:], Version+1)
	f.Add(future)
	f.Add([]byte(magic))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		Read(data)
		m, err := Read(fixChecksums(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, m); err != nil {
			t.Fatalf("Read accepted a model Write refuses: %v", err)
		}
		m2, err := Read(out.Bytes())
		if err != nil {
			t.Fatalf("reading a re-written model: %v", err)
		}
		var out2 bytes.Buffer
		if err := Write(&out2, m2); err != nil || !bytes.Equal(out.Bytes(), out2.Bytes()) {
			t.Fatalf("re-written model does not round-trip (err %v)", err)
		}
	})
}
