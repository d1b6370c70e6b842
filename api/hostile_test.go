package api_test

// Hostile inputs through a real loopback listener served by the
// production http.Server (api.Server.HTTPServer): every one must get a
// quick, documented error status and JSON body, and cost bounded memory.
// Peak memory is measured around each request (heap in use sampled while
// the request runs, bytes allocated in total); client and server share the
// process, so the bodies are built before the baseline is taken.

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/facegate/facegate/api"
	"github.com/facegate/facegate/internal/syncbuf"
	"github.com/facegate/facegate/nets/face"
	"github.com/facegate/facegate/nets/imageio"
)

// Credentials used by this file's servers.
const (
	hToken  = "hostile-token-5f1e2d3c4b5a69788796a5b4"
	hAPIKey = "hostile-apikey-0a1b2c3d4e5f60718293a4b5"
)

const (
	pathVerifik  = "/v2/face-recognition/compare-live"
	pathOkayFace = "/api/faceid/v2-2/verify"
)

// decodingVerifier stands in for the pipeline up to the networks: it
// decodes every image with imageio under the same limits facegate serve
// uses and maps errors the way face.Pipeline.Decode does, so hostile images
// reach the real decoders. With block set it then waits for the request's
// context, like an inference that never finishes.
type decodingVerifier struct {
	lim     imageio.Limits
	block   atomic.Bool
	entered chan struct{} // receives one value per Verify call when non-nil
	running atomic.Int64  // Verify calls in progress
}

func (d *decodingVerifier) Verify(ctx context.Context, probe []byte, gallery [][]byte, opt face.Options) (*face.Result, error) {
	d.running.Add(1)
	defer d.running.Add(-1)
	if d.entered != nil {
		d.entered <- struct{}{}
	}
	dec := func(name string, b []byte) error {
		_, err := imageio.Decode(b, d.lim)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, imageio.ErrTooLarge):
			return &face.ImageError{Image: name, Err: face.ErrImageTooLarge}
		case errors.Is(err, imageio.ErrFormat):
			return &face.ImageError{Image: name, Err: face.ErrFormat}
		}
		return &face.ImageError{Image: name, Err: face.ErrNotImage}
	}
	if err := dec("probe", probe); err != nil {
		return nil, err
	}
	for i, g := range gallery {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := dec(fmt.Sprintf("gallery[%d]", i), g); err != nil {
			return nil, err
		}
	}
	if d.block.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	r := &face.Result{Score: 0.9, Cosine: 0.6, Matched: true, Passed: true,
		Liveness: face.Liveness{Outcome: face.Live, Probability: 0.9, Passed: true}, Faces: 1}
	for i := range gallery {
		r.Matches = append(r.Matches, face.Match{Index: i, Score: 0.9, Cosine: 0.6})
	}
	return r, nil
}

// serveLimits are facegate serve's default image limits.
var serveLimits = imageio.Limits{MaxBytes: 3 << 20, MaxPixels: imageio.DefaultMaxPixels}

type liveServer struct {
	url  string
	addr string
	hs   *http.Server
	logs *syncbuf.Buffer
}

// startLive serves api.NewServer(cfg, v) with the production http.Server
// settings on a loopback port; edit may shorten its timeouts.
func startLive(t testing.TB, cfg api.Config, v face.Verifier, edit func(*http.Server)) *liveServer {
	t.Helper()
	if cfg.Credentials == nil {
		c, err := api.NewCredentials("", []api.Credential{
			{Key: hToken, Kind: api.KindVerifik, Name: "hostile-verifik"},
			{Key: hAPIKey, Kind: api.KindOkayFace, Name: "hostile-okayface"},
		})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Credentials = c
	}
	logs := &syncbuf.Buffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	}
	hs := api.NewServer(cfg, v).HTTPServer("127.0.0.1:0")
	if edit != nil {
		edit(hs)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
	})
	return &liveServer{url: "http://" + ln.Addr().String(), addr: ln.Addr().String(), hs: hs, logs: logs}
}

