package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

func TestPoolFor(t *testing.T) {
	for _, pool := range append(ktPools(t), NewPool(1), NewPool(0)) {
		for _, n := range []int{0, 1, 2, 3, 7, 100, 1001} {
			hits := make([]int32, n)
			pool.For(n, func(lo, hi int) {
				if lo < 0 || hi > n || lo >= hi {
					t.Errorf("bad chunk [%d,%d) of %d", lo, hi, n)
					return
				}
				for i := lo; i < hi; i++ {
					atomic.AddInt32(&hits[i], 1)
				}
			})
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("threads %d n %d: index %d ran %d times", pool.Threads(), n, i, h)
				}
			}
		}
	}
	p := NewPool(2)
	p.Close()
	p.Close()
	ran := 0
	p.For(5, func(lo, hi int) { ran += hi - lo })
	if ran != 5 {
		t.Fatalf("closed pool ran %d of 5", ran)
	}
}

var ktSink atomic.Int64

func ktCount(lo, hi int) { ktSink.Add(int64(hi - lo)) }

func TestPoolForNoAllocs(t *testing.T) {
	p := NewPool(2)
	defer p.Close()
	p.For(100, ktCount)
	if a := testing.AllocsPerRun(50, func() { p.For(100, ktCount) }); a != 0 {
		t.Fatalf("%v allocations per For", a)
	}
}

func TestPoolingOps(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	cases := []struct {
		p        PoolParams
		inH, inW int
	}{
		{PoolParams{KH: 2, KW: 2, StrideH: 2, StrideW: 2}, 8, 8},
		{PoolParams{KH: 2, KW: 2, StrideH: 2, StrideW: 2}, 7, 9},
		{PoolParams{KH: 2, KW: 2, StrideH: 2, StrideW: 2, CeilMode: true}, 7, 9},
		{PoolParams{KH: 2, KW: 2, StrideH: 2, StrideW: 2, PadBottom: 1, PadRight: 1}, 5, 6},
		{PoolParams{KH: 2, KW: 2, StrideH: 2, StrideW: 2}, 1, 1},
		{PoolParams{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}, 11, 10},
		{PoolParams{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, CeilMode: true}, 10, 11},
		{PoolParams{KH: 3, KW: 2, StrideH: 1, StrideW: 3, PadTop: 0, PadLeft: 1, PadBottom: 2, PadRight: 0}, 6, 7},
		{PoolParams{KH: 5, KW: 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2}, 3, 4},
		{PoolParams{KH: 2, KW: 2, StrideH: 2, StrideW: 2}, 64, 66},                                                   // big enough to run threaded
		{PoolParams{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}, 60, 61}, // likewise
	}
	for _, pool := range ktPools(t) {
		for ci, tc := range cases {
			c := 5
			in := ktRand(r, c*tc.inH*tc.inW)
			p := tc.p.normalized()
			outH, outW := tc.p.OutSize(tc.inH, tc.inW)
			// Reference sizes from the ONNX formula.
			wantH := ktPoolOut(tc.inH, p.KH, p.StrideH, p.PadTop, p.PadBottom, p.CeilMode)
			wantW := ktPoolOut(tc.inW, p.KW, p.StrideW, p.PadLeft, p.PadRight, p.CeilMode)
			if outH != wantH || outW != wantW {
				t.Fatalf("case %d: OutSize %dx%d, want %dx%d", ci, outH, outW, wantH, wantW)
			}
			for kind := 0; kind < 3; kind++ {
				out := ktNewGuarded(c * outH * outW)
				ctx := &Ctx{Pool: pool}
				switch kind {
				case 0:
					MaxPool2D(ctx, tc.p, in, c, tc.inH, tc.inW, out.Data)
				default:
					AvgPool2D(ctx, tc.p, kind == 2, in, c, tc.inH, tc.inW, out.Data)
				}
				name := fmt.Sprintf("threads%d/case%d/kind%d", pool.Threads(), ci, kind)
				out.check(t, name)
				for ch := 0; ch < c; ch++ {
					for oh := 0; oh < outH; oh++ {
						for ow := 0; ow < outW; ow++ {
							mx, sum, cnt, cntPad := math.Inf(-1), 0.0, 0, 0
							for ky := 0; ky < p.KH; ky++ {
								for kx := 0; kx < p.KW; kx++ {
									y := oh*p.StrideH - p.PadTop + ky
									x := ow*p.StrideW - p.PadLeft + kx
									if y < tc.inH+p.PadBottom && x < tc.inW+p.PadRight {
										cntPad++ // inside the explicitly padded input
									}
									if y < 0 || x < 0 || y >= tc.inH || x >= tc.inW {
										continue
									}
									v := float64(in[(ch*tc.inH+y)*tc.inW+x])
									mx = math.Max(mx, v)
									sum += v
									cnt++
								}
							}
							want := mx
							switch kind {
							case 1:
								want = sum / float64(cnt)
							case 2:
								want = sum / float64(cntPad)
							}
							got := float64(out.Data[(ch*outH+oh)*outW+ow])
							if !(math.Abs(got-want) <= 1e-5) {
								t.Fatalf("%s: out[%d,%d,%d] = %g, want %g", name, ch, oh, ow, got, want)
							}
						}
					}
				}
			}
		}
	}
}

