package engine

import (
	"fmt"

	"github.com/facegate/facegate/kernels"
)

// Stats describes a loaded model and, when input shapes are given, the
// work and memory one Run of those shapes takes.
type Stats struct {
	Ops          map[string]int // operator histogram of the graph as loaded
	OptimizedOps map[string]int // operator histogram after optimisation ("fg.*" are fused operators)
	Params       int64          // float parameters in the graph as loaded
	FoldedBN     int            // BatchNormalizations folded into a Conv or Dense
	FusedActs    int            // activations moved into a GEMM epilogue
	FusedUnits   int            // 1×1 + depthwise (+ max pool) chains run as one fg.PointDepth
	StackedUnits int            // fg.PointDepth units on one input run as one (then fg.ChannelSlice)
	FusedStems   int            // first layers run strip by strip inside the fg.PointDepth reading them
	FusedPools   int            // 2×2 max pools run strip by strip inside the fg.PointDepth reading them
	FoldedConsts int            // nodes evaluated at load time
	DroppedNoOps int            // Identity/Dropout nodes removed

	// Filled only when input shapes are given.
	InputShapes  [][]int
	OutputShapes [][]int
	RunOps       map[string]int   // operators executed per Run (shape sub-graphs evaluated while planning are gone)
	MACs         map[string]int64 // multiply-adds per operator type
	TotalMACs    int64
	Steps        int   // operators executed per Run
	ArenaBytes   int64 // activation memory of the session plan
	ScratchBytes int64 // kernel scratch (single-threaded)
	StepList     []StepInfo
}

// StepInfo is one operator executed by Run, in order.
type StepInfo struct {
	Op       string // ONNX operator, or fg.Dense / fg.ChannelAffine for fused ones
	Name     string // node name (of the first node when fused)
	OutShape []int
	MACs     int64
	Detail   string // e.g. "3x3/2 depthwise +ReLU" for a convolution with a fused activation
}

// Stats reports the model's operators and parameters, and for inShapes
// (one shape per input; nil to skip) the multiply-adds per operator type
// and the memory of the session plan.
func (m *Model) Stats(inShapes [][]int) (*Stats, error) {
	st := &Stats{
		Ops: map[string]int{}, OptimizedOps: map[string]int{}, Params: m.params,
		FoldedBN: m.foldedBN, FusedActs: m.fusedActs, FusedUnits: m.fusedUnits, StackedUnits: m.stackedUnits, FusedStems: m.fusedStems, FusedPools: m.fusedPools, FoldedConsts: m.foldedOps, DroppedNoOps: m.droppedOps,
	}
	for k, v := range m.origOps {
		st.Ops[k] = v
	}
	for _, n := range m.nodes {
		st.OptimizedOps[n.op]++
	}
	if inShapes == nil {
		return st, nil
	}
	if len(inShapes) != len(m.inputs) {
		return nil, fmt.Errorf("engine: %d input shapes for %d inputs", len(inShapes), len(m.inputs))
	}
	ins := make([]*Tensor, len(inShapes))
	for k, s := range inShapes {
		ins[k] = &Tensor{Shape: s}
	}
	for k, t := range ins {
		vi := m.inputs[k]
		if len(t.Shape) != len(vi.Shape) {
			return nil, fmt.Errorf("engine: input %q has rank %d, shape %v given", vi.Name, len(vi.Shape), t.Shape)
		}
		for d, dim := range vi.Shape {
			if t.Shape[d] <= 0 || dim.Value > 0 && int64(t.Shape[d]) != dim.Value {
				return nil, fmt.Errorf("engine: input %q: shape %v given, want %s", vi.Name, t.Shape, dimsString(vi.Shape))
			}
		}
		if _, err := checkedNumel(t.Shape); err != nil {
			return nil, fmt.Errorf("engine: input %q: %w", vi.Name, err)
		}
	}
	p, err := m.buildPlan(inShapes)
	if err != nil {
		return nil, fmt.Errorf("engine: input shapes %v: %w", inShapes, err)
	}
	st.InputShapes = inShapes
	st.MACs = map[string]int64{}
	st.RunOps = map[string]int{}
	for _, s := range p.steps {
		st.StepList = append(st.StepList, StepInfo{Op: s.n.op, Name: s.n.name, OutShape: s.outShape, MACs: s.macs, Detail: s.detail()})
		st.RunOps[s.n.op]++
		if s.macs > 0 {
			st.MACs[s.n.op] += s.macs
		}
		st.TotalMACs += s.macs
	}
	st.Steps = len(p.steps)
	st.ArenaBytes = int64(p.arena) * 4
	st.ScratchBytes = int64(p.scratch) * 4
	for _, o := range p.outs {
		st.OutputShapes = append(st.OutputShapes, o.Shape)
	}
	return st, nil
}

// detail describes a step's fused work and kernel choice for inspect.
func (st *step) detail() string {
	n := st.n
	switch n.op {
	case "Conv":
		p := n.convP
		d := fmt.Sprintf("%dx%d/%d", p.KH, p.KW, p.StrideH)
		if p.Groups > 1 {
			if p.Groups == p.InC && p.Groups == p.OutC {
				d += " depthwise"
			} else {
				d += fmt.Sprintf(" groups=%d", p.Groups)
			}
		}
		return d + actName(n.act)
	case "fg.Dense":
		return fmt.Sprintf("%dx%d", n.denseK, n.denseN) + actName(n.act)
	case "fg.PointDepth", "fg.Up2Add":
		return n.detail
	case "fg.ChannelSlice":
		return fmt.Sprintf("channels %d-%d", n.sliceC0, n.sliceC1-1)
	}
	return ""
}

func actName(a kernels.ActKind) string {
	switch a {
	case kernels.ActReLU:
		return " +ReLU"
	case kernels.ActPReLU:
		return " +PReLU"
	case kernels.ActSigmoid:
		return " +Sigmoid"
	}
	return ""
}
