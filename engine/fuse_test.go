package engine

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/facegate/facegate/weights"
)

// graphBuilder assembles small weights.Models for the fusion tests.
type graphBuilder struct {
	m *weights.Model
	r *rand.Rand
}

func newGraph(seed int64, inputs ...weights.ValueInfo) *graphBuilder {
	m := &weights.Model{Meta: weights.Metadata{Name: "fusion"}}
	m.Graph.Inputs = inputs
	return &graphBuilder{m: m, r: rand.New(rand.NewSource(seed))}
}

func (g *graphBuilder) konst(name string, shape ...int64) string {
	t := weights.Tensor{Name: name, DType: weights.Float32, Shape: shape}
	t.Float = make([]float32, t.Len())
	for i := range t.Float {
		t.Float[i] = g.r.Float32()*2 - 1
	}
	g.m.Graph.Tensors = append(g.m.Graph.Tensors, t)
	return name
}

func (g *graphBuilder) node(op string, in []string, out string, attrs ...weights.Attr) string {
	g.m.Graph.Nodes = append(g.m.Graph.Nodes, weights.Node{Name: out, Op: op, Inputs: in, Outputs: []string{out}, Attrs: attrs})
	return out
}

func ints(name string, v ...int64) weights.Attr {
	return weights.Attr{Name: name, Kind: weights.AttrInts, Ints: v}
}

func dynInput(name string, c int64) weights.ValueInfo {
	return weights.ValueInfo{Name: name, Shape: []weights.Dim{{Param: "N"}, {Value: c}, {Param: "H"}, {Param: "W"}}}
}

