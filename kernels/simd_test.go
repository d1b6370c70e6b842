package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// supportedLevels returns the levels this machine runs, with their
// micro-kernels.
func supportedLevels() []cpuLevel {
	var ls []cpuLevel
	for _, l := range allLevels {
		if l.supported {
			ls = append(ls, l)
		}
	}
	return ls
}

// refMicroKernel is the microKernel contract written out in float64, with a
// bound for the float32 rounding error of each output.
func refMicroKernel(mr, nr, k int, a, b []float32, ldb int, c []float32, ldc int, bias, slope []float32, flags uint) (want, tol []float64) {
	want = make([]float64, mr*nr)
	tol = make([]float64, mr*nr)
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			s := float64(bias[i])
			if flags&mkAccumulate != 0 {
				s = float64(c[i*ldc+j])
			}
			mag := math.Abs(s)
			for p := 0; p < k; p++ {
				prod := float64(a[p*mr+i]) * float64(b[p*ldb+j])
				s += prod
				mag += math.Abs(prod)
			}
			if flags&mkActivate != 0 && !(s > 0) {
				s *= float64(slope[i])
				mag *= math.Abs(float64(slope[i]))
			}
			want[i*nr+j] = s
			tol[i*nr+j] = 1e-6*mag*float64(k+2) + 1e-30
		}
	}
	return want, tol
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// guard fills the parts of C no kernel may touch; its bit pattern is a NaN
// no arithmetic produces, so any write shows.
const guard = 0x7fc0dead

func TestMicroKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, l := range supportedLevels() {
		mk := l.gemm
		t.Run(l.name, func(t *testing.T) {
			if mk.fn == nil || mk.mr < 1 || mk.nr < 1 {
				t.Fatalf("level %s has no usable micro-kernel: %+v", l.name, mk)
			}
			for _, k := range []int{0, 1, 2, 3, 7, 16, 33, 100, 257} {
				for flags := uint(0); flags < 4; flags++ {
					// ldb = NR: a packed panel; wider: B read in place.
					for _, ldb := range []int{mk.nr, mk.nr + 7, 3 * mk.nr} {
						checkMicroKernel(t, r, mk, k, ldb, flags)
					}
				}
			}
		})
	}
}

func checkMicroKernel(t *testing.T, r *rand.Rand, mk microKernel, k, ldb int, flags uint) {
	t.Helper()
	mr, nr := mk.mr, mk.nr
	ldc := nr + 5
	const pad = 19 // guard floats before C and after its last row
	a := randSlice(r, k*mr+1)
	b := randSlice(r, k*ldb+1)
	bias := randSlice(r, mr)
	slope := randSlice(r, mr)
	slope[0] = 0 // a ReLU row
	buf := make([]float32, pad+mr*ldc+pad)
	for i := range buf {
		buf[i] = math.Float32frombits(guard)
	}
	c := buf[pad : pad+mr*ldc]
	for i := 0; i < mr; i++ {
		copy(c[i*ldc:i*ldc+nr], randSlice(r, nr))
	}
	cIn := slices.Clone(c)
	aIn, bIn := slices.Clone(a), slices.Clone(b)
	want, tol := refMicroKernel(mr, nr, k, a, b, ldb, cIn, ldc, bias, slope, flags)

	mk.fn(k, &a[0], &b[0], &c[0], ldc, &bias[0], &slope[0], flags, ldb)

	what := fmt.Sprintf("%s k=%d ldb=%d flags=%b", mk.name, k, ldb, flags)
	for i, v := range buf {
		inTile := i >= pad && i < pad+mr*ldc && (i-pad)%ldc < nr
		if !inTile && math.Float32bits(v) != guard {
			t.Fatalf("%s: wrote outside the tile at C[%d]", what, i-pad)
		}
	}
	bad := 0
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			got, w := float64(c[i*ldc+j]), want[i*nr+j]
			if !(math.Abs(got-w) <= tol[i*nr+j]) {
				if bad++; bad <= 5 {
					t.Errorf("%s: C[%d][%d] = %g, want %g", what, i, j, got, w)
				}
			}
		}
	}
	if !slices.Equal(a, aIn) || !slices.Equal(b, bIn) {
		t.Errorf("%s: modified its packed inputs", what)
	}
}