// memUse is what one request cost the process.
type memUse struct {
	peakHeap   uint64 // highest HeapInuse seen while it ran, above the baseline
	totalAlloc uint64 // bytes allocated while it ran
}

func (m memUse) String() string {
	return fmt.Sprintf("peak heap +%.1f MiB, allocated %.1f MiB", float64(m.peakHeap)/(1<<20), float64(m.totalAlloc)/(1<<20))
}

var measureMu sync.Mutex // one measurement at a time: they share the heap

// measure runs f, sampling HeapInuse every millisecond.
func measure(f func()) memUse {
	measureMu.Lock()
	defer measureMu.Unlock()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	peak.Store(before.HeapInuse)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(stop)
	<-done
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if after.HeapInuse > peak.Load() {
		peak.Store(after.HeapInuse)
	}
	return memUse{peakHeap: peak.Load() - before.HeapInuse, totalAlloc: after.TotalAlloc - before.TotalAlloc}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
	err    error
}

// post sends body to path with the given content type and headers.
func post(url, path, contentType string, body io.Reader, header map[string]string) reply {
	req, err := http.NewRequest("POST", url+path, body)
	if err != nil {
		return reply{err: err}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{Timeout: 60 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw, err: err}
	json.Unmarshal(raw, &r.body)
	return r
}

func verifikJSON(probe string, gallery ...string) []byte {
	b, _ := json.Marshal(map[string]any{"probe": probe, "gallery": gallery, "search_mode": "FAST", "liveness_min_score": 0.6})
	return b
}

func okayJSON(best, idCard string) []byte {
	b, _ := json.Marshal(map[string]any{"apiKey": hAPIKey, "imageBest": best, "imageIdCard": idCard})
	return b
}

// pngChunk appends one PNG chunk with its CRC.
func pngChunk(dst []byte, typ string, data []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
	start := len(dst)
	dst = append(dst, typ...)
	dst = append(dst, data...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:]))
}

// bombPNG is a w×h 8-bit grey PNG whose pixels are all zero: a few KB
// that inflate to w*h bytes (plus one filter byte per row). With rows ==
// false only the header is real and the data is a token zlib stream.
func bombPNG(w, h uint32, rows bool) []byte {
	out := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // depth 8, greyscale, deflate, filter 0, no interlace
	out = pngChunk(out, "IHDR", ihdr)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	if rows {
		row := make([]byte, int(w)+1)
		for y := uint32(0); y < h; y++ {
			zw.Write(row)
		}
	} else {
		zw.Write(make([]byte, 64))
	}
	zw.Close()
	out = pngChunk(out, "IDAT", z.Bytes())
	return pngChunk(out, "IEND", nil)
}

// smallJPEG is a plain w×h JPEG.
func smallJPEG(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 13)
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, nil)
	return b.Bytes()
}

func smallPNG() []byte {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// wantError checks a JSON error reply: status, and that the body holds
// the key/value pair (a vendor error code).
func wantError(t *testing.T, name string, r reply, status int, key, value string) {
	t.Helper()
	if r.err != nil {
		t.Errorf("%s: %v", name, r.err)
		return
	}
	if r.status != status {
		t.Errorf("%s: status %d, want %d; body %s", name, r.status, status, r.raw)
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("%s: Content-Type %q", name, r.header.Get("Content-Type"))
	}
	if got, _ := r.body[key].(string); got != value {
		t.Errorf("%s: %s = %q, want %q; body %s", name, key, got, value, r.raw)
	}
}

const mib = 1 << 20

// memSlack scales the peak-memory bounds: the race detector makes many
// more and larger allocations.
var memSlack = func() uint64 {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				return 4
			}
		}
	}
	return 1
}()

