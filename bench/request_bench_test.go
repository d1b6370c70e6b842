package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/facegate/facegate/api"
	"github.com/facegate/facegate/internal/shared"
	"github.com/facegate/facegate/nets/face"
)

const benchToken = "bench-token"

// Probe and gallery for the request benchmarks: two 640x480 photos of the
// same person (both carry EXIF orientation 6, so decoding includes the
// rotation). The probe is a live capture and the gallery image (a tablet
// replay in the liveness set, used here only as a reference photo) matches
// it, so a request runs every stage and passes.
const (
	probeImage   = "silent-face/image_T1.jpg"
	galleryImage = "silent-face/image_F2.jpg"
)

var (
	pipeOnce sync.Once
	pipe     *face.Pipeline
	pipeErr  error
)

// pipeline loads the real face pipeline from the shared models once per
// test binary (loading converts the ONNX models, which takes seconds).
func pipeline(b *testing.B) *face.Pipeline {
	b.Helper()
	dir := shared.Path(b, "models")
	pipeOnce.Do(func() {
		pipe, pipeErr = face.New(face.Config{ModelsDir: dir})
	})
	if pipeErr != nil {
		b.Fatal(pipeErr)
	}
	return pipe
}

func readShared(b *testing.B, name string) []byte {
	b.Helper()
	data, err := os.ReadFile(shared.Path(b, filepath.FromSlash("images/"+name)))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkCompareLive times one whole Verifik compare-live request —
// authentication, JSON and base64 parsing, decoding both photos, detection,
// alignment, embedding, liveness of the probe, scoring and the JSON
// response — through the real handler (no network), in each search mode.
// It reports ms/request; run with -benchmem for the allocations.
//
//	go test -run X -bench CompareLive -benchmem -benchtime 20x ./bench/
func BenchmarkCompareLive(b *testing.B) {
	p := pipeline(b)
	creds, err := api.NewCredentials("", api.EnvCredentials(benchToken, ""))
	if err != nil {
		b.Fatal(err)
	}
	srv := api.NewServer(api.Config{
		Credentials: creds,
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}, p)
	probe := base64.StdEncoding.EncodeToString(readShared(b, probeImage))
	gallery := base64.StdEncoding.EncodeToString(readShared(b, galleryImage))
	for _, mode := range []string{"ACCURATE", "FAST"} {
		b.Run(mode, func(b *testing.B) {
			body, err := json.Marshal(map[string]any{
				"probe":              probe,
				"gallery":            []string{gallery},
				"search_mode":        mode,
				"liveness_min_score": 0.6,
			})
			if err != nil {
				b.Fatal(err)
			}
			do := func() {
				req := httptest.NewRequest(http.MethodPost, "/v2/face-recognition/compare-live", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+benchToken)
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body.String())
				}
			}
			do() // warm-up: session buffers for these image sizes
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				do()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/request")
		})
	}
}

// BenchmarkStage times each pipeline stage on the probe photo, so a change
// in BenchmarkCompareLive can be traced to a stage: decode (JPEG + EXIF
// rotation), detect (YuNet + quality checks), embed (alignment +
// embedder), liveness (MiniFASNet crops and networks) and verify (the whole
// pipeline call without HTTP), in each mode.
func BenchmarkStage(b *testing.B) {
	p := pipeline(b)
	probe := readShared(b, probeImage)
	gallery := readShared(b, galleryImage)
	img, err := p.Decode(probe)
	if err != nil {
		b.Fatal(err)
	}
	ms := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/op")
	}
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := p.Decode(probe); err != nil {
				b.Fatal(err)
			}
		}
		ms(b)
	})
	for _, m := range []struct {
		name string
		mode face.Mode
	}{{"ACCURATE", face.Accurate}, {"FAST", face.Fast}} {
		faces, err := p.Detect(img, m.mode)
		if err != nil {
			b.Fatal(err)
		}
		if len(faces) == 0 {
			b.Fatalf("%s: no face in %s", m.name, probeImage)
		}
		run := func(stage string, f func() error) {
			b.Run(stage+"/"+m.name, func(b *testing.B) {
				if err := f(); err != nil { // warm-up
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := f(); err != nil {
						b.Fatal(err)
					}
				}
				ms(b)
			})
		}
		run("detect", func() error { _, err := p.Detect(img, m.mode); return err })
		run("embed", func() error { _, err := p.Embed(img, faces[0], m.mode); return err })
		run("liveness", func() error { _, err := p.Liveness(img, faces[0], m.mode, 0.6); return err })
		opt := face.Options{Mode: m.mode, Liveness: true, LivenessThreshold: 0.6, CompareThreshold: 0.85}
		run("verify", func() error {
			_, err := p.Verify(context.Background(), probe, [][]byte{gallery}, opt)
			return err
		})
	}
}
