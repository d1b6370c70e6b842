package liveness

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/facegate/facegate/engine"
	"github.com/facegate/facegate/internal/shared"
	"github.com/facegate/facegate/nets/detect"
	"github.com/facegate/facegate/nets/imageio"
)

// The golden MiniFASNet inputs are the reference pipeline's 2.7x and 4.0x
// crops of the Silent-Face photos (after EXIF rotation), cut around the
// reference detector's box. Cutting them with CropBox+Crop around the face
// YuNet finds (decoded from ONNX Runtime's YuNet outputs for the same
// photo, converted by ReferenceBox) must reproduce them. (With the exact
// reference rectangles, found by search, Crop reproduces them to a mean
// absolute difference of 0.16 on 0..255: JPEG decoder and cv2 SIMD
// rounding.)
func TestCropMatchesGolden(t *testing.T) {
	for _, c := range []struct {
		img, yunet, golden string
		k                  float64
	}{
		{"image_T1", "yunet_image_T1_640x480", "minifasnetv2_image_T1", 2.7},
		{"image_T1", "yunet_image_T1_640x480", "minifasnetv1se_image_T1", 4.0},
		{"image_F1", "yunet_image_F1_640x480", "minifasnetv2_image_F1", 2.7},
		{"image_F1", "yunet_image_F1_640x480", "minifasnetv1se_image_F1", 4.0},
	} {
		t.Run(c.golden, func(t *testing.T) {
			img := silentFace(t, c.img)
			ydir := shared.Path(t, "golden", c.yunet)
			var heads []detect.Head
			for _, s := range detect.Strides {
				f := func(k string) []float32 { return readNPY(t, filepath.Join(ydir, fmt.Sprintf("%s_%d.npy", k, s))) }
				heads = append(heads, detect.Head{Stride: s, Cls: f("cls"), Obj: f("obj"), BBox: f("bbox"), Kps: f("kps")})
			}
			faces := detect.NMS(detect.Decode(heads, img.W, img.H, 0.6), 0.3)
			if len(faces) != 1 {
				t.Fatalf("%d faces", len(faces))
			}
			f := faces[0]
			bx, by, bw, bh := ReferenceBox(f.X, f.Y, f.W, f.H)
			r, k := CropBox(img.W, img.H, bx, by, bw, bh, c.k)
			got := make([]float32, 3*Side*Side)
			Crop(img.W, img.H, img.Pix, r, got)
			want := readNPY(t, shared.Path(t, "golden", c.golden, "input.npy"))
			var sum, worst float64
			for i := range want {
				d := math.Abs(float64(got[i] - want[i]))
				sum += d
				worst = math.Max(worst, d)
			}
			mean := sum / float64(len(want))
			t.Logf("%s: box %+v k'=%.3f rect %+v: mean |diff| %.3f, max %.0f", c.golden, f, k, r, mean, worst)
			if mean > 3 {
				t.Errorf("crop differs from golden: mean abs diff %.3f", mean)
			}
		})
	}
}

func loadNet(t *testing.T, file string, scale float64) *Net {
	t.Helper()
	m, err := engine.LoadFile(shared.Path(t, "models", file))
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNet(m, scale, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n
}

// The Silent-Face sample photos as stored (EXIF applied): T1/T2 are live,
// F1 (print) and F2 (tablet replay) are attacks. Faces come from YuNet.
func TestMiniFASSamples(t *testing.T) {
	ym, err := engine.LoadFile(shared.Path(t, "models", "face_detection_yunet_2023mar_dynamic.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := detect.NewYuNet(ym, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	m := &MiniFAS{V2: loadNet(t, "2.7_80x80_MiniFASNetV2.onnx", 2.7), V1SE: loadNet(t, "4_0_0_80x80_MiniFASNetV1SE.onnx", 4.0)}
	for _, c := range []struct {
		img  string
		live bool
	}{{"image_T1", true}, {"image_T2", true}, {"image_F1", false}, {"image_F2", false}} {
		t.Run(c.img, func(t *testing.T) {
			img := silentFace(t, c.img)
			faces, err := d.Detect(img.W, img.H, img.Pix, detect.LongSideAccurate)
			if err != nil || len(faces) == 0 {
				t.Fatalf("%v, %d faces", err, len(faces))
			}
			f := faces[0]
			for _, fast := range []bool{false, true} {
				r, err := m.Check(img.W, img.H, img.Pix, f.X, f.Y, f.W, f.H, fast)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("fast=%v live=%.3f context=%.2f models=%v", fast, r.Live, r.Context, r.Models)
				if !r.Sufficient {
					t.Errorf("context %.2f reported insufficient", r.Context)
				}
				if (r.Live > 0.5) != c.live {
					t.Errorf("fast=%v: P(live) = %.3f, want live=%v", fast, r.Live, c.live)
				}
			}
		})
	}
}

// silentFace decodes one of the Silent-Face sample photos (EXIF applied).
func silentFace(t *testing.T, name string) *imageio.Image {
	t.Helper()
	data, err := os.ReadFile(shared.Path(t, "images", "silent-face", name+".jpg"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := imageio.Decode(data, imageio.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return img
}
