package engine

import (
	"errors"
	"fmt"
	"math"

	"github.com/facegate/facegate/kernels"
)

// optimize rewrites the graph in place. The passes, in order:
//
//  1. constant folding: a node whose inputs are all constants is evaluated
//     once (Constant nodes, weight transposes, shape arithmetic on
//     constants) and disappears;
//  2. no-op removal: Identity and Dropout (inference) forward their input;
//  3. MatMul/Gemm with a constant weight become fg.Dense, and a following
//     Add of a per-column constant becomes its bias;
//  4. BatchNormalization folds into the Conv or fg.Dense before it when that
//     output has no other consumer, otherwise becomes fg.ChannelAffine;
//  5. Relu, PRelu and LeakyRelu (as a PReLU with one slope) after a Conv
//     with no other consumer move into the GEMM epilogue; Relu after
//     fg.Dense likewise. Sigmoid stays a separate node.
//
// After the weights are packed (compile), three more passes work on the
// packed convolutions (fuse.go): 1×1 → 3×3 depthwise [→ 2×2 max pool]
// chains become fg.PointDepth steps, such steps reading the same value
// are stacked into one, followed by fg.ChannelSlice copies, and a first
// layer or a 2×2 max pool read only by such a step moves into it.
//
// Reshape-like operators become views at planning time (see plan.go), and
// shape sub-graphs that depend on the input shape are evaluated then.
func (m *Model) optimize(opt Options) error {
	if err := m.foldConstants(); err != nil {
		return err
	}
	m.dropNoOps()
	m.makeDense()
	if !opt.NoFusion {
		m.fuseDenseBias()
	}
	if err := m.foldBatchNorm(!opt.NoFusion); err != nil {
		return err
	}
	if !opt.NoFusion {
		m.fuseActivations()
	}
	return nil
}

func (m *Model) isConst(id int) bool { return id >= 0 && m.values[id].c != nil }

func (m *Model) foldConstants() error {
	kept := m.nodes[:0]
	for _, n := range m.nodes {
		all := true
		in := make([]*ctensor, len(n.in))
		for k, id := range n.in {
			if id < 0 {
				continue
			}
			if !m.isConst(id) {
				all = false
				break
			}
			in[k] = m.values[id].c
		}
		if !all || n.op == "Dropout" && len(n.out) > 1 && n.out[1] >= 0 {
			kept = append(kept, n)
			continue
		}
		out, err := evalConst(n, in, m.opset)
		if errors.Is(err, errNotFoldable) {
			kept = append(kept, n)
			continue
		}
		if err != nil {
			return err
		}
		for k, id := range n.out {
			if id >= 0 && k < len(out) {
				m.values[id].c = out[k]
			}
		}
		m.foldedOps++
	}
	m.nodes = kept
	return nil
}

// uses counts the consumers of every value, graph outputs included.
func (m *Model) uses() []int {
	u := make([]int, len(m.values))
	for _, n := range m.nodes {
		for _, id := range n.in {
			if id >= 0 {
				u[id]++
			}
		}
	}
	for _, id := range m.outIDs {
		u[id]++
	}
	return u
}

func (m *Model) isOutput(id int) bool {
	for _, o := range m.outIDs {
		if o == id {
			return true
		}
	}
	return false
}

// replace makes every consumer of value from read value to instead.
func (m *Model) replace(from, to int) {
	for _, n := range m.nodes {
		for k, id := range n.in {
			if id == from {
				n.in[k] = to
			}
		}
	}
	for k, id := range m.outIDs {
		if id == from {
			m.outIDs[k] = to
		}
	}
}

func (m *Model) dropNoOps() {
	kept := m.nodes[:0]
	for _, n := range m.nodes {
		noop := n.op == "Identity" || n.op == "Dropout" && (len(n.out) == 1 || n.out[1] < 0)
		if noop && len(n.in) > 0 && n.in[0] >= 0 {
			m.replace(n.out[0], n.in[0])
			m.droppedOps++
			continue
		}
		kept = append(kept, n)
	}
	m.nodes = kept
}

