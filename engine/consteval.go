package engine

import (
	"errors"
	"fmt"
	"math"
)

// maxKnownElements bounds a tensor computed by evalConst. Shape arithmetic
// is tiny; the bound is for hostile graphs (a ConstantOfShape or broadcast
// of absurd size must be an error, not an out-of-memory crash) while still
// letting weights be transposed at load time.
const maxKnownElements = 1 << 24

// errNotFoldable means evalConst does not evaluate this operator on known
// inputs; the node then runs at Run time instead.
var errNotFoldable = errors.New("not foldable")

// evalConst evaluates n on inputs that are all known (constants, or values
// computed while planning a shape). It covers the operators that appear in
// shape sub-graphs and in weight preprocessing; it is not fast and is never
// used on activations. A nil input is an omitted optional input.
func evalConst(n *node, in []*ctensor, opset int) ([]*ctensor, error) {
	arg := func(k int) *ctensor {
		if k < len(in) {
			return in[k]
		}
		return nil
	}
	x := arg(0)
	switch n.op {
	case "Constant":
		a := n.attr("value")
		if a == nil || a.Tensor == nil {
			if a = n.attr("value_float"); a != nil {
				return one(&ctensor{f: []float32{a.Float}}), nil
			}
			if a = n.attr("value_int"); a != nil {
				return one(&ctensor{isInt: true, i: []int64{a.Int}}), nil
			}
			if a = n.attr("value_ints"); a != nil {
				return one(&ctensor{shape: []int{len(a.Ints)}, isInt: true, i: a.Ints}), nil
			}
			if a = n.attr("value_floats"); a != nil {
				return one(&ctensor{shape: []int{len(a.Floats)}, f: a.Floats}), nil
			}
			return nil, fmt.Errorf("%s: no supported value attribute", n)
		}
		c, err := fromWeights(a.Tensor)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		return one(c), nil
	case "Identity", "Dropout":
		return one(x), nil
	case "Shape":
		s := make([]int64, len(x.shape))
		for k, d := range x.shape {
			s[k] = int64(d)
		}
		start, end := int(n.attrInt("start", 0)), int(n.attrInt("end", int64(len(s))))
		start, end = clampRange(start, len(s)), clampRange(end, len(s))
		if end < start {
			end = start
		}
		s = s[start:end]
		return one(&ctensor{shape: []int{len(s)}, isInt: true, i: s}), nil
	case "Reshape", "Flatten", "Squeeze", "Unsqueeze":
		shape, err := viewShape(n, x.shape, in[1:], opset)
		if err != nil {
			return nil, err
		}
		return one(&ctensor{shape: shape, isInt: x.isInt, f: x.f, i: x.i}), nil
	case "Cast":
		to := n.attrInt("to", 0)
		switch to {
		case 1: // FLOAT
			return one(&ctensor{shape: x.shape, f: x.floats()}), nil
		case 7: // INT64
			return one(&ctensor{shape: x.shape, isInt: true, i: x.ints()}), nil
		}
		return nil, fmt.Errorf("%s: cast to ONNX type %d unsupported", n, to)
	case "Gather":
		return evalGather(n, x, arg(1))
	case "Concat":
		return evalConcat(n, in)
	case "Slice":
		return evalSlice(n, in, opset)
	case "Transpose":
		perm, err := transposePerm(n, len(x.shape))
		if err != nil {
			return nil, err
		}
		return one(transposeConst(x, perm)), nil
	case "Add", "Sub", "Mul", "Div":
		return evalBinary(n, x, arg(1))
	case "Neg", "Sqrt", "Relu", "Sigmoid", "Exp":
		if x.isInt {
			if n.op == "Neg" {
				out := make([]int64, len(x.i))
				for k, v := range x.i {
					out[k] = -v
				}
				return one(&ctensor{shape: x.shape, isInt: true, i: out}), nil
			}
			return nil, errNotFoldable
		}
		out := make([]float32, len(x.f))
		for k, v := range x.f {
			switch n.op {
			case "Neg":
				out[k] = -v
			case "Sqrt":
				out[k] = float32(math.Sqrt(float64(v)))
			case "Relu":
				out[k] = max(v, 0)
			case "Sigmoid":
				out[k] = sigmoid32(v)
			case "Exp":
				out[k] = float32(math.Exp(float64(v)))
			}
		}
		return one(&ctensor{shape: x.shape, f: out}), nil
	case "ConstantOfShape":
		dims := x.ints()
		shape := make([]int, len(dims))
		for k, d := range dims {
			if d < 0 || d > maxElements {
				return nil, fmt.Errorf("%s: bad dimension %d", n, d)
			}
			shape[k] = int(d)
		}
		cnt, err := checkedNumel(shape)
		if err != nil || cnt > maxKnownElements {
			return nil, fmt.Errorf("%s: shape %v too large", n, shape)
		}
		out := &ctensor{shape: shape, f: make([]float32, cnt)}
		if a := n.attr("value"); a != nil && a.Tensor != nil {
			v, err := fromWeights(a.Tensor)
			if err != nil || v.len() != 1 {
				return nil, fmt.Errorf("%s: bad value attribute", n)
			}
			if v.isInt {
				out.isInt, out.f, out.i = true, nil, make([]int64, cnt)
				for k := range out.i {
					out.i[k] = v.i[0]
				}
			} else {
				for k := range out.f {
					out.f[k] = v.f[0]
				}
			}
		}
		return one(out), nil
	}
	return nil, errNotFoldable
}

