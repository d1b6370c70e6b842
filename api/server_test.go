package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// saturate starts one request that blocks inside the verifier and returns
// once it holds the only slot; release lets it finish.
func saturate(t *testing.T, e *testEnv) (release func()) {
	t.Helper()
	e.fake.block = make(chan struct{})
	e.fake.entered = make(chan struct{}, 16)
	done := make(chan response, 1)
	go func() { done <- e.verifik(tokGood, verifikBody(nil)) }()
	<-e.fake.entered
	return func() {
		close(e.fake.block)
		if r := <-done; r.status != 200 {
			t.Errorf("blocked request: %d %s", r.status, r.body)
		}
	}
}

func TestBusy(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Concurrency = 1; c.Queue = -1; c.RetryAfter = 3 * time.Second })
	release := saturate(t, e)
	r := e.verifik(tokGood, verifikBody(nil))
	wantBody(t, r, 503, `{"message":"server_busy","code":"ERROR"}`)
	if r.header.Get("Retry-After") != "3" {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	r = e.okay(okayBody(nil))
	wantBody(t, r, 503, `{"error":"SERVER_BUSY","request_id":null}`)
	if r.header.Get("Retry-After") != "3" {
		t.Errorf("OkayFace Retry-After %q", r.header.Get("Retry-After"))
	}
	// Validation does not need a slot: it is answered even when saturated.
	if r := e.verifik(tokGood, `{}`); r.status != 409 {
		t.Errorf("validation while busy: %d", r.status)
	}
	release()
	if r := e.verifik(tokGood, verifikBody(nil)); r.status != 200 {
		t.Errorf("after release: %d %s", r.status, r.body)
	}
	if !strings.Contains(metricsText(t, e), `facegate_busy_rejections_total{endpoint="verifik"} 1`) {
		t.Error("busy rejection not counted")
	}
}

// TestQueue: a request waits for a slot while a queue place is free, and is
// refused once its bounded wait runs out.
func TestQueue(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Concurrency = 1; c.Queue = 1; c.QueueWait = time.Hour })
	release := saturate(t, e)
	queued := make(chan response, 1)
	go func() { queued <- e.verifik(tokGood, verifikBody(nil)) }()
	for e.srv.lim.waiting.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	// The queue is full: the next request is refused at once.
	wantBody(t, e.verifik(tokGood, verifikBody(nil)), 503, `{"message":"server_busy","code":"ERROR"}`)
	release()
	<-e.fake.entered // the queued request got the slot
	if r := <-queued; r.status != 200 {
		t.Errorf("queued request: %d %s", r.status, r.body)
	}

	e = newEnv(t, func(c *Config) { c.Concurrency = 1; c.Queue = 1; c.QueueWait = time.Millisecond })
	release = saturate(t, e)
	wantBody(t, e.verifik(tokGood, verifikBody(nil)), 503, `{"message":"server_busy","code":"ERROR"}`)
	release()
}

func TestRequestDeadline(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RequestTimeout = time.Millisecond })
	e.fake.block = make(chan struct{}) // never released: the deadline ends it
	r := e.verifik(tokGood, verifikBody(nil))
	wantBody(t, r, 503, `{"message":"server_busy","code":"ERROR"}`)
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

func TestNotReady(t *testing.T) {
	var mu sync.Mutex
	ready := false
	e := newEnv(t, func(c *Config) {
		c.Ready = func() bool { mu.Lock(); defer mu.Unlock(); return ready }
	})
	if r := e.do(httptest.NewRequest("GET", "/readyz", nil)); r.status != 503 {
		t.Errorf("readyz before ready: %d", r.status)
	}
	if r := e.do(httptest.NewRequest("GET", "/healthz", nil)); r.status != 200 {
		t.Errorf("healthz: %d", r.status)
	}
	wantBody(t, e.verifik(tokGood, verifikBody(nil)), 503, `{"message":"server_busy","code":"ERROR"}`)
	wantBody(t, e.okay(okayBody(nil)), 503, `{"error":"SERVER_BUSY","request_id":null}`)
	if !strings.Contains(metricsText(t, e), "facegate_ready 0\n") {
		t.Error("facegate_ready not 0")
	}
	mu.Lock()
	ready = true
	mu.Unlock()
	if r := e.do(httptest.NewRequest("GET", "/readyz", nil)); r.status != 200 {
		t.Errorf("readyz after ready: %d", r.status)
	}
	if r := e.verifik(tokGood, verifikBody(nil)); r.status != 200 {
		t.Errorf("verifik after ready: %d", r.status)
	}
}

