package api_test

// Fuzz targets for whole requests through the real handler (routing,
// authentication, body reading, validation, base64, the image decoders,
// error mapping, response encoding), with a verifier that decodes the
// images like the pipeline does but runs no network. Whatever the body,
// the answer is one of the contract's statuses with a JSON body in the
// contract's error shape: never a panic, a 500 or a non-JSON answer.
// Seeds are real request bodies carrying small real photos (from
// ../shared/images, downscaled and base64-encoded at test time).

import (
	"bytes"
	"encoding/json"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/facegate/facegate/api"
	"github.com/facegate/facegate/internal/shared"
	"github.com/facegate/facegate/nets/imageio"
)

// realSeedImages returns a real photo from ../shared/images downscaled to
// about 48 px wide, as JPEG and PNG (small, so the fuzzer stays fast).
func realSeedImages(tb testing.TB) (jpg, pngData []byte) {
	tb.Helper()
	data, err := os.ReadFile(shared.Path(tb, "images", "silent-face", "image_T1.jpg"))
	if err != nil {
		tb.Fatal(err)
	}
	src, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	b := src.Bounds()
	const w = 48
	h := b.Dy() * w / b.Dx()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dst.Set(x, y, src.At(b.Min.X+x*b.Dx()/w, b.Min.Y+y*b.Dy()/h))
		}
	}
	var j, p bytes.Buffer
	jpeg.Encode(&j, dst, &jpeg.Options{Quality: 60})
	png.Encode(&p, dst)
	return j.Bytes(), p.Bytes()
}

