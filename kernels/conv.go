package kernels

import (
	"errors"
	"fmt"
)

// ConvParams describes a 2-D convolution (ONNX Conv attributes). Zero
// strides or dilations are taken as 1.
type ConvParams struct {
	InC, OutC, KH, KW, StrideH, StrideW, DilH, DilW int
	PadTop, PadLeft, PadBottom, PadRight            int
	Groups                                          int
}

// OutSize is the output plane size for an input plane of inH×inW
// (0 when the kernel does not fit).
func (p ConvParams) OutSize(inH, inW int) (outH, outW int) {
	p = p.normalized()
	return convOut(inH, p.PadTop, p.PadBottom, p.KH, p.DilH, p.StrideH),
		convOut(inW, p.PadLeft, p.PadRight, p.KW, p.DilW, p.StrideW)
}

func convOut(in, padA, padB, k, dil, stride int) int {
	span := in + padA + padB - dil*(k-1) - 1
	if span < 0 || stride < 1 {
		return 0
	}
	return span/stride + 1
}

func (p ConvParams) normalized() ConvParams {
	if p.StrideH == 0 {
		p.StrideH = 1
	}
	if p.StrideW == 0 {
		p.StrideW = 1
	}
	if p.DilH == 0 {
		p.DilH = 1
	}
	if p.DilW == 0 {
		p.DilW = 1
	}
	if p.Groups == 0 {
		p.Groups = 1
	}
	return p
}

// Convolution strategies chosen by NewConv.
const (
	convDirect        = iota // 1×1, stride 1, no padding: GEMM straight on the input planes
	convIm2col               // general: im2col written into packed B panels, then GEMM
	convDepthwise            // groups == InC == OutC: one filter per channel
	convGroupedDirect        // many groups of ≤ groupedDirectMax channels: summed depthwise passes
	convFirst                // 3×3 stride 2 on ≤ 4 channels (a first layer): direct, see firstconv.go
)

// groupedDirectMax is the largest number of input and of output channels
// per group for which a grouped convolution runs as depthwise passes rather
// than per-group GEMMs.
const groupedDirectMax = 4

// Conv is a convolution with its weights packed; shared read-only by
// sessions. Weights are OutC × InC/Groups × KH × KW (ONNX layout).
//
// Per group g, the output is the GEMM
//
//	out[g·Mg + m, oh·outW + ow] = act(bias[m] + Σ_p W[m, p] · B[p, oh·outW + ow])
//
// with Mg = OutC/Groups rows, p = (ci, ky, kx) over InC/Groups × KH × KW, and
// B[p, ·] the input pixel under tap (ky, kx) of channel ci (zero in the
// padding). For 1×1 stride-1 unpadded convolutions B is the input itself.
// Depthwise convolutions (one filter per channel) bypass GEMM entirely, and
// so do first layers (3×3 stride 2 on the image, firstconv.go).
type Conv struct {
	p     ConvParams
	kind  int
	a     []*PackedA // per group (GEMM strategies)
	w     []float32  // depthwise: OutC × KH·KW
	bias  []float32  // nil or OutC
	act   ActKind
	slope []float32    // OutC for PReLU
	first *firstPacked // convFirst
}

