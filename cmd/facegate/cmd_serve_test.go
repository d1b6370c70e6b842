package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/internal/syncbuf"
	"github.com/facegate/facegate/internal/testcert"
	"github.com/facegate/facegate/nets/face"
)

// stubVerifier blocks each Verify until release is closed (when set), then
// returns a fixed live match.
type stubVerifier struct {
	entered chan struct{}
	release chan struct{}
}

func (s *stubVerifier) Verify(ctx context.Context, probe []byte, gallery [][]byte, opt face.Options) (*face.Result, error) {
	if s.entered != nil {
		s.entered <- struct{}{}
		<-s.release
	}
	return &face.Result{Score: 0.9, Matched: true, Passed: true, Matches: []face.Match{{Score: 0.9}},
		Liveness: face.Liveness{Outcome: face.Live, Probability: 0.9, Passed: true}}, nil
}

// startServe runs serve with a stub pipeline and returns its base URL, its
// stderr, a cancel (SIGTERM stand-in) and the exit code channel.
func startServe(t *testing.T, v face.Verifier, args ...string) (base string, stderr *syncbuf.Buffer, stop func(), code chan int) {
	t.Helper()
	saved := newPipeline
	newPipeline = func(face.Config) (face.Verifier, error) { return v, nil }
	t.Cleanup(func() { newPipeline = saved })
	stderr = &syncbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	code = make(chan int, 1)
	go func() {
		code <- serve(ctx, append([]string{"--addr", "127.0.0.1:0", "--models", t.TempDir()}, args...),
			serveOptions{stderr: stderr, listened: func(a net.Addr) { addrs <- a }})
	}()
	select {
	case a := <-addrs:
		base = "http://" + a.String()
	case c := <-code:
		t.Fatalf("serve exited with %d: %s", c, stderr)
	}
	// Wait for readiness (the stub loads at once; warm-up is one call).
	for {
		r, err := http.Get(base + "/readyz")
		if err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return base, stderr, cancel, code
}

func tinyJPEG64(t *testing.T) string {
	t.Helper()
	// The stub does not decode; any JPEG magic passes the API's own checks.
	return base64.StdEncoding.EncodeToString([]byte("\xff\xd8\xff\xe0 not really a jpeg"))
}

// compareLive posts a valid request and returns the response, its body
// drained and closed.
func compareLive(t *testing.T, base, token string) *http.Response {
	t.Helper()
	img := tinyJPEG64(t)
	body, _ := json.Marshal(map[string]any{"probe": img, "gallery": []string{img}, "search_mode": "FAST", "liveness_min_score": 0.6})
	req, _ := http.NewRequest("POST", base+"/v2/face-recognition/compare-live", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return r
}

// TestServeGeneratedCredential: with nothing configured, serve prints a
// generated credential that then works.
func TestServeGeneratedCredential(t *testing.T) {
	t.Setenv("FACEGATE_TOKENS", "")
	t.Setenv("FACEGATE_API_KEYS", "")
	base, stderr, stop, code := startServe(t, &stubVerifier{})
	out := stderr.String()
	i := strings.Index(out, "fg_")
	if i < 0 || !strings.Contains(out, "listening on") || !strings.Contains(out, "FACEGATE_TOKENS") {
		t.Fatalf("startup message lacks address, token or how to set one:\n%s", out)
	}
	token := strings.Fields(out[i:])[0]
	if r := compareLive(t, base, token); r.StatusCode != 200 {
		t.Errorf("generated token: %d", r.StatusCode)
	}
	if r := compareLive(t, base, "wrong"); r.StatusCode != 401 {
		t.Errorf("wrong token: %d", r.StatusCode)
	}
	stop()
	if c := <-code; c != 0 {
		t.Errorf("exit %d", c)
	}
	if strings.Count(stderr.String(), token) != 1 {
		t.Error("generated token printed more than once (or logged)")
	}
}

// TestServeGracefulShutdown: a request in flight when the signal arrives
// completes with 200 before serve returns.
func TestServeGracefulShutdown(t *testing.T) {
	t.Setenv("FACEGATE_TOKENS", "tok-a,tok-b")
	v := &stubVerifier{}
	base, _, stop, code := startServe(t, v)
	v.entered, v.release = make(chan struct{}, 1), make(chan struct{})
	got := make(chan int, 1)
	go func() {
		got <- compareLive(t, base, "tok-b").StatusCode
	}()
	<-v.entered
	stop()
	select {
	case c := <-code:
		t.Fatalf("serve returned %d with a request in flight", c)
	case <-time.After(50 * time.Millisecond):
	}
	close(v.release)
	if s := <-got; s != 200 {
		t.Errorf("in-flight request: %d", s)
	}
	if c := <-code; c != 0 {
		t.Errorf("exit %d", c)
	}
}

func TestServeCredentialsFileAndDebug(t *testing.T) {
	t.Setenv("FACEGATE_TOKENS", "")
	t.Setenv("FACEGATE_API_KEYS", "")
	file := filepath.Join(t.TempDir(), "creds")
	os.WriteFile(file, []byte("verifik file-token\n"), 0o600)
	base, stderr, stop, code := startServe(t, &stubVerifier{}, "--credentials", file, "--debug-addr", "127.0.0.1:0")
	if r := compareLive(t, base, "file-token"); r.StatusCode != 200 {
		t.Errorf("file token: %d", r.StatusCode)
	}
	if strings.Contains(stderr.String(), "fg_") {
		t.Error("generated a credential although a file was given")
	}
	// pprof is not on the API listener.
	if r, err := http.Get(base + "/debug/pprof/"); err != nil || r.StatusCode != 404 {
		t.Errorf("pprof reachable on the API listener")
	}
	stop()
	<-code
}

func TestServeBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--tls-cert", "x.pem"},
		{"--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem", "--models", t.TempDir()},
		{"--models", "/nonexistent/models"},
		{"--max-body", "lots"},
		{"--credentials", "/nonexistent/creds"},
		{"extra"},
	} {
		var stderr bytes.Buffer
		if c := serve(context.Background(), append([]string{"--addr", "127.0.0.1:0"}, args...), serveOptions{stderr: &stderr}); c == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
}

func TestServePipelineFailure(t *testing.T) {
	saved := newPipeline
	newPipeline = func(face.Config) (face.Verifier, error) { return nil, errors.New("no models") }
	defer func() { newPipeline = saved }()
	var stderr syncbuf.Buffer
	if c := serve(context.Background(), []string{"--addr", "127.0.0.1:0", "--models", t.TempDir()}, serveOptions{stderr: &stderr}); c != 1 {
		t.Errorf("exit %d, want 1", c)
	}
	if !strings.Contains(stderr.String(), "no models") {
		t.Errorf("failure not reported:\n%s", stderr.String())
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{"1024": 1024, "3M": 3 << 20, "24MiB": 24 << 20, "2k": 2048, "1G": 1 << 30, "5MB": 5 << 20} {
		var b byteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("%q: %d, %v; want %d", in, b, err, want)
		}
		var round byteSize
		if err := round.Set(b.String()); err != nil || round != b {
			t.Errorf("%q: String %q does not round-trip", in, b.String())
		}
	}
	for _, in := range []string{"", "0", "-1", "x", "1T", "3.5M"} {
		var b byteSize
		if b.Set(in) == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// TestServeTLS: --tls-cert/--tls-key serve HTTPS and refuse TLS 1.1.
func TestServeTLS(t *testing.T) {
	t.Setenv("FACEGATE_TOKENS", "tok")
	dir := t.TempDir()
	certFile, keyFile := testcert.Write(t, dir)

	saved := newPipeline
	newPipeline = func(face.Config) (face.Verifier, error) { return &stubVerifier{}, nil }
	defer func() { newPipeline = saved }()
	ctx, cancel := context.WithCancel(context.Background())
	addrs, code := make(chan net.Addr, 1), make(chan int, 1)
	var stderr syncbuf.Buffer
	go func() {
		code <- serve(ctx, []string{"--addr", "127.0.0.1:0", "--models", dir, "--tls-cert", certFile, "--tls-key", keyFile},
			serveOptions{stderr: &stderr, listened: func(a net.Addr) { addrs <- a }})
	}()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case c := <-code:
		t.Fatalf("serve exited %d: %s", c, stderr.String())
	}
	client := func(maxVersion uint16) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MaxVersion: maxVersion}}}
	}
	r, err := client(tls.VersionTLS12).Get("https://" + addr.String() + "/healthz")
	if err != nil {
		t.Fatalf("TLS 1.2: %v", err)
	}
	r.Body.Close()
	if r.StatusCode != 200 {
		t.Errorf("healthz over TLS: %d", r.StatusCode)
	}
	if _, err := client(tls.VersionTLS11).Get("https://" + addr.String() + "/healthz"); err == nil {
		t.Error("TLS 1.1 accepted")
	}
	if !strings.Contains(stderr.String(), "https://") {
		t.Error("startup message does not say https")
	}
	cancel()
	if c := <-code; c != 0 {
		t.Errorf("exit %d", c)
	}
}
