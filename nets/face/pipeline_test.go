package face

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"sync"
	"testing"

	"github.com/facegate/facegate/internal/shared"
)

var (
	pipeOnce sync.Once
	pipe     *Pipeline
	pipeErr  error
)

func testPipeline(t *testing.T) *Pipeline {
	t.Helper()
	dir := shared.Path(t, "models")
	pipeOnce.Do(func() { pipe, pipeErr = New(Config{ModelsDir: dir, Threads: 2}) })
	if pipeErr != nil {
		t.Fatal(pipeErr)
	}
	return pipe
}

func read(t *testing.T, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(shared.Path(t, parts...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func lfw(t *testing.T, name string) []byte {
	return read(t, "eval", "lfw", "lfw-deepfunneled", name[:len(name)-5], name+".jpg")
}

func TestVerifyLFW(t *testing.T) {
	p := testPipeline(t)
	probe := lfw(t, "Abdullah_Gul_0013")
	gallery := [][]byte{lfw(t, "Bob_Riley_0001"), lfw(t, "Abdullah_Gul_0014")}
	for _, mode := range []Mode{Accurate, Fast} {
		r, err := p.Verify(context.Background(), probe, gallery, Options{Mode: mode, CompareThreshold: 0.85})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("mode %v: best %d score %.3f cosine %.3f; impostor cosine %.3f score %.3f; timings %v",
			mode, r.Best, r.Score, r.Cosine, r.Matches[0].Cosine, r.Matches[0].Score, r.Timings)
		if r.Best != 1 || !r.Matched || !r.Passed || r.Matches[0].Score >= 0.5 {
			t.Errorf("mode %v: %+v", mode, r)
		}
		if r.Liveness.Outcome != LivenessNotRequested || len(r.Models) != 4 || r.Faces != 1 {
			t.Errorf("mode %v: liveness %v models %v faces %d", mode, r.Liveness, r.Models, r.Faces)
		}
	}
}

func TestVerifyLiveness(t *testing.T) {
	p := testPipeline(t)
	for _, c := range []struct {
		img  string
		want LivenessOutcome
	}{{"image_T1", Live}, {"image_F1", Spoof}} {
		img := read(t, "images", "silent-face", c.img+".jpg")
		r, err := p.Verify(context.Background(), img, [][]byte{img}, Options{Liveness: true, LivenessThreshold: 0.5, CompareThreshold: 0.85})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: liveness %+v, self score %.3f, quality %.3f", c.img, r.Liveness, r.Score, r.Probe.Quality.Probability)
		if r.Liveness.Outcome != c.want || r.Liveness.Passed != (c.want == Live) || r.Passed != (c.want == Live) {
			t.Errorf("%s: %+v passed=%v", c.img, r.Liveness, r.Passed)
		}
		if r.Cosine < 0.999 {
			t.Errorf("%s against itself: cosine %.4f", c.img, r.Cosine)
		}
	}
}

func TestVerifyErrors(t *testing.T) {
	p := testPipeline(t)
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 64, 48))); err != nil {
		t.Fatal(err)
	}
	blank := buf.Bytes()
	face := lfw(t, "Abdullah_Gul_0013")
	cases := []struct {
		name    string
		probe   []byte
		gallery [][]byte
		image   string
		want    error
	}{
		{"probe not an image", []byte("hello"), [][]byte{face}, "probe", ErrNotImage},
		{"probe without face", blank, [][]byte{face}, "probe", ErrNoFace},
		{"gallery without face", face, [][]byte{blank}, "gallery[0]", ErrNoFace},
		{"gallery not an image", face, [][]byte{face, {0xff, 0xd8, 0xff}}, "gallery[1]", ErrNotImage},
	}
	for _, c := range cases {
		_, err := p.Verify(context.Background(), c.probe, c.gallery, Options{})
		var ie *ImageError
		if !errors.Is(err, c.want) || !errors.As(err, &ie) || ie.Image != c.image {
			t.Errorf("%s: got %v, want %v on %s", c.name, err, c.want, c.image)
		}
	}
	// One gallery image without a face is reported, not fatal.
	r, err := p.Verify(context.Background(), face, [][]byte{blank, face}, Options{})
	if err != nil || r.Best != 1 || r.Matches[0].Error != "face_not_found" {
		t.Errorf("mixed gallery: %v %+v", err, r)
	}
}

