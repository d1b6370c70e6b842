package kernels

// Depthwise convolution: channel c of the output is channel c of the input
// convolved with its own KH×KW filter, plus bias, then the activation. It
// has too little arithmetic per byte for GEMM to pay, so it runs directly on
// the planes: each output row is split into a border part (taps checked
// against the input bounds) and an interior part whose taps are all inside,
// which for 3×3 filters runs an unrolled nine-tap loop (stride 1 and 2).
// When the CPU level has a vector 3×3 row kernel (dwRow3x3), 3×3 stride-1/2
// planes go through depthwisePadded instead. Channels are split across the
// Pool.
//
// Grouped convolutions with very few channels per group (convGroupedDirect,
// e.g. 64 groups of 2→2 channels) use the same code, one depthwise pass per
// input channel of the group: as per-group GEMMs they would be 64 GEMMs of
// two rows each, mostly padding of the micro-kernel's MR rows.

type depthwiseJob struct {
	c                    *Conv
	pool                 *Pool
	serial               []float32 // ctx.Scratch for the nil-Pool case
	in, out              []float32
	inH, inW, outH, outW int
}

func (c *Conv) runDepthwise(ctx *Ctx, in []float32, inH, inW int, out []float32, outH, outW int) {
	j := &ctx.jobsFor().dw
	*j = depthwiseJob{c: c, pool: ctx.pool(), in: in, out: out, inH: inH, inW: inW, outH: outH, outW: outW}
	if ctx != nil {
		j.serial = ctx.Scratch
	}
	// Aim for at least ~32K multiply-adds per chunk.
	per := max(outH*outW*c.p.KH*c.p.KW*(c.p.InC/c.p.Groups), 1)
	grain := max(1, (1<<15)/per)
	if per*c.p.OutC < 1<<17 {
		grain = c.p.OutC // too little work to be worth waking the workers
	}
	ctx.pool().run(c.p.OutC, grain, j)
	*j = depthwiseJob{}
}

func (j *depthwiseJob) run(w, lo, hi int) {
	c := j.c
	p := c.p
	taps := p.KH * p.KW
	inPlane, outPlane := j.inH*j.inW, j.outH*j.outW
	padded := dwRow3x3 != nil && depthwisePaddedOK(&p) && j.outW < depthwisePaddedMaxW
	cin := p.InC / p.Groups // 1 for depthwise
	mg := p.OutC / p.Groups
	size := 0
	if padded {
		size = depthwisePaddedScratch(&p, j.inH, j.inW)
	}
	if cin > 1 {
		size += outPlane // partial sums of the second and later input channels
	}
	var buf []float32
	if size > 0 {
		if j.pool != nil {
			buf = j.pool.workerScratch(w, size)
		} else if len(j.serial) >= size {
			buf = j.serial[:size]
		} else {
			buf = make([]float32, size)
			j.serial = buf
		}
	}
	for ch := lo; ch < hi; ch++ {
		var b, s float32
		if c.bias != nil {
			b = c.bias[ch]
		}
		if c.slope != nil {
			s = c.slope[ch]
		}
		out := j.out[ch*outPlane : (ch+1)*outPlane]
		g := ch / mg
		if cin == 1 {
			in := j.in[g*inPlane : (g+1)*inPlane]
			depthwiseOne(&p, in, j.inH, j.inW, c.w[ch*taps:(ch+1)*taps], b, c.act, s, out, j.outH, j.outW, padded, buf)
			continue
		}
		// Grouped with few channels per group: one depthwise pass per
		// input channel of the group, summed, then the activation.
		tmp := buf[len(buf)-outPlane:]
		for ci := 0; ci < cin; ci++ {
			in := j.in[(g*cin+ci)*inPlane : (g*cin+ci+1)*inPlane]
			k := c.w[(ch*cin+ci)*taps : (ch*cin+ci+1)*taps]
			if ci == 0 {
				depthwiseOne(&p, in, j.inH, j.inW, k, b, ActNone, 0, out, j.outH, j.outW, padded, buf)
				continue
			}
			depthwiseOne(&p, in, j.inH, j.inW, k, 0, ActNone, 0, tmp, j.outH, j.outW, padded, buf)
			addRow(out, out, tmp)
		}
		activateRow(out, c.act, s)
	}
}

// depthwiseOne convolves one input plane with one filter.
func depthwiseOne(p *ConvParams, in []float32, inH, inW int, k []float32, bias float32, act ActKind, slope float32, out []float32, outH, outW int, padded bool, buf []float32) {
	if padded {
		depthwisePadded(p, in, inH, inW, k, bias, act, slope, out, outH, outW, buf)
		return
	}
	depthwisePlane(p, in, inH, inW, k, bias, act, slope, out, outH, outW)
}

// depthwisePaddedMaxW is the output width from which depthwisePlane (row
// kernel on the rows' interiors, scalar borders) beats copying the plane
// into a padded buffer and back: on wide planes the borders are a small
// share and the copies would stream the plane through L2 twice more.
const depthwisePaddedMaxW = 48