// TestHostileImages: decompression bombs and images claiming huge sizes
// are refused from their headers, with bounded memory; a bomb inside the
// pixel limit decodes within a bounded multiple of that limit.
func TestHostileImages(t *testing.T) {
	v := &decodingVerifier{lim: serveLimits}
	s := startLive(t, api.Config{}, v, nil)
	ok := b64(smallJPEG(32, 32))
	huge := bombPNG(100000, 100000, false)                         // header says 10^10 pixels
	overPixels := bombPNG(8000, 8000, true)                        // 64 MP of zeros: a ~60 KB file
	inPixels := bombPNG(4000, 4000, true)                          // 16 MP: under the 40 MP limit
	overBytes := append(smallJPEG(16, 16), make([]byte, 4<<20)...) // 4 MiB image, limit 3 MiB
	t.Logf("bomb sizes: header-only %d B, 64 MP %d B (inflates to %d MiB), 16 MP %d B", len(huge), len(overPixels), 8000*8001/mib, len(inPixels))
	cases := []struct {
		name          string
		path          string
		body          []byte
		status        int
		key, value    string
		maxPeak       uint64
		note          string
		verifikHeader bool
	}{
		{"png header 100000x100000 (verifik)", pathVerifik, verifikJSON(b64(huge), ok), 413, "message", "payload_too_large", 8 * mib, "", true},
		{"png header 100000x100000 (okayface)", pathOkayFace, okayJSON(b64(huge), ok), 413, "error", "PAYLOAD_TOO_LARGE", 8 * mib, "", false},
		{"png bomb 64 MP in 60 KB (verifik)", pathVerifik, verifikJSON(ok, b64(overPixels)), 413, "message", "payload_too_large", 8 * mib, "", true},
		{"png bomb 64 MP in 60 KB (okayface)", pathOkayFace, okayJSON(b64(overPixels), ok), 413, "error", "PAYLOAD_TOO_LARGE", 8 * mib, "", false},
		{"image of 4 MiB over the 3 MiB limit", pathVerifik, verifikJSON(b64(overBytes), ok), 413, "message", "payload_too_large", 40 * mib, "", true},
		// 16 MP grey: the decoder holds 16 MB of grey pixels and the RGB
		// conversion 48 MB; that is the per-image cost at this size.
		{"png bomb 16 MP (inside the pixel limit)", pathVerifik, verifikJSON(b64(inPixels), ok), 200, "", "", 100 * mib, "decodes", true},
	}
	for _, c := range cases {
		var r reply
		body := c.body
		hdr := map[string]string{}
		if c.verifikHeader {
			hdr["Authorization"] = "Bearer " + hToken
		}
		m := measure(func() { r = post(s.url, c.path, "application/json", bytes.NewReader(body), hdr) })
		t.Logf("%-40s → %d %s; %v", c.name, r.status, bytes.TrimSpace(r.raw[:min(len(r.raw), 80)]), m)
		if c.key != "" {
			wantError(t, c.name, r, c.status, c.key, c.value)
		} else if r.status != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, r.status, c.status, r.raw)
		}
		if m.peakHeap > c.maxPeak*memSlack {
			t.Errorf("%s: %v, want peak under %d MiB", c.name, m, c.maxPeak*memSlack/mib)
		}
	}
}

