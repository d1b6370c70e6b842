package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// ktRefConv is the naive float64 convolution straight from the definition.
func ktRefConv(p ConvParams, in []float32, inH, inW int, w, bias []float32, act ActKind, slope []float32) (want, scale []float64, outH, outW int) {
	p = p.normalized()
	outH = (inH+p.PadTop+p.PadBottom-p.DilH*(p.KH-1)-1)/p.StrideH + 1
	outW = (inW+p.PadLeft+p.PadRight-p.DilW*(p.KW-1)-1)/p.StrideW + 1
	cin, mg := p.InC/p.Groups, p.OutC/p.Groups
	want = make([]float64, p.OutC*outH*outW)
	scale = make([]float64, len(want))
	for oc := 0; oc < p.OutC; oc++ {
		g := oc / mg
		for oh := 0; oh < outH; oh++ {
			for ow := 0; ow < outW; ow++ {
				var s, sa float64
				if bias != nil {
					s, sa = float64(bias[oc]), math.Abs(float64(bias[oc]))
				}
				for ci := 0; ci < cin; ci++ {
					for ky := 0; ky < p.KH; ky++ {
						for kx := 0; kx < p.KW; kx++ {
							iy := oh*p.StrideH - p.PadTop + ky*p.DilH
							ix := ow*p.StrideW - p.PadLeft + kx*p.DilW
							if iy < 0 || iy >= inH || ix < 0 || ix >= inW {
								continue
							}
							v := float64(in[((g*cin+ci)*inH+iy)*inW+ix]) * float64(w[((oc*cin+ci)*p.KH+ky)*p.KW+kx])
							s += v
							sa += math.Abs(v)
						}
					}
				}
				var sl float64
				if slope != nil {
					sl = float64(slope[oc])
				}
				i := (oc*outH+oh)*outW + ow
				want[i] = ktAct(s, act, sl)
				scale[i] = sa
			}
		}
	}
	return want, scale, outH, outW
}

type ktConvCase struct {
	name   string
	p      ConvParams
	inH    int
	inW    int
	act    ActKind
	noBias bool
}