// ktPoolOut is the ONNX output-size formula, written independently.
func ktPoolOut(in, k, s, pa, pb int, ceil bool) int {
	f := float64(in+pa+pb-k)/float64(s) + 1
	if ceil {
		out := int(math.Ceil(f))
		if (out-1)*s >= in+pa { // PyTorch/ORT: last window must start in the input or left pad
			out--
		}
		return out
	}
	return int(math.Floor(f))
}

func TestGlobalAvgPool(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	in := ktRand(r, 3*49)
	out := ktNewGuarded(3)
	GlobalAvgPool(in, 3, 49, out.Data)
	out.check(t, "GlobalAvgPool")
	for c := 0; c < 3; c++ {
		var s float64
		for _, v := range in[c*49 : (c+1)*49] {
			s += float64(v)
		}
		if !(math.Abs(float64(out.Data[c])-s/49) <= 1e-6) {
			t.Fatalf("channel %d: %g, want %g", c, out.Data[c], s/49)
		}
	}
}

// TestResizeONNXExamples checks the worked examples of the ONNX Resize
// operator documentation (onnx/backend/test/case/node/resize.py).
func TestResizeONNXExamples(t *testing.T) {
	x22 := []float32{1, 2, 3, 4}
	x24 := []float32{1, 2, 3, 4, 5, 6, 7, 8}
	cases := []struct {
		name       string
		p          ResizeParams
		in         []float32
		inH, inW   int
		outH, outW int
		want       []float32
	}{
		{"upsample_scales_nearest", ResizeParams{Mode: "nearest", CoordMode: "asymmetric", NearestMode: "floor"}, x22, 2, 2, 4, 6,
			[]float32{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}},
		{"upsample_scales_nearest_default", ResizeParams{}, x22, 2, 2, 4, 6,
			[]float32{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}},
		{"downsample_scales_nearest", ResizeParams{Mode: "nearest", ScaleH: 0.6, ScaleW: 0.6}, x24, 2, 4, 1, 2,
			[]float32{1, 3}},
		{"upsample_scales_linear", ResizeParams{Mode: "linear"}, x22, 2, 2, 4, 4,
			[]float32{1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4}},
		{"upsample_scales_linear_align_corners", ResizeParams{Mode: "linear", CoordMode: "align_corners"}, x22, 2, 2, 4, 4,
			[]float32{1, 4. / 3, 5. / 3, 2, 5. / 3, 2, 7. / 3, 8. / 3, 7. / 3, 8. / 3, 3, 10. / 3, 3, 10. / 3, 11. / 3, 4}},
		{"downsample_scales_linear", ResizeParams{Mode: "linear", ScaleH: 0.6, ScaleW: 0.6}, x24, 2, 4, 1, 2,
			[]float32{2.6666665, 4.3333331}},
		{"downsample_sizes_nearest", ResizeParams{Mode: "nearest"}, x24, 2, 4, 1, 2, []float32{1, 3}},
	}
	for _, c := range cases {
		out := ktNewGuarded(c.outH * c.outW)
		Resize(c.p, c.in, 1, c.inH, c.inW, out.Data, c.outH, c.outW)
		out.check(t, c.name)
		for i := range c.want {
			if !(math.Abs(float64(out.Data[i]-c.want[i])) <= 1e-5) {
				t.Fatalf("%s: out %v, want %v", c.name, out.Data, c.want)
			}
		}
	}
}