// makeDense turns MatMul and Gemm with a constant 2-D right operand into
// fg.Dense holding W as K×N.
func (m *Model) makeDense() {
	for _, n := range m.nodes {
		switch n.op {
		case "MatMul":
			if len(n.in) != 2 || !m.isConst(n.in[1]) {
				continue
			}
			w := m.values[n.in[1]].c
			if len(w.shape) != 2 || w.isInt {
				continue
			}
			n.op = "fg.Dense"
			n.denseK, n.denseN = w.shape[0], w.shape[1]
			n.denseW = w.f
			n.in = n.in[:1]
		case "Gemm":
			if len(n.in) < 2 || !m.isConst(n.in[1]) || n.attrInt("transA", 0) != 0 {
				continue
			}
			w := m.values[n.in[1]].c
			if len(w.shape) != 2 || w.isInt {
				continue
			}
			k, nn := w.shape[0], w.shape[1]
			src := w.f
			if n.attrInt("transB", 0) != 0 {
				k, nn = nn, k
				src = transposeConst(w, []int{1, 0}).f
			}
			alpha, beta := n.attrFloat("alpha", 1), n.attrFloat("beta", 1)
			var bias []float32
			if len(n.in) > 2 && n.in[2] >= 0 {
				if !m.isConst(n.in[2]) {
					continue
				}
				c := m.values[n.in[2]].c
				if c.isInt || (c.len() != nn && c.len() != 1) || (len(c.shape) == 2 && c.shape[0] != 1) {
					continue // a full M×N C: leave to the generic path (unsupported)
				}
				bias = make([]float32, nn)
				for j := range bias {
					bias[j] = beta * c.f[min(j, c.len()-1)]
				}
			}
			wk := src
			if alpha != 1 {
				wk = make([]float32, len(src))
				for j, v := range src {
					wk[j] = alpha * v
				}
			}
			n.op = "fg.Dense"
			n.denseK, n.denseN, n.denseW, n.denseB = k, nn, wk, bias
			n.in = n.in[:1]
			n.attrs = nil
		}
	}
}

// producers maps each value to the index of the node that produces it.
func (m *Model) producers() []int {
	p := make([]int, len(m.values))
	for k := range p {
		p[k] = -1
	}
	for i, n := range m.nodes {
		for _, id := range n.out {
			if id >= 0 {
				p[id] = i
			}
		}
	}
	return p
}

// removeNodes drops the marked nodes, keeping the order of the rest.
func (m *Model) removeNodes(dead map[*node]bool) {
	kept := m.nodes[:0]
	for _, n := range m.nodes {
		if !dead[n] {
			kept = append(kept, n)
		}
	}
	m.nodes = kept
}

// singleUse reports whether value id feeds exactly one node and is not a
// graph output, so the node producing it may be rewritten.
func (m *Model) singleUse(uses []int, id int) bool {
	return id >= 0 && uses[id] == 1 && !m.isOutput(id)
}

// fuseDenseBias folds Add(Dense(x), b) with b a constant of N values
// (shape [N] or [1,N]) into the Dense bias.
func (m *Model) fuseDenseBias() {
	uses, prod := m.uses(), m.producers()
	dead := map[*node]bool{}
	for _, n := range m.nodes {
		if n.op != "Add" || len(n.in) != 2 {
			continue
		}
		for side := 0; side < 2; side++ {
			x, b := n.in[side], n.in[1-side]
			if !m.isConst(b) || x < 0 || prod[x] < 0 || !m.singleUse(uses, x) {
				continue
			}
			d := m.nodes[prod[x]]
			c := m.values[b].c
			if d.op != "fg.Dense" || dead[d] || c.isInt || c.len() != d.denseN {
				continue
			}
			if len(c.shape) > 2 || len(c.shape) == 2 && c.shape[0] != 1 {
				continue
			}
			bias := make([]float32, d.denseN)
			for j := range bias {
				bias[j] = c.f[j]
				if d.denseB != nil {
					bias[j] += d.denseB[j]
				}
			}
			d.denseB = bias
			d.out[0] = n.out[0]
			dead[n] = true
			break
		}
	}
	m.removeNodes(dead)
}

func (m *Model) foldBatchNorm(fuse bool) error {
	uses, prod := m.uses(), m.producers()
	dead := map[*node]bool{}
	for _, n := range m.nodes {
		if n.op != "BatchNormalization" {
			continue
		}
		if len(n.in) < 5 {
			return fmt.Errorf("%s: needs 5 inputs", n)
		}
		var p [4][]float32
		for k := 0; k < 4; k++ {
			if !m.isConst(n.in[k+1]) || m.values[n.in[k+1]].c.isInt {
				return fmt.Errorf("%s: parameters must be constant float tensors", n)
			}
			p[k] = m.values[n.in[k+1]].c.f
		}
		ch := len(p[0])
		for k := 1; k < 4; k++ {
			if len(p[k]) != ch {
				return fmt.Errorf("%s: parameter lengths differ", n)
			}
		}
		eps := float64(n.attrFloat("epsilon", 1e-5))
		scale := make([]float32, ch)
		shift := make([]float32, ch)
		for c := 0; c < ch; c++ {
			s := float64(p[0][c]) / math.Sqrt(float64(p[3][c])+eps)
			scale[c] = float32(s)
			shift[c] = float32(float64(p[1][c]) - float64(p[2][c])*s)
		}
		x := n.in[0]
		if fuse && x >= 0 && prod[x] >= 0 && m.singleUse(uses, x) {
			q := m.nodes[prod[x]]
			switch {
			case q.op == "Conv" && q.act == kernels.ActNone && m.foldIntoConv(q, scale, shift):
				q.out[0] = n.out[0]
				dead[n] = true
				m.foldedBN++
				continue
			case q.op == "fg.Dense" && q.denseN == ch:
				w := make([]float32, len(q.denseW))
				for r := 0; r < q.denseK; r++ {
					for c := 0; c < ch; c++ {
						w[r*ch+c] = q.denseW[r*ch+c] * scale[c]
					}
				}
				b := make([]float32, ch)
				for c := range b {
					if q.denseB != nil {
						b[c] = q.denseB[c] * scale[c]
					}
					b[c] += shift[c]
				}
				q.denseW, q.denseB = w, b
				q.denseRank2 = true // BatchNormalization's channel axis is 1: valid for rank-2 outputs only
				q.out[0] = n.out[0]
				dead[n] = true
				m.foldedBN++
				continue
			}
		}
		n.op = "fg.ChannelAffine"
		n.scale, n.shift = scale, shift
		n.in = n.in[:1]
		n.out = n.out[:1]
	}
	m.removeNodes(dead)
	return nil
}

