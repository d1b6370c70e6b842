package kernels

// Direct first-layer convolution (convFirst): the 3×3 stride-2 convolution
// every face network here opens with, on an image of at most four
// channels. As im2col + GEMM it has K = 27, too short for the GEMM's
// packing and blocking to pay, and the im2col copy alone moves nine times
// the input. Here the convolution reads the input directly:
//
//   - each input row, zero-padded, is split into its even and odd columns
//     (E | O) in a per-worker buffer, a band of output rows at a time, so
//     output column x reads its three horizontal taps at E[x], O[x] and
//     E[x+1], each a contiguous vector load;
//   - a block kernel computes ocb output channels × width outputs of one
//     output row, multiplying each tap vector by each channel's weight
//     (broadcast into a register, or used by lane on NEON) into
//     accumulator registers, and stores them into the ocb output planes
//     with bias and ReLU/PReLU applied.
//
// Weights are packed at NewConv in blocks of the level's ocb channels,
// (ci, ky, kx) outer and the block's channels inner, padded with zero
// channels to a whole block.

// firstBlockFunc computes blocks·width outputs of one output row for one
// block of ocb output channels (the firstKernels contract in
// kernels/_asmgen/first.go). For input channel ci < cin and tap row ky < 3,
// E = in[ci·cstride + ky·pitch:] and O = E[half:]; output x reads E[x],
// O[x] and E[x+1], so E is read up to blocks·width (one value past the last
// block's start + width - 1) and O up to blocks·width - 1. For channel
// oc < ocb:
//
//	acc = bias[oc] + Σ_{ci,ky} Σ_{kx<3} w[((3ci+ky)·3+kx)·ocb + oc]·tap_kx[x]
//	if flags&1 != 0: acc = max(acc,0) + slope[oc]·min(acc,0)   (PReLU)
//	if flags&2 != 0: acc = max(acc,0)                           (ReLU)
//	out[oc·ldo + x] = acc
//
// All strides are in floats. A non-nil pf is a prefetch hint: each block
// prefetches 16·width bytes at pf + ci·pfStride for ci < cin and advances
// pf by as much, so a row of blocks pulls the raw input rows a later output
// row will split into cache while the arithmetic runs (the split otherwise
// waits on L3 for a good part of its time). The x86 kernels also prefetch
// their own output two blocks ahead, which saves the stores a wait.
type firstBlockFunc func(out *float32, ldo int, in *float32, pitch, half, cstride, cin int, w, bias, slope *float32, blocks int, flags uint, pf *float32, pfStride int)

// firstKernel is a level's first-layer kernel: its channel block, its
// block width and block function (nil: firstConvGo does all the work), and
// optionally a narrower block function of the same channel block for rows
// shorter than width.
type firstKernel struct {
	name        string
	ocb         int // output channels per block; weights are packed in blocks of ocb
	width       int // outputs per block
	fn          firstBlockFunc
	narrowWidth int
	narrow      firstBlockFunc
}

// firstKernelGo is the generic level's first-layer kernel.
var firstKernelGo = firstKernel{name: "go", ocb: 8, width: 1}

// firstConvKern is the first-layer kernel of the level in force; NewConv
// packs for it and the Conv keeps it.
var firstConvKern = firstKernelGo

// firstBand is the number of output rows a worker computes from one buffer
// of split rows: 2·firstBand+1 rows per channel (about 140 KB for a 640-wide
// RGB image). Each output row splits the two rows it is the first to need
// just before it runs; a band's first split row repeats the previous band's
// last.
const firstBand = 8

// firstConvOK reports whether p is a first layer convFirst handles: one
// group of at most four input channels, 3×3 taps, stride 2, no dilation,
// padding of at most one.
func firstConvOK(p *ConvParams) bool {
	return p.Groups == 1 && p.InC <= 4 && p.KH == 3 && p.KW == 3 &&
		p.StrideH == 2 && p.StrideW == 2 && p.DilH == 1 && p.DilW == 1 &&
		max(p.PadTop, p.PadLeft, p.PadBottom, p.PadRight) <= 1
}

