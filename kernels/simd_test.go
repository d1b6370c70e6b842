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
func refMicroKernel(mr, nr, k int, a, b, c []float32, ldc int, bias, slope []float32, flags uint) (want, tol []float64) {
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
				prod := float64(a[p*mr+i]) * float64(b[p*nr+j])
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
					checkMicroKernel(t, r, mk, k, flags)
				}
			}
		})
	}
}

func checkMicroKernel(t *testing.T, r *rand.Rand, mk microKernel, k int, flags uint) {
	t.Helper()
	mr, nr := mk.mr, mk.nr
	ldc := nr + 5
	const pad = 19 // guard floats before C and after its last row
	a := randSlice(r, k*mr+1)
	b := randSlice(r, k*nr+1)
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
	want, tol := refMicroKernel(mr, nr, k, a, b, cIn, ldc, bias, slope, flags)

	mk.fn(k, &a[0], &b[0], &c[0], ldc, &bias[0], &slope[0], flags)

	what := fmt.Sprintf("%s k=%d flags=%b", mk.name, k, flags)
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
				mk.fn(k, &a[0], &bp[0], &c[0], mk.nr, &bias[0], &bias[0], mkAccumulate)
			}
			flops := 2 * float64(mk.mr*mk.nr*k) * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
