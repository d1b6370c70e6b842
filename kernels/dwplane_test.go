package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refDWPlane is dwPlaneFunc in float64 from the definition, with the sum of
// |terms| for the error bound.
func refDWPlane(in []float32, k *[9]float32, w, rows, ip int, bias, slope float32, activate bool) (want, scale []float64) {
	for y := 0; y < rows; y++ {
		for x := 0; x < w; x++ {
			v, s := float64(bias), math.Abs(float64(bias))
			for ky := 0; ky < 3; ky++ {
				for kx := 0; kx < 3; kx++ {
					if ix := x + kx - 1; ix >= 0 && ix < w {
						t := float64(in[(y+ky)*ip+ix]) * float64(k[3*ky+kx])
						v += t
						s += math.Abs(t)
					}
				}
			}
			if activate && v < 0 {
				v *= float64(slope)
			}
			want, scale = append(want, v), append(scale, s)
		}
	}
	return want, scale
}

// checkDWPlaneFunc runs fn on widths around the vector width and row
// counts around the pairing, with pitches wider than the rows, and checks
// the outputs against the reference and that nothing else was written.
func checkDWPlaneFunc(t *testing.T, name string, fn dwPlaneFunc) {
	r := rand.New(rand.NewPCG(21, 22))
	k := (*[9]float32)(ktRand(r, 9))
	for _, w := range []int{1, 2, 3, 5, 15, 16, 17, 20, 31, 32, 33, 40, 47, 80, 81, 160} {
		for rows := 0; rows <= 5; rows++ {
			for pitch, act := range []bool{false, true, false, true} {
				ip, op := w+3, w+5
				if pitch >= 2 { // rows stored without gaps: dwPlaneGo's long-row path
					ip, op = w, w
				}
				in := ktRand(r, (rows+2)*ip)
				out := ktNewGuarded(max(rows*op, 1))
				fn(out.Data, in, k, w, rows, ip, op, 0.3, 0.25, act)
				label := fmt.Sprintf("%s/w%d/rows%d/act%v/pitches%d,%d", name, w, rows, act, ip, op)
				out.check(t, label)
				want, scale := refDWPlane(in, k, w, rows, ip, 0.3, 0.25, act)
				for y := 0; y < rows; y++ {
					got := out.Data[y*op : y*op+w]
					if i, ok := ktClose(got, want[y*w:(y+1)*w], scale[y*w:(y+1)*w]); !ok {
						t.Fatalf("%s: out[%d][%d] = %g, want %g", label, y, i, got[i], want[y*w+i])
					}
					for x := w; x < op && y*op+x < len(out.Data); x++ {
						if math.Float32bits(out.Data[y*op+x]) != math.Float32bits(ktGuardVal) {
							t.Fatalf("%s: wrote column %d of row %d", label, x, y)
						}
					}
				}
			}
		}
	}
}

// TestDWPlane checks the portable kernel (on each level's row kernel) and
// every level's assembly kernel.
func TestDWPlane(t *testing.T) {
	forEachLevel(t, func(level string) { checkDWPlaneFunc(t, "go@"+level, dwPlaneGo) })
	for _, l := range supportedLevels() {
		if l.dwPlane != nil {
			checkDWPlaneFunc(t, l.name, l.dwPlane)
		}
	}
}

// checkDWPlanePoolFunc is checkDWPlaneFunc for the pooled form: widths odd
// and even (the last column of an odd row is dropped), pairs of rows.
func checkDWPlanePoolFunc(t *testing.T, name string, fn dwPlanePoolFunc) {
	r := rand.New(rand.NewPCG(23, 24))
	k := (*[9]float32)(ktRand(r, 9))
	for _, w := range []int{2, 3, 4, 5, 15, 16, 17, 31, 32, 33, 34, 40, 47, 80, 81, 160} {
		for _, rows := range []int{0, 2, 4, 6} {
			for _, act := range []bool{false, true} {
				ip, op, ow := w+3, w/2+5, w/2
				in := ktRand(r, (rows+2)*ip)
				out := ktNewGuarded(max(rows/2*op, 1))
				fn(out.Data, in, k, w, rows, ip, op, 0.3, 0.25, act, make([]float32, 2*w))
				label := fmt.Sprintf("%s/w%d/rows%d/act%v", name, w, rows, act)
				out.check(t, label)
				full, scale := refDWPlane(in, k, w, rows, ip, 0.3, 0.25, act)
				for p := 0; p < rows/2; p++ {
					for x := 0; x < ow; x++ {
						want, s := math.Inf(-1), 0.0
						for _, i := range []int{2*p*w + 2*x, 2*p*w + 2*x + 1, (2*p+1)*w + 2*x, (2*p+1)*w + 2*x + 1} {
							want, s = max(want, full[i]), max(s, scale[i])
						}
						if got := out.Data[p*op+x]; !(math.Abs(float64(got)-want) <= 1e-5*s+1e-6) {
							t.Fatalf("%s: out[%d][%d] = %g, want %g", label, p, x, got, want)
						}
					}
					for x := ow; x < op && p*op+x < len(out.Data); x++ {
						if math.Float32bits(out.Data[p*op+x]) != math.Float32bits(ktGuardVal) {
							t.Fatalf("%s: wrote column %d of pooled row %d", label, x, p)
						}
					}
				}
			}
		}
	}
}

// TestDWPlanePool checks the portable pooled kernel and every level's
// assembly one.
func TestDWPlanePool(t *testing.T) {
	forEachLevel(t, func(level string) { checkDWPlanePoolFunc(t, "go@"+level, dwPlanePoolGo) })
	for _, l := range supportedLevels() {
		if l.dwPlanePool != nil {
			checkDWPlanePoolFunc(t, l.name, l.dwPlanePool)
		}
	}
}
