package kernels

import (
	"errors"
	"fmt"
)

// PointDepth is a 1×1 convolution followed by a 3×3 stride-1 depthwise
// convolution padded by one on every side (the "pointwise + depthwise" unit
// of YuNet and the MobileNet family), optionally followed by a 2×2 stride-2
// max pool, computed together in strips of output rows.
//
// Run separately, each layer streams its whole output through memory and
// the next reads it back: at YuNet's 16×320×320 and 64×160×160 those are
// 6.5 MB planes, well past L2 (fusing the units took YuNet 640 from 7.5 to
// 6.3 ms when it was introduced). Here, for a strip of R output rows, the
// 1×1 convolution writes its R+2 rows (one above, one below) into a
// per-worker buffer that stays in L2, the depthwise convolution reads them
// from there, and the pool reduces the strip before it is stored; the next
// strip keeps the last two rows of the buffer instead of recomputing them.
// Workers take bands of consecutive strips; each band computes its own
// first halo rows.
//
// The results are those of the three layers run one after another, up to
// float rounding differences of the same kernels (the same micro-kernel,
// depthwise row kernel and pool row kernel run on the same values).
//
// A unit's input rows may also be computed strip by strip into its input
// buffer instead of read from a plane in memory: by a stem (WithStem), the
// network's first layer, or by a 2×2 max pool of the plane before it
// (WithInputPool).
type PointDepth struct {
	stem   *Conv // nil, or a first layer (convFirst) computing the input rows
	inPool bool  // the input rows are the 2×2 stride-2 max pool of the input
	pw, dw *Conv
	pool   bool
}

// NewPointDepth fuses pw (1×1, stride 1, unpadded, one group) with dw (3×3
// depthwise over pw's output channels, stride 1, padding 1, no dilation,
// activation none/ReLU/PReLU) and, with pool, a 2×2 stride-2 unpadded max
// pool (floor mode). Both convolutions stay owned by the caller and may be
// shared.
func NewPointDepth(pw, dw *Conv, pool bool) (*PointDepth, error) {
	if pw == nil || dw == nil {
		return nil, errors.New("kernels: point-depth: nil convolution")
	}
	if pw.kind != convDirect || pw.p.Groups != 1 {
		return nil, errors.New("kernels: point-depth: first convolution is not 1×1 stride 1 unpadded")
	}
	q := dw.p
	switch {
	case dw.kind != convDepthwise || q.InC != pw.p.OutC:
		return nil, fmt.Errorf("kernels: point-depth: second convolution is not depthwise over %d channels", pw.p.OutC)
	case q.KH != 3 || q.KW != 3 || q.StrideH != 1 || q.StrideW != 1 || q.DilH != 1 || q.DilW != 1:
		return nil, errors.New("kernels: point-depth: depthwise filter is not 3×3 stride 1")
	case q.PadTop != 1 || q.PadLeft != 1 || q.PadBottom != 1 || q.PadRight != 1:
		return nil, errors.New("kernels: point-depth: depthwise padding is not 1")
	case dw.act == ActSigmoid:
		return nil, errors.New("kernels: point-depth: sigmoid after the depthwise convolution")
	}
	return &PointDepth{pw: pw, dw: dw, pool: pool}, nil
}

// WithStem returns the unit computed on the output of stem, a first layer
// (3×3 stride 2 on an image of at most four channels, see firstconv.go)
// with the unit's input channels. Its output, the largest plane of a face
// network (16×320×320 floats, 6.5 MB, in YuNet 640), is then never
// written out and read back: each strip's input rows are computed by the
// stem into the buffer the 1×1 convolution reads, where they stay in L2.
func (f *PointDepth) WithStem(stem *Conv) (*PointDepth, error) {
	switch {
	case stem == nil || stem.kind != convFirst:
		return nil, errors.New("kernels: point-depth: stem is not a first layer (3×3 stride 2 on ≤ 4 channels)")
	case stem.p.OutC != f.pw.p.InC:
		return nil, fmt.Errorf("kernels: point-depth: stem has %d output channels, the unit reads %d", stem.p.OutC, f.pw.p.InC)
	case f.stem != nil || f.inPool:
		return nil, errors.New("kernels: point-depth: unit computes its input already")
	}
	return &PointDepth{stem: stem, pw: f.pw, dw: f.dw, pool: f.pool}, nil
}

