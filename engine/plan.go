package engine

import (
	"errors"
	"fmt"
	"math"

	"github.com/facegate/facegate/kernels"
)

// ref locates the data of a step's operand: a graph input (gin >= 0, taken
// from Run's arguments), an arena slot (slot >= 0; buf is set by plan.bind
// to its first n values), or a known tensor (buf).
type ref struct {
	gin  int
	slot int
	n    int
	buf  []float32
}

// step is one operator execution in a plan, with everything that depends
// on the input shape worked out in advance.
type step struct {
	n        *node
	in       []ref
	inShape  [][]int
	out      ref
	outShape []int
	macs     int64

	conv    *kernels.Conv
	rows    int                // fg.Dense: rows of X
	aShape  []int              // Binary: operands left-padded to the output rank
	bShape  []int              //
	pool    kernels.PoolParams // MaxPool, AveragePool
	rsz     kernels.ResizeParams
	perm    []int
	outer   int // Softmax, Concat, ChannelAffine: sizes around the axis
	axisLen int
	inner   int
	lo, hi  float32   // Clip bounds; LeakyRelu alpha in lo
	slope   []float32 // PRelu: per channel, or expanded to the input size
	perChan bool
}

// plan is everything a Session needs to run one input shape.
type plan struct {
	inShapes [][]int
	steps    []step
	outs     []*Tensor
	slotSize []int // floats each arena slot must hold
	outRefs  []outRef
	scratch  int
	arena    int // floats in all slots
	macs     int64
	// per-step output slot, resolved to step.out.buf after allocation
	stepSlot []int
}

// shapeInfo is the result of shape inference for one input shape.
type shapeInfo struct {
	shapes [][]int
	known  []*ctensor
	steps  []step
}

// planShapes runs shape inference over the graph for the given input
// shapes, evaluating shape sub-graphs, and returns the runtime steps with
// their output shapes (operand slices are not yet assigned).
func (m *Model) planShapes(inShapes [][]int) (*shapeInfo, error) {
	si := &shapeInfo{shapes: make([][]int, len(m.values)), known: make([]*ctensor, len(m.values))}
	for id := range m.values {
		if c := m.values[id].c; c != nil {
			si.shapes[id], si.known[id] = c.shape, c
		}
	}
	for k, id := range m.inIDs {
		si.shapes[id] = inShapes[k]
	}
	for _, n := range m.nodes {
		for _, id := range n.in {
			if id >= 0 && si.shapes[id] == nil {
				return nil, fmt.Errorf("%s: input %q has no value", n, m.values[id].name)
			}
		}
		// Evaluate while planning when every input is known; Shape needs
		// only its input's shape.
		all := true
		in := make([]*ctensor, len(n.in))
		for k, id := range n.in {
			if id < 0 {
				continue
			}
			if si.known[id] == nil {
				all = false
				break
			}
			in[k] = si.known[id]
		}
		if n.op == "Shape" {
			all = true
			in[0] = &ctensor{shape: si.shapes[n.in[0]]}
		}
		if all && n.op != "Conv" && n.op != "fg.Dense" && n.op != "fg.ChannelAffine" {
			out, err := evalConst(n, in, m.opset)
			if err == nil {
				for k, id := range n.out {
					if id >= 0 && k < len(out) {
						si.known[id], si.shapes[id] = out[k], out[k].shape
					}
				}
				continue
			}
			if !errors.Is(err, errNotFoldable) {
				return nil, err
			}
		}
		if planOnlyOps[n.op] {
			return nil, fmt.Errorf("%s: only supported on values known before Run (shape arithmetic), not on activations", n)
		}
		st, err := m.inferStep(n, si)
		if err != nil {
			return nil, err
		}
		if _, err := checkedNumel(st.outShape); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		si.shapes[n.out[0]] = st.outShape
		si.steps = append(si.steps, st)
	}
	for _, id := range m.outIDs {
		if si.shapes[id] == nil {
			return nil, fmt.Errorf("output %q is not computed", m.values[id].name)
		}
	}
	return si, nil
}