// TestResize compares against the spec's formulas evaluated in float64 on
// random sizes, for every mode combination.
func TestResize(t *testing.T) {
	pools := ktPools(t)
	ktSmallGrain(t)
	r := rand.New(rand.NewPCG(15, 16))
	coords := []string{"half_pixel", "pytorch_half_pixel", "asymmetric", "align_corners", "tf_half_pixel_for_centers"}
	nearest := []string{"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}
	sizes := [][4]int{{2, 3, 4, 6}, {5, 7, 10, 14}, {8, 8, 4, 4}, {7, 5, 3, 11}, {1, 4, 3, 1}, {3, 3, 9, 2}, {2, 3, 2, resizeTable + 77}, {4, 37, 8, 74}, {3, 16, 6, 32}}
	for _, sz := range sizes {
		inH, inW, outH, outW := sz[0], sz[1], sz[2], sz[3]
		c := 5
		in := ktRand(r, c*inH*inW)
		for _, cm := range coords {
			for _, mode := range []string{"nearest", "linear"} {
				for _, nm := range nearest {
					if mode == "linear" && nm != "round_prefer_floor" {
						continue
					}
					p := ResizeParams{Mode: mode, CoordMode: cm, NearestMode: nm}
					out := ktNewGuarded(c * outH * outW)
					Resize(p, in, c, inH, inW, out.Data, outH, outW)
					name := fmt.Sprintf("%v/%+v", sz, p)
					out.check(t, name)
					for _, pool := range pools {
						par := ktNewGuarded(c * outH * outW)
						ResizeCtx(&Ctx{Pool: pool}, p, in, c, inH, inW, par.Data, outH, outW)
						par.check(t, name)
						ktSameBits(t, name+fmt.Sprintf("/threads%d", pool.Threads()), par.Data, out.Data)
					}
					for ch := 0; ch < c; ch++ {
						for oh := 0; oh < outH; oh++ {
							for ow := 0; ow < outW; ow++ {
								want := ktRefResize(p, in[ch*inH*inW:], inH, inW, outH, outW, oh, ow)
								got := float64(out.Data[(ch*outH+oh)*outW+ow])
								if !(math.Abs(got-want) <= 1e-5) {
									t.Fatalf("%s: out[%d,%d,%d] = %g, want %g", name, ch, oh, ow, got, want)
								}
							}
						}
					}
				}
			}
		}
	}
}

func ktRefResize(p ResizeParams, in []float32, inH, inW, outH, outW, oh, ow int) float64 {
	orig := func(x, inL, outL int) float64 {
		s := float64(outL) / float64(inL)
		xf := float64(x)
		switch p.CoordMode {
		case "pytorch_half_pixel":
			if outL == 1 {
				return 0
			}
			return (xf+0.5)/s - 0.5
		case "asymmetric":
			return xf / s
		case "align_corners":
			if outL == 1 {
				return 0
			}
			return xf * float64(inL-1) / float64(outL-1)
		case "tf_half_pixel_for_centers":
			return (xf + 0.5) / s
		}
		return (xf+0.5)/s - 0.5
	}
	clampi := func(i, n int) int { return min(max(i, 0), n-1) }
	y, x := orig(oh, inH, outH), orig(ow, inW, outW)
	if p.Mode == "nearest" {
		round := func(f float64) int {
			switch p.NearestMode {
			case "floor":
				return int(math.Floor(f))
			case "ceil":
				return int(math.Ceil(f))
			case "round_prefer_ceil":
				return int(math.Floor(f + 0.5))
			}
			return int(math.Ceil(f - 0.5))
		}
		return float64(in[clampi(round(y), inH)*inW+clampi(round(x), inW)])
	}
	at := func(iy, ix int) float64 { return float64(in[clampi(iy, inH)*inW+clampi(ix, inW)]) }
	y = math.Min(math.Max(y, 0), float64(inH-1))
	x = math.Min(math.Max(x, 0), float64(inW-1))
	y0, x0 := int(math.Floor(y)), int(math.Floor(x))
	wy, wx := y-float64(y0), x-float64(x0)
	return (1-wy)*((1-wx)*at(y0, x0)+wx*at(y0, x0+1)) + wy*((1-wx)*at(y0+1, x0)+wx*at(y0+1, x0+1))
}

func TestBinary(t *testing.T) {
	pools := ktPools(t)
	ktSmallGrain(t)
	r := rand.New(rand.NewPCG(17, 18))
	shapes := [][3][]int{
		{{2, 3, 4, 5}, {2, 3, 4, 5}, {2, 3, 4, 5}},
		{{1, 8, 5, 7}, {1, 8, 1, 1}, {1, 8, 5, 7}},
		{{1, 8, 1, 1}, {1, 8, 5, 7}, {1, 8, 5, 7}},
		{{1, 1, 1, 1}, {3, 4, 5, 2}, {3, 4, 5, 2}},
		{{3, 4, 5, 2}, {1, 1, 1, 1}, {3, 4, 5, 2}},
		{{3, 1, 5}, {1, 4, 1}, {3, 4, 5}},
		{{1, 4, 1, 6}, {2, 1, 3, 6}, {2, 4, 3, 6}},
		{{5}, {1}, {5}},
		{{1}, {1}, {1}},
		{{2, 1, 1, 3, 1}, {1, 2, 2, 1, 4}, {2, 2, 2, 3, 4}},
		{{0, 3}, {1, 3}, {0, 3}},
	}
	size := func(s []int) int {
		n := 1
		for _, d := range s {
			n *= d
		}
		return n
	}
	for _, sh := range shapes {
		as, bs, os := sh[0], sh[1], sh[2]
		a, b := ktRand(r, size(as)), ktRand(r, size(bs))
		for i := range b {
			b[i] += 3 // keep division well away from zero
		}
		for op := OpAdd; op <= OpDiv; op++ {
			out := ktNewGuarded(size(os))
			Binary(op, a, as, b, bs, out.Data, os)
			name := fmt.Sprintf("op%d/%v", op, sh)
			out.check(t, name)
			for _, pool := range pools {
				par := ktNewGuarded(size(os))
				BinaryCtx(&Ctx{Pool: pool}, op, a, as, b, bs, par.Data, os)
				par.check(t, name)
				ktSameBits(t, name+fmt.Sprintf("/threads%d", pool.Threads()), par.Data, out.Data)
			}
			idx := make([]int, len(os))
			for i := 0; i < size(os); i++ {
				rem := i
				for d := len(os) - 1; d >= 0; d-- {
					idx[d] = rem % os[d]
					rem /= os[d]
				}
				off := func(s []int) int {
					o := 0
					for d := range s {
						o = o*s[d] + min(idx[d], s[d]-1)
					}
					return o
				}
				x, y := float64(a[off(as)]), float64(b[off(bs)])
				want := [...]float64{x + y, x - y, x * y, x / y}[op]
				if !(math.Abs(float64(out.Data[i])-want) <= 1e-6*(1+math.Abs(want))) {
					t.Fatalf("%s: out[%d] = %g, want %g", name, i, out.Data[i], want)
				}
			}
		}
	}
}

func TestActivate(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	c, hw := 3, 7
	x := ktRand(r, c*hw)
	slope := ktRand(r, c)
	for _, act := range []ActKind{ActNone, ActReLU, ActPReLU, ActSigmoid} {
		y := ktNewGuarded(c * hw)
		copy(y.Data, x)
		Activate(y.Data, &Epilogue{Act: act, Slope: slope, Bias: []float32{9, 9, 9}}, c, hw)
		y.check(t, "Activate")
		for i, v := range x {
			want := ktAct(float64(v), act, float64(slope[i/hw]))
			if !(math.Abs(float64(y.Data[i])-want) <= 1e-6) {
				t.Fatalf("act %d: y[%d] = %g, want %g", act, i, y.Data[i], want)
			}
		}
	}
}

func TestSoftmax(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, sh := range [][3]int{{1, 10, 1}, {3, 5, 4}, {2, 1, 3}, {1, 2, 17}} {
		outer, axis, inner := sh[0], sh[1], sh[2]
		n := outer * axis * inner
		x := ktRand(r, n)
		for i := range x {
			x[i] *= 200 // large logits: a naive exp would overflow
		}
		out := ktNewGuarded(n)
		Softmax(x, outer, axis, inner, out.Data)
		out.check(t, "Softmax")
		for o := 0; o < outer; o++ {
			for in := 0; in < inner; in++ {
				m := math.Inf(-1)
				for a := 0; a < axis; a++ {
					m = math.Max(m, float64(x[(o*axis+a)*inner+in]))
				}
				var s float64
				for a := 0; a < axis; a++ {
					s += math.Exp(float64(x[(o*axis+a)*inner+in]) - m)
				}
				for a := 0; a < axis; a++ {
					i := (o*axis+a)*inner + in
					want := math.Exp(float64(x[i])-m) / s
					if !(math.Abs(float64(out.Data[i])-want) <= 1e-6) {
						t.Fatalf("%v: out[%d] = %g, want %g", sh, i, out.Data[i], want)
					}
				}
			}
		}
		// In place.
		Softmax(x, outer, axis, inner, x)
		for i := range x {
			if x[i] != out.Data[i] {
				t.Fatalf("%v: in-place result differs at %d", sh, i)
			}
		}
	}
}

func TestTranspose(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	cases := []struct{ shape, perm []int }{
		{[]int{3, 4}, []int{1, 0}},
		{[]int{2, 3, 4}, []int{0, 2, 1}},
		{[]int{2, 3, 4}, []int{2, 0, 1}},
		{[]int{1, 5, 1, 7}, []int{0, 3, 1, 2}},
		{[]int{2, 3, 4, 5}, []int{0, 1, 2, 3}},
		{[]int{1, 16, 20, 20}, []int{0, 2, 3, 1}},
		{[]int{2, 1, 3, 2, 2, 3}, []int{5, 3, 1, 0, 4, 2}},
		{[]int{4, 1, 1}, []int{2, 1, 0}},
		{[]int{1, 3, 5, 7}, []int{0, 2, 3, 1}},
		{[]int{2, 3, 4, 5}, []int{3, 1, 0, 2}},
		{[]int{1, 10, 13, 11}, []int{0, 2, 3, 1}}, // short 2-D rows (run2D)
		{[]int{2, 70, 3, 3}, []int{0, 2, 3, 1}},   // rows longer than transposeShort: general path
		{[]int{1, 4, 150, 1}, []int{0, 2, 3, 1}},  // rows of 4
	}
	pools := ktPools(t)
	ktSmallGrain(t)
	for _, c := range cases {
		n := 1
		for _, d := range c.shape {
			n *= d
		}
		in := ktRand(r, n)
		out := ktNewGuarded(n)
		Transpose(in, c.shape, c.perm, out.Data)
		out.check(t, fmt.Sprint(c))
		for _, pool := range pools {
			par := ktNewGuarded(n)
			TransposeCtx(&Ctx{Pool: pool}, in, c.shape, c.perm, par.Data)
			par.check(t, fmt.Sprint(c))
			ktSameBits(t, fmt.Sprintf("%v/threads%d", c, pool.Threads()), par.Data, out.Data)
		}
		r := len(c.shape)
		oshape := make([]int, r)
		for i, p := range c.perm {
			oshape[i] = c.shape[p]
		}
		idx := make([]int, r)
		for o := 0; o < n; o++ {
			rem := o
			for d := r - 1; d >= 0; d-- {
				idx[d] = rem % oshape[d]
				rem /= oshape[d]
			}
			src := 0
			inIdx := make([]int, r)
			for i, p := range c.perm {
				inIdx[p] = idx[i]
			}
			for d := 0; d < r; d++ {
				src = src*c.shape[d] + inIdx[d]
			}
			if out.Data[o] != in[src] {
				t.Fatalf("%v: out[%d] = %g, want in[%d] = %g", c, o, out.Data[o], src, in[src])
			}
		}
	}
}

// TestExpSigmoid sweeps the float32 exp and sigmoid against float64 math.
func TestExpSigmoid(t *testing.T) {
	for x := float32(-100); x <= 100; x += 0.0137 {
		got, want := float64(expf(x)), math.Exp(float64(x))
		switch {
		case want > math.MaxFloat32:
			if !math.IsInf(got, 1) {
				t.Fatalf("expf(%g) = %g, want +Inf", x, got)
			}
		case want < 1.1754944e-38:
			if got > 1.2e-38 {
				t.Fatalf("expf(%g) = %g, want ~0", x, got)
			}
		case !(math.Abs(got-want) <= 3e-7*want):
			t.Fatalf("expf(%g) = %g, want %g (rel err %g)", x, got, want, math.Abs(got-want)/want)
		}
		gs, ws := float64(sigmoid(x)), 1/(1+math.Exp(-float64(x)))
		if !(math.Abs(gs-ws) <= 3e-7*ws+1e-30) {
			t.Fatalf("sigmoid(%g) = %g, want %g", x, gs, ws)
		}
	}
	if v := expf(float32(math.NaN())); v == v {
		t.Fatalf("expf(NaN) = %g", v)
	}
	if sigmoid(-200) != 0 || sigmoid(200) != 1 {
		t.Fatalf("sigmoid does not saturate: %g %g", sigmoid(-200), sigmoid(200))
	}
}

// TestSigmoidCtx checks the pooled Sigmoid against float64 math, into a
// separate buffer and in place (bit for bit the same).
func TestSigmoidCtx(t *testing.T) {
	pools := ktPools(t)
	ktSmallGrain(t)
	r := rand.New(rand.NewPCG(25, 26))
	for _, n := range []int{0, 1, 7, 100, 1001} {
		x := ktRand(r, n)
		for i := range x {
			x[i] *= 20
		}
		for _, pool := range pools {
			name := fmt.Sprintf("n%d/threads%d", n, pool.Threads())
			out := ktNewGuarded(n)
			Sigmoid(&Ctx{Pool: pool}, x, out.Data)
			out.check(t, name)
			inPlace := append([]float32(nil), x...)
			Sigmoid(&Ctx{Pool: pool}, inPlace, inPlace)
			ktSameBits(t, name+"/in-place", inPlace, out.Data)
			for i, v := range x {
				want := 1 / (1 + math.Exp(-float64(v)))
				if got := out.Data[i]; !(math.Abs(float64(got)-want) <= 3e-7*want+1e-30) {
					t.Fatalf("%s: out[%d] = %g, want %g", name, i, got, want)
				}
			}
		}
	}
}

// ktSmallGrain makes the elementwise kernels split even the small test
// cases across the pool's workers.
func ktSmallGrain(t *testing.T) {
	old := eltGrain
	eltGrain = 1
	t.Cleanup(func() { eltGrain = old })
}

// ktSameBits fails unless got and want hold the same float32 bit patterns.
func ktSameBits(t *testing.T, name string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: out[%d] = %g, serial %g", name, i, got[i], want[i])
		}
	}
}