// WithInputPool returns the unit computed on the 2×2 stride-2 max pool
// (unpadded, floor mode) of its input: each strip's input rows are pooled
// into the buffer the 1×1 convolution reads, so the pooled plane is never
// written out and read back. YuNet pools the outputs of two units that the
// feature pyramid also reads unpooled, so the pool cannot join the unit
// before it.
func (f *PointDepth) WithInputPool() (*PointDepth, error) {
	if f.stem != nil || f.inPool {
		return nil, errors.New("kernels: point-depth: unit computes its input already")
	}
	return &PointDepth{inPool: true, pw: f.pw, dw: f.dw, pool: f.pool}, nil
}

// HasInputPool reports whether the unit pools its input (WithInputPool).
func (f *PointDepth) HasInputPool() bool { return f.inPool }

// HasStem reports whether the unit computes its input with a stem.
func (f *PointDepth) HasStem() bool { return f.stem != nil }

// unitSize is the size of the 1×1 convolution's input planes for an h×w
// input: the stem's output size, the pooled size, or h×w.
func (f *PointDepth) unitSize(h, w int) (uh, uw int) {
	switch {
	case f.stem != nil:
		return f.stem.p.OutSize(h, w)
	case f.inPool:
		return h / 2, w / 2
	}
	return h, w
}

// MACs is the number of multiply-adds for one h×w input.
func (f *PointDepth) MACs(h, w int) int64 {
	uh, uw := f.unitSize(h, w)
	n := int64(max(uh, 0)) * int64(max(uw, 0))
	macs := n * int64(f.pw.p.OutC) * int64(f.pw.p.InC+9)
	if s := f.stem; s != nil {
		macs += n * int64(s.p.OutC) * int64(s.p.InC*9)
	}
	return macs
}

// OutShape is the output (channels, rows, columns) for an h×w input.
func (f *PointDepth) OutShape(h, w int) (c, oh, ow int) {
	h, w = f.unitSize(h, w)
	if f.pool {
		return f.dw.p.OutC, h / 2, w / 2
	}
	return f.dw.p.OutC, h, w
}

// InC is the number of input channels.
func (f *PointDepth) InC() int {
	if f.stem != nil {
		return f.stem.p.InC
	}
	return f.pw.p.InC
}

// HasPool reports whether a 2×2 max pool is fused.
func (f *PointDepth) HasPool() bool { return f.pool }

// stripRows is the number of output rows per strip for an h×w input: the
// 1×1 output of a strip (rows+2 rows of all channels) is kept near 256 KiB,
// a quarter of L2, so it, the depthwise output and the input rows being
// read stay in L2 together. Even, so pooled strips hold whole row pairs.
func (f *PointDepth) stripRows(h, w int) int {
	c := f.pw.p.OutC
	r := (1<<16)/max(c*w, 1) - 2
	r = max(r&^1, 2)
	return min(r, max(h+h%2, 2))
}

// workScratch is what one worker needs for an h×w input: the 1×1 strip
// buffer, the depthwise strip (only when pooling without a pooled
// whole-rows kernel), the copy (or the stem's output) of the strip's input
// rows, the GEMM's packing space for one strip and the stem's scratch.
func (f *PointDepth) workScratch(inH, inW int) (t, u, b, g, s int) {
	h, w := f.unitSize(inH, inW)
	r := f.stripRows(h, w)
	c := f.pw.p.OutC
	t = c * (r + 2) * w
	if f.pool && dwPlanePool == nil {
		u = c * r * w
	}
	// A band's first strip computes up to r+2 rows.
	if f.stem != nil || f.inPool || stripCopies(f.pw.p.InC, h*w) {
		b = f.pw.p.InC * stripPitch((r+2)*w)
	}
	g = gemmBlockScratch(f.pw.a[0].kern, f.pw.a[0].k, gemmColBlock(f.pw.a[0].kern.nr, (r+2)*w, 1))
	if f.stem != nil {
		s = f.stem.firstScratch(inH, inW)
	}
	return t, u, b, g, s
}

