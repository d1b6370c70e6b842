package engine

import "github.com/facegate/facegate/kernels"

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