var ktConvCases = []ktConvCase{
	{"1x1", ConvParams{InC: 13, OutC: 17, KH: 1, KW: 1}, 7, 9, ActNone, false},
	{"1x1-relu-big", ConvParams{InC: 64, OutC: 33, KH: 1, KW: 1}, 19, 23, ActReLU, false},
	{"1x1-stride2", ConvParams{InC: 8, OutC: 5, KH: 1, KW: 1, StrideH: 2, StrideW: 2}, 9, 8, ActNone, true},
	{"1x1-pad", ConvParams{InC: 3, OutC: 4, KH: 1, KW: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}, 5, 5, ActPReLU, false},
	{"3x3-s1-p1", ConvParams{InC: 5, OutC: 7, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}, 11, 13, ActReLU, false},
	{"3x3-s2-first-layer", ConvParams{InC: 3, OutC: 16, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}, 32, 33, ActPReLU, false},
	{"3x3-asym-pad", ConvParams{InC: 4, OutC: 6, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 0, PadLeft: 1, PadBottom: 2, PadRight: 0}, 10, 9, ActNone, false},
	{"3x3-dil2", ConvParams{InC: 6, OutC: 5, KH: 3, KW: 3, DilH: 2, DilW: 2, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2}, 12, 11, ActSigmoid, false},
	{"5x3-stride-2x1", ConvParams{InC: 2, OutC: 3, KH: 5, KW: 3, StrideH: 2, StrideW: 1, PadTop: 2, PadLeft: 1, PadBottom: 2, PadRight: 1}, 9, 14, ActNone, true},
	{"7x7-bigger-than-input", ConvParams{InC: 3, OutC: 8, KH: 7, KW: 7, StrideH: 2, StrideW: 2, PadTop: 3, PadLeft: 3, PadBottom: 3, PadRight: 3}, 5, 4, ActReLU, false},
	{"groups2", ConvParams{InC: 8, OutC: 6, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 2}, 9, 7, ActReLU, false},
	{"groups2-gemm", ConvParams{InC: 16, OutC: 12, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 2}, 9, 10, ActPReLU, false},
	{"groups2-gemm-1x1", ConvParams{InC: 16, OutC: 16, KH: 1, KW: 1, Groups: 2}, 5, 7, ActReLU, false},
	{"groups8-2to2-wide", ConvParams{InC: 16, OutC: 16, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 8}, 6, 56, ActPReLU, false},
	{"groups8-2to2-s2", ConvParams{InC: 16, OutC: 16, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 8}, 9, 11, ActSigmoid, true},
	{"groups4-1x1", ConvParams{InC: 8, OutC: 12, KH: 1, KW: 1, Groups: 4}, 6, 5, ActNone, false},
	{"depthwise-multiplier2", ConvParams{InC: 4, OutC: 8, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 4}, 7, 6, ActNone, false},
	{"dw3x3-s1", ConvParams{InC: 9, OutC: 9, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 9}, 13, 17, ActReLU, false},
	{"dw3x3-s2", ConvParams{InC: 7, OutC: 7, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 7}, 15, 16, ActPReLU, false},
	{"dw3x3-s2-asym", ConvParams{InC: 5, OutC: 5, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 0, PadLeft: 0, PadBottom: 1, PadRight: 1, Groups: 5}, 8, 9, ActNone, true},
	{"dw3x3-nopad", ConvParams{InC: 3, OutC: 3, KH: 3, KW: 3, Groups: 3}, 5, 6, ActSigmoid, false},
	{"dw3x3-s1-wide", ConvParams{InC: 3, OutC: 3, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 3}, 5, 61, ActPReLU, false},
	{"dw3x3-s1-wide-16n", ConvParams{InC: 2, OutC: 2, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 2}, 4, 50, ActReLU, false},
	{"dw3x3-s2-wide", ConvParams{InC: 3, OutC: 3, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 3}, 7, 101, ActSigmoid, false},
	{"dw3x3-s2-wide-nopad", ConvParams{InC: 2, OutC: 2, KH: 3, KW: 3, StrideH: 2, StrideW: 2, Groups: 2}, 6, 120, ActNone, false},
	{"dw3x3-s1-threaded", ConvParams{InC: 64, OutC: 64, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 64}, 28, 28, ActReLU, false},
	{"dw3x3-s2-threaded-wide", ConvParams{InC: 32, OutC: 32, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 32}, 30, 121, ActPReLU, false},
	{"groups32-2to2-threaded", ConvParams{InC: 64, OutC: 64, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 32}, 24, 24, ActNone, false},
	{"dw5x5", ConvParams{InC: 6, OutC: 6, KH: 5, KW: 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2, Groups: 6}, 11, 10, ActReLU, false},
	{"dw3x3-dil2", ConvParams{InC: 4, OutC: 4, KH: 3, KW: 3, DilH: 2, DilW: 2, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2, Groups: 4}, 9, 9, ActNone, false},
	{"dw7x7-bigger-than-input", ConvParams{InC: 3, OutC: 3, KH: 7, KW: 7, PadTop: 3, PadLeft: 3, PadBottom: 3, PadRight: 3, Groups: 3}, 4, 5, ActNone, false},
	{"dw3x3-1px", ConvParams{InC: 2, OutC: 2, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 2}, 1, 1, ActNone, false},
	{"big-1x1", ConvParams{InC: 96, OutC: 40, KH: 1, KW: 1}, 28, 28, ActReLU, false},
	{"big-3x3-k-blocks", ConvParams{InC: 40, OutC: 24, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}, 14, 15, ActPReLU, false},
}

