package kernels

import "fmt"

// eltGrain is the fewest output values of a memory-bound elementwise kernel
// (Binary, Transpose, Resize, Sigmoid) worth handing to another worker:
// below it the hand-off costs more than the copy or arithmetic it saves.
// Tests lower it so small cases split too.
var eltGrain = 1 << 14

// ResizeCtx is Resize with the channels split over ctx's Pool when the
// output is large enough to pay for the hand-off. Channels are resized
// independently, so the results are identical to Resize's.
func ResizeCtx(ctx *Ctx, p ResizeParams, in []float32, c, inH, inW int, out []float32, outH, outW int) {
	pool := ctx.pool()
	if pool.Threads() == 1 || c <= 1 || outH <= 0 || outW <= 0 || inH <= 0 || inW <= 0 {
		Resize(p, in, c, inH, inW, out, outH, outW)
		return
	}
	if err := p.Validate(); err != nil {
		panic(err.Error())
	}
	if len(in) < c*inH*inW || len(out) < c*outH*outW {
		panic(fmt.Sprintf("kernels: Resize: %d/%d values for %d×%d×%d → %d×%d", len(in), len(out), c, inH, inW, outH, outW))
	}
	j := &ctx.jobs.resize
	*j = resizeJob{p: p, in: in, out: out, inH: inH, inW: inW, outH: outH, outW: outW}
	pool.run(c, max(1, eltGrain/(outH*outW)), j)
	*j = resizeJob{}
}

// resizeJob resizes a range of channels.
type resizeJob struct {
	p                    ResizeParams
	in, out              []float32
	inH, inW, outH, outW int
}

func (j *resizeJob) run(_, lo, hi int) {
	ip, op := j.inH*j.inW, j.outH*j.outW
	Resize(j.p, j.in[lo*ip:hi*ip], hi-lo, j.inH, j.inW, j.out[lo*op:hi*op], j.outH, j.outW)
}

// Sigmoid computes out = 1/(1+exp(-x)) elementwise, split over ctx's Pool
// when x is large enough. out may alias x.
func Sigmoid(ctx *Ctx, x, out []float32) {
	if len(out) < len(x) {
		panic(fmt.Sprintf("kernels: Sigmoid: %d values into %d", len(x), len(out)))
	}
	var j *sigmoidJob
	if ctx == nil {
		j = new(sigmoidJob)
	} else {
		j = &ctx.jobs.sigmoid
	}
	*j = sigmoidJob{x: x, out: out[:len(x)]}
	ctx.pool().run(len(x), eltGrain, j)
	*j = sigmoidJob{}
}

// sigmoidJob applies the sigmoid to a range of values.
type sigmoidJob struct{ x, out []float32 }

func (j *sigmoidJob) run(_, lo, hi int) {
	sigmoidRow(j.out[lo:hi], j.x[lo:hi])
}

// up2Block is about how many output values Up2Add stages at a time: enough
// rows that one add call covers many of them, few enough to stay in L1.
const up2Block = 1024

// up2Rows is how many rows of a w-wide input Up2Add stages at a time.
func up2Rows(w int) int { return max(1, up2Block/(4*w)) }

// Up2AddScratch is the number of floats of ctx.Scratch Up2Add needs for
// inputs w values wide when it runs without a Pool.
func Up2AddScratch(w int) int { return 4 * w * up2Rows(w) }

// Up2Add computes one image of out = Resize(a) + b where the Resize is
// nearest-neighbour up-sampling by 2 (ResizeDoubles): a is c×h×w, b and
// out are c×2h×2w, and out may alias b. It is a feature pyramid's
// up-sample and merge in one pass: the up-sampled plane, four times the
// size of a, is never written out and read back. A few rows of a at a
// time are up-sampled into a scratch block with the row kernels Resize
// uses, and added to b's rows in one call of the kernel Binary uses, so
// the result is bit for bit the two operators' (float addition is
// commutative, so the operand order of the Add does not matter). Rows are
// split over ctx's Pool.
func Up2Add(ctx *Ctx, a []float32, c, h, w int, b, out []float32) {
	rows := c * h
	if rows <= 0 || w <= 0 {
		return
	}
	if len(a) < rows*w || len(b) < 4*rows*w || len(out) < 4*rows*w {
		panic(fmt.Sprintf("kernels: Up2Add: %d/%d/%d values for %d×%d×%d", len(a), len(b), len(out), c, h, w))
	}
	var j *up2AddJob
	if ctx == nil {
		j = new(up2AddJob)
	} else {
		j = &ctx.jobs.up2add
	}
	*j = up2AddJob{a: a, b: b, out: out, w: w, pool: ctx.pool()}
	if ctx != nil {
		j.serial = ctx.Scratch
	}
	ctx.pool().run(rows, max(1, eltGrain/(4*w)), j)
	*j = up2AddJob{}
}

// up2AddJob is one Up2Add call; its units are rows of a. Row r of a
// (channel r/h, row r%h) becomes output rows 2r and 2r+1.
type up2AddJob struct {
	a, b, out []float32
	w         int
	pool      *Pool
	serial    []float32
}

func (j *up2AddJob) run(wk, lo, hi int) {
	w, ow, block := j.w, 2*j.w, up2Rows(j.w)
	size := Up2AddScratch(w)
	var t []float32
	switch {
	case j.pool != nil:
		t = j.pool.workerScratch(wk, size)
	case len(j.serial) >= size:
		t = j.serial[:size]
	default:
		t = make([]float32, size)
	}
	for r0 := lo; r0 < hi; r0 += block {
		n := min(block, hi-r0)
		// Double the columns of n rows into the front of t, then spread
		// them out from the last: row i goes to rows 2i and 2i+1, which
		// lie at or after it, so no row is overwritten before it is read.
		dupRow(t[:n*ow], j.a[r0*w:(r0+n)*w])
		for i := n - 1; i >= 0; i-- {
			src := t[i*ow : (i+1)*ow]
			copy(t[(2*i+1)*ow:(2*i+2)*ow], src)
			if i > 0 {
				copy(t[2*i*ow:(2*i+1)*ow], src)
			}
		}
		o, m := 2*r0*ow, 2*n*ow
		addRow(j.out[o:o+m], t[:m], j.b[o:o+m])
	}
}
