package liveness

import (
	"math"
	"testing"
)

func TestCropBox(t *testing.T) {
	for _, c := range []struct {
		name       string
		W, H       int
		x, y, w, h float64
		k          float64
		want       Rect
		wantK      float64
	}{
		// Fits: centred 2.7x box.
		{"centred", 1000, 1000, 450, 450, 100, 100, 2.7, Rect{365, 365, 635, 635}, 2.7},
		// Near the left/top edge: shifted inside, width kept.
		{"shifted", 1000, 1000, 10, 20, 100, 100, 2.7, Rect{0, 0, 270, 270}, 2.7},
		// Near the right/bottom edge.
		{"shifted-far", 1000, 800, 880, 690, 100, 100, 2.7, Rect{729, 529, 999, 799}, 2.7},
		// Too big for the image: k' = (H-1)/h.
		{"clamped", 640, 480, 200, 100, 200, 300, 2.7, Rect{140, 0, 459, 479}, 479.0 / 300},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, k := CropBox(c.W, c.H, c.x, c.y, c.w, c.h, c.k)
			if r != c.want || math.Abs(k-c.wantK) > 1e-12 {
				t.Errorf("got %+v k=%v, want %+v k=%v", r, k, c.want, c.wantK)
			}
		})
	}
	if r, k := CropBox(10, 10, 0, 0, 0, 5, 2.7); k != 0 || r != (Rect{0, 0, 9, 9}) {
		t.Errorf("degenerate box: %+v %v", r, k)
	}
}

func TestCropIdentityAndChannels(t *testing.T) {
	// An 80x80 region copies exactly (scale 1), RGB -> BGR planes.
	w, h := 100, 90
	pix := make([]uint8, 3*w*h)
	for i := range pix {
		pix[i] = uint8(i * 7)
	}
	dst := make([]float32, 3*Side*Side)
	Crop(w, h, pix, Rect{5, 3, 84, 82}, dst)
	for y := 0; y < Side; y += 13 {
		for x := 0; x < Side; x += 11 {
			p := 3 * ((y+3)*w + x + 5)
			for c := 0; c < 3; c++ {
				if got := dst[(2-c)*Side*Side+y*Side+x]; got != float32(pix[p+c]) {
					t.Fatalf("(%d,%d,%d) = %v want %v", x, y, c, got, pix[p+c])
				}
			}
		}
	}
	// A flat region stays flat at any scale.
	for i := range pix {
		pix[i] = 77
	}
	Crop(w, h, pix, Rect{0, 0, 99, 89}, dst)
	for _, v := range dst {
		if v != 77 {
			t.Fatalf("flat crop gave %v", v)
		}
	}
}

func TestSoftmaxFuse(t *testing.T) {
	p := Softmax([]float32{1, 2, 3})
	var s float64
	for _, v := range p {
		s += v
	}
	if math.Abs(s-1) > 1e-12 || !(p[2] > p[1] && p[1] > p[0]) {
		t.Fatal(p)
	}
	if got := Fuse([]float64{0.1, 0.8, 0.1}, []float64{0.3, 0.4, 0.3}); math.Abs(got-0.6) > 1e-12 {
		t.Fatal(got)
	}
}