func one(c *ctensor) []*ctensor { return []*ctensor{c} }

func clampRange(v, n int) int {
	if v < 0 {
		v += n
	}
	return min(max(v, 0), n)
}

// viewShape computes the output shape of the reshape-like operators, whose
// data is unchanged. extra are the known values of inputs 1.. (the Reshape
// target, or the axes input of opset-13 Squeeze/Unsqueeze); nil if absent.
func viewShape(n *node, in []int, extra []*ctensor, opset int) ([]int, error) {
	get := func(k int) *ctensor {
		if k < len(extra) {
			return extra[k]
		}
		return nil
	}
	total := numel(in)
	switch n.op {
	case "Reshape":
		t := get(0)
		if t == nil {
			return nil, fmt.Errorf("%s: shape input is not known before Run", n)
		}
		dims := t.ints()
		allowZero := n.attrInt("allowzero", 0) != 0
		out := make([]int, len(dims))
		infer, known := -1, 1
		for k, d := range dims {
			switch {
			case d == -1:
				if infer >= 0 {
					return nil, fmt.Errorf("%s: more than one -1 in %v", n, dims)
				}
				infer = k
				continue
			case d == 0 && !allowZero:
				if k >= len(in) {
					return nil, fmt.Errorf("%s: 0 at position %d beyond input rank %d", n, k, len(in))
				}
				out[k] = in[k]
			case d < 0 || d > maxElements:
				return nil, fmt.Errorf("%s: bad dimension %d", n, d)
			default:
				out[k] = int(d)
			}
			known *= out[k]
			if known > maxElements {
				return nil, fmt.Errorf("%s: shape %v too large", n, dims)
			}
		}
		if infer >= 0 {
			if known == 0 || total%known != 0 {
				return nil, fmt.Errorf("%s: cannot reshape %v to %v", n, in, dims)
			}
			out[infer] = total / known
		}
		if numel(out) != total {
			return nil, fmt.Errorf("%s: cannot reshape %v (%d elements) to %v", n, in, total, dims)
		}
		return out, nil
	case "Flatten":
		axis := n.attrInt("axis", 1)
		a := int(axis)
		if a < 0 {
			a += len(in)
		}
		if a < 0 || a > len(in) {
			return nil, fmt.Errorf("%s: axis %d out of range for rank %d", n, axis, len(in))
		}
		return []int{numel(in[:a]), numel(in[a:])}, nil
	case "Squeeze", "Unsqueeze":
		axes := n.attrInts("axes")
		if t := get(0); t != nil {
			axes = t.ints()
		} else if n.attr("axes") == nil && len(extra) > 0 && n.op == "Unsqueeze" {
			return nil, fmt.Errorf("%s: axes input is not known before Run", n)
		}
		if n.op == "Squeeze" {
			drop := make([]bool, len(in))
			if len(axes) == 0 {
				for k, d := range in {
					drop[k] = d == 1
				}
			}
			for _, ax := range axes {
				a, err := normAxis(ax, len(in))
				if err != nil {
					return nil, fmt.Errorf("%s: %w", n, err)
				}
				if in[a] != 1 {
					return nil, fmt.Errorf("%s: cannot squeeze axis %d of shape %v", n, a, in)
				}
				drop[a] = true
			}
			out := []int{}
			for k, d := range in {
				if !drop[k] {
					out = append(out, d)
				}
			}
			return out, nil
		}
		rank := len(in) + len(axes)
		ins := make([]bool, rank)
		for _, ax := range axes {
			a, err := normAxis(ax, rank)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", n, err)
			}
			if ins[a] {
				return nil, fmt.Errorf("%s: repeated axis %d", n, a)
			}
			ins[a] = true
		}
		out := make([]int, rank)
		j := 0
		for k := range out {
			if ins[k] {
				out[k] = 1
			} else {
				out[k] = in[j]
				j++
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: not a view operator", n)
}

func evalGather(n *node, x, idx *ctensor) ([]*ctensor, error) {
	if idx == nil {
		return nil, fmt.Errorf("%s: missing indices", n)
	}
	axis, err := normAxis(n.attrInt("axis", 0), len(x.shape))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n, err)
	}
	outer := numel(x.shape[:axis])
	inner := numel(x.shape[axis+1:])
	dim := x.shape[axis]
	ids := idx.ints()
	shape := append(append(append([]int{}, x.shape[:axis]...), idx.shape...), x.shape[axis+1:]...)
	out := &ctensor{shape: shape, isInt: x.isInt}
	cnt, err := checkedNumel(shape)
	if err != nil || cnt > maxKnownElements {
		return nil, fmt.Errorf("%s: output shape %v too large", n, shape)
	}
	if x.isInt {
		out.i = make([]int64, 0, cnt)
	} else {
		out.f = make([]float32, 0, cnt)
	}
	for o := 0; o < outer; o++ {
		for _, id := range ids {
			if id < 0 {
				id += int64(dim)
			}
			if id < 0 || id >= int64(dim) {
				return nil, fmt.Errorf("%s: index %d out of range for dimension %d", n, id, dim)
			}
			base := (o*dim + int(id)) * inner
			if x.isInt {
				out.i = append(out.i, x.i[base:base+inner]...)
			} else {
				out.f = append(out.f, x.f[base:base+inner]...)
			}
		}
	}
	return one(out), nil
}

