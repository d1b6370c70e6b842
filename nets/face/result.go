// Package face is the verification pipeline: decode → detect → align →
// embed, liveness, quality and calibrated scores. It returns facegate's own
// result types; the vendor contracts (package api) map them to their fields.
//
// CONTRACT (written first so the HTTP layer and the pipeline can be built in
// parallel; extend, don't break).
package face

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Mode selects the speed/accuracy trade-off (Verifik search_mode).
type Mode int

const (
	// Accurate: detector at full resolution, both liveness networks,
	// flip-averaged embedding.
	Accurate Mode = iota
	// Fast: detector at a smaller input, one liveness network (V2), one
	// embedding pass.
	Fast
)

// MultiFace says what to do when an image holds several faces.
type MultiFace int

const (
	Largest     MultiFace = iota // use the largest face
	RejectMulti                  // fail with ErrTooManyFaces
)

// Options for one verification.
type Options struct {
	Mode              Mode
	Liveness          bool      // run liveness on the probe
	LivenessThreshold float64   // live when probability >= this (0..1)
	CompareThreshold  float64   // match when calibrated score >= this (0..1)
	ProbeFaces        MultiFace // policy for the probe
	GalleryFaces      MultiFace // policy for gallery images
}

// Point is a pixel position in the original (EXIF-rotated) image.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Box is a face rectangle in pixels of the original (EXIF-rotated) image.
type Box struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w"`
	H float64 `json:"h"`
}

// Check is one quality measurement: its value, the threshold it is compared
// with, and the vendor code reported when it fails (empty when none exists).
type Check struct {
	Name      string  `json:"name"`      // "face_size", "eye_distance", "yaw", "pitch", "roll", "exposure", "blur", "face_count", "border"
	Value     float64 `json:"value"`     // measured
	Threshold float64 `json:"threshold"` // limit
	Passed    bool    `json:"passed"`
	Code      string  `json:"code,omitempty"` // FACE_TOO_SMALL, FACE_ANGLE_TOO_LARGE, FACE_CLOSE_TO_BORDER, ...
}

// Quality is the report for one face.
type Quality struct {
	Checks      []Check `json:"checks"`
	Probability float64 `json:"probability"` // 0..1: how fit the image is for liveness/matching
}

// Face is one detected face.
type Face struct {
	Box       Box      `json:"box"`
	Landmarks [5]Point `json:"landmarks"` // eyes, nose, mouth corners (ArcFace order)
	Score     float64  `json:"score"`     // detector confidence
	Quality   Quality  `json:"quality"`
}

// LivenessOutcome is the liveness verdict kind.
type LivenessOutcome string

const (
	Live                 LivenessOutcome = "live"
	Spoof                LivenessOutcome = "spoof"
	InsufficientContext  LivenessOutcome = "insufficient_context" // face too close to the border / tight crop: no 2.7x/4x context
	LivenessNotRequested LivenessOutcome = "not_requested"
)

// Liveness is the probe's liveness result.
type Liveness struct {
	Outcome     LivenessOutcome `json:"outcome"`
	Probability float64         `json:"probability"` // P(live), 0..1 (fused MiniFASNet)
	Passed      bool            `json:"passed"`      // Probability >= threshold and Outcome == Live
	Models      []string        `json:"models"`      // networks that ran
	// Context is k'/k of the 2.7x crop: the share of the trained context
	// that fitted in the image (below liveness.MinContext the outcome is
	// InsufficientContext). Added by the pipeline; 0 when not requested.
	Context float64 `json:"context,omitempty"`
}

// Match is the comparison of the probe with one gallery image.
type Match struct {
	Index  int     `json:"index"`
	Cosine float64 `json:"cosine"`
	Score  float64 `json:"score"` // calibrated 0..1
	Face   *Face   `json:"face,omitempty"`
	Error  string  `json:"error,omitempty"` // e.g. "face_not_found" for this gallery image
}

// Result of a verification.
type Result struct {
	Score    float64       `json:"score"`  // best calibrated score over the gallery, 0..1
	Cosine   float64       `json:"cosine"` // cosine of that best match
	Matched  bool          `json:"matched"`
	Passed   bool          `json:"passed"` // Matched && (liveness not requested || Liveness.Passed)
	Best     int           `json:"best"`   // index of the best gallery image
	Matches  []Match       `json:"matches"`
	Probe    Face          `json:"probe"`
	Faces    int           `json:"faces"` // faces found in the probe
	Liveness Liveness      `json:"liveness"`
	Models   []string      `json:"models"`
	Timings  []StageTiming `json:"timings"`
}

// StageTiming is the wall time of one pipeline stage.
type StageTiming struct {
	Stage    string        `json:"stage"` // decode, detect, align, embed, liveness
	Duration time.Duration `json:"ns"`
}

// Verifier is what the HTTP layer needs from the pipeline.
type Verifier interface {
	Verify(ctx context.Context, probe []byte, gallery [][]byte, opt Options) (*Result, error)
}

// ImageError says which input image an error is about.
type ImageError struct {
	Image string // "probe", "gallery[2]", "imageIdCard", ...
	Err   error
}

func (e *ImageError) Error() string { return fmt.Sprintf("%s: %v", e.Image, e.Err) }
func (e *ImageError) Unwrap() error { return e.Err }

// Sentinel errors the HTTP layer maps to vendor error bodies.
var (
	ErrNotImage      = errors.New("face: not a decodable image")            // bad base64 or undecodable bytes
	ErrFormat        = errors.New("face: unsupported image format")         // decodable header but not jpeg/png/webp
	ErrImageTooLarge = errors.New("face: image too large")                  // bytes or pixels over the limit
	ErrNoFace        = errors.New("face: no face found")                    // no face above the detector threshold
	ErrTooManyFaces  = errors.New("face: several faces where one expected") // RejectMulti policy
)