// inferStep works out the output shape and shape-dependent parameters of
// a runtime node.
func (m *Model) inferStep(n *node, si *shapeInfo) (step, error) {
	st := step{n: n}
	if len(n.in) == 0 || n.in[0] < 0 {
		return st, fmt.Errorf("%s: missing input", n)
	}
	for _, id := range n.in {
		if id >= 0 {
			st.inShape = append(st.inShape, si.shapes[id])
		} else {
			st.inShape = append(st.inShape, nil)
		}
	}
	x := st.inShape[0]
	knownArg := func(k int) *ctensor {
		if k < len(n.in) && n.in[k] >= 0 {
			return si.known[n.in[k]]
		}
		return nil
	}
	fail := func(format string, a ...any) (step, error) {
		return st, fmt.Errorf("%s: "+format, append([]any{n}, a...)...)
	}
	switch n.op {
	case "Conv":
		p := n.convP
		if len(x) != 4 || x[1] != p.InC {
			return fail("input shape %v, want [N,%d,H,W]", x, p.InC)
		}
		st.conv = n.conv
		if n.autoPad != "" {
			upper := n.autoPad == "SAME_UPPER"
			p.PadTop, p.PadBottom = samePads(x[2], p.KH, p.StrideH, p.DilH, upper)
			p.PadLeft, p.PadRight = samePads(x[3], p.KW, p.StrideW, p.DilW, upper)
			c, err := kernels.NewConv(p, n.convW, n.convB, n.act, n.slope)
			if err != nil {
				return fail("%v", err)
			}
			st.conv = c
		}
		oh, ow := p.OutSize(x[2], x[3])
		if oh <= 0 || ow <= 0 {
			return fail("input %v too small for the kernel", x)
		}
		st.outShape = []int{x[0], p.OutC, oh, ow}
		st.macs = int64(x[0]) * int64(p.OutC*oh*ow) * int64(p.InC/p.Groups*p.KH*p.KW)
	case "fg.PointDepth":
		inC := n.pd.InC()
		if len(x) != 4 || x[1] != inC {
			return fail("input shape %v, want [N,%d,H,W]", x, inC)
		}
		c, oh, ow := n.pd.OutShape(x[2], x[3])
		if oh <= 0 || ow <= 0 {
			return fail("input %v too small for the pool", x)
		}
		st.outShape = []int{x[0], c, oh, ow}
		st.macs = int64(x[0]) * n.pd.MACs(x[2], x[3])
	case "fg.ChannelSlice":
		if len(x) < 2 || x[1] < n.sliceC1 {
			return fail("input shape %v has fewer than %d channels", x, n.sliceC1)
		}
		st.outShape = append([]int{x[0], n.sliceC1 - n.sliceC0}, x[2:]...)
		st.outer, st.axisLen, st.inner = x[0], x[1], numel(x[2:])
	case "fg.Dense":
		if len(x) < 1 || x[len(x)-1] != n.denseK {
			return fail("input shape %v, want last dimension %d", x, n.denseK)
		}
		if n.denseRank2 && len(x) != 2 {
			return fail("a BatchNormalization was folded into this product, which is only valid for rank-2 inputs, got %v", x)
		}
		st.rows = numel(x) / n.denseK
		st.outShape = append(append([]int{}, x[:len(x)-1]...), n.denseN)
		st.macs = int64(st.rows) * int64(n.denseK) * int64(n.denseN)
	case "MatMul":
		b := st.inShape[1]
		if len(x) < 2 || len(b) != 2 || x[len(x)-1] != b[0] {
			return fail("shapes %v and %v unsupported (need [...,M,K] x [K,N])", x, b)
		}
		st.rows = numel(x) / b[0]
		st.outShape = append(append([]int{}, x[:len(x)-1]...), b[1])
		st.macs = int64(st.rows) * int64(b[0]) * int64(b[1])
	case "fg.ChannelAffine":
		if len(x) < 2 || x[1] != len(n.scale) {
			return fail("input shape %v, want %d channels on axis 1", x, len(n.scale))
		}
		st.outShape = x
		st.outer, st.axisLen, st.inner = x[0], x[1], numel(x[2:])
	case "Relu", "Sigmoid", "Tanh", "Exp":
		st.outShape = x
	case "LeakyRelu":
		st.outShape = x
		st.lo = n.attrFloat("alpha", 0.01)
	case "Clip":
		st.outShape = x
		st.lo, st.hi = float32(math.Inf(-1)), float32(math.Inf(1))
		if a := n.attr("min"); a != nil {
			st.lo = a.Float
		}
		if a := n.attr("max"); a != nil {
			st.hi = a.Float
		}
		for k, dst := range []*float32{&st.lo, &st.hi} {
			if len(n.in) > k+1 && n.in[k+1] >= 0 {
				c := knownArg(k + 1)
				if c == nil || c.len() != 1 {
					return fail("bound must be a known scalar")
				}
				*dst = c.floats()[0]
			}
		}
	case "PRelu":
		st.outShape = x
		c := knownArg(1)
		if c == nil || c.isInt {
			return fail("slope must be a known float tensor")
		}
		if len(c.shape) > len(x) {
			return fail("slope shape %v does not broadcast to %v", c.shape, x)
		}
		ps := padShape(c.shape, len(x))
		if out, err := broadcastShape(x, c.shape); err != nil || !sameShape(out, x) {
			return fail("slope shape %v does not broadcast to %v", c.shape, x)
		}
		if len(x) >= 2 && numel(ps) == ps[1] && (ps[1] == x[1] || ps[1] == 1) {
			st.perChan = true
			st.slope = make([]float32, x[1])
			for k := range st.slope {
				st.slope[k] = c.f[min(k, c.len()-1)]
			}
			st.outer, st.axisLen, st.inner = x[0], x[1], numel(x[2:])
		} else {
			// Rare layouts: expand the slope to one value per element.
			ex, err := evalBinary(&node{op: "Add", name: n.name}, &ctensor{shape: x, f: make([]float32, numel(x))}, c)
			if err != nil {
				return fail("%v", err)
			}
			st.slope = ex[0].f
		}
	case "Add", "Sub", "Mul", "Div":
		if len(st.inShape) != 2 || st.inShape[1] == nil {
			return fail("needs two inputs")
		}
		out, err := broadcastShape(x, st.inShape[1])
		if err != nil {
			return fail("%v", err)
		}
		if len(out) > 8 {
			return fail("rank %d above 8", len(out))
		}
		st.outShape = out
		st.aShape, st.bShape = padShape(x, len(out)), padShape(st.inShape[1], len(out))
	case "MaxPool", "AveragePool":
		return m.inferPool(n, st, x)
	case "GlobalAveragePool":
		if len(x) < 3 {
			return fail("input shape %v, want [N,C,...]", x)
		}
		st.outShape = []int{x[0], x[1]}
		for range x[2:] {
			st.outShape = append(st.outShape, 1)
		}
		st.inner = numel(x[2:])
	case "Resize", "Upsample":
		return m.inferResize(n, st, x, knownArg)
	case "Transpose":
		perm, err := transposePerm(n, len(x))
		if err != nil {
			return st, err
		}
		if len(x) > 8 {
			return fail("rank %d above 8", len(x))
		}
		st.perm = perm
		st.outShape = make([]int, len(x))
		for k, p := range perm {
			st.outShape[k] = x[p]
		}
	case "Softmax":
		axis := n.attrInt("axis", -1)
		// Before opset 13 Softmax normalised over everything from axis on
		// (the importer marks that with coerce_2d=1).
		legacy := n.attrInt("coerce_2d", 0) != 0 || n.attr("coerce_2d") == nil && m.opset > 0 && m.opset < 13
		if legacy && n.attr("axis") == nil {
			axis = 1
		}
		a, err := normAxis(axis, len(x))
		if err != nil {
			return fail("%v", err)
		}
		st.outShape = x
		st.outer = numel(x[:a])
		if legacy {
			st.axisLen, st.inner = numel(x[a:]), 1
		} else {
			st.axisLen, st.inner = x[a], numel(x[a+1:])
		}
	case "Concat":
		a, err := normAxis(n.attrInt("axis", 0), len(x))
		if err != nil {
			return fail("%v", err)
		}
		out := append([]int{}, x...)
		out[a] = 0
		for _, s := range st.inShape {
			if len(s) != len(x) {
				return fail("inputs differ in rank")
			}
			for k := range s {
				if k != a && s[k] != x[k] {
					return fail("shapes %v and %v differ off axis %d", x, s, a)
				}
			}
			out[a] += s[a]
		}
		st.outShape = out
		st.outer = numel(x[:a])
	case "Reshape", "Flatten", "Squeeze", "Unsqueeze":
		extra := make([]*ctensor, 0, len(n.in))
		for k := 1; k < len(n.in); k++ {
			c := knownArg(k)
			if c == nil && n.in[k] >= 0 {
				return fail("shape/axes input is computed at Run time; only shapes known before Run are supported")
			}
			extra = append(extra, c)
		}
		out, err := viewShape(n, x, extra, m.opset)
		if err != nil {
			return st, err
		}
		st.outShape = out
	default:
		return fail("no runtime implementation")
	}
	return st, nil
}