// stripCopies reports whether the strip's input rows are copied before the
// 1×1 convolution (see stripPitch): measured on YuNet's units, it pays for
// reductions of 32 and more over planes a multiple of 4 KiB apart, and
// costs 4-10% otherwise.
func stripCopies(k, plane int) bool { return k >= 32 && plane%1024 == 0 }

// stripPitch is the row pitch of the copy of a strip's input rows, n values
// per channel: a multiple of 16 floats whose quotient is odd, so the K rows
// the micro-kernel reads together fall into K different L1 cache sets.
// Read in place, the input planes are 4 KiB-aligned multiples apart in
// YuNet (160×160 and 320×320 floats are exact multiples of 4 KiB, 80×80 of
// 1 KiB) and all K rows of a B panel compete for one to four sets, so every
// A panel re-read B from L2; copying the strip's rows (contiguous runs, a
// few percent of the GEMM's time) removes that.
func stripPitch(n int) int {
	p := (n + 15) &^ 15
	if p/16%2 == 0 {
		p += 16
	}
	return p
}

// ScratchSize is the number of floats of ctx.Scratch Run needs for an h×w
// input when it runs without a Pool.
func (f *PointDepth) ScratchSize(h, w int) int {
	t, u, b, g, s := f.workScratch(h, w)
	return t + u + b + g + s
}

// Run computes one image: in is InC×h×w, out is OutShape(h, w).
func (f *PointDepth) Run(ctx *Ctx, in []float32, inH, inW int, out []float32) {
	c, oh, ow := f.OutShape(inH, inW)
	if len(in) < f.InC()*inH*inW || len(out) < c*oh*ow {
		panic(fmt.Sprintf("kernels: point-depth: input %d or output %d values too short for %dx%dx%d → %dx%dx%d",
			len(in), len(out), f.InC(), inH, inW, c, oh, ow))
	}
	h, w := f.unitSize(inH, inW)
	if h <= 0 || w <= 0 || oh*ow == 0 {
		return
	}
	r := f.stripRows(h, w)
	threads := ctx.pool().Threads()
	if threads > 1 {
		// Planes of fewer strips than threads: one equal strip per thread
		// (even, for pooling), not one big and one small.
		per := (h + threads - 1) / threads
		r = min(r, max(per+per%2, 2))
	}
	strips := (h + r - 1) / r
	j := &ctx.jobsFor().pwdw
	*j = pointDepthJob{f: f, pool: ctx.pool(), in: in, out: out, inH: inH, inW: inW, h: h, w: w, r: r, gemm: j.gemm}
	if ctx != nil {
		j.serial = ctx.Scratch
	}
	if len(j.gemm) < threads {
		j.gemm = make([]gemmJob, threads)
	}
	// Too little work to share: one band on the caller.
	grain := (strips + threads - 1) / threads
	if f.MACs(inH, inW) < gemmParallelMACs {
		grain = strips
	}
	ctx.pool().run(strips, grain, j)
	gemm := j.gemm
	for i := range gemm {
		gemm[i] = gemmJob{}
	}
	*j = pointDepthJob{gemm: gemm}
}

// pointDepthJob is one PointDepth.Run split into strips of r rows.
type pointDepthJob struct {
	f        *PointDepth
	pool     *Pool
	serial   []float32
	in, out  []float32
	inH, inW int       // input size (the stem's input with a stem)
	h, w, r  int       // size of the 1×1 convolution's input planes, rows per strip
	gemm     []gemmJob // per worker; kept between runs
}

