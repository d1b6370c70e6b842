package api_test

// Faults: requests cancelled in the middle of a real inference, and a
// `facegate serve` binary started on a models directory that is missing,
// not a directory, empty, or holding a damaged weight file. Each must end
// cleanly: the request with a documented error and no goroutine left
// behind, the process with a non-zero exit and a message that says what is
// wrong — never a panic.

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/api"
	"github.com/facegate/facegate/internal/shared"
	"github.com/facegate/facegate/nets/face"
	"github.com/facegate/facegate/weights"
	"github.com/facegate/facegate/weights/onnx"
)

var (
	pipelineOnce sync.Once
	pipeline     *face.Pipeline
	pipelineErr  error
)

// realPipeline loads the face pipeline from ../shared/models once per
// test binary (skipped without the shared data).
func realPipeline(t *testing.T) *face.Pipeline {
	t.Helper()
	dir := shared.Path(t, "models")
	if testing.Short() {
		t.Skip("loads the real models; skipped with -short")
	}
	pipelineOnce.Do(func() {
		pipeline, pipelineErr = face.New(face.Config{ModelsDir: dir, Threads: 1, Limits: serveLimits})
	})
	if pipelineErr != nil {
		t.Fatalf("face.New: %v", pipelineErr)
	}
	return pipeline
}