func (m *Model) inferPool(n *node, st step, x []int) (step, error) {
	if len(x) != 4 {
		return st, fmt.Errorf("%s: input shape %v, want [N,C,H,W]", n, x)
	}
	ks := n.attrInts("kernel_shape")
	if len(ks) != 2 || ks[0] < 1 || ks[1] < 1 || ks[0] > 1<<16 || ks[1] > 1<<16 {
		return st, fmt.Errorf("%s: kernel_shape %v, want 2 positive values", n, ks)
	}
	p := kernels.PoolParams{KH: int(ks[0]), KW: int(ks[1]), StrideH: 1, StrideW: 1, CeilMode: n.attrInt("ceil_mode", 0) != 0}
	if s := n.attrInts("strides"); s != nil {
		if len(s) != 2 || s[0] < 1 || s[1] < 1 || s[0] > 1<<16 || s[1] > 1<<16 {
			return st, fmt.Errorf("%s: bad strides %v", n, s)
		}
		p.StrideH, p.StrideW = int(s[0]), int(s[1])
	}
	if d := n.attrInts("dilations"); d != nil && (len(d) != 2 || d[0] != 1 || d[1] != 1) {
		return st, fmt.Errorf("%s: dilations %v unsupported", n, d)
	}
	if pd := n.attrInts("pads"); pd != nil {
		if len(pd) != 4 || pd[0] < 0 || pd[1] < 0 || pd[2] < 0 || pd[3] < 0 || max(pd[0], pd[1], pd[2], pd[3]) > 1<<16 {
			return st, fmt.Errorf("%s: bad pads %v", n, pd)
		}
		p.PadTop, p.PadLeft, p.PadBottom, p.PadRight = int(pd[0]), int(pd[1]), int(pd[2]), int(pd[3])
	}
	switch ap := n.attrString("auto_pad", "NOTSET"); ap {
	case "NOTSET", "":
	case "VALID":
		p.PadTop, p.PadLeft, p.PadBottom, p.PadRight = 0, 0, 0, 0
	case "SAME_UPPER", "SAME_LOWER":
		p.PadTop, p.PadBottom = samePads(x[2], p.KH, p.StrideH, 1, ap == "SAME_UPPER")
		p.PadLeft, p.PadRight = samePads(x[3], p.KW, p.StrideW, 1, ap == "SAME_UPPER")
	default:
		return st, fmt.Errorf("%s: auto_pad %q", n, ap)
	}
	// As ONNX Runtime requires: a window never lies entirely in padding.
	if p.PadTop >= p.KH || p.PadBottom >= p.KH || p.PadLeft >= p.KW || p.PadRight >= p.KW {
		return st, fmt.Errorf("%s: pads %d,%d,%d,%d not smaller than kernel %dx%d", n, p.PadTop, p.PadLeft, p.PadBottom, p.PadRight, p.KH, p.KW)
	}
	oh, ow := p.OutSize(x[2], x[3])
	if oh <= 0 || ow <= 0 {
		return st, fmt.Errorf("%s: input %v too small for the window", n, x)
	}
	st.pool = p
	st.outShape = []int{x[0], x[1], oh, ow}
	return st, nil
}