// TestHostileJSON: deeply nested, oversized, and gallery-flooding bodies.
func TestHostileJSON(t *testing.T) {
	const limit = 4 * mib
	v := &decodingVerifier{lim: serveLimits}
	s := startLive(t, api.Config{MaxBodyBytes: limit}, v, nil)
	ok := b64(smallJPEG(32, 32))
	auth := map[string]string{"Authorization": "Bearer " + hToken}
	nested := []byte(strings.Repeat("[", 100000))
	nestedField := []byte(`{"probe":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`)
	nestedOkay := []byte(`{"apiKey":"` + hAPIKey + `","imageBest":` + strings.Repeat("{\"a\":", 100000) + "1" + strings.Repeat("}", 100000) + `}`)
	huge := append([]byte(`{"probe":"`), bytes.Repeat([]byte("A"), limit+mib)...)
	huge = append(huge, `"}`...)
	gallery := make([]string, 5000)
	for i := range gallery {
		gallery[i] = b64(smallPNG())
	}
	flood := verifikJSON(ok, gallery...)
	if len(flood) > limit {
		t.Fatalf("gallery flood body %d bytes, over the limit", len(flood))
	}
	tinyGallery := make([]string, 100000)
	for i := range tinyGallery {
		tinyGallery[i] = "x"
	}
	floodTiny := verifikJSON(ok, tinyGallery...)
	// Bodies just under the limit made of tiny members: before the
	// parsers walked the JSON instead of unmarshalling it into maps and
	// slices, a 24 MiB body like these held 340-726 MiB.
	fill := func(prefix, member, suffix string) []byte {
		var b bytes.Buffer
		b.WriteString(prefix)
		for i := 0; b.Len() < limit-len(suffix)-64; i++ {
			fmt.Fprintf(&b, member, i)
		}
		b.WriteString(suffix)
		return b.Bytes()
	}
	manyItems := fill(`{"probe":"x","gallery":[`, `"x%.0d",`, `"x"],"search_mode":"FAST","liveness_min_score":0.6}`)
	manyKeys := fill(`{`, `"%x":1,`, `"z":1}`)
	cases := []struct {
		name       string
		path       string
		body       []byte
		chunked    bool
		status     int
		key, value string
		maxPeak    uint64
	}{
		{"10^5 '[' (verifik)", pathVerifik, nested, false, 400, "message", "invalid_json", 8 * mib},
		{"10^5 nested arrays in a field (verifik)", pathVerifik, nestedField, false, 400, "message", "invalid_json", 8 * mib},
		{"10^5 '[' (okayface)", pathOkayFace, nested, false, 400, "error", "MALFORMED_REQUEST", 8 * mib},
		{"10^5 nested objects in a field (okayface)", pathOkayFace, nestedOkay, false, 400, "error", "MALFORMED_REQUEST", 8 * mib},
		{"5 MiB body, limit 4 MiB, Content-Length (verifik)", pathVerifik, huge, false, 413, "message", "payload_too_large", 2 * mib},
		{"5 MiB body, limit 4 MiB, chunked (verifik)", pathVerifik, huge, true, 413, "message", "payload_too_large", 5 * limit},
		{"5 MiB body, limit 4 MiB, Content-Length (okayface)", pathOkayFace, huge, false, 413, "error", "PAYLOAD_TOO_LARGE", 2 * mib},
		{"5 MiB body, limit 4 MiB, chunked (okayface)", pathOkayFace, huge, true, 413, "error", "PAYLOAD_TOO_LARGE", 5 * limit},
		{"5000 gallery images", pathVerifik, flood, false, 409, "code", "MissingParameter", 4 * limit},
		{"100000 gallery entries", pathVerifik, floodTiny, false, 409, "code", "MissingParameter", 4 * limit},
		{"1M gallery entries in 4 MiB", pathVerifik, manyItems, false, 409, "code", "MissingParameter", 3 * limit},
		{"500k members in 4 MiB (verifik)", pathVerifik, manyKeys, false, 409, "message", `"probe" is required`, 3 * limit},
		{"500k members in 4 MiB (okayface)", pathOkayFace, manyKeys, false, 400, "error", "MISSING_ARGUMENT: apiKey", 3 * limit},
	}
	for _, c := range cases {
		var r reply
		hdr := map[string]string{}
		if c.path == pathVerifik {
			hdr["Authorization"] = auth["Authorization"]
		}
		var body io.Reader = bytes.NewReader(c.body)
		if c.chunked {
			body = io.MultiReader(body) // hides the length: sent chunked
		}
		m := measure(func() { r = post(s.url, c.path, "application/json", body, hdr) })
		t.Logf("%-50s → %d %s; %v", c.name, r.status, bytes.TrimSpace(r.raw[:min(len(r.raw), 100)]), m)
		wantError(t, c.name, r, c.status, c.key, c.value)
		if m.peakHeap > c.maxPeak*memSlack {
			t.Errorf("%s: %v, want peak under %d MiB", c.name, m, c.maxPeak*memSlack/mib)
		}
	}
	if got := v.running.Load(); got != 0 {
		t.Errorf("%d verifications still running", got)
	}
}