func TestConv(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, kern := range ktKernels() {
		for _, pool := range ktPools(t) {
			for _, tc := range ktConvCases {
				p := tc.p.normalized()
				cin := p.InC / p.Groups
				w := ktRand(r, p.OutC*cin*p.KH*p.KW)
				var bias, slope []float32
				if !tc.noBias {
					bias = ktRand(r, p.OutC)
				}
				if tc.act == ActPReLU {
					slope = ktRand(r, p.OutC)
				}
				var conv *Conv
				var err error
				ktWithKernel(kern, func() { conv, err = NewConv(tc.p, w, bias, tc.act, slope) })
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				in := ktRand(r, p.InC*tc.inH*tc.inW)
				want, scale, outH, outW := ktRefConv(p, in, tc.inH, tc.inW, w, bias, tc.act, slope)
				if oh, ow := conv.Params().OutSize(tc.inH, tc.inW); oh != outH || ow != outW {
					t.Fatalf("%s: OutSize %dx%d, want %dx%d", tc.name, oh, ow, outH, outW)
				}
				name := fmt.Sprintf("%s/threads%d/%s", kern.name, pool.Threads(), tc.name)
				out := ktNewGuarded(len(want))
				ctx := &Ctx{Pool: pool, Scratch: make([]float32, conv.ScratchSize(tc.inH, tc.inW))}
				conv.Run(ctx, in, tc.inH, tc.inW, out.Data)
				out.check(t, name)
				if i, ok := ktClose(out.Data, want, scale); !ok {
					c, hw := i/(outH*outW), i%(outH*outW)
					t.Fatalf("%s: out[%d,%d,%d] = %g, want %g", name, c, hw/outW, hw%outW, out.Data[i], want[i])
				}
			}
		}
	}
}

func TestConvRejects(t *testing.T) {
	good := ConvParams{InC: 4, OutC: 4, KH: 3, KW: 3}
	cases := []struct {
		name string
		p    ConvParams
		w    int
		bias int
	}{
		{"no-channels", ConvParams{OutC: 4, KH: 3, KW: 3}, 0, -1},
		{"groups-mismatch", ConvParams{InC: 4, OutC: 4, KH: 3, KW: 3, Groups: 3}, 48, -1},
		{"weights-count", good, 143, -1},
		{"bias-count", good, 144, 3},
		{"negative-pad", ConvParams{InC: 4, OutC: 4, KH: 3, KW: 3, PadTop: -1}, 144, -1},
	}
	for _, c := range cases {
		var bias []float32
		if c.bias >= 0 {
			bias = make([]float32, c.bias)
		}
		if _, err := NewConv(c.p, make([]float32, c.w), bias, ActNone, nil); err == nil {
			t.Errorf("%s: NewConv accepted %+v", c.name, c.p)
		}
	}
	if _, err := NewConv(good, make([]float32, 144), nil, ActPReLU, nil); err == nil {
		t.Error("NewConv accepted PReLU without slopes")
	}
}

func TestConvNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	// Pools are created (and their worker threads started) before any
	// measurement: the runtime allocates when it starts an OS thread for a
	// new goroutine, which would be counted against whatever runs then.
	pools := ktPools(t)
	for _, p := range pools {
		p.For(100, ktCount)
	}
	for _, tc := range ktConvCases {
		p := tc.p.normalized()
		w := ktRand(r, p.OutC*p.InC/p.Groups*p.KH*p.KW)
		var slope []float32
		if tc.act == ActPReLU {
			slope = ktRand(r, p.OutC)
		}
		conv, err := NewConv(tc.p, w, nil, tc.act, slope)
		if err != nil {
			t.Fatal(err)
		}
		in := ktRand(r, p.InC*tc.inH*tc.inW)
		oh, ow := conv.Params().OutSize(tc.inH, tc.inW)
		out := make([]float32, p.OutC*oh*ow)
		for _, pool := range pools {
			ctx := &Ctx{Pool: pool, Scratch: make([]float32, conv.ScratchSize(tc.inH, tc.inW))}
			conv.Run(ctx, in, tc.inH, tc.inW, out)
			if a := testing.AllocsPerRun(5, func() { conv.Run(ctx, in, tc.inH, tc.inW, out) }); a != 0 {
				t.Errorf("%s threads %d: %v allocations per Run", tc.name, pool.Threads(), a)
			}
		}
	}
}

