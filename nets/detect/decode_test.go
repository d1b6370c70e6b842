package detect

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/facegate/facegate/internal/shared"
)

func goldenHeads(t *testing.T, dir string) []Head {
	var hs []Head
	for _, s := range Strides {
		f := func(k string) []float32 { return readNPY(t, filepath.Join(dir, fmt.Sprintf("%s_%d.npy", k, s))) }
		hs = append(hs, Head{Stride: s, Cls: f("cls"), Obj: f("obj"), BBox: f("bbox"), Kps: f("kps")})
	}
	return hs
}

// The ONNX Runtime outputs for the Silent-Face photos hold exactly one face
// (a single person holding the phone); the decode must find one, upright,
// with landmarks inside the box in ArcFace order.
func TestDecodeGolden(t *testing.T) {
	for _, c := range []struct {
		dir  string
		w, h int
	}{
		{"yunet_image_T1_640x480", 480, 640},
		{"yunet_image_F1_640x480", 480, 640},
		{"yunet_image_T1_320x320", 320, 320},
		{"yunet_image_F1_320x320", 320, 320},
	} {
		t.Run(c.dir, func(t *testing.T) {
			dir := shared.Path(t, "golden", c.dir)
			faces := NMS(Decode(goldenHeads(t, dir), c.w, c.h, 0.6), 0.3)
			if len(faces) != 1 {
				t.Fatalf("got %d faces, want 1: %+v", len(faces), faces)
			}
			f := faces[0]
			t.Logf("box %.1f %.1f %.1f %.1f score %.3f lm %.1f", f.X, f.Y, f.W, f.H, f.Score, f.Landmarks)
			if f.W < 30 || f.H < 30 || f.X < 0 || f.Y < 0 || f.X+f.W > float64(c.w)+1 || f.Y+f.H > float64(c.h)+1 {
				t.Errorf("implausible box %+v", f)
			}
			lm := f.Landmarks
			for _, p := range lm {
				if p[0] < f.X || p[0] > f.X+f.W || p[1] < f.Y || p[1] > f.Y+f.H {
					t.Errorf("landmark %v outside box", p)
				}
			}
			if !(lm[0][0] < lm[1][0] && lm[3][0] < lm[4][0] && lm[2][1] > lm[0][1] && lm[3][1] > lm[2][1]) {
				t.Errorf("landmarks not in ArcFace order: %v", lm)
			}
		})
	}
}

func TestNMS(t *testing.T) {
	a := Face{X: 0, Y: 0, W: 10, H: 10, Score: 0.9}
	b := Face{X: 1, Y: 1, W: 10, H: 10, Score: 0.8}  // IoU 81/119 = 0.68 with a
	c := Face{X: 20, Y: 0, W: 10, H: 10, Score: 0.7} // disjoint
	d := Face{X: 5, Y: 0, W: 10, H: 10, Score: 0.95} // IoU 50/150 = 0.33 with a
	got := NMS([]Face{a, b, c, d}, 0.3)
	if len(got) != 2 || got[0] != d || got[1] != c {
		t.Fatalf("NMS = %+v", got)
	}
	if iou := IoU(a, b); math.Abs(iou-81.0/119) > 1e-12 {
		t.Errorf("IoU = %v", iou)
	}
}

func TestAxisTaps(t *testing.T) {
	for _, c := range []struct{ src, dst int }{{10, 10}, {10, 25}, {640, 320}, {1000, 333}, {3, 1}} {
		tp := axisTaps(c.src, c.dst)
		for d := 0; d < c.dst; d++ {
			var sum float32
			for k := tp.start[d]; k < tp.start[d+1]; k++ {
				if tp.idx[k] < 0 || tp.idx[k] >= c.src {
					t.Fatalf("%v: tap %d out of range", c, tp.idx[k])
				}
				sum += tp.w[k]
			}
			if math.Abs(float64(sum)-1) > 1e-5 {
				t.Fatalf("%v: weights of %d sum to %v", c, d, sum)
			}
		}
	}
	// Identity size is an exact copy.
	tp := axisTaps(7, 7)
	for d := 0; d < 7; d++ {
		if tp.start[d+1]-tp.start[d] != 1 || tp.idx[tp.start[d]] != d {
			t.Fatalf("identity taps wrong at %d", d)
		}
	}
}

func TestPreparePadsAndSwapsChannels(t *testing.T) {
	w, h := 50, 40
	pix := make([]uint8, 3*w*h)
	for i := 0; i < w*h; i++ {
		pix[3*i], pix[3*i+1], pix[3*i+2] = 200, 100, 10
	}
	in := Prepare(w, h, pix, 50)
	if in.W != 64 || in.H != 64 || in.RW != 50 || in.RH != 40 {
		t.Fatalf("geometry %+v", in)
	}
	p := in.W * in.H
	if in.Data[0] != 10 || in.Data[p] != 100 || in.Data[2*p] != 200 {
		t.Errorf("not BGR: %v %v %v", in.Data[0], in.Data[p], in.Data[2*p])
	}
	if in.Data[63] != 0 || in.Data[p-1] != 0 {
		t.Errorf("padding not zero")
	}
	in = Prepare(1000, 500, make([]uint8, 3*1000*500), 320)
	if in.RW != 320 || in.RH != 160 || in.W != 320 || in.H != 160 {
		t.Fatalf("scaled geometry %+v", in)
	}
	// Small images are enlarged; a flat image stays flat.
	in = Prepare(w, h, pix, 100)
	if in.RW != 100 || in.RH != 80 || in.W != 128 || in.H != 96 || in.Data[in.W*in.H+in.W*79+99] != 100 {
		t.Fatalf("enlarged geometry %+v", in)
	}
}
