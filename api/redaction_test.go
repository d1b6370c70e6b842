package api_test

// Security properties of the service as a client sees it: nothing a
// client sends (credentials, images) shows in the logs or in an error
// body; every log line carries the request id the client sees; credentials
// are compared in constant time; TLS is 1.2 or newer.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/facegate/facegate/api"
	"github.com/facegate/facegate/internal/shared"
	"github.com/facegate/facegate/internal/syncbuf"
	"github.com/facegate/facegate/internal/testcert"
	"github.com/facegate/facegate/nets/face"
)

// failingVerifier fails every verification with an internal error whose
// text is fixed (the pipeline's errors carry no client data either).
type failingVerifier struct{}

func (failingVerifier) Verify(ctx context.Context, probe []byte, gallery [][]byte, opt face.Options) (*face.Result, error) {
	return nil, fmt.Errorf("engine: out of cheese")
}

// TestLogsAndBodiesRedacted sends many requests, successful and failing in
// every documented way, carrying known credentials (valid and unknown, in
// the header, JSON, form and multipart) and base64 images, then checks
// that none of those strings appears in any log line or response body,
// and that every request produced exactly one log line with its id.
func TestLogsAndBodiesRedacted(t *testing.T) {
	img := smallJPEG(40, 40)
	img64 := b64(img)
	unknownTok := "tok-UNKNOWN-c0ffee-7d1e"
	unknownKey := "key-UNKNOWN-beef-99a1"
	secrets := map[string]string{
		"token": hToken, "api key": hAPIKey, "unknown token": unknownTok, "unknown key": unknownKey,
		"image base64 (head)": img64[20:60], "image base64 (tail)": img64[len(img64)-60 : len(img64)-20],
	}
	type sent struct {
		path, ct string
		body     []byte
		header   map[string]string
	}
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	var reqs []sent
	vj := func(tok string, body []byte) {
		reqs = append(reqs, sent{pathVerifik, "application/json", body, bearer(tok)})
	}
	oj := func(body []byte) { reqs = append(reqs, sent{pathOkayFace, "application/json", body, nil}) }
	vj(hToken, verifikJSON(img64, img64))                                      // 200
	vj(unknownTok, verifikJSON(img64, img64))                                  // 401
	vj(hToken+"x", verifikJSON(img64, img64))                                  // 401, prefix of a real token
	vj(hToken, []byte(`{"probe":"`+img64+`","gallery":[],"search_mode":"X"}`)) // 409
	vj(hToken, []byte(`{"probe":"`+img64+`","gallery":["`+img64+`"],"search_mode":"FAST","liveness_min_score":"`+hAPIKey+`"}`))
	vj(hToken, verifikJSON("!!"+img64, img64))           // 412
	vj(hToken, verifikJSON(img64[:len(img64)/2], img64)) // 412, truncated image
	vj(hToken, []byte(`{"probe":"`+img64))               // 400
	reqs = append(reqs, sent{pathVerifik, "application/json", verifikJSON(img64, img64), map[string]string{"Authorization": hToken}})
	oj(okayJSON(img64, img64))
	oj([]byte(`{"apiKey":"` + unknownKey + `","imageBest":"` + img64 + `","imageIdCard":"` + img64 + `"}`))
	oj([]byte(`{"apiKey":"` + hAPIKey + `","imageBest":"` + img64 + `"}`))
	oj([]byte(`{"apiKey":"` + hAPIKey + `","imageBest":"` + img64 + `","imageIdCard":"R0lGODlh` + img64 + `"}`))
	oj([]byte(`{"apiKey":"` + hAPIKey + `","imageBest":"` + img64))
	reqs = append(reqs, sent{pathOkayFace, "application/x-www-form-urlencoded",
		[]byte("apiKey=" + unknownKey + "&imageBest=" + strings.ReplaceAll(img64, "+", "%2B")), nil})
	reqs = append(reqs, sent{pathOkayFace, "multipart/form-data; boundary=XyZ",
		multipartRaw("XyZ", []part{{name: "apiKey", data: []byte(hAPIKey)}, {name: "imageBest", filename: "a.jpg", data: img}, {name: "imageIdCard", data: []byte(img64)}}), nil})
	reqs = append(reqs, sent{pathOkayFace, "multipart/form-data; boundary=XyZ",
		multipartRaw("XyZ", []part{{name: "apiKey", data: []byte(unknownKey)}, {name: "imageBest", filename: "a.jpg", data: img}}), nil})
	reqs = append(reqs, sent{"/nope?token=" + unknownTok, "", nil, bearer(hToken)})

	var bodies bytes.Buffer
	check := func(name string, v face.Verifier) {
		s := startLive(t, api.Config{}, v, nil)
		for i, r := range reqs {
			id := fmt.Sprintf("redact-%s-%02d", name, i)
			h := map[string]string{"X-Request-Id": id}
			for k, v := range r.header {
				h[k] = v
			}
			rep := post(s.url, r.path, r.ct, bytes.NewReader(r.body), h)
			if rep.err != nil {
				t.Fatalf("%s request %d: %v", name, i, rep.err)
			}
			if rep.header.Get("X-Request-Id") != id {
				t.Errorf("%s request %d: X-Request-Id %q, want %q echoed", name, i, rep.header.Get("X-Request-Id"), id)
			}
			bodies.Write(rep.raw)
			for k, v := range rep.header {
				fmt.Fprintf(&bodies, "%s: %s\n", k, v)
			}
		}
		logs := s.logs.String()
		for what, secret := range secrets {
			if strings.Contains(logs, secret) {
				t.Errorf("%s: the log contains the %s", name, what)
			}
		}
		lines := strings.Split(strings.TrimSpace(logs), "\n")
		if len(lines) != len(reqs) {
			t.Errorf("%s: %d log lines for %d requests", name, len(lines), len(reqs))
		}
		for i, l := range lines {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("%s: log line %q: %v", name, l, err)
			}
			if i < len(reqs) && m["request_id"] != fmt.Sprintf("redact-%s-%02d", name, i) {
				t.Errorf("%s: log line %d has request_id %v", name, i, m["request_id"])
			}
		}
		if name == "ok" {
			t.Logf("log line fields: %s", strings.Join(logKeys(lines), ", "))
		}
	}
	check("ok", &decodingVerifier{lim: serveLimits})
	check("failing", failingVerifier{})
	for what, secret := range secrets {
		if strings.Contains(bodies.String(), secret) {
			t.Errorf("a response echoes the %s", what)
		}
	}
}