// TestConvRandom draws random convolution geometries (groups, kernel sizes
// bigger or smaller than the input, strides, dilations, asymmetric pads)
// and checks each against the naive reference, with and without a Pool.
func TestConvRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	pools := ktPools(t)
	iters := 300
	if testing.Short() {
		iters = 60
	}
	for it := 0; it < iters; it++ {
		var p ConvParams
		p.Groups = []int{1, 1, 1, 2, 3, 4}[r.IntN(6)]
		switch r.IntN(4) {
		case 0: // depthwise
			p.InC = 1 + r.IntN(9)
			p.Groups, p.OutC = p.InC, p.InC
		default:
			p.InC = p.Groups * (1 + r.IntN(6))
			p.OutC = p.Groups * (1 + r.IntN(9))
		}
		p.KH, p.KW = 1+r.IntN(5), 1+r.IntN(5)
		p.StrideH, p.StrideW = 1+r.IntN(3), 1+r.IntN(3)
		p.DilH, p.DilW = 1+r.IntN(2), 1+r.IntN(2)
		p.PadTop, p.PadLeft, p.PadBottom, p.PadRight = r.IntN(3), r.IntN(3), r.IntN(3), r.IntN(3)
		inH, inW := 1+r.IntN(20), 1+r.IntN(40)
		if oh, ow := p.OutSize(inH, inW); oh == 0 || ow == 0 {
			continue
		}
		act := ActKind(r.IntN(4))
		cin := p.InC / p.Groups
		w := ktRand(r, p.OutC*cin*p.KH*p.KW)
		var bias, slope []float32
		if r.IntN(2) == 0 {
			bias = ktRand(r, p.OutC)
		}
		if act == ActPReLU {
			slope = ktRand(r, p.OutC)
		}
		conv, err := NewConv(p, w, bias, act, slope)
		if err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		in := ktRand(r, p.InC*inH*inW)
		want, scale, _, _ := ktRefConv(p, in, inH, inW, w, bias, act, slope)
		pool := pools[it%len(pools)]
		out := ktNewGuarded(len(want))
		conv.Run(&Ctx{Pool: pool, Scratch: make([]float32, conv.ScratchSize(inH, inW))}, in, inH, inW, out.Data)
		name := fmt.Sprintf("%+v %dx%d act %d threads %d", p, inH, inW, act, pool.Threads())
		out.check(t, name)
		if i, ok := ktClose(out.Data, want, scale); !ok {
			t.Fatalf("%s: out[%d] = %g, want %g", name, i, out.Data[i], want[i])
		}
	}
}

// TestNilCtx: a nil Ctx runs serially (allocating its scratch) and gives
// the same result as a sized one.
func TestNilCtx(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	p := ConvParams{InC: 3, OutC: 8, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}
	conv, err := NewConv(p, ktRand(r, 8*3*9), ktRand(r, 8), ActReLU, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := ktRand(r, 3*17*19)
	oh, ow := conv.Params().OutSize(17, 19)
	a, b := make([]float32, 8*oh*ow), make([]float32, 8*oh*ow)
	conv.Run(nil, in, 17, 19, a)
	conv.Run(&Ctx{Scratch: make([]float32, conv.ScratchSize(17, 19))}, in, 17, 19, b)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("out[%d]: nil Ctx %g, sized Ctx %g", i, a[i], b[i])
		}
	}
	pa := PackA(ktRand(r, 5*7), 5, 7, 7)
	bm := ktRand(r, 7*9)
	c1, c2 := make([]float32, 45), make([]float32, 45)
	Gemm(nil, pa, bm, 9, 9, c1, 9, nil)
	Gemm(&Ctx{}, pa, bm, 9, 9, c2, 9, nil)
	for i := range c1 {
		if c1[i] != c2[i] {
			t.Fatalf("C[%d]: nil Ctx %g, empty Ctx %g", i, c1[i], c2[i])
		}
	}
}
