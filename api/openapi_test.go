package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/facegate/facegate/api/internal/jsonschema"
	"github.com/facegate/facegate/nets/face"
)

type schemaValidator struct{ *jsonschema.Validator }

func loadOpenAPI(t *testing.T) schemaValidator {
	t.Helper()
	v, err := jsonschema.New(OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	if v.Doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi version %v", v.Doc["openapi"])
	}
	return schemaValidator{v}
}

// responseSchema is the documented schema for a status, which must exist.
func (v schemaValidator) responseSchema(t *testing.T, path, method string, status int) map[string]any {
	t.Helper()
	schema := v.ResponseSchema(path, method, status)
	if schema == nil {
		t.Fatalf("%s %s: status %d not documented", method, path, status)
	}
	return schema
}

func (v schemaValidator) check(t *testing.T, path, method string, r response) {
	t.Helper()
	var x any
	if err := json.Unmarshal(r.body, &x); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	for _, e := range v.Validate(v.responseSchema(t, path, method, r.status), x, "body") {
		t.Errorf("%s %d: %s", path, r.status, e)
	}
}

// TestOpenAPIResponses validates real responses of every documented status
// against openapi.json.
func TestOpenAPIResponses(t *testing.T) {
	v := loadOpenAPI(t)
	const vp, op = "/v2/face-recognition/compare-live", "/api/faceid/v2-2/verify"
	quality := goodResult(1)
	quality.Liveness = face.Liveness{Outcome: face.InsufficientContext, Probability: 0.7}
	quality.Probe.Quality.Checks = append(quality.Probe.Quality.Checks, face.Check{Name: "border", Value: 0.01, Threshold: 0.05, Code: "FACE_CLOSE_TO_BORDER"})
	seen := map[string]bool{}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		err  error
		res  *face.Result
		do   func(e *testEnv) response
		path string
	}{
		{name: "verifik ok", path: vp, do: func(e *testEnv) response { return e.verifik(tokGood, verifikBody(nil)) }},
		{name: "verifik ok, 10 images, no os", path: vp, do: func(e *testEnv) response {
			return e.verifik(tokGood, verifikBody(func(m map[string]any) {
				delete(m, "os")
				m["gallery"] = []any{jpeg64, jpeg64, jpeg64, jpeg64, jpeg64, jpeg64, jpeg64, jpeg64, jpeg64, jpeg64}
			}))
		}},
		{name: "verifik 400", path: vp, do: func(e *testEnv) response { return e.verifik(tokGood, "{") }},
		{name: "verifik 401", path: vp, do: func(e *testEnv) response { return e.verifik("", verifikBody(nil)) }},
		{name: "verifik 403", path: vp, do: func(e *testEnv) response { return e.verifik(tokExpired, verifikBody(nil)) }},
		{name: "verifik 409", path: vp, do: func(e *testEnv) response { return e.verifik(tokGood, `{}`) }},
		{name: "verifik 412 face", path: vp, err: &face.ImageError{Image: "probe", Err: face.ErrNoFace}, do: func(e *testEnv) response { return e.verifik(tokGood, verifikBody(nil)) }},
		{name: "verifik 412 base64", path: vp, do: func(e *testEnv) response {
			return e.verifik(tokGood, verifikBody(func(m map[string]any) { m["probe"] = "!" }))
		}},
		{name: "verifik 413", path: vp, edit: func(c *Config) { c.MaxBodyBytes = 10 }, do: func(e *testEnv) response { return e.verifik(tokGood, verifikBody(nil)) }},
		{name: "verifik 429", path: vp, do: func(e *testEnv) response {
			e.verifik(tokQuota, verifikBody(nil))
			return e.verifik(tokQuota, verifikBody(nil))
		}},
		{name: "verifik 500", path: vp, err: errNotBase64, do: func(e *testEnv) response { return e.verifik(tokGood, verifikBody(nil)) }},
		{name: "verifik 503", path: vp, edit: func(c *Config) { c.Ready = func() bool { return false } }, do: func(e *testEnv) response { return e.verifik(tokGood, verifikBody(nil)) }},
		{name: "okayface ok", path: op, do: func(e *testEnv) response { return e.okay(okayBody(nil)) }},
		{name: "okayface face outcome", path: op, err: &face.ImageError{Image: "probe", Err: face.ErrTooManyFaces}, do: func(e *testEnv) response { return e.okay(okayBody(nil)) }},
		{name: "okayface quality code", path: op, res: quality, do: func(e *testEnv) response { return e.okay(okayBody(nil)) }},
		{name: "okayface 400", path: op, do: func(e *testEnv) response { return e.okay(`{}`) }},
		{name: "okayface 401", path: op, do: func(e *testEnv) response {
			return e.okay(okayBody(func(m map[string]any) { m["apiKey"] = "x" }))
		}},
		{name: "okayface 403", path: op, do: func(e *testEnv) response {
			return e.okay(okayBody(func(m map[string]any) { m["apiKey"] = keyExpired }))
		}},
		{name: "okayface 413", path: op, edit: func(c *Config) { c.MaxImageBytes = 10 }, do: func(e *testEnv) response { return e.okay(okayBody(nil)) }},
		{name: "okayface 415", path: op, do: func(e *testEnv) response {
			return e.okay(okayBody(func(m map[string]any) { m["imageBest"] = base64.StdEncoding.EncodeToString([]byte("GIF89a....")) }))
		}},
		{name: "okayface 429", path: op, do: func(e *testEnv) response {
			e.okay(okayBody(func(m map[string]any) { m["apiKey"] = keyQuota }))
			return e.okay(okayBody(func(m map[string]any) { m["apiKey"] = keyQuota }))
		}},
		{name: "okayface 500", path: op, err: errNotBase64, do: func(e *testEnv) response { return e.okay(okayBody(nil)) }},
		{name: "okayface 503", path: op, edit: func(c *Config) { c.Ready = func() bool { return false } }, do: func(e *testEnv) response { return e.okay(okayBody(nil)) }},
		{name: "readyz 200", path: "/readyz", do: func(e *testEnv) response { return e.do(httptest.NewRequest("GET", "/readyz", nil)) }},
		{name: "readyz 503", path: "/readyz", edit: func(c *Config) { c.Ready = func() bool { return false } }, do: func(e *testEnv) response { return e.do(httptest.NewRequest("GET", "/readyz", nil)) }},
		{name: "healthz", path: "/healthz", do: func(e *testEnv) response { return e.do(httptest.NewRequest("GET", "/healthz", nil)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.edit)
			e.fake.err, e.fake.result = tc.err, tc.res
			r := tc.do(e)
			method := "post"
			if !strings.HasPrefix(tc.path, "/v2") && !strings.HasPrefix(tc.path, "/api") {
				method = "get"
			}
			v.check(t, tc.path, method, r)
			seen[tc.path+" "+strconv.Itoa(r.status)] = true
		})
	}
	// Every documented status of the two contracts was produced above.
	for _, p := range []string{vp, op} {
		for status := range v.Doc["paths"].(map[string]any)[p].(map[string]any)["post"].(map[string]any)["responses"].(map[string]any) {
			if !seen[p+" "+status] {
				t.Errorf("%s %s documented but not exercised", p, status)
			}
		}
	}
}