// NewConv validates p and packs the weights w (and copies bias and slope,
// so the caller's slices may be reused).
func NewConv(p ConvParams, w, bias []float32, act ActKind, slope []float32) (*Conv, error) {
	p = p.normalized()
	switch {
	case p.InC < 1 || p.OutC < 1 || p.KH < 1 || p.KW < 1:
		return nil, fmt.Errorf("kernels: conv: bad shape InC=%d OutC=%d kernel %dx%d", p.InC, p.OutC, p.KH, p.KW)
	case p.StrideH < 1 || p.StrideW < 1 || p.DilH < 1 || p.DilW < 1:
		return nil, fmt.Errorf("kernels: conv: bad strides %dx%d or dilations %dx%d", p.StrideH, p.StrideW, p.DilH, p.DilW)
	case p.PadTop < 0 || p.PadLeft < 0 || p.PadBottom < 0 || p.PadRight < 0:
		return nil, errors.New("kernels: conv: negative padding")
	case p.Groups < 1 || p.InC%p.Groups != 0 || p.OutC%p.Groups != 0:
		return nil, fmt.Errorf("kernels: conv: %d groups do not divide %d→%d channels", p.Groups, p.InC, p.OutC)
	}
	cin := p.InC / p.Groups
	kg := cin * p.KH * p.KW
	if len(w) != p.OutC*kg {
		return nil, fmt.Errorf("kernels: conv: %d weights, want %d×%d×%d×%d", len(w), p.OutC, cin, p.KH, p.KW)
	}
	if bias != nil && len(bias) != p.OutC {
		return nil, fmt.Errorf("kernels: conv: %d biases for %d channels", len(bias), p.OutC)
	}
	if act > ActSigmoid {
		return nil, fmt.Errorf("kernels: conv: unknown activation %d", act)
	}
	c := &Conv{p: p, act: act}
	if bias != nil {
		c.bias = append([]float32(nil), bias...)
	}
	if act == ActPReLU {
		if len(slope) != p.OutC {
			return nil, fmt.Errorf("kernels: conv: %d PReLU slopes for %d channels", len(slope), p.OutC)
		}
		c.slope = append([]float32(nil), slope...)
	}
	switch {
	case p.Groups == p.InC && p.Groups == p.OutC:
		c.kind = convDepthwise
		c.w = append([]float32(nil), w...)
		return c, nil
	case firstConvOK(&p):
		c.kind = convFirst
		c.first = packFirst(&p, w, bias, act, slope)
		return c, nil
	case p.Groups > 1 && cin <= groupedDirectMax && p.OutC/p.Groups <= groupedDirectMax:
		c.kind = convGroupedDirect
		c.w = append([]float32(nil), w...)
		return c, nil
	case p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 &&
		p.PadTop == 0 && p.PadLeft == 0 && p.PadBottom == 0 && p.PadRight == 0:
		c.kind = convDirect
	default:
		c.kind = convIm2col
	}
	mg := p.OutC / p.Groups
	c.a = make([]*PackedA, p.Groups)
	for g := range c.a {
		c.a[g] = PackA(w[g*mg*kg:], mg, kg, kg)
	}
	return c, nil
}

// Params returns the (normalised) parameters.
func (c *Conv) Params() ConvParams { return c.p }

// ScratchSize is the number of floats of ctx.Scratch Run needs for an
// inH×inW input when it runs without a Pool.
func (c *Conv) ScratchSize(inH, inW int) int {
	if c.kind == convDepthwise || c.kind == convGroupedDirect {
		oh, ow := c.p.OutSize(inH, inW)
		size := 0
		if depthwisePaddedOK(&c.p) && ow < depthwisePaddedMaxW {
			size = depthwisePaddedScratch(&c.p, inH, inW)
		}
		if c.kind == convGroupedDirect {
			size += oh * ow
		}
		return size
	}
	oh, ow := c.p.OutSize(inH, inW)
	if oh*ow == 0 {
		return 0
	}
	if c.kind == convFirst {
		return c.firstScratch(inH, inW)
	}
	return gemmWorkerScratch(c.a[0].kern, c.a[0].k, oh*ow, 1) + c.splitSize(inH, inW)
}

// splitSize is the scratch for the phase-split copy of the input that
// stride-2 im2col convolutions read (0 for the others).
func (c *Conv) splitSize(inH, inW int) int {
	if c.kind != convIm2col || c.p.StrideW != 2 {
		return 0
	}
	return c.p.InC * inH * 2 * ((inW + 1) / 2)
}

