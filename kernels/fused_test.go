package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refPointDepth is the float64 result of a 1×1 convolution, a 3×3
// depthwise convolution and, with pool, a 2×2 max pool, straight from the
// definitions; scale bounds the rounding error of each output.
func refPointDepth(inC, c int, pwW, pwB []float32, pwAct ActKind, pwSlope []float32,
	dwW, dwB []float32, dwAct ActKind, dwSlope []float32, pool bool, in []float32, h, w int) (want, scale []float64) {
	mid, midScale, _, _ := ktRefConv(ConvParams{InC: inC, OutC: c, KH: 1, KW: 1}, in, h, w, pwW, pwB, pwAct, pwSlope)
	mid32 := make([]float32, len(mid))
	for i, v := range mid {
		mid32[i] = float32(v)
	}
	dp := ConvParams{InC: c, OutC: c, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: c}
	out, outScale, _, _ := ktRefConv(dp, mid32, h, w, dwW, dwB, dwAct, dwSlope)
	// The depthwise sum's error bound grows with the error of its inputs.
	for ch := 0; ch < c; ch++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var s float64
				for ky := -1; ky <= 1; ky++ {
					for kx := -1; kx <= 1; kx++ {
						if yy, xx := y+ky, x+kx; yy >= 0 && yy < h && xx >= 0 && xx < w {
							s += midScale[(ch*h+yy)*w+xx] * math.Abs(float64(dwW[ch*9+(ky+1)*3+kx+1]))
						}
					}
				}
				outScale[(ch*h+y)*w+x] += s
			}
		}
	}
	if !pool {
		return out, outScale
	}
	oh, ow := h/2, w/2
	want, scale = make([]float64, c*oh*ow), make([]float64, c*oh*ow)
	for ch := 0; ch < c; ch++ {
		for y := 0; y < oh; y++ {
			for x := 0; x < ow; x++ {
				m, s := math.Inf(-1), 0.0
				for _, i := range []int{(ch*h+2*y)*w + 2*x, (ch*h+2*y)*w + 2*x + 1, (ch*h+2*y+1)*w + 2*x, (ch*h+2*y+1)*w + 2*x + 1} {
					m, s = max(m, out[i]), max(s, outScale[i])
				}
				want[(ch*oh+y)*ow+x], scale[(ch*oh+y)*ow+x] = m, s
			}
		}
	}
	return want, scale
}

