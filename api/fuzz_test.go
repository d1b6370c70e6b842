package api

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzParseVerifik: any body yields a request or a validation/JSON error,
// never a panic, and a request that parses satisfies every rule.
func FuzzParseVerifik(f *testing.F) {
	f.Add([]byte(`{"probe":"a","gallery":["b"],"search_mode":"FAST","liveness_min_score":0.6}`))
	f.Add([]byte(`{"probe":"a","gallery":["b","c"],"os":"IOS","search_mode":"ACCURATE","liveness_min_score":"0.7","compare_min_score":0.9}`))
	f.Add([]byte(`{"gallery":[1,null,{}],"liveness_min_score":1e400}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseVerifik(body, 10)
		if err != nil {
			return
		}
		if req.Probe == "" || len(req.Gallery) < 1 || len(req.Gallery) > 10 ||
			!(req.SearchMode == "FAST" || req.SearchMode == "ACCURATE") ||
			req.LivenessMin < livenessMin || req.LivenessMin > livenessMax ||
			req.CompareMin < compareMin || req.CompareMin > compareMax {
			t.Fatalf("accepted an invalid request: %+v", req)
		}
	})
}

func FuzzParseCredentials(f *testing.F) {
	f.Add([]byte("verifik tok expires=2027-01-01 quota=3 name=x\nokayface key\n"))
	f.Add([]byte(`{"credentials":[{"kind":"verifik","key":"k","quota":1}]}`))
	f.Add([]byte(`[{"kind":"okayface","key":"k","expires":"2027-01-01T00:00:00Z"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		creds, err := ParseCredentials(data)
		if err != nil {
			return
		}
		for _, c := range creds {
			if validCredential(c) != nil {
				t.Fatalf("accepted invalid credential %+v", c)
			}
		}
	})
}

// FuzzOkayFaceBody sends arbitrary JSON and multipart bodies through the
// OkayFace handler: every answer is one of the contract's statuses.
func FuzzOkayFaceBody(f *testing.F) {
	f.Add([]byte(`{"apiKey":"`+keyGood+`","imageIdCard":"`+jpeg64+`","imageBest":"`+png64+`"}`), false)
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"apiKey\"\r\n\r\n"+keyGood+"\r\n--B\r\nContent-Disposition: form-data; name=\"imageBest\"; filename=\"a.jpg\"\r\n\r\n\xff\xd8\xff\r\n--B--\r\n"), true)
	f.Add([]byte(`{"apiKey":null}`), false)
	allowed := map[int]bool{200: true, 400: true, 401: true, 403: true, 413: true, 415: true, 429: true}
	f.Fuzz(func(t *testing.T, body []byte, multipart bool) {
		e := newEnv(t, func(c *Config) { c.MaxImageBytes = 1 << 12; c.MaxBodyBytes = 1 << 14 })
		req := httptest.NewRequest("POST", "/api/faceid/v2-2/verify", bytes.NewReader(body))
		if multipart {
			req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
		}
		r := e.do(req)
		if !allowed[r.status] || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Fatalf("status %d, body %s", r.status, r.body)
		}
	})
}
