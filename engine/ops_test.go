package engine

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/facegate/facegate/weights/onnx"
)

// TestOperatorParity runs the two operator-coverage models of
// testdata/ops (see its README) and compares with ONNX Runtime's outputs,
// fused and unfused, one and two threads.
func TestOperatorParity(t *testing.T) {
	for _, c := range []struct{ model, input, refs string }{
		{"ops11.onnx", "ops11_input.npy", "ref11"},
		{"ops13.onnx", "ops13_input.npy", "ref13"},
	} {
		dir := filepath.Join("testdata", "ops")
		wm, err := onnx.ImportFile(filepath.Join(dir, c.model), onnx.Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.model, err)
		}
		in := readNpy(t, filepath.Join(dir, c.input))
		for _, opt := range []Options{{}, {NoFusion: true}} {
			m, err := Load(wm, opt)
			if err != nil {
				t.Fatalf("%s: %v", c.model, err)
			}
			for _, threads := range []int{1, 2} {
				outs, err := sessionFor(t, m, threads).Run([]*Tensor{in})
				if err != nil {
					t.Fatalf("%s: %v", c.model, err)
				}
				worst := 0.0
				for k, o := range m.Outputs() {
					file := unsafeName.ReplaceAllString(o.Name, "_") + ".npy"
					want := readNpy(t, filepath.Join(dir, c.refs, file))
					worst = math.Max(worst, compare(t, c.model+"/"+o.Name, outs[k].Data, outs[k].Shape, want))
				}
				t.Logf("%s nofusion=%v threads=%d: max abs error %.3g", c.model, opt.NoFusion, threads, worst)
			}
		}
	}
}