// fuzzServer is the handler under fuzzing: small limits so that the
// fuzzer reaches them, logs discarded.
func fuzzServer(tb testing.TB) http.Handler {
	creds, err := api.NewCredentials("", []api.Credential{
		{Key: hToken, Kind: api.KindVerifik},
		{Key: hAPIKey, Kind: api.KindOkayFace},
		{Key: "quota-1", Kind: api.KindOkayFace, Quota: 1},
		{Key: "quota-1", Kind: api.KindVerifik, Quota: 1},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return api.NewServer(api.Config{
		Credentials:   creds,
		Logger:        slog.New(slog.NewJSONHandler(io.Discard, nil)),
		MaxBodyBytes:  1 << 18,
		MaxImageBytes: 1 << 16,
		MaxGallery:    4,
	}, &decodingVerifier{lim: imageio.Limits{MaxBytes: 1 << 16, MaxPixels: 1 << 18}})
}

// checkAnswer fails t unless rec is an allowed status with a JSON object
// body holding the contract's error fields (errKeys, any one of them) when
// it is not a 200.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder, allowed map[int]bool, errKeys ...string) {
	t.Helper()
	if !allowed[rec.Code] {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("status %d with Content-Type %q", rec.Code, ct)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || m == nil {
		t.Fatalf("status %d, body not a JSON object (%v): %q", rec.Code, err, rec.Body.Bytes())
	}
	for _, k := range errKeys {
		if _, ok := m[k].(string); ok {
			return
		}
	}
	if _, isErr := m["error"]; rec.Code != 200 || isErr {
		t.Fatalf("status %d without any of %v: %s", rec.Code, errKeys, rec.Body.Bytes())
	}
}

// FuzzVerifikRequest: any body and Authorization header to compare-live.
func FuzzVerifikRequest(f *testing.F) {
	jpg, pngData := realSeedImages(f)
	j64, p64 := b64(jpg), b64(pngData)
	for _, body := range []string{
		`{"probe":"` + j64 + `","gallery":["` + p64 + `"],"os":"ANDROID","search_mode":"FAST","liveness_min_score":0.6}`,
		`{"probe":"data:image/jpeg;base64,` + j64 + `","gallery":["` + j64 + `","` + p64 + `"],"search_mode":"ACCURATE","liveness_min_score":"0.7","compare_min_score":0.9}`,
		`{"probe":"` + j64[:len(j64)/2] + `","gallery":["` + p64 + `"],"search_mode":"FAST","liveness_min_score":0.6}`,
		`{"probe":"` + j64 + `","gallery":["a","b","c","d","e"],"search_mode":"FAST","liveness_min_score":0.6}`,
		`{"probe":"` + j64 + `","gallery":[],"search_mode":"SLOW","liveness_min_score":2}`,
		`[{"probe":1}]`, `null`, `{"probe":"\u0000"`,
	} {
		f.Add([]byte(body), "Bearer "+hToken)
	}
	f.Add([]byte(`{}`), "Bearer quota-1")
	f.Add([]byte(`{}`), "Basic "+hToken)
	f.Add([]byte(`{}`), "")
	h := fuzzServer(f)
	allowed := map[int]bool{200: true, 400: true, 401: true, 403: true, 409: true, 412: true, 413: true, 429: true, 503: true}
	f.Fuzz(func(t *testing.T, body []byte, auth string) {
		req := httptest.NewRequest("POST", pathVerifik, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" && !strings.ContainsAny(auth, "\r\n") {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		checkAnswer(t, rec, allowed, "message")
		if rec.Code != 200 {
			var m map[string]any
			json.Unmarshal(rec.Body.Bytes(), &m)
			if _, ok := m["code"].(string); !ok {
				t.Fatalf("status %d without a code: %s", rec.Code, rec.Body.Bytes())
			}
		}
	})
}

// FuzzOkayFaceRequest: any body under each content type OkayFace clients
// use (JSON, multipart with a fixed or fuzzed boundary, urlencoded, none).
func FuzzOkayFaceRequest(f *testing.F) {
	jpg, pngData := realSeedImages(f)
	j64, p64 := b64(jpg), b64(pngData)
	f.Add([]byte(`{"apiKey":"`+hAPIKey+`","imageIdCard":"`+j64+`","imageBest":"`+p64+`"}`), uint8(0))
	f.Add([]byte(`{"apiKey":"`+hAPIKey+`","imageIdCard":"data:image/png;base64,`+p64+`","imageBest":"`+j64[:len(j64)/3]+`"}`), uint8(0))
	f.Add(multipartRaw("B", []part{{name: "apiKey", data: []byte(hAPIKey)}, {name: "imageBest", filename: "best.jpg", data: jpg}, {name: "imageIdCard", filename: "id.png", data: pngData}}), uint8(1))
	f.Add(multipartRaw("B", []part{{name: "apiKey", data: []byte(hAPIKey)}, {name: "imageBest", data: []byte(j64)}, {name: "imageIdCard", filename: "id.txt", data: []byte(p64)}}), uint8(1))
	f.Add(multipartRaw("B", []part{{name: "apiKey", data: []byte("quota-1")}}), uint8(1))
	f.Add([]byte("apiKey="+hAPIKey+"&imageBest="+strings.ReplaceAll(j64, "+", "%2B")+"&imageIdCard="+strings.ReplaceAll(p64, "+", "%2B")), uint8(3))
	f.Add([]byte(`{"apiKey":"`+hAPIKey+`"}`), uint8(4))
	f.Add([]byte("B\r\n--B--"), uint8(2))
	h := fuzzServer(f)
	allowed := map[int]bool{200: true, 400: true, 401: true, 403: true, 413: true, 415: true, 429: true, 503: true}
	f.Fuzz(func(t *testing.T, body []byte, kind uint8) {
		ct := ""
		switch kind % 5 {
		case 0:
			ct = "application/json"
		case 1:
			ct = "multipart/form-data; boundary=B"
		case 2:
			// the boundary is the body's first line
			line, rest, _ := bytes.Cut(body, []byte("\r\n"))
			ct = `multipart/form-data; boundary="` + strings.ReplaceAll(string(line), `"`, "") + `"`
			body = rest
		case 3:
			ct = "application/x-www-form-urlencoded"
		}
		req := httptest.NewRequest("POST", pathOkayFace, bytes.NewReader(body))
		if ct != "" && !strings.ContainsAny(ct, "\r\n") {
			req.Header.Set("Content-Type", ct)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		checkAnswer(t, rec, allowed, "error", "message")
	})
}
