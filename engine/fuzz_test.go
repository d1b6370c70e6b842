package engine

import (
	"fmt"
	"testing"

	"github.com/facegate/facegate/weights"
)

// fuzzGraph builds a small graph from fuzz bytes: an input [1..2, C, H, W]
// followed by a chain of operators whose attributes and constant shapes
// come from the bytes, often invalid on purpose. weights.Read validates a
// file's structure, not whether its shapes fit together: that is the
// engine's job, and it must answer with an error, never a panic.
func fuzzGraph(data []byte) (*weights.Model, []int) {
	pos := 0
	next := func() int {
		if pos >= len(data) {
			return 0
		}
		pos++
		return int(data[pos-1])
	}
	small := func() int { return 1 + next()%5 }
	signed := func() int64 { return int64(next()%9) - 3 }
	inShape := []int{1 + next()%2, small(), small() + 2, small() + 2}
	m := &weights.Model{Meta: weights.Metadata{Name: "fuzz"}}
	g := &m.Graph
	g.Inputs = []weights.ValueInfo{{Name: "x", Shape: []weights.Dim{{Param: "N"}, {Value: int64(inShape[1])}, {Param: "H"}, {Param: "W"}}}}
	cur, vals := "x", []string{"x"}
	konst := func(shape []int64, isInt bool) string {
		t := weights.Tensor{Name: fmt.Sprintf("c%d", len(g.Tensors)), DType: weights.Float32, Shape: shape}
		n := int(t.Len())
		if n < 0 || n > 4096 {
			shape, n = []int64{1}, 1
			t.Shape = shape
		}
		if isInt {
			t.DType = weights.Int64
			t.Int = make([]int64, n)
			for k := range t.Int {
				t.Int[k] = signed()
			}
		} else {
			t.Float = make([]float32, n)
			for k := range t.Float {
				t.Float[k] = float32(next()-128) / 64
			}
		}
		g.Tensors = append(g.Tensors, t)
		return t.Name
	}
	ints := func(k int) []int64 {
		v := make([]int64, k)
		for i := range v {
			v[i] = signed()
		}
		return v
	}
	ops := []string{"Conv", "Relu", "PRelu", "LeakyRelu", "Sigmoid", "Add", "Mul", "Sub", "Div", "MaxPool",
		"AveragePool", "GlobalAveragePool", "BatchNormalization", "Transpose", "Reshape", "Flatten", "Resize",
		"Softmax", "Concat", "MatMul", "Gemm", "Clip", "Identity", "Shape", "Gather", "Unsqueeze", "Squeeze", "Tanh",
		"unit", "fpn"} // unit: 1×1 → depthwise 3×3 chains the engine fuses; fpn: up-sample + add; see below
	for i := 0; i < 1+next()%6 && pos < len(data); i++ {
		op := ops[next()%len(ops)]
		if op == "unit" {
			// One to three 1×1 → depthwise 3×3 (pad 1) chains on the
			// current value, some ending in a 2×2 max pool: fg.PointDepth
			// and stacked siblings. Channel counts fit the graph input
			// (other ops before may have changed them: then Load or Run
			// rejects the graph, which is fine too).
			// Before them, sometimes a 2×2 max pool or a first layer
			// (3×3 stride 2), which move into the unit reading them.
			ch := int64(inShape[1])
			switch next() % 4 {
			case 0:
				g.Nodes = append(g.Nodes, weights.Node{Name: fmt.Sprintf("n%dip", i), Op: "MaxPool", Inputs: []string{cur}, Outputs: []string{fmt.Sprintf("n%dip", i)},
					Attrs: []weights.Attr{{Name: "kernel_shape", Kind: weights.AttrInts, Ints: []int64{2, 2}}, {Name: "strides", Kind: weights.AttrInts, Ints: []int64{2, 2}}}})
				cur = fmt.Sprintf("n%dip", i)
			case 1:
				sc := int64(1 + next()%6)
				pad := int64(next() % 2)
				g.Nodes = append(g.Nodes, weights.Node{Name: fmt.Sprintf("n%dstem", i), Op: "Conv",
					Inputs: []string{cur, konst([]int64{sc, ch, 3, 3}, false), konst([]int64{sc}, false)}, Outputs: []string{fmt.Sprintf("n%dstem", i)},
					Attrs: []weights.Attr{{Name: "pads", Kind: weights.AttrInts, Ints: []int64{pad, pad, pad, pad}}, {Name: "strides", Kind: weights.AttrInts, Ints: []int64{2, 2}}}})
				cur, ch = fmt.Sprintf("n%dstem", i), sc
			}
			units := 1 + next()%3
			var last string
			for u := 0; u < units; u++ {
				oc := int64(1 + next()%6)
				pre := fmt.Sprintf("n%du%d", i, u)
				pw := weights.Node{Name: pre + "pw", Op: "Conv", Inputs: []string{cur, konst([]int64{oc, ch, 1, 1}, false)}, Outputs: []string{pre + "a"}}
				if next()%2 == 0 {
					pw.Inputs = append(pw.Inputs, konst([]int64{oc}, false))
				}
				dw := weights.Node{Name: pre + "dw", Op: "Conv", Inputs: []string{pre + "a", konst([]int64{oc, 1, 3, 3}, false)}, Outputs: []string{pre + "b"},
					Attrs: []weights.Attr{{Name: "pads", Kind: weights.AttrInts, Ints: []int64{1, 1, 1, 1}}, {Name: "group", Kind: weights.AttrInt, Int: oc}}}
				g.Nodes = append(g.Nodes, pw, dw)
				last = pre + "b"
				switch next() % 3 {
				case 0:
					g.Nodes = append(g.Nodes, weights.Node{Name: pre + "r", Op: "Relu", Inputs: []string{last}, Outputs: []string{pre + "r"}})
					last = pre + "r"
				case 1:
					g.Nodes = append(g.Nodes, weights.Node{Name: pre + "p", Op: "MaxPool", Inputs: []string{last}, Outputs: []string{pre + "p"},
						Attrs: []weights.Attr{{Name: "kernel_shape", Kind: weights.AttrInts, Ints: []int64{2, 2}}, {Name: "strides", Kind: weights.AttrInts, Ints: []int64{2, 2}}}})
					last = pre + "p"
				}
				vals = append(vals, last)
			}
			cur = last
			continue
		}
		if op == "fpn" {
			// A feature pyramid's merge: the current value pooled 2×2, up-
			// sampled by 2 (nearest, by scales or by the current value's
			// shape) and added to it, which plans run as fg.Up2Add when
			// the sizes are even.
			pre := fmt.Sprintf("n%dfpn", i)
			scales := weights.Tensor{Name: pre + "s", DType: weights.Float32, Shape: []int64{4}, Float: []float32{1, 1, 2, 2}}
			g.Tensors = append(g.Tensors, scales)
			resizeIn := []string{pre + "p", "", scales.Name}
			if next()%2 == 0 {
				g.Nodes = append(g.Nodes, weights.Node{Name: pre + "shape", Op: "Shape", Inputs: []string{cur}, Outputs: []string{pre + "shape"}})
				resizeIn = []string{pre + "p", "", "", pre + "shape"}
			}
			add := []string{cur, pre + "u"}
			if next()%2 == 0 {
				add[0], add[1] = add[1], add[0]
			}
			g.Nodes = append(g.Nodes,
				weights.Node{Name: pre + "p", Op: "MaxPool", Inputs: []string{cur}, Outputs: []string{pre + "p"},
					Attrs: []weights.Attr{{Name: "kernel_shape", Kind: weights.AttrInts, Ints: []int64{2, 2}}, {Name: "strides", Kind: weights.AttrInts, Ints: []int64{2, 2}}}},
				weights.Node{Name: pre + "u", Op: "Resize", Inputs: resizeIn, Outputs: []string{pre + "u"},
					Attrs: []weights.Attr{{Name: "mode", Kind: weights.AttrString, String: "nearest"}}},
				weights.Node{Name: pre + "a", Op: "Add", Inputs: add, Outputs: []string{pre + "a"}})
			cur = pre + "a"
			vals = append(vals, cur)
			continue
		}
		n := weights.Node{Name: fmt.Sprintf("n%d", i), Op: op, Inputs: []string{cur}, Outputs: []string{fmt.Sprintf("v%d", i)}}
		attr := func(name string, v []int64) {
			n.Attrs = append(n.Attrs, weights.Attr{Name: name, Kind: weights.AttrInts, Ints: v})
		}
		switch op {
		case "Conv":
			oc, ic, k := next()%5, small(), next()%4 // zero sizes too
			n.Inputs = append(n.Inputs, konst([]int64{int64(oc), int64(ic), int64(k), int64(k)}, false))
			if next()%2 == 0 {
				n.Inputs = append(n.Inputs, konst([]int64{int64(oc)}, false))
			}
			attr("pads", ints(4))
			attr("strides", []int64{int64(small()), int64(small())})
			n.Attrs = append(n.Attrs, weights.Attr{Name: "group", Kind: weights.AttrInt, Int: int64(small())})
		case "PRelu", "Add", "Mul", "Sub", "Div":
			if next()%3 == 0 {
				n.Inputs = append(n.Inputs, vals[next()%len(vals)])
			} else {
				n.Inputs = append(n.Inputs, konst([]int64{int64(next() % 5), 1, 1}, false))
			}
		case "MaxPool", "AveragePool":
			attr("kernel_shape", []int64{int64(small()), int64(small())})
			attr("pads", ints(4))
			attr("strides", []int64{int64(small()), int64(small())})
		case "BatchNormalization":
			c := int64(next() % 5)
			for k := 0; k < 4; k++ {
				n.Inputs = append(n.Inputs, konst([]int64{c}, false))
			}
		case "Transpose":
			attr("perm", ints(4))
		case "Reshape":
			n.Inputs = append(n.Inputs, konst([]int64{int64(1 + next()%4)}, true))
		case "Resize":
			n.Inputs = append(n.Inputs, "", konst([]int64{4}, false), "")
			n.Attrs = append(n.Attrs, weights.Attr{Name: "mode", Kind: weights.AttrString, String: []string{"nearest", "linear", "cubic"}[next()%3]})
		case "Softmax", "Flatten", "Concat":
			n.Attrs = append(n.Attrs, weights.Attr{Name: "axis", Kind: weights.AttrInt, Int: signed()})
			if op == "Concat" {
				n.Inputs = append(n.Inputs, vals[next()%len(vals)])
			}
		case "MatMul", "Gemm":
			n.Inputs = append(n.Inputs, konst([]int64{int64(small()), int64(small())}, false))
			if op == "Gemm" {
				n.Attrs = append(n.Attrs, weights.Attr{Name: "transB", Kind: weights.AttrInt, Int: int64(next() % 2)})
			}
		case "Gather":
			n.Inputs = append(n.Inputs, konst([]int64{1}, true))
		case "Unsqueeze", "Squeeze":
			attr("axes", ints(1))
		case "Clip":
			n.Attrs = append(n.Attrs, weights.Attr{Name: "min", Kind: weights.AttrFloat, Float: -1},
				weights.Attr{Name: "max", Kind: weights.AttrFloat, Float: 1})
		}
		g.Nodes = append(g.Nodes, n)
		cur = n.Outputs[0]
		vals = append(vals, cur)
	}
	g.Outputs = []weights.ValueInfo{{Name: cur}}
	return m, inShape
}