// multipartBody builds a form with the given parts, in order.
type part struct {
	name, filename string
	data           []byte
	header         string // extra header line(s), raw
}

func multipartRaw(boundary string, parts []part) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		fmt.Fprintf(&b, "--%s\r\nContent-Disposition: form-data; name=%q", boundary, p.name)
		if p.filename != "" {
			fmt.Fprintf(&b, "; filename=%q", p.filename)
		}
		b.WriteString("\r\n")
		b.WriteString(p.header)
		b.WriteString("\r\n")
		b.Write(p.data)
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes()
}

// TestHostileMultipart: malformed and oversized multipart bodies to the
// OkayFace endpoint.
func TestHostileMultipart(t *testing.T) {
	const limit = 8 * mib
	v := &decodingVerifier{lim: serveLimits}
	s := startLive(t, api.Config{MaxBodyBytes: limit}, v, nil)
	img := smallJPEG(32, 32)
	good := []part{{name: "apiKey", data: []byte(hAPIKey)}, {name: "imageBest", filename: "b.jpg", data: img}, {name: "imageIdCard", filename: "c.jpg", data: img}}
	ctB := "multipart/form-data; boundary=B0und"
	manyParts := make([]part, 0, 20003)
	manyParts = append(manyParts, good...)
	for i := 0; i < 20000; i++ {
		manyParts = append(manyParts, part{name: fmt.Sprintf("junk%d", i), data: []byte("x")})
	}
	cases := []struct {
		name        string
		contentType string
		body        []byte
		chunked     bool
		status      int
		key, value  string
		maxPeak     uint64
	}{
		{"well-formed (control)", ctB, multipartRaw("B0und", good), false, 200, "", "", 8 * mib},
		{"boundary in header differs from body", "multipart/form-data; boundary=Other", multipartRaw("B0und", good), false, 400, "error", "MALFORMED_REQUEST", 2 * mib},
		{"no boundary parameter", "multipart/form-data", multipartRaw("B0und", good), false, 400, "error", "MALFORMED_REQUEST", 2 * mib},
		{"unterminated body", ctB, bytes.TrimSuffix(multipartRaw("B0und", good), []byte("--B0und--\r\n")), false, 400, "error", "MALFORMED_REQUEST", 2 * mib},
		{"garbage after boundary", ctB, []byte("--B0und\r\n\x00\x01\x02 no headers here"), false, 400, "error", "MALFORMED_REQUEST", 2 * mib},
		{"missing image parts", ctB, multipartRaw("B0und", good[:1]), false, 400, "error", "MISSING_ARGUMENTS: imageIdCard or imageBest", 2 * mib},
		{"missing apiKey part", ctB, multipartRaw("B0und", good[1:]), false, 400, "error", "MISSING_ARGUMENT: apiKey", 2 * mib},
		{"6 MiB file part (image limit 3 MiB)", ctB, multipartRaw("B0und", []part{good[0], {name: "imageBest", filename: "b.jpg", data: append(img, make([]byte, 6*mib)...)}, good[2]}), false, 413, "error", "PAYLOAD_TOO_LARGE", 16 * mib},
		{"6 MiB text part", ctB, multipartRaw("B0und", []part{good[0], {name: "imageBest", data: bytes.Repeat([]byte("A"), 6*mib)}, good[2]}), false, 413, "error", "PAYLOAD_TOO_LARGE", 16 * mib},
		{"12 MiB unknown part, body limit 8 MiB, chunked", ctB, multipartRaw("B0und", append(good, part{name: "junk", data: make([]byte, 12*mib)})), true, 413, "error", "PAYLOAD_TOO_LARGE", 8 * mib},
		{"12 MiB unknown part, Content-Length", ctB, multipartRaw("B0und", append(good, part{name: "junk", data: make([]byte, 12*mib)})), false, 413, "error", "PAYLOAD_TOO_LARGE", 2 * mib},
		{"1 MiB part header", ctB, multipartRaw("B0und", []part{{name: "apiKey", data: []byte(hAPIKey), header: "X-Junk: " + strings.Repeat("a", mib) + "\r\n"}, good[1], good[2]}), false, 200, "", "", 16 * mib},
		{"20000 unknown parts", ctB, multipartRaw("B0und", manyParts), false, 200, "", "", 32 * mib},
		{"apiKey part of 1 MiB", ctB, multipartRaw("B0und", []part{{name: "apiKey", data: bytes.Repeat([]byte("k"), mib)}, good[1], good[2]}), false, 400, "error", "MISSING_ARGUMENT: apiKey", 8 * mib},
	}
	for _, c := range cases {
		var r reply
		var body io.Reader = bytes.NewReader(c.body)
		if c.chunked {
			body = io.MultiReader(body)
		}
		m := measure(func() { r = post(s.url, pathOkayFace, c.contentType, body, nil) })
		t.Logf("%-50s → %d %s; %v", c.name, r.status, bytes.TrimSpace(r.raw[:min(len(r.raw), 100)]), m)
		if c.key != "" {
			wantError(t, c.name, r, c.status, c.key, c.value)
		} else if r.err != nil || r.status != c.status {
			t.Errorf("%s: status %d (%v), want %d: %s", c.name, r.status, r.err, c.status, r.raw)
		}
		if m.peakHeap > c.maxPeak*memSlack {
			t.Errorf("%s: %v, want peak under %d MiB", c.name, m, c.maxPeak*memSlack/mib)
		}
	}
}

