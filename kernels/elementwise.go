package kernels

import (
	"fmt"
	"math"
)

// activate1 applies act to one value (slope is the channel's PReLU slope).
func activate1(v float32, act ActKind, slope float32) float32 {
	switch act {
	case ActReLU:
		if v < 0 {
			return 0
		}
	case ActPReLU:
		if v < 0 {
			return v * slope
		}
	case ActSigmoid:
		return sigmoid(v)
	}
	return v
}

// sigmoid is 1/(1+exp(-x)) with a float32 exp good to a couple of ulps;
// it saturates to exactly 0 and 1 for large |x|.
func sigmoid(x float32) float32 {
	return 1 / (1 + expf(-x))
}

// expf is e^x in float32 (Cephes expf): x = k·ln2 + r with |r| ≤ ln2/2,
// e^r by a degree-7 polynomial, 2^k put in the exponent bits. It is about
// four times faster than going through float64 math.Exp, which matters for
// the sigmoid heads of the detector. Results below the smallest normal
// float32 flush to 0; above the largest finite one they are +Inf. NaN
// propagates.
func expf(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	switch {
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -87.33654:
		return 0
	case x != x:
		return x
	}
	// k = x·log2(e) rounded to nearest by the 1.5·2²³ trick (|x·log2 e| <
	// 2²² here), not math.Floor, which is a call the loop cannot inline.
	const round = 12582912
	k := (x*log2e + round) - round
	r := x - k*ln2hi - k*ln2lo
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	p = p*r*r + r + 1
	// 2^k in two halves so k = 128 (x just below the overflow bound)
	// and k = -126 stay representable.
	h := int32(k) / 2
	s1 := math.Float32frombits(uint32(h+127) << 23)
	s2 := math.Float32frombits(uint32(int32(k)-h+127) << 23)
	return p * s1 * s2
}

// activateRow applies act in place to values of one channel. ReLU and
// PReLU are written with min/max rather than a sign test: activations are
// about half negative in no predictable pattern, and the mispredicted
// branches cost more than the arithmetic.
func activateRow(x []float32, act ActKind, slope float32) {
	switch act {
	case ActReLU:
		for i, v := range x {
			x[i] = max(v, 0)
		}
	case ActPReLU:
		preluRow(x, slope)
	case ActSigmoid:
		sigmoidInPlace(x)
	}
}

func sigmoidInPlace(x []float32) { sigmoidRow(x, x) }

// sigmoidRow sets out[i] = sigmoid(x[i]) (out may be x) with the level's
// kernel.
func sigmoidRow(out, x []float32) { sigmoidRowK(out, x) }

// sigmoidRowGo is the pure-Go sigmoidRowFunc.
func sigmoidRowGo(out, x []float32) {
	out = out[:len(x)]
	for i, v := range x {
		out[i] = sigmoid(v)
	}
}

// Activate applies ep.Act in place to one NCHW image of channels planes of
// planeSize values (ep.Slope[c] for PReLU). ep.Bias is not used.
func Activate(x []float32, ep *Epilogue, channels, planeSize int) {
	if ep == nil || ep.Act == ActNone {
		return
	}
	if len(x) < channels*planeSize {
		panic(fmt.Sprintf("kernels: Activate: %d values for %d×%d", len(x), channels, planeSize))
	}
	x = x[:channels*planeSize]
	if ep.Act == ActPReLU && len(ep.Slope) < channels {
		panic(fmt.Sprintf("kernels: Activate: %d PReLU slopes for %d channels", len(ep.Slope), channels))
	}
	for c := 0; c < channels; c++ {
		var s float32
		if ep.Act == ActPReLU {
			s = ep.Slope[c]
		}
		activateRow(x[c*planeSize:(c+1)*planeSize], ep.Act, s)
	}
}

// Softmax computes out = softmax(x) along an axis of length axisLen: x is
// viewed as outer × axisLen × inner. The maximum is subtracted before
// exponentiating so large logits do not overflow. out may alias x.
func Softmax(x []float32, outer, axisLen, inner int, out []float32) {
	n := outer * axisLen * inner
	if n == 0 {
		return
	}
	if len(x) < n || len(out) < n {
		panic(fmt.Sprintf("kernels: Softmax: %d/%d values for %d×%d×%d", len(x), len(out), outer, axisLen, inner))
	}
	for o := 0; o < outer; o++ {
		base := o * axisLen * inner
		for i := 0; i < inner; i++ {
			m := float32(math.Inf(-1))
			for a := 0; a < axisLen; a++ {
				m = max(m, x[base+a*inner+i])
			}
			var sum float64
			for a := 0; a < axisLen; a++ {
				e := math.Exp(float64(x[base+a*inner+i] - m))
				out[base+a*inner+i] = float32(e)
				sum += e
			}
			inv := 1 / sum
			for a := 0; a < axisLen; a++ {
				out[base+a*inner+i] = float32(float64(out[base+a*inner+i]) * inv)
			}
		}
	}
}