// TestMicroKernelRows checks each level's row-panel loop against the
// float64 reference, panel by panel: 1 to 5 panels, reductions that are
// the whole packed panel or one block of a longer one (askip), every flag
// combination, B packed or read in place. Nothing outside the panels' tiles
// may be written.
func TestMicroKernelRows(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, l := range supportedLevels() {
		mk := l.gemm
		if mk.rows == nil {
			continue
		}
		t.Run(l.name, func(t *testing.T) {
			nr := mk.nr
			for _, panels := range []int{1, 2, 5} {
				for _, kk := range [][2]int{{1, 1}, {3, 3}, {16, 16}, {33, 33}, {7, 20}, {16, 64}} {
					k, ktot := kk[0], kk[1] // k steps of panels packed ktot long
					for flags := uint(0); flags < 4; flags++ {
						for _, ldb := range []int{nr, 3*nr + 5} {
							checkMicroKernelRows(t, r, mk, panels, k, ktot, ldb, flags)
						}
					}
				}
			}
		})
	}
}

func checkMicroKernelRows(t *testing.T, r *rand.Rand, mk microKernel, panels, k, ktot, ldb int, flags uint) {
	t.Helper()
	mr, nr := mk.mr, mk.nr
	ldc := nr + 3
	const pad = 23
	off := (ktot - k) / 2 * mr // the block starts this far into each panel
	a := randSlice(r, panels*ktot*mr)
	b := randSlice(r, k*ldb)
	bias, slope := randSlice(r, panels*mr), randSlice(r, panels*mr)
	buf := make([]float32, pad+panels*mr*ldc+pad)
	for i := range buf {
		buf[i] = math.Float32frombits(guard)
	}
	c := buf[pad : pad+panels*mr*ldc]
	for i := 0; i < panels*mr; i++ {
		copy(c[i*ldc:i*ldc+nr], randSlice(r, nr))
	}
	cIn := slices.Clone(c)
	mk.rows(k, &a[off], &b[0], &c[0], ldc, &bias[0], &slope[0], flags, ldb, panels, (ktot-k)*mr*4)
	what := fmt.Sprintf("%s panels=%d k=%d of %d ldb=%d flags=%b", mk.name, panels, k, ktot, ldb, flags)
	for i, v := range buf {
		inTile := i >= pad && i < pad+panels*mr*ldc && (i-pad)%ldc < nr
		if !inTile && math.Float32bits(v) != guard {
			t.Fatalf("%s: wrote outside the tiles at C[%d]", what, i-pad)
		}
	}
	for p := 0; p < panels; p++ {
		pa := a[p*ktot*mr+off:]
		want, tol := refMicroKernel(mr, nr, k, pa, b, ldb, cIn[p*mr*ldc:], ldc, bias[p*mr:], slope[p*mr:], flags)
		for i := 0; i < mr; i++ {
			for j := 0; j < nr; j++ {
				got, w := float64(c[(p*mr+i)*ldc+j]), want[i*nr+j]
				if !(math.Abs(got-w) <= tol[i*nr+j]) {
					t.Fatalf("%s: panel %d C[%d][%d] = %g, want %g", what, p, i, j, got, w)
				}
			}
		}
	}
}

// TestSetLevel checks the level switch and its restore function.
func TestSetLevel(t *testing.T) {
	levels := Levels()
	if len(levels) == 0 || levels[0] != "generic" {
		t.Fatalf("Levels() = %v, want generic first", levels)
	}
	if !slices.Contains(levels, Level()) {
		t.Fatalf("Level() = %q not among %v", Level(), levels)
	}
	orig, origKernel := Level(), gemmKernel.name
	for _, name := range levels {
		restore, err := SetLevel(name)
		if err != nil {
			t.Fatalf("SetLevel(%q): %v", name, err)
		}
		if Level() != name {
			t.Errorf("after SetLevel(%q), Level() = %q", name, Level())
		}
		restore()
		if Level() != orig || gemmKernel.name != origKernel {
			t.Errorf("restore after %q left level %q kernel %q, want %q %q", name, Level(), gemmKernel.name, orig, origKernel)
		}
	}
	for _, name := range []string{"", "sse9", "AVX2x"} {
		if _, err := SetLevel(name); err == nil {
			t.Errorf("SetLevel(%q) succeeded", name)
		}
	}
	for _, l := range allLevels {
		if !l.supported {
			if _, err := SetLevel(l.name); err == nil {
				t.Errorf("SetLevel(%q) succeeded on a CPU without it", l.name)
			}
		}
	}
}

