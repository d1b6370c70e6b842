package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/facegate/facegate/nets/face"
)

const unauthorized = `{"message":"Authentication required","code":"UNAUTHORIZED"}`

func TestVerifikAuth(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct {
		name, header string
		status       int
		body         string
	}{
		{"missing", "", 401, unauthorized},
		{"not bearer", "Basic " + tokGood, 401, unauthorized},
		{"empty bearer", "Bearer ", 401, unauthorized},
		{"two tokens", "Bearer " + tokGood + " x", 401, unauthorized},
		{"unknown", "Bearer tok-unknown", 401, unauthorized},
		{"okayface key as token", "Bearer " + keyGood, 401, unauthorized},
		{"prefix of a token", "Bearer " + tokGood[:5], 401, unauthorized},
		{"expired", "Bearer " + tokExpired, 403, `{"message":"token_expired","code":"FORBIDDEN"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/v2/face-recognition/compare-live", bodyReader(verifikBody(nil)))
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			wantBody(t, e.do(req), tc.status, tc.body)
		})
	}
	if n := e.fake.ncalls(); n != 0 {
		t.Errorf("verifier called %d times for unauthenticated requests", n)
	}
	// The scheme is case-insensitive.
	req := httptest.NewRequest("POST", "/v2/face-recognition/compare-live", bodyReader(verifikBody(nil)))
	req.Header.Set("Authorization", "bearer "+tokGood)
	if r := e.do(req); r.status != 200 {
		t.Errorf("lower-case scheme: %d %s", r.status, r.body)
	}
}

func TestVerifikQuota(t *testing.T) {
	e := newEnv(t, nil)
	if r := e.verifik(tokQuota, verifikBody(nil)); r.status != 200 {
		t.Fatalf("first call: %d %s", r.status, r.body)
	}
	wantBody(t, e.verifik(tokQuota, verifikBody(nil)), 429, `{"message":"quota_exceeded","code":"TOO_MANY_REQUESTS"}`)
}

// TestVerifikValidation covers every field rule with Joi's wording.
func TestVerifikValidation(t *testing.T) {
	e := newEnv(t, nil)
	del := func(k string) func(map[string]any) { return func(m map[string]any) { delete(m, k) } }
	set := func(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
	eleven := make([]any, 11)
	for i := range eleven {
		eleven[i] = jpeg64
	}
	for _, tc := range []struct {
		edit func(map[string]any)
		msg  string
	}{
		{del("probe"), `"probe" is required`},
		{set("probe", nil), `"probe" must be a string`},
		{set("probe", 12), `"probe" must be a string`},
		{set("probe", ""), `"probe" is not allowed to be empty`},
		{del("gallery"), `"gallery" is required`},
		{set("gallery", jpeg64), `"gallery" must be an array`},
		{set("gallery", nil), `"gallery" must be an array`},
		{set("gallery", []any{}), `"gallery" must contain at least 1 items`},
		{set("gallery", eleven), `"gallery" must contain less than or equal to 10 items`},
		{set("gallery", []any{jpeg64, 5}), `"gallery[1]" must be a string`},
		{set("gallery", []any{""}), `"gallery[0]" is not allowed to be empty`},
		{set("os", "WINDOWS"), `"os" must be one of [DESKTOP, IOS, ANDROID]`},
		{set("os", "desktop"), `"os" must be one of [DESKTOP, IOS, ANDROID]`},
		{del("search_mode"), `"search_mode" is required`},
		{set("search_mode", "fast"), `"search_mode" must be one of [FAST, ACCURATE]`},
		{set("search_mode", 1), `"search_mode" must be one of [FAST, ACCURATE]`},
		{del("liveness_min_score"), `"liveness_min_score" is required`},
		{set("liveness_min_score", 0.5), `"liveness_min_score" must be greater than or equal to 0.52`},
		{set("liveness_min_score", -1), `"liveness_min_score" must be greater than or equal to 0.52`},
		{set("liveness_min_score", 1.01), `"liveness_min_score" must be less than or equal to 1`},
		{set("liveness_min_score", "high"), `"liveness_min_score" must be a number`},
		{set("liveness_min_score", true), `"liveness_min_score" must be a number`},
		{set("liveness_min_score", nil), `"liveness_min_score" must be a number`},
		{set("liveness_min_score", ""), `"liveness_min_score" must be a number`},
		{set("compare_min_score", 0.66), `"compare_min_score" must be greater than or equal to 0.67`},
		{set("compare_min_score", 0.96), `"compare_min_score" must be less than or equal to 0.95`},
		{set("compare_min_score", []any{}), `"compare_min_score" must be a number`},
		// The first failing field in schema order is reported.
		{func(m map[string]any) { delete(m, "search_mode"); delete(m, "probe") }, `"probe" is required`},
	} {
		t.Run(tc.msg, func(t *testing.T) {
			body := fmt.Sprintf(`{"message":%q,"code":"MissingParameter"}`, tc.msg)
			wantBody(t, e.verifik(tokGood, verifikBody(tc.edit)), 409, body)
		})
	}
	wantBody(t, e.verifik(tokGood, `[1,2]`), 409, `{"message":"\"value\" must be of type object","code":"MissingParameter"}`)
	wantBody(t, e.verifik(tokGood, `null`), 409, `{"message":"\"value\" must be of type object","code":"MissingParameter"}`)
	wantBody(t, e.verifik(tokGood, `{"probe":`), 400, `{"message":"invalid_json","code":"ERROR"}`)
	wantBody(t, e.verifik(tokGood, `{} {}`), 400, `{"message":"invalid_json","code":"ERROR"}`)
	if n := e.fake.ncalls(); n != 0 {
		t.Errorf("verifier called %d times for invalid requests", n)
	}
}

func TestVerifikAcceptedVariants(t *testing.T) {
	e := newEnv(t, nil)
	for name, edit := range map[string]func(map[string]any){
		"numeric strings (Joi converts)": func(m map[string]any) { m["liveness_min_score"] = "0.6"; m["compare_min_score"] = "0.9" },
		"bounds inclusive":               func(m map[string]any) { m["liveness_min_score"] = 0.52; m["compare_min_score"] = 0.95 },
		"upper bounds":                   func(m map[string]any) { m["liveness_min_score"] = 1; m["compare_min_score"] = 0.67 },
		"no os, no compare_min_score":    func(m map[string]any) { delete(m, "os"); delete(m, "compare_min_score") },
		"data URI":                       func(m map[string]any) { m["probe"] = "data:image/jpeg;base64," + jpeg64 },
		"unknown fields ignored":         func(m map[string]any) { m["extra"] = map[string]any{"x": 1} },
		"ten gallery images": func(m map[string]any) {
			g := make([]any, 10)
			for i := range g {
				g[i] = png64
			}
			m["gallery"] = g
		},
	} {
		t.Run(name, func(t *testing.T) {
			if r := e.verifik(tokGood, verifikBody(edit)); r.status != 200 {
				t.Errorf("%d %s", r.status, r.body)
			}
		})
	}
}

func TestVerifikSuccess(t *testing.T) {
	e := newEnv(t, nil)
	r := e.verifik(tokGood, verifikBody(func(m map[string]any) {
		m["search_mode"] = "FAST"
		m["gallery"] = []any{png64, jpeg64}
		m["os"] = "IOS"
	}))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	call := e.fake.lastCall(t)
	if string(call.probe) != string(jpegBytes) || len(call.gallery) != 2 || string(call.gallery[0]) != string(pngBytes) {
		t.Error("images not passed through decoded")
	}
	want := face.Options{Mode: face.Fast, Liveness: true, LivenessThreshold: 0.6, CompareThreshold: 0.85, ProbeFaces: face.Largest, GalleryFaces: face.Largest}
	if call.opt != want {
		t.Errorf("options %+v, want %+v", call.opt, want)
	}
	m := r.json(t)
	if id, _ := m["id"].(string); !regexp.MustCompile(`^[A-Z0-9]{5}$`).MatchString(id) {
		t.Errorf("id %q", m["id"])
	}
	sig := m["signature"].(map[string]any)
	if sig["dateTime"] != "November 22, 2026 3:13 AM" || sig["message"] != "Certified by facegate" {
		t.Errorf("signature %v", sig)
	}
	d := m["data"].(map[string]any)
	live := map[string]any{"liveness_score": 0.97, "min_score": 0.6, "passed": true}
	checks := map[string]any{
		"score": 0.91, "passed": true, "compare_min_score": 0.85, "liveness_min_score": 0.6,
		"search_mode": "FAST", "os": "IOS",
	}
	for k, v := range checks {
		if d[k] != v {
			t.Errorf("data.%s = %v, want %v", k, d[k], v)
		}
	}
	lv := d["liveness"].(map[string]any)
	for k, v := range live {
		if lv[k] != v || lv["result"].(map[string]any)[k] != v {
			t.Errorf("liveness.%s = %v / result %v, want %v", k, lv[k], lv["result"], v)
		}
	}
	if s := d["comparison"].(map[string]any)["result"].(map[string]any)["score"]; s != 0.91 {
		t.Errorf("comparison.result.score %v", s)
	}
	res := d["result"].(map[string]any)
	if res["score"] != 0.91 || res["liveness_score"] != 0.97 || res["passed"] != true {
		t.Errorf("result %v", res)
	}
	fg := d["facegate"].(map[string]any)
	if fg["mode"] != "fast" || len(fg["matches"].([]any)) != 2 || len(fg["timings"].([]any)) != 4 {
		t.Errorf("facegate %v", fg)
	}
	if img := fg["matches"].([]any)[1].(map[string]any)["image"]; img != "gallery[1]" {
		t.Errorf("matches[1].image %v", img)
	}
	if lm := fg["probe"].(map[string]any)["landmarks"].([]any); len(lm) != 5 {
		t.Errorf("landmarks %v", lm)
	}
	if fg["request_id"] != r.header.Get("X-Request-Id") {
		t.Errorf("facegate.request_id %v, header %q", fg["request_id"], r.header.Get("X-Request-Id"))
	}
	// ACCURATE maps to face.Accurate.
	e.verifik(tokGood, verifikBody(nil))
	if e.fake.lastCall(t).opt.Mode != face.Accurate {
		t.Error("ACCURATE did not select face.Accurate")
	}
}

// TestVerifikPassed checks data.passed = score ≥ compare_min_score AND
// liveness passed, and that a liveness failure is a 200.
func TestVerifikPassed(t *testing.T) {
	for _, tc := range []struct {
		name      string
		score     float64
		liveProb  float64
		livePass  bool
		compare   float64
		liveMin   float64
		passed    bool
		livenessP bool
	}{
		{"both pass", 0.9, 0.9, true, 0.85, 0.6, true, true},
		{"score at threshold", 0.85, 0.9, true, 0.85, 0.6, true, true},
		{"score below", 0.84, 0.9, true, 0.85, 0.6, false, true},
		{"liveness fails", 0.95, 0.3, false, 0.85, 0.6, false, false},
		{"pipeline says live but below client min", 0.95, 0.7, true, 0.85, 0.8, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			res := goodResult(1)
			res.Score, res.Liveness.Probability, res.Liveness.Passed = tc.score, tc.liveProb, tc.livePass
			if !tc.livePass {
				res.Liveness.Outcome = face.Spoof
			}
			e.fake.result = res
			r := e.verifik(tokGood, verifikBody(func(m map[string]any) {
				m["compare_min_score"], m["liveness_min_score"] = tc.compare, tc.liveMin
			}))
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			d := r.json(t)["data"].(map[string]any)
			if d["passed"] != tc.passed || d["result"].(map[string]any)["passed"] != tc.passed {
				t.Errorf("passed %v, want %v", d["passed"], tc.passed)
			}
			if lp := d["liveness"].(map[string]any)["passed"]; lp != tc.livenessP {
				t.Errorf("liveness.passed %v, want %v", lp, tc.livenessP)
			}
		})
	}
}

func TestVerifikImageErrors(t *testing.T) {
	notB64 := `{"message":"only_images_in_base64","code":"ERROR"}`
	tooLarge := `{"message":"payload_too_large","code":"ERROR"}`
	for _, tc := range []struct {
		name   string
		edit   func(map[string]any)
		err    error
		status int
		body   string
	}{
		{"probe not base64", func(m map[string]any) { m["probe"] = "not base64!" }, nil, 412, notB64},
		{"gallery not base64", func(m map[string]any) { m["gallery"] = []any{jpeg64, "%%%"} }, nil, 412, notB64},
		{"data URI not base64", func(m map[string]any) { m["probe"] = "data:image/jpeg," + jpeg64 }, nil, 412, notB64},
		{"undecodable", nil, &face.ImageError{Image: "gallery[0]", Err: face.ErrNotImage}, 412, notB64},
		{"unsupported format", nil, &face.ImageError{Image: "probe", Err: face.ErrFormat}, 412, notB64},
		{"no face in probe", nil, &face.ImageError{Image: "probe", Err: face.ErrNoFace}, 412, `{"message":"face_not_found","code":"ERROR","image":"probe"}`},
		{"no face in gallery", nil, &face.ImageError{Image: "gallery", Err: face.ErrNoFace}, 412, `{"message":"face_not_found","code":"ERROR","image":"gallery"}`},
		{"unwrapped no face", nil, face.ErrNoFace, 412, `{"message":"face_not_found","code":"ERROR","image":"probe"}`},
		{"too many faces", nil, &face.ImageError{Image: "probe", Err: face.ErrTooManyFaces}, 412, `{"message":"too_many_faces","code":"ERROR","image":"probe"}`},
		{"pixels over limit", nil, &face.ImageError{Image: "probe", Err: face.ErrImageTooLarge}, 413, tooLarge},
		{"image bytes over limit", func(m map[string]any) { m["gallery"] = []any{strings.Repeat("A", 5000)} }, nil, 413, tooLarge},
		{"unexpected", nil, errors.New("engine exploded"), 500, `{"message":"internal_error","code":"ERROR"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.MaxImageBytes = 3000 })
			e.fake.err = tc.err
			wantBody(t, e.verifik(tokGood, verifikBody(tc.edit)), tc.status, tc.body)
		})
	}
}