// firstPacked is a convFirst layer's packed parameters.
type firstPacked struct {
	kern               firstKernel
	w                  []float32 // blocks × InC·9 × ocb
	bias, slope        []float32 // blocks × ocb (zeros where absent; slope zero for ReLU)
	flags              uint      // the block kernel's activation flags
	blocks, lastBlockC int       // channel blocks; real channels in the last one
}

// packFirst packs w (OutC × InC × 3 × 3) for the level's first-layer
// kernel.
func packFirst(p *ConvParams, w, bias []float32, act ActKind, slope []float32) *firstPacked {
	k := firstConvKern
	ocb, taps := k.ocb, p.InC*9
	nb := (p.OutC + ocb - 1) / ocb
	f := &firstPacked{
		kern: k, blocks: nb, lastBlockC: p.OutC - (nb-1)*ocb,
		w:     make([]float32, nb*taps*ocb),
		bias:  make([]float32, nb*ocb),
		slope: make([]float32, nb*ocb),
	}
	switch act {
	case ActReLU:
		f.flags = 2
	case ActPReLU:
		f.flags = 1
	}
	for oc := 0; oc < p.OutC; oc++ {
		b, j := oc/ocb, oc%ocb
		for t := 0; t < taps; t++ {
			f.w[(b*taps+t)*ocb+j] = w[oc*taps+t]
		}
		if bias != nil {
			f.bias[oc] = bias[oc]
		}
		if act == ActPReLU {
			f.slope[oc] = slope[oc]
		}
	}
	return f
}

// firstGeom is the layout of a worker's split rows for one input size.
type firstGeom struct {
	half  int // values per phase of a split row (E or O), ≥ outW+1
	pitch int // 2·half: one split row
	rows  int // split rows per channel: 2·band+1
	tmp   int // floats for a partial channel block's output rows (0 when none)
}

func (c *Conv) firstGeom(inH, inW int) firstGeom {
	outH, outW := c.p.OutSize(inH, inW)
	half := (outW + 1 + 15) &^ 15
	g := firstGeom{half: half, pitch: 2 * half, rows: 2*min(firstBand, outH) + 1}
	if c.first.lastBlockC != c.first.kern.ocb {
		g.tmp = c.first.kern.ocb * outW
	}
	return g
}

// firstScratch is the per-worker scratch of a convFirst layer.
func (c *Conv) firstScratch(inH, inW int) int {
	g := c.firstGeom(inH, inW)
	return c.p.InC*g.rows*g.pitch + g.tmp
}

// firstJob runs convFirst over output rows. Output row oh of channel oc
// goes to out[oc·ldo + (oh-row0)·outW]: the whole output plane (ldo =
// outH·outW, row0 = 0) in a Conv's Run, a strip of rows in a fused unit's
// buffer (PointDepth with a stem).
type firstJob struct {
	c                    *Conv
	pool                 *Pool
	serial               []float32 // ctx.Scratch for the nil-Pool case
	in, out              []float32
	inH, inW, outH, outW int
	ldo, row0            int
	g                    firstGeom
}

func (c *Conv) runFirst(ctx *Ctx, in []float32, inH, inW int, out []float32, outH, outW int) {
	j := &ctx.jobsFor().first
	*j = firstJob{c: c, pool: ctx.pool(), in: in, out: out, inH: inH, inW: inW, outH: outH, outW: outW,
		ldo: outH * outW, g: c.firstGeom(inH, inW)}
	if ctx != nil {
		j.serial = ctx.Scratch
	}
	// At least ~32K multiply-adds per chunk; small layers stay on one thread.
	perRow := max(outW*c.p.OutC*c.p.InC*9, 1)
	grain := max(1, (1<<15)/perRow)
	if perRow*outH < 1<<17 {
		grain = outH
	}
	ctx.pool().run(outH, grain, j)
	*j = firstJob{}
}

