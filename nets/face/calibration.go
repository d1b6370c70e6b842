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

// calibrations holds the fitted constants per embedder.
//
// mobilefacenet128_paddle (Accurate mode: YuNet at 640, flip-averaged
// embedding), produced by
//
//	facegate eval lfw --root ../shared/eval/lfw/lfw-deepfunneled \
//	    --pairs ../shared/eval/lfw/pairsDevTest.txt \
//	    --train ../shared/eval/lfw/pairsDevTrain.txt --fit
//
// The fit uses only the training file's people: the impostor set is every
// cross-identity pair among 2,000 of the 3,443 pairsDevTrain images
// (1,998,269 pairs). Anchors: score 0.85 (Verifik's default threshold) at
// the cosine with FMR 1e-4 there (0.3823), score 0.75 (OkayFace's 75) at
// FMR 1e-3 (0.3183). Measured on pairsDevTest, whose people the fit never
// saw (1,197,943 cross-identity impostor pairs among its 1,549 images; 500
// genuine pairs):
//
//	score  cosine  FMR       FNMR
//	0.50   0.2076  2.1e-2    0.8 %
//	0.67   0.2790  3.3e-3    1.2 %
//	0.75   0.3183  1.0e-3    1.6 %   OkayFace threshold (75)
//	0.85   0.3823  1.4e-4    3.0 %   Verifik default
//	0.90   0.4289  2.4e-5    5.8 %
//	0.95   0.5042  8.3e-7   11.0 %
//
// w600k_mbf_fp32 (the bring-your-own test model; non-commercial licence),
// same command with --embedder w600k_mbf_fp32: anchors 0.85 at cosine
// 0.2984, 0.75 at 0.2418 on pairsDevTrain impostors; on pairsDevTest FMR
// 1.1e-3 / 1.0e-4 and FNMR 1.0 % / 1.2 % at 0.75 / 0.85.
var calibrations = map[string]Calibration{
	DefaultEmbedder:  {Model: DefaultEmbedder, A: 9.927148878631867, C: 0.20761254276967825},
	"w600k_mbf_fp32": {Model: "w600k_mbf_fp32", A: 11.250166676371032, C: 0.14418933346076074},
}

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