// foldIntoConv scales the weights and bias of Conv q per output channel.
// It copies the weights: they may alias a loaded file.
func (m *Model) foldIntoConv(q *node, scale, shift []float32) bool {
	if len(q.in) < 2 || !m.isConst(q.in[1]) {
		return false
	}
	w := m.values[q.in[1]].c
	if w.isInt || len(w.shape) != 4 || w.shape[0] != len(scale) || len(scale) == 0 {
		return false
	}
	var b []float32
	if len(q.in) > 2 && q.in[2] >= 0 {
		if !m.isConst(q.in[2]) || m.values[q.in[2]].c.len() != len(scale) {
			return false
		}
		b = m.values[q.in[2]].c.f
	}
	if q.convW == nil {
		q.convW = w.f
	}
	if q.convB == nil {
		q.convB = b
	}
	per := len(q.convW) / len(scale)
	nw := make([]float32, len(q.convW))
	nb := make([]float32, len(scale))
	for o, s := range scale {
		for k := 0; k < per; k++ {
			nw[o*per+k] = q.convW[o*per+k] * s
		}
		if q.convB != nil {
			nb[o] = q.convB[o] * s
		}
		nb[o] += shift[o]
	}
	q.convW, q.convB = nw, nb
	return true
}

func (m *Model) fuseActivations() {
	uses, prod := m.uses(), m.producers()
	dead := map[*node]bool{}
	for _, n := range m.nodes {
		if n.op != "Relu" && n.op != "PRelu" && n.op != "LeakyRelu" {
			continue
		}
		x := n.in[0]
		if x < 0 || prod[x] < 0 || !m.singleUse(uses, x) {
			continue
		}
		q := m.nodes[prod[x]]
		if dead[q] || q.act != kernels.ActNone {
			continue
		}
		switch q.op {
		case "Conv":
			if len(q.in) < 2 || !m.isConst(q.in[1]) || len(m.values[q.in[1]].c.shape) != 4 {
				continue
			}
			outC := m.values[q.in[1]].c.shape[0]
			switch n.op {
			case "Relu":
				q.act = kernels.ActReLU
			case "LeakyRelu":
				alpha := n.attrFloat("alpha", 0.01)
				q.slope = make([]float32, outC)
				for c := range q.slope {
					q.slope[c] = alpha
				}
				q.act = kernels.ActPReLU
			case "PRelu":
				s := m.channelSlope(n, outC)
				if s == nil {
					continue
				}
				q.slope, q.act = s, kernels.ActPReLU
			}
		case "fg.Dense":
			if n.op != "Relu" {
				continue
			}
			q.act = kernels.ActReLU
		default:
			continue
		}
		q.out[0] = n.out[0]
		dead[n] = true
		m.fusedActs++
	}
	m.removeNodes(dead)
}

// channelSlope returns PRelu n's slope as one value per channel of an NCHW
// tensor with c channels, or nil if its shape does not broadcast that way.
func (m *Model) channelSlope(n *node, c int) []float32 {
	if len(n.in) < 2 || !m.isConst(n.in[1]) {
		return nil
	}
	s := m.values[n.in[1]].c
	if s.isInt || len(s.shape) > 4 {
		return nil
	}
	if s.len() == 1 {
		out := make([]float32, c)
		for k := range out {
			out[k] = s.f[0]
		}
		return out
	}
	p := padShape(s.shape, 4)
	if p[0] != 1 || p[1] != c || p[2] != 1 || p[3] != 1 {
		return nil
	}
	return s.f
}