// BenchmarkMicroKernel measures one tile with k=256 from L1-resident panels:
// the ceiling the full GEMM can approach.
func BenchmarkMicroKernel(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	const k = 256
	for _, l := range supportedLevels() {
		mk := l.gemm
		b.Run(l.name, func(b *testing.B) {
			a := randSlice(r, k*mk.mr)
			bp := randSlice(r, k*mk.nr)
			c := make([]float32, mk.mr*mk.nr)
			bias := make([]float32, mk.mr)
			for b.Loop() {
				mk.fn(k, &a[0], &bp[0], &c[0], mk.nr, &bias[0], &bias[0], mkAccumulate, mk.nr)
			}
			flops := 2 * float64(mk.mr*mk.nr*k) * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// forEachLevel runs fn once per supported level, with that level in force.
func forEachLevel(t testing.TB, fn func(level string)) {
	for _, name := range Levels() {
		restore, err := SetLevel(name)
		if err != nil {
			t.Fatal(err)
		}
		fn(name)
		restore()
	}
}

// refEpilogue applies ep to the float64 value v of output channel c, and
// scales the error bound mag with it.
func refEpilogue(v, mag float64, c int, ep *Epilogue) (float64, float64) {
	if ep == nil {
		return v, mag
	}
	if ep.Bias != nil {
		v += float64(ep.Bias[c])
		mag += math.Abs(float64(ep.Bias[c]))
	}
	switch ep.Act {
	case ActReLU:
		v = max(v, 0)
	case ActPReLU:
		if v < 0 {
			v *= float64(ep.Slope[c])
			mag *= math.Abs(float64(ep.Slope[c]))
		}
	case ActSigmoid:
		v = 1 / (1 + math.Exp(-v))
	}
	return v, mag
}

// gemmVariants are the driver paths the GEMM tests cover: serial and
// threaded, with a plain B always packed (minK huge) or always read in
// place by the micro-kernel (minK 0).
var gemmVariants = []struct {
	threaded bool
	minK     int
}{{false, 1 << 30}, {true, 1 << 30}, {false, 0}, {true, 0}}

// TestGemmLevels runs the whole GEMM (packing, blocking over K > KC, edge
// tiles, threads) at every level on awkward shapes against a float64
// product, with guard values around C.
func TestGemmLevels(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	pool := NewPool(2)
	defer pool.Close()
	type shape struct{ m, n, k int }
	shapes := []shape{{1, 1, 1}, {5, 17, 3}, {13, 33, 7}, {6, 16, 0}, {37, 100, 300}, {12, 32, 257}, {65, 47, 520},
		{9, 1021, 70}} // ldb = 1024: B rows 4 KiB apart are packed (useDirectB)
	acts := []ActKind{ActNone, ActReLU, ActPReLU, ActSigmoid}
	for _, s := range shapes {
		for ai, act := range acts {
			ldb, ldc := s.n+3, s.n+2
			a := randSlice(r, s.m*s.k)
			b := randSlice(r, max(s.k*ldb, 1))
			ep := &Epilogue{Bias: randSlice(r, s.m), Act: act, Slope: randSlice(r, s.m)}
			if ai == 0 {
				ep = nil
			}
			want := make([]float64, s.m*s.n)
			tol := make([]float64, s.m*s.n)
			for i := 0; i < s.m; i++ {
				for j := 0; j < s.n; j++ {
					var v, mag float64
					for p := 0; p < s.k; p++ {
						prod := float64(a[i*s.k+p]) * float64(b[p*ldb+j])
						v += prod
						mag += math.Abs(prod)
					}
					v, mag = refEpilogue(v, mag, i, ep)
					want[i*s.n+j], tol[i*s.n+j] = v, 1e-6*mag*float64(s.k+2)+1e-6
				}
			}
			forEachLevel(t, func(level string) {
				for _, variant := range gemmVariants {
					restoreMinK, restoreFew := gemmDirectMinK, gemmDirectFewPanels
					gemmDirectMinK, gemmDirectFewPanels = variant.minK, 0
					defer func() { gemmDirectMinK, gemmDirectFewPanels = restoreMinK, restoreFew }()
					threaded := variant.threaded
					pa := PackA(a, s.m, s.k, s.k)
					const pad = 11
					buf := make([]float32, pad+s.m*ldc+pad)
					for i := range buf {
						buf[i] = math.Float32frombits(guard)
					}
					c := buf[pad : pad+(s.m-1)*ldc+s.n]
					ctx := &Ctx{Scratch: make([]float32, GemmScratch(pa, s.n))}
					if threaded {
						ctx = &Ctx{Pool: pool}
					}
					Gemm(ctx, pa, b, ldb, s.n, c, ldc, ep)
					what := fmt.Sprintf("%s (%s) M=%d N=%d K=%d act=%d threaded=%v directMinK=%d", level, pa.Kernel(), s.m, s.n, s.k, act, threaded, variant.minK)
					for i, v := range buf {
						o := i - pad
						if (o < 0 || o >= s.m*ldc || o%ldc >= s.n) && math.Float32bits(v) != guard {
							t.Fatalf("%s: wrote outside C at offset %d", what, o)
						}
					}
					for i := 0; i < s.m; i++ {
						for j := 0; j < s.n; j++ {
							if got, w := float64(c[i*ldc+j]), want[i*s.n+j]; !(math.Abs(got-w) <= tol[i*s.n+j]) {
								t.Fatalf("%s: C[%d][%d] = %g, want %g", what, i, j, got, w)
							}
						}
					}
				}
			})
		}
	}
}

// refConv is a direct float64 convolution of one image, with error bounds.
func refConv(p ConvParams, w, bias []float32, act ActKind, slope []float32, in []float32, inH, inW int) (want, tol []float64, outH, outW int) {
	outH, outW = p.OutSize(inH, inW)
	cin, mg := p.InC/p.Groups, p.OutC/p.Groups
	want = make([]float64, p.OutC*outH*outW)
	tol = make([]float64, len(want))
	ep := &Epilogue{Bias: bias, Act: act, Slope: slope}
	n := cin * p.KH * p.KW
	for oc := 0; oc < p.OutC; oc++ {
		g := oc / mg
		for oy := 0; oy < outH; oy++ {
			for ox := 0; ox < outW; ox++ {
				var v, mag float64
				for ci := 0; ci < cin; ci++ {
					for ky := 0; ky < p.KH; ky++ {
						iy := oy*p.StrideH - p.PadTop + ky*p.DilH
						for kx := 0; kx < p.KW; kx++ {
							ix := ox*p.StrideW - p.PadLeft + kx*p.DilW
							if iy < 0 || iy >= inH || ix < 0 || ix >= inW {
								continue
							}
							prod := float64(w[((oc*cin+ci)*p.KH+ky)*p.KW+kx]) * float64(in[((g*cin+ci)*inH+iy)*inW+ix])
							v += prod
							mag += math.Abs(prod)
						}
					}
				}
				v, mag = refEpilogue(v, mag, oc, ep)
				o := (oc*outH+oy)*outW + ox
				want[o], tol[o] = v, 1e-6*mag*float64(n+2)+1e-6
			}
		}
	}
	return want, tol, outH, outW
}

// TestConvLevels runs convolutions of each kind (im2col, 1×1 direct,
// grouped, depthwise) at every level against a direct float64 convolution.
func TestConvLevels(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	pool := NewPool(2)
	defer pool.Close()
	type tc struct {
		p        ConvParams
		inH, inW int
		act      ActKind
	}
	cases := []tc{
		{ConvParams{InC: 3, OutC: 13, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 1}, 23, 19, ActPReLU},
		{ConvParams{InC: 3, OutC: 16, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 1}, 66, 70, ActReLU}, // several column blocks
		{ConvParams{InC: 17, OutC: 29, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 1}, 11, 9, ActReLU},
		{ConvParams{InC: 40, OutC: 37, KH: 1, KW: 1, StrideH: 1, StrideW: 1, Groups: 1}, 7, 13, ActNone},
		{ConvParams{InC: 300, OutC: 7, KH: 1, KW: 1, StrideH: 1, StrideW: 1, Groups: 1}, 5, 5, ActSigmoid},
		{ConvParams{InC: 33, OutC: 9, KH: 1, KW: 1, StrideH: 1, StrideW: 1, Groups: 1}, 37, 45, ActReLU}, // B read in place, several column blocks
		{ConvParams{InC: 8, OutC: 12, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 4}, 10, 10, ActPReLU},
		{ConvParams{InC: 19, OutC: 19, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 19}, 13, 21, ActPReLU},
		{ConvParams{InC: 10, OutC: 10, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 10}, 15, 34, ActReLU},
		// Wide planes (depthwisePlane rather than the padded copy): rows
		// cut by the top and bottom padding run the vector kernel on a zero row.
		{ConvParams{InC: 5, OutC: 5, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 5}, 6, 70, ActReLU},
		{ConvParams{InC: 3, OutC: 3, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 3}, 8, 131, ActPReLU},
		{ConvParams{InC: 4, OutC: 4, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 2, PadLeft: 1, PadBottom: 0, PadRight: 2, Groups: 4}, 5, 81, ActSigmoid},
		{ConvParams{InC: 2, OutC: 2, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 2}, 1, 64, ActNone},
		// Interior rows as one long kernel row (depthwiseSameInterior).
		{ConvParams{InC: 3, OutC: 3, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 3}, 9, 50, ActPReLU},
		{ConvParams{InC: 2, OutC: 2, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 2}, 3, 49, ActReLU},
		{ConvParams{InC: 2, OutC: 2, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 2}, 2, 57, ActNone},
		{ConvParams{InC: 6, OutC: 11, KH: 5, KW: 3, StrideH: 2, StrideW: 1, DilH: 1, DilW: 2, PadTop: 2, PadLeft: 0, PadBottom: 1, PadRight: 3, Groups: 1}, 14, 12, ActNone},
	}
	for _, c := range cases {
		p := c.p
		if p.DilH == 0 {
			p.DilH, p.DilW = 1, 1
		}
		w := randSlice(r, p.OutC*(p.InC/p.Groups)*p.KH*p.KW)
		bias := randSlice(r, p.OutC)
		slope := randSlice(r, p.OutC)
		in := randSlice(r, p.InC*c.inH*c.inW)
		want, tol, outH, outW := refConv(p, w, bias, c.act, slope, in, c.inH, c.inW)
		forEachLevel(t, func(level string) {
			conv, err := NewConv(p, w, bias, c.act, slope)
			if err != nil {
				t.Fatalf("%+v: %v", p, err)
			}
			restoreRows, restoreDirect, restoreFew := gemmIm2colRowsMaxK, gemmDirectMinK, gemmDirectFewPanels
			defer func() {
				gemmIm2colRowsMaxK, gemmDirectMinK, gemmDirectFewPanels = restoreRows, restoreDirect, restoreFew
			}()
			// B layouts: the defaults, then im2col always in panels and a
			// plain B always packed, then im2col always row-major and a
			// plain B always read in place.
			for vi := range 6 {
				variant := [][2]int{{restoreRows, restoreDirect}, {0, 1 << 30}, {1 << 30, 0}}[vi/2]
				gemmIm2colRowsMaxK, gemmDirectMinK, gemmDirectFewPanels = variant[0], variant[1], restoreFew
				if vi >= 2 {
					gemmDirectFewPanels = 0 // the forced layouts
				}
				ctx := &Ctx{Scratch: make([]float32, conv.ScratchSize(c.inH, c.inW))}
				if vi%2 == 1 {
					ctx = &Ctx{Pool: pool}
				}
				out := make([]float32, len(want)+1)
				out[len(want)] = math.Float32frombits(guard)
				conv.Run(ctx, in, c.inH, c.inW, out)
				what := fmt.Sprintf("%s %+v %dx%d pool=%v layouts=%v", level, p, c.inH, c.inW, ctx.Pool != nil, variant)
				if math.Float32bits(out[len(want)]) != guard {
					t.Fatalf("%s: wrote past the output", what)
				}
				for i, wv := range want {
					if got := float64(out[i]); !(math.Abs(got-wv) <= tol[i]) {
						t.Fatalf("%s: out[%d] (channel %d) = %g, want %g", what, i, i/(outH*outW), got, wv)
					}
				}
			}
		})
	}
}

// BenchmarkGemmLevels measures single-threaded square GEMMs per level.
func BenchmarkGemmLevels(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{256, 512, 1024} {
		a := randSlice(r, n*n)
		bm := randSlice(r, n*n)
		c := make([]float32, n*n)
		for _, level := range Levels() {
			if level == "generic" && n > 256 {
				continue // minutes of pure Go teach nothing new
			}
			b.Run(fmt.Sprintf("%s/%d", level, n), func(b *testing.B) {
				restore, err := SetLevel(level)
				if err != nil {
					b.Fatal(err)
				}
				defer restore()
				pa := PackA(a, n, n, n)
				ctx := &Ctx{Scratch: make([]float32, GemmScratch(pa, n))}
				for b.Loop() {
					Gemm(ctx, pa, bm, n, n, c, n, nil)
				}
				b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestChooseLevel checks how FACEGATE_CPU is interpreted: a supported level
// is used, anything else falls back to the fastest with a note, never a
// crash.
func TestChooseLevel(t *testing.T) {
	levels := Levels()
	best := levels[len(levels)-1]
	cases := []struct {
		env, want string
		noted     bool
	}{
		{"", best, false},
		{"generic", "generic", true},
		{" Generic\n", "generic", true},
		{"sse9", best, true},
		{"neon avx2", best, true},
	}
	for _, l := range allLevels {
		if l.supported {
			cases = append(cases, struct {
				env, want string
				noted     bool
			}{l.name, l.name, true})
		} else {
			cases = append(cases, struct {
				env, want string
				noted     bool
			}{l.name, best, true})
		}
	}
	for _, c := range cases {
		got, note := chooseLevel(c.env)
		if got != c.want || (note != "") != c.noted {
			t.Errorf("chooseLevel(%q) = %q, %q; want %q (note: %v)", c.env, got, note, c.want, c.noted)
		}
	}
}

// dwLevels returns the depthwise row kernels to test: the scalar one and
// each supported level's.
func dwLevels() map[string]dwRowFunc {
	fns := map[string]dwRowFunc{"go": dwRow3x3Go}
	for _, l := range supportedLevels() {
		if l.dw3x3 != nil {
			fns[l.name] = l.dw3x3
		}
	}
	return fns
}

// refDWRow is dwRowFunc in float64 with error bounds.
func refDWRow(n int, r [3][]float32, k *[9]float32, stride int, bias, slope float32, activate bool) (want, tol []float64) {
	want, tol = make([]float64, n), make([]float64, n)
	for x := 0; x < n; x++ {
		v, mag := float64(bias), math.Abs(float64(bias))
		for ky := 0; ky < 3; ky++ {
			for kx := 0; kx < 3; kx++ {
				prod := float64(k[3*ky+kx]) * float64(r[ky][x*stride+kx])
				v += prod
				mag += math.Abs(prod)
			}
		}
		if activate && v < 0 {
			v *= float64(slope)
			mag *= math.Abs(float64(slope))
		}
		want[x], tol[x] = v, 1e-6*mag+1e-30
	}
	return want, tol
}

// TestDWRow3x3 checks each level's depthwise row kernel on every output
// count up to a few blocks, both strides, rows of exactly the needed length
// and longer, against a float64 reference with guard values after out.
func TestDWRow3x3(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for name, fn := range dwLevels() {
		for _, stride := range []int{1, 2} {
			for n := 0; n <= 70; n++ {
				for _, extra := range []int{0, 1, 2, 40} {
					for _, activate := range []bool{false, true} {
						var rows [3][]float32
						for i := range rows {
							rows[i] = randSlice(r, max(n-1, 0)*stride+3+extra)
						}
						k := (*[9]float32)(randSlice(r, 9))
						bias, slope := r.Float32()-0.5, r.Float32()-0.5
						want, tol := refDWRow(n, rows, k, stride, bias, slope, activate)
						out := make([]float32, n+3)
						for i := n; i < len(out); i++ {
							out[i] = math.Float32frombits(guard)
						}
						fn(out[:n], rows[0], rows[1], rows[2], k, stride, bias, slope, activate)
						what := fmt.Sprintf("%s stride %d n=%d extra=%d activate=%v", name, stride, n, extra, activate)
						for i := n; i < len(out); i++ {
							if math.Float32bits(out[i]) != guard {
								t.Fatalf("%s: wrote out[%d]", what, i)
							}
						}
						for x := 0; x < n; x++ {
							if got := float64(out[x]); !(math.Abs(got-want[x]) <= tol[x]) {
								t.Fatalf("%s: out[%d] = %g, want %g", what, x, got, want[x])
							}
						}
					}
				}
			}
		}
	}
}

// BenchmarkDWRow3x3 measures a 112-wide output row (MobileNet-like), stride
// 1 and 2, per level.
func BenchmarkDWRow3x3(b *testing.B) {
	r := rand.New(rand.NewPCG(13, 14))
	const n = 112
	for _, stride := range []int{1, 2} {
		var rows [3][]float32
		for i := range rows {
			rows[i] = randSlice(r, n*stride+3)
		}
		k := (*[9]float32)(randSlice(r, 9))
		out := make([]float32, n)
		for _, name := range append([]string{"go"}, Levels()...) {
			fn := dwLevels()[name]
			if fn == nil {
				continue
			}
			b.Run(fmt.Sprintf("%s/s%d", name, stride), func(b *testing.B) {
				for b.Loop() {
					fn(out, rows[0], rows[1], rows[2], k, stride, 0.5, 0.1, true)
				}
				b.ReportMetric(18*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestRowKernels checks the 2×2 max-pool and de-interleave row kernels of
// every level against their Go definitions on lengths around the vector
// widths, with guard values after every output.
func TestRowKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for _, l := range supportedLevels() {
		maxFn, deintFn := l.max2x2, l.deint
		if maxFn == nil {
			maxFn = max2x2RowGo
		}
		if deintFn == nil {
			deintFn = deintRowGo
		}
		for _, n := range []int{0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 160} {
			for extra := 0; extra < 2; extra++ { // rows longer than 2n (odd widths) may be passed
				what := fmt.Sprintf("%s n=%d extra=%d", l.name, n, extra)
				r0, r1 := randSlice(r, 2*n+extra), randSlice(r, 2*n+extra)
				r0In, r1In := slices.Clone(r0), slices.Clone(r1)
				buf := make([]float32, n+3)
				for i := range buf {
					buf[i] = math.Float32frombits(guard)
				}
				maxFn(buf[:n], r0, r1)
				for i := range n {
					if want := max(r0[2*i], r0[2*i+1], r1[2*i], r1[2*i+1]); buf[i] != want {
						t.Fatalf("%s: max2x2 out[%d] = %g, want %g", what, i, buf[i], want)
					}
				}
				for _, v := range buf[n:] {
					if math.Float32bits(v) != guard {
						t.Fatalf("%s: max2x2 wrote past its output", what)
					}
				}
				even, odd := make([]float32, n+3), make([]float32, n+3)
				for i := range even {
					even[i], odd[i] = math.Float32frombits(guard), math.Float32frombits(guard)
				}
				deintFn(even[:n], odd[:n], r0)
				for i := range n {
					if even[i] != r0[2*i] || odd[i] != r0[2*i+1] {
						t.Fatalf("%s: deint [%d] = %g, %g, want %g, %g", what, i, even[i], odd[i], r0[2*i], r0[2*i+1])
					}
				}
				for i := n; i < n+3; i++ {
					if math.Float32bits(even[i]) != guard || math.Float32bits(odd[i]) != guard {
						t.Fatalf("%s: deint wrote past its outputs", what)
					}
				}
				if !slices.Equal(r0, r0In) || !slices.Equal(r1, r1In) {
					t.Fatalf("%s: modified its input rows", what)
				}
			}
		}
	}
}

// checkSigmoidRow checks level l's sigmoid on n values spread over ±100
// (saturated, tiny and ordinary results) against float64 math and against
// sigmoidRowGo, its twin, with guards after the output, in place, and with
// NaN and infinities.
func checkSigmoidRow(t *testing.T, l cpuLevel, n int, a []float32) {
	t.Helper()
	fn := l.sigmoid
	if fn == nil {
		fn = sigmoidRowGo
	}
	x := make([]float32, n)
	for i := range x {
		x[i] = a[i] * 100
	}
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, -87, 87, -88.8, 88.8}
	for i := 0; i < n && i < len(special); i += 3 {
		x[i] = special[i/3]
	}
	out := make([]float32, n+3)
	for i := range out {
		out[i] = math.Float32frombits(guard)
	}
	twin := make([]float32, n)
	fn(out[:n], x)
	sigmoidRowGo(twin, x)
	for i, v := range x {
		got, want := float64(out[i]), 1/(1+math.Exp(-float64(v)))
		if v != v {
			if got == got || twin[i] == twin[i] {
				t.Fatalf("%s n=%d: sigmoid(NaN) = %g, twin %g", l.name, n, got, twin[i])
			}
			continue
		}
		if !(math.Abs(got-want) <= 3e-7*want+1e-30) || !(math.Abs(got-float64(twin[i])) <= 3e-7*want+1e-30) {
			t.Fatalf("%s n=%d: sigmoid(%g) = %g, twin %g, want %g", l.name, n, v, got, twin[i], want)
		}
	}
	for _, v := range out[n:] {
		if math.Float32bits(v) != guard {
			t.Fatalf("%s n=%d: sigmoid wrote past its output", l.name, n)
		}
	}
	in := slices.Clone(x)
	fn(in, in)
	for i := range in {
		if math.Float32bits(in[i]) != math.Float32bits(out[i]) {
			t.Fatalf("%s n=%d: in-place sigmoid [%d] = %g, want %g", l.name, n, i, in[i], out[i])
		}
	}
}

// checkDupRow checks level l's row doubling on n values: every value
// twice, nothing written past 2n.
func checkDupRow(t *testing.T, l cpuLevel, n int, a []float32) {
	t.Helper()
	fn := l.dup
	if fn == nil {
		fn = dupRowGo
	}
	out := make([]float32, 2*n+3)
	for i := range out {
		out[i] = math.Float32frombits(guard)
	}
	fn(out, a[:n])
	for i := range 2 * n {
		if math.Float32bits(out[i]) != math.Float32bits(a[i/2]) {
			t.Fatalf("%s n=%d: dup out[%d] = %g, want %g", l.name, n, i, out[i], a[i/2])
		}
	}
	for _, v := range out[2*n:] {
		if math.Float32bits(v) != guard {
			t.Fatalf("%s n=%d: dup wrote past its output", l.name, n)
		}
	}
}

// TestEltKernels checks the add and PReLU row kernels of every level
// against their Go definitions, with guard values after the outputs and
// out aliasing an input as the grouped convolution uses it.
func TestEltKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for _, l := range supportedLevels() {
		addFn, preluFn := l.add, l.prelu
		if addFn == nil {
			addFn = addRowGo
		}
		if preluFn == nil {
			preluFn = preluRowGo
		}
		for _, n := range []int{0, 1, 3, 4, 5, 8, 15, 16, 17, 33, 100} {
			what := fmt.Sprintf("%s n=%d", l.name, n)
			a, b := randSlice(r, n), randSlice(r, n)
			out := make([]float32, n+3)
			for i := range out {
				out[i] = math.Float32frombits(guard)
			}
			addFn(out[:n], a, b)
			for i := range n {
				if out[i] != a[i]+b[i] {
					t.Fatalf("%s: add out[%d] = %g, want %g", what, i, out[i], a[i]+b[i])
				}
			}
			for _, v := range out[n:] {
				if math.Float32bits(v) != guard {
					t.Fatalf("%s: add wrote past its output", what)
				}
			}
			sum := slices.Clone(a)
			addFn(sum, sum, b) // in place
			for i := range n {
				if sum[i] != a[i]+b[i] {
					t.Fatalf("%s: in-place add [%d] = %g, want %g", what, i, sum[i], a[i]+b[i])
				}
			}
			checkSigmoidRow(t, l, n, a)
			checkDupRow(t, l, n, a)
			for _, slope := range []float32{0, 0.25, -1.5} {
				x := append(slices.Clone(a), math.Float32frombits(guard))
				preluFn(x[:n], slope)
				for i := range n {
					want := max(a[i], 0) + min(a[i], 0)*slope
					if x[i] != want {
						t.Fatalf("%s slope %g: prelu x[%d] = %g, want %g", what, slope, i, x[i], want)
					}
				}
				if math.Float32bits(x[n]) != guard {
					t.Fatalf("%s: prelu wrote past its row", what)
				}
			}
		}
	}
}