// TestCancelMidInference: cancelling the context while the real pipeline
// works on a ten-image gallery makes Verify return the context's error
// (the remaining images are not analysed) and leaves no goroutine behind;
// through the HTTP server, a client that hangs up mid-inference frees its
// slot and the next request is served.
func TestCancelMidInference(t *testing.T) {
	p := realPipeline(t)
	photo, err := os.ReadFile(shared.Path(t, "images", "doubango", "genuine.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	gallery := make([][]byte, 10)
	for i := range gallery {
		gallery[i] = photo
	}
	opt := face.Options{Mode: face.Accurate, Liveness: true, LivenessThreshold: 0.6, CompareThreshold: 0.85}
	// A warm full run sets the scale, so the cancellations land mid-run on
	// a machine of any speed (the first run also pays for warming up).
	var full time.Duration
	for i := 0; i < 2; i++ {
		start := time.Now()
		if _, err := p.Verify(context.Background(), photo, gallery, opt); err != nil {
			t.Fatalf("uncancelled verification: %v", err)
		}
		full = time.Since(start)
	}
	t.Logf("uncancelled: %v", full.Round(time.Millisecond))
	runtime.GC()
	base := runtime.NumGoroutine()
	for _, after := range []time.Duration{0, full / 10, full / 3} {
		ctx, cancel := context.WithCancel(context.Background())
		if after == 0 {
			cancel()
		} else {
			time.AfterFunc(after, cancel)
		}
		start := time.Now()
		res, err := p.Verify(ctx, photo, gallery, opt)
		took := time.Since(start)
		cancel()
		if !errors.Is(err, context.Canceled) {
			// Not an error in itself on a very fast machine, but then the
			// test proved nothing: say so.
			t.Errorf("cancel after %v: Verify returned %v (result %v) after %v, want context.Canceled", after, err, res != nil, took)
			continue
		}
		t.Logf("cancel after %v: Verify returned %q after %v", after, err, took.Round(time.Millisecond))
	}
	if n := settleGoroutines(base); n > base {
		t.Errorf("%d goroutines after cancelled verifications, %d before", n, base)
	}

	// Through the server: concurrency 1, no queue, a client hangs up.
	s := startLive(t, api.Config{Concurrency: 1, Queue: -1}, p, nil)
	body := verifikJSON(base64.StdEncoding.EncodeToString(photo), func() []string {
		g := make([]string, 10)
		for i := range g {
			g[i] = base64.StdEncoding.EncodeToString(photo)
		}
		return g
	}()...)
	ctx, cancel := context.WithTimeout(context.Background(), full/4)
	req, _ := http.NewRequestWithContext(ctx, "POST", s.url+pathVerifik, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+hToken)
	tr := &http.Transport{}
	_, err = (&http.Client{Transport: tr}).Do(req)
	cancel()
	tr.CloseIdleConnections()
	if err == nil {
		t.Fatalf("the request finished within %v; nothing was cancelled", full/4)
	}
	// The server notices, Verify stops, the slot is freed: wait for the log line.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(s.logs.String(), `"status":503`) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	logs := s.logs.String()
	if !strings.Contains(logs, `"status":503`) || !strings.Contains(logs, "context canceled") {
		t.Fatalf("abandoned request not logged as cancelled:\n%s", logs)
	}
	small := b64(smallJPEG(64, 64))
	if r := post(s.url, pathVerifik, "application/json", bytes.NewReader(verifikJSON(small, small)), map[string]string{"Authorization": "Bearer " + hToken}); r.status != 412 {
		// a 64x64 pattern has no face: 412 face_not_found proves the pipeline ran
		t.Errorf("after the cancelled request: %d %s, want 412 face_not_found", r.status, r.raw)
	}
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// facegateBinary builds ./cmd/facegate once per test binary.
func facegateBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the facegate binary; skipped with -short")
	}
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "facegate-fault-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "facegate")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/facegate/facegate/cmd/facegate").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// runServe runs `facegate serve` with args on a loopback port until it
// exits (at most 2 minutes) and returns its exit code and stderr.
func runServe(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, facegateBinary(t), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "FACEGATE_TOKENS=fault-token", "FACEGATE_MODELS=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("serve %v did not exit within 2 minutes:\n%s", args, stderr.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stderr.String()
}

// noPanic fails t when out shows a Go panic or fatal error.
func noPanic(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range []string{"panic:", "goroutine ", "fatal error:", "SIGSEGV"} {
		if strings.Contains(out, s) {
			t.Errorf("%s: output shows %q:\n%s", what, s, out)
		}
	}
}

// TestServeModelsDirFaults: serve refuses to run without usable models,
// exiting non-zero with a message naming the problem.
func TestServeModelsDirFaults(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	os.WriteFile(file, []byte("x"), 0o600)
	for _, c := range []struct {
		name string
		dir  string
		want []string
	}{
		{"missing", "/nonexistent/models", []string{"models directory /nonexistent/models not found"}},
		{"a file", file, []string{"models directory " + file + " not found"}},
		{"empty", t.TempDir(), []string{"loading the face pipeline failed", "not found"}},
	} {
		code, out := runServe(t, "--models", c.dir)
		t.Logf("%s: exit %d: %s", c.name, code, lastLines(out, 2))
		if code == 0 {
			t.Errorf("%s: exit 0", c.name)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", c.name, w, out)
			}
		}
		noPanic(t, c.name, out)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// TestServeCorruptWeights: a converted detector (.fgw) truncated or with
// flipped bytes (in the preamble, the header, the tensor data) stops serve
// at start-up with a clear error, never a panic or a running server on
// damaged weights.
func TestServeCorruptWeights(t *testing.T) {
	src := shared.Path(t, "models", face.DefaultDetector+".onnx")
	m, err := onnx.ImportFile(src, onnx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(t.TempDir(), "good.fgw")
	if err := weights.Save(good, m); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(at int) []byte {
		d := bytes.Clone(data)
		d[at] ^= 0x5a
		return d
	}
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"empty file", nil},
		{"truncated to 40 bytes", data[:40]},
		{"truncated to half", data[:len(data)/2]},
		{"last byte missing", data[:len(data)-1]},
		{"byte flipped in the preamble", flip(5)},
		{"byte flipped in the header", flip(200)},
		{"byte flipped in the tensor data", flip(len(data) - 1000)},
		{"not a weight file", []byte("this is not a model\n")},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, face.DefaultDetector+".fgw"), c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		code, out := runServe(t, "--models", dir)
		t.Logf("%s: exit %d: %s", c.name, code, lastLines(out, 1))
		if code == 0 {
			t.Errorf("%s: exit 0", c.name)
		}
		if !strings.Contains(out, "loading the face pipeline failed") || !strings.Contains(out, face.DefaultDetector+".fgw") {
			t.Errorf("%s: no clear start-up error naming the file:\n%s", c.name, out)
		}
		noPanic(t, c.name, out)
	}
}

// TestDecodingVerifierMatchesPipeline keeps the stand-in verifier used by
// the hostile and fuzz tests honest: on the same bytes it maps decoding
// failures to the same sentinels as the real pipeline.
func TestDecodingVerifierMatchesPipeline(t *testing.T) {
	p := realPipeline(t)
	d := &decodingVerifier{lim: serveLimits}
	ok := smallJPEG(64, 64)
	opt := face.Options{Mode: face.Fast, CompareThreshold: 0.85}
	for name, img := range map[string][]byte{
		"header 100000x100000": bombPNG(100000, 100000, false),
		"64 MP bomb":           bombPNG(8000, 8000, true),
		"not an image":         []byte("hello"),
		"gif":                  []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
		"truncated jpeg":       ok[:len(ok)/2],
	} {
		_, perr := p.Verify(context.Background(), img, [][]byte{ok}, opt)
		_, derr := d.Verify(context.Background(), img, [][]byte{ok}, opt)
		for _, s := range []error{face.ErrImageTooLarge, face.ErrFormat, face.ErrNotImage} {
			if errors.Is(perr, s) != errors.Is(derr, s) {
				t.Errorf("%s: pipeline %v, stand-in %v", name, perr, derr)
			}
		}
	}
}