// depthwisePaddedOK reports whether depthwisePadded applies: 3×3 taps,
// no dilation, stride 1 or 2 in both directions.
func depthwisePaddedOK(p *ConvParams) bool {
	return p.KH == 3 && p.KW == 3 && p.DilH == 1 && p.DilW == 1 &&
		p.StrideH == p.StrideW && (p.StrideW == 1 || p.StrideW == 2)
}

// depthwisePaddedGeom is the padded plane's size (Hp rows of Wp values)
// and the row pitch of the flat output buffer.
func depthwisePaddedGeom(p *ConvParams, inH, inW int) (hp, wp, pitch int) {
	hp = inH + p.PadTop + p.PadBottom
	wp = inW + p.PadLeft + p.PadRight
	if p.StrideW == 1 {
		return hp, wp, wp
	}
	_, outW := p.OutSize(inH, inW)
	return hp, wp, (outW + 15) &^ 15
}

// depthwiseSlack is how far past the padded plane the row kernel may read
// when it computes the junk outputs that round a stride-2 row up to a
// multiple of 16.
const depthwiseSlack = 64

// depthwisePaddedScratch is the scratch depthwisePadded needs: the padded
// plane (with a spare row and some slack so vector code can run to the end)
// and the flat output.
func depthwisePaddedScratch(p *ConvParams, inH, inW int) int {
	hp, wp, pitch := depthwisePaddedGeom(p, inH, inW)
	outH, _ := p.OutSize(inH, inW)
	return (hp+1)*wp + depthwiseSlack + outH*pitch
}