// Run convolves one image: in is InC×inH×inW, out is OutC×outH×outW.
func (c *Conv) Run(ctx *Ctx, in []float32, inH, inW int, out []float32) {
	p := c.p
	outH, outW := p.OutSize(inH, inW)
	if len(in) < p.InC*inH*inW || len(out) < p.OutC*outH*outW {
		panic(fmt.Sprintf("kernels: conv: input %d or output %d values too short for %dx%dx%d → %dx%dx%d",
			len(in), len(out), p.InC, inH, inW, p.OutC, outH, outW))
	}
	if outH*outW == 0 {
		return
	}
	if c.kind == convDepthwise || c.kind == convGroupedDirect {
		c.runDepthwise(ctx, in, inH, inW, out, outH, outW)
		return
	}
	if c.kind == convFirst {
		c.runFirst(ctx, in, inH, inW, out, outH, outW)
		return
	}
	cin := p.InC / p.Groups
	mg := p.OutC / p.Groups
	hw := outH * outW
	geom := convGeom{
		kh: p.KH, kw: p.KW, sh: p.StrideH, sw: p.StrideW, dh: p.DilH, dw: p.DilW,
		pt: p.PadTop, pl: p.PadLeft, inH: inH, inW: inW, outW: outW,
	}
	plane := inH * inW
	var serial []float32 // the GEMM's part of ctx.Scratch
	if ctx != nil {
		serial = ctx.Scratch
	}
	if ss := c.splitSize(inH, inW); ss > 0 {
		// Stride 2: copy each input row as its even then its odd columns,
		// so every im2col run is contiguous (see packIm2col).
		gs := gemmWorkerScratch(c.a[0].kern, c.a[0].k, hw, 1)
		if len(serial) < gs+ss {
			serial = make([]float32, gs+ss)
		}
		geom.splitW = (inW + 1) / 2
		plane = inH * 2 * geom.splitW
		split := serial[gs : gs+ss]
		serial = serial[:gs]
		splitInput(ctx, in, p.InC*inH, inW, split)
		in = split
	}
	g := &ctx.jobsFor().gemm
	for gi := 0; gi < p.Groups; gi++ {
		src := bSource{kind: bIm2col, b: in[gi*cin*plane : (gi+1)*cin*plane], conv: geom}
		if c.kind == convDirect {
			src = bSource{kind: bPlain, b: in[gi*cin*hw : (gi+1)*cin*hw], ldb: hw}
		}
		ep := Epilogue{Act: c.act}
		if c.bias != nil {
			ep.Bias = c.bias[gi*mg : (gi+1)*mg]
		}
		if c.slope != nil {
			ep.Slope = c.slope[gi*mg : (gi+1)*mg]
		}
		g.setup(ctx, c.a[gi], src, hw, out[gi*mg*hw:(gi+1)*mg*hw], hw, &ep)
		g.serial = serial
		g.exec()
	}
	*g = gemmJob{}
}

// convGeom is the per-call geometry im2col needs.
type convGeom struct {
	kh, kw, sh, sw, dh, dw, pt, pl int
	inH, inW, outW                 int
	splitW                         int // > 0: input rows are phase-split (stride 2), splitW values per phase
}

// splitJob copies rows of width w as [even columns | odd columns], each
// half (w+1)/2 long (the odd half's last value is zero when w is odd).
type splitJob struct {
	in, out []float32
	w       int
}

func splitInput(ctx *Ctx, in []float32, rows, w int, out []float32) {
	j := &ctx.jobsFor().split
	*j = splitJob{in: in, out: out, w: w}
	ctx.pool().run(rows, max(1, (1<<14)/max(w, 1)), j)
	*j = splitJob{}
}

func (j *splitJob) run(_, lo, hi int) {
	w, h := j.w, (j.w+1)/2
	for r := lo; r < hi; r++ {
		row := j.in[r*w : (r+1)*w]
		even := j.out[r*2*h : r*2*h+h]
		odd := j.out[r*2*h+h : (r+1)*2*h]
		deintRow(even[:w/2], odd[:w/2], row)
		if w%2 == 1 {
			even[h-1], odd[h-1] = row[w-1], 0
		}
	}
}

