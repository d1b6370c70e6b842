package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestFirstConv runs first-layer convolutions (convFirst) at every level,
// without a Pool and on 2- and 3-thread Pools, against the naive float64
// convolution, with guards around the output: input widths 1…40 and some
// wide ones (output widths below, at and past the vector widths, odd and
// even), heights odd and even, 1…4 input channels, channel counts that are
// and are not multiples of the channel blocks, every padding of 0 or 1 and
// every activation.
func TestFirstConv(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	pools := ktPools(t)
	type tc struct {
		p        ConvParams
		inH, inW int
		act      ActKind
		noBias   bool
	}
	var cases []tc
	outCs := []int{1, 3, 8, 16, 17, 32, 64}
	heights := []int{1, 2, 3, 4, 7, 10, 17, 33}
	widths := []int{}
	for w := 1; w <= 40; w++ {
		widths = append(widths, w)
	}
	widths = append(widths, 63, 64, 70, 131)
	for i, w := range widths {
		pads := i % 16
		cases = append(cases, tc{
			p: ConvParams{InC: 1 + i%4, OutC: outCs[i%len(outCs)], KH: 3, KW: 3, StrideH: 2, StrideW: 2,
				PadTop: pads & 1, PadLeft: pads >> 1 & 1, PadBottom: pads >> 2 & 1, PadRight: pads >> 3 & 1},
			inH: heights[i%len(heights)], inW: w, act: ActKind(i % 4), noBias: i%5 == 4,
		})
	}
	// The networks' shape (3 channels, padding 1) with each activation and
	// channel count, on a plane tall enough for several bands.
	for i, oc := range outCs {
		cases = append(cases, tc{
			p:   ConvParams{InC: 3, OutC: oc, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
			inH: 41, inW: 38 + i, act: ActKind(i % 4),
		})
	}
	for _, c := range cases {
		p := c.p
		if oh, ow := p.OutSize(c.inH, c.inW); oh == 0 || ow == 0 {
			continue
		}
		w := ktRand(r, p.OutC*p.InC*9)
		var bias, slope []float32
		if !c.noBias {
			bias = ktRand(r, p.OutC)
		}
		if c.act == ActPReLU {
			slope = ktRand(r, p.OutC)
		}
		in := ktRand(r, p.InC*c.inH*c.inW)
		want, scale, _, _ := ktRefConv(p, in, c.inH, c.inW, w, bias, c.act, slope)
		forEachLevel(t, func(level string) {
			conv, err := NewConv(p, w, bias, c.act, slope)
			if err != nil {
				t.Fatalf("%+v: %v", p, err)
			}
			if conv.kind != convFirst && !(p.InC == 1 && p.OutC == 1) { // 1→1 is a depthwise convolution
				t.Fatalf("%+v: strategy %d, want convFirst", p, conv.kind)
			}
			for _, pool := range pools {
				what := fmt.Sprintf("%s %+v %dx%d act %d threads %d", level, p, c.inH, c.inW, c.act, pool.Threads())
				out := ktNewGuarded(len(want))
				ctx := &Ctx{Pool: pool, Scratch: make([]float32, conv.ScratchSize(c.inH, c.inW))}
				conv.Run(ctx, in, c.inH, c.inW, out.Data)
				out.check(t, what)
				if i, ok := ktClose(out.Data, want, scale); !ok {
					t.Fatalf("%s: out[%d] = %g, want %g", what, i, out.Data[i], want[i])
				}
			}
		})
	}
}

// TestFirstConvStrategy checks which convolutions take the direct
// first-layer path: only 3×3 stride-2 undilated single-group ones on at
// most four channels with padding of at most one.
func TestFirstConvStrategy(t *testing.T) {
	base := ConvParams{InC: 3, OutC: 16, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}
	cases := []struct {
		name  string
		edit  func(p *ConvParams)
		first bool
	}{
		{"yunet", func(*ConvParams) {}, true},
		{"no-pad", func(p *ConvParams) { p.PadTop, p.PadLeft, p.PadBottom, p.PadRight = 0, 0, 0, 0 }, true},
		{"4-channels", func(p *ConvParams) { p.InC = 4 }, true},
		{"5-channels", func(p *ConvParams) { p.InC = 5 }, false},
		{"pad-2", func(p *ConvParams) { p.PadLeft = 2 }, false},
		{"stride-1", func(p *ConvParams) { p.StrideH, p.StrideW = 1, 1 }, false},
		{"stride-2x1", func(p *ConvParams) { p.StrideW = 1 }, false},
		{"5x5", func(p *ConvParams) { p.KH, p.KW = 5, 5 }, false},
		{"dilated", func(p *ConvParams) { p.DilH, p.DilW = 2, 2 }, false},
		{"depthwise", func(p *ConvParams) { p.OutC, p.Groups = 3, 3 }, false},
	}
	for _, c := range cases {
		p := base
		c.edit(&p)
		conv, err := NewConv(p, make([]float32, p.OutC*p.InC/max(p.Groups, 1)*p.KH*p.KW), nil, ActReLU, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := conv.kind == convFirst; got != c.first {
			t.Errorf("%s: convFirst = %v, want %v", c.name, got, c.first)
		}
	}
}

// firstBlockKernel is one block function of a level's first-layer kernel.
type firstBlockKernel struct {
	name       string
	ocb, width int
	fn         firstBlockFunc
}

// firstBlockKernels lists the block functions (full and narrow) of every
// supported level.
func firstBlockKernels() []firstBlockKernel {
	var ks []firstBlockKernel
	for _, l := range supportedLevels() {
		k := l.first
		if k.fn != nil {
			ks = append(ks, firstBlockKernel{k.name, k.ocb, k.width, k.fn})
		}
		if k.narrow != nil {
			ks = append(ks, firstBlockKernel{k.name + " narrow", k.ocb, k.narrowWidth, k.narrow})
		}
	}
	return ks
}

// TestFirstBlockKernels compares each level's block kernels with the Go
// twin on the same packed operands, several blocks at a time, with every
// input channel count and activation, strides that are not multiples of
// the vector width, and guards around and between the output planes.
func TestFirstBlockKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for _, k := range firstBlockKernels() {
		for cin := 1; cin <= 4; cin++ {
			for _, blocks := range []int{1, 2, 5} {
				for flags := uint(0); flags < 3; flags++ { // none, PReLU, ReLU
					n := blocks * k.width
					half := n + 3
					pitch := 2*half + 1
					cstride := 3*pitch + 2
					in := ktRand(r, (cin-1)*cstride+2*pitch+half+n)
					w := ktRand(r, cin*9*k.ocb)
					bias, slope := ktRand(r, k.ocb), ktRand(r, k.ocb)
					slope[0] = 0 // a ReLU channel
					ldo := n + 5
					want := make([]float32, (k.ocb-1)*ldo+n)
					goSlope := slope
					if flags == 2 {
						goSlope = make([]float32, k.ocb)
					}
					firstConvGo(want, ldo, in, pitch, half, cstride, cin, w, bias, goSlope, n, k.ocb, flags != 0)
					got := ktNewGuarded(len(want))
					var pf *float32
					if blocks > 1 {
						pf = &in[0] // prefetching changes nothing
					}
					k.fn(&got.Data[0], ldo, &in[0], pitch, half, cstride, cin, &w[0], &bias[0], &slope[0], blocks, flags, pf, cstride)
					what := fmt.Sprintf("%s cin=%d blocks=%d flags=%d", k.name, cin, blocks, flags)
					got.check(t, what)
					for i, v := range got.Data {
						if x := i % ldo; x >= n {
							if math.Float32bits(v) != math.Float32bits(ktGuardVal) {
								t.Fatalf("%s: wrote between planes at %d", what, i)
							}
						} else if d := math.Abs(float64(v - want[i])); !(d <= 1e-4) { // 36 terms of |x| ≤ 1
							t.Fatalf("%s: channel %d output %d = %g, want %g", what, i/ldo, x, v, want[i])
						}
					}
				}
			}
		}
	}
}
