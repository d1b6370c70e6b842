package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Benchmarks report GFLOP/s (2 flops per multiply-add). Run a short ladder
// with, for example:
//
//	go test -run XXX -bench 'Gemm|Conv' -benchtime 200ms ./kernels/
//
// Sub-benchmarks named threads1/threads2 run without a Pool and with a
// two-thread Pool.

// ktReport reports GFLOP/s per wall second and per CPU second (cpu0 is
// ktCPUSeconds() when the timed loop started). On a busy machine the CPU
// figure, divided by the thread count, is the fairer measure of the kernel.
func ktReport(b *testing.B, flopsPerOp float64, cpu0 float64) {
	total := flopsPerOp * float64(b.N)
	b.ReportMetric(total/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu := ktCPUSeconds() - cpu0; cpu > 0 && cpu0 > 0 {
		b.ReportMetric(total/cpu/1e9, "GFLOP/cpu-s")
	}
}

func ktBenchPools(b *testing.B) []*Pool {
	p := NewPool(2)
	b.Cleanup(p.Close)
	return []*Pool{nil, p}
}

func BenchmarkGemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range []int{64, 128, 256, 512, 1024} {
		m, n, k := s, s, s
		pa := PackA(ktRand(r, m*k), m, k, k)
		bm := ktRand(r, k*n)
		c := make([]float32, m*n)
		ep := &Epilogue{Bias: ktRand(r, m), Act: ActReLU}
		for _, pool := range ktBenchPools(b) {
			b.Run(fmt.Sprintf("%s/%d/threads%d", pa.Kernel(), s, pool.Threads()), func(b *testing.B) {
				ctx := &Ctx{Pool: pool, Scratch: make([]float32, GemmScratch(pa, n))}
				cpu0 := ktCPUSeconds()
				for b.Loop() {
					Gemm(ctx, pa, bm, n, n, c, n, ep)
				}
				ktReport(b, 2*float64(m*n*k), cpu0)
			})
		}
	}
}

// Layer shapes from the face networks (YuNet at 640×640, MobileFaceNet-like
// embedders).
var ktBenchConvs = []struct {
	name     string
	p        ConvParams
	inH, inW int
}{
	{"3x3s2-3to16-640", ConvParams{InC: 3, OutC: 16, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}, 640, 640},
	{"1x1-64to128-56", ConvParams{InC: 64, OutC: 128, KH: 1, KW: 1}, 56, 56},
	{"3x3-64to64-56", ConvParams{InC: 64, OutC: 64, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}, 56, 56},
	{"dw3x3s1-128-28", ConvParams{InC: 128, OutC: 128, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 128}, 28, 28},
	{"dw3x3s2-64-112", ConvParams{InC: 64, OutC: 64, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 64}, 112, 112},
	{"1x1-256to512-7", ConvParams{InC: 256, OutC: 512, KH: 1, KW: 1}, 7, 7},
	{"1x1-16to64-160", ConvParams{InC: 16, OutC: 64, KH: 1, KW: 1}, 160, 160},
	{"1x1-64to16-160", ConvParams{InC: 64, OutC: 16, KH: 1, KW: 1}, 160, 160},
}

func BenchmarkConv(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, bc := range ktBenchConvs {
		p := bc.p.normalized()
		w := ktRand(r, p.OutC*p.InC/p.Groups*p.KH*p.KW)
		conv, err := NewConv(bc.p, w, ktRand(r, p.OutC), ActReLU, nil)
		if err != nil {
			b.Fatal(err)
		}
		in := ktRand(r, p.InC*bc.inH*bc.inW)
		oh, ow := conv.Params().OutSize(bc.inH, bc.inW)
		out := make([]float32, p.OutC*oh*ow)
		flops := 2 * float64(p.OutC*oh*ow*p.InC/p.Groups*p.KH*p.KW)
		for _, pool := range ktBenchPools(b) {
			b.Run(fmt.Sprintf("%s/threads%d", bc.name, pool.Threads()), func(b *testing.B) {
				ctx := &Ctx{Pool: pool, Scratch: make([]float32, conv.ScratchSize(bc.inH, bc.inW))}
				cpu0 := ktCPUSeconds()
				for b.Loop() {
					conv.Run(ctx, in, bc.inH, bc.inW, out)
				}
				ktReport(b, flops, cpu0)
			})
		}
	}
}

func BenchmarkDense(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	k, n := 512*7*7, 512 // a face embedder's last layer
	d := NewDense(ktRand(r, k*n), k, n, true, ktRand(r, n), ActNone)
	x := ktRand(r, k)
	y := make([]float32, n)
	for _, pool := range ktBenchPools(b) {
		b.Run(fmt.Sprintf("rows1/threads%d", pool.Threads()), func(b *testing.B) {
			ctx := &Ctx{Pool: pool}
			cpu0 := ktCPUSeconds()
			for b.Loop() {
				d.Run(ctx, x, 1, y)
			}
			ktReport(b, 2*float64(k*n), cpu0)
		})
	}
}

// The first layers of the face networks: a 3×3 stride-2 convolution on the
// 3-channel image (YuNet at 640×640, MobileFaceNet at 112×112, MiniFASNet at
// 80×80), run through the public Conv API at every level.
var ktBenchFirstConvs = []struct {
	name     string
	outC     int
	inH, inW int
	act      ActKind
}{
	{"yunet640-3to16", 16, 640, 640, ActReLU},
	{"mobilefacenet112-3to64", 64, 112, 112, ActPReLU},
	{"minifasnet80-3to32", 32, 80, 80, ActPReLU},
}

func BenchmarkFirstConv(b *testing.B) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, bc := range ktBenchFirstConvs {
		p := ConvParams{InC: 3, OutC: bc.outC, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}
		w, bias, slope := ktRand(r, bc.outC*27), ktRand(r, bc.outC), ktRand(r, bc.outC)
		in := ktRand(r, 3*bc.inH*bc.inW)
		oh, ow := p.OutSize(bc.inH, bc.inW)
		out := make([]float32, bc.outC*oh*ow)
		flops := 2 * float64(bc.outC*oh*ow*27)
		for _, level := range Levels() {
			for _, pool := range ktBenchPools(b) {
				b.Run(fmt.Sprintf("%s/%s/threads%d", bc.name, level, pool.Threads()), func(b *testing.B) {
					restore, err := SetLevel(level)
					if err != nil {
						b.Fatal(err)
					}
					defer restore()
					conv, err := NewConv(p, w, bias, bc.act, slope)
					if err != nil {
						b.Fatal(err)
					}
					ctx := &Ctx{Pool: pool, Scratch: make([]float32, conv.ScratchSize(bc.inH, bc.inW))}
					cpu0 := ktCPUSeconds()
					for b.Loop() {
						conv.Run(ctx, in, bc.inH, bc.inW, out)
					}
					ktReport(b, flops, cpu0)
				})
			}
		}
	}
}
