package main

import (
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/facegate/facegate/internal/shared"
)

// TestVerifyDetectBinary runs verify and detect through the real binary
// on the Silent-Face photos: JSON on stdout with the documented fields, a
// drawn PNG, and exit codes for usage (2) and input (1) errors.
func TestVerifyDetectBinary(t *testing.T) {
	models := shared.Path(t, "models")
	img := func(n string) string { return shared.Path(t, "images", "silent-face", n) }
	bin := buildFacegate(t)

	out := runBin(t, bin, "verify", "--models", models, img("image_T1.jpg"), img("image_F1.jpg"))
	var v struct {
		Score    float64 `json:"score"`
		Passed   bool    `json:"passed"`
		Liveness struct {
			Outcome string `json:"outcome"`
		} `json:"liveness"`
		Matches []struct {
			Score float64 `json:"score"`
		} `json:"matches"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("verify output: %v\n%s", err, out)
	}
	if v.Liveness.Outcome != "live" || len(v.Matches) != 1 || v.Score <= 0 || v.Score > 1 {
		t.Errorf("verify: %+v", v)
	}

	drawn := filepath.Join(t.TempDir(), "faces.png")
	out = runBin(t, bin, "detect", "--models", models, "--draw", drawn, img("image_T2.jpg"))
	var d struct {
		Width, Height int
		Faces         []json.RawMessage `json:"faces"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil || len(d.Faces) != 1 || d.Width != 1617 {
		t.Fatalf("detect output (%v): %s", err, out)
	}
	f, err := os.Open(drawn)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if m, err := png.Decode(f); err != nil || m.Bounds().Dx() != 1617 || m.Bounds().Dy() != 2160 {
		t.Errorf("drawn image: %v", err)
	}

	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"verify", "--models", models, img("image_T1.jpg")}, 2},
		{[]string{"verify", "--models", models, img("image_T1.jpg"), "/nonexistent.jpg"}, 1},
		{[]string{"detect"}, 2},
		{[]string{"eval", "nothing"}, 2},
	} {
		err := exec.Command(bin, c.args...).Run()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != c.code {
			t.Errorf("%v: %v, want exit %d", c.args, err, c.code)
		}
	}
}
