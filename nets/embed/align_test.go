package embed

import (
	"math"
	"testing"
)

func TestEstimateSimilarityRecoversTransform(t *testing.T) {
	for _, c := range []struct{ s, theta, tx, ty float64 }{
		{1, 0, 0, 0}, {0.5, 0.3, 10, -4}, {2.2, -1.2, -50, 70}, {0.37, math.Pi, 3, 3},
	} {
		a, b := c.s*math.Cos(c.theta), c.s*math.Sin(c.theta)
		want := Affine{a, -b, c.tx, b, a, c.ty}
		var src, dst [5][2]float64
		for i, p := range Template {
			src[i] = [2]float64{p[0]*3 + 17, p[1]*2.5 - 9} // not itself a similarity of the template
			dst[i][0], dst[i][1] = want.Apply(src[i][0], src[i][1])
		}
		got := EstimateSimilarity(src, dst)
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-9 {
				t.Fatalf("%+v: got %v want %v", c, got, want)
			}
		}
	}
}

// With noisy points the estimate must be the least-squares optimum: no
// small perturbation of (a, b, tx, ty) lowers the residual.
func TestEstimateSimilarityIsLeastSquares(t *testing.T) {
	src := [5][2]float64{{100, 120}, {160, 118}, {131, 150}, {108, 182}, {155, 181}}
	m := EstimateSimilarity(src, Template)
	cost := func(m Affine) float64 {
		var s float64
		for i := range src {
			x, y := m.Apply(src[i][0], src[i][1])
			s += (x-Template[i][0])*(x-Template[i][0]) + (y-Template[i][1])*(y-Template[i][1])
		}
		return s
	}
	base := cost(m)
	for k := 0; k < 4; k++ {
		for _, e := range []float64{-1e-4, 1e-4} {
			p := m
			switch k {
			case 0:
				p[0] += e
				p[4] += e
			case 1:
				p[3] += e
				p[1] -= e
			case 2:
				p[2] += e * 100
			case 3:
				p[5] += e * 100
			}
			if cost(p) < base {
				t.Errorf("perturbation %d/%g lowers cost %v -> %v", k, e, base, cost(p))
			}
		}
	}
	if m[0] != m[4] || m[1] != -m[3] {
		t.Errorf("not a similarity: %v", m)
	}
}

func TestInvert(t *testing.T) {
	m := Affine{0.8, -0.3, 12, 0.3, 0.8, -7}
	inv, ok := m.Invert()
	if !ok {
		t.Fatal("singular")
	}
	x, y := m.Apply(5, 9)
	bx, by := inv.Apply(x, y)
	if math.Abs(bx-5) > 1e-12 || math.Abs(by-9) > 1e-12 {
		t.Fatalf("round trip %v %v", bx, by)
	}
	if _, ok := (Affine{}).Invert(); ok {
		t.Fatal("zero matrix inverted")
	}
}

func TestWarpTranslationAndBorder(t *testing.T) {
	w, h := 4, 3
	pix := make([]uint8, 3*w*h)
	for i := range pix {
		pix[i] = uint8(i)
	}
	// Crop pixel (u, v) = image pixel (u+1, v+1).
	out := Warp(w, h, pix, Affine{1, 0, -1, 0, 1, -1}, 3)
	for v := 0; v < 3; v++ {
		for u := 0; u < 3; u++ {
			for c := 0; c < 3; c++ {
				want := float32(0)
				if x, y := u+1, v+1; x < w && y < h {
					want = float32(pix[3*(y*w+x)+c])
				}
				if got := out[3*(v*3+u)+c]; got != want {
					t.Fatalf("(%d,%d,%d) = %v want %v", u, v, c, got, want)
				}
			}
		}
	}
	// Half-pixel shift blends neighbours.
	out = Warp(w, h, pix, Affine{1, 0, -0.5, 0, 1, 0}, 1)
	if want := (float32(pix[0]) + float32(pix[3])) / 2; out[0] != want {
		t.Errorf("bilinear %v want %v", out[0], want)
	}
}

func TestPlanesFlipAndOrder(t *testing.T) {
	crop := []float32{10, 20, 30} // one RGB pixel
	dst := make([]float32, 3)
	DefaultNorm.Planes(crop, 1, false, dst)
	if dst[0] != (10-127.5)/127.5 || dst[2] != (30-127.5)/127.5 {
		t.Errorf("RGB planes %v", dst)
	}
	n := Norm{BGR: true, Mean: [3]float32{0, 0, 0}, Std: [3]float32{1, 1, 1}}
	n.Planes(crop, 1, false, dst)
	if dst[0] != 30 || dst[1] != 20 || dst[2] != 10 {
		t.Errorf("BGR planes %v", dst)
	}
	// 2x2 crop, flip swaps columns.
	c2 := []float32{1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4}
	d2 := make([]float32, 12)
	n.Planes(c2, 2, true, d2)
	if d2[0] != 2 || d2[1] != 1 || d2[2] != 4 || d2[3] != 3 {
		t.Errorf("flip %v", d2[:4])
	}
}

func TestCosineNormalize(t *testing.T) {
	v := []float32{3, 4}
	Normalize(v)
	if math.Abs(float64(v[0])-0.6) > 1e-7 || math.Abs(float64(v[1])-0.8) > 1e-7 {
		t.Fatal(v)
	}
	if c := Cosine([]float32{1, 0}, []float32{0, 2}); c != 0 {
		t.Fatal(c)
	}
	if c := Cosine([]float32{1, 1}, []float32{2, 2}); math.Abs(c-1) > 1e-12 {
		t.Fatal(c)
	}
	if c := Cosine([]float32{0, 0}, []float32{2, 2}); c != 0 {
		t.Fatal(c)
	}
}
