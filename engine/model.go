// Package engine runs networks described by weights.Model on the CPU.
//
// Load optimises a graph once (constant folding, BatchNormalization folded
// into the convolution or matrix product before it, ReLU/PReLU fused into the
// GEMM epilogue, no-op removal) and packs the weights; the resulting Model is
// read-only and shared by any number of goroutines. A Session holds what one
// goroutine needs to run it: for each input shape, a plan (shape inference,
// shape sub-graphs evaluated, a static memory plan over a few reused arena
// buffers) and kernel scratch. After warm-up, Run allocates nothing.
//
// Operators run on activations: Conv (2-D, any group, dilation, padding,
// auto_pad), MatMul, Gemm (constant B), BatchNormalization, Relu, PRelu,
// LeakyRelu, Sigmoid, Clip, Add, Sub, Mul, Div (broadcasting), MaxPool,
// AveragePool, GlobalAveragePool, Resize (nearest, linear), Transpose,
// Softmax (both the pre-13 and the 13+ semantics), Concat, and the views
// Reshape, Flatten, Squeeze, Unsqueeze. Shape, Gather, Slice, Cast,
// ConstantOfShape, Constant and arithmetic on int64 run only on values known
// before Run (shape sub-graphs); Identity and Dropout disappear at load.
// Any other operator is a load error naming it and its node.
package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/facegate/facegate/kernels"
	"github.com/facegate/facegate/weights"
	"github.com/facegate/facegate/weights/onnx"
)

// Options controls Load. The zero value enables every optimisation.
type Options struct {
	// NoFusion disables BatchNormalization folding, activation fusion,
	// the fusion of pointwise+depthwise units (fuse.go) and the merging of
	// up-sample + add steps in plans (planfuse.go); constant folding and
	// no-op removal still happen. Useful to check that an optimisation is
	// not what makes a result differ.
	NoFusion bool
}

// value is one tensor of the graph: a constant (c != nil), a graph input
// (input >= 0), or the output of a node.
type value struct {
	name  string
	c     *ctensor
	input int
}

// node is one operator after optimisation. Fields below attrs are filled by
// compile for the operators that need them.
type node struct {
	name  string
	op    string
	in    []int // value ids; -1 for an omitted optional input
	out   []int
	attrs []weights.Attr

	// Conv (with any folded BatchNormalization and fused activation).
	convP   kernels.ConvParams
	autoPad string
	convW   []float32
	convB   []float32
	act     kernels.ActKind
	slope   []float32
	conv    *kernels.Conv

	// fg.Dense: MatMul/Gemm with a constant weight, W given as K×N.
	denseW     []float32
	denseB     []float32
	denseK     int
	denseN     int
	dense      *kernels.Dense
	denseRank2 bool

	// fg.ChannelAffine: y = x*scale[c] + shift[c] along axis 1
	// (a BatchNormalization with nothing to fold into).
	scale, shift []float32

	// fg.PointDepth: a 1×1 conv, a 3×3 depthwise conv and maybe a max
	// pool computed together (fuse.go); detail describes them.
	pd     *kernels.PointDepth
	detail string

	// fg.ChannelSlice: channels [sliceC0, sliceC1) of the input.
	sliceC0, sliceC1 int
}

func (n *node) attr(name string) *weights.Attr {
	for i := range n.attrs {
		if n.attrs[i].Name == name {
			return &n.attrs[i]
		}
	}
	return nil
}

func (n *node) attrInt(name string, def int64) int64 {
	if a := n.attr(name); a != nil {
		return a.Int
	}
	return def
}

func (n *node) attrFloat(name string, def float32) float32 {
	if a := n.attr(name); a != nil {
		return a.Float
	}
	return def
}

func (n *node) attrString(name, def string) string {
	if a := n.attr(name); a != nil {
		return a.String
	}
	return def
}

func (n *node) attrInts(name string) []int64 {
	if a := n.attr(name); a != nil {
		return a.Ints
	}
	return nil
}

func (n *node) String() string { return fmt.Sprintf("%s node %q", n.op, n.name) }

// Model is a loaded, optimised network. It is immutable and safe for
// concurrent use; run it through a Session.
type Model struct {
	meta    weights.Metadata
	inputs  []weights.ValueInfo
	outputs []weights.ValueInfo
	inIDs   []int
	outIDs  []int
	values  []value
	nodes   []*node
	opset   int

	origOps      map[string]int // operator histogram of the graph as loaded
	params       int64          // float parameters of the graph as loaded
	foldedBN     int
	fusedActs    int
	fusedUnits   int
	stackedUnits int
	fusedStems   int
	fusedPools   int
	droppedOps   int
	foldedOps    int
	planFusion   bool // plans merge steps whose fusion depends on shapes (planfuse.go)
}

// Meta returns the model's metadata.
func (m *Model) Meta() weights.Metadata { return m.meta }

// Inputs describes the graph inputs, in the order Run expects them.
func (m *Model) Inputs() []weights.ValueInfo { return m.inputs }

// Outputs describes the graph outputs, in the order Run returns them.
func (m *Model) Outputs() []weights.ValueInfo { return m.outputs }