// BinaryOp is an elementwise arithmetic operator.
type BinaryOp uint8

// Binary operators.
const (
	OpAdd BinaryOp = iota
	OpSub
	OpMul
	OpDiv
)

// maxRank bounds the rank Binary and Transpose accept.
const maxRank = 8

// Binary computes out = a op b with numpy broadcasting: shapes are full-rank
// and of equal length (the engine left-pads with 1s); every dimension of a
// and b is 1 or the output's. Dimensions are first coalesced, so equal
// shapes, scalars and per-channel operands ([1,C,1,1] against [1,C,H,W])
// all end up as one long inner loop over contiguous memory. out may alias a
// or b when that operand has the output's shape.
func Binary(op BinaryOp, a []float32, aShape []int, b []float32, bShape []int, out []float32, outShape []int) {
	var j binaryJob
	if units := j.prepare(op, a, aShape, b, bShape, out, outShape); units > 0 {
		j.run(0, 0, units)
	}
}

// BinaryCtx is Binary with the work split over ctx's Pool when it is large
// enough to pay for the hand-off. Each output value is computed exactly as
// Binary computes it, so the results are identical.
func BinaryCtx(ctx *Ctx, op BinaryOp, a []float32, aShape []int, b []float32, bShape []int, out []float32, outShape []int) {
	p := ctx.pool()
	if p.Threads() == 1 {
		Binary(op, a, aShape, b, bShape, out, outShape)
		return
	}
	j := &ctx.jobs.binary
	if units := j.prepare(op, a, aShape, b, bShape, out, outShape); units > 0 {
		p.run(units, j.minGrain(), j)
	}
	*j = binaryJob{}
}

// binaryJob is one Binary call after its dimensions are coalesced: dims[0]
// is the innermost dimension, sa/sb the operands' strides (0 where
// broadcast). With one dimension its units are single values, otherwise
// rows of dims[0] values.
type binaryJob struct {
	op        BinaryOp
	a, b, out []float32
	dims      [maxRank]int
	sa, sb    [maxRank]int
	nd        int
}

// prepare validates and coalesces the shapes and returns the number of
// units (0 when there is nothing to do).
func (j *binaryJob) prepare(op BinaryOp, a []float32, aShape []int, b []float32, bShape []int, out []float32, outShape []int) int {
	r := len(outShape)
	if len(aShape) != r || len(bShape) != r || r > maxRank || op > OpDiv {
		panic(fmt.Sprintf("kernels: Binary: op %d shapes %v %v → %v", op, aShape, bShape, outShape))
	}
	var dims, sa, sb [maxRank]int
	nd := 0
	na, nb, n := 1, 1, 1
	for i := 0; i < r; i++ {
		d := outShape[i]
		if (aShape[i] != d && aShape[i] != 1) || (bShape[i] != d && bShape[i] != 1) || d < 0 {
			panic(fmt.Sprintf("kernels: Binary: shapes %v %v do not broadcast to %v", aShape, bShape, outShape))
		}
		na *= aShape[i]
		nb *= bShape[i]
		n *= d
	}
	if n == 0 {
		return 0
	}
	if len(a) < na || len(b) < nb || len(out) < n {
		panic(fmt.Sprintf("kernels: Binary: %d, %d, %d values for %v %v → %v", len(a), len(b), len(out), aShape, bShape, outShape))
	}
	// Strides of a and b in elements (0 where broadcast), innermost first
	// after reversal; coalesce neighbours that are contiguous in both.
	stA, stB := 1, 1
	for i := r - 1; i >= 0; i-- {
		d := outShape[i]
		if d == 1 {
			continue
		}
		xa, xb := 0, 0
		if aShape[i] != 1 {
			xa = stA
			stA *= d
		}
		if bShape[i] != 1 {
			xb = stB
			stB *= d
		}
		if nd > 0 {
			k := nd - 1
			if sa[k]*dims[k] == xa && sb[k]*dims[k] == xb {
				dims[k] *= d
				continue
			}
		}
		dims[nd], sa[nd], sb[nd] = d, xa, xb
		nd++
	}
	if nd == 0 { // all ones
		dims[0], nd = 1, 1
	}
	*j = binaryJob{op: op, a: a, b: b, out: out[:n], dims: dims, sa: sa, sb: sb, nd: nd}
	if nd == 1 {
		return n
	}
	return n / dims[0]
}

