package kernels

import "sync"

// Depthwise convolution: channel c of the output is channel c of the input
// convolved with its own KH×KW filter, plus bias, then the activation. It
// has too little arithmetic per byte for GEMM to pay, so it runs directly on
// the planes: each output row is split into a border part (taps checked
// against the input bounds) and an interior part whose taps are all inside,
// which for 3×3 filters runs an unrolled nine-tap loop (stride 1 and 2).
// Channels are split across the Pool.

type depthwiseJob struct {
	c                    *Conv
	in, out              []float32
	inH, inW, outH, outW int
}

var depthwiseJobs = sync.Pool{New: func() any { return new(depthwiseJob) }}

func (c *Conv) runDepthwise(ctx *Ctx, in []float32, inH, inW int, out []float32, outH, outW int) {
	j := depthwiseJobs.Get().(*depthwiseJob)
	*j = depthwiseJob{c: c, in: in, out: out, inH: inH, inW: inW, outH: outH, outW: outW}
	// Aim for at least ~32K multiply-adds per chunk.
	per := max(outH*outW*c.p.KH*c.p.KW, 1)
	grain := max(1, (1<<15)/per)
	ctx.pool().run(c.p.OutC, grain, j)
	*j = depthwiseJob{}
	depthwiseJobs.Put(j)
}

func (j *depthwiseJob) run(_, lo, hi int) {
	c := j.c
	p := c.p
	taps := p.KH * p.KW
	inPlane, outPlane := j.inH*j.inW, j.outH*j.outW
	for ch := lo; ch < hi; ch++ {
		var b, s float32
		if c.bias != nil {
			b = c.bias[ch]
		}
		if c.slope != nil {
			s = c.slope[ch]
		}
		depthwisePlane(&p, j.in[ch*inPlane:(ch+1)*inPlane], j.inH, j.inW,
			c.w[ch*taps:(ch+1)*taps], b, c.act, s,
			j.out[ch*outPlane:(ch+1)*outPlane], j.outH, j.outW)
	}
}

// depthwisePlane convolves one plane.
func depthwisePlane(p *ConvParams, in []float32, inH, inW int, k []float32, bias float32, act ActKind, slope float32, out []float32, outH, outW int) {
	sh, sw, dh, dw := p.StrideH, p.StrideW, p.DilH, p.DilW
	kh, kw := p.KH, p.KW
	// Output columns [owLo, owHi) have every horizontal tap inside the row.
	owLo := min((p.PadLeft+sw-1)/sw, outW)
	owHi := outW
	if lim := inW - 1 - (kw-1)*dw + p.PadLeft; lim < 0 {
		owHi = 0
	} else {
		owHi = min(owHi, lim/sw+1)
	}
	if owHi < owLo {
		owHi = owLo
	}
	fast3 := kh == 3 && kw == 3 && dh == 1 && dw == 1
	for oh := 0; oh < outH; oh++ {
		orow := out[oh*outW : (oh+1)*outW]
		iy0 := oh*sh - p.PadTop
		// Taps ky in [kyA, kyB) fall inside the input.
		kyA := 0
		if iy0 < 0 {
			kyA = min((-iy0+dh-1)/dh, kh)
		}
		kyB := 0
		if lim := inH - 1 - iy0; lim >= 0 {
			kyB = min(lim/dh+1, kh)
		}
		depthwiseBorder(p, in, inH, inW, k, bias, orow, iy0, 0, owLo)
		switch {
		case fast3 && kyA == 0 && kyB == 3:
			r0 := in[iy0*inW : (iy0+1)*inW]
			r1 := in[(iy0+1)*inW : (iy0+2)*inW]
			r2 := in[(iy0+2)*inW : (iy0+3)*inW]
			k0, k1, k2, k3, k4, k5, k6, k7, k8 := k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8]
			x := owLo*sw - p.PadLeft
			for ow := owLo; ow < owHi; ow++ {
				a := r0[x : x+3 : x+3]
				b := r1[x : x+3 : x+3]
				c := r2[x : x+3 : x+3]
				v := bias + a[0]*k0 + a[1]*k1 + a[2]*k2 +
					b[0]*k3 + b[1]*k4 + b[2]*k5 +
					c[0]*k6 + c[1]*k7 + c[2]*k8
				orow[ow] = v
				x += sw
			}
		default:
			// Row by row over the taps that are inside.
			mid := orow[owLo:owHi]
			for i := range mid {
				mid[i] = bias
			}
			for ky := kyA; ky < kyB; ky++ {
				row := in[(iy0+ky*dh)*inW : (iy0+ky*dh+1)*inW]
				kr := k[ky*kw : (ky+1)*kw]
				x0 := owLo*sw - p.PadLeft
				if kw == 3 && dw == 1 {
					k0, k1, k2 := kr[0], kr[1], kr[2]
					for i := range mid {
						r := row[x0 : x0+3 : x0+3]
						mid[i] += r[0]*k0 + r[1]*k1 + r[2]*k2
						x0 += sw
					}
					continue
				}
				for i := range mid {
					var v float32
					x := x0
					for _, kv := range kr {
						v += row[x] * kv
						x += dw
					}
					mid[i] += v
					x0 += sw
				}
			}
		}
		depthwiseBorder(p, in, inH, inW, k, bias, orow, iy0, owHi, outW)
		activateRow(orow, act, slope)
	}
}

// depthwiseBorder computes output columns [ow0, ow1) of one row with every
// tap checked against the input bounds (no activation).
func depthwiseBorder(p *ConvParams, in []float32, inH, inW int, k []float32, bias float32, orow []float32, iy0, ow0, ow1 int) {
	for ow := ow0; ow < ow1; ow++ {
		x0 := ow*p.StrideW - p.PadLeft
		v := bias
		for ky := 0; ky < p.KH; ky++ {
			iy := iy0 + ky*p.DilH
			if uint(iy) >= uint(inH) {
				continue
			}
			row := in[iy*inW : (iy+1)*inW]
			for kx := 0; kx < p.KW; kx++ {
				ix := x0 + kx*p.DilW
				if uint(ix) < uint(inW) {
					v += row[ix] * k[ky*p.KW+kx]
				}
			}
		}
		orow[ow] = v
	}
}
