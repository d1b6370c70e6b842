package face

import "math"

// Calibration maps a cosine similarity to the 0..1 score the vendor
// contracts expose: score = 1/(1+exp(−A·(cos − C))), monotone in cosine.
type Calibration struct {
	Model string  // embedder the constants were fitted for
	A, C  float64 // slope and centre
}

// Score is the calibrated score of a cosine.
func (c Calibration) Score(cos float64) float64 {
	if math.IsNaN(cos) {
		return 0
	}
	return 1 / (1 + math.Exp(-c.A*(cos-c.C)))
}

// Cosine is the inverse of Score: the cosine whose score is s (0 < s < 1).
func (c Calibration) Cosine(s float64) float64 {
	return c.C + math.Log(s/(1-s))/c.A
}

// FitCalibration returns the logistic through two anchors: score s1 at
// cosine c1 and s2 at c2 (c1 ≠ c2).
func FitCalibration(model string, c1, s1, c2, s2 float64) Calibration {
	l1, l2 := math.Log(s1/(1-s1)), math.Log(s2/(1-s2))
	a := (l1 - l2) / (c1 - c2)
	return Calibration{Model: model, A: a, C: c1 - l1/a}
}

// calibrations holds the fitted constants per embedder; see
// calibration_table.go for how they were produced.
var calibrations = map[string]Calibration{}

// CalibrationFor returns the calibration fitted for an embedder (by model
// base name), or the default embedder's when there is none.
func CalibrationFor(model string) Calibration {
	if c, ok := calibrations[model]; ok {
		return c
	}
	return calibrations[DefaultEmbedder]
}

// Calibration returns the score calibration the pipeline uses.
func (p *Pipeline) Calibration() Calibration { return p.calib }
