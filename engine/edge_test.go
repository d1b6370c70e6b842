package engine

import (
	"testing"

	"github.com/facegate/facegate/weights"
)

// TestOutputEdgeCases: a graph output that is the graph input itself (via
// Identity, dropped at load), one that is a constant, and one that is a
// view of the input must all come back as session-owned copies with the
// right values.
func TestOutputEdgeCases(t *testing.T) {
	m := &weights.Model{Graph: weights.Graph{
		Inputs: []weights.ValueInfo{{Name: "x", Shape: []weights.Dim{{Param: "N"}, {Value: 3}}}},
		Tensors: []weights.Tensor{
			{Name: "k", DType: weights.Float32, Shape: []int64{2}, Float: []float32{7, 8}},
			{Name: "shape", DType: weights.Int64, Shape: []int64{1}, Int: []int64{-1}},
		},
		Nodes: []weights.Node{
			{Name: "id", Op: "Identity", Inputs: []string{"x"}, Outputs: []string{"same"}},
			{Name: "kid", Op: "Identity", Inputs: []string{"k"}, Outputs: []string{"konst"}},
			{Name: "flat", Op: "Reshape", Inputs: []string{"x", "shape"}, Outputs: []string{"flat"}},
		},
		Outputs: []weights.ValueInfo{{Name: "same"}, {Name: "konst"}, {Name: "flat"}},
	}}
	em, err := Load(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := sessionFor(t, em, 1)
	in := &Tensor{Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}
	outs, err := s.Run([]*Tensor{in})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		shape []int
		data  []float32
	}{{[]int{2, 3}, in.Data}, {[]int{2}, []float32{7, 8}}, {[]int{6}, in.Data}}
	for k, w := range want {
		if !sameShape(outs[k].Shape, w.shape) {
			t.Fatalf("output %d shape %v, want %v", k, outs[k].Shape, w.shape)
		}
		for i := range w.data {
			if outs[k].Data[i] != w.data[i] {
				t.Fatalf("output %d = %v, want %v", k, outs[k].Data, w.data)
			}
		}
	}
	outs[0].Data[0] = 99
	if in.Data[0] != 1 {
		t.Fatal("an output aliases the caller's input")
	}
}