// run computes strips [lo, hi) as one band.
func (j *pointDepthJob) run(wk, lo, hi int) {
	f, h, w, r := j.f, j.h, j.w, j.r
	c := f.pw.p.OutC
	tn, un, bn, gn, sn := f.workScratch(j.inH, j.inW)
	size := tn + un + bn + gn + sn
	var buf []float32
	if j.pool != nil {
		buf = j.pool.workerScratch(wk, size)
	} else if len(j.serial) >= size {
		buf = j.serial[:size]
	} else {
		buf = make([]float32, size)
		j.serial = buf
	}
	t, u, bbuf := buf[:tn], buf[tn:tn+un], buf[tn+un:tn+un+bn]
	gbuf, sbuf := buf[tn+un+bn:tn+un+bn+gn], buf[tn+un+bn+gn:]
	tp := (r + 2) * w // per-channel pitch of t: rows r0-1 … r0+r
	g := &j.gemm[wk]
	pw := f.pw
	ep := Epilogue{Bias: pw.bias, Act: pw.act, Slope: pw.slope}
	plane := h * w
	copyB := stripCopies(pw.p.InC, plane)
	// pointwise computes image rows [a, b) into t rows from ta on.
	pointwise := func(a, b, ta int) {
		if b <= a {
			return
		}
		n := (b - a) * w
		var src bSource
		switch {
		case f.stem != nil:
			ldb := stripPitch(n)
			fj := firstJob{c: f.stem, in: j.in, out: bbuf, inH: j.inH, inW: j.inW, outH: h, outW: w,
				ldo: ldb, row0: a, g: f.stem.firstGeom(j.inH, j.inW)}
			fj.rows(sbuf, a, b)
			src = bSource{kind: bPlain, b: bbuf, ldb: ldb}
		case f.inPool:
			ldb := stripPitch(n)
			iw, iplane := j.inW, j.inH*j.inW
			for ci := 0; ci < pw.p.InC; ci++ {
				for y := a; y < b; y++ {
					r0 := j.in[ci*iplane+2*y*iw:]
					maxRow2x2(bbuf[ci*ldb+(y-a)*w:][:w], r0[:2*w], r0[iw:iw+2*w])
				}
			}
			src = bSource{kind: bPlain, b: bbuf, ldb: ldb}
		case copyB:
			ldb := stripPitch(n)
			for ci := 0; ci < pw.p.InC; ci++ {
				copy(bbuf[ci*ldb:ci*ldb+n], j.in[ci*plane+a*w:ci*plane+b*w])
			}
			src = bSource{kind: bPlain, b: bbuf, ldb: ldb}
		default:
			src = bSource{kind: bPlain, b: j.in[a*w:], ldb: plane}
		}
		g.setup(nil, pw.a[0], src, n, t[ta*w:], tp, &ep)
		g.serial = gbuf
		g.exec()
	}
	zeroRows := func(ta, tb int) {
		for ch := 0; ch < c; ch++ {
			clear(t[ch*tp+ta*w : ch*tp+tb*w])
		}
	}
	for s := lo; s < hi; s++ {
		r0 := s * r
		rs := min(r, h-r0) // rows in this strip
		// t row i holds image row r0-1+i, for i in [0, rs+2).
		if s == lo {
			a := max(r0-1, 0)
			pointwise(a, min(r0+rs+1, h), a-(r0-1))
			if r0 == 0 {
				zeroRows(0, 1)
			}
		} else {
			// The previous strip (always r rows) ended with image rows
			// r0-1 and r0 in t rows r and r+1.
			for ch := 0; ch < c; ch++ {
				copy(t[ch*tp:ch*tp+2*w], t[ch*tp+r*w:ch*tp+(r+2)*w])
			}
			pointwise(r0+1, min(r0+rs+1, h), 2)
		}
		if r0+rs == h {
			zeroRows(rs+1, rs+2)
		}
		for ch := 0; ch < c; ch++ {
			tc := t[ch*tp : ch*tp+(rs+2)*w]
			if f.pool && dwPlanePool != nil {
				// Convolved and pooled in one pass (an odd last row,
				// which the pool drops, is not computed).
				ow := w / 2
				o := ch*(h/2)*ow + r0/2*ow
				f.depthwisePoolStrip(ch, tc, w, rs&^1, j.out[o:])
				continue
			}
			var dst []float32
			if f.pool {
				dst = u[ch*r*w : ch*r*w+rs*w]
			} else {
				dst = j.out[ch*plane+r0*w : ch*plane+(r0+rs)*w]
			}
			f.depthwiseStrip(ch, tc, w, rs, dst)
			if f.pool {
				ow := w / 2
				op := (h / 2) * ow
				for y := 0; y+1 < rs; y += 2 {
					o := ch*op + (r0+y)/2*ow
					maxRow2x2(j.out[o:o+ow], dst[y*w:], dst[(y+1)*w:])
				}
			}
		}
	}
	*g = gemmJob{}
}

