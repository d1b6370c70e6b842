package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/facegate/facegate/internal/shared"
	"github.com/facegate/facegate/nets/face"
)

// End-to-end: the real pipeline (face.New on the shared models) behind the
// real HTTP stack on a real listener, with the shared photos; every
// response is also validated against openapi.json.

var e2e struct {
	once sync.Once
	v    *face.Pipeline
	err  error
}

const e2eToken, e2eKey = "e2e-token", "e2e-key"

func e2eServer(t *testing.T) *httptest.Server {
	t.Helper()
	models := shared.Path(t, "models")
	e2e.once.Do(func() {
		e2e.v, e2e.err = face.New(face.Config{ModelsDir: models, Threads: 1})
	})
	if e2e.err != nil {
		t.Fatalf("loading the pipeline: %v", e2e.err)
	}
	creds, err := NewCredentials("", []Credential{
		{Key: e2eToken, Kind: KindVerifik}, {Key: e2eKey, Kind: KindOkayFace},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(NewServer(Config{
		Credentials: creds,
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}, e2e.v))
	t.Cleanup(ts.Close)
	return ts
}

func sharedImage64(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(shared.Path(t, "images", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(data)
}

// postJSON posts body to base+path and checks the response against the
// OpenAPI description of that path and status.
func postJSON(t *testing.T, base, path, token string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	loadOpenAPI(t).check(t, path, "post", response{status: r.StatusCode, header: r.Header, body: raw})
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("status %d: body: %v", r.StatusCode, err)
	}
	return r.StatusCode, m
}

func e2eData(t *testing.T, status int, m map[string]any) map[string]any {
	t.Helper()
	if status != 200 {
		t.Fatalf("status %d: %v", status, m)
	}
	return m["data"].(map[string]any)
}

// TestE2EVerifikGenuine: two different live photos of the same person
// (image_T1 carries EXIF orientation 6, so this also shows rotated photos
// work) match and pass liveness, in both search modes.
func TestE2EVerifikGenuine(t *testing.T) {
	ts := e2eServer(t)
	t1, t2 := sharedImage64(t, "silent-face/image_T1.jpg"), sharedImage64(t, "silent-face/image_T2.jpg")
	for _, mode := range []string{"ACCURATE", "FAST"} {
		t.Run(mode, func(t *testing.T) {
			status, m := postJSON(t, ts.URL, pathVerifik, e2eToken, map[string]any{
				"probe": t1, "gallery": []string{t2}, "search_mode": mode, "liveness_min_score": 0.6, "os": "ANDROID",
			})
			d := e2eData(t, status, m)
			live := d["liveness"].(map[string]any)
			if d["passed"] != true || live["passed"] != true {
				t.Errorf("genuine live pair: score %v (min %v), liveness %v (min %v)", d["score"], d["compare_min_score"], live["liveness_score"], live["min_score"])
			}
			fg := d["facegate"].(map[string]any)
			if fg["faces"].(float64) < 1 {
				t.Errorf("facegate.faces %v", fg["faces"])
			}
			// EXIF orientation 6 was applied: the eyes are level in the
			// coordinates reported (a sideways face would roll ≈ 90°).
			for _, c := range fg["probe"].(map[string]any)["quality"].(map[string]any)["checks"].([]any) {
				if c := c.(map[string]any); c["name"] == "roll" && c["value"].(float64) > 45 {
					t.Errorf("probe roll %v°: EXIF orientation not applied", c["value"])
				}
			}
		})
	}
}

// TestE2EVerifikAttack: printed photo and replayed screen fail liveness
// (a 200 with liveness.passed false, data.passed false).
func TestE2EVerifikAttack(t *testing.T) {
	ts := e2eServer(t)
	for _, name := range []string{"silent-face/image_F1.jpg", "silent-face/image_F2.jpg"} {
		t.Run(name, func(t *testing.T) {
			img := sharedImage64(t, name)
			status, m := postJSON(t, ts.URL, pathVerifik, e2eToken, map[string]any{
				"probe": img, "gallery": []string{img}, "search_mode": "ACCURATE", "liveness_min_score": 0.6,
			})
			d := e2eData(t, status, m)
			live := d["liveness"].(map[string]any)
			if live["passed"] != false || d["passed"] != false {
				t.Errorf("attack passed: liveness %v, data.passed %v", live["liveness_score"], d["passed"])
			}
		})
	}
}

func TestE2EVerifikNoFace(t *testing.T) {
	ts := e2eServer(t)
	// A flat grey PNG: decodable, no face.
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 320, 240)))
	status, m := postJSON(t, ts.URL, pathVerifik, e2eToken, map[string]any{
		"probe": base64.StdEncoding.EncodeToString(b.Bytes()), "gallery": []string{sharedImage64(t, "silent-face/image_T1.jpg")}, "search_mode": "FAST", "liveness_min_score": 0.6,
	})
	if status != 412 || m["message"] != "face_not_found" || m["image"] != "probe" {
		t.Errorf("%d %v", status, m)
	}
}

// TestE2EOkayFace: a genuine selfie against another photo of the same
// person is live with confidence over the vendor's 75; attacks are never
// reported live (either a probability ≤ 0.5 or a face code saying
// liveness could not be judged).
func TestE2EOkayFace(t *testing.T) {
	ts := e2eServer(t)
	verify := func(t *testing.T, card, best string) map[string]any {
		status, m := postJSON(t, ts.URL, pathOkayFace, "", map[string]any{
			"apiKey": e2eKey, "imageIdCard": sharedImage64(t, card), "imageBest": sharedImage64(t, best)})
		if status != 200 {
			t.Fatalf("%d %v", status, m)
		}
		return m
	}
	t.Run("genuine", func(t *testing.T) {
		m := verify(t, "silent-face/image_T2.jpg", "silent-face/image_T1.jpg")
		if code, ok := m["error"]; ok {
			t.Fatalf("genuine selfie refused with %v", code)
		}
		live := m["imageBestLiveness"].(map[string]any)
		conf := m["result_idcard"].(map[string]any)["confidence"].(float64)
		if live["probability"].(float64) <= 0.5 || live["score"].(float64) <= 0 || conf < 75 {
			t.Errorf("probability %v, score %v, confidence %v", live["probability"], live["score"], conf)
		}
	})
	for _, name := range []string{"silent-face/image_F1.jpg", "silent-face/image_F2.jpg", "doubango/spoof.jpg"} {
		t.Run(name, func(t *testing.T) {
			m := verify(t, name, name)
			if code, ok := m["error"]; ok {
				if code != "FACE_CLOSE_TO_BORDER" && code != "FACE_TOO_CLOSE" && code != "FACE_CROPPED" {
					t.Errorf("error %v", code)
				}
				return
			}
			if p := m["imageBestLiveness"].(map[string]any)["probability"].(float64); p > 0.5 {
				t.Errorf("attack reported live: probability %v", p)
			}
		})
	}
}