func (j *firstJob) run(w, lo, hi int) {
	c := j.c
	size := c.firstScratch(j.inH, j.inW)
	var buf []float32
	switch {
	case j.pool != nil:
		buf = j.pool.workerScratch(w, size)
	case len(j.serial) >= size:
		buf = j.serial[:size]
	default:
		buf = make([]float32, size)
		j.serial = buf
	}
	j.rows(buf, lo, hi)
}

// rows computes output rows [lo, hi) with buf (firstScratch floats) for
// the split input rows.
func (j *firstJob) rows(buf []float32, lo, hi int) {
	c, g := j.c, j.g
	split, tmp := buf[:len(buf)-g.tmp], buf[len(buf)-g.tmp:]
	cstride := g.rows * g.pitch
	for b0 := lo; b0 < hi; b0 += firstBand {
		b1 := min(b0+firstBand, hi)
		// Padded rows 2·b0 … 2·b1 (input rows shifted by PadTop) go to
		// split rows 0 … 2·(b1-b0), each just before its first use.
		j.splitRows(split, cstride, 0, 2*b0)
		for oh := b0; oh < b1; oh++ {
			i := oh - b0
			j.splitRows(split, cstride, 2*i+1, 2*oh+1)
			j.splitRows(split, cstride, 2*i+2, 2*oh+2)
			// Prefetch the raw rows output row oh+2 will split.
			var pf *float32
			if iy := 2*oh + 5 - c.p.PadTop; oh+2 < hi && iy >= 0 && iy < j.inH {
				pf = &j.in[iy*j.inW]
			}
			j.row(split[2*i*g.pitch:], oh, tmp, cstride, pf)
		}
	}
}

// splitRows splits padded row pr of every input channel into split row r.
func (j *firstJob) splitRows(split []float32, cstride, r, pr int) {
	for ci := 0; ci < j.c.p.InC; ci++ {
		j.splitRow(split[ci*cstride+r*j.g.pitch:][:j.g.pitch], ci, pr-j.c.p.PadTop)
	}
}

// splitRow writes input row iy of channel ci, padded on the left by
// PadLeft zeros and on the right by zeros to the end, as its even columns
// then its odd columns (dst[:half] and dst[half:]); rows outside the
// input are zeros.
func (j *firstJob) splitRow(dst []float32, ci, iy int) {
	if iy < 0 || iy >= j.inH {
		clear(dst)
		return
	}
	half, w := j.g.half, j.inW
	row := j.in[(ci*j.inH+iy)*w : (ci*j.inH+iy+1)*w]
	e, o := dst[:half], dst[half:]
	// Padded column 2i is E[i], 2i+1 is O[i]; input column x is padded
	// column x+PadLeft.
	n := w / 2
	if j.c.p.PadLeft == 0 {
		deintRow(e[:n], o[:n], row)
		if w%2 == 1 {
			e[n] = row[w-1]
		}
		clear(e[n+w%2:])
		clear(o[n:])
		return
	}
	e[0] = 0
	deintRow(o[:n], e[1:1+n], row)
	if w%2 == 1 {
		o[n] = row[w-1]
	}
	clear(e[1+n:])
	clear(o[n+w%2:])
}