// ktUnit builds the fused unit of a 1×1 convolution (inC → c) and a 3×3
// depthwise one over its c channels, with the given weights, biases,
// activations and slopes (nil unless PReLU).
func ktUnit(t *testing.T, inC, c int, pwW, pwB []float32, pwAct ActKind, pwSlope, dwW, dwB []float32, dwAct ActKind, dwSlope []float32, pool bool) *PointDepth {
	t.Helper()
	pw, err := NewConv(ConvParams{InC: inC, OutC: c, KH: 1, KW: 1}, pwW, pwB, pwAct, pwSlope)
	if err != nil {
		t.Fatal(err)
	}
	dw, err := NewConv(ConvParams{InC: c, OutC: c, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: c}, dwW, dwB, dwAct, dwSlope)
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewPointDepth(pw, dw, pool)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestPointDepth runs the fused unit at every level, serial and threaded,
// on shapes that exercise the strip logic: one strip, many strips with a
// short last one, odd heights and widths (pooling drops the last row and
// column), planes narrower than the vector kernel, and widths whose strips
// are not a whole number of vector blocks.
func TestPointDepth(t *testing.T) {
	cases := []struct {
		inC, c, h, w int
		pwAct, dwAct ActKind
		pool         bool
	}{
		{3, 4, 1, 1, ActNone, ActReLU, false},
		{3, 4, 2, 2, ActNone, ActNone, true},
		{5, 7, 3, 2, ActReLU, ActPReLU, false},
		{16, 16, 9, 17, ActNone, ActReLU, true},
		{16, 16, 40, 40, ActNone, ActReLU, true},
		{13, 9, 31, 33, ActPReLU, ActReLU, true},
		{32, 64, 20, 20, ActNone, ActReLU, false},
		{64, 10, 23, 80, ActNone, ActNone, false},
		{8, 24, 97, 3, ActReLU, ActPReLU, true},
		{16, 16, 160, 64, ActNone, ActReLU, true}, // many strips per band
		{24, 8, 129, 150, ActNone, ActReLU, false},
		{32, 16, 32, 32, ActNone, ActReLU, false}, // input rows copied (stripCopies)
		{40, 8, 64, 48, ActReLU, ActPReLU, true},
	}
	r := rand.New(rand.NewPCG(3, 9))
	pools := ktPools(t)
	for _, tc := range cases {
		pwW, pwB := ktRand(r, tc.c*tc.inC), ktRand(r, tc.c)
		dwW, dwB := ktRand(r, tc.c*9), ktRand(r, tc.c)
		pwSlope, dwSlope := ktRand(r, tc.c), ktRand(r, tc.c)
		if tc.pwAct != ActPReLU {
			pwSlope = nil
		}
		if tc.dwAct != ActPReLU {
			dwSlope = nil
		}
		in := ktRand(r, tc.inC*tc.h*tc.w)
		want, scale := refPointDepth(tc.inC, tc.c, pwW, pwB, tc.pwAct, pwSlope, dwW, dwB, tc.dwAct, dwSlope, tc.pool, in, tc.h, tc.w)
		forEachLevel(t, func(level string) {
			f := ktUnit(t, tc.inC, tc.c, pwW, pwB, tc.pwAct, pwSlope, dwW, dwB, tc.dwAct, dwSlope, tc.pool)
			c, oh, ow := f.OutShape(tc.h, tc.w)
			for _, p := range pools {
				name := fmt.Sprintf("%s/%dx%dx%d->%d pool=%v threads=%d", level, tc.inC, tc.h, tc.w, tc.c, tc.pool, p.Threads())
				out := ktNewGuarded(c * oh * ow)
				ctx := &Ctx{Pool: p, Scratch: make([]float32, f.ScratchSize(tc.h, tc.w))}
				for run := 0; run < 2; run++ { // the second run reuses the job's state
					f.Run(ctx, in, tc.h, tc.w, out.Data)
					out.check(t, name)
					if i, ok := ktClose(out.Data, want, scale); !ok {
						t.Fatalf("%s: output %d = %g, want %g", name, i, out.Data[i], want[i])
					}
				}
			}
		})
	}
}

// TestStackPointDepth: stacked units give each unit's output in its
// channel range, at every level, for PReLU and plain units.
func TestStackPointDepth(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const inC, h, w = 24, 13, 21
	in := ktRand(r, inC*h*w)
	for _, act := range []ActKind{ActNone, ActPReLU} {
		forEachLevel(t, func(level string) {
			var units []*PointDepth
			var want, scale []float64
			for _, c := range []int{1, 10, 4, 9} {
				pwW, pwB, dwW, dwB := ktRand(r, c*inC), ktRand(r, c), ktRand(r, 9*c), ktRand(r, c)
				var pwS, dwS []float32
				if act == ActPReLU {
					pwS, dwS = ktRand(r, c), ktRand(r, c)
				}
				wnt, sc := refPointDepth(inC, c, pwW, pwB, act, pwS, dwW, dwB, act, dwS, false, in, h, w)
				want, scale = append(want, wnt...), append(scale, sc...)
				units = append(units, ktUnit(t, inC, c, pwW, pwB, act, pwS, dwW, dwB, act, dwS, false))
			}
			f, err := StackPointDepth(units...)
			if err != nil {
				t.Fatal(err)
			}
			out := ktNewGuarded(len(want))
			f.Run(&Ctx{Scratch: make([]float32, f.ScratchSize(h, w))}, in, h, w, out.Data)
			out.check(t, level)
			if i, ok := ktClose(out.Data, want, scale); !ok {
				t.Fatalf("%s act %d: output %d = %g, want %g", level, act, i, out.Data[i], want[i])
			}
		})
	}
	// Units that cannot share a step.
	mk := func(inC int, act ActKind, pool bool) *PointDepth {
		pw, _ := NewConv(ConvParams{InC: inC, OutC: 2, KH: 1, KW: 1}, make([]float32, 2*inC), nil, ActNone, nil)
		dw, _ := NewConv(ConvParams{InC: 2, OutC: 2, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 2}, make([]float32, 18), nil, act, nil)
		u, err := NewPointDepth(pw, dw, pool)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	pooledIn, err := mk(4, ActNone, false).WithInputPool()
	if err != nil {
		t.Fatal(err)
	}
	for name, us := range map[string][]*PointDepth{
		"none":        nil,
		"input pool":  {mk(4, ActNone, false), pooledIn},
		"pool":        {mk(4, ActNone, false), mk(4, ActNone, true)},
		"inputs":      {mk(4, ActNone, false), mk(5, ActNone, false)},
		"activations": {mk(4, ActNone, false), mk(4, ActReLU, false)},
	} {
		if _, err := StackPointDepth(us...); err == nil {
			t.Errorf("%s: stacked", name)
		}
	}
}

// TestPointDepthRejects: only the shapes the fused code computes are
// accepted.
func TestPointDepthRejects(t *testing.T) {
	mk := func(p ConvParams, act ActKind) *Conv {
		t.Helper()
		n := p.OutC * p.InC / max(p.Groups, 1) * p.KH * p.KW
		var slope []float32
		if act == ActPReLU {
			slope = make([]float32, p.OutC)
		}
		c, err := NewConv(p, make([]float32, n), nil, act, slope)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	pad1 := func(p ConvParams) ConvParams {
		p.PadTop, p.PadLeft, p.PadBottom, p.PadRight = 1, 1, 1, 1
		return p
	}
	pw := mk(ConvParams{InC: 4, OutC: 8, KH: 1, KW: 1}, ActNone)
	dw := mk(pad1(ConvParams{InC: 8, OutC: 8, KH: 3, KW: 3, Groups: 8}), ActReLU)
	if _, err := NewPointDepth(pw, dw, true); err != nil {
		t.Fatalf("valid unit rejected: %v", err)
	}
	bad := []struct {
		name   string
		pw, dw *Conv
	}{
		{"pw 3x3", mk(pad1(ConvParams{InC: 4, OutC: 8, KH: 3, KW: 3}), ActNone), dw},
		{"pw stride 2", mk(ConvParams{InC: 4, OutC: 8, KH: 1, KW: 1, StrideH: 2, StrideW: 2}, ActNone), dw},
		{"dw channels", mk(ConvParams{InC: 4, OutC: 6, KH: 1, KW: 1}, ActNone), dw},
		{"dw stride 2", pw, mk(pad1(ConvParams{InC: 8, OutC: 8, KH: 3, KW: 3, StrideH: 2, StrideW: 2, Groups: 8}), ActNone)},
		{"dw unpadded", pw, mk(ConvParams{InC: 8, OutC: 8, KH: 3, KW: 3, Groups: 8}, ActNone)},
		{"dw 5x5", pw, mk(ConvParams{InC: 8, OutC: 8, KH: 5, KW: 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2, Groups: 8}, ActNone)},
		{"dw sigmoid", pw, mk(pad1(ConvParams{InC: 8, OutC: 8, KH: 3, KW: 3, Groups: 8}), ActSigmoid)},
		{"dense second", pw, mk(ConvParams{InC: 8, OutC: 8, KH: 1, KW: 1}, ActNone)},
		{"nil", nil, dw},
	}
	for _, b := range bad {
		if _, err := NewPointDepth(b.pw, b.dw, false); err == nil {
			t.Errorf("%s: accepted", b.name)
		}
	}
}

// TestPointDepthNoAllocs: after the first call, Run allocates nothing.
func TestPointDepthNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pw, _ := NewConv(ConvParams{InC: 16, OutC: 16, KH: 1, KW: 1}, ktRand(r, 256), ktRand(r, 16), ActNone, nil)
	dw, _ := NewConv(ConvParams{InC: 16, OutC: 16, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 16}, ktRand(r, 144), ktRand(r, 16), ActReLU, nil)
	f, err := NewPointDepth(pw, dw, true)
	if err != nil {
		t.Fatal(err)
	}
	in, out := ktRand(r, 16*64*64), make([]float32, 16*32*32)
	for _, p := range ktPools(t) {
		ctx := &Ctx{Pool: p, Scratch: make([]float32, f.ScratchSize(64, 64))}
		f.Run(ctx, in, 64, 64, out)
		if n := testing.AllocsPerRun(5, func() { f.Run(ctx, in, 64, 64, out) }); n != 0 {
			t.Errorf("threads=%d: %v allocations per run", p.Threads(), n)
		}
	}
}

// BenchmarkPointDepth times YuNet's fused units (640×640, and two of 320×320) on one and on two
// threads, in GFLOP/s of the 1×1 and depthwise work together, at the level
// in force (FACEGATE_CPU).
//
//	go test -run X -bench PointDepth ./kernels/
func BenchmarkPointDepth(b *testing.B) {
	units := []struct {
		inC, c, h, w int
		pool         bool
	}{
		{16, 16, 320, 320, true},
		{16, 16, 160, 160, false},
		{16, 32, 160, 160, false},
		{32, 32, 160, 160, false},
		{32, 64, 160, 160, true},
		{64, 64, 80, 80, false},
		{64, 64, 40, 40, false},
		{64, 64, 20, 20, false},
		{32, 32, 80, 80, false}, // YuNet 320's stage 2
		{32, 64, 80, 80, true},
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, u := range units {
		pw, err := NewConv(ConvParams{InC: u.inC, OutC: u.c, KH: 1, KW: 1}, ktRand(r, u.inC*u.c), ktRand(r, u.c), ActNone, nil)
		if err != nil {
			b.Fatal(err)
		}
		dw, err := NewConv(ConvParams{InC: u.c, OutC: u.c, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: u.c}, ktRand(r, 9*u.c), ktRand(r, u.c), ActReLU, nil)
		if err != nil {
			b.Fatal(err)
		}
		f, err := NewPointDepth(pw, dw, u.pool)
		if err != nil {
			b.Fatal(err)
		}
		c, oh, ow := f.OutShape(u.h, u.w)
		in, out := ktRand(r, u.inC*u.h*u.w), make([]float32, c*oh*ow)
		for _, pool := range ktBenchPools(b) {
			ctx := &Ctx{Pool: pool, Scratch: make([]float32, f.ScratchSize(u.h, u.w))}
			name := fmt.Sprintf("yunet-%dx%dx%d-%d", u.inC, u.h, u.w, u.c)
			if u.pool {
				name += "-pool"
			}
			b.Run(fmt.Sprintf("%s/threads%d", name, pool.Threads()), func(b *testing.B) {
				cpu0 := ktCPUSeconds()
				for b.Loop() {
					f.Run(ctx, in, u.h, u.w, out)
				}
				ktReport(b, 2*float64(u.h*u.w*u.c*(u.inC+9)), cpu0)
			})
		}
	}
}

// TestPointDepthStem runs units with a stem at every level, serial and
// threaded. The reference is the float64 unit (refPointDepth) on the stem's
// output as the stem Conv computes it alone, which is first checked against
// the float64 convolution: the fused unit runs the same stem kernel on the
// same rows, so only the strip logic (row ranges, band edges, padding rows,
// partial channel blocks) is under test here.
func TestPointDepthStem(t *testing.T) {
	cases := []struct {
		sc, h, w int // stem output channels, image size
		pad      int
		stemAct  ActKind
		c        int
		pool     bool
	}{
		{16, 2, 2, 1, ActReLU, 16, true},
		{16, 5, 7, 1, ActReLU, 16, false},
		{16, 64, 48, 1, ActReLU, 16, true},
		{16, 129, 150, 1, ActReLU, 16, true}, // many strips, odd sizes
		{12, 41, 66, 0, ActPReLU, 8, false},  // partial channel block, no padding
		{8, 200, 31, 1, ActNone, 24, true},   // narrow rows, many bands
		{16, 322, 320, 1, ActReLU, 16, true}, // YuNet's shape, smaller
	}
	r := rand.New(rand.NewPCG(5, 17))
	pools := ktPools(t)
	for _, tc := range cases {
		sp := ConvParams{InC: 3, OutC: tc.sc, KH: 3, KW: 3, StrideH: 2, StrideW: 2,
			PadTop: tc.pad, PadLeft: tc.pad, PadBottom: tc.pad, PadRight: tc.pad}
		sW, sB := ktRand(r, tc.sc*27), ktRand(r, tc.sc)
		var sSlope []float32
		if tc.stemAct == ActPReLU {
			sSlope = ktRand(r, tc.sc)
		}
		pwW, pwB := ktRand(r, tc.c*tc.sc), ktRand(r, tc.c)
		dwW, dwB := ktRand(r, tc.c*9), ktRand(r, tc.c)
		in := ktRand(r, 3*tc.h*tc.w)
		stemWant, stemScale, uh, uw := ktRefConv(sp, in, tc.h, tc.w, sW, sB, tc.stemAct, sSlope)
		forEachLevel(t, func(level string) {
			stem, err := NewConv(sp, sW, sB, tc.stemAct, sSlope)
			if err != nil {
				t.Fatal(err)
			}
			if stem.kind != convFirst {
				t.Fatalf("stem %+v is not run as a first layer", sp)
			}
			mid := make([]float32, tc.sc*uh*uw)
			stem.Run(&Ctx{Scratch: make([]float32, stem.ScratchSize(tc.h, tc.w))}, in, tc.h, tc.w, mid)
			if i, ok := ktClose(mid, stemWant, stemScale); !ok {
				t.Fatalf("%s: stem output %d = %g, want %g", level, i, mid[i], stemWant[i])
			}
			want, scale := refPointDepth(tc.sc, tc.c, pwW, pwB, ActNone, nil, dwW, dwB, ActReLU, nil, tc.pool, mid, uh, uw)
			u := ktUnit(t, tc.sc, tc.c, pwW, pwB, ActNone, nil, dwW, dwB, ActReLU, nil, tc.pool)
			f, err := u.WithStem(stem)
			if err != nil {
				t.Fatal(err)
			}
			if f.InC() != 3 || !f.HasStem() {
				t.Fatalf("unit with stem reads %d channels", f.InC())
			}
			c, oh, ow := f.OutShape(tc.h, tc.w)
			if c*oh*ow != len(want) {
				t.Fatalf("OutShape(%d, %d) = %d×%d×%d, want %d values", tc.h, tc.w, c, oh, ow, len(want))
			}
			for _, p := range pools {
				name := fmt.Sprintf("%s/stem %dx%d->%d pad=%d unit ->%d pool=%v threads=%d", level, tc.h, tc.w, tc.sc, tc.pad, tc.c, tc.pool, p.Threads())
				out := ktNewGuarded(len(want))
				ctx := &Ctx{Pool: p, Scratch: make([]float32, f.ScratchSize(tc.h, tc.w))}
				for run := 0; run < 2; run++ {
					f.Run(ctx, in, tc.h, tc.w, out.Data)
					out.check(t, name)
					if i, ok := ktClose(out.Data, want, scale); !ok {
						t.Fatalf("%s: output %d = %g, want %g", name, i, out.Data[i], want[i])
					}
				}
			}
		})
	}
	// Stems the unit cannot take.
	pw, _ := NewConv(ConvParams{InC: 16, OutC: 4, KH: 1, KW: 1}, make([]float32, 64), nil, ActNone, nil)
	dw, _ := NewConv(ConvParams{InC: 4, OutC: 4, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 4}, make([]float32, 36), nil, ActNone, nil)
	u, err := NewPointDepth(pw, dw, false)
	if err != nil {
		t.Fatal(err)
	}
	first := ConvParams{InC: 3, OutC: 16, KH: 3, KW: 3, StrideH: 2, StrideW: 2}
	s8 := first
	s8.OutC = 8
	s1 := first
	s1.StrideH, s1.StrideW = 1, 1
	for name, p := range map[string]ConvParams{"channels": s8, "stride 1": s1} {
		c, err := NewConv(p, make([]float32, p.OutC*27), nil, ActNone, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.WithStem(c); err == nil {
			t.Errorf("%s: stem accepted", name)
		}
	}
	s, _ := NewConv(first, make([]float32, 16*27), nil, ActNone, nil)
	if _, err := u.WithStem(nil); err == nil {
		t.Error("nil stem accepted")
	}
	us, err := u.WithStem(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := us.WithStem(s); err == nil {
		t.Error("second stem accepted")
	}
}

// TestPointDepthInputPool runs units that pool their input at every level,
// serial and threaded, against the float64 unit on the pooled plane (a max
// is exact), on even and odd sizes (the pool drops the last row and
// column) and planes whose rows are copied as well (stripCopies).
func TestPointDepthInputPool(t *testing.T) {
	cases := []struct {
		inC, c, h, w int
		pool         bool
	}{
		{4, 8, 2, 2, false},
		{8, 8, 5, 7, false},
		{64, 64, 80, 80, false},
		{16, 24, 41, 30, true},
		{32, 16, 64, 64, false},
		{3, 5, 131, 17, true},
	}
	r := rand.New(rand.NewPCG(21, 22))
	pools := ktPools(t)
	for _, tc := range cases {
		pwW, pwB := ktRand(r, tc.c*tc.inC), ktRand(r, tc.c)
		dwW, dwB := ktRand(r, tc.c*9), ktRand(r, tc.c)
		in := ktRand(r, tc.inC*tc.h*tc.w)
		ph, pw := tc.h/2, tc.w/2
		pooled := make([]float32, tc.inC*ph*pw)
		for ci := 0; ci < tc.inC; ci++ {
			for y := 0; y < ph; y++ {
				for x := 0; x < pw; x++ {
					at := func(yy, xx int) float32 { return in[(ci*tc.h+yy)*tc.w+xx] }
					pooled[(ci*ph+y)*pw+x] = max(at(2*y, 2*x), at(2*y, 2*x+1), at(2*y+1, 2*x), at(2*y+1, 2*x+1))
				}
			}
		}
		want, scale := refPointDepth(tc.inC, tc.c, pwW, pwB, ActReLU, nil, dwW, dwB, ActReLU, nil, tc.pool, pooled, ph, pw)
		forEachLevel(t, func(level string) {
			u := ktUnit(t, tc.inC, tc.c, pwW, pwB, ActReLU, nil, dwW, dwB, ActReLU, nil, tc.pool)
			f, err := u.WithInputPool()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WithInputPool(); err == nil {
				t.Fatal("second input pool accepted")
			}
			c, oh, ow := f.OutShape(tc.h, tc.w)
			if c*oh*ow != len(want) {
				t.Fatalf("OutShape(%d, %d) = %d×%d×%d, want %d values", tc.h, tc.w, c, oh, ow, len(want))
			}
			for _, p := range pools {
				name := fmt.Sprintf("%s/%dx%dx%d pooled ->%d pool=%v threads=%d", level, tc.inC, tc.h, tc.w, tc.c, tc.pool, p.Threads())
				out := ktNewGuarded(len(want))
				ctx := &Ctx{Pool: p, Scratch: make([]float32, f.ScratchSize(tc.h, tc.w))}
				for run := 0; run < 2; run++ {
					f.Run(ctx, in, tc.h, tc.w, out.Data)
					out.check(t, name)
					if i, ok := ktClose(out.Data, want, scale); !ok {
						t.Fatalf("%s: output %d = %g, want %g", name, i, out.Data[i], want[i])
					}
				}
			}
		})
	}
}
