package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Test helpers (prefixed kt to stay clear of names in other test files of
// the package).

const ktGuardLen = 19

// ktGuardVal is written around output slices; a kernel that writes out of
// bounds changes it (it is not a value any kernel here produces).
var ktGuardVal = math.Float32frombits(0x7fc0dead) // a NaN with a payload

// ktGuarded is an output slice with guard values on both sides.
type ktGuarded struct {
	buf  []float32
	Data []float32
}

func ktNewGuarded(n int) ktGuarded {
	buf := make([]float32, n+2*ktGuardLen)
	for i := range buf {
		buf[i] = ktGuardVal
	}
	return ktGuarded{buf: buf, Data: buf[ktGuardLen : ktGuardLen+n : ktGuardLen+n]}
}

// check fails t if any guard value changed.
func (g ktGuarded) check(t *testing.T, what string) {
	t.Helper()
	n := len(g.Data)
	for i := 0; i < ktGuardLen; i++ {
		if math.Float32bits(g.buf[i]) != math.Float32bits(ktGuardVal) {
			t.Fatalf("%s: wrote before the output (guard %d)", what, ktGuardLen-i)
		}
		if math.Float32bits(g.buf[ktGuardLen+n+i]) != math.Float32bits(ktGuardVal) {
			t.Fatalf("%s: wrote past the output (guard %d)", what, i)
		}
	}
}

func ktRand(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// ktClose reports whether got matches want within tolerance, where scale
// is Σ|terms| of the reduction that produced want (rounding error grows with
// it), and returns the first bad index.
func ktClose(got []float32, want, scale []float64) (int, bool) {
	for i := range want {
		tol := 1e-5*scale[i] + 1e-5*math.Abs(want[i]) + 1e-6
		d := math.Abs(float64(got[i]) - want[i])
		if !(d <= tol) {
			return i, false
		}
	}
	return -1, true
}

// ktAct applies an activation in float64.
func ktAct(v float64, act ActKind, slope float64) float64 {
	switch act {
	case ActReLU:
		return math.Max(v, 0)
	case ActPReLU:
		if v < 0 {
			return v * slope
		}
	case ActSigmoid:
		return 1 / (1 + math.Exp(-v))
	}
	return v
}

// ktPools yields the execution contexts every kernel is tested with.
func ktPools(t *testing.T) []*Pool {
	p2 := NewPool(2)
	p3 := NewPool(3)
	t.Cleanup(func() { p2.Close(); p3.Close() })
	return []*Pool{nil, p2, p3}
}

// ktKernels lists the micro-kernels to test: the portable one and the one
// in force (the assembly kernel on capable machines).
func ktKernels() []microKernel {
	ks := []microKernel{goKernel4x8}
	if gemmKernel.name != goKernel4x8.name {
		ks = append(ks, gemmKernel)
	}
	return ks
}

// ktWithKernel runs f with gemmKernel set to k.
func ktWithKernel(k microKernel, f func()) {
	old := gemmKernel
	gemmKernel = k
	defer func() { gemmKernel = old }()
	f()
}