func evalConcat(n *node, in []*ctensor) ([]*ctensor, error) {
	if len(in) == 0 || in[0] == nil {
		return nil, fmt.Errorf("%s: no inputs", n)
	}
	rank := len(in[0].shape)
	axis, err := normAxis(n.attrInt("axis", 0), rank)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n, err)
	}
	isInt := in[0].isInt
	shape := append([]int{}, in[0].shape...)
	shape[axis] = 0
	for _, t := range in {
		if t == nil || len(t.shape) != rank || t.isInt != isInt {
			return nil, fmt.Errorf("%s: inputs differ in rank or type", n)
		}
		for k := range shape {
			if k != axis && t.shape[k] != shape[k] {
				return nil, fmt.Errorf("%s: shapes %v and %v differ off axis %d", n, in[0].shape, t.shape, axis)
			}
		}
		shape[axis] += t.shape[axis]
	}
	out := &ctensor{shape: shape, isInt: isInt}
	outer := numel(shape[:axis])
	for o := 0; o < outer; o++ {
		for _, t := range in {
			blk := numel(t.shape[axis:])
			if isInt {
				out.i = append(out.i, t.i[o*blk:(o+1)*blk]...)
			} else {
				out.f = append(out.f, t.f[o*blk:(o+1)*blk]...)
			}
		}
	}
	return one(out), nil
}

func evalSlice(n *node, in []*ctensor, opset int) ([]*ctensor, error) {
	x := in[0]
	var starts, ends, axes, steps []int64
	if len(in) > 1 {
		for k, dst := range []*[]int64{&starts, &ends, &axes, &steps} {
			if k+1 < len(in) && in[k+1] != nil {
				*dst = in[k+1].ints()
			}
		}
	} else {
		starts, ends, axes = n.attrInts("starts"), n.attrInts("ends"), n.attrInts("axes")
	}
	if len(starts) != len(ends) {
		return nil, fmt.Errorf("%s: starts and ends differ in length", n)
	}
	rank := len(x.shape)
	lo := make([]int, rank)
	step := make([]int, rank)
	cnt := append([]int{}, x.shape...)
	for k := range step {
		step[k] = 1
	}
	for k := range starts {
		ax := int64(k)
		if axes != nil {
			if k >= len(axes) {
				return nil, fmt.Errorf("%s: axes shorter than starts", n)
			}
			ax = axes[k]
		}
		a, err := normAxis(ax, rank)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		st := int64(1)
		if steps != nil && k < len(steps) {
			st = steps[k]
		}
		if st == 0 {
			return nil, fmt.Errorf("%s: zero step", n)
		}
		d := int64(x.shape[a])
		s, e := starts[k], ends[k]
		if s < 0 {
			s += d
		}
		if e < 0 {
			e += d
		}
		if st > 0 {
			s, e = min(max(s, 0), d), min(max(e, 0), d)
		} else {
			s, e = min(max(s, -1), d-1), min(max(e, -1), d-1)
		}
		c := int64(0)
		if st > 0 && e > s {
			c = (e - s + st - 1) / st
		} else if st < 0 && s > e {
			c = (s - e - st - 1) / -st
		}
		lo[a], step[a], cnt[a] = int(s), int(st), int(c)
	}
	out := &ctensor{shape: cnt, isInt: x.isInt}
	total := numel(cnt)
	src := strides(x.shape)
	idx := make([]int, rank)
	for o := 0; o < total; o++ {
		off := 0
		for k := range idx {
			off += (lo[k] + idx[k]*step[k]) * src[k]
		}
		if x.isInt {
			out.i = append(out.i, x.i[off])
		} else {
			out.f = append(out.f, x.f[off])
		}
		for k := rank - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < cnt[k] {
				break
			}
			idx[k] = 0
		}
	}
	return one(out), nil
}

