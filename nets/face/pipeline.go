package face

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/facegate/facegate/engine"
	"github.com/facegate/facegate/nets/detect"
	"github.com/facegate/facegate/nets/embed"
	"github.com/facegate/facegate/nets/imageio"
	"github.com/facegate/facegate/nets/liveness"
	"github.com/facegate/facegate/weights"
)

// Default model files (base names; .fgw preferred, else .onnx).
const (
	DefaultDetector     = "face_detection_yunet_2023mar_dynamic"
	DefaultEmbedder     = "mobilefacenet128_paddle"
	DefaultLivenessV2   = "2.7_80x80_MiniFASNetV2"
	DefaultLivenessV1SE = "4_0_0_80x80_MiniFASNetV1SE"
)

// Config says where the networks are and how to run them.
type Config struct {
	ModelsDir string // directory holding the model files
	// Models, when set, is read instead of ModelsDir: converted .fgw files
	// at its root (the binary's embedded models, see cmd/facegate).
	Models fs.FS
	// Threads is the number of goroutines each inference session uses
	// (0: one per CPU). A server running many requests at once wants 1.
	Threads int
	Limits  imageio.Limits // bounds on decoded images
	// Model base names inside ModelsDir; empty means the defaults above.
	Detector, Embedder, LivenessV2, LivenessV1SE string
	// NoLiveness skips loading the liveness networks (Verify then fails
	// when liveness is requested).
	NoLiveness bool
}

// Pipeline is the loaded face pipeline; safe for concurrent use.
type Pipeline struct {
	det    *detect.YuNet
	emb    *embed.ArcFaceAligner
	live   *liveness.MiniFAS
	limits imageio.Limits
	models []string
	calib  Calibration
}

var _ Verifier = (*Pipeline)(nil)

