package engine

import "github.com/facegate/facegate/kernels"

// fuseUp2Add merges, in one plan, each Resize that up-samples by exactly 2
// (nearest neighbour, kernels.ResizeDoubles for the planned shapes) and
// whose only reader is an Add of two operands of the same shape into one
// fg.Up2Add step at the Add's place (kernels.Up2Add): a feature pyramid's
// up-sample and merge. The up-sampled tensor, four times the size of the
// Resize's input, is then never written and read back.
//
// It works on planned steps, not on the graph, because whether a Resize
// doubles and whether the Add broadcasts depend on the input shape; a
// shape for which they do not keeps both steps. The Add's node is not
// changed: the fused step gets a node of its own, reading the Resize's
// input and the Add's other operand, so the memory plan keeps the Resize's
// input alive until the fused step and may write the result over the other
// operand, as it would the Add's.
func (m *Model) fuseUp2Add(steps []step) []step {
	uses := m.uses()
	reader := make(map[int]int, len(steps)) // value id → a step reading it
	for i := range steps {
		for _, id := range steps[i].n.in {
			if id >= 0 {
				reader[id] = i
			}
		}
	}
	drop := make([]bool, len(steps))
	fused := 0
	for i := range steps {
		rs := &steps[i]
		if rs.n.op != "Resize" && rs.n.op != "Upsample" {
			continue
		}
		v := rs.n.out[0]
		j, ok := reader[v]
		if !m.singleUse(uses, v) || !ok || j <= i || steps[j].n.op != "Add" {
			continue
		}
		as := &steps[j]
		x := rs.inShape[0]
		if !sameShape(as.inShape[0], as.outShape) || !sameShape(as.inShape[1], as.outShape) ||
			!kernels.ResizeDoubles(rs.rsz, x[2], x[3], rs.outShape[2], rs.outShape[3]) {
			continue
		}
		k := 0 // the Add's operand that is the Resize's output
		if as.n.in[1] == v {
			k = 1
		}
		n := &node{name: as.n.name, op: "fg.Up2Add", in: []int{rs.n.in[0], as.n.in[1-k]}, out: as.n.out,
			detail: "nearest 2x up-sample + add"}
		st := *as
		st.n, st.inShape = n, [][]int{x, as.inShape[1-k]}
		steps[j] = st
		drop[i] = true
		fused++
	}
	if fused == 0 {
		return steps
	}
	kept := steps[:0]
	for i := range steps {
		if !drop[i] {
			kept = append(kept, steps[i])
		}
	}
	return kept
}
