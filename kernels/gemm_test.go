package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// ktRefGemm is the naive float64 C = ep(A·B) with its error scale.
func ktRefGemm(a []float32, m, k, lda int, b []float32, ldb, n int, ep *Epilogue) (want, scale []float64) {
	want = make([]float64, m*n)
	scale = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, sa float64
			if ep != nil && ep.Bias != nil {
				s = float64(ep.Bias[i])
				sa = math.Abs(s)
			}
			for p := 0; p < k; p++ {
				t := float64(a[i*lda+p]) * float64(b[p*ldb+j])
				s += t
				sa += math.Abs(t)
			}
			if ep != nil {
				var sl float64
				if ep.Act == ActPReLU {
					sl = float64(ep.Slope[i])
				}
				s = ktAct(s, ep.Act, sl)
			}
			want[i*n+j] = s
			scale[i*n+j] = sa
		}
	}
	return want, scale
}

func TestGemm(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := []struct{ m, n, k int }{
		{1, 1, 1}, {1, 7, 13}, {7, 1, 17}, {13, 17, 1}, {4, 8, 16}, {5, 9, 3},
		{17, 31, 33}, {31, 33, 7}, {33, 13, 31}, {6, 16, 64}, {12, 32, 29},
		{64, 100, 300}, // K spans two K blocks (accumulate path)
		{37, 1030, 5},  // N spans two column blocks
		{130, 19, 513}, // M spans two row blocks, K three K blocks
		{3, 5, 0},      // empty reduction: C = act(bias)
	}
	acts := []ActKind{ActNone, ActReLU, ActPReLU, ActSigmoid}
	for _, kern := range ktKernels() {
		for _, pool := range ktPools(t) {
			for si, sz := range sizes {
				m, n, k := sz.m, sz.n, sz.k
				lda, ldb, ldc := k+si%3, n+si%2, n+(si+1)%3
				a := ktRand(r, max(m*lda, 1))
				b := ktRand(r, max(k*ldb, 1))
				var pa *PackedA
				ktWithKernel(kern, func() { pa = PackA(a, m, k, lda) })
				if pa.M() != m || pa.K() != k || pa.Kernel() != kern.name {
					t.Fatalf("PackA: M %d K %d kernel %s", pa.M(), pa.K(), pa.Kernel())
				}
				for ai, act := range acts {
					var ep *Epilogue
					if ai > 0 || si%2 == 1 {
						ep = &Epilogue{Act: act, Slope: ktRand(r, m)}
						if (si+ai)%3 != 0 {
							ep.Bias = ktRand(r, m)
						}
					}
					name := fmt.Sprintf("%s/threads%d/%dx%dx%d/act%d", kern.name, pool.Threads(), m, n, k, act)
					out := ktNewGuarded((m-1)*ldc + n)
					// Garbage in C (including the gaps between rows) must
					// not leak into the result.
					for i := range out.Data {
						out.Data[i] = 1e9
					}
					ctx := &Ctx{Pool: pool, Scratch: make([]float32, GemmScratch(pa, n))}
					Gemm(ctx, pa, b, ldb, n, out.Data, ldc, ep)
					out.check(t, name)
					want, scale := ktRefGemm(a, m, k, lda, b, ldb, n, ep)
					got := make([]float32, m*n)
					for i := 0; i < m; i++ {
						copy(got[i*n:(i+1)*n], out.Data[i*ldc:])
						for j := n; j < ldc && i < m-1; j++ {
							if out.Data[i*ldc+j] != 1e9 {
								t.Fatalf("%s: wrote into the gap of row %d", name, i)
							}
						}
					}
					if i, ok := ktClose(got, want, scale); !ok {
						t.Fatalf("%s: C[%d,%d] = %g, want %g", name, i/n, i%n, got[i], want[i])
					}
				}
			}
		}
	}
}

func TestGemmNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	m, n, k := 64, 300, 200
	pa := PackA(ktRand(r, m*k), m, k, k)
	b := ktRand(r, k*n)
	c := make([]float32, m*n)
	ep := &Epilogue{Bias: ktRand(r, m), Act: ActReLU}
	pools := ktPools(t)
	for _, p := range pools {
		p.For(100, ktCount) // start the worker threads before measuring
	}
	for _, pool := range pools {
		ctx := &Ctx{Pool: pool, Scratch: make([]float32, GemmScratch(pa, n))}
		Gemm(ctx, pa, b, n, n, c, n, ep) // warm up
		if allocs := testing.AllocsPerRun(20, func() { Gemm(ctx, pa, b, n, n, c, n, ep) }); allocs != 0 {
			t.Errorf("threads %d: %v allocations per Gemm", pool.Threads(), allocs)
		}
	}
}

func TestDense(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	cases := []struct{ rows, k, n int }{
		{1, 1, 1}, {1, 17, 5}, {2, 33, 13}, {3, 7, 31}, {4, 9, 9}, {9, 31, 17}, {13, 300, 3},
		{1, 5000, 300}, {64, 600, 40}, // big enough to run threaded
	}
	for _, pool := range ktPools(t) {
		for ci, c := range cases {
			for _, transB := range []bool{false, true} {
				w := ktRand(r, c.k*c.n)
				var bias []float32
				if ci%2 == 0 {
					bias = ktRand(r, c.n)
				}
				act := []ActKind{ActNone, ActReLU, ActSigmoid}[ci%3]
				d := NewDense(w, c.k, c.n, transB, bias, act)
				x := ktRand(r, c.rows*c.k)
				out := ktNewGuarded(c.rows * c.n)
				d.Run(&Ctx{Pool: pool, Scratch: make([]float32, d.ScratchSize(c.rows))}, x, c.rows, out.Data)
				name := fmt.Sprintf("threads%d/%+v/transB=%v", pool.Threads(), c, transB)
				out.check(t, name)
				want := make([]float64, c.rows*c.n)
				scale := make([]float64, c.rows*c.n)
				for row := 0; row < c.rows; row++ {
					for j := 0; j < c.n; j++ {
						var s, sa float64
						if bias != nil {
							s, sa = float64(bias[j]), math.Abs(float64(bias[j]))
						}
						for p := 0; p < c.k; p++ {
							wv := w[p*c.n+j]
							if transB {
								wv = w[j*c.k+p]
							}
							tm := float64(x[row*c.k+p]) * float64(wv)
							s += tm
							sa += math.Abs(tm)
						}
						want[row*c.n+j] = ktAct(s, act, 0)
						scale[row*c.n+j] = sa
					}
				}
				if i, ok := ktClose(out.Data, want, scale); !ok {
					t.Fatalf("%s: y[%d] = %g, want %g", name, i, out.Data[i], want[i])
				}
			}
		}
	}
}

// TestGemmRandom draws random sizes, leading dimensions and epilogues.
func TestGemmRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	pools := ktPools(t)
	for it := 0; it < 200; it++ {
		m, n, k := 1+r.IntN(70), 1+r.IntN(300), r.IntN(600)
		lda, ldb, ldc := k+r.IntN(3), n+r.IntN(3), n+r.IntN(3)
		a, b := ktRand(r, max(m*lda, 1)), ktRand(r, max(k*ldb, 1))
		pa := PackA(a, m, k, lda)
		ep := &Epilogue{Act: ActKind(r.IntN(4)), Slope: ktRand(r, m)}
		if r.IntN(2) == 0 {
			ep.Bias = ktRand(r, m)
		}
		pool := pools[it%len(pools)]
		out := ktNewGuarded((m-1)*ldc + n)
		Gemm(&Ctx{Pool: pool}, pa, b, ldb, n, out.Data, ldc, ep)
		name := fmt.Sprintf("%dx%dx%d ld %d/%d/%d act %d threads %d", m, n, k, lda, ldb, ldc, ep.Act, pool.Threads())
		out.check(t, name)
		want, scale := ktRefGemm(a, m, k, lda, b, ldb, n, ep)
		got := make([]float32, m*n)
		for i := 0; i < m; i++ {
			copy(got[i*n:(i+1)*n], out.Data[i*ldc:])
		}
		if i, ok := ktClose(got, want, scale); !ok {
			t.Fatalf("%s: C[%d,%d] = %g, want %g", name, i/n, i%n, got[i], want[i])
		}
	}
}
