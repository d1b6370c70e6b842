package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/facegate/facegate/nets/embed"
	"github.com/facegate/facegate/nets/face"
)

func init() {
	register("eval", "accuracy on labelled sets: eval lfw | eval liveness", runEval)
}

func runEval(args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "lfw":
			return runEvalLFW(args[1:])
		case "liveness":
			return runEvalLiveness(args[1:])
		}
	}
	fmt.Fprintln(os.Stderr, "usage: facegate eval lfw --root DIR --pairs FILE [flags]\n       facegate eval liveness --root DIR --labels FILE.csv [flags]")
	return 2
}

// lfwPair is one line of an LFW pairs file.
type lfwPair struct {
	a, b string // image keys "Name/Name_0001"
	same bool
	fold int
}

// readPairs parses LFW pairs files: View 1 ("N", then N matched and N
// mismatched lines) and View 2 ("F N", then F folds of N matched and N
// mismatched). View 1 pairs are spread over folds round-robin within each
// half, so every fold holds matched and mismatched pairs.
func readPairs(path string, folds int) ([]lfwPair, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return nil, 0, fmt.Errorf("%s: empty", path)
	}
	head := strings.Fields(sc.Text())
	nf, n := 1, 0
	switch len(head) {
	case 1:
		n, err = strconv.Atoi(head[0])
	case 2:
		if nf, err = strconv.Atoi(head[0]); err == nil {
			n, err = strconv.Atoi(head[1])
		}
	default:
		err = fmt.Errorf("bad header %q", sc.Text())
	}
	if err != nil || n <= 0 || nf <= 0 || nf*n > 1e6 {
		return nil, 0, fmt.Errorf("%s: bad header %q", path, sc.Text())
	}
	key := func(name, num string) (string, error) {
		i, err := strconv.Atoi(num)
		if err != nil || i <= 0 || i > 9999 {
			return "", fmt.Errorf("bad image number %q", num)
		}
		return fmt.Sprintf("%s/%s_%04d", name, name, i), nil
	}
	var pairs []lfwPair
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) == 0 {
			continue
		}
		var p lfwPair
		var e1, e2 error
		switch len(fl) {
		case 3:
			p.a, e1 = key(fl[0], fl[1])
			p.b, e2 = key(fl[0], fl[2])
			p.same = true
		case 4:
			p.a, e1 = key(fl[0], fl[1])
			p.b, e2 = key(fl[2], fl[3])
		default:
			return nil, 0, fmt.Errorf("%s: bad line %q", path, sc.Text())
		}
		if e1 != nil || e2 != nil {
			return nil, 0, fmt.Errorf("%s: bad line %q", path, sc.Text())
		}
		pairs = append(pairs, p)
	}
	if err := sc.Err(); err != nil {
		return nil, 0, err
	}
	if len(pairs) != 2*n*nf {
		return nil, 0, fmt.Errorf("%s: %d pairs, header says %d", path, len(pairs), 2*n*nf)
	}
	if nf > 1 {
		for i := range pairs {
			pairs[i].fold = i / (2 * n)
		}
		return pairs, nf, nil
	}
	if folds < 1 {
		folds = 1
	}
	for i := range pairs {
		pairs[i].fold = (i % n) * folds / n
	}
	return pairs, folds, nil
}

// lfwEmbedding is one image's embedding (nil when unreadable).
type lfwEmbedding struct {
	emb    []float32
	noFace bool
}

// embedAll embeds every image once, in parallel (one single-threaded
// pipeline call per worker). Images where no face is found use landmarks
// at the position LFW's centring puts them (see lfwFallback).
func embedAll(p *face.Pipeline, root string, keys []string, mode face.Mode, workers int) (map[string]*lfwEmbedding, error) {
	out := make(map[string]*lfwEmbedding, len(keys))
	var mu sync.Mutex
	var firstErr error
	var done atomic.Int64
	ch := make(chan string)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range ch {
				e, err := embedOne(p, filepath.Join(root, k+".jpg"), mode)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("%s: %w", k, err)
				}
				out[k] = e
				mu.Unlock()
				if n := done.Add(1); n%500 == 0 {
					fmt.Fprintf(os.Stderr, "eval: %d/%d images, %.1f/s\n", n, len(keys), float64(n)/time.Since(start).Seconds())
				}
			}
		}()
	}
	for _, k := range keys {
		ch <- k
	}
	close(ch)
	wg.Wait()
	return out, firstErr
}