// depthwisePadded convolves one plane with the level's vector row kernel
// after copying it into a zero-bordered plane, where every tap is inside,
// so no border code runs and the vector kernel sees long rows:
//
//   - stride 1: output (oh, ow) reads taps at (oh·Wp + ow) + ky·Wp + kx, so
//     the whole plane is one "row" of outH·Wp outputs whose Wp-outW junk
//     values per row are dropped when copying out;
//   - stride 2: one call per output row, rounded up to 16 outputs (a whole
//     number of vector blocks at every level) into a flat buffer whose pitch
//     leaves room for the junk.
func depthwisePadded(p *ConvParams, in []float32, inH, inW int, k []float32, bias float32, act ActKind, slope float32, out []float32, outH, outW int, buf []float32) {
	hp, wp, pitch := depthwisePaddedGeom(p, inH, inW)
	padLen := (hp+1)*wp + depthwiseSlack
	pad := buf[:padLen]
	flat := buf[padLen : padLen+outH*pitch]
	clear(pad[:p.PadTop*wp])
	for y := 0; y < inH; y++ {
		row := pad[(p.PadTop+y)*wp : (p.PadTop+y+1)*wp]
		clear(row[:p.PadLeft])
		copy(row[p.PadLeft:], in[y*inW:(y+1)*inW])
		clear(row[p.PadLeft+inW:])
	}
	clear(pad[(p.PadTop+inH)*wp:])
	activate := act == ActReLU || act == ActPReLU
	s := slope
	if act != ActPReLU {
		s = 0
	}
	kk := (*[9]float32)(k)
	if p.StrideW == 1 {
		n := (outH-1)*pitch + outW
		dwRow3x3(flat[:n], pad, pad[wp:], pad[2*wp:], kk, 1, bias, s, activate)
	} else {
		for oh := 0; oh < outH; oh++ {
			r := 2 * oh * wp
			dwRow3x3(flat[oh*pitch:(oh+1)*pitch], pad[r:], pad[r+wp:], pad[r+2*wp:], kk, 2, bias, s, activate)
		}
	}
	for oh := 0; oh < outH; oh++ {
		orow := out[oh*outW : (oh+1)*outW]
		copy(orow, flat[oh*pitch:])
		if act == ActSigmoid {
			sigmoidInPlace(orow)
		}
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
	interior := fast3 && depthwiseSameInterior(p, in, inH, inW, k, bias, act, slope, out, outH, outW)
	for oh := 0; oh < outH; oh++ {
		if interior && oh > 0 && oh < outH-1 {
			continue
		}
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
		if fast3 {
			depthwiseBorder3x3(in, inW, k, bias, orow, iy0, kyA, kyB, sw, p.PadLeft, 0, owLo)
			depthwiseBorder3x3(in, inW, k, bias, orow, iy0, kyA, kyB, sw, p.PadLeft, owHi, outW)
		} else {
			depthwiseBorder(p, in, inH, inW, k, bias, orow, iy0, 0, owLo)
			depthwiseBorder(p, in, inH, inW, k, bias, orow, iy0, owHi, outW)
		}
		// The first and last output rows, whose top or bottom taps fall in
		// the padding, run the vector kernel too, on a zero row.
		zeroRows := fast3 && kyB-kyA >= 1 && (kyA > 0 || kyB < 3) &&
			(owHi-owLo-1)*sw+3+sw <= len(dwZeroRow)
		switch {
		case fast3 && (kyA == 0 && kyB == 3 || zeroRows) && dwRow3x3 != nil && (sw == 1 || sw == 2) && owHi > owLo:
			// The level's vector row kernel, activation fused (not sigmoid).
			activate := act == ActReLU || act == ActPReLU
			var s float32
			if act == ActPReLU {
				s = slope
			}
			// Whole multiples of 16 outputs (a number of vector blocks at
			// every level), then the last 16 again, overlapping, instead of
			// a scalar tail.
			// rows returns the three tap rows from output column o on.
			rows := func(o int) (r0, r1, r2 []float32) {
				var r [3][]float32
				x := o*sw - p.PadLeft
				for ky := range r {
					if ky < kyA || ky >= kyB {
						r[ky] = dwZeroRow[:]
						continue
					}
					r[ky] = in[(iy0+ky)*inW+x:]
				}
				return r[0], r[1], r[2]
			}
			n := owHi - owLo
			if n >= 16 && n%16 != 0 {
				n &^= 15
				o := owHi - 16
				r0, r1, r2 := rows(o)
				dwRow3x3(orow[o:owHi], r0, r1, r2, (*[9]float32)(k), sw, bias, s, activate)
			}
			r0, r1, r2 := rows(owLo)
			dwRow3x3(orow[owLo:owLo+n], r0, r1, r2, (*[9]float32)(k), sw, bias, s, activate)
			activateRow(orow[:owLo], act, slope)
			activateRow(orow[owHi:], act, slope)
			if act == ActSigmoid {
				sigmoidInPlace(orow[owLo:owHi])
			}
			continue // activated above
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
		activateRow(orow, act, slope)
	}
}

// depthwiseSameInterior computes output rows [1, outH-1) of a 3×3
// stride-1 convolution padded by 1 on every side (output size = input
// size) with one call of the vector row kernel, and reports whether it did.
//
// With equal widths W, output f = oh·W+ow reads input f-W-1+ky·W+kx for
// every row, so the interior rows form one long row for the kernel: only
// columns 0 and W-1, whose left or right taps wrap into the neighbouring
// row, come out wrong, and they are recomputed with the border code. This
// saves the per-row calls, which on YuNet's 80-320 wide planes cost as
// much as the arithmetic.
func depthwiseSameInterior(p *ConvParams, in []float32, inH, inW int, k []float32, bias float32, act ActKind, slope float32, out []float32, outH, outW int) bool {
	if dwRow3x3 == nil || act == ActSigmoid || p.StrideH != 1 || p.StrideW != 1 ||
		p.PadTop != 1 || p.PadBottom != 1 || p.PadLeft != 1 || p.PadRight != 1 ||
		outH != inH || outW != inW || outH < 3 || outW < 3 {
		return false
	}
	w := inW
	activate := act == ActReLU || act == ActPReLU
	var s float32
	if act == ActPReLU {
		s = slope
	}
	f0, f1 := w+1, (outH-1)*w-1
	dwRow3x3(out[f0:f1], in[f0-w-1:], in[f0-1:], in[f0+w-1:], (*[9]float32)(k), 1, bias, s, activate)
	for oh := 1; oh < outH-1; oh++ {
		orow := out[oh*w : (oh+1)*w]
		depthwiseBorder3x3(in, w, k, bias, orow, oh-1, 0, 3, 1, 1, 0, 1)
		depthwiseBorder3x3(in, w, k, bias, orow, oh-1, 0, 3, 1, 1, w-1, w)
		activateRow(orow[:1], act, slope)
		activateRow(orow[w-1:], act, slope)
	}
	return true
}

// dwZeroRow stands for a row of padding above or below the input plane
// when the vector row kernel computes the first or last output row.
var dwZeroRow [4096]float32

// depthwiseBorder3x3 is depthwiseBorder for 3×3 undilated filters whose
// taps in rows [kyA, kyB) are inside the input.
func depthwiseBorder3x3(in []float32, inW int, k []float32, bias float32, orow []float32, iy0, kyA, kyB, sw, pl, ow0, ow1 int) {
	k = k[:9]
	for ow := ow0; ow < ow1; ow++ {
		x0 := ow*sw - pl
		v := bias
		for ky := kyA; ky < kyB; ky++ {
			row := in[(iy0+ky)*inW : (iy0+ky+1)*inW]
			kr := k[ky*3 : ky*3+3 : ky*3+3]
			if uint(x0) < uint(inW) {
				v += row[x0] * kr[0]
			}
			if uint(x0+1) < uint(inW) {
				v += row[x0+1] * kr[1]
			}
			if uint(x0+2) < uint(inW) {
				v += row[x0+2] * kr[2]
			}
		}
		orow[ow] = v
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