// TestOpenAPIValidatorCatches makes sure the validator can fail: broken
// responses are rejected.
func TestOpenAPIValidatorCatches(t *testing.T) {
	v := loadOpenAPI(t)
	e := newEnv(t, nil)
	good := e.verifik(tokGood, verifikBody(nil))
	schema := v.responseSchema(t, "/v2/face-recognition/compare-live", "post", 200)
	for name, mutate := range map[string]func(m map[string]any){
		"missing id":        func(m map[string]any) { delete(m, "id") },
		"lower-case id":     func(m map[string]any) { m["id"] = "abcde" },
		"score over 1":      func(m map[string]any) { m["data"].(map[string]any)["score"] = 1.5 },
		"passed not a bool": func(m map[string]any) { m["data"].(map[string]any)["passed"] = "yes" },
		"bad dateTime":      func(m map[string]any) { m["signature"].(map[string]any)["dateTime"] = "2026-11-22T03:13:00Z" },
		"four landmarks": func(m map[string]any) {
			p := m["data"].(map[string]any)["facegate"].(map[string]any)["probe"].(map[string]any)
			p["landmarks"] = p["landmarks"].([]any)[:4]
		},
	} {
		var m map[string]any
		json.Unmarshal(good.body, &m)
		if len(v.Validate(schema, m, "body")) != 0 {
			t.Fatalf("%s: the unmodified response fails", name)
		}
		mutate(m)
		if len(v.Validate(schema, m, "body")) == 0 {
			t.Errorf("%s: accepted", name)
		}
	}
	errSchema := v.responseSchema(t, "/api/faceid/v2-2/verify", "post", 413)
	if len(v.Validate(errSchema, map[string]any{"error": "PAYLOAD_TOO_LARGE", "request_id": nil}, "body")) == 0 {
		t.Error("extra request_id on PAYLOAD_TOO_LARGE accepted")
	}
}

// TestOpenAPIRequests checks the request schemas agree with the handler's
// validation on a few bodies.
func TestOpenAPIRequests(t *testing.T) {
	v := loadOpenAPI(t)
	op := v.Doc["paths"].(map[string]any)["/v2/face-recognition/compare-live"].(map[string]any)["post"].(map[string]any)
	schema := op["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
	e := newEnv(t, nil)
	for name, edit := range map[string]func(map[string]any){
		"valid":             nil,
		"low liveness":      func(m map[string]any) { m["liveness_min_score"] = 0.4 },
		"empty gallery":     func(m map[string]any) { m["gallery"] = []any{} },
		"bad mode":          func(m map[string]any) { m["search_mode"] = "SLOW" },
		"no probe":          func(m map[string]any) { delete(m, "probe") },
		"high compare":      func(m map[string]any) { m["compare_min_score"] = 0.99 },
		"os lower-case":     func(m map[string]any) { m["os"] = "ios" },
		"gallery item type": func(m map[string]any) { m["gallery"] = []any{1} },
	} {
		body := verifikBody(edit)
		b, _ := json.Marshal(body)
		var x any
		json.NewDecoder(bytes.NewReader(b)).Decode(&x)
		schemaOK := len(v.Validate(schema, x, "body")) == 0
		handlerOK := e.verifik(tokGood, body).status == 200
		if schemaOK != handlerOK {
			t.Errorf("%s: schema accepts %v, handler accepts %v", name, schemaOK, handlerOK)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(httptest.NewRequest("GET", "/openapi.json", nil))
	if r.status != 200 || !bytes.Equal(r.body, openapiJSON) {
		t.Errorf("status %d", r.status)
	}
}