// runBoth loads m with and without fusion and checks that every output
// agrees (the unfused operators are checked against ONNX Runtime by the
// parity tests), and that the fused graph contains op.
func runBoth(t *testing.T, m *weights.Model, op string, inputs []*Tensor) {
	t.Helper()
	fused, err := Load(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Load(m, Options{NoFusion: true})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range fused.nodes {
		found = found || n.op == op
	}
	if !found {
		t.Fatalf("no %s in the fused graph", op)
	}
	for _, threads := range []int{1, 2} {
		sf, sp := sessionFor(t, fused, threads), sessionFor(t, plain, threads)
		got, err := sf.Run(inputs)
		if err != nil {
			t.Fatal(err)
		}
		want, err := sp.Run(inputs)
		if err != nil {
			t.Fatal(err)
		}
		for k := range want {
			if fmt.Sprint(got[k].Shape) != fmt.Sprint(want[k].Shape) {
				t.Fatalf("output %d: shape %v, want %v", k, got[k].Shape, want[k].Shape)
			}
			for i, w := range want[k].Data {
				if d := math.Abs(float64(got[k].Data[i] - w)); !(d <= 1e-5*(1+math.Abs(float64(w)))) {
					t.Fatalf("threads %d output %d[%d] = %g, want %g", threads, k, i, got[k].Data[i], w)
				}
			}
		}
	}
}

// fusedStats loads wm with fusion and returns its statistics.
func fusedStats(t *testing.T, wm *weights.Model) *Stats {
	t.Helper()
	m, err := Load(wm, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Stats(nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestPointDepthFusion: 1×1 → depthwise 3×3 (→ max pool) chains, and
// siblings reading one value, on odd sizes and a batch of two.
func TestPointDepthFusion(t *testing.T) {
	g := newGraph(4, dynInput("x", 5))
	pad1 := ints("pads", 1, 1, 1, 1)
	group := func(c int64) weights.Attr { return weights.Attr{Name: "group", Kind: weights.AttrInt, Int: c} }
	a := g.node("Conv", []string{"x", g.konst("w1", 8, 5, 1, 1), g.konst("b1", 8)}, "a")
	b := g.node("Conv", []string{a, g.konst("w2", 8, 1, 3, 3), g.konst("b2", 8)}, "b", pad1, group(8))
	b = g.node("Relu", []string{b}, "br")
	p := g.node("MaxPool", []string{b}, "p", ints("kernel_shape", 2, 2), ints("strides", 2, 2))
	var outs []weights.ValueInfo
	for k, c := range []int64{1, 4, 3} {
		h := g.node("Conv", []string{p, g.konst(fmt.Sprint("hw", k), c, 8, 1, 1), g.konst(fmt.Sprint("hb", k), c)}, fmt.Sprint("h", k))
		h = g.node("Conv", []string{h, g.konst(fmt.Sprint("dw", k), c, 1, 3, 3)}, fmt.Sprint("d", k), pad1, group(c))
		outs = append(outs, weights.ValueInfo{Name: h})
	}
	g.m.Graph.Outputs = outs
	for _, shape := range [][]int{{2, 5, 9, 7}, {1, 5, 2, 2}, {1, 5, 33, 40}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			runBoth(t, g.m, "fg.PointDepth", []*Tensor{randomInput(shape, 5)})
		})
	}
}

// TestStemFusion: a first layer (3×3 stride 2 on three channels) read only
// by a unit becomes its stem; on odd sizes and a batch of two, with and
// without padding. A first layer whose output is also a graph output stays
// a step of its own.
func TestStemFusion(t *testing.T) {
	for _, pad := range []int64{0, 1} {
		for _, exposed := range []bool{false, true} {
			g := newGraph(7+pad, dynInput("x", 3))
			s := g.node("Conv", []string{"x", g.konst("sw", 16, 3, 3, 3), g.konst("sb", 16)}, "s",
				ints("pads", pad, pad, pad, pad), ints("strides", 2, 2))
			s = g.node("Relu", []string{s}, "sr")
			a := g.node("Conv", []string{s, g.konst("w1", 8, 16, 1, 1), g.konst("b1", 8)}, "a")
			b := g.node("Conv", []string{a, g.konst("w2", 8, 1, 3, 3), g.konst("b2", 8)}, "b", ints("pads", 1, 1, 1, 1),
				weights.Attr{Name: "group", Kind: weights.AttrInt, Int: 8})
			p := g.node("MaxPool", []string{b}, "p", ints("kernel_shape", 2, 2), ints("strides", 2, 2))
			g.m.Graph.Outputs = []weights.ValueInfo{{Name: p}}
			if exposed {
				g.m.Graph.Outputs = append(g.m.Graph.Outputs, weights.ValueInfo{Name: s})
			}
			if want, got := map[bool]int{false: 1, true: 0}[exposed], fusedStats(t, g.m).FusedStems; got != want {
				t.Fatalf("pad %d exposed %v: %d stems fused, want %d", pad, exposed, got, want)
			}
			for _, shape := range [][]int{{2, 3, 19, 23}, {1, 3, 5, 6}, {1, 3, 130, 97}} {
				t.Run(fmt.Sprint(pad, exposed, shape), func(t *testing.T) {
					runBoth(t, g.m, "fg.PointDepth", []*Tensor{randomInput(shape, 3)})
				})
			}
		}
	}
}

// TestInputPoolFusion: a 2×2 max pool read only by a unit moves into it;
// one whose output is also a graph output stays a step of its own. Odd
// sizes (the pool drops a row and a column) and a batch of two.
func TestInputPoolFusion(t *testing.T) {
	for _, exposed := range []bool{false, true} {
		g := newGraph(11, dynInput("x", 6))
		p := g.node("MaxPool", []string{"x"}, "p", ints("kernel_shape", 2, 2), ints("strides", 2, 2))
		a := g.node("Conv", []string{p, g.konst("w1", 8, 6, 1, 1), g.konst("b1", 8)}, "a")
		b := g.node("Conv", []string{a, g.konst("w2", 8, 1, 3, 3), g.konst("b2", 8)}, "b", ints("pads", 1, 1, 1, 1),
			weights.Attr{Name: "group", Kind: weights.AttrInt, Int: 8})
		g.m.Graph.Outputs = []weights.ValueInfo{{Name: b}}
		if exposed {
			g.m.Graph.Outputs = append(g.m.Graph.Outputs, weights.ValueInfo{Name: p})
		}
		if want, got := map[bool]int{false: 1, true: 0}[exposed], fusedStats(t, g.m).FusedPools; got != want {
			t.Fatalf("exposed %v: %d pools fused, want %d", exposed, got, want)
		}
		for _, shape := range [][]int{{2, 6, 19, 23}, {1, 6, 2, 3}, {1, 6, 64, 64}} {
			t.Run(fmt.Sprint(exposed, shape), func(t *testing.T) {
				runBoth(t, g.m, "fg.PointDepth", []*Tensor{randomInput(shape, 6)})
			})
		}
	}
}

// TestUp2AddFusion: a feature pyramid's nearest 2× up-sample and add
// become one fg.Up2Add step in plans where the Resize doubles exactly and
// the Add does not broadcast, with the same outputs as the unfused graph;
// an odd size (the Resize, sized by Shape, no longer doubles), a Resize
// read twice and a broadcasting Add keep their steps.
func TestUp2AddFusion(t *testing.T) {
	g := newGraph(9, dynInput("x", 4))
	nearest := weights.Attr{Name: "mode", Kind: weights.AttrString, String: "nearest"}
	lat := g.node("Conv", []string{"x", g.konst("w1", 4, 4, 1, 1), g.konst("b1", 4)}, "lat")
	small := g.node("MaxPool", []string{lat}, "small", ints("kernel_shape", 2, 2), ints("strides", 2, 2))
	top := g.node("Conv", []string{small, g.konst("w2", 4, 4, 1, 1)}, "top")
	size := g.node("Shape", []string{lat}, "size")
	up := g.node("Resize", []string{top, "", "", size}, "up", nearest)
	sum := g.node("Add", []string{lat, up}, "sum") // the Resize's output second
	// A Resize read twice, and an Add that broadcasts: left alone.
	up2 := g.node("Resize", []string{small, "", "", size}, "up2", nearest)
	twice := g.node("Add", []string{up2, sum}, "twice")
	up3 := g.node("Resize", []string{top, "", "", size}, "up3", nearest)
	bias := g.node("Add", []string{up3, g.konst("bias", 1, 4, 1, 1)}, "bias_add")
	g.m.Graph.Outputs = []weights.ValueInfo{{Name: twice}, {Name: up2}, {Name: bias}}
	fused, err := Load(g.m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Load(g.m, Options{NoFusion: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, sz := range [][2]int{{6, 8}, {20, 14}, {7, 8}} {
		x := randomInput([]int{2, 4, sz[0], sz[1]}, int64(sz[0]))
		for _, threads := range []int{1, 2} {
			sf, sp := sessionFor(t, fused, threads), sessionFor(t, plain, threads)
			p, err := sf.planFor([]*Tensor{x})
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{}
			for _, st := range p.steps {
				counts[st.n.op]++
			}
			want := map[string]int{"fg.Up2Add": 1, "Resize": 2, "Add": 2}
			if sz[0]%2 == 1 {
				want = map[string]int{"fg.Up2Add": 0, "Resize": 3, "Add": 3}
			}
			for op, n := range want {
				if counts[op] != n {
					t.Fatalf("%v: %d %s steps, want %d (%v)", sz, counts[op], op, n, counts)
				}
			}
			got, err := sf.Run([]*Tensor{x})
			if err != nil {
				t.Fatal(err)
			}
			ref, err := sp.Run([]*Tensor{x})
			if err != nil {
				t.Fatal(err)
			}
			for k := range ref {
				for i, w := range ref[k].Data {
					if got[k].Data[i] != w {
						t.Fatalf("%v threads %d: output %d[%d] = %g, want %g", sz, threads, k, i, got[k].Data[i], w)
					}
				}
			}
		}
	}
}