// row computes output row oh for every channel block; in holds the row's
// split input rows (channel ci, tap row ky at ci·cstride + ky·pitch).
func (j *firstJob) row(in []float32, oh int, tmp []float32, cstride int, pf *float32) {
	f := j.c.first
	ocb, y := f.kern.ocb, (oh-j.row0)*j.outW
	for b := 0; b < f.blocks; b++ {
		nc := ocb
		dst, ldo := j.out[b*ocb*j.ldo+y:], j.ldo
		if b == f.blocks-1 && f.lastBlockC != ocb {
			nc = f.lastBlockC
			dst, ldo = tmp, j.outW
		}
		taps := j.c.p.InC * 9 * ocb
		firstRow(f, dst, ldo, in, j.g, cstride, j.c.p.InC, f.w[b*taps:(b+1)*taps], f.bias[b*ocb:(b+1)*ocb], f.slope[b*ocb:(b+1)*ocb], j.outW, pf, j.inH*j.inW)
		pf = nil // once per row
		for k := 0; k < nc; k++ {
			orow := j.out[(b*ocb+k)*j.ldo+y:][:j.outW]
			if nc != ocb {
				copy(orow, tmp[k*j.outW:(k+1)*j.outW])
			}
			if j.c.act == ActSigmoid {
				sigmoidInPlace(orow)
			}
		}
	}
}

// firstRow computes n outputs of one row for one channel block: whole
// blocks, then one more block ending at the last output (it recomputes a
// few outputs to the same values instead of a scalar tail), a narrow one
// when that covers the rest.
// Rows narrower than a block use the narrow block function, or
// firstConvGo when they are narrower still or the level has no block
// kernel. pf and pfStride are the prefetch hint of firstBlockFunc.
func firstRow(f *firstPacked, out []float32, ldo int, in []float32, g firstGeom, cstride, cin int, w, bias, slope []float32, n int, pf *float32, pfStride int) {
	k := f.kern
	fn, width := k.fn, k.width
	if n < width {
		fn, width = k.narrow, k.narrowWidth
	}
	if fn == nil || n < width {
		firstConvGo(out, ldo, in, g.pitch, g.half, cstride, cin, w, bias, slope, n, k.ocb, f.flags != 0)
		return
	}
	// The kernel reads E[0 … n] and O[0 … n-1] of each tap row and writes
	// out[oc·ldo + x] for x < n.
	_ = in[(cin-1)*cstride+2*g.pitch+g.half+n-1]
	_ = out[(k.ocb-1)*ldo+n-1]
	_ = w[cin*9*k.ocb-1]
	_, _ = bias[k.ocb-1], slope[k.ocb-1]
	blocks := n / width
	fn(&out[0], ldo, &in[0], g.pitch, g.half, cstride, cin, &w[0], &bias[0], &slope[0], blocks, f.flags, pf, pfStride)
	if rest := n - blocks*width; rest > 0 {
		if k.narrow != nil && rest <= k.narrowWidth && n >= k.narrowWidth {
			fn, width = k.narrow, k.narrowWidth
		}
		x := n - width
		fn(&out[x], ldo, &in[x], g.pitch, g.half, cstride, cin, &w[0], &bias[0], &slope[0], 1, f.flags, nil, 0)
	}
}

// firstConvGo is the pure-Go form of firstBlockFunc for n outputs (any n)
// and ocb channels, activate standing for flags&3 (ReLU when the slopes are
// zero); it does not prefetch.
func firstConvGo(out []float32, ldo int, in []float32, pitch, half, cstride, cin int, w, bias, slope []float32, n, ocb int, activate bool) {
	for oc := 0; oc < ocb; oc++ {
		o := out[oc*ldo : oc*ldo+n]
		for x := range o {
			o[x] = bias[oc]
		}
		for ci := 0; ci < cin; ci++ {
			for ky := 0; ky < 3; ky++ {
				e := in[ci*cstride+ky*pitch:][: n+1 : n+1]
				od := in[ci*cstride+ky*pitch+half:][:n:n]
				t := ((ci*3 + ky) * 3) * ocb
				k0, k1, k2 := w[t+oc], w[t+ocb+oc], w[t+2*ocb+oc]
				for x := range o {
					o[x] += k0*e[x] + k1*od[x] + k2*e[x+1]
				}
			}
		}
		if activate {
			s := slope[oc]
			for x, v := range o {
				if !(v > 0) {
					o[x] = v * s
				}
			}
		}
	}
}
