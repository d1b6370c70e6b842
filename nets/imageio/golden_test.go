package imageio

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/facegate/facegate/internal/shared"
)

// readNPY reads a little-endian float32 .npy file (v1-3 header, C order):
// just enough for the golden detector inputs.
func readNPY(t *testing.T, path string) ([]int, []float32) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		t.Fatalf("%s: not an .npy file", path)
	}
	var hlen, off int
	if b[6] == 1 {
		hlen, off = int(binary.LittleEndian.Uint16(b[8:])), 10
	} else {
		hlen, off = int(binary.LittleEndian.Uint32(b[8:])), 12
	}
	if off+hlen > len(b) {
		t.Fatalf("%s: truncated header", path)
	}
	header := string(b[off : off+hlen])
	if !strings.Contains(header, "'descr': '<f4'") || !strings.Contains(header, "'fortran_order': False") {
		t.Fatalf("%s: want C-order <f4, header %q", path, header)
	}
	m := regexp.MustCompile(`'shape': \(([0-9, ]*)\)`).FindStringSubmatch(header)
	if m == nil {
		t.Fatalf("%s: no shape in %q", path, header)
	}
	var shape []int
	count := 1
	for _, f := range strings.Split(m[1], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		shape = append(shape, d)
		count *= d
	}
	body := b[off+hlen:]
	if len(body) != 4*count {
		t.Fatalf("%s: %d data bytes for shape %v", path, len(body), shape)
	}
	data := make([]float32, count)
	for i := range data {
		data[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	return shape, data
}

// TestGoldenEXIFRotation decodes the Silent-Face sample photos, which are
// stored landscape with EXIF orientation 6, and compares them with the
// detector inputs ONNX Runtime was fed (OpenCV imread: EXIF-rotated, BGR,
// NCHW). This checks the rotation direction and the colour conversion
// against an independent decoder (libjpeg-turbo).
func TestGoldenEXIFRotation(t *testing.T) {
	for _, name := range []string{"image_T1", "image_F1"} {
		t.Run(name, func(t *testing.T) {
			jpg := shared.Path(t, "images", "silent-face", name+".jpg")
			npy := shared.Path(t, "golden", "yunet_"+name+"_640x480", "input.npy")
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
			shape, ref := readNPY(t, npy)
			if fmt.Sprint(shape) != "[1 3 640 480]" {
				t.Fatalf("golden shape %v", shape)
			}
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
