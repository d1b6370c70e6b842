package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/internal/syncbuf"
	"github.com/facegate/facegate/nets/face"
)

// fakeVerifier returns a fixed result or error, records what it was asked,
// and optionally blocks until released (to saturate the server).
type fakeVerifier struct {
	mu      sync.Mutex
	result  *face.Result
	err     error
	panic   bool
	block   chan struct{} // when non-nil, Verify waits for it to close (or ctx)
	entered chan struct{} // when non-nil, receives one value per Verify call
	calls   []fakeCall
}

type fakeCall struct {
	probe   []byte
	gallery [][]byte
	opt     face.Options
}

func (f *fakeVerifier) Verify(ctx context.Context, probe []byte, gallery [][]byte, opt face.Options) (*face.Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, fakeCall{probe, gallery, opt})
	res, err, block, entered, pnc := f.result, f.err, f.block, f.entered, f.panic
	f.mu.Unlock()
	if entered != nil {
		entered <- struct{}{}
	}
	if pnc {
		panic("fake verifier panic")
	}
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	if res == nil {
		res = goodResult(len(gallery))
	}
	return res, nil
}

func (f *fakeVerifier) lastCall(t *testing.T) fakeCall {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		t.Fatal("verifier was not called")
	}
	return f.calls[len(f.calls)-1]
}

func (f *fakeVerifier) ncalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func goodFace() face.Face {
	return face.Face{
		Box:       face.Box{X: 100, Y: 120, W: 220, H: 260},
		Landmarks: [5]face.Point{{X: 170, Y: 220}, {X: 260, Y: 220}, {X: 215, Y: 270}, {X: 180, Y: 320}, {X: 250, Y: 320}},
		Score:     0.93,
		Quality: face.Quality{Probability: 0.97, Checks: []face.Check{
			{Name: "face_size", Value: 220, Threshold: 180, Passed: true},
			{Name: "yaw", Value: 3, Threshold: 20, Passed: true},
		}},
	}
}

// goodResult is a genuine, live verification against n gallery images.
func goodResult(n int) *face.Result {
	r := &face.Result{
		Score: 0.91, Cosine: 0.62, Matched: true, Passed: true, Best: 0,
		Probe: goodFace(), Faces: 1,
		Liveness: face.Liveness{Outcome: face.Live, Probability: 0.97, Passed: true, Models: []string{"MiniFASNetV2", "MiniFASNetV1SE"}},
		Models:   []string{"yunet-2023mar", "mobilefacenet128", "MiniFASNetV2", "MiniFASNetV1SE"},
		Timings: []face.StageTiming{
			{Stage: "decode", Duration: 3 * time.Millisecond},
			{Stage: "detect", Duration: 20 * time.Millisecond},
			{Stage: "embed", Duration: 15 * time.Millisecond},
			{Stage: "liveness", Duration: 8 * time.Millisecond},
		},
	}
	for i := 0; i < n; i++ {
		f := goodFace()
		score := 0.91 - 0.1*float64(i)
		r.Matches = append(r.Matches, face.Match{Index: i, Cosine: 0.6, Score: score, Face: &f})
	}
	return r
}

// Test credentials.
const (
	tokGood     = "tok-good-0123456789"
	tokExpired  = "tok-expired"
	tokQuota    = "tok-quota"
	keyGood     = "key-good-0123456789"
	keyExpired  = "key-expired"
	keyQuota    = "key-quota"
	testNowUnix = 1795317180 // 2026-11-22 03:13:00 UTC
)

func testCredentials(t testing.TB) *Credentials {
	t.Helper()
	past := time.Unix(testNowUnix, 0).Add(-time.Hour)
	c, err := NewCredentials("", []Credential{
		{Key: tokGood, Kind: KindVerifik, Name: "good"},
		{Key: tokExpired, Kind: KindVerifik, Expires: past},
		{Key: tokQuota, Kind: KindVerifik, Quota: 1},
		{Key: keyGood, Kind: KindOkayFace, Name: "good"},
		{Key: keyExpired, Kind: KindOkayFace, Expires: past},
		{Key: keyQuota, Kind: KindOkayFace, Quota: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return time.Unix(testNowUnix, 0) }
	return c
}

type testEnv struct {
	srv  *Server
	fake *fakeVerifier
	logs *syncbuf.Buffer
}

// newEnv builds a server on a fake verifier; edit adjusts the config.
func newEnv(t testing.TB, edit func(*Config)) *testEnv {
	t.Helper()
	logs := &syncbuf.Buffer{}
	cfg := Config{
		Credentials: testCredentials(t),
		Logger:      slog.New(slog.NewJSONHandler(logs, nil)),
		Now:         func() time.Time { return time.Unix(testNowUnix, 0) },
	}
	if edit != nil {
		edit(&cfg)
	}
	fake := &fakeVerifier{}
	return &testEnv{srv: NewServer(cfg, fake), fake: fake, logs: logs}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

func (e *testEnv) do(req *http.Request) response {
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return response{rec.Code, rec.Header(), rec.Body.Bytes()}
}

func (e *testEnv) verifik(token string, body any) response {
	req := httptest.NewRequest("POST", "/v2/face-recognition/compare-live", bodyReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(req)
}

func (e *testEnv) okay(body any) response {
	req := httptest.NewRequest("POST", "/api/faceid/v2-2/verify", bodyReader(body))
	req.Header.Set("Content-Type", "application/json")
	return e.do(req)
}

func bodyReader(body any) io.Reader {
	switch b := body.(type) {
	case string:
		return strings.NewReader(b)
	case []byte:
		return bytes.NewReader(b)
	}
	data, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	return bytes.NewReader(data)
}

// Small real encoded images (the fake verifier does not decode them).
var (
	jpegBytes = encodeImage("jpeg")
	pngBytes  = encodeImage("png")
	gifBytes  = encodeImage("gif")
	jpeg64    = base64.StdEncoding.EncodeToString(jpegBytes)
	png64     = base64.StdEncoding.EncodeToString(pngBytes)
	gif64     = base64.StdEncoding.EncodeToString(gifBytes)
)

func encodeImage(format string) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	switch format {
	case "jpeg":
		jpeg.Encode(&b, img, nil)
	case "png":
		png.Encode(&b, img)
	case "gif":
		pal := image.NewPaletted(img.Bounds(), []color.Color{color.Black, color.White})
		gif.Encode(&b, pal, nil)
	}
	return b.Bytes()
}

// verifikBody is a valid compare-live request; edit changes it.
func verifikBody(edit func(m map[string]any)) map[string]any {
	m := map[string]any{
		"probe":              jpeg64,
		"gallery":            []any{png64},
		"os":                 "DESKTOP",
		"search_mode":        "ACCURATE",
		"liveness_min_score": 0.6,
		"compare_min_score":  0.85,
	}
	if edit != nil {
		edit(m)
	}
	return m
}

func okayBody(edit func(m map[string]any)) map[string]any {
	m := map[string]any{"apiKey": keyGood, "imageIdCard": jpeg64, "imageBest": png64}
	if edit != nil {
		edit(m)
	}
	return m
}

// wantBody compares a JSON body with the expected JSON text exactly (as
// values, so key order and spacing do not matter).
func wantBody(t *testing.T, r response, status int, want string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d (body %s)", r.status, status, r.body)
	}
	var got, exp any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("want %q: %v", want, err)
	}
	g, _ := json.Marshal(got)
	x, _ := json.Marshal(exp)
	if !bytes.Equal(g, x) {
		t.Errorf("body %s\nwant %s", g, x)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
}
