package detect

import (
	"math"
	"os"
	"testing"

	"github.com/facegate/facegate/engine"
	"github.com/facegate/facegate/internal/shared"
	"github.com/facegate/facegate/nets/imageio"
)

func loadYuNet(t *testing.T) *YuNet {
	t.Helper()
	m, err := engine.LoadFile(shared.Path(t, "models", "face_detection_yunet_2023mar_dynamic.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewYuNet(m, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

func loadImage(t *testing.T, parts ...string) *imageio.Image {
	t.Helper()
	data, err := os.ReadFile(shared.Path(t, parts...))
	if err != nil {
		t.Fatal(err)
	}
	img, err := imageio.Decode(data, imageio.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// image_T1 at its native 480x640 is exactly the golden YuNet input, so the
// face must be the one ONNX Runtime's outputs decode to.
func TestYuNetMatchesGoldenDecode(t *testing.T) {
	d := loadYuNet(t)
	img := loadImage(t, "images", "silent-face", "image_T1.jpg")
	faces, err := d.Detect(img.W, img.H, img.Pix, LongSideAccurate)
	if err != nil {
		t.Fatal(err)
	}
	want := NMS(Decode(goldenHeads(t, shared.Path(t, "golden", "yunet_image_T1_640x480")), 480, 640, DefaultScore), DefaultNMS)
	if len(faces) != 1 || len(want) != 1 {
		t.Fatalf("got %d faces, golden %d", len(faces), len(want))
	}
	g, w := faces[0], want[0]
	d2 := math.Max(math.Max(math.Abs(g.X-w.X), math.Abs(g.Y-w.Y)), math.Max(math.Abs(g.W-w.W), math.Abs(g.H-w.H)))
	for i := range g.Landmarks {
		d2 = math.Max(d2, math.Max(math.Abs(g.Landmarks[i][0]-w.Landmarks[i][0]), math.Abs(g.Landmarks[i][1]-w.Landmarks[i][1])))
	}
	if d2 > 0.25 || math.Abs(g.Score-w.Score) > 1e-3 {
		t.Errorf("face %+v differs from golden %+v by %.4f px", g, w, d2)
	}
}

// Real photos: one face each, at sizes from LFW's ~110 px to a selfie
// filling a 1617x2160 frame (found by the pyramid).
func TestYuNetRealImages(t *testing.T) {
	d := loadYuNet(t)
	for _, c := range []struct {
		path    []string
		minSide float64
	}{
		{[]string{"images", "silent-face", "image_T2.jpg"}, 300},
		{[]string{"images", "silent-face", "image_F2.jpg"}, 100},
		{[]string{"eval", "lfw", "lfw-deepfunneled", "Abdullah_Gul", "Abdullah_Gul_0013.jpg"}, 60},
	} {
		t.Run(c.path[len(c.path)-1], func(t *testing.T) {
			img := loadImage(t, c.path...)
			faces, err := d.Detect(img.W, img.H, img.Pix, LongSideAccurate)
			if err != nil {
				t.Fatal(err)
			}
			if len(faces) == 0 {
				t.Fatal("no face")
			}
			f := faces[0]
			t.Logf("%dx%d: %d faces, largest %.0fx%.0f at %.0f,%.0f score %.2f", img.W, img.H, len(faces), f.W, f.H, f.X, f.Y, f.Score)
			if math.Min(f.W, f.H) < c.minSide {
				t.Errorf("largest face %.0fx%.0f smaller than %v", f.W, f.H, c.minSide)
			}
			lm := f.Landmarks
			if !(lm[0][0] < lm[1][0] && lm[3][0] < lm[4][0] && lm[2][1] > lm[0][1] && lm[3][1] > lm[2][1]) {
				t.Errorf("landmarks not upright ArcFace order: %v", lm)
			}
		})
	}
}

// A face filling the frame (image_T2 cut to 1.15x its face box) is beyond
// YuNet's comfortable range at 640 px (~420 px there); with the pyramid
// it must still be found, filling the frame.
func TestYuNetFrameFillingFace(t *testing.T) {
	d := loadYuNet(t)
	img := loadImage(t, "images", "silent-face", "image_T2.jpg")
	faces, err := d.Detect(img.W, img.H, img.Pix, LongSideAccurate)
	if err != nil || len(faces) == 0 {
		t.Fatalf("full frame: %v, %d faces", err, len(faces))
	}
	f := faces[0]
	x0, y0 := max(int(f.X-0.075*f.W), 0), max(int(f.Y-0.075*f.H), 0)
	x1, y1 := min(int(f.X+1.075*f.W), img.W), min(int(f.Y+1.075*f.H), img.H)
	cw, ch := x1-x0, y1-y0
	crop := make([]uint8, 3*cw*ch)
	for y := 0; y < ch; y++ {
		copy(crop[3*cw*y:3*cw*(y+1)], img.Pix[3*(img.W*(y0+y)+x0):])
	}
	// Enlarge 2x so the face is ~1000 px: far beyond one level at 640.
	big := make([]uint8, 3*4*cw*ch)
	for y := 0; y < 2*ch; y++ {
		for x := 0; x < 2*cw; x++ {
			copy(big[3*(y*2*cw+x):3*(y*2*cw+x)+3], crop[3*((y/2)*cw+x/2):])
		}
	}
	faces, err = d.Detect(2*cw, 2*ch, big, LongSideAccurate)
	if err != nil || len(faces) == 0 {
		t.Fatalf("frame-filling face: %v, %d faces", err, len(faces))
	}
	g := faces[0]
	t.Logf("%dx%d: face %.0fx%.0f at %.0f,%.0f score %.2f", 2*cw, 2*ch, g.W, g.H, g.X, g.Y, g.Score)
	if g.W < 0.7*float64(2*cw) || g.H < 0.7*float64(2*ch) {
		t.Errorf("face %.0fx%.0f does not fill the %dx%d frame", g.W, g.H, 2*cw, 2*ch)
	}
}