func (m *Model) inferResize(n *node, st step, x []int, knownArg func(int) *ctensor) (step, error) {
	if len(x) != 4 {
		return st, fmt.Errorf("%s: input shape %v, want [N,C,H,W]", n, x)
	}
	var scales []float32
	var sizes []int64
	switch {
	case n.op == "Upsample" && len(n.in) < 2:
		scales = n.attr("scales").Floats
	case len(n.in) == 2: // Upsample-9, Resize-10: (X, scales)
		c := knownArg(1)
		if c == nil {
			return st, fmt.Errorf("%s: scales must be known before Run", n)
		}
		scales = c.floats()
	default: // Resize-11+: (X, roi, scales, sizes)
		if c := knownArg(3); c != nil && c.len() > 0 {
			sizes = c.ints()
		} else if c := knownArg(2); c != nil && c.len() > 0 {
			scales = c.floats()
		} else {
			return st, fmt.Errorf("%s: scales or sizes must be known before Run", n)
		}
	}
	out := make([]int, 4)
	switch {
	case sizes != nil:
		if len(sizes) != 4 {
			return st, fmt.Errorf("%s: sizes %v, want 4 values", n, sizes)
		}
		for k, s := range sizes {
			if s < 1 || s > maxElements {
				return st, fmt.Errorf("%s: bad size %v", n, sizes)
			}
			out[k] = int(s)
		}
	case len(scales) == 4:
		for k, s := range scales {
			v := math.Floor(float64(x[k]) * float64(s))
			if !(v >= 1 && v <= maxElements) {
				return st, fmt.Errorf("%s: bad scales %v for input %v", n, scales, x)
			}
			out[k] = int(v)
		}
	default:
		return st, fmt.Errorf("%s: scales %v, want 4 values", n, scales)
	}
	if out[0] != x[0] || out[1] != x[1] {
		return st, fmt.Errorf("%s: resizing the batch or channel axis is unsupported", n)
	}
	mode := n.attrString("mode", "nearest")
	if mode == "bilinear" {
		mode = "linear"
	}
	if mode != "nearest" && mode != "linear" {
		return st, fmt.Errorf("%s: mode %q unsupported", n, mode)
	}
	p := kernels.ResizeParams{Mode: mode, CoordMode: "half_pixel", NearestMode: "round_prefer_floor"}
	if n.op == "Upsample" || len(n.in) == 2 {
		// Before opset 11 there is no coordinate transformation attribute:
		// ONNX Runtime maps output to input coordinates as x/scale and takes
		// the floor for nearest.
		p.CoordMode, p.NearestMode = "asymmetric", "floor"
	} else {
		p.CoordMode = n.attrString("coordinate_transformation_mode", "half_pixel")
		p.NearestMode = n.attrString("nearest_mode", "round_prefer_floor")
	}
	switch p.CoordMode {
	case "half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel":
	default:
		return st, fmt.Errorf("%s: coordinate_transformation_mode %q unsupported", n, p.CoordMode)
	}
	if sizes == nil {
		p.ScaleH, p.ScaleW = float64(scales[2]), float64(scales[3])
	}
	if err := p.Validate(); err != nil {
		return st, fmt.Errorf("%s: %w", n, err)
	}
	st.rsz = p
	st.outShape = out
	return st, nil
}
