package liveness

import (
	"fmt"

	"github.com/facegate/facegate/engine"
	"github.com/facegate/facegate/nets/internal/sessions"
)

// Net is one MiniFASNet with the context scale it was trained with.
type Net struct {
	pool  *sessions.Pool
	Scale float64 // 2.7 for MiniFASNetV2, 4.0 for MiniFASNetV1SE
	Name  string
}

// NewNet wraps a loaded MiniFASNet (input [N,3,80,80] BGR 0..255, output
// logits [N,3]) trained on crops of scale times the face box.
func NewNet(m *engine.Model, scale float64, threads int) (*Net, error) {
	if len(m.Inputs()) != 1 || len(m.Outputs()) != 1 {
		return nil, fmt.Errorf("liveness: model %q: want one input and one output", m.Meta().Name)
	}
	if scale <= 0 {
		return nil, fmt.Errorf("liveness: model %q: scale %v", m.Meta().Name, scale)
	}
	return &Net{pool: sessions.New(m, threads, 8), Scale: scale, Name: m.Meta().Name}, nil
}

// Close releases idle sessions.
func (n *Net) Close() { n.pool.Close() }

// Probs crops the face context at the net's scale and returns the softmax
// over (attack, live, attack) and the scale actually used (k').
func (n *Net) Probs(w, h int, pix []uint8, x, y, bw, bh float64) ([]float64, float64, error) {
	r, k := CropBox(w, h, x, y, bw, bh, n.Scale)
	in := make([]float32, 3*Side*Side)
	Crop(w, h, pix, r, in)
	var p []float64
	err := n.pool.Run([]*engine.Tensor{{Shape: []int{1, 3, Side, Side}, Data: in}}, func(out []*engine.Tensor) error {
		if len(out[0].Data) != 3 {
			return fmt.Errorf("liveness: %q gave %d logits, want 3", n.Name, len(out[0].Data))
		}
		p = Softmax(out[0].Data)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("liveness: %w", err)
	}
	return p, k, nil
}

// MiniFAS fuses MiniFASNetV2 (2.7x context) and, unless in fast mode,
// MiniFASNetV1SE (4.0x); safe for concurrent use.
type MiniFAS struct {
	V2, V1SE *Net
}

// Result is one liveness estimate.
type Result struct {
	Live       float64   // fused P(live)
	PerModel   []float64 // each network's own P(live), in Models order
	Context    float64   // k'/k of the primary (V2) crop
	Sufficient bool      // Context ≥ MinContext
	Models     []string  // networks that ran
}

// Check estimates the liveness of the face with YuNet box (x, y, bw, bh)
// in an RGB image. The box is first converted with ReferenceBox. fast runs
// V2 only; otherwise the two softmax vectors are averaged (the reference's
// fusion). The reference decides by the arg-max of the summed vectors,
// which is class 1 whenever Live > 0.5 (and can be below it), so a caller
// threshold above 0.5 on Live is stricter than the reference's own rule.
// On a 480x640 frame the 4.0 box is clamped to the same rectangle as the
// 2.7 one (k' ≈ 2.0–2.7 for both); only on larger frames does V1SE see
// more context, and there its answer can swing with a few pixels of box
// (TestV1SEContext). A result with Sufficient false still carries the
// networks' answer, but the caller should not trust it (see MinContext).
func (m *MiniFAS) Check(w, h int, pix []uint8, x, y, bw, bh float64, fast bool) (Result, error) {
	if m.V2 == nil {
		return Result{}, fmt.Errorf("liveness: no MiniFASNetV2 loaded")
	}
	x, y, bw, bh = ReferenceBox(x, y, bw, bh)
	p2, k, err := m.V2.Probs(w, h, pix, x, y, bw, bh)
	if err != nil {
		return Result{}, err
	}
	res := Result{Context: k / m.V2.Scale, Models: []string{m.V2.Name}, PerModel: []float64{p2[1]}}
	res.Sufficient = res.Context >= MinContext
	probs := [][]float64{p2}
	if !fast && m.V1SE != nil {
		p1, _, err := m.V1SE.Probs(w, h, pix, x, y, bw, bh)
		if err != nil {
			return Result{}, err
		}
		probs = append(probs, p1)
		res.Models = append(res.Models, m.V1SE.Name)
		res.PerModel = append(res.PerModel, p1[1])
	}
	res.Live = Fuse(probs...)
	return res, nil
}