// logKeys lists the keys seen in JSON log lines.
func logKeys(lines []string) []string {
	seen := map[string]bool{}
	for _, l := range lines {
		var m map[string]any
		json.Unmarshal([]byte(l), &m)
		for k := range m {
			seen[k] = true
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestRequestIDCorrelation: a sane client X-Request-Id is echoed and
// logged; an unsafe one (log injection, overlong) is replaced by a fresh
// UUID, which is echoed and logged instead.
func TestRequestIDCorrelation(t *testing.T) {
	s := startLive(t, api.Config{}, &decodingVerifier{lim: serveLimits}, nil)
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, c := range []struct {
		sent string
		keep bool
	}{
		{"abc-123_x.y:z", true},
		{"", false},
		{"evil\",\"level\":\"ERROR", false},
		{"line1 line2", false},
		{strings.Repeat("a", 500), false},
	} {
		h := map[string]string{}
		if c.sent != "" {
			h["X-Request-Id"] = c.sent
		}
		r := post(s.url, "/healthz", "", nil, h)
		got := r.header.Get("X-Request-Id")
		if c.keep && got != c.sent {
			t.Errorf("%q echoed as %q", c.sent, got)
		}
		if !c.keep && !uuid.MatchString(got) {
			t.Errorf("%q replaced by %q, want a fresh UUID", c.sent, got)
		}
		if !strings.Contains(s.logs.String(), `"request_id":"`+got+`"`) {
			t.Errorf("request id %q not in the log", got)
		}
	}
	if strings.Contains(s.logs.String(), "evil") {
		t.Error("an unsafe request id reached the log")
	}
}

// TestCredentialCheckConstantTime inspects Credentials.Check: the
// presented key is hashed, compared with crypto/subtle against every
// entry, and the loop over the entries has no early exit, so the time taken
// depends neither on how much of a key matches nor on which entry matched.
// (A timing measurement would be flaky on a shared machine; the
// measurement below is only logged.)
func TestCredentialCheckConstantTime(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "credentials.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var check *ast.FuncDecl
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "Check" && fd.Recv != nil {
			check = fd
		}
	}
	if check == nil {
		t.Fatal("Credentials.Check not found")
	}
	var subtleCalls, hashes int
	ast.Inspect(check.Body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok {
				switch {
				case id.Name == "subtle" && x.Sel.Name == "ConstantTimeCompare":
					subtleCalls++
				case id.Name == "sha256" && x.Sel.Name == "Sum256":
					hashes++
				case id.Name == "bytes" && x.Sel.Name == "Equal", id.Name == "strings" && (x.Sel.Name == "EqualFold" || x.Sel.Name == "Compare"):
					t.Errorf("%s: %s.%s in Check: not constant-time", fset.Position(x.Pos()), id.Name, x.Sel.Name)
				}
			}
		case *ast.RangeStmt, *ast.ForStmt:
			ast.Inspect(x, func(n ast.Node) bool {
				switch y := n.(type) {
				case *ast.ReturnStmt:
					t.Errorf("%s: return inside the loop over the entries", fset.Position(y.Pos()))
				case *ast.BranchStmt:
					if y.Tok == token.BREAK || y.Tok == token.GOTO {
						t.Errorf("%s: %s inside the loop over the entries", fset.Position(y.Pos()), y.Tok)
					}
				case *ast.BinaryExpr:
					if y.Op == token.EQL || y.Op == token.NEQ {
						if isKeyish(y.X) || isKeyish(y.Y) {
							t.Errorf("%s: == on a key or digest inside the loop", fset.Position(y.Pos()))
						}
					}
				}
				return true
			})
		}
		return true
	})
	if subtleCalls == 0 || hashes == 0 {
		t.Errorf("Check: %d subtle.ConstantTimeCompare and %d sha256.Sum256 calls; want both", subtleCalls, hashes)
	}

	// Logged only: time to check a key matching nothing, a long shared
	// prefix of a real key, and the first and last of many keys.
	var list []api.Credential
	for i := 0; i < 200; i++ {
		list = append(list, api.Credential{Key: fmt.Sprintf("key-%03d-%s", i, strings.Repeat("k", 40)), Kind: api.KindVerifik})
	}
	c, err := api.NewCredentials("", list)
	if err != nil {
		t.Fatal(err)
	}
	timeIt := func(key string) time.Duration {
		const n = 2000
		start := time.Now()
		for i := 0; i < n; i++ {
			c.Check(api.KindVerifik, key)
		}
		return time.Since(start) / n
	}
	t.Logf("Check over 200 keys: unknown %v, long shared prefix %v, first %v, last %v",
		timeIt("nope"), timeIt(list[199].Key[:len(list[199].Key)-1]+"x"), timeIt(list[0].Key), timeIt(list[199].Key))
}