// Many goroutines share one Pipeline: results must equal the serial ones.
func TestVerifyConcurrent(t *testing.T) {
	p := testPipeline(t)
	probe, g := lfw(t, "Abdullah_Gul_0013"), [][]byte{lfw(t, "Abdullah_Gul_0014")}
	want, err := p.Verify(context.Background(), probe, g, Options{Mode: Fast})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 2; j++ {
				r, err := p.Verify(context.Background(), probe, g, Options{Mode: Fast})
				if err != nil {
					errs <- err
					return
				}
				if r.Cosine != want.Cosine {
					errs <- fmt.Errorf("cosine %v, serial %v", r.Cosine, want.Cosine)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func BenchmarkVerify(b *testing.B) {
	dir := shared.Path(b, "models")
	p, err := New(Config{ModelsDir: dir, Threads: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	read := func(name string) []byte {
		d, err := os.ReadFile(shared.Path(b, "images", "silent-face", name))
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	probe, g := read("image_T1.jpg"), [][]byte{read("image_F1.jpg")}
	for _, c := range []struct {
		name string
		mode Mode
	}{{"accurate", Accurate}, {"fast", Fast}} {
		b.Run(c.name, func(b *testing.B) {
			opt := Options{Mode: c.mode, Liveness: true, LivenessThreshold: 0.5}
			for i := 0; i < b.N; i++ {
				if _, err := p.Verify(context.Background(), probe, g, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Quality on a real photo: the sharp image_T1 face passes blur, exposure,
// pitch and roll (its head is turned ~24°, so yaw fails OkayFace's 20°
// limit, which is right for that photo); the same photo box-blurred fails
// blur, and mirroring it flips the sign of yaw and roll without changing
// their size.
func TestQualityRealImage(t *testing.T) {
	p := testPipeline(t)
	img, err := p.Decode(read(t, "images", "silent-face", "image_T1.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	faces, err := p.Detect(img, Accurate)
	if err != nil || len(faces) != 1 {
		t.Fatalf("%v, %d faces", err, len(faces))
	}
	sharp := byName(faces[0].Quality)
	t.Logf("sharp: blur %.0f yaw %.1f pitch %.1f roll %.1f exposure %.0f", sharp["blur"].Value, sharp["yaw"].Value, sharp["pitch"].Value, sharp["roll"].Value, sharp["exposure"].Value)
	for _, n := range []string{"blur", "pitch", "roll", "exposure", "clipped", "cropped", "face_count"} {
		if !sharp[n].Passed {
			t.Errorf("sharp %s fails: %+v", n, sharp[n])
		}
	}
	if sharp["yaw"].Value < 15 || sharp["yaw"].Value > 35 {
		t.Errorf("yaw %v, expected a clearly turned head", sharp["yaw"].Value)
	}
	if sharp["face_size"].Passed != (faces[0].Box.W >= MinFaceSide && faces[0].Box.H >= MinFaceSide) {
		t.Errorf("face_size %+v for box %+v", sharp["face_size"], faces[0].Box)
	}
	// Box blur, radius 6, three passes (≈ Gaussian σ 6 px on a 170 px face).
	w, h := img.W, img.H
	blurred := append([]uint8(nil), img.Pix...)
	tmp := make([]uint8, len(blurred))
	const r = 6
	for pass := 0; pass < 3; pass++ {
		for _, horiz := range []bool{true, false} {
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					for c := 0; c < 3; c++ {
						s, n := 0, 0
						for k := -r; k <= r; k++ {
							xx, yy := x, y
							if horiz {
								xx += k
							} else {
								yy += k
							}
							if xx >= 0 && xx < w && yy >= 0 && yy < h {
								s += int(blurred[3*(yy*w+xx)+c])
								n++
							}
						}
						tmp[3*(y*w+x)+c] = uint8(s / n)
					}
				}
			}
			blurred, tmp = tmp, blurred
		}
	}
	q := byName(Assess(w, h, blurred, faces[0].Box, faces[0].Landmarks, 1))
	t.Logf("blurred: blur %.1f", q["blur"].Value)
	if q["blur"].Passed {
		t.Errorf("blurred face passes blur: %+v", q["blur"])
	}
	// Mirror the landmarks (and swap left/right so the order stays ArcFace's).
	m := faces[0].Landmarks
	mir := func(pt Point) Point { return Point{float64(w) - pt.X, pt.Y} }
	m = [5]Point{mir(m[1]), mir(m[0]), mir(m[2]), mir(m[4]), mir(m[3])}
	y0, _, r0 := Pose(faces[0].Landmarks)
	y1, _, r1 := Pose(m)
	if math.Abs(y0+y1) > 1e-6 || math.Abs(r0+r1) > 1e-6 {
		t.Errorf("mirrored pose: yaw %v/%v roll %v/%v", y0, y1, r0, r1)
	}
}
