package face

import (
	"math"
	"testing"
)

func TestFitCalibrationAnchorsAndInverse(t *testing.T) {
	c := FitCalibration("m", 0.38, 0.85, 0.32, 0.75)
	if math.Abs(c.Score(0.38)-0.85) > 1e-12 || math.Abs(c.Score(0.32)-0.75) > 1e-12 {
		t.Fatalf("anchors: %v %v", c.Score(0.38), c.Score(0.32))
	}
	prev := -1.0
	for cos := -1.0; cos <= 1; cos += 0.01 {
		s := c.Score(cos)
		if s < prev || s < 0 || s > 1 {
			t.Fatalf("not monotone in 0..1 at %v: %v after %v", cos, s, prev)
		}
		prev = s
		if s > 1e-9 && s < 1-1e-9 && math.Abs(c.Cosine(s)-cos) > 1e-6 {
			t.Fatalf("Cosine(Score(%v)) = %v", cos, c.Cosine(s))
		}
	}
	if c.Score(math.NaN()) != 0 {
		t.Error("NaN cosine scores above 0")
	}
}

// The shipped calibration keeps the vendor thresholds in the order of the
// false-match rates they were fitted to (0.85 stricter than 0.75), and an
// unknown embedder falls back to it.
func TestShippedCalibration(t *testing.T) {
	c := CalibrationFor(DefaultEmbedder)
	if c.A <= 0 || !(c.Cosine(0.85) > c.Cosine(0.75)) {
		t.Fatalf("calibration %+v", c)
	}
	if CalibrationFor("someone-elses-model") != c {
		t.Error("no fallback to the default embedder's calibration")
	}
}