// BenchmarkResizeNearest2x times YuNet 640's FPN up-sampling (64×40×40 to
// 80×80, nearest) on one thread.
func BenchmarkResizeNearest2x(b *testing.B) {
	p := ResizeParams{Mode: "nearest", CoordMode: "asymmetric", NearestMode: "floor", ScaleH: 2, ScaleW: 2}
	in, out := make([]float32, 64*40*40), make([]float32, 64*80*80)
	for b.Loop() {
		Resize(p, in, 64, 40, 40, out, 80, 80)
	}
	b.ReportMetric(float64(len(out))*4*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

// BenchmarkSigmoid times the sigmoid of YuNet 640's largest score map
// (6400 values) on one thread.
func BenchmarkSigmoid(b *testing.B) {
	x := ktRand(rand.New(rand.NewPCG(1, 1)), 6400)
	out := make([]float32, len(x))
	for b.Loop() {
		Sigmoid(nil, x, out)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(x)), "ns/value")
}

// BenchmarkTransposeNHWC times YuNet 640's largest head transpose
// (1×10×80×80 → 1×80×80×10) on one thread.
func BenchmarkTransposeNHWC(b *testing.B) {
	in, out := make([]float32, 10*80*80), make([]float32, 10*80*80)
	for b.Loop() {
		Transpose(in, []int{1, 10, 80, 80}, []int{0, 2, 3, 1}, out)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(out)), "ns/value")
}