func isKeyish(e ast.Expr) bool {
	s := strings.ToLower(fmt.Sprint(e))
	return strings.Contains(s, "key") || strings.Contains(s, "digest") || strings.Contains(s, "[:]")
}

// TestServeTLSBinary: the facegate binary with --tls-cert/--tls-key (real
// models) completes TLS 1.2 and 1.3 handshakes with a client that trusts
// the certificate, serves the API over them, refuses TLS 1.0 and 1.1 and
// plain HTTP, and stops cleanly on SIGTERM.
func TestServeTLSBinary(t *testing.T) {
	models := shared.Path(t, "models")
	bin := facegateBinary(t)
	dir := t.TempDir()
	certFile, keyFile := testcert.Write(t, dir)
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--models", models, "--tls-cert", certFile, "--tls-key", keyFile)
	cmd.Env = append(os.Environ(), "FACEGATE_TOKENS="+hToken, "FACEGATE_MODELS=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var log syncbuf.Buffer
	addrc := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`listening on (\S+)`)
		for sc.Scan() {
			fmt.Fprintln(&log, sc.Text())
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1]
			}
		}
	}()
	var addr string
	select {
	case addr = <-addrc:
	case <-time.After(time.Minute):
		t.Fatalf("no listening line:\n%s", log.String())
	}
	pool := x509.NewCertPool()
	pemData, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(pemData)
	client := func(minV, maxV uint16) *http.Client {
		return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: minV, MaxVersion: maxV}}}
	}
	for _, c := range []struct {
		name string
		v    uint16
		ok   bool
	}{
		{"TLS 1.0", tls.VersionTLS10, false},
		{"TLS 1.1", tls.VersionTLS11, false},
		{"TLS 1.2", tls.VersionTLS12, true},
		{"TLS 1.3", tls.VersionTLS13, true},
	} {
		r, err := client(c.v, c.v).Get("https://" + addr + "/healthz")
		if err == nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.ok && r.TLS.Version != c.v:
			t.Errorf("%s: negotiated %x", c.name, r.TLS.Version)
		case !c.ok && err == nil:
			t.Errorf("%s accepted", c.name)
		default:
			t.Logf("%s: ok=%v err=%v", c.name, err == nil, err)
		}
	}
	// The API over TLS (the models may still be loading: 503 then).
	req, _ := http.NewRequest("POST", "https://"+addr+pathVerifik, bytes.NewReader(verifikJSON("x", "y")))
	req.Header.Set("Authorization", "Bearer "+hToken)
	if r, err := client(tls.VersionTLS12, 0).Do(req); err != nil {
		t.Errorf("API over TLS: %v", err)
	} else {
		r.Body.Close()
		if r.StatusCode != 412 && r.StatusCode != 503 {
			t.Errorf("API over TLS: %d, want 412 (not base64) or 503 (loading)", r.StatusCode)
		}
	}
	// Plain HTTP on the TLS port gets no API answer.
	if r, err := http.Get("http://" + addr + "/healthz"); err == nil {
		r.Body.Close()
		if r.StatusCode == 200 {
			t.Error("plain HTTP served on the TLS port")
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	<-done
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, log.String())
	}
	if strings.Contains(log.String(), hToken) {
		t.Error("the token was printed")
	}
}

// TestCredentialErrorsRedacted: a credentials file with its fields out of
// order fails to load with an error that does not quote the key (it is
// printed on stderr at start-up and logged on SIGHUP).
func TestCredentialErrorsRedacted(t *testing.T) {
	const secret = "tok-SECRET-9f8e7d"
	for _, text := range []string{
		secret + " verifik",
		"verifik tok " + secret,
		"verifik tok " + secret + "=x",
		"okayface key name=a " + secret,
		`[{"kind":"` + secret + `","key":"k"}]`,
		`[{"kind":"verifik","key":"` + secret + `","expires":"soon"}]`,
	} {
		_, err := api.ParseCredentials([]byte(text))
		if err == nil {
			t.Errorf("%q: no error", text)
			continue
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%q: error %q quotes the key", text, err)
		}
	}
}