func transposePerm(n *node, rank int) ([]int, error) {
	p := n.attrInts("perm")
	perm := make([]int, rank)
	if p == nil {
		for k := range perm {
			perm[k] = rank - 1 - k
		}
		return perm, nil
	}
	if len(p) != rank {
		return nil, fmt.Errorf("%s: perm %v for rank %d", n, p, rank)
	}
	seen := make([]bool, rank)
	for k, v := range p {
		if v < 0 || int(v) >= rank || seen[v] {
			return nil, fmt.Errorf("%s: bad perm %v", n, p)
		}
		seen[v] = true
		perm[k] = int(v)
	}
	return perm, nil
}

func transposeConst(x *ctensor, perm []int) *ctensor {
	rank := len(x.shape)
	shape := make([]int, rank)
	for k, p := range perm {
		shape[k] = x.shape[p]
	}
	src := strides(x.shape)
	out := &ctensor{shape: shape, isInt: x.isInt}
	total := numel(shape)
	if x.isInt {
		out.i = make([]int64, total)
	} else {
		out.f = make([]float32, total)
	}
	idx := make([]int, rank)
	for o := 0; o < total; o++ {
		off := 0
		for k, p := range perm {
			off += idx[k] * src[p]
		}
		if x.isInt {
			out.i[o] = x.i[off]
		} else {
			out.f[o] = x.f[off]
		}
		for k := rank - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return out
}

func evalBinary(n *node, a, b *ctensor) ([]*ctensor, error) {
	if a == nil || b == nil {
		return nil, fmt.Errorf("%s: needs two inputs", n)
	}
	shape, err := broadcastShape(a.shape, b.shape)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n, err)
	}
	if cnt, err := checkedNumel(shape); err != nil || cnt > maxKnownElements {
		return nil, fmt.Errorf("%s: output shape %v too large", n, shape)
	}
	isInt := a.isInt && b.isInt
	rank := len(shape)
	ap, bp := padShape(a.shape, rank), padShape(b.shape, rank)
	as, bs := strides(ap), strides(bp)
	total := numel(shape)
	out := &ctensor{shape: shape, isInt: isInt}
	var af, bf []float32
	if isInt {
		out.i = make([]int64, total)
	} else {
		out.f = make([]float32, total)
		af, bf = a.floats(), b.floats()
	}
	idx := make([]int, rank)
	for o := 0; o < total; o++ {
		ia, ib := 0, 0
		for k := range idx {
			if ap[k] != 1 {
				ia += idx[k] * as[k]
			}
			if bp[k] != 1 {
				ib += idx[k] * bs[k]
			}
		}
		if isInt {
			x, y := a.i[ia], b.i[ib]
			switch n.op {
			case "Add":
				out.i[o] = x + y
			case "Sub":
				out.i[o] = x - y
			case "Mul":
				out.i[o] = x * y
			case "Div":
				if y == 0 {
					return nil, fmt.Errorf("%s: integer division by zero", n)
				}
				out.i[o] = x / y
			}
		} else {
			x, y := af[ia], bf[ib]
			switch n.op {
			case "Add":
				out.f[o] = x + y
			case "Sub":
				out.f[o] = x - y
			case "Mul":
				out.f[o] = x * y
			case "Div":
				out.f[o] = x / y
			}
		}
		for k := rank - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return one(out), nil
}
