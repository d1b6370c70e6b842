package kernels

import (
	"fmt"
	"math"
)

// PoolParams describes a 2-D pooling window (ONNX MaxPool/AvgPool
// attributes). Zero strides are taken as 1.
type PoolParams struct {
	KH, KW, StrideH, StrideW, PadTop, PadLeft, PadBottom, PadRight int
	CeilMode                                                       bool
}

// OutSize is the output plane size for an inH×inW input. With CeilMode the
// last window may hang over the bottom/right padding, but (as in ONNX
// Runtime and PyTorch) never starts inside it.
func (p PoolParams) OutSize(inH, inW int) (outH, outW int) {
	p = p.normalized()
	return poolOut(inH, p.KH, p.StrideH, p.PadTop, p.PadBottom, p.CeilMode),
		poolOut(inW, p.KW, p.StrideW, p.PadLeft, p.PadRight, p.CeilMode)
}

func poolOut(in, k, s, pa, pb int, ceil bool) int {
	span := in + pa + pb - k
	if span < 0 || k < 1 || s < 1 {
		return 0
	}
	if !ceil {
		return span/s + 1
	}
	out := (span+s-1)/s + 1
	if (out-1)*s >= in+pa {
		out--
	}
	return out
}

func (p PoolParams) normalized() PoolParams {
	if p.StrideH == 0 {
		p.StrideH = 1
	}
	if p.StrideW == 0 {
		p.StrideW = 1
	}
	return p
}

// poolJob runs one pooling operator over channels.
type poolJob struct {
	p                    PoolParams
	max                  bool
	includePad           bool
	in, out              []float32
	inH, inW, outH, outW int
}

// MaxPool2D takes the maximum over each window of each of the c planes of
// in (c×inH×inW) into out (c×outH×outW). Padding never wins.
func MaxPool2D(ctx *Ctx, p PoolParams, in []float32, c, inH, inW int, out []float32) {
	runPool(ctx, p, true, false, in, c, inH, inW, out)
}

// AvgPool2D averages each window. With countIncludePad the divisor counts
// the padding cells inside the (explicitly padded) input, as in ONNX
// count_include_pad=1; otherwise only the input cells the window covers.
func AvgPool2D(ctx *Ctx, p PoolParams, countIncludePad bool, in []float32, c, inH, inW int, out []float32) {
	runPool(ctx, p, false, countIncludePad, in, c, inH, inW, out)
}

func runPool(ctx *Ctx, p PoolParams, isMax, includePad bool, in []float32, c, inH, inW int, out []float32) {
	p = p.normalized()
	outH, outW := p.OutSize(inH, inW)
	if c <= 0 || outH*outW == 0 {
		return
	}
	if p.KH < 1 || p.KW < 1 || p.PadTop < 0 || p.PadLeft < 0 || p.PadBottom < 0 || p.PadRight < 0 {
		panic(fmt.Sprintf("kernels: pooling: bad params %+v", p))
	}
	if len(in) < c*inH*inW || len(out) < c*outH*outW {
		panic(fmt.Sprintf("kernels: pooling: %d/%d values for %d×%d×%d → %d×%d", len(in), len(out), c, inH, inW, outH, outW))
	}
	j := &ctx.jobsFor().pool
	*j = poolJob{p: p, max: isMax, includePad: includePad, in: in, out: out, inH: inH, inW: inW, outH: outH, outW: outW}
	grain := max(1, (1<<14)/max(outH*outW*p.KH*p.KW, 1))
	ctx.pool().run(c, grain, j)
	*j = poolJob{}
}

func (j *poolJob) run(_, lo, hi int) {
	p := &j.p
	inPlane, outPlane := j.inH*j.inW, j.outH*j.outW
	for ch := lo; ch < hi; ch++ {
		in := j.in[ch*inPlane : (ch+1)*inPlane]
		out := j.out[ch*outPlane : (ch+1)*outPlane]
		if j.max && p.KH == 2 && p.KW == 2 && p.StrideH == 2 && p.StrideW == 2 && p.PadTop == 0 && p.PadLeft == 0 {
			j.max2x2(in, out)
			continue
		}
		for oh := 0; oh < j.outH; oh++ {
			hs := oh*p.StrideH - p.PadTop
			he := min(hs+p.KH, j.inH+p.PadBottom)
			padH := he - hs
			y0, y1 := max(hs, 0), min(he, j.inH)
			for ow := 0; ow < j.outW; ow++ {
				ws := ow*p.StrideW - p.PadLeft
				we := min(ws+p.KW, j.inW+p.PadRight)
				padW := we - ws
				x0, x1 := max(ws, 0), min(we, j.inW)
				if j.max {
					m := float32(math.Inf(-1))
					for y := y0; y < y1; y++ {
						for _, v := range in[y*j.inW+x0 : y*j.inW+x1] {
							m = max(m, v)
						}
					}
					out[oh*j.outW+ow] = m
					continue
				}
				var s float32
				for y := y0; y < y1; y++ {
					for _, v := range in[y*j.inW+x0 : y*j.inW+x1] {
						s += v
					}
				}
				n := (y1 - y0) * (x1 - x0)
				if j.includePad {
					n = padH * padW
				}
				if n > 0 {
					s /= float32(n)
				}
				out[oh*j.outW+ow] = s
			}
		}
	}
}

// max2x2 is MaxPool 2×2 stride 2 without leading padding (the common
// down-sampling layer): whole windows are four loads and three max, and
// only a window cut by the bottom/right edge (ceil mode or trailing
// padding) takes the general path.
func (j *poolJob) max2x2(in, out []float32) {
	inW, outW := j.inW, j.outW
	fullW := min(outW, inW/2)
	for oh := 0; oh < j.outH; oh++ {
		orow := out[oh*outW : (oh+1)*outW]
		y := 2 * oh
		if y+1 < j.inH {
			r0 := in[y*inW : (y+1)*inW]
			r1 := in[(y+1)*inW : (y+2)*inW]
			maxRow2x2(orow[:fullW], r0, r1)
			if fullW < outW {
				j.maxWindows(in, orow, oh, fullW, outW)
			}
			continue
		}
		j.maxWindows(in, orow, oh, 0, outW)
	}
}

// maxWindows is the general max for windows [ow0, ow1) of output row oh.
func (j *poolJob) maxWindows(in, orow []float32, oh, ow0, ow1 int) {
	p := &j.p
	y0 := max(oh*p.StrideH-p.PadTop, 0)
	y1 := min(oh*p.StrideH-p.PadTop+p.KH, j.inH)
	for ow := ow0; ow < ow1; ow++ {
		x0 := max(ow*p.StrideW-p.PadLeft, 0)
		x1 := min(ow*p.StrideW-p.PadLeft+p.KW, j.inW)
		m := float32(math.Inf(-1))
		for y := y0; y < y1; y++ {
			for _, v := range in[y*j.inW+x0 : y*j.inW+x1] {
				m = max(m, v)
			}
		}
		orow[ow] = m
	}
}

// GlobalAvgPool averages each of the c planes of hw values of in into
// out[c], accumulating in float64.
func GlobalAvgPool(in []float32, c, hw int, out []float32) {
	if c <= 0 {
		return
	}
	if len(in) < c*hw || len(out) < c {
		panic(fmt.Sprintf("kernels: GlobalAvgPool: %d/%d values for %d×%d", len(in), len(out), c, hw))
	}
	for ch := 0; ch < c; ch++ {
		var s float64
		for _, v := range in[ch*hw : (ch+1)*hw] {
			s += float64(v)
		}
		if hw > 0 {
			s /= float64(hw)
		}
		out[ch] = float32(s)
	}
}