// New loads the networks from cfg.ModelsDir.
func New(cfg Config) (*Pipeline, error) {
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	p := &Pipeline{limits: cfg.Limits}
	load := func(base string) (*engine.Model, error) {
		var (
			m    *engine.Model
			path string
			err  error
		)
		if cfg.Models != nil {
			path = "embedded:" + base + ".fgw"
			m, err = loadFS(cfg.Models, base+".fgw")
		} else {
			if path, err = ModelPath(cfg.ModelsDir, base); err != nil {
				return nil, err
			}
			m, err = engine.LoadFile(path)
		}
		if err != nil {
			return nil, fmt.Errorf("face: load %s: %w", path, err)
		}
		p.models = append(p.models, identity(m, base))
		return m, nil
	}
	m, err := load(or(cfg.Detector, DefaultDetector))
	if err != nil {
		return nil, err
	}
	if p.det, err = detect.NewYuNet(m, cfg.Threads); err != nil {
		return nil, err
	}
	embName := or(cfg.Embedder, DefaultEmbedder)
	if m, err = load(embName); err != nil {
		return nil, err
	}
	if p.emb, err = embed.NewArcFaceAligner(m, cfg.Threads); err != nil {
		return nil, err
	}
	p.calib = CalibrationFor(embName)
	if !cfg.NoLiveness {
		p.live = &liveness.MiniFAS{}
		if m, err = load(or(cfg.LivenessV2, DefaultLivenessV2)); err != nil {
			return nil, err
		}
		if p.live.V2, err = liveness.NewNet(m, 2.7, cfg.Threads); err != nil {
			return nil, err
		}
		if m, err = load(or(cfg.LivenessV1SE, DefaultLivenessV1SE)); err != nil {
			return nil, err
		}
		if p.live.V1SE, err = liveness.NewNet(m, 4.0, cfg.Threads); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// ModelPath finds base.fgw (a converted model) or else base.onnx in dir.
func ModelPath(dir, base string) (string, error) {
	for _, ext := range []string{".fgw", ".onnx"} {
		p := filepath.Join(dir, base+ext)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("face: model %s(.fgw|.onnx) not found in %s", base, dir)
}

// loadFS loads a converted model from fsys. The tensors alias the bytes
// read, which stay referenced by the model.
func loadFS(fsys fs.FS, name string) (*engine.Model, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	wm, err := weights.Read(data)
	if err != nil {
		return nil, err
	}
	return engine.Load(wm, engine.Options{})
}

// identity names a model by its metadata name and source hash.
func identity(m *engine.Model, base string) string {
	meta := m.Meta()
	name := meta.Name
	if name == "" {
		name = base
	}
	if len(meta.SourceSHA256) >= 12 {
		name += "@sha256:" + meta.SourceSHA256[:12]
	}
	return name
}

// Models lists the loaded networks (name@sha256 prefix).
func (p *Pipeline) Models() []string { return append([]string(nil), p.models...) }

// Close releases idle inference sessions.
func (p *Pipeline) Close() {
	p.det.Close()
	p.emb.Close()
	if p.live != nil {
		p.live.V2.Close()
		p.live.V1SE.Close()
	}
}

// Decode decodes an image within the pipeline's limits, mapping imageio's
// errors to this package's sentinels (the imageio error stays in the
// message).
func (p *Pipeline) Decode(data []byte) (*imageio.Image, error) {
	img, err := imageio.Decode(data, p.limits)
	if err == nil {
		return img, nil
	}
	switch {
	case errors.Is(err, imageio.ErrTooLarge):
		return nil, fmt.Errorf("%w (%v)", ErrImageTooLarge, err)
	case errors.Is(err, imageio.ErrFormat):
		return nil, fmt.Errorf("%w (%v)", ErrFormat, err)
	}
	return nil, fmt.Errorf("%w (%v)", ErrNotImage, err)
}

func longSide(m Mode) int {
	if m == Fast {
		return detect.LongSideFast
	}
	return detect.LongSideAccurate
}

// Detect finds the faces of an image, largest first, each with its
// quality report.
func (p *Pipeline) Detect(img *imageio.Image, mode Mode) ([]Face, error) {
	ds, err := p.det.Detect(img.W, img.H, img.Pix, longSide(mode))
	if err != nil {
		return nil, err
	}
	out := make([]Face, len(ds))
	for i, d := range ds {
		f := Face{Box: Box{d.X, d.Y, d.W, d.H}, Score: d.Score}
		for k, l := range d.Landmarks {
			f.Landmarks[k] = Point{l[0], l[1]}
		}
		f.Quality = Assess(img.W, img.H, img.Pix, f.Box, f.Landmarks, len(ds))
		out[i] = f
	}
	return out, nil
}

// Embed aligns a face and returns its L2-normalised embedding
// (flip-averaged in Accurate mode).
func (p *Pipeline) Embed(img *imageio.Image, f Face, mode Mode) ([]float32, error) {
	var lm [5][2]float64
	for k, l := range f.Landmarks {
		lm[k] = [2]float64{l.X, l.Y}
	}
	return p.emb.Embed(embed.Align(img.W, img.H, img.Pix, lm), mode == Accurate)
}

// Liveness estimates whether a face is live: V2 alone in Fast mode, V2
// and V1SE fused otherwise. The outcome is InsufficientContext when the
// face is too large or too near the edge for the 2.7x crop (see
// liveness.MinContext); Passed needs outcome Live, which needs the
// probability to reach threshold.
func (p *Pipeline) Liveness(img *imageio.Image, f Face, mode Mode, threshold float64) (Liveness, error) {
	if p.live == nil {
		return Liveness{}, errors.New("face: liveness networks not loaded")
	}
	r, err := p.live.Check(img.W, img.H, img.Pix, f.Box.X, f.Box.Y, f.Box.W, f.Box.H, mode == Fast)
	if err != nil {
		return Liveness{}, err
	}
	l := Liveness{Probability: r.Live, Models: r.Models, Context: math.Round(r.Context*1000) / 1000}
	switch {
	case !r.Sufficient:
		l.Outcome = InsufficientContext
	case r.Live >= threshold:
		l.Outcome = Live
	default:
		l.Outcome = Spoof
	}
	l.Passed = l.Outcome == Live
	return l, nil
}

// timer sums stage durations across goroutines (gallery images run in
// parallel, so a stage's total can exceed the wall time). "detect"
// includes the quality checks.
type timer struct {
	mu sync.Mutex
	d  map[string]time.Duration
}

func (t *timer) since(stage string, start time.Time) {
	t.mu.Lock()
	t.d[stage] += time.Since(start)
	t.mu.Unlock()
}

func (t *timer) list() []StageTiming {
	var out []StageTiming
	for _, s := range []string{"decode", "detect", "align+embed", "liveness"} {
		if d, ok := t.d[s]; ok {
			out = append(out, StageTiming{Stage: s, Duration: d})
		}
	}
	return out
}

// analysed is one decoded image with its chosen face and embedding.
type analysed struct {
	img   *imageio.Image
	face  Face
	faces int
	emb   []float32
}

// analyse decodes an image, picks its largest face (or fails by policy)
// and embeds it. Errors are wrapped in ImageError naming the image. A
// cancelled ctx stops it between stages (a network run is not interrupted).
func (p *Pipeline) analyse(ctx context.Context, data []byte, name string, policy MultiFace, mode Mode, tm *timer) (*analysed, error) {
	t0 := time.Now()
	img, err := p.Decode(data)
	tm.since("decode", t0)
	if err != nil {
		return nil, &ImageError{Image: name, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t0 = time.Now()
	faces, err := p.Detect(img, mode)
	tm.since("detect", t0)
	if err != nil {
		return nil, &ImageError{Image: name, Err: err}
	}
	if len(faces) == 0 {
		return nil, &ImageError{Image: name, Err: ErrNoFace}
	}
	if len(faces) > 1 && policy == RejectMulti {
		return nil, &ImageError{Image: name, Err: ErrTooManyFaces}
	}
	a := &analysed{img: img, face: faces[0], faces: len(faces)}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t0 = time.Now()
	a.emb, err = p.Embed(img, a.face, mode)
	tm.since("align+embed", t0)
	if err != nil {
		return nil, &ImageError{Image: name, Err: err}
	}
	return a, nil
}

// Verify compares the probe's largest face with the largest face of each
// gallery image (concurrently), and checks the probe's liveness when
// asked. A gallery image without a face is reported in its Match (error
// "face_not_found"); when no gallery image has a face the error is an
// ImageError wrapping ErrNoFace. Undecodable images fail the whole call.
func (p *Pipeline) Verify(ctx context.Context, probe []byte, gallery [][]byte, opt Options) (*Result, error) {
	if len(gallery) == 0 {
		return nil, errors.New("face: empty gallery")
	}
	tm := &timer{d: map[string]time.Duration{}}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pa, err := p.analyse(ctx, probe, "probe", opt.ProbeFaces, opt.Mode, tm)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &Result{Probe: pa.face, Faces: pa.faces, Models: p.Models(), Best: -1,
		Liveness: Liveness{Outcome: LivenessNotRequested}}
	// Liveness of the probe runs beside the gallery.
	var wg sync.WaitGroup
	var lerr error
	if opt.Liveness {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			res.Liveness, lerr = p.Liveness(pa.img, pa.face, opt.Mode, opt.LivenessThreshold)
			tm.since("liveness", t0)
		}()
	}
	res.Matches = make([]Match, len(gallery))
	errs := make([]error, len(gallery))
	sem := make(chan struct{}, max(1, min(len(gallery), runtime.GOMAXPROCS(0))))
	for i := range gallery {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			res.Matches[i].Index = i
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			ga, err := p.analyse(ctx, gallery[i], fmt.Sprintf("gallery[%d]", i), opt.GalleryFaces, opt.Mode, tm)
			if err != nil {
				errs[i] = err
				return
			}
			c := embed.Cosine(pa.emb, ga.emb)
			f := ga.face
			res.Matches[i].Cosine = round4(c)
			res.Matches[i].Score = round4(p.calib.Score(c))
			res.Matches[i].Face = &f
		}(i)
	}
	wg.Wait()
	if lerr != nil {
		return nil, &ImageError{Image: "probe", Err: lerr}
	}
	var firstNoFace error
	for i, e := range errs {
		switch {
		case e == nil:
			if res.Best < 0 || res.Matches[i].Score > res.Matches[res.Best].Score {
				res.Best = i
			}
		case errors.Is(e, ErrNoFace):
			res.Matches[i].Error = "face_not_found"
			if firstNoFace == nil {
				firstNoFace = e
			}
		case errors.Is(e, ErrTooManyFaces):
			res.Matches[i].Error = "too_many_faces"
			if firstNoFace == nil {
				firstNoFace = e
			}
		default:
			return nil, e
		}
	}
	if res.Best < 0 {
		return nil, firstNoFace
	}
	b := res.Matches[res.Best]
	res.Score, res.Cosine = b.Score, b.Cosine
	res.Matched = res.Score >= opt.CompareThreshold
	res.Passed = res.Matched && (!opt.Liveness || res.Liveness.Passed)
	res.Timings = tm.list()
	return res, nil
}
