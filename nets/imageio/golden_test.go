package imageio

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/facegate/facegate/internal/shared"
	"github.com/facegate/facegate/weights/npy"
)

// TestGoldenEXIFRotation decodes the Silent-Face sample photos, which are
// stored landscape with EXIF orientation 6, and compares them with the
// detector inputs ONNX Runtime was fed (OpenCV imread: EXIF-rotated, BGR,
// NCHW). This checks the rotation direction and the colour conversion
// against an independent decoder (libjpeg-turbo).
func TestGoldenEXIFRotation(t *testing.T) {
	for _, name := range []string{"image_T1", "image_F1"} {
		t.Run(name, func(t *testing.T) {
			jpg := shared.Path(t, "images", "silent-face", name+".jpg")
			golden := shared.Path(t, "golden", "yunet_"+name+"_640x480", "input.npy")
			data, err := os.ReadFile(jpg)
			if err != nil {
				t.Fatal(err)
			}
			img, err := Decode(data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if img.W != 480 || img.H != 640 || img.Orientation != 6 || img.Format != "jpeg" {
				t.Fatalf("got %dx%d orientation %d format %q, want 480x640 orientation 6 jpeg",
					img.W, img.H, img.Orientation, img.Format)
			}
			a, err := npy.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(a.Shape) != "[1 3 640 480]" {
				t.Fatalf("golden shape %v", a.Shape)
			}
			ref := a.Data
			plane := img.W * img.H
			var sum float64
			var far, maxd int
			for y := range img.H {
				for x := range img.W {
					i := y*img.W + x
					for c := range 3 {
						// BGR planes: plane 0 is blue = RGB channel 2.
						want := ref[(2-c)*plane+i]
						d := int(math.Abs(float64(img.Pix[3*i+c]) - float64(want)))
						sum += float64(d)
						maxd = max(maxd, d)
						if d > 8 {
							far++
						}
					}
				}
			}
			mean := sum / float64(3*plane)
			t.Logf("%s: mean |diff| %.3f levels, max %d, %d of %d samples differ by more than 8",
				name, mean, maxd, far, 3*plane)
			// Different IDCTs leave a level or two; with Go's nearest-
			// neighbour chroma instead of libjpeg's fancy upsampling the
			// mean was 0.29 and the maximum 33 levels, so these bounds
			// also pin the upsampling.
			if mean > 0.5 {
				t.Errorf("mean abs diff %.3f > 0.5", mean)
			}
			if far > 0 || maxd > 8 {
				t.Errorf("%d samples differ by more than 8 levels (max %d)", far, maxd)
			}
			if os.Getenv("IMAGEIO_DUMP") != "" {
				f, err := os.Create(filepath.Join(os.Getenv("IMAGEIO_DUMP"), name+".png"))
				if err == nil {
					ToPNG(f, img)
					f.Close()
				}
			}
		})
	}
}
