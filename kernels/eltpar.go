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
