package engine

import (
	"fmt"

	"github.com/facegate/facegate/kernels"
)

// inPlaceOps may write their output over their first input when that input
// dies at this step (elementwise, same shape).
var inPlaceOps = map[string]bool{
	"Relu": true, "Sigmoid": true, "Tanh": true, "Exp": true, "Clip": true,
	"LeakyRelu": true, "PRelu": true, "fg.ChannelAffine": true,
	"Add": true, "Sub": true, "Mul": true, "Div": true,
	"fg.Up2Add": true, // over its second operand (the first is smaller)
}

// maxArena bounds the activation memory of one plan (floats): 2 GiB.
const maxArena = 1 << 29

// buildPlan makes the plan for one set of input shapes: shape inference,
// then a static memory plan. Every runtime value gets a root buffer; views
// (reshape-like operators) and in-place elementwise operators share their
// input's root. Roots are assigned to a few arena slots greedily: a slot is
// free once the last reader of every value in its root has run, and a new
// root takes the smallest free slot that fits (or grows the largest). The
// slots themselves belong to the Session and are shared by all its plans
// (plan.bind).
func (m *Model) buildPlan(inShapes [][]int) (*plan, error) {
	si, err := m.planShapes(inShapes)
	if err != nil {
		return nil, err
	}
	if m.planFusion {
		si.steps = m.fuseUp2Add(si.steps)
	}
	p := &plan{inShapes: inShapes, steps: si.steps}
	nsteps := len(p.steps)

	// Last reader of every value; graph outputs live to the end.
	last := make([]int, len(m.values))
	for k := range last {
		last[k] = -1
	}
	for i := range p.steps {
		for _, id := range p.steps[i].n.in {
			if id >= 0 {
				last[id] = i
			}
		}
	}
	for _, id := range m.outIDs {
		last[id] = nsteps
	}

	root := make([]int, len(m.values)) // value id of the root, -1: none
	for k := range root {
		root[k] = -1
	}
	for _, id := range m.inIDs {
		root[id] = id
	}
	rootLast := make([]int, len(m.values))
	slotOf := make([]int, len(m.values))
	var slotSize []int
	var free []int
	isGraphInput := func(r int) bool { return m.values[r].input >= 0 }
	p.stepSlot = make([]int, nsteps)

	alloc := func(need int) int {
		best, bestSize := -1, 0
		largest := -1
		for k, s := range free {
			sz := slotSize[s]
			if sz >= need && (best < 0 || sz < bestSize) {
				best, bestSize = k, sz
			}
			if largest < 0 || sz > slotSize[free[largest]] {
				largest = k
			}
		}
		pick := best
		if pick < 0 {
			pick = largest
		}
		if pick < 0 {
			slotSize = append(slotSize, need)
			return len(slotSize) - 1
		}
		s := free[pick]
		free = append(free[:pick], free[pick+1:]...)
		slotSize[s] = max(slotSize[s], need)
		return s
	}

	for i := range p.steps {
		st := &p.steps[i]
		n := st.n
		out := n.out[0]
		in0 := n.in[0]
		r0 := -1
		if in0 >= 0 {
			r0 = root[in0]
		}
		// canOverwrite: input k dies here, has the output's shape, is not
		// the caller's, and no other operand reads its buffer through a
		// different view.
		canOverwrite := func(k int) bool {
			id := n.in[k]
			if id < 0 || root[id] < 0 {
				return false
			}
			r := root[id]
			if isGraphInput(r) || rootLast[r] != i || !sameShape(st.inShape[k], st.outShape) {
				return false
			}
			for j, other := range n.in {
				if j != k && other >= 0 && other != id && root[other] == r {
					return false
				}
			}
			return true
		}
		switch {
		case isView(n.op) && r0 >= 0:
			root[out] = r0
			rootLast[r0] = max(rootLast[r0], last[out])
		case inPlaceOps[n.op] && canOverwrite(0):
			root[out] = r0
			rootLast[r0] = max(rootLast[r0], last[out], i)
		case inPlaceOps[n.op] && len(n.in) == 2 && canOverwrite(1):
			r1 := root[n.in[1]]
			root[out] = r1
			rootLast[r1] = max(rootLast[r1], last[out], i)
		default:
			root[out] = out
			rootLast[out] = max(last[out], i)
			slotOf[out] = alloc(numel(st.outShape))
		}
		if r := root[out]; !isGraphInput(r) {
			p.stepSlot[i] = slotOf[r]
		} else {
			p.stepSlot[i] = -1
		}
		// Free the roots whose last reader was this step (including an
		// output nobody reads).
		for _, id := range append(n.in[:len(n.in):len(n.in)], out) {
			if id < 0 || root[id] < 0 {
				continue
			}
			r := root[id]
			if !isGraphInput(r) && rootLast[r] == i {
				free = append(free, slotOf[r])
				rootLast[r] = -2 // freed once
			}
		}
	}

	for _, s := range slotSize {
		p.arena += s
	}
	if p.arena > maxArena {
		return nil, fmt.Errorf("input shapes %v need %d MiB of activations, more than the limit of %d MiB",
			inShapes, p.arena*4>>20, maxArena*4>>20)
	}
	p.slotSize = slotSize

	// Resolve operand slices.
	data := func(id int) ref {
		if c := si.known[id]; c != nil {
			return ref{gin: -1, slot: -1, buf: c.floats()}
		}
		r := root[id]
		if r >= 0 && isGraphInput(r) {
			return ref{gin: m.values[r].input, slot: -1}
		}
		return ref{gin: -1, slot: slotOf[r], n: numel(si.shapes[id])}
	}
	for i := range p.steps {
		st := &p.steps[i]
		st.in = make([]ref, len(st.n.in))
		for k, id := range st.n.in {
			st.in[k] = ref{gin: -1, slot: -1}
			if id >= 0 {
				st.in[k] = data(id)
			}
		}
		if p.stepSlot[i] >= 0 {
			st.out = ref{gin: -1, slot: p.stepSlot[i], n: numel(st.outShape)}
		} else {
			// a view of a graph input: nothing to do
			st.out = ref{gin: m.values[root[st.n.out[0]]].input, slot: -1}
		}
		p.macs += st.macs
		switch {
		case st.conv != nil:
			p.scratch = max(p.scratch, st.conv.ScratchSize(st.inShape[0][2], st.inShape[0][3]))
		case st.n.op == "fg.PointDepth":
			p.scratch = max(p.scratch, st.n.pd.ScratchSize(st.inShape[0][2], st.inShape[0][3]))
		case st.n.op == "fg.Dense":
			p.scratch = max(p.scratch, st.n.dense.ScratchSize(st.rows))
		case st.n.op == "fg.Up2Add":
			p.scratch = max(p.scratch, kernels.Up2AddScratch(st.inShape[0][3]))
		}
	}

	// Outputs: known values and views of inputs are copied at plan time
	// or by a final copy; everything else is read in place.
	p.outs = make([]*Tensor, len(m.outIDs))
	for k, id := range m.outIDs {
		shape := append([]int{}, si.shapes[id]...)
		switch {
		case si.known[id] != nil:
			p.outs[k] = &Tensor{Shape: shape, Data: append([]float32{}, si.known[id].floats()...)}
		case isGraphInput(root[id]):
			t := &Tensor{Shape: shape, Data: make([]float32, numel(shape))}
			p.outs[k] = t
			p.steps = append(p.steps, step{n: copyNode, in: []ref{{gin: m.values[root[id]].input, slot: -1}}, out: ref{gin: -1, slot: -1, buf: t.Data}})
		default:
			p.outs[k] = &Tensor{Shape: shape}
			p.outRefs = append(p.outRefs, outRef{k: k, ref: ref{gin: -1, slot: slotOf[root[id]], n: numel(shape)}})
		}
	}
	return p, nil
}

// outRef says which arena slot holds output k.
type outRef struct {
	k   int
	ref ref
}

// bind points every slot reference of p into arena (the Session's
// buffers, at least as large as p.slotSize).
func (p *plan) bind(arena [][]float32) {
	for i := range p.steps {
		st := &p.steps[i]
		for k := range st.in {
			if r := &st.in[k]; r.slot >= 0 {
				r.buf = arena[r.slot][:r.n]
			}
		}
		if st.out.slot >= 0 {
			st.out.buf = arena[st.out.slot][:st.out.n]
		}
	}
	for _, o := range p.outRefs {
		p.outs[o.k].Data = arena[o.ref.slot][:o.ref.n]
	}
}

// copyNode marks a step that copies a graph input to an output.
var copyNode = &node{name: "output copy", op: "fg.Copy"}