// depthwiseStrip computes rs output rows of channel ch from tc, which holds
// the rs+2 input rows around them (zero rows standing for the padding), into
// dst (rs rows of w), with the level's whole-rows kernel or dwPlaneGo.
func (f *PointDepth) depthwiseStrip(ch int, tc []float32, w, rs int, dst []float32) {
	plane := dwPlane
	if plane == nil {
		plane = dwPlaneGo
	}
	k, bias, slope, activate := f.dwChannel(ch)
	plane(dst, tc, k, w, rs, w, w, bias, slope, activate)
}

// depthwisePoolStrip is depthwiseStrip followed by the 2×2 pool, for
// levels with a pooled whole-rows kernel: rs (even) rows from tc into rs/2
// pooled rows of w/2 values at dst.
func (f *PointDepth) depthwisePoolStrip(ch int, tc []float32, w, rs int, dst []float32) {
	k, bias, slope, activate := f.dwChannel(ch)
	dwPlanePool(dst, tc, k, w, rs, w, w/2, bias, slope, activate, nil)
}

// dwChannel returns channel ch's depthwise filter, bias and activation in
// the form the row kernels take (slope 0 for ReLU).
func (f *PointDepth) dwChannel(ch int) (k *[9]float32, bias, slope float32, activate bool) {
	dw := f.dw
	if dw.bias != nil {
		bias = dw.bias[ch]
	}
	if dw.act == ActPReLU {
		slope = dw.slope[ch]
	}
	return (*[9]float32)(dw.w[ch*9 : ch*9+9]), bias, slope, dw.act == ActReLU || dw.act == ActPReLU
}

// StackPointDepth combines units that read the same input into one whose
// output channels are theirs one after another (YuNet's four detection
// heads per scale are such units with 1, 1, 4 and 10 channels). Run as
// one, the 1×1 convolution is a single GEMM whose rows fill the
// micro-kernel's tiles (alone, a 1-channel head used one row in eight) and
// the input strip is read once. The units must have the same input
// channels and activation kinds and no pool.
func StackPointDepth(units ...*PointDepth) (*PointDepth, error) {
	if len(units) == 0 {
		return nil, errors.New("kernels: stack: no units")
	}
	u0 := units[0]
	inC := u0.pw.p.InC
	var pwW, pwB, pwS, dwW, dwB, dwS []float32
	outC := 0
	for _, u := range units {
		switch {
		case u.pool:
			return nil, errors.New("kernels: stack: unit with a pool")
		case u.stem != nil || u.inPool:
			return nil, errors.New("kernels: stack: unit that computes its own input")
		case u.pw.p.InC != inC:
			return nil, fmt.Errorf("kernels: stack: %d and %d input channels", inC, u.pw.p.InC)
		case u.pw.act != u0.pw.act || u.dw.act != u0.dw.act:
			return nil, errors.New("kernels: stack: different activations")
		}
		c := u.pw.p.OutC
		pwW = append(pwW, u.pw.a[0].unpack()...)
		pwB = append(pwB, biasOrZero(u.pw.bias, c)...)
		pwS = append(pwS, u.pw.slope...)
		dwW = append(dwW, u.dw.w...)
		dwB = append(dwB, biasOrZero(u.dw.bias, c)...)
		dwS = append(dwS, u.dw.slope...)
		outC += c
	}
	pw, err := NewConv(ConvParams{InC: inC, OutC: outC, KH: 1, KW: 1}, pwW, pwB, u0.pw.act, pwS)
	if err != nil {
		return nil, err
	}
	dw, err := NewConv(ConvParams{InC: outC, OutC: outC, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: outC},
		dwW, dwB, u0.dw.act, dwS)
	if err != nil {
		return nil, err
	}
	return NewPointDepth(pw, dw, false)
}

func biasOrZero(b []float32, n int) []float32 {
	if b == nil {
		return make([]float32, n)
	}
	return b
}
