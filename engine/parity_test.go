package engine

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/facegate/facegate/internal/shared"
	"github.com/facegate/facegate/weights"
)

// TestParity runs every golden case on the converted ONNX model and
// compares each output with ONNX Runtime's.
func TestParity(t *testing.T) {
	dir := shared.Path(t, "golden")
	for _, c := range goldenCases(t) {
		t.Run(c.Case, func(t *testing.T) {
			m := loadModel(t, c.Model)
			runGolden(t, sessionFor(t, m, 0), dir, c)
		})
	}
}

// TestParityNoFusion runs the golden cases with BatchNormalization folding
// and activation fusion disabled: both paths must match ONNX Runtime.
func TestParityNoFusion(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	dir := shared.Path(t, "golden")
	models := map[string]*Model{}
	for _, c := range goldenCases(t) {
		t.Run(c.Case, func(t *testing.T) {
			m := models[c.Model]
			if m == nil {
				var err error
				if m, err = Load(importModel(t, c.Model), Options{NoFusion: true}); err != nil {
					t.Fatal(err)
				}
				models[c.Model] = m
			}
			runGolden(t, sessionFor(t, m, 1), dir, c)
		})
	}
}

// TestParityFGW saves each converted model as .fgw, loads it back through
// LoadFile and runs the golden cases on it.
func TestParityFGW(t *testing.T) {
	dir := shared.Path(t, "golden")
	tmp := t.TempDir()
	models := map[string]*Model{}
	for _, c := range goldenCases(t) {
		t.Run(c.Case, func(t *testing.T) {
			m := models[c.Model]
			if m == nil {
				path := filepath.Join(tmp, c.Model+".fgw")
				if err := weights.Save(path, importModel(t, c.Model)); err != nil {
					t.Fatal(err)
				}
				var err error
				if m, err = LoadFile(path); err != nil {
					t.Fatal(err)
				}
				models[c.Model] = m
			}
			runGolden(t, sessionFor(t, m, 1), dir, c)
		})
	}
}

// TestParityBatch stacks the inputs of golden cases that share a model and
// input shape into one batch and checks each item against its own
// reference: lfw1+lfw8 (batch 9) for the embedders, T1+F1 for YuNet at each
// size and for the liveness networks.
func TestParityBatch(t *testing.T) {
	dir := shared.Path(t, "golden")
	type group struct {
		model string
		shape []int
		cases []goldenCase
	}
	var groups []*group
	for _, c := range goldenCases(t) {
		var g *group
		for _, h := range groups {
			if h.model == c.Model && sameShape(h.shape[1:], c.Input.Shape[1:]) {
				g = h
			}
		}
		if g == nil {
			g = &group{model: c.Model, shape: c.Input.Shape}
			groups = append(groups, g)
		}
		g.cases = append(g.cases, c)
	}
	for _, g := range groups {
		if len(g.cases) < 2 {
			continue
		}
		name := g.cases[0].Case + "+" + g.cases[1].Case
		t.Run(name, func(t *testing.T) {
			m := loadModel(t, g.model)
			var ins []*Tensor
			batch := &Tensor{}
			for _, c := range g.cases {
				in := readNpy(t, filepath.Join(dir, c.Case, c.Input.File))
				ins = append(ins, in)
				batch.Data = append(batch.Data, in.Data...)
				if batch.Shape == nil {
					batch.Shape = append([]int{0}, in.Shape[1:]...)
				}
				batch.Shape[0] += in.Shape[0]
			}
			outs, err := sessionFor(t, m, 0).Run([]*Tensor{batch})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("batch of %d", batch.Shape[0])
			item := 0
			for ci, c := range g.cases {
				n := ins[ci].Shape[0]
				worst := 0.0
				for _, o := range c.Outputs {
					want := readNpy(t, filepath.Join(dir, c.Case, o.File))
					k := outputIndex(t, m, o.File)
					got := outs[k]
					per := numel(got.Shape[1:])
					shape := append([]int{n}, got.Shape[1:]...)
					worst = math.Max(worst, compare(t, c.Case+"/"+o.File, got.Data[item*per:(item+n)*per], shape, want))
				}
				t.Logf("%s in batch: max abs error %.3g", c.Case, worst)
				item += n
			}
		})
	}
}
