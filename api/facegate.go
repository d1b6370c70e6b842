package api

import (
	"github.com/facegate/facegate/nets/face"
)

// facegateInfo is what facegate adds to both contracts (Verifik under
// data.facegate, OkayFace under a top-level facegate): the detail behind
// the vendor's few numbers. Clients of the vendors ignore it.
type facegateInfo struct {
	RequestID string       `json:"request_id"`
	Mode      string       `json:"mode"` // "fast" or "accurate"
	Score     float64      `json:"score"`
	Cosine    float64      `json:"cosine"`
	Matched   bool         `json:"matched"`
	Best      int          `json:"best"`
	Matches   []matchInfo  `json:"matches"`
	Probe     faceInfo     `json:"probe"`
	Faces     int          `json:"faces"` // faces found in the probe
	Liveness  livenessInfo `json:"liveness"`
	Models    []string     `json:"models"`
	Timings   []timingInfo `json:"timings"`
	Failed    []string     `json:"failed_checks,omitempty"` // vendor codes of the probe's failed quality checks
}

type matchInfo struct {
	Image  string    `json:"image"`
	Index  int       `json:"index"`
	Score  float64   `json:"score"`
	Cosine float64   `json:"cosine"`
	Face   *faceInfo `json:"face,omitempty"`
	Error  string    `json:"error,omitempty"`
}

type point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

type faceInfo struct {
	Box       boxInfo       `json:"box"`
	Landmarks []point       `json:"landmarks"` // right eye, left eye, nose, mouth corners (ArcFace order)
	Score     float64       `json:"score"`
	Quality   qualityReport `json:"quality"`
}

type boxInfo struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w"`
	H float64 `json:"h"`
}

type qualityReport struct {
	Probability float64      `json:"probability"`
	Checks      []face.Check `json:"checks"`
}

type livenessInfo struct {
	Outcome     string   `json:"outcome"`
	Probability float64  `json:"probability"`
	Passed      bool     `json:"passed"`
	Models      []string `json:"models"`
}

type timingInfo struct {
	Stage string  `json:"stage"`
	MS    float64 `json:"ms"`
}

func newFaceInfo(f *face.Face) faceInfo {
	fi := faceInfo{
		Box:       boxInfo{finite(f.Box.X), finite(f.Box.Y), finite(f.Box.W), finite(f.Box.H)},
		Landmarks: make([]point, len(f.Landmarks)),
		Score:     finite(f.Score),
		Quality:   qualityReport{Probability: finite(f.Quality.Probability), Checks: make([]face.Check, len(f.Quality.Checks))},
	}
	for i, p := range f.Landmarks {
		fi.Landmarks[i] = point{finite(p.X), finite(p.Y)}
	}
	for i, c := range f.Quality.Checks {
		c.Value, c.Threshold = finite(c.Value), finite(c.Threshold)
		fi.Quality.Checks[i] = c
	}
	return fi
}

// newFacegateInfo maps a pipeline result; image names gallery index i
// (-1 for the probe) in the caller's contract.
func newFacegateInfo(requestID string, mode face.Mode, r *face.Result, image func(i int) string) *facegateInfo {
	fi := &facegateInfo{
		RequestID: requestID,
		Mode:      "accurate",
		Score:     finite(r.Score),
		Cosine:    finite(r.Cosine),
		Matched:   r.Matched,
		Best:      r.Best,
		Matches:   make([]matchInfo, len(r.Matches)),
		Probe:     newFaceInfo(&r.Probe),
		Faces:     r.Faces,
		Liveness: livenessInfo{
			Outcome:     string(r.Liveness.Outcome),
			Probability: finite(r.Liveness.Probability),
			Passed:      r.Liveness.Passed,
			Models:      nonNil(r.Liveness.Models),
		},
		Models:  nonNil(r.Models),
		Timings: make([]timingInfo, len(r.Timings)),
	}
	if mode == face.Fast {
		fi.Mode = "fast"
	}
	for i, m := range r.Matches {
		mi := matchInfo{Image: image(m.Index), Index: m.Index, Score: finite(m.Score), Cosine: finite(m.Cosine), Error: m.Error}
		if m.Face != nil {
			f := newFaceInfo(m.Face)
			mi.Face = &f
		}
		fi.Matches[i] = mi
	}
	for i, t := range r.Timings {
		fi.Timings[i] = timingInfo{Stage: t.Stage, MS: float64(t.Duration.Microseconds()) / 1000}
	}
	fi.Failed = failedCodes(&r.Probe)
	return fi
}

// failedCodes lists the vendor codes of f's failed quality checks.
func failedCodes(f *face.Face) []string {
	var out []string
	for _, c := range f.Quality.Checks {
		if !c.Passed && c.Code != "" {
			out = append(out, c.Code)
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
