package main

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/facegate/facegate/internal/shared"
	"github.com/facegate/facegate/weights"
	"github.com/facegate/facegate/weights/npy"
)

// buildFacegate builds the real binary once per test into a temp dir.
func buildFacegate(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "facegate")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func runBin(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("facegate %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestInferBinary converts YuNet with the real binary, runs infer on a
// golden case and compares every output file with ONNX Runtime's; then runs
// an .onnx model directly with --time and checks the timing line.
func TestInferBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	golden := shared.Path(t, "golden", "yunet_image_T1_320x320")
	yunet := shared.Path(t, "models", "face_detection_yunet_2023mar_dynamic.onnx")
	bin := buildFacegate(t)
	tmp := t.TempDir()
	fgw := filepath.Join(tmp, "yunet.fgw")
	runBin(t, bin, "convert", yunet, fgw)
	out := filepath.Join(tmp, "out")
	runBin(t, bin, "infer", "--model", fgw, "--out", out, filepath.Join(golden, "input.npy"))

	refs, err := filepath.Glob(filepath.Join(golden, "*.npy"))
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, ref := range refs {
		name := filepath.Base(ref)
		if name == "input.npy" {
			continue
		}
		want, err := npy.ReadFile(ref)
		if err != nil {
			t.Fatal(err)
		}
		got, err := npy.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatalf("output %s: %v", name, err)
		}
		if len(got.Data) != len(want.Data) || !equalInts(got.Shape, want.Shape) {
			t.Fatalf("%s: shape %v, want %v", name, got.Shape, want.Shape)
		}
		maxRef, worst := 0.0, 0.0
		for i, v := range want.Data {
			maxRef = math.Max(maxRef, math.Abs(float64(v)))
			worst = math.Max(worst, math.Abs(float64(got.Data[i]-v)))
		}
		if tol := 1e-4 * math.Max(1, maxRef); !(worst <= tol) {
			t.Errorf("%s: max abs error %.3g exceeds %.3g", name, worst, tol)
		}
		compared++
	}
	if compared != 12 {
		t.Errorf("compared %d outputs, want YuNet's 12", compared)
	}

	fas := shared.Path(t, "models", "2.7_80x80_MiniFASNetV2.onnx")
	in := shared.Path(t, "golden", "minifasnetv2_image_T1", "input.npy")
	line := runBin(t, bin, "infer", "--model", fas, "--out", filepath.Join(tmp, "fas"), "--time", "3", in)
	if !regexp.MustCompile(`^2\.7_80x80_MiniFASNetV2\.onnx threads=1 runs=3 median_ms=[0-9.]+ min_ms=[0-9.]+\n$`).MatchString(line) {
		t.Errorf("timing line %q is not in ort-run.mjs's format", line)
	}
	if _, err := os.Stat(filepath.Join(tmp, "fas", "logits.npy")); err != nil {
		t.Error(err)
	}

	custom := filepath.Join(tmp, "custom.fgw")
	runBin(t, bin, "convert", fas, custom, "--name", "myfas", "--color", "rgb", "--mean", "1,2,3", "--std", "4,5,6")
	cm, err := weights.Load(custom)
	if err != nil {
		t.Fatal(err)
	}
	if meta := cm.Meta; meta.Name != "myfas" || meta.ColorOrder != "RGB" || fmt.Sprint(meta.Mean, meta.Std) != "[1 2 3] [4 5 6]" {
		t.Errorf("convert flags not stored: %+v", meta)
	}
	if out, err := exec.Command(bin, "convert", fas, custom, "--mean", "1,2").CombinedOutput(); err == nil {
		t.Errorf("convert accepted --mean without --std:\n%s", out)
	}

	prof := runBin(t, bin, "infer", "--model", fas, "--out", filepath.Join(tmp, "fas"), "--time", "2", "--profile", in)
	// MiniFASNetV2's 49 convolutions: 12 1x1+depthwise pairs run fused.
	if !regexp.MustCompile(`(?m)^Conv +25 `).MatchString(prof) || !regexp.MustCompile(`(?m)^fg.PointDepth +12 `).MatchString(prof) {
		t.Errorf("--profile does not list MiniFASNetV2's 49 convolutions per run (25 + 12 fused pairs):\n%s", prof)
	}

	insp := runBin(t, bin, "inspect", fgw, "--shape", "1,3,640,640", "--steps")
	if !strings.Contains(insp, "344.2 M MACs") {
		t.Errorf("inspect does not report YuNet's 344.2 M MACs at 640x640:\n%s", insp)
	}
	if !strings.Contains(insp, "depthwise +ReLU") {
		t.Errorf("inspect --steps does not show a depthwise convolution with fused ReLU:\n%s", insp)
	}
	// The feature pyramid's two up-sample + add pairs are merged in the plan.
	if !regexp.MustCompile(`(?m)^fg.Up2Add +0 +0 +2 `).MatchString(insp) || !regexp.MustCompile(`(?m)^Resize +2 +2 +0 `).MatchString(insp) {
		t.Errorf("inspect does not count YuNet's two fg.Up2Add steps per run:\n%s", insp)
	}
	if !strings.Contains(insp, "fg.Up2Add         [1 64 80 80]              0.00  Add_50 nearest 2x up-sample + add") {
		t.Errorf("inspect --steps does not describe the fg.Up2Add step at 80x80:\n%s", insp)
	}
}

// TestInferErrors: bad arguments exit non-zero with a message, no panic.
func TestInferErrors(t *testing.T) {
	tmp := t.TempDir()
	for _, args := range [][]string{
		{},
		{"--model", filepath.Join(tmp, "missing.fgw"), "--out", tmp, "x.npy"},
		{"--model", "m.fgw"},
	} {
		if code := runInfer(args); code == 0 {
			t.Errorf("infer %v: exit 0", args)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