// TestServerTimeoutsSet: the production http.Server bounds slow clients.
func TestServerTimeoutsSet(t *testing.T) {
	hs := api.NewServer(api.Config{}, &decodingVerifier{}).HTTPServer(":0")
	if hs.ReadHeaderTimeout <= 0 || hs.ReadHeaderTimeout > 30*time.Second {
		t.Errorf("ReadHeaderTimeout %v", hs.ReadHeaderTimeout)
	}
	if hs.ReadTimeout <= 0 || hs.WriteTimeout <= 0 || hs.IdleTimeout <= 0 {
		t.Errorf("ReadTimeout %v, WriteTimeout %v, IdleTimeout %v: every one must be set", hs.ReadTimeout, hs.WriteTimeout, hs.IdleTimeout)
	}
	if hs.MaxHeaderBytes <= 0 || hs.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes %d", hs.MaxHeaderBytes)
	}
	if hs.TLSConfig == nil || hs.TLSConfig.MinVersion < 0x0303 {
		t.Error("TLS minimum version is not 1.2")
	}
}

// TestSlowloris: a client trickling its headers is cut off by
// ReadHeaderTimeout, one trickling its body by ReadTimeout; neither holds a
// pipeline slot, and the server keeps answering others meanwhile. The
// production timeouts (10 s, 30 s) are shortened here; the mechanism is
// the same.
func TestSlowloris(t *testing.T) {
	v := &decodingVerifier{lim: serveLimits}
	s := startLive(t, api.Config{RequestTimeout: 700 * time.Millisecond}, v, func(hs *http.Server) {
		hs.ReadHeaderTimeout = 300 * time.Millisecond
	})
	if s.hs.ReadTimeout != 700*time.Millisecond {
		t.Fatalf("ReadTimeout %v does not follow the request timeout", s.hs.ReadTimeout)
	}

	// Headers, one byte every 50 ms, never finished.
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		// Read until the server closes the connection.
		io.Copy(io.Discard, conn)
		closed <- time.Since(start)
	}()
	go func() {
		hdr := "POST " + pathVerifik + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + hToken + "\r\nX-Slow: " + strings.Repeat("a", 1000)
		for i := 0; i < len(hdr); i++ {
			if _, err := conn.Write([]byte{hdr[i]}); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	// Meanwhile a normal client is served.
	ok := b64(smallJPEG(32, 32))
	if r := post(s.url, pathVerifik, "application/json", bytes.NewReader(verifikJSON(ok, ok)), map[string]string{"Authorization": "Bearer " + hToken}); r.status != 200 {
		t.Errorf("normal client during slowloris: %d %v %s", r.status, r.err, r.raw)
	}
	select {
	case d := <-closed:
		t.Logf("trickled headers: connection closed by the server after %v", d.Round(time.Millisecond))
	case <-time.After(20 * time.Second):
		t.Fatal("server kept a connection trickling its headers open for 20 s")
	}

	// Complete headers, then the body one byte every 50 ms.
	conn2, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	body := verifikJSON(ok, ok)
	fmt.Fprintf(conn2, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", pathVerifik, hToken, len(body))
	start = time.Now()
	go func() {
		for i := 0; i < len(body); i++ {
			if _, err := conn2.Write(body[i : i+1]); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	conn2.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn2), nil)
	if err != nil {
		t.Fatalf("trickled body: no response: %v", err)
	}
	raw, _ := io.ReadAll(resp.Body)
	t.Logf("trickled body: %d %s after %v", resp.StatusCode, bytes.TrimSpace(raw), time.Since(start).Round(time.Millisecond))
	if resp.StatusCode != 400 || !bytes.Contains(raw, []byte("body_read_error")) {
		t.Errorf("trickled body: %d %s, want 400 body_read_error", resp.StatusCode, raw)
	}
	if v.running.Load() != 0 {
		t.Error("a trickling client reached the verifier")
	}
}

// settleGoroutines waits up to 5 s for the goroutine count to come back
// to at most want, and returns the last count.
func settleGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for i := 0; i < 500 && n > want; i++ {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

// TestClientDisconnect: a client that goes away mid-verification cancels
// the request's context; the verification stops, its pipeline slot is
// freed, and no goroutine is left behind.
func TestClientDisconnect(t *testing.T) {
	v := &decodingVerifier{lim: serveLimits, entered: make(chan struct{}, 100)}
	v.block.Store(true)
	s := startLive(t, api.Config{Concurrency: 1, Queue: -1, RequestTimeout: time.Minute}, v, nil)
	ok := b64(smallJPEG(32, 32))
	body := verifikJSON(ok, ok)
	http.DefaultClient.CloseIdleConnections()
	time.Sleep(50 * time.Millisecond)
	base := runtime.NumGoroutine()
	for round := 0; round < 20; round++ {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "POST", s.url+pathVerifik, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+hToken)
		tr := &http.Transport{}
		errc := make(chan error, 1)
		go func() {
			_, err := (&http.Client{Transport: tr}).Do(req)
			errc <- err
		}()
		select {
		case <-v.entered:
		case <-time.After(10 * time.Second):
			t.Fatal("verification never started")
		}
		cancel() // the client hangs up mid-verification
		<-errc
		tr.CloseIdleConnections()
		// The slot must come back: with Concurrency 1 and no queue the
		// next round would get 503 otherwise.
		for i := 0; i < 500 && v.running.Load() != 0; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		if v.running.Load() != 0 {
			t.Fatalf("round %d: verification still running 5 s after the client left", round)
		}
	}
	if n := settleGoroutines(base); n > base {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after 20 abandoned requests, %d before\n%s", n, base, buf[:runtime.Stack(buf, true)])
	} else {
		t.Logf("goroutines: %d before, %d after 20 abandoned requests", base, n)
	}
	// The log says what happened: 503 server_busy with the cancellation.
	if logs := s.logs.String(); strings.Count(logs, "context canceled") < 20 {
		t.Errorf("cancellations not logged:\n%.2000s", logs)
	}
	// And the server still serves.
	v.block.Store(false)
	if r := post(s.url, pathVerifik, "application/json", bytes.NewReader(body), map[string]string{"Authorization": "Bearer " + hToken}); r.status != 200 {
		t.Errorf("after disconnects: %d %s", r.status, r.raw)
	}
}

// TestAnnouncedLengthNotTrusted: memory follows the bytes that arrive, not
// the Content-Length a client announces. Twenty connections each announce
// a 20 MiB body (under the 24 MiB limit) and then send almost nothing;
// allocating the announced size up front would hold 400 MiB.
func TestAnnouncedLengthNotTrusted(t *testing.T) {
	s := startLive(t, api.Config{}, &decodingVerifier{lim: serveLimits}, nil)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	m := measure(func() {
		for i := 0; i < 20; i++ {
			c, err := net.Dial("tcp", s.addr)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
			path, auth := pathVerifik, "Authorization: Bearer "+hToken+"\r\n"
			if i%2 == 1 {
				path, auth = pathOkayFace, ""
			}
			fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"probe\":", path, auth, 20*mib)
		}
		// Wait until all twenty handlers are reading their bodies.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			r, err := http.Get(s.url + "/metrics")
			if err != nil {
				continue
			}
			text, _ := io.ReadAll(r.Body)
			r.Body.Close()
			// the /metrics request itself is in flight too
			if bytes.Contains(text, []byte("\nfacegate_http_in_flight_requests 21\n")) {
				return
			}
		}
		t.Error("the twenty requests never reached their handlers")
	})
	t.Logf("20 connections announcing 20 MiB each, sending 9 bytes: %v", m)
	if m.peakHeap > 32*mib*memSlack {
		t.Errorf("%v: memory follows the announced length", m)
	}
}

