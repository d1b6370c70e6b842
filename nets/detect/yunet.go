// Package detect finds faces with YuNet (2023mar): letterbox preparation,
// decode of the three stride heads, NMS, landmarks mapped back to image
// pixels, and a small pyramid for faces too large for the network.
package detect

import (
	"fmt"

	"github.com/facegate/facegate/engine"
	"github.com/facegate/facegate/nets/internal/sessions"
)

// Default thresholds (OpenCV's FaceDetectorYN uses score 0.9; 0.6 keeps
// harder but real faces, NMS removes the duplicates).
const (
	DefaultScore = 0.6
	DefaultNMS   = 0.3
)

// Long sides of the first pyramid level: Accurate and Fast modes.
const (
	LongSideAccurate = 640
	LongSideFast     = 320
)

// MaxFaceSide is the largest face side (in network-input pixels) YuNet
// handles well (MODELS.md: ~10–300 px). When the largest face found at a
// level is bigger, or no face is found, the image is also run at half that
// level's size, down to MinLongSide.
const (
	MaxFaceSide = 250
	MinLongSide = 128
)

// YuNet is a loaded detector; safe for concurrent use.
type YuNet struct {
	pool  *sessions.Pool
	Score float64 // minimum score kept
	NMS   float64 // IoU above which the weaker face is dropped
}

// NewYuNet wraps a loaded YuNet model; sessions use threads goroutines.
func NewYuNet(m *engine.Model, threads int) (*YuNet, error) {
	names := map[string]bool{}
	for _, o := range m.Outputs() {
		names[o.Name] = true
	}
	for _, s := range Strides {
		for _, k := range []string{"cls", "obj", "bbox", "kps"} {
			if !names[fmt.Sprintf("%s_%d", k, s)] {
				return nil, fmt.Errorf("detect: model %q has no output %s_%d: not YuNet 2023mar", m.Meta().Name, k, s)
			}
		}
	}
	return &YuNet{pool: sessions.New(m, threads, 8), Score: DefaultScore, NMS: DefaultNMS}, nil
}

// Close releases idle sessions.
func (d *YuNet) Close() { d.pool.Close() }

// Detect finds the faces in an RGB image (w x h, stride 3w), running the
// network with the image's long side at longSide (see Prepare) and, when
// the faces found are larger than MaxFaceSide network pixels or none are
// found, again at half size, and so on (see MaxFaceSide). Detections of all
// levels are merged by NMS. Faces are in image pixels, largest first.
func (d *YuNet) Detect(w, h int, pix []uint8, longSide int) ([]Face, error) {
	if w <= 0 || h <= 0 || len(pix) < 3*w*h {
		return nil, fmt.Errorf("detect: bad image %dx%d (%d bytes)", w, h, len(pix))
	}
	var all []Face
	side := longSide
	for {
		faces, err := d.detectAt(w, h, pix, side)
		if err != nil {
			return nil, err
		}
		all = append(all, faces...)
		biggest := 0.0
		for _, f := range faces {
			biggest = max(biggest, f.W*float64(side)/float64(max(w, h)), f.H*float64(side)/float64(max(w, h)))
		}
		if (len(faces) > 0 && biggest <= MaxFaceSide) || side/2 < MinLongSide {
			break
		}
		side /= 2
	}
	all = NMS(all, d.NMS)
	SortByArea(all)
	return all, nil
}

// detectAt runs one pyramid level and returns NMS-filtered faces in image pixels.
func (d *YuNet) detectAt(w, h int, pix []uint8, longSide int) ([]Face, error) {
	in := Prepare(w, h, pix, longSide)
	var faces []Face
	err := d.pool.Run([]*engine.Tensor{{Shape: []int{1, 3, in.H, in.W}, Data: in.Data}}, func(out []*engine.Tensor) error {
		byName := map[string][]float32{}
		for i, o := range d.pool.Model().Outputs() {
			if i < len(out) {
				byName[o.Name] = out[i].Data
			}
		}
		heads := make([]Head, 0, len(Strides))
		for _, s := range Strides {
			f := func(k string) []float32 { return byName[fmt.Sprintf("%s_%d", k, s)] }
			heads = append(heads, Head{Stride: s, Cls: f("cls"), Obj: f("obj"), BBox: f("bbox"), Kps: f("kps")})
		}
		faces = Decode(heads, in.W, in.H, d.Score)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	faces = NMS(faces, d.NMS)
	sx, sy := float64(in.RW)/float64(w), float64(in.RH)/float64(h)
	for i := range faces {
		faces[i] = faces[i].scale(sx, sy)
	}
	return faces, nil
}