// minGrain is the fewest units worth handing to another worker.
func (j *binaryJob) minGrain() int {
	if j.nd == 1 {
		return eltGrain
	}
	return max(1, eltGrain/j.dims[0])
}

func (j *binaryJob) run(_, lo, hi int) {
	op, a, b, out := j.op, j.a, j.b, j.out
	ia, ib := j.sa[0], j.sb[0]
	if j.nd == 1 {
		binaryRow(op, a[lo*ia:], ia, b[lo*ib:], ib, out[lo:hi])
		return
	}
	dims, sa, sb, nd := &j.dims, &j.sa, &j.sb, j.nd
	inner := dims[0]
	// Odometer position of row lo.
	var idx [maxRank]int
	offA, offB := 0, 0
	for k, r := 1, lo; k < nd; k++ {
		idx[k] = r % dims[k]
		r /= dims[k]
		offA += idx[k] * sa[k]
		offB += idx[k] * sb[k]
	}
	for o := lo * inner; o < hi*inner; o += inner {
		binaryRow(op, a[offA:], ia, b[offB:], ib, out[o:o+inner])
		for k := 1; k < nd; k++ {
			idx[k]++
			offA += sa[k]
			offB += sb[k]
			if idx[k] < dims[k] {
				break
			}
			offA -= sa[k] * dims[k]
			offB -= sb[k] * dims[k]
			idx[k] = 0
		}
	}
}

// binaryRow computes out[i] = a[i*sa] op b[i*sb] with sa, sb ∈ {0, 1}.
func binaryRow(op BinaryOp, a []float32, sa int, b []float32, sb int, out []float32) {
	n := len(out)
	switch {
	case sa == 1 && sb == 1:
		a, b := a[:n], b[:n]
		switch op {
		case OpAdd:
			addRow(out, a, b)
		case OpSub:
			for i := range out {
				out[i] = a[i] - b[i]
			}
		case OpMul:
			for i := range out {
				out[i] = a[i] * b[i]
			}
		case OpDiv:
			for i := range out {
				out[i] = a[i] / b[i]
			}
		}
	case sa == 1:
		a, s := a[:n], b[0]
		switch op {
		case OpAdd:
			for i := range out {
				out[i] = a[i] + s
			}
		case OpSub:
			for i := range out {
				out[i] = a[i] - s
			}
		case OpMul:
			for i := range out {
				out[i] = a[i] * s
			}
		case OpDiv:
			for i := range out {
				out[i] = a[i] / s
			}
		}
	case sb == 1:
		s, b := a[0], b[:n]
		switch op {
		case OpAdd:
			for i := range out {
				out[i] = s + b[i]
			}
		case OpSub:
			for i := range out {
				out[i] = s - b[i]
			}
		case OpMul:
			for i := range out {
				out[i] = s * b[i]
			}
		case OpDiv:
			for i := range out {
				out[i] = s / b[i]
			}
		}
	default:
		var v float32
		switch op {
		case OpAdd:
			v = a[0] + b[0]
		case OpSub:
			v = a[0] - b[0]
		case OpMul:
			v = a[0] * b[0]
		case OpDiv:
			v = a[0] / b[0]
		}
		for i := range out {
			out[i] = v
		}
	}
}

// Transpose permutes the axes of in (shape) into out: output axis i is
// input axis perm[i]. Rank ≤ 8. Axes that stay adjacent and in order are
// merged first, and a unit-stride innermost axis is copied with copy().
func Transpose(in []float32, shape []int, perm []int, out []float32) {
	var j transposeJob
	if units := j.prepare(in, shape, perm, out); units > 0 {
		j.run(0, 0, units)
	}
}

// TransposeCtx is Transpose with the work split over ctx's Pool when it is
// large enough to pay for the hand-off; the results are identical.
func TransposeCtx(ctx *Ctx, in []float32, shape []int, perm []int, out []float32) {
	p := ctx.pool()
	if p.Threads() == 1 {
		Transpose(in, shape, perm, out)
		return
	}
	j := &ctx.jobs.transpose
	if units := j.prepare(in, shape, perm, out); units > 0 {
		p.run(units, j.minGrain(), j)
	}
	*j = transposeJob{}
}

