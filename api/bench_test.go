package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"testing"
)

// BenchmarkVerifikOverhead measures what the HTTP layer adds around the
// verifier (auth, parsing, base64, response, metrics, log line) with a
// fake verifier and a ~200 KB probe, the size of a typical selfie.
func BenchmarkVerifikOverhead(b *testing.B) {
	e := newEnv(b, nil)
	img := make([]byte, 200<<10)
	copy(img, jpegBytes)
	body, _ := json.Marshal(verifikBody(func(m map[string]any) {
		m["probe"] = base64.StdEncoding.EncodeToString(img)
	}))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", pathVerifik, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tokGood)
		if r := e.do(req); r.status != 200 {
			b.Fatalf("%d %s", r.status, r.body)
		}
	}
}