func embedOne(p *face.Pipeline, path string, mode face.Mode) (*lfwEmbedding, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	img, err := p.Decode(data)
	if err != nil {
		return nil, err
	}
	faces, err := p.Detect(img, mode)
	if err != nil {
		return nil, err
	}
	e := &lfwEmbedding{}
	var f face.Face
	if len(faces) == 0 {
		e.noFace = true
		f.Landmarks = lfwFallback(img.W, img.H)
	} else {
		f = centralFace(faces, img.W, img.H)
	}
	e.emb, err = p.Embed(img, f, mode)
	return e, err
}

// embeddingCache is the --cache file: embeddings of one models+mode.
type embeddingCache struct {
	Models []string             `json:"models"`
	Mode   string               `json:"mode"`
	Emb    map[string][]float32 `json:"embeddings"`
	NoFace map[string]bool      `json:"no_face"`
}

// loadEmbeddingCache returns the cached embeddings when path holds ones
// made by the same models in the same mode, else an empty map.
func loadEmbeddingCache(path string, models []string, mode string) map[string]*lfwEmbedding {
	out := map[string]*lfwEmbedding{}
	if path == "" {
		return out
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	var c embeddingCache
	if json.Unmarshal(b, &c) != nil || c.Mode != mode || strings.Join(c.Models, ",") != strings.Join(models, ",") {
		return out
	}
	for k, e := range c.Emb {
		out[k] = &lfwEmbedding{emb: e, noFace: c.NoFace[k]}
	}
	return out
}

func saveEmbeddingCache(path string, models []string, mode string, embs map[string]*lfwEmbedding) error {
	c := embeddingCache{Models: models, Mode: mode, Emb: map[string][]float32{}, NoFace: map[string]bool{}}
	for k, e := range embs {
		c.Emb[k] = e.emb
		if e.noFace {
			c.NoFace[k] = true
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// centralFace picks, among the faces of an LFW image, the one the image is
// centred on (LFW crops centre the labelled person; other people may
// appear at the edges): the largest face whose box contains the image
// centre, else the largest.
func centralFace(faces []face.Face, w, h int) face.Face {
	cx, cy := float64(w)/2, float64(h)/2
	for _, f := range faces {
		if f.Box.X <= cx && cx <= f.Box.X+f.Box.W && f.Box.Y <= cy && cy <= f.Box.Y+f.Box.H {
			return f
		}
	}
	return faces[0]
}

// lfwFallback is where LFW's 2.2x-enlarged, centred Viola-Jones crop puts
// the five landmarks on average: the ArcFace template scaled by w/189 and
// offset (0.217w, 0.18h) (measured on detected LFW faces: eye distance
// ≈ 46 px in a 250 px image).
func lfwFallback(w, h int) [5]face.Point {
	var lm [5]face.Point
	s := float64(w) / 189
	for i, t := range embed.Template {
		lm[i] = face.Point{X: t[0]*s + 0.217*float64(w), Y: t[1]*s + 0.18*float64(h)}
	}
	return lm
}

// scored is a cosine with its label.
type scored struct {
	cos  float64
	same bool
	fold int
}

// bestThreshold is the cosine threshold maximising accuracy on s (the
// midpoint between neighbouring scores), and that accuracy.
func bestThreshold(s []scored) (float64, float64) {
	sort.Slice(s, func(i, j int) bool { return s[i].cos < s[j].cos })
	// threshold below s[i]: pairs i.. are "same".
	nSame := 0
	for _, x := range s {
		if x.same {
			nSame++
		}
	}
	correct := nSame // threshold below everything
	best, bestT := correct, s[0].cos-1e-6
	for i, x := range s {
		if x.same {
			correct--
		} else {
			correct++
		}
		if correct > best {
			best = correct
			if i+1 < len(s) {
				bestT = (x.cos + s[i+1].cos) / 2
			} else {
				bestT = x.cos + 1e-6
			}
		}
	}
	return bestT, float64(best) / float64(len(s))
}

func accuracyAt(s []scored, t float64) float64 {
	ok := 0
	for _, x := range s {
		if (x.cos >= t) == x.same {
			ok++
		}
	}
	return float64(ok) / float64(len(s))
}

// quantile-based threshold: the cosine above which a fraction far of the
// impostor cosines lie (impostors sorted ascending).
func thresholdAtFAR(impostors []float64, far float64) float64 {
	n := len(impostors)
	k := int(math.Floor(far * float64(n))) // allowed false accepts
	if k >= n {
		return impostors[0]
	}
	// Strictly above the (n-k)th smallest lets at most k through.
	return math.Nextafter(impostors[n-1-k], 2)
}

func rate(vals []float64, t float64, above bool) float64 {
	c := 0
	for _, v := range vals {
		if (v >= t) == above {
			c++
		}
	}
	return float64(c) / float64(len(vals))
}

func runEvalLFW(args []string) int {
	fs := newFlagSet("eval lfw", "usage: facegate eval lfw --root DIR --pairs FILE [--train FILE] [flags]")
	root := fs.String("root", "", "LFW image directory (holding Name/Name_0001.jpg)")
	pairsPath := fs.String("pairs", "", "pairs file to evaluate (View 1 pairsDev*.txt or View 2 pairs.txt)")
	trainPath := fs.String("train", "", "View 1: choose the threshold on this pairs file and report accuracy on --pairs with it")
	folds := fs.Int("folds", 10, "folds for a View 1 file (View 2 files carry their own)")
	models := modelsFlag(fs)
	embedder := fs.String("embedder", "", "embedder model base name (default "+face.DefaultEmbedder+")")
	fast := fs.Bool("fast", false, "FAST mode (detector at 320 px, no flip-averaging)")
	workers := fs.Int("workers", runtime.NumCPU(), "images embedded in parallel")
	impostorImages := fs.Int("impostor-images", 2000, "impostor set: all cross-identity pairs among up to this many of the images (0: none)")
	cache := fs.String("cache", "", "JSON file of embeddings to reuse (written when missing; only reused for the same models and mode)")
	showErrors := fs.Bool("show-errors", false, "list the misclassified pairs of --pairs")
	fit := fs.Bool("fit", false, "fit the score calibration: score 0.75 at FMR 1e-3 and 0.85 at FMR 1e-4 of the impostor set")
	if _, err := parseInterleaved(fs, args); err != nil {
		return 2
	}
	if *root == "" || *pairsPath == "" || *workers < 1 {
		fs.Usage()
		return 2
	}
	fail := func(err error) int { fmt.Fprintf(os.Stderr, "facegate eval lfw: %v\n", err); return 1 }
	pairs, nf, err := readPairs(*pairsPath, *folds)
	if err != nil {
		return fail(err)
	}
	var train []lfwPair
	if *trainPath != "" {
		if train, _, err = readPairs(*trainPath, 1); err != nil {
			return fail(err)
		}
	}
	dir, err := resolveModelsDir(*models)
	if err != nil {
		return fail(err)
	}
	p, err := face.New(face.Config{ModelsDir: dir, Threads: 1, NoLiveness: true, Embedder: *embedder})
	if err != nil {
		return fail(err)
	}
	defer p.Close()
	mode := face.Accurate
	if *fast {
		mode = face.Fast
	}
	keys := pairKeys(append(append([]lfwPair(nil), pairs...), train...))
	start := time.Now()
	modeName := modeString(mode)
	embs := loadEmbeddingCache(*cache, p.Models(), modeName)
	var todo []string
	for _, k := range keys {
		if embs[k] == nil {
			todo = append(todo, k)
		}
	}
	if len(todo) > 0 {
		more, err := embedAll(p, *root, todo, mode, *workers)
		if err != nil {
			return fail(err)
		}
		for k, e := range more {
			embs[k] = e
		}
		if *cache != "" {
			if err := saveEmbeddingCache(*cache, p.Models(), modeName, embs); err != nil {
				return fail(err)
			}
		}
	}
	elapsed := time.Since(start)
	noFace := 0
	for _, e := range embs {
		if e.noFace {
			noFace++
		}
	}
	score := func(ps []lfwPair) []scored {
		out := make([]scored, len(ps))
		for i, pr := range ps {
			out[i] = scored{embed.Cosine(embs[pr.a].emb, embs[pr.b].emb), pr.same, pr.fold}
		}
		return out
	}
	s := score(pairs)
	res := map[string]any{
		"pairs_file": *pairsPath, "pairs": len(pairs), "images": len(keys), "no_face_images": noFace,
		"mode": modeName, "models": p.Models(),
		"embed_seconds": math.Round(elapsed.Seconds()*10) / 10,
	}
	tBest, accBest := bestThreshold(append([]scored(nil), s...))
	res["accuracy_best_threshold"] = map[string]float64{"accuracy": accBest, "cosine": tBest}
	if train != nil {
		tTrain, accTrain := bestThreshold(score(train))
		res["accuracy"] = map[string]any{"accuracy": accuracyAt(s, tTrain), "cosine_threshold": tTrain,
			"threshold_from": *trainPath, "train_accuracy": accTrain}
	}
	if *showErrors {
		t := tBest
		if train != nil {
			t = res["accuracy"].(map[string]any)["cosine_threshold"].(float64)
		}
		var wrong []map[string]any
		for i, x := range s {
			if (x.cos >= t) != x.same {
				wrong = append(wrong, map[string]any{"a": pairs[i].a, "b": pairs[i].b, "same": x.same, "cosine": round(x.cos, 4),
					"no_face": embs[pairs[i].a].noFace || embs[pairs[i].b].noFace})
			}
		}
		res["errors"] = wrong
	}
	if nf > 1 {
		var accs []float64
		for f := 0; f < nf; f++ {
			var tr, te []scored
			for _, x := range s {
				if x.fold == f {
					te = append(te, x)
				} else {
					tr = append(tr, x)
				}
			}
			t, _ := bestThreshold(tr)
			accs = append(accs, accuracyAt(te, t))
		}
		m, sd := meanStd(accs)
		res["folds"] = map[string]any{"k": nf, "accuracy_mean": m, "accuracy_std": sd, "per_fold": accs}
	}
	// Genuine and impostor distributions.
	var genuine, pairImpostors []float64
	for _, x := range s {
		if x.same {
			genuine = append(genuine, x.cos)
		} else {
			pairImpostors = append(pairImpostors, x.cos)
		}
	}
	impostors := pairImpostors
	impostorSource := "mismatched pairs of the file"
	if *impostorImages > 0 {
		impostors = crossIdentity(pairKeys(pairs), embs, *impostorImages)
		impostorSource = fmt.Sprintf("all cross-identity pairs among %d images of the pairs file", min(*impostorImages, len(pairKeys(pairs))))
	}
	sort.Float64s(impostors)
	tar := map[string]any{"impostor_set": impostorSource, "impostor_pairs": len(impostors), "genuine_pairs": len(genuine)}
	for _, far := range []float64{1e-2, 1e-3, 1e-4} {
		if float64(len(impostors))*far < 1 {
			continue
		}
		t := thresholdAtFAR(impostors, far)
		tar[fmt.Sprintf("%g", far)] = map[string]float64{"tar": rate(genuine, t, true), "cosine": t}
	}
	res["tar_at_far"] = tar
	cal := p.Calibration()
	if *fit {
		// Fit on the training file's images when there is one, so the
		// vendor table below is measured on people the fit never saw.
		fitSet, from := impostors, *pairsPath
		if train != nil {
			fitSet, from = crossIdentity(pairKeys(train), embs, max(*impostorImages, 2000)), *trainPath
			sort.Float64s(fitSet)
		}
		c3, c4 := thresholdAtFAR(fitSet, 1e-3), thresholdAtFAR(fitSet, 1e-4)
		cal = face.FitCalibration(cal.Model, c4, 0.85, c3, 0.75)
		res["fitted_calibration"] = map[string]any{"A": cal.A, "C": cal.C, "impostor_pairs": len(fitSet), "from": from,
			"anchors": "score 0.85 at cosine " + strconv.FormatFloat(c4, 'f', 4, 64) + " (FMR 1e-4), 0.75 at " +
				strconv.FormatFloat(c3, 'f', 4, 64) + " (FMR 1e-3)"}
	}
	var vendor []map[string]any
	for _, sc := range []float64{0.5, 0.67, 0.75, 0.85, 0.9, 0.95} {
		c := cal.Cosine(sc)
		vendor = append(vendor, map[string]any{"score": sc, "cosine": round(c, 4),
			"fmr": rate(impostors, c, true), "fnmr": rate(genuine, c, false)})
	}
	res["calibration"] = map[string]any{"A": cal.A, "C": cal.C, "model": cal.Model}
	res["vendor_thresholds"] = vendor
	return writeJSON(res)
}

func modeString(m face.Mode) string {
	if m == face.Fast {
		return "fast"
	}
	return "accurate"
}

func round(v float64, d int) float64 {
	p := math.Pow(10, float64(d))
	return math.Round(v*p) / p
}

func meanStd(v []float64) (float64, float64) {
	var m, s float64
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return m, math.Sqrt(s / float64(len(v)))
}

// pairKeys lists the distinct images of pairs, sorted.
func pairKeys(pairs []lfwPair) []string {
	seen := map[string]bool{}
	var keys []string
	for _, pr := range pairs {
		for _, k := range []string{pr.a, pr.b} {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// crossIdentity returns the cosines of all pairs of different people among
// up to n images (a fixed pseudo-random sample when there are more).
func crossIdentity(keys []string, embs map[string]*lfwEmbedding, n int) []float64 {
	ks := append([]string(nil), keys...)
	if len(ks) > n {
		r := rand.New(rand.NewSource(1))
		r.Shuffle(len(ks), func(i, j int) { ks[i], ks[j] = ks[j], ks[i] })
		ks = ks[:n]
	}
	who := func(k string) string { return k[:strings.IndexByte(k, '/')] }
	var out []float64
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if who(ks[i]) != who(ks[j]) {
				out = append(out, embed.Cosine(embs[ks[i]].emb, embs[ks[j]].emb))
			}
		}
	}
	return out
}

func runEvalLiveness(args []string) int {
	fs := newFlagSet("eval liveness", "usage: facegate eval liveness --root DIR --labels FILE.csv [flags]")
	root := fs.String("root", "", "directory the label paths are relative to")
	labels := fs.String("labels", "", "CSV with columns path,label (live|spoof); other columns ignored")
	threshold := fs.Float64("threshold", 0.5, "live when P(live) >= this")
	models := modelsFlag(fs)
	fast := fs.Bool("fast", false, "FAST mode: V2 network only, detector at 320 px")
	workers := fs.Int("workers", runtime.NumCPU(), "images in parallel")
	if _, err := parseInterleaved(fs, args); err != nil {
		return 2
	}
	if *root == "" || *labels == "" || *workers < 1 {
		fs.Usage()
		return 2
	}
	fail := func(err error) int { fmt.Fprintf(os.Stderr, "facegate eval liveness: %v\n", err); return 1 }
	rows, err := readLabels(*labels)
	if err != nil {
		return fail(err)
	}
	p, err := loadPipeline(*models, 1, false)
	if err != nil {
		return fail(err)
	}
	defer p.Close()
	mode := face.Accurate
	if *fast {
		mode = face.Fast
	}
	type outcome struct {
		path, label, group string
		noFace             bool
		l                  face.Liveness
		err                error
	}
	outs := make([]outcome, len(rows))
	var wg sync.WaitGroup
	sem := make(chan struct{}, *workers)
	for i, r := range rows {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, r [2]string) {
			defer wg.Done()
			defer func() { <-sem }()
			o := outcome{path: r[0], label: r[1], group: strings.SplitN(r[0], "/", 2)[0]}
			defer func() { outs[i] = o }()
			data, err := os.ReadFile(filepath.Join(*root, r[0]))
			if err != nil {
				o.err = err
				return
			}
			img, err := p.Decode(data)
			if err != nil {
				o.err = err
				return
			}
			faces, err := p.Detect(img, mode)
			if err != nil {
				o.err = err
				return
			}
			if len(faces) == 0 {
				o.noFace = true
				return
			}
			o.l, o.err = p.Liveness(img, faces[0], mode, *threshold)
		}(i, r)
	}
	wg.Wait()
	type counts struct {
		Images, NoFace, Errors, Insufficient int
		Live, Spoof                          int // with sufficient context
		LiveRejected, SpoofAccepted          int // errors at the threshold, sufficient context
		LiveInsufficient, SpoofInsufficient  int
		// The networks' answer at the threshold whatever the context.
		LiveAny, SpoofAny, LiveAnyRejected, SpoofAnyAccepted int
	}
	groups := map[string]*counts{}
	all := &counts{}
	for _, o := range outs {
		for _, c := range []*counts{all, groups[o.group]} {
			if c == nil {
				c = &counts{}
				groups[o.group] = c
			}
			c.Images++
			if o.err == nil && !o.noFace {
				live := o.l.Probability >= *threshold
				if o.label == "live" {
					c.LiveAny++
					if !live {
						c.LiveAnyRejected++
					}
				} else {
					c.SpoofAny++
					if live {
						c.SpoofAnyAccepted++
					}
				}
			}
			switch {
			case o.err != nil:
				c.Errors++
			case o.noFace:
				c.NoFace++
			case o.l.Outcome == face.InsufficientContext:
				c.Insufficient++
				if o.label == "live" {
					c.LiveInsufficient++
				} else {
					c.SpoofInsufficient++
				}
			case o.label == "live":
				c.Live++
				if o.l.Outcome != face.Live {
					c.LiveRejected++
				}
			default:
				c.Spoof++
				if o.l.Outcome == face.Live {
					c.SpoofAccepted++
				}
			}
		}
	}
	summary := func(c *counts) map[string]any {
		m := map[string]any{"images": c.Images, "no_face": c.NoFace, "errors": c.Errors,
			"insufficient_context": c.Insufficient, "live_scored": c.Live, "spoof_scored": c.Spoof}
		div := func(a, b int) any {
			if b == 0 {
				return nil
			}
			return round(float64(a)/float64(b), 4)
		}
		apcer, bpcer := div(c.SpoofAccepted, c.Spoof), div(c.LiveRejected, c.Live)
		m["apcer"], m["bpcer"] = apcer, bpcer
		if a, ok := apcer.(float64); ok {
			if b, ok := bpcer.(float64); ok {
				m["acer"] = round((a+b)/2, 4)
			}
		}
		// Treating "insufficient context" as a rejection (not live).
		m["bpcer_insufficient_as_reject"] = div(c.LiveRejected+c.LiveInsufficient, c.Live+c.LiveInsufficient)
		m["apcer_insufficient_as_reject"] = div(c.SpoofAccepted, c.Spoof+c.SpoofInsufficient)
		// The networks alone, ignoring the context rule.
		m["apcer_ignoring_context"] = div(c.SpoofAnyAccepted, c.SpoofAny)
		m["bpcer_ignoring_context"] = div(c.LiveAnyRejected, c.LiveAny)
		return m
	}
	res := map[string]any{"labels": *labels, "threshold": *threshold, "mode": modeString(mode),
		"models": p.Models(), "overall": summary(all)}
	gs := map[string]any{}
	for g, c := range groups {
		gs[g] = summary(c)
	}
	res["by_source"] = gs
	var per []map[string]any
	for _, o := range outs {
		e := map[string]any{"path": o.path, "label": o.label}
		switch {
		case o.err != nil:
			e["error"] = o.err.Error()
		case o.noFace:
			e["outcome"] = "no_face"
		default:
			e["outcome"], e["p_live"], e["context"] = o.l.Outcome, round(o.l.Probability, 4), o.l.Context
		}
		per = append(per, e)
	}
	res["images"] = per
	return writeJSON(res)
}

// readLabels reads path,label rows (header row required, columns found by name).
func readLabels(path string) ([][2]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pi, li := -1, -1
	for i, h := range head {
		switch strings.TrimSpace(h) {
		case "path":
			pi = i
		case "label":
			li = i
		}
	}
	if pi < 0 || li < 0 {
		return nil, fmt.Errorf("%s: header needs path and label columns", path)
	}
	var rows [][2]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(rec) <= max(pi, li) {
			return nil, fmt.Errorf("%s: short row %v", path, rec)
		}
		l := strings.TrimSpace(rec[li])
		if l != "live" && l != "spoof" {
			return nil, fmt.Errorf("%s: label %q is neither live nor spoof", path, l)
		}
		rows = append(rows, [2]string{rec[pi], l})
	}
	return rows, nil
}
