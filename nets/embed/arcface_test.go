package embed

import (
	"math"
	"os"
	"testing"

	"github.com/facegate/facegate/engine"
	"github.com/facegate/facegate/internal/shared"
	"github.com/facegate/facegate/nets/detect"
	"github.com/facegate/facegate/nets/imageio"
)

func load(t *testing.T, name string) *engine.Model {
	t.Helper()
	m, err := engine.LoadFile(shared.Path(t, "models", name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// lfwCrop detects the largest face of an LFW image, with the detector
// input's long side at longSide (0: the image's own size), and aligns it.
func lfwCrop(t *testing.T, d *detect.YuNet, name string, longSide int) []float32 {
	t.Helper()
	data, err := os.ReadFile(shared.Path(t, "eval", "lfw", "lfw-deepfunneled", name+".jpg"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := imageio.Decode(data, imageio.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if longSide == 0 {
		longSide = max(img.W, img.H)
	}
	faces, err := d.Detect(img.W, img.H, img.Pix, longSide)
	if err != nil || len(faces) == 0 {
		t.Fatalf("%s: %v, %d faces", name, err, len(faces))
	}
	return Align(img.W, img.H, img.Pix, faces[0].Landmarks)
}

// The golden embedder input is an LFW face aligned by an independent
// reference pipeline (YuNet on the 250x250 image as it is + 5-point
// similarity, cv2.warpAffine). Detecting the same way and aligning here
// must give nearly the same crop, and the embedding of our crop must agree
// with ONNX Runtime's embedding of theirs. (The pipeline's default enlarges
// the image to 640 for the detector, which moves the landmarks by about a
// pixel: 13 grey levels mean difference, cosine 0.98, and better LFW
// accuracy; logged below, not asserted.)
func TestAlignAndEmbedMatchReference(t *testing.T) {
	d, err := detect.NewYuNet(load(t, "face_detection_yunet_2023mar_dynamic.onnx"), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	a, err := NewArcFaceAligner(load(t, "mobilefacenet128_paddle.onnx"), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	crop := lfwCrop(t, d, "Abdullah_Gul/Abdullah_Gul_0013", 0) // embedder_lfw8_faces.json, face 0
	golden := readNPY(t, shared.Path(t, "golden", "mobilefacenet128_paddle_lfw1", "input.npy"))
	mine := make([]float32, len(golden))
	a.Norm.Planes(crop, Size, false, mine)
	var sum float64
	for i := range golden {
		sum += math.Abs(float64(mine[i]-golden[i])) * 127.5
	}
	mad := sum / float64(len(golden))
	t.Logf("aligned crop vs reference: mean |diff| %.2f grey levels", mad)
	if mad > 2 {
		t.Errorf("crop differs from the reference alignment: mean abs diff %.2f", mad)
	}
	emb, err := a.Embed(crop, false)
	if err != nil {
		t.Fatal(err)
	}
	ref := readNPY(t, shared.Path(t, "golden", "mobilefacenet128_paddle_lfw1", "reshape2_0.tmp_0.npy"))
	c := Cosine(emb, ref)
	t.Logf("cosine(our embedding, ORT embedding of reference crop) = %.4f", c)
	if c < 0.99 {
		t.Errorf("cosine %.4f < 0.99", c)
	}
	if e, err := a.Embed(lfwCrop(t, d, "Abdullah_Gul/Abdullah_Gul_0013", detect.LongSideAccurate), false); err == nil {
		t.Logf("with the detector at 640: cosine %.4f", Cosine(e, ref))
	}
	flip, err := a.Embed(crop, true)
	if err != nil {
		t.Fatal(err)
	}
	if c := Cosine(flip, ref); c < 0.98 {
		t.Errorf("flip-averaged cosine %.4f < 0.98", c)
	}
	// Same person (Abdullah_Gul 13/14) scores far above different people.
	same := Cosine(flip, mustEmbed(t, a, lfwCrop(t, d, "Abdullah_Gul/Abdullah_Gul_0014", detect.LongSideAccurate)))
	diff := Cosine(mustEmbed(t, a, lfwCrop(t, d, "Bob_Riley/Bob_Riley_0001", detect.LongSideAccurate)), mustEmbed(t, a, lfwCrop(t, d, "Jim_Harrick/Jim_Harrick_0001", detect.LongSideAccurate)))
	t.Logf("same person %.3f, different people %.3f", same, diff)
	if same < 0.5 || diff > 0.3 {
		t.Errorf("same %.3f, different %.3f", same, diff)
	}
}

func mustEmbed(t *testing.T, a *ArcFaceAligner, crop []float32) []float32 {
	t.Helper()
	e, err := a.Embed(crop, true)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
