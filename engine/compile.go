package engine

import (
	"fmt"

	"github.com/facegate/facegate/kernels"
)

// runtimeOps are the operators a Session executes on activations. The
// reshape-like ones are views: planning gives their output the input's
// buffer. Operators only ever evaluated on known values (shape
// arithmetic) are in planOnlyOps.
var runtimeOps = map[string]bool{
	"Conv": true, "fg.Dense": true, "fg.ChannelAffine": true, "MatMul": true,
	"Relu": true, "PRelu": true, "LeakyRelu": true, "Sigmoid": true, "Tanh": true, "Clip": true, "Exp": true,
	"Add": true, "Sub": true, "Mul": true, "Div": true,
	"MaxPool": true, "AveragePool": true, "GlobalAveragePool": true,
	"Resize": true, "Upsample": true, "Transpose": true, "Softmax": true, "Concat": true,
	"Reshape": true, "Flatten": true, "Squeeze": true, "Unsqueeze": true,
}

var planOnlyOps = map[string]bool{
	"Shape": true, "Gather": true, "Slice": true, "Cast": true, "ConstantOfShape": true,
	"Neg": true, "Sqrt": true, "Constant": true,
}

func isView(op string) bool {
	return op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze"
}

// compile checks that every operator is supported and packs the weights of
// convolutions and dense layers.
func (m *Model) compile() error {
	for _, n := range m.nodes {
		if !runtimeOps[n.op] && !planOnlyOps[n.op] {
			return fmt.Errorf("unsupported operator %s (node %q)", n.op, n.name)
		}
		switch n.op {
		case "Conv":
			if err := m.compileConv(n); err != nil {
				return err
			}
		case "fg.Dense":
			n.dense = kernels.NewDense(n.denseW, n.denseK, n.denseN, false, n.denseB, n.act)
			n.denseW, n.denseB = nil, nil
		}
	}
	return nil
}

func (m *Model) compileConv(n *node) error {
	if len(n.in) < 2 || !m.isConst(n.in[1]) {
		return fmt.Errorf("%s: weights must be constant", n)
	}
	w := m.values[n.in[1]].c
	if w.isInt || len(w.shape) != 4 {
		return fmt.Errorf("%s: only 2-D convolution (4-D weights) is supported, weights are %v", n, w.shape)
	}
	for _, d := range w.shape {
		if d == 0 {
			return fmt.Errorf("%s: weights of shape %v have an empty dimension", n, w.shape)
		}
	}
	if n.convW == nil {
		n.convW = w.f
	}
	if n.convB == nil && len(n.in) > 2 && n.in[2] >= 0 {
		if !m.isConst(n.in[2]) || m.values[n.in[2]].c.isInt {
			return fmt.Errorf("%s: bias must be a constant float tensor", n)
		}
		n.convB = m.values[n.in[2]].c.f
	}
	if n.convB != nil && len(n.convB) != w.shape[0] {
		return fmt.Errorf("%s: %d bias values for %d output channels", n, len(n.convB), w.shape[0])
	}
	groups := int(n.attrInt("group", 1))
	if groups < 1 {
		return fmt.Errorf("%s: group %d", n, groups)
	}
	p := kernels.ConvParams{
		InC: w.shape[1] * groups, OutC: w.shape[0], KH: w.shape[2], KW: w.shape[3],
		StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: groups,
	}
	if w.shape[0]%groups != 0 {
		return fmt.Errorf("%s: %d output channels not divisible by group %d", n, w.shape[0], groups)
	}
	if ks := n.attrInts("kernel_shape"); ks != nil && (len(ks) != 2 || int(ks[0]) != p.KH || int(ks[1]) != p.KW) {
		return fmt.Errorf("%s: kernel_shape %v disagrees with weights %v", n, ks, w.shape)
	}
	if s := n.attrInts("strides"); s != nil {
		if len(s) != 2 || s[0] < 1 || s[1] < 1 || s[0] > 1<<16 || s[1] > 1<<16 {
			return fmt.Errorf("%s: bad strides %v", n, s)
		}
		p.StrideH, p.StrideW = int(s[0]), int(s[1])
	}
	if d := n.attrInts("dilations"); d != nil {
		if len(d) != 2 || d[0] < 1 || d[1] < 1 || d[0] > 1<<16 || d[1] > 1<<16 {
			return fmt.Errorf("%s: bad dilations %v", n, d)
		}
		p.DilH, p.DilW = int(d[0]), int(d[1])
	}
	if pd := n.attrInts("pads"); pd != nil {
		if len(pd) != 4 {
			return fmt.Errorf("%s: bad pads %v", n, pd)
		}
		for _, v := range pd {
			if v < 0 || v > 1<<16 {
				return fmt.Errorf("%s: bad pads %v", n, pd)
			}
		}
		p.PadTop, p.PadLeft, p.PadBottom, p.PadRight = int(pd[0]), int(pd[1]), int(pd[2]), int(pd[3])
	}
	n.autoPad = n.attrString("auto_pad", "NOTSET")
	switch n.autoPad {
	case "NOTSET", "", "VALID":
		if n.autoPad == "VALID" {
			p.PadTop, p.PadLeft, p.PadBottom, p.PadRight = 0, 0, 0, 0
		}
		n.autoPad = ""
	case "SAME_UPPER", "SAME_LOWER":
		// pads depend on the input size: packed per plan (plan.go).
		n.convP = p
		return nil
	default:
		return fmt.Errorf("%s: auto_pad %q", n, n.autoPad)
	}
	n.convP = p
	c, err := kernels.NewConv(p, n.convW, n.convB, n.act, n.slope)
	if err != nil {
		return fmt.Errorf("%s: %w", n, err)
	}
	n.conv = c
	// The packed copy is all Run needs; drop ours (for folded weights it is
	// the only other copy).
	n.convW, n.convB = nil, nil
	return nil
}

// samePads is ONNX auto_pad SAME_UPPER/SAME_LOWER for one spatial axis.
func samePads(in, k, stride, dil int, upper bool) (lo, hi int) {
	out := (in + stride - 1) / stride
	total := max((out-1)*stride+(k-1)*dil+1-in, 0)
	if upper {
		return total / 2, total - total/2
	}
	return total - total/2, total / 2
}