// TestHugeHeaders: headers over MaxHeaderBytes are refused by net/http
// itself (431, plain text: the handler never runs), in bounded memory.
func TestHugeHeaders(t *testing.T) {
	v := &decodingVerifier{lim: serveLimits}
	s := startLive(t, api.Config{}, v, nil)
	for _, c := range []struct {
		name string
		hdr  map[string]string
	}{
		{"one 1 MiB header", map[string]string{"X-Junk": strings.Repeat("a", mib)}},
		{"a 1 MiB Authorization", map[string]string{"Authorization": "Bearer " + strings.Repeat("t", mib)}},
	} {
		var r reply
		m := measure(func() { r = post(s.url, pathVerifik, "application/json", strings.NewReader("{}"), c.hdr) })
		t.Logf("%s → %d; %v", c.name, r.status, m)
		if r.err == nil && r.status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%s: status %d, want 431", c.name, r.status)
		}
		if m.peakHeap > 8*mib*memSlack {
			t.Errorf("%s: %v", c.name, m)
		}
	}
	if v.running.Load() != 0 || strings.Contains(s.logs.String(), `"endpoint":"verifik"`) {
		t.Error("a request with oversized headers reached the handler")
	}
}

// TestMetricsCardinalityBounded: error responses whose message names an
// item index ("gallery[7]" must be a string) must not mint a new metrics
// series per index, or a client can grow /metrics and the server's memory
// without bound, one request per index.
func TestMetricsCardinalityBounded(t *testing.T) {
	s := startLive(t, api.Config{}, &decodingVerifier{lim: serveLimits}, nil)
	for i := 0; i < 200; i++ {
		gallery := make([]any, i+1)
		for j := range gallery {
			gallery[j] = "QUJD"
		}
		gallery[i] = 1 // the bad item moves along
		body, _ := json.Marshal(map[string]any{"probe": "QUJD", "gallery": gallery, "search_mode": "FAST", "liveness_min_score": 0.6})
		if r := post(s.url, pathVerifik, "application/json", bytes.NewReader(body), map[string]string{"Authorization": "Bearer " + hToken}); r.status != 409 {
			t.Fatalf("item %d: %d %s", i, r.status, r.raw)
		}
	}
	r, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(r.Body)
	r.Body.Close()
	n := 0
	for _, line := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(line, "facegate_http_errors_total{") {
			n++
		}
	}
	t.Logf("%d error series after 200 distinct item indexes; /metrics is %d bytes", n, len(text))
	if n > 5 {
		t.Errorf("%d facegate_http_errors_total series: one per item index", n)
	}
}