// packIm2col writes rows [pc, pc+kb) and columns [j0, j0+nb) of the
// im2col matrix of in (the group's channels) as NR-column panels, the same
// layout packBPlain produces. Row p is (ci, ky, kx) = (p / KH·KW, …);
// column j is output pixel (j / outW, j % outW).
//
// For each row p the columns are walked in segments that stay within one
// output row and one panel; in a segment the taps that fall inside the
// input form one run (a copy for stride 1), with zeros either side.
func (g *convGeom) packIm2col(dst, in []float32, nr, pc, kb, j0, nb int) {
	g.im2col(dst, in, nr, 0, pc, kb, j0, nb)
}

// packIm2colRows writes the same block of the im2col matrix row-major:
// row p at dst[p*ldd:], columns [nb, ldd) untouched. Runs are then bounded
// by output rows only, not by panels, so the copies are long; the
// micro-kernel reads the block in place with row stride ldd.
func (g *convGeom) packIm2colRows(dst, in []float32, ldd, pc, kb, j0, nb int) {
	g.im2col(dst, in, 0, ldd, pc, kb, j0, nb)
}

// im2col is packIm2col (nr > 0) or packIm2colRows (nr == 0).
func (g *convGeom) im2col(dst, in []float32, nr, ldd, pc, kb, j0, nb int) {
	khw := g.kh * g.kw
	plane, pitch := g.inH*g.inW, g.inW
	if g.splitW > 0 {
		pitch = 2 * g.splitW
		plane = g.inH * pitch
	}
	panelStride, panels, tail := kb*nr, 0, 0
	if nr > 0 {
		panels, tail = (nb+nr-1)/nr, nb%nr
	}
	ci, r := pc/khw, pc%khw
	ky, kx := r/g.kw, r%g.kw
	oh0, ow0 := j0/g.outW, j0%g.outW
	for p := 0; p < kb; p++ {
		src := in[ci*plane : (ci+1)*plane]
		yOff := ky*g.dh - g.pt
		xOff := kx*g.dw - g.pl
		// Output columns [owA, owB) read inside the input row.
		owA := 0
		if xOff < 0 {
			owA = (-xOff + g.sw - 1) / g.sw
		}
		owB := 0
		if lim := g.inW - 1 - xOff; lim >= 0 {
			owB = lim/g.sw + 1
		}
		oh, ow := oh0, ow0
		for j, lane, q := 0, 0, 0; j < nb; {
			n := min(g.outW-ow, nb-j)
			off := p*ldd + j
			if nr > 0 {
				n = min(n, nr-lane)
				off = q*panelStride + p*nr + lane
			}
			d := dst[off : off+n]
			if iy := oh*g.sh + yOff; uint(iy) >= uint(g.inH) {
				clear(d)
			} else {
				row := src[iy*pitch : (iy+1)*pitch]
				a := min(max(owA-ow, 0), n)
				b := min(max(owB-ow, a), n)
				if a > 0 {
					clear(d[:a])
				}
				ix := (ow+a)*g.sw + xOff
				switch {
				case a == b: // no tap inside the row
				case g.sw == 1:
					copy(d[a:b], row[ix:ix+b-a])
				case g.splitW > 0:
					// ix = 2·(ow+base) + phase: a run of one phase.
					phase := xOff & 1
					base := (xOff - phase) / 2
					half := row[phase*g.splitW : (phase+1)*g.splitW]
					copy(d[a:b], half[ow+a+base:ow+b+base])
				default:
					gatherStrided(d[a:b], row[ix:], g.sw)
				}
				if b < n {
					clear(d[b:])
				}
			}
			j += n
			lane += n
			if lane == nr {
				lane = 0
				q++
			}
			ow += n
			if ow == g.outW {
				ow = 0
				oh++
			}
		}
		if tail != 0 && nr > 0 {
			off := (panels-1)*panelStride + p*nr
			clear(dst[off+tail : off+nr])
		}
		kx++
		if kx == g.kw {
			kx = 0
			ky++
			if ky == g.kh {
				ky = 0
				ci++
			}
		}
	}
}

// gatherStrided sets d[t] = src[t*stride] (strides above 2; stride 2
// reads phase-split rows instead).
func gatherStrided(d, src []float32, stride int) {
	for t := range d {
		d[t] = src[t*stride]
	}
}