// transposeJob is one Transpose after its output dimensions are coalesced
// (dims[0] innermost, st the input strides). With one dimension its units
// are single values, otherwise output rows of dims[0] values.
type transposeJob struct {
	in, out  []float32
	dims, st [maxRank]int
	nd       int
}

// prepare validates and coalesces and returns the number of units (0 when
// there is nothing more to do).
func (j *transposeJob) prepare(in []float32, shape []int, perm []int, out []float32) int {
	r := len(shape)
	if len(perm) != r || r > maxRank {
		panic(fmt.Sprintf("kernels: Transpose: shape %v perm %v", shape, perm))
	}
	var seen [maxRank]bool
	var inStride [maxRank]int
	n := 1
	for i := r - 1; i >= 0; i-- {
		if shape[i] < 0 {
			panic(fmt.Sprintf("kernels: Transpose: shape %v", shape))
		}
		inStride[i] = n
		n *= shape[i]
	}
	for _, p := range perm {
		if p < 0 || p >= r || seen[p] {
			panic(fmt.Sprintf("kernels: Transpose: bad perm %v", perm))
		}
		seen[p] = true
	}
	if n == 0 {
		return 0
	}
	if len(in) < n || len(out) < n {
		panic(fmt.Sprintf("kernels: Transpose: %d/%d values for shape %v", len(in), len(out), shape))
	}
	// Output dims (innermost first) with their input strides, coalesced.
	var dims, st [maxRank]int
	nd := 0
	for i := r - 1; i >= 0; i-- {
		d := shape[perm[i]]
		if d == 1 {
			continue
		}
		s := inStride[perm[i]]
		if nd > 0 && st[nd-1]*dims[nd-1] == s {
			dims[nd-1] *= d
			continue
		}
		dims[nd], st[nd] = d, s
		nd++
	}
	if nd == 0 {
		out[0] = in[0]
		return 0
	}
	*j = transposeJob{in: in, out: out[:n], dims: dims, st: st, nd: nd}
	if nd == 1 {
		return n
	}
	return n / dims[0]
}

func (j *transposeJob) minGrain() int {
	if j.nd == 1 {
		return eltGrain
	}
	return max(1, eltGrain/j.dims[0])
}

func (j *transposeJob) run(_, lo, hi int) {
	in, out := j.in, j.out
	is := j.st[0]
	if j.nd == 1 {
		transposeRow(out[lo:hi], in[lo*is:], is)
		return
	}
	dims, st, nd := &j.dims, &j.st, j.nd
	inner := dims[0]
	if nd == 2 && st[1] == 1 && inner <= transposeShort {
		j.run2D(lo, hi)
		return
	}
	var idx [maxRank]int
	off := 0
	for k, r := 1, lo; k < nd; k++ {
		idx[k] = r % dims[k]
		r /= dims[k]
		off += idx[k] * st[k]
	}
	for o := lo * inner; o < hi*inner; o += inner {
		transposeRow(out[o:o+inner], in[off:], is)
		for k := 1; k < nd; k++ {
			idx[k]++
			off += st[k]
			if idx[k] < dims[k] {
				break
			}
			off -= st[k] * dims[k]
			idx[k] = 0
		}
	}
}

// transposeShort is the longest output row run2D handles.
const transposeShort = 64

// run2D computes output rows [lo, hi) of a plain 2-D transpose (input rows
// of dims[1] values, st[0] apart; short output rows of dims[0] values),
// such as NCHW → NHWC of a detection head with a few channels. It is the
// general loop without its per-row call and index bookkeeping, which cost
// more than the copying for rows of 4-10 values: consecutive output rows
// read consecutive values of each input row, so the lines they touch stay
// in L1.
func (j *transposeJob) run2D(lo, hi int) {
	in, out := j.in, j.out
	rows, is := j.dims[0], j.st[0]
	in = in[:(rows-1)*is+hi]
	for p := lo; p < hi; p++ {
		o := out[p*rows : p*rows+rows]
		for c := range o {
			o[c] = in[c*is+p]
		}
	}
}

// transposeRow copies dst[i] = src[i*is].
func transposeRow(dst, src []float32, is int) {
	if is == 1 {
		copy(dst, src[:len(dst)])
		return
	}
	for i := range dst {
		dst[i] = src[i*is]
	}
}
