package embed

import (
	"fmt"
	"strings"

	"github.com/facegate/facegate/engine"
	"github.com/facegate/facegate/nets/internal/sessions"
)

// ArcFaceAligner embeds faces with an ArcFace-family network (112x112
// aligned input, one embedding output); safe for concurrent use.
type ArcFaceAligner struct {
	pool *sessions.Pool
	Norm Norm
	Name string // model name from metadata
}

// NewArcFaceAligner wraps a loaded embedder. Colour order and
// normalisation come from the model's metadata (ColorOrder, Mean, Std),
// defaulting to RGB and (x − 127.5)/127.5.
func NewArcFaceAligner(m *engine.Model, threads int) (*ArcFaceAligner, error) {
	if len(m.Inputs()) != 1 || len(m.Outputs()) < 1 {
		return nil, fmt.Errorf("embed: model %q has %d inputs and %d outputs, want 1 and 1", m.Meta().Name, len(m.Inputs()), len(m.Outputs()))
	}
	meta := m.Meta()
	n := DefaultNorm
	n.BGR = strings.EqualFold(meta.ColorOrder, "BGR")
	for c := 0; c < 3; c++ {
		if len(meta.Mean) == 3 {
			n.Mean[c] = meta.Mean[c]
		} else if len(meta.Mean) == 1 {
			n.Mean[c] = meta.Mean[0]
		}
		if len(meta.Std) == 3 && meta.Std[c] != 0 {
			n.Std[c] = meta.Std[c]
		} else if len(meta.Std) == 1 && meta.Std[0] != 0 {
			n.Std[c] = meta.Std[0]
		}
	}
	return &ArcFaceAligner{pool: sessions.New(m, threads, 8), Norm: n, Name: meta.Name}, nil
}

// Close releases idle sessions.
func (a *ArcFaceAligner) Close() { a.pool.Close() }

// Align returns the 112x112 interleaved RGB float crop (0..255) of the face
// whose five landmarks (image pixels, ArcFace order) are given.
func Align(w, h int, pix []uint8, lm [5][2]float64) []float32 {
	return Warp(w, h, pix, EstimateSimilarity(lm, Template), Size)
}

// Embed returns the L2-normalised embedding of an aligned crop. With flip
// the horizontally mirrored crop is embedded too (one batch of two) and
// the two raw embeddings are summed before normalising.
func (a *ArcFaceAligner) Embed(crop []float32, flip bool) ([]float32, error) {
	if len(crop) != 3*Size*Size {
		return nil, fmt.Errorf("embed: crop has %d values, want %d", len(crop), 3*Size*Size)
	}
	n := 1
	if flip {
		n = 2
	}
	plane := 3 * Size * Size
	in := make([]float32, n*plane)
	a.Norm.Planes(crop, Size, false, in[:plane])
	if flip {
		a.Norm.Planes(crop, Size, true, in[plane:])
	}
	var emb []float32
	err := a.pool.Run([]*engine.Tensor{{Shape: []int{n, 3, Size, Size}, Data: in}}, func(out []*engine.Tensor) error {
		o := out[0].Data
		if len(o)%n != 0 || len(o) == 0 {
			return fmt.Errorf("embed: output of %d values for batch %d", len(o), n)
		}
		d := len(o) / n
		emb = make([]float32, d)
		for b := 0; b < n; b++ {
			for i := 0; i < d; i++ {
				emb[i] += o[b*d+i]
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	Normalize(emb)
	return emb, nil
}