// fuzzFPNSeed describes a 1×2×4×4 input and one "fpn" merge, which plans
// run as fg.Up2Add (TestFuzzFPNSeed).
var fuzzFPNSeed = []byte{0, 1, 1, 1, 0, 29, 1, 0}

// TestFuzzFPNSeed checks that the fuzz corpus reaches the per-plan fusion.
func TestFuzzFPNSeed(t *testing.T) {
	wm, inShape := fuzzGraph(fuzzFPNSeed)
	m, err := Load(wm, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Stats([][]int{inShape})
	if err != nil {
		t.Fatal(err)
	}
	if st.RunOps["fg.Up2Add"] != 1 {
		t.Fatalf("input %v: per-Run operators %v, want one fg.Up2Add", inShape, st.RunOps)
	}
}

// FuzzLoadRun: whatever graph the bytes describe, Load and Run return
// errors or results, and never panic.
func FuzzLoadRun(f *testing.F) {
	f.Add([]byte{0, 2, 2, 2, 3, 0, 1, 1, 1, 3, 3, 3, 3, 0, 0, 0, 0, 1, 1, 1})
	f.Add([]byte{1, 3, 4, 4, 5, 9, 4, 1, 2, 3, 5, 1, 14, 7, 16, 2})
	f.Add([]byte{1, 1, 1, 1, 4, 23, 24, 2, 14, 3, 15, 0, 19, 2, 2})
	f.Add([]byte{0, 4, 4, 4, 3, 16, 1, 2, 0, 0, 0, 0, 12, 1, 1, 1, 1, 1})
	f.Add([]byte{0, 2, 3, 4, 1, 28, 2, 3, 1, 2, 0, 4, 0, 1, 5, 1, 1})
	f.Add(fuzzFPNSeed)
	f.Fuzz(func(t *testing.T, data []byte) {
		wm, inShape := fuzzGraph(data)
		m, err := Load(wm, Options{})
		if err != nil {
			return
		}
		s, err := NewSession(m, SessionOptions{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		in := randomInput(inShape, 1)
		for r := 0; r < 2; r++ {
			if _, err := s.Run([]*Tensor{in}); err != nil {
				return
			}
		}
		if _, err := m.Stats([][]int{inShape}); err != nil {
			t.Fatalf("Run succeeded but Stats failed: %v", err)
		}
	})
}
