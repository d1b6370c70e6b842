package engine

import (
	"fmt"

	"github.com/facegate/facegate/kernels"
)

// fusePointDepth replaces each chain
//
//	Conv 1×1 (stride 1, unpadded) → Conv 3×3 depthwise (stride 1, pad 1) [→ MaxPool 2×2/2]
//
// whose intermediate values have no other consumer by one fg.PointDepth
// node, which computes the chain in row strips (kernels.PointDepth) so the
// intermediate planes never leave the cache. It runs after compile, on the
// packed convolutions; activations were fused into them already.
func (m *Model) fusePointDepth() {
	uses, prod := m.uses(), m.producers()
	consumer := make([]*node, len(m.values))
	for _, n := range m.nodes {
		for _, id := range n.in {
			if id >= 0 {
				consumer[id] = n
			}
		}
	}
	dead := map[*node]bool{}
	for _, dwn := range m.nodes {
		if dwn.op != "Conv" || dwn.conv == nil || dead[dwn] {
			continue
		}
		x := dwn.in[0]
		if x < 0 || prod[x] < 0 || !m.singleUse(uses, x) {
			continue
		}
		pwn := m.nodes[prod[x]]
		if pwn.op != "Conv" || pwn.conv == nil || dead[pwn] {
			continue
		}
		var pool *node
		if y := dwn.out[0]; m.singleUse(uses, y) {
			if q := consumer[y]; q != nil && isMaxPool2x2(q) {
				pool = q
			}
		}
		pd, err := kernels.NewPointDepth(pwn.conv, dwn.conv, pool != nil)
		if err != nil {
			continue // not this shape of unit
		}
		out := dwn.out[0]
		dead[dwn] = true
		if pool != nil {
			out = pool.out[0]
			dead[pool] = true
		}
		pwn.detail = "1x1" + actName(pwn.act) + " → 3x3 depthwise" + actName(dwn.act)
		if pool != nil {
			pwn.detail += " → maxpool 2x2"
		}
		pwn.op, pwn.out, pwn.pd = "fg.PointDepth", []int{out}, pd
		m.fusedUnits++
	}
	m.removeNodes(dead)
}

// fuseUnitInputs moves into each fg.PointDepth node the node that makes
// its input, when nothing else reads that input and it is
//
//   - a first layer (a 3×3 stride-2 convolution on the image, which kernels
//     runs directly): it becomes the unit's stem (kernels.PointDepth.WithStem),
//     and its output, the largest plane of the network, is never written to
//     memory and read back;
//   - a 2×2 max pool (kernels.PointDepth.WithInputPool): the pooled rows are
//     made strip by strip in the unit's input buffer. YuNet's backbone pools
//     two planes its feature pyramid also reads, so those pools cannot join
//     the unit before them.
func (m *Model) fuseUnitInputs() {
	uses, prod := m.uses(), m.producers()
	dead := map[*node]bool{}
	for _, n := range m.nodes {
		if n.op != "fg.PointDepth" {
			continue
		}
		x := n.in[0]
		if x < 0 || prod[x] < 0 || !m.singleUse(uses, x) {
			continue
		}
		p := m.nodes[prod[x]]
		if dead[p] {
			continue
		}
		var pd *kernels.PointDepth
		var err error
		var what string
		var count *int
		switch {
		case p.op == "Conv" && p.conv != nil:
			pd, err = n.pd.WithStem(p.conv)
			what, count = "3x3/2"+actName(p.act), &m.fusedStems
		case isMaxPool2x2(p):
			pd, err = n.pd.WithInputPool()
			what, count = "maxpool 2x2", &m.fusedPools
		default:
			continue
		}
		if err != nil {
			continue // not a first layer, or the unit has its input made already
		}
		n.pd, n.in = pd, []int{p.in[0]}
		n.detail = what + " → " + n.detail
		dead[p] = true
		*count++
	}
	m.removeNodes(dead)
}

// isMaxPool2x2 reports whether n is a 2×2 stride-2 max pool without
// padding, dilation, ceil mode or indices output.
func isMaxPool2x2(n *node) bool {
	if n.op != "MaxPool" || len(n.out) > 1 && n.out[1] >= 0 {
		return false
	}
	ks, st := n.attrInts("kernel_shape"), n.attrInts("strides")
	if len(ks) != 2 || ks[0] != 2 || ks[1] != 2 || len(st) != 2 || st[0] != 2 || st[1] != 2 {
		return false
	}
	for _, v := range n.attrInts("pads") {
		if v != 0 {
			return false
		}
	}
	for _, v := range n.attrInts("dilations") {
		if v != 1 {
			return false
		}
	}
	ap := n.attrString("auto_pad", "NOTSET")
	return (ap == "NOTSET" || ap == "" || ap == "VALID") && n.attrInt("ceil_mode", 0) == 0
}

// stackSiblings merges fg.PointDepth nodes (without pool) that read the
// same value into one node computing all their channels
// (kernels.StackPointDepth), followed by one fg.ChannelSlice per original
// node that copies its channels out. YuNet's four heads per scale (1, 1, 4
// and 10 channels) run as one 16-channel unit: one GEMM whose rows fill the
// micro-kernel's tiles instead of four mostly empty ones.
func (m *Model) stackSiblings() {
	groups := map[int][]*node{}
	var order []int
	for _, n := range m.nodes {
		if n.op != "fg.PointDepth" || n.pd.HasPool() {
			continue
		}
		x := n.in[0]
		if groups[x] == nil {
			order = append(order, x)
		}
		groups[x] = append(groups[x], n)
	}
	replace := map[*node][]*node{} // first node of a group → its replacement
	dead := map[*node]bool{}
	for _, x := range order {
		g := groups[x]
		if len(g) < 2 {
			continue
		}
		units := make([]*kernels.PointDepth, len(g))
		for k, n := range g {
			units[k] = n.pd
		}
		pd, err := kernels.StackPointDepth(units...)
		if err != nil {
			continue // different activations: leave them apart
		}
		id := len(m.values)
		m.values = append(m.values, value{name: g[0].name + "/stacked", input: -1})
		stacked := &node{name: g[0].name + "/stacked", op: "fg.PointDepth", in: []int{x}, out: []int{id},
			pd: pd, detail: fmt.Sprintf("%d units stacked: %s", len(g), g[0].detail)}
		seq := []*node{stacked}
		c0 := 0
		for _, n := range g {
			c, _, _ := n.pd.OutShape(1, 1)
			seq = append(seq, &node{name: n.name, op: "fg.ChannelSlice", in: []int{id}, out: n.out,
				sliceC0: c0, sliceC1: c0 + c})
			c0 += c
			dead[n] = true
		}
		replace[g[0]] = seq
		m.stackedUnits += len(g)
	}
	if len(replace) == 0 {
		return
	}
	var nodes []*node
	for _, n := range m.nodes {
		if seq, ok := replace[n]; ok {
			nodes = append(nodes, seq...)
			continue
		}
		if !dead[n] {
			nodes = append(nodes, n)
		}
	}
	m.nodes = nodes
}