// TestResizeDoubles checks ResizeDoubles against Resize itself: for every
// nearest mode it must say yes exactly when Resize repeats each value into
// a 2×2 block, and it never claims a linear resize (which on a 1×1 input
// also repeats its one value).
func TestResizeDoubles(t *testing.T) {
	coords := []string{"half_pixel", "pytorch_half_pixel", "asymmetric", "align_corners", "tf_half_pixel_for_centers"}
	nearest := []string{"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}
	sizes := [][4]int{{1, 1, 2, 2}, {3, 5, 6, 10}, {20, 20, 40, 40}, {4, 4, 8, 7}, {4, 4, 12, 12}, {5, 6, 10, 13}}
	yes := 0
	for _, sz := range sizes {
		inH, inW, outH, outW := sz[0], sz[1], sz[2], sz[3]
		in := make([]float32, inH*inW)
		for i := range in {
			in[i] = float32(i + 1)
		}
		for _, cm := range coords {
			for _, mode := range []string{"nearest", "linear"} {
				for _, nm := range nearest {
					p := ResizeParams{Mode: mode, CoordMode: cm, NearestMode: nm}
					out := make([]float32, outH*outW)
					Resize(p, in, 1, inH, inW, out, outH, outW)
					doubles := mode == "nearest" && outH == 2*inH && outW == 2*inW
					for y := 0; y < outH && doubles; y++ {
						for x := 0; x < outW && doubles; x++ {
							doubles = out[y*outW+x] == in[(y/2)*inW+x/2]
						}
					}
					if got := ResizeDoubles(p, inH, inW, outH, outW); got != doubles {
						t.Errorf("%v %+v: ResizeDoubles = %v, Resize doubles: %v", sz, p, got, doubles)
					}
					if doubles {
						yes++
					}
				}
			}
		}
	}
	if yes == 0 {
		t.Fatal("no case doubles: the test checks nothing")
	}
}

// TestUp2Add checks the fused up-sample and add at every level, serial and
// threaded, in place and not, against a plain loop, and bit for bit against
// Resize followed by Binary.
func TestUp2Add(t *testing.T) {
	pools := ktPools(t)
	ktSmallGrain(t)
	r := rand.New(rand.NewPCG(41, 42))
	p := ResizeParams{Mode: "nearest", CoordMode: "half_pixel", NearestMode: "round_prefer_floor"}
	forEachLevel(t, func(level string) {
		for _, sz := range [][3]int{{1, 1, 1}, {3, 2, 5}, {4, 7, 9}, {2, 20, 20}, {5, 3, 33}, {2, 4, 100}} {
			c, h, w := sz[0], sz[1], sz[2]
			a, b := ktRand(r, c*h*w), ktRand(r, 4*c*h*w)
			up := make([]float32, 4*c*h*w)
			ResizeCtx(nil, p, a, c, h, w, up, 2*h, 2*w)
			want := make([]float32, len(up))
			Binary(OpAdd, up, []int{len(up)}, b, []int{len(b)}, want, []int{len(up)})
			for i := range want {
				ch, y, x := i/(4*h*w), i/(2*w)%(2*h), i%(2*w)
				if v := a[(ch*h+y/2)*w+x/2] + b[i]; v != want[i] {
					t.Fatalf("reference disagrees with the plain loop at %d", i)
				}
			}
			for _, pool := range pools {
				for _, inPlace := range []bool{false, true} {
					name := fmt.Sprintf("%s %v threads=%d in-place=%v", level, sz, pool.Threads(), inPlace)
					ctx := &Ctx{Pool: pool, Scratch: make([]float32, Up2AddScratch(w))}
					var got []float32
					if inPlace {
						got = append([]float32(nil), b...)
						Up2Add(ctx, a, c, h, w, got, got)
					} else {
						g := ktNewGuarded(len(b))
						Up2Add(ctx, a, c, h, w, b, g.Data)
						g.check(t, name)
						got = g.Data
					}
					ktSameBits(t, name, got, want)
				}
			}
		}
	})
}

// BenchmarkUp2Add times YuNet 640's larger feature-pyramid merge (64
// channels, 40×40 up-sampled to 80×80 and added), fused and as Resize then
// Add, on one thread; GB/s counts the fused form's traffic (a read once, b
// read and out written).
func BenchmarkUp2Add(b *testing.B) {
	p := ResizeParams{Mode: "nearest", CoordMode: "half_pixel", NearestMode: "round_prefer_floor"}
	const c, h, w = 64, 40, 40
	r := rand.New(rand.NewPCG(3, 4))
	a, lat := ktRand(r, c*h*w), ktRand(r, 4*c*h*w)
	up, out := make([]float32, 4*c*h*w), make([]float32, 4*c*h*w)
	ctx := &Ctx{Scratch: make([]float32, Up2AddScratch(w))}
	bytes := float64(4 * (c*h*w + 8*c*h*w))
	b.Run("fused", func(b *testing.B) {
		for b.Loop() {
			Up2Add(ctx, a, c, h, w, lat, out)
		}
		b.ReportMetric(bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
	b.Run("resize+add", func(b *testing.B) {
		shape := []int{len(out)}
		for b.Loop() {
			ResizeCtx(ctx, p, a, c, h, w, up, 2*h, 2*w)
			BinaryCtx(ctx, OpAdd, up, shape, lat, shape, out, shape)
		}
		b.ReportMetric(bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
}