// LoadFile reads a model from a facegate weight file (.fgw) or converts an
// ONNX file (.onnx) on the fly, then loads it with default options.
func LoadFile(path string) (*Model, error) {
	var (
		wm  *weights.Model
		err error
	)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".onnx":
		wm, err = onnx.ImportFile(path, onnx.Options{})
	default:
		if _, serr := os.Stat(path); serr != nil {
			return nil, serr
		}
		wm, err = weights.Load(path)
	}
	if err != nil {
		return nil, err
	}
	return Load(wm, Options{})
}

// Load optimises m and packs its weights. m is not modified; the returned
// Model may alias m's constant tensors, which must not change afterwards.
func Load(m *weights.Model, opt Options) (*Model, error) {
	if m == nil {
		return nil, fmt.Errorf("engine: nil model")
	}
	g := &m.Graph
	em := &Model{meta: m.Meta, origOps: map[string]int{}, opset: opsetOf(m)}
	ids := map[string]int{}
	newValue := func(v value) int {
		em.values = append(em.values, v)
		return len(em.values) - 1
	}
	for i := range g.Tensors {
		t := &g.Tensors[i]
		c, err := fromWeights(t)
		if err != nil {
			return nil, fmt.Errorf("engine: tensor %q: %w", t.Name, err)
		}
		if !c.isInt {
			em.params += int64(len(c.f))
		}
		if _, dup := ids[t.Name]; dup {
			return nil, fmt.Errorf("engine: tensor %q defined twice", t.Name)
		}
		ids[t.Name] = newValue(value{name: t.Name, c: c, input: -1})
	}
	for _, vi := range g.Inputs {
		if _, isConst := ids[vi.Name]; isConst {
			continue // an initializer also listed as an input (old exporters)
		}
		if len(vi.Shape) == 0 {
			return nil, fmt.Errorf("engine: input %q has no shape", vi.Name)
		}
		em.inputs = append(em.inputs, vi)
		id := newValue(value{name: vi.Name, input: len(em.inIDs)})
		ids[vi.Name] = id
		em.inIDs = append(em.inIDs, id)
	}
	if len(em.inputs) == 0 {
		return nil, fmt.Errorf("engine: model has no inputs")
	}
	for i := range g.Nodes {
		wn := &g.Nodes[i]
		em.origOps[wn.Op]++
		if strings.HasPrefix(wn.Op, "fg.") {
			// Reserved for the engine's own fused operators, which files
			// never contain (weights/FORMAT.md).
			return nil, fmt.Errorf("engine: unsupported operator %s (node %q): the fg. prefix is reserved", wn.Op, wn.Name)
		}
		n := &node{name: wn.Name, op: wn.Op, attrs: wn.Attrs}
		for _, in := range wn.Inputs {
			if in == "" {
				n.in = append(n.in, -1)
				continue
			}
			id, ok := ids[in]
			if !ok {
				return nil, fmt.Errorf("engine: %s: input %q is not defined before it", n, in)
			}
			n.in = append(n.in, id)
		}
		for _, out := range wn.Outputs {
			if out == "" {
				n.out = append(n.out, -1)
				continue
			}
			if _, dup := ids[out]; dup {
				return nil, fmt.Errorf("engine: %s: output %q defined twice", n, out)
			}
			id := newValue(value{name: out, input: -1})
			ids[out] = id
			n.out = append(n.out, id)
		}
		if len(n.out) == 0 {
			return nil, fmt.Errorf("engine: %s has no outputs", n)
		}
		em.nodes = append(em.nodes, n)
	}
	for _, vi := range g.Outputs {
		id, ok := ids[vi.Name]
		if !ok {
			return nil, fmt.Errorf("engine: output %q is not produced by the graph", vi.Name)
		}
		em.outputs = append(em.outputs, vi)
		em.outIDs = append(em.outIDs, id)
	}
	if len(em.outputs) == 0 {
		return nil, fmt.Errorf("engine: model has no outputs")
	}
	if err := em.optimize(opt); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if err := em.compile(); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if !opt.NoFusion {
		em.planFusion = true
		em.fusePointDepth()
		em.stackSiblings()
		em.fuseUnitInputs()
	}
	return em, nil
}

// opsetOf returns the default-domain opset recorded by the importer, or 0
// when unknown.
func opsetOf(m *weights.Model) int {
	for _, k := range []string{"opset", "onnx_opset", "opset_version", "ai.onnx"} {
		if s, ok := m.Meta.Extra[k]; ok {
			if v, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
				return v
			}
		}
	}
	return 0
}

func fromWeights(t *weights.Tensor) (*ctensor, error) {
	shape := make([]int, len(t.Shape))
	for k, d := range t.Shape {
		if d < 0 || d > maxElements {
			return nil, fmt.Errorf("bad dimension %d", d)
		}
		shape[k] = int(d)
	}
	n, err := checkedNumel(shape)
	if err != nil {
		return nil, err
	}
	switch t.DType {
	case weights.Float32:
		if len(t.Float) != n {
			return nil, fmt.Errorf("%d float values for shape %v", len(t.Float), shape)
		}
		return &ctensor{shape: shape, f: t.Float}, nil
	case weights.Int64:
		if len(t.Int) != n {
			return nil, fmt.Errorf("%d int values for shape %v", len(t.Int), shape)
		}
		return &ctensor{shape: shape, isInt: true, i: t.Int}, nil
	}
	return nil, fmt.Errorf("unsupported dtype %v", t.DType)
}