func TestVerifikBodyTooLarge(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxBodyBytes = 1000 })
	wantBody(t, e.verifik(tokGood, verifikBody(nil)), 413, `{"message":"payload_too_large","code":"ERROR"}`)
	// Without a Content-Length the limit still holds while reading.
	req := httptest.NewRequest("POST", "/v2/face-recognition/compare-live", bodyReader(verifikBody(nil)))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+tokGood)
	wantBody(t, e.do(req), 413, `{"message":"payload_too_large","code":"ERROR"}`)
}

func TestVerifikPanicIs500(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.panic = true
	wantBody(t, e.verifik(tokGood, verifikBody(nil)), 500, `{"message":"internal_error","code":"ERROR"}`)
	if !strings.Contains(e.logs.String(), "fake verifier panic") {
		t.Error("panic not logged")
	}
}

func TestVerifikMethodAndPath(t *testing.T) {
	e := newEnv(t, nil)
	if r := e.do(httptest.NewRequest("GET", "/v2/face-recognition/compare-live", nil)); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", r.status)
	}
	wantBody(t, e.do(httptest.NewRequest("POST", "/v2/face-recognition/compare", nil)), 404, `{"message":"not_found","code":"ERROR"}`)
}

func TestVerifikIDs(t *testing.T) {
	seen := map[string]bool{}
	re := regexp.MustCompile(`^[A-Z0-9]{5}$`)
	for i := 0; i < 2000; i++ {
		id := verifikID()
		if !re.MatchString(id) {
			t.Fatalf("id %q", id)
		}
		seen[id] = true
	}
	// 2000 draws from 36^5 collide with probability ≈ 3%; allow a few.
	if len(seen) < 1995 {
		t.Errorf("only %d distinct ids in 2000", len(seen))
	}
}
