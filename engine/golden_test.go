package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/facegate/facegate/internal/shared"
	"github.com/facegate/facegate/weights"
	"github.com/facegate/facegate/weights/npy"
	"github.com/facegate/facegate/weights/onnx"
)

// goldenCase is one entry of ../shared/golden/manifest.json.
type goldenCase struct {
	Case  string `json:"case"`
	Model string `json:"model"`
	Input struct {
		File  string `json:"file"`
		Shape []int  `json:"shape"`
	} `json:"input"`
	Outputs []struct {
		File  string `json:"file"`
		Shape []int  `json:"shape"`
	} `json:"outputs"`
}

func goldenCases(t testing.TB) []goldenCase {
	t.Helper()
	data, err := os.ReadFile(shared.Path(t, "golden", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cs []goldenCase
	if err := json.Unmarshal(data, &cs); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if len(cs) == 0 {
		t.Fatal("manifest.json lists no cases")
	}
	return cs
}

var (
	importMu sync.Mutex
	imported = map[string]*weights.Model{}
	loaded   = map[string]*Model{}
)

// importModel converts an ONNX model of ../shared/models once per test
// binary.
func importModel(t testing.TB, file string) *weights.Model {
	t.Helper()
	importMu.Lock()
	defer importMu.Unlock()
	if wm, ok := imported[file]; ok {
		return wm
	}
	wm, err := onnx.ImportFile(shared.Path(t, "models", file), onnx.Options{})
	if err != nil {
		t.Fatalf("import %s: %v", file, err)
	}
	imported[file] = wm
	return wm
}

func loadModel(t testing.TB, file string) *Model {
	t.Helper()
	wm := importModel(t, file)
	importMu.Lock()
	defer importMu.Unlock()
	if m, ok := loaded[file]; ok {
		return m
	}
	m, err := Load(wm, Options{})
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	loaded[file] = m
	return m
}

// readNpy reads a float32 .npy file with the project's reader.
func readNpy(t testing.TB, path string) *Tensor {
	t.Helper()
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return &Tensor{Shape: a.Shape, Data: a.Data}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// outputIndex maps each golden output file to the index of the model
// output of that (sanitised) name.
func outputIndex(t testing.TB, m *Model, file string) int {
	t.Helper()
	for k, o := range m.Outputs() {
		if unsafeName.ReplaceAllString(o.Name, "_")+".npy" == file {
			return k
		}
	}
	t.Fatalf("no model output for golden file %s", file)
	return -1
}

// compare checks got against the ONNX Runtime reference: absolute error
// within 1e-4, scaled by the reference's largest magnitude when that
// exceeds 1 (golden/README.md). It returns the largest absolute error.
func compare(t testing.TB, what string, got []float32, gotShape []int, want *Tensor) float64 {
	t.Helper()
	if !sameShape(gotShape, want.Shape) {
		t.Errorf("%s: shape %v, want %v", what, gotShape, want.Shape)
		return math.Inf(1)
	}
	maxRef := 0.0
	for _, v := range want.Data {
		maxRef = math.Max(maxRef, math.Abs(float64(v)))
	}
	tol := 1e-4 * math.Max(1, maxRef)
	worst, at := 0.0, 0
	for i, v := range want.Data {
		d := math.Abs(float64(got[i]) - float64(v))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		if d > worst {
			worst, at = d, i
		}
	}
	if worst > tol {
		t.Errorf("%s: max abs error %.3g at %d (got %v, want %v) exceeds %.3g", what, worst, at, got[at], want.Data[at], tol)
	}
	return worst
}

// runGolden runs one case through s and compares every output.
func runGolden(t *testing.T, s *Session, dir string, c goldenCase) {
	t.Helper()
	in := readNpy(t, filepath.Join(dir, c.Case, c.Input.File))
	outs, err := s.Run([]*Tensor{in})
	if err != nil {
		t.Fatalf("%s: %v", c.Case, err)
	}
	worst := 0.0
	for _, o := range c.Outputs {
		want := readNpy(t, filepath.Join(dir, c.Case, o.File))
		k := outputIndex(t, s.Model(), o.File)
		worst = math.Max(worst, compare(t, c.Case+"/"+o.File, outs[k].Data, outs[k].Shape, want))
	}
	t.Logf("%s: max abs error %.3g", c.Case, worst)
}

func sessionFor(t testing.TB, m *Model, threads int) *Session {
	t.Helper()
	s, err := NewSession(m, SessionOptions{Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func ExampleSession_Run() {
	m, err := LoadFile("mobilefacenet128_paddle.fgw")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, _ := NewSession(m, SessionOptions{Threads: 1})
	defer s.Close()
	face := &Tensor{Shape: []int{1, 3, 112, 112}, Data: make([]float32, 3*112*112)}
	outs, err := s.Run([]*Tensor{face})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(outs[0].Shape)
}
