package api

import (
	"bytes"
	"encoding/base64"
	"math"
	"mime/multipart"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/facegate/facegate/nets/face"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestOkayFaceErrors(t *testing.T) {
	del := func(k string) func(map[string]any) { return func(m map[string]any) { delete(m, k) } }
	set := func(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
	missingImage := `{"error":"MISSING_ARGUMENTS: imageIdCard or imageBest","request_id":null}`
	photo := `{"error":"Photo format error","request_id":null}`
	for _, tc := range []struct {
		name   string
		edit   func(map[string]any)
		err    error
		status int
		body   string
	}{
		{"apiKey missing", del("apiKey"), nil, 400, `{"error":"MISSING_ARGUMENT: apiKey","request_id":null}`},
		{"apiKey empty", set("apiKey", ""), nil, 400, `{"error":"MISSING_ARGUMENT: apiKey","request_id":null}`},
		{"apiKey not a string", set("apiKey", 42), nil, 400, `{"error":"MISSING_ARGUMENT: apiKey","request_id":null}`},
		{"apiKey unknown", set("apiKey", "nope"), nil, 401, `{"error":"INVALID_API_KEY","request_id":null}`},
		{"verifik token as apiKey", set("apiKey", tokGood), nil, 401, `{"error":"INVALID_API_KEY","request_id":null}`},
		{"apiKey expired", set("apiKey", keyExpired), nil, 403, `{"status":"error","message":"API_KEY_EXPIRED","result":null}`},
		{"imageIdCard missing", del("imageIdCard"), nil, 400, missingImage},
		{"imageBest missing", del("imageBest"), nil, 400, missingImage},
		{"imageBest empty", set("imageBest", ""), nil, 400, missingImage},
		{"image over the limit", set("imageBest", base64.StdEncoding.EncodeToString(make([]byte, 5000))), nil, 413, `{"error":"PAYLOAD_TOO_LARGE"}`},
		{"gif", set("imageIdCard", gif64), nil, 415, photo},
		{"not base64", set("imageBest", "***"), nil, 415, photo},
		{"not an image", set("imageBest", base64.StdEncoding.EncodeToString([]byte("hello world"))), nil, 415, photo},
		{"undecodable", nil, &face.ImageError{Image: "probe", Err: face.ErrNotImage}, 415, photo},
		{"pixels over limit", nil, &face.ImageError{Image: "gallery[0]", Err: face.ErrImageTooLarge}, 413, `{"error":"PAYLOAD_TOO_LARGE"}`},
		{"unexpected", nil, errNotBase64, 500, `{"error":"INTERNAL_ERROR","request_id":null}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.MaxImageBytes = 3000 })
			e.fake.err = tc.err
			wantBody(t, e.okay(okayBody(tc.edit)), tc.status, tc.body)
		})
	}
}

func TestOkayFaceQuota(t *testing.T) {
	e := newEnv(t, nil)
	body := okayBody(func(m map[string]any) { m["apiKey"] = keyQuota })
	if r := e.okay(body); r.status != 200 {
		t.Fatalf("first call: %d %s", r.status, r.body)
	}
	wantBody(t, e.okay(body), 429, `{"status":"error","message":"MAX_API_CALL_EXCEEDED","result":null}`)
}

func TestOkayFaceMalformed(t *testing.T) {
	e := newEnv(t, nil)
	wantBody(t, e.okay(`{"apiKey":`), 400, `{"error":"MALFORMED_REQUEST","request_id":null}`)
	wantBody(t, e.okay(`[]`), 400, `{"error":"MALFORMED_REQUEST","request_id":null}`)
	e2 := newEnv(t, func(c *Config) { c.MaxBodyBytes = 100 })
	wantBody(t, e2.okay(okayBody(nil)), 413, `{"error":"PAYLOAD_TOO_LARGE"}`)
}

// TestOkayFaceFaceOutcomes: face outcomes are 200s carrying a code and a
// fresh request id.
func TestOkayFaceFaceOutcomes(t *testing.T) {
	small := goodResult(1)
	small.Probe.Quality.Checks = append(small.Probe.Quality.Checks,
		face.Check{Name: "face_size", Value: 120, Threshold: 180, Passed: false, Code: "FACE_TOO_SMALL"},
		face.Check{Name: "yaw", Value: 30, Threshold: 20, Passed: false, Code: "FACE_ANGLE_TOO_LARGE"},
		face.Check{Name: "blur", Value: 3, Threshold: 40, Passed: false})
	border := goodResult(1)
	border.Liveness = face.Liveness{Outcome: face.InsufficientContext, Probability: 0.8}
	border.Probe.Quality.Checks = append(border.Probe.Quality.Checks,
		face.Check{Name: "face_size", Value: 120, Threshold: 180, Passed: false, Code: "FACE_TOO_SMALL"},
		face.Check{Name: "face_fraction", Value: 0.9, Threshold: 0.8, Passed: false, Code: "FACE_TOO_CLOSE"})
	noCode := goodResult(1)
	noCode.Liveness = face.Liveness{Outcome: face.InsufficientContext, Probability: 0.8}
	for _, tc := range []struct {
		name   string
		strict bool
		err    error
		res    *face.Result
		code   string
		image  string
	}{
		{"no face in selfie", false, &face.ImageError{Image: "probe", Err: face.ErrNoFace}, nil, "FACE_NOT_FOUND", "imageBest"},
		{"no face on card", false, &face.ImageError{Image: "gallery[0]", Err: face.ErrNoFace}, nil, "FACE_NOT_FOUND", "imageIdCard"},
		{"several faces", false, &face.ImageError{Image: "probe", Err: face.ErrTooManyFaces}, nil, "TOO_MANY_FACES", "imageBest"},
		{"liveness impossible: its code", false, nil, border, "FACE_TOO_CLOSE", ""},
		{"liveness impossible, no coded check", false, nil, noCode, "FACE_CLOSE_TO_BORDER", ""},
		{"strict: first coded check", true, nil, small, "FACE_TOO_SMALL", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.OkayFaceQualityErrors = tc.strict })
			e.fake.err, e.fake.result = tc.err, tc.res
			r := e.okay(okayBody(nil))
			if r.status != 200 {
				t.Fatalf("status %d %s", r.status, r.body)
			}
			m := r.json(t)
			if m["error"] != tc.code {
				t.Errorf("error %v, want %s", m["error"], tc.code)
			}
			if id, _ := m["request_id"].(string); !uuidV4.MatchString(id) {
				t.Errorf("request_id %v", m["request_id"])
			}
			fg := m["facegate"].(map[string]any)
			if tc.image != "" && fg["image"] != tc.image {
				t.Errorf("facegate.image %v, want %s", fg["image"], tc.image)
			}
		})
	}
}

// TestOkayFaceQualityNotStrict: by default failed quality checks with codes
// are reported, not turned into errors, while liveness could be judged.
func TestOkayFaceQualityNotStrict(t *testing.T) {
	e := newEnv(t, nil)
	res := goodResult(1)
	res.Probe.Quality.Probability = 0.02
	res.Probe.Quality.Checks = append(res.Probe.Quality.Checks,
		face.Check{Name: "face_size", Value: 120, Threshold: 180, Passed: false, Code: "FACE_TOO_SMALL"},
		face.Check{Name: "yaw", Value: 30, Threshold: 20, Passed: false, Code: "FACE_ANGLE_TOO_LARGE"})
	e.fake.result = res
	m := e.okay(okayBody(nil)).json(t)
	if _, isErr := m["error"]; isErr {
		t.Fatalf("refused: %v", m)
	}
	if q := m["imageBestLiveness"].(map[string]any)["quality"]; q != 0.02 {
		t.Errorf("quality %v", q)
	}
	if f := m["facegate"].(map[string]any)["failed_checks"].([]any); len(f) != 2 || f[0] != "FACE_TOO_SMALL" || f[1] != "FACE_ANGLE_TOO_LARGE" {
		t.Errorf("failed_checks %v", f)
	}
}

func TestOkayFaceSuccess(t *testing.T) {
	e := newEnv(t, nil)
	r := e.okay(okayBody(nil))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	call := e.fake.lastCall(t)
	if !bytes.Equal(call.probe, pngBytes) || len(call.gallery) != 1 || !bytes.Equal(call.gallery[0], jpegBytes) {
		t.Error("imageBest must be the probe and imageIdCard the gallery")
	}
	want := face.Options{Mode: face.Accurate, Liveness: true, LivenessThreshold: 0.5, CompareThreshold: 0.75, ProbeFaces: face.RejectMulti, GalleryFaces: face.Largest}
	if call.opt != want {
		t.Errorf("options %+v, want %+v", call.opt, want)
	}
	m := r.json(t)
	if id, _ := m["request_id"].(string); !uuidV4.MatchString(id) {
		t.Errorf("request_id %v", m["request_id"])
	}
	live := m["imageBestLiveness"].(map[string]any)
	if live["probability"] != 0.97 || live["quality"] != 0.97 {
		t.Errorf("imageBestLiveness %v", live)
	}
	if s := live["score"].(float64); math.Abs(s-math.Log(0.97/0.03)) > 1e-12 {
		t.Errorf("score %v, want ln(p/(1-p))", s)
	}
	if c := m["result_idcard"].(map[string]any)["confidence"].(float64); math.Abs(c-91) > 1e-9 {
		t.Errorf("confidence %v, want 91", c)
	}
	if _, ok := m["facegate"].(map[string]any); !ok {
		t.Error("no facegate block")
	}
	if _, ok := m["error"]; ok {
		t.Error("success carries an error field")
	}
}

func TestLogitClipped(t *testing.T) {
	lim := math.Log(1e7)
	for _, tc := range []struct{ p, want float64 }{
		{0.5, 0}, {1, lim}, {0, -lim}, {1 - 1e-12, lim}, {1e-12, -lim}, {math.NaN(), -lim}, {2, lim}, {-1, -lim},
		{0.9, math.Log(9)},
	} {
		if got := logit(tc.p); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("logit(%v) = %v, want %v", tc.p, got, tc.want)
		}
	}
}

func TestOkayFaceErrors200(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.OkayFaceErrors200 = true })
	wantBody(t, e.okay(okayBody(func(m map[string]any) { m["apiKey"] = "nope" })), 200, `{"error":"INVALID_API_KEY","request_id":null}`)
	wantBody(t, e.okay(okayBody(func(m map[string]any) { m["apiKey"] = keyExpired })), 200, `{"status":"error","message":"API_KEY_EXPIRED","result":null}`)
	wantBody(t, e.okay(okayBody(func(m map[string]any) { delete(m, "imageBest") })), 200, `{"error":"MISSING_ARGUMENTS: imageIdCard or imageBest","request_id":null}`)
	// The switch is OkayFace's only: Verifik keeps its statuses.
	if r := e.verifik("", verifikBody(nil)); r.status != 401 {
		t.Errorf("verifik status %d", r.status)
	}
}

// multipartBody builds a form: values are text fields; files are file parts.
func multipartBody(t *testing.T, values map[string]string, files map[string][]byte) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range values {
		mw.WriteField(k, v)
	}
	for k, data := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+k+`"; filename="`+k+`.jpg"`)
		h.Set("Content-Type", "image/jpeg")
		w, _ := mw.CreatePart(h)
		w.Write(data)
	}
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

func TestOkayFaceMultipart(t *testing.T) {
	big := append(append([]byte{}, jpegBytes...), make([]byte, 4000)...)
	for _, tc := range []struct {
		name   string
		values map[string]string
		files  map[string][]byte
		status int
		body   string // "" for success
	}{
		{"files", map[string]string{"apiKey": keyGood}, map[string][]byte{"imageIdCard": jpegBytes, "imageBest": pngBytes}, 200, ""},
		{"text fields", map[string]string{"apiKey": keyGood, "imageIdCard": jpeg64, "imageBest": png64}, nil, 200, ""},
		{"mixed, extra field", map[string]string{"apiKey": keyGood, "imageIdCard": jpeg64, "other": "x"}, map[string][]byte{"imageBest": pngBytes}, 200, ""},
		{"file holding base64", map[string]string{"apiKey": keyGood}, map[string][]byte{"imageIdCard": []byte(jpeg64), "imageBest": pngBytes}, 200, ""},
		{"no apiKey", nil, map[string][]byte{"imageIdCard": jpegBytes, "imageBest": pngBytes}, 400, `{"error":"MISSING_ARGUMENT: apiKey","request_id":null}`},
		{"unknown apiKey", map[string]string{"apiKey": "nope"}, map[string][]byte{"imageIdCard": jpegBytes, "imageBest": pngBytes}, 401, `{"error":"INVALID_API_KEY","request_id":null}`},
		{"missing image", map[string]string{"apiKey": keyGood}, map[string][]byte{"imageIdCard": jpegBytes}, 400, `{"error":"MISSING_ARGUMENTS: imageIdCard or imageBest","request_id":null}`},
		{"empty file", map[string]string{"apiKey": keyGood}, map[string][]byte{"imageIdCard": jpegBytes, "imageBest": {}}, 400, `{"error":"MISSING_ARGUMENTS: imageIdCard or imageBest","request_id":null}`},
		{"file too large", map[string]string{"apiKey": keyGood}, map[string][]byte{"imageIdCard": big, "imageBest": pngBytes}, 413, `{"error":"PAYLOAD_TOO_LARGE"}`},
		// Authentication is answered before the size of an image.
		{"file too large, bad key", map[string]string{"apiKey": "nope"}, map[string][]byte{"imageIdCard": big, "imageBest": pngBytes}, 401, `{"error":"INVALID_API_KEY","request_id":null}`},
		{"gif file", map[string]string{"apiKey": keyGood}, map[string][]byte{"imageIdCard": gifBytes, "imageBest": pngBytes}, 415, `{"error":"Photo format error","request_id":null}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.MaxImageBytes = 3000 })
			ct, body := multipartBody(t, tc.values, tc.files)
			req := httptest.NewRequest("POST", "/api/faceid/v2-2/verify", bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			r := e.do(req)
			if tc.body == "" {
				if r.status != 200 || r.json(t)["request_id"] == nil {
					t.Fatalf("%d %s", r.status, r.body)
				}
				call := e.fake.lastCall(t)
				if !bytes.Equal(call.probe, pngBytes) || !bytes.Equal(call.gallery[0], jpegBytes) {
					t.Error("images not passed through")
				}
				return
			}
			wantBody(t, r, tc.status, tc.body)
		})
	}
}

func TestOkayFaceMultipartBodyLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxBodyBytes = 2000 })
	ct, body := multipartBody(t, map[string]string{"apiKey": keyGood, "pad": strings.Repeat("x", 5000)}, nil)
	req := httptest.NewRequest("POST", "/api/faceid/v2-2/verify", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.ContentLength = -1
	wantBody(t, e.do(req), 413, `{"error":"PAYLOAD_TOO_LARGE"}`)
	req = httptest.NewRequest("POST", "/api/faceid/v2-2/verify", strings.NewReader("--x\r\nbroken"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	wantBody(t, e.do(req), 400, `{"error":"MALFORMED_REQUEST","request_id":null}`)
}

func TestOkayFaceURLEncoded(t *testing.T) {
	e := newEnv(t, nil)
	form := url.Values{"apiKey": {keyGood}, "imageIdCard": {jpeg64}, "imageBest": {png64}}
	req := httptest.NewRequest("POST", "/api/faceid/v2-2/verify", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := e.do(req); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// A client's X-Request-Id that is a UUID becomes the body's request_id.
func TestOkayFaceRequestIDFromHeader(t *testing.T) {
	e := newEnv(t, nil)
	id := "0f8fad5b-d9cb-469f-a165-70867728950e"
	req := httptest.NewRequest("POST", "/api/faceid/v2-2/verify", bodyReader(okayBody(nil)))
	req.Header.Set("X-Request-Id", id)
	r := e.do(req)
	if r.json(t)["request_id"] != id || r.header.Get("X-Request-Id") != id {
		t.Errorf("request_id %v, header %q", r.json(t)["request_id"], r.header.Get("X-Request-Id"))
	}
}

func TestOkayFaceRequestIDNotV4(t *testing.T) {
	e := newEnv(t, nil)
	for _, id := range []string{"0f8fad5b-d9cb-169f-a165-70867728950e", "client-77"} {
		req := httptest.NewRequest("POST", "/api/faceid/v2-2/verify", bodyReader(okayBody(nil)))
		req.Header.Set("X-Request-Id", id)
		r := e.do(req)
		if got, _ := r.json(t)["request_id"].(string); got == id || !uuidV4.MatchString(got) {
			t.Errorf("X-Request-Id %q: body request_id %q", id, got)
		}
		if r.header.Get("X-Request-Id") != id {
			t.Errorf("X-Request-Id not echoed")
		}
	}
}

func TestFormFields(t *testing.T) {
	junk := strings.Repeat("x=1&", 100000)
	got, err := formFields(junk+"apiKey=k%2B1&imageBest=a+b&apiKey=second&imageIdCard=", "apiKey", "imageIdCard", "imageBest")
	if err != nil || got["apiKey"] != "k+1" || got["imageBest"] != "a b" || got["imageIdCard"] != "" || len(got) != 3 {
		t.Errorf("%v, %v", got, err)
	}
	if _, err := formFields("apiKey=%zz", "apiKey"); err == nil {
		t.Error("bad escape accepted")
	}
}