// TestConcurrentRequests runs both contracts from many goroutines through
// a two-slot limiter (run with -race).
func TestConcurrentRequests(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Concurrency = 2; c.Queue = 64; c.QueueWait = time.Minute })
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := 0; i < 24; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var r response
			if i%2 == 0 {
				r = e.verifik(tokGood, verifikBody(nil))
			} else {
				r = e.okay(okayBody(nil))
			}
			if r.status != 200 {
				errs <- strconv.Itoa(r.status) + " " + string(r.body)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := e.fake.ncalls(); n != 24 {
		t.Errorf("%d verifications, want 24", n)
	}
	m := metricsText(t, e)
	for _, want := range []string{
		`facegate_http_requests_total{endpoint="okayface",status="200"} 12`,
		`facegate_http_requests_total{endpoint="verifik",status="200"} 12`,
		`facegate_pipeline_stage_duration_seconds_count{stage="detect"} 24`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func metricsText(t *testing.T, e *testEnv) string {
	t.Helper()
	r := e.do(httptest.NewRequest("GET", "/metrics", nil))
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics: %d %q", r.status, r.header.Get("Content-Type"))
	}
	return string(r.body)
}

// TestMetricsFormat checks the exposition format: every sample belongs to a
// declared family, histogram buckets are cumulative and end in +Inf = count.
func TestMetricsFormat(t *testing.T) {
	e := newEnv(t, nil)
	e.verifik(tokGood, verifikBody(nil))
	e.verifik("", verifikBody(nil))
	e.okay(okayBody(func(m map[string]any) { m["apiKey"] = "nope" }))
	text := metricsText(t, e)
	for _, want := range []string{
		`facegate_http_requests_total{endpoint="verifik",status="401"} 1`,
		`facegate_http_errors_total{endpoint="verifik",code="Authentication required"} 1`,
		`facegate_http_errors_total{endpoint="okayface",code="INVALID_API_KEY"} 1`,
		`facegate_http_request_duration_seconds_count{endpoint="verifik"} 2`,
		`facegate_pipeline_stage_duration_seconds_bucket{stage="embed",le="0.025"} 1`,
		`facegate_pipeline_stage_duration_seconds_bucket{stage="embed",le="0.01"} 0`,
		"facegate_http_in_flight_requests 1\n", // the /metrics request itself
		"facegate_ready 1\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	sample := regexp.MustCompile(`^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+|\+Inf)$`)
	types := map[string]string{}
	lastBucket := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) >= 4 && f[1] == "TYPE" {
			types[f[2]] = f[3]
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		m := sample.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("bad sample line %q", line)
			continue
		}
		family := m[1]
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if base := strings.TrimSuffix(family, suf); base != family && types[base] == "histogram" {
				family = base
			}
		}
		if types[family] == "" {
			t.Errorf("sample %q before its TYPE", line)
		}
		if strings.HasSuffix(m[1], "_bucket") {
			v, _ := strconv.ParseFloat(m[3], 64)
			series := regexp.MustCompile(`,?le="[^"]*"`).ReplaceAllString(m[2], "")
			if v < lastBucket[m[1]+series] {
				t.Errorf("bucket counts decrease at %q", line)
			}
			lastBucket[m[1]+series] = v
		}
	}
}

// TestLogsRedacted sends requests carrying known images and credentials
// (valid, invalid, in headers, JSON and multipart) and checks none of them
// reaches the log, while every request is logged with its id.
func TestLogsRedacted(t *testing.T) {
	e := newEnv(t, nil)
	secretTok := "tok-secret-unknown-4242"
	secretKey := "key-secret-unknown-4343"
	e.verifik(tokGood, verifikBody(nil))
	e.verifik(secretTok, verifikBody(nil))
	e.verifik(tokGood, verifikBody(func(m map[string]any) { m["probe"] = "not-base64-" + secretKey }))
	e.fake.err = errNotBase64
	e.verifik(tokGood, verifikBody(nil)) // internal error: logged, without inputs
	e.fake.err = nil
	e.okay(okayBody(nil))
	e.okay(okayBody(func(m map[string]any) { m["apiKey"] = secretKey }))
	ct, body := multipartBody(t, map[string]string{"apiKey": keyGood, "imageIdCard": jpeg64}, map[string][]byte{"imageBest": pngBytes})
	req := httptest.NewRequest("POST", "/api/faceid/v2-2/verify", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-Request-Id", "client-id-77")
	e.do(req)

	logs := e.logs.String()
	for _, secret := range []string{tokGood, keyGood, secretTok, secretKey, jpeg64[len(jpeg64)/2:][:24], png64[len(png64)/2:][:24], "not-base64"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q", secret)
		}
	}
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != 7 {
		t.Errorf("%d log lines, want 7:\n%s", len(lines), logs)
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["request_id"] == "" || m["status"] == nil || m["endpoint"] == nil {
			t.Errorf("log line lacks fields: %s", l)
		}
	}
	if !strings.Contains(logs, `"request_id":"client-id-77"`) || !strings.Contains(logs, `"credential":"good"`) {
		t.Error("client request id or credential label missing from logs")
	}
	if !strings.Contains(logs, `"level":"ERROR"`) {
		t.Error("internal error not logged at ERROR")
	}
}

func TestRequestIDHeader(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(httptest.NewRequest("GET", "/healthz", nil))
	if !uuidV4.MatchString(r.header.Get("X-Request-Id")) {
		t.Errorf("generated X-Request-Id %q", r.header.Get("X-Request-Id"))
	}
	for id, keep := range map[string]bool{"abc-123": true, "bad id": false, strings.Repeat("a", 200): false, "x\"y": false} {
		req := httptest.NewRequest("GET", "/healthz", nil)
		req.Header.Set("X-Request-Id", id)
		got := e.do(req).header.Get("X-Request-Id")
		if (got == id) != keep {
			t.Errorf("X-Request-Id %q echoed as %q", id, got)
		}
	}
}

func TestReadAll(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 300_000) // 3 MB: several chunks
	for _, size := range []int64{-1, int64(len(data))} {
		got, err := readAll(bytes.NewReader(data), size)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("size %d: %d bytes, %v", size, len(got), err)
		}
	}
	for _, n := range []int{0, 1, 16 << 10} {
		got, err := readAll(bytes.NewReader(data[:n]), -1)
		if err != nil || len(got) != n {
			t.Errorf("chunked %d: %d bytes, %v", n, len(got), err)
		}
	}
	// A body longer than announced is read whole (the caller's limit decides).
	if got, _ := readAll(bytes.NewReader(data[:100]), 10); len(got) != 100 {
		t.Errorf("longer than announced: %d bytes", len(got))
	}
}
