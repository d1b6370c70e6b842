package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/facegate/facegate/nets/face"
)

// Verifik "Compare 1:1 Live": POST /v2/face-recognition/compare-live.

// Bounds of the Verifik thresholds (CONTRACTS.md §1).
const (
	livenessMin        = 0.52
	livenessMax        = 1.0
	compareMin         = 0.67
	compareMax         = 0.95
	compareDefault     = 0.85
	verifikDateTimeFmt = "January 2, 2006 3:04 PM"
)

var (
	searchModes = []string{"FAST", "ACCURATE"}
	osValues    = []string{"DESKTOP", "IOS", "ANDROID"}
)

// verifikRequest is a validated compare-live request; images are still
// base64 text.
type verifikRequest struct {
	Probe       string
	Gallery     []string
	OS          string
	SearchMode  string
	LivenessMin float64
	CompareMin  float64
}

// validationError is a Joi-style message naming the field, answered with
// 409 MissingParameter.
type validationError string

func (e validationError) Error() string { return string(e) }

func joiErr(field, format string, a ...any) validationError {
	return validationError(strconv.Quote(field) + " " + fmt.Sprintf(format, a...))
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// parseVerifik validates the body the way the vendor's Joi schema does:
// fields in schema order, the first failure wins, numbers given as numeric
// strings are converted (Joi's default), unknown fields are ignored
// (decided: clients sending extra fields keep working).
func parseVerifik(body []byte, maxGallery int) (*verifikRequest, error) {
	// Walked, not unmarshalled into a map: see jsonscan.go.
	if !json.Valid(body) {
		return nil, errMalformedJSON
	}
	fields, isObject := objectFields(body, "probe", "gallery", "os", "search_mode", "liveness_min_score", "compare_min_score")
	if !isObject { // an array, a scalar or null
		return nil, validationError(`"value" must be of type object`)
	}
	req := &verifikRequest{}
	var err error
	if req.Probe, err = joiString(fields, "probe"); err != nil {
		return nil, err
	}
	if req.Gallery, err = joiStringArray(fields, "gallery", maxGallery); err != nil {
		return nil, err
	}
	if _, ok := fields["os"]; ok {
		if req.OS, err = joiEnum(fields, "os", osValues); err != nil {
			return nil, err
		}
	}
	if req.SearchMode, err = joiEnum(fields, "search_mode", searchModes); err != nil {
		return nil, err
	}
	if req.LivenessMin, err = joiNumber(fields, "liveness_min_score", livenessMin, livenessMax); err != nil {
		return nil, err
	}
	req.CompareMin = compareDefault
	if _, ok := fields["compare_min_score"]; ok {
		if req.CompareMin, err = joiNumber(fields, "compare_min_score", compareMin, compareMax); err != nil {
			return nil, err
		}
	}
	return req, nil
}

var errMalformedJSON = errors.New("malformed JSON")

func joiString(fields map[string]json.RawMessage, name string) (string, error) {
	raw, ok := fields[name]
	if !ok {
		return "", joiErr(name, "is required")
	}
	return joiStringValue(raw, name)
}

func joiStringValue(raw json.RawMessage, label string) (string, error) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", joiErr(label, "must be a string")
	}
	if s == "" {
		return "", joiErr(label, "is not allowed to be empty")
	}
	return s, nil
}

func joiStringArray(fields map[string]json.RawMessage, name string, max int) ([]string, error) {
	raw, ok := fields[name]
	if !ok {
		return nil, joiErr(name, "is required")
	}
	// Every item is checked (Joi reports an item error before the length),
	// but only the first max are kept: memory stays bounded by max however
	// many items the body holds.
	var out []string
	n := 0
	var itemErr error
	isArray := arrayItems(raw, func(it []byte) bool {
		if n < max || len(it) < 3 || it[0] != '"' { // kept, or not a non-empty string
			s, err := joiStringValue(it, fmt.Sprintf("%s[%d]", name, n))
			if err != nil {
				itemErr = err
				return false
			}
			out = append(out, s)
		}
		n++
		return true
	})
	switch {
	case !isArray:
		return nil, joiErr(name, "must be an array")
	case itemErr != nil:
		return nil, itemErr
	case n < 1:
		return nil, joiErr(name, "must contain at least 1 items")
	case n > max:
		return nil, joiErr(name, "must contain less than or equal to %d items", max)
	}
	return out, nil
}

func joiEnum(fields map[string]json.RawMessage, name string, values []string) (string, error) {
	raw, ok := fields[name]
	if !ok {
		return "", joiErr(name, "is required")
	}
	var s string
	if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		for _, v := range values {
			if s == v {
				return s, nil
			}
		}
	}
	return "", joiErr(name, "must be one of [%s]", strings.Join(values, ", "))
}

func joiNumber(fields map[string]json.RawMessage, name string, min, max float64) (float64, error) {
	raw, ok := fields[name]
	if !ok {
		return 0, joiErr(name, "is required")
	}
	var x float64
	switch {
	case len(raw) > 0 && (raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9'):
		if json.Unmarshal(raw, &x) != nil {
			return 0, joiErr(name, "must be a number")
		}
	case len(raw) > 0 && raw[0] == '"':
		var s string
		var err error
		if json.Unmarshal(raw, &s) != nil {
			return 0, joiErr(name, "must be a number")
		}
		if x, err = strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil || s == "" || finite(x) != x {
			return 0, joiErr(name, "must be a number")
		}
	default:
		return 0, joiErr(name, "must be a number")
	}
	if x < min {
		return 0, joiErr(name, "must be greater than or equal to %s", num(min))
	}
	if x > max {
		return 0, joiErr(name, "must be less than or equal to %s", num(max))
	}
	return x, nil
}

// Verifik response bodies.

type verifikErrorBody struct {
	Message string `json:"message"`
	Code    string `json:"code"`
	Image   string `json:"image,omitempty"` // face errors: "probe" or "gallery[i]"
}

func verifikError(w http.ResponseWriter, ri *reqInfo, status int, message, code string) {
	verifikImageError(w, ri, status, message, code, "")
}

func verifikImageError(w http.ResponseWriter, ri *reqInfo, status int, message, code, image string) {
	ri.code = message
	writeJSON(w, status, verifikErrorBody{Message: message, Code: code, Image: image})
}

func (s *Server) verifikBusy(w http.ResponseWriter, ri *reqInfo) {
	s.retryAfter(w)
	verifikError(w, ri, http.StatusServiceUnavailable, "server_busy", "ERROR")
}

type verifikLivenessScore struct {
	LivenessScore float64 `json:"liveness_score"`
	MinScore      float64 `json:"min_score"`
	Passed        bool    `json:"passed"`
}

type verifikResponse struct {
	ID   string      `json:"id"`
	Data verifikData `json:"data"`
	// Signature mirrors the vendor's certification block.
	Signature verifikSignature `json:"signature"`
}

type verifikData struct {
	Score            float64 `json:"score"`
	Passed           bool    `json:"passed"`
	CompareMinScore  float64 `json:"compare_min_score"`
	LivenessMinScore float64 `json:"liveness_min_score"`
	Liveness         struct {
		verifikLivenessScore
		Result verifikLivenessScore `json:"result"`
	} `json:"liveness"`
	Comparison struct {
		Result struct {
			Score float64 `json:"score"`
		} `json:"result"`
	} `json:"comparison"`
	Result struct {
		Score         float64 `json:"score"`
		LivenessScore float64 `json:"liveness_score"`
		Passed        bool    `json:"passed"`
	} `json:"result"`
	SearchMode string        `json:"search_mode"`
	OS         string        `json:"os,omitempty"`
	Facegate   *facegateInfo `json:"facegate"`
}

type verifikSignature struct {
	Message  string `json:"message"`
	DateTime string `json:"dateTime"`
}

// verifik serves compare-live: authenticate, read and validate the body,
// take a pipeline slot, decode the images, verify, answer. The slot is taken
// after reading, so a slow upload never holds one.
func (s *Server) verifik(w http.ResponseWriter, r *http.Request) {
	ri := info(r.Context())
	// The deadline covers the wait for a slot and the verification.
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	token, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		verifikError(w, ri, http.StatusUnauthorized, "Authentication required", "UNAUTHORIZED")
		return
	}
	name, res := s.cfg.Credentials.Check(KindVerifik, token)
	ri.credential = name
	switch res {
	case AuthUnknown:
		verifikError(w, ri, http.StatusUnauthorized, "Authentication required", "UNAUTHORIZED")
		return
	case AuthExpired:
		verifikError(w, ri, http.StatusForbidden, "token_expired", "FORBIDDEN")
		return
	case AuthQuota:
		// Decided: the contract has no quota row; 429 in the same shape.
		verifikError(w, ri, http.StatusTooManyRequests, "quota_exceeded", "TOO_MANY_REQUESTS")
		return
	}
	body, tooLarge, err := readBody(w, r, s.cfg.MaxBodyBytes)
	switch {
	case tooLarge:
		verifikError(w, ri, http.StatusRequestEntityTooLarge, "payload_too_large", "ERROR")
		return
	case err != nil:
		// The client went away or stalled past the read timeout.
		verifikError(w, ri, http.StatusBadRequest, "body_read_error", "ERROR")
		return
	}
	req, err := parseVerifik(body, s.cfg.MaxGallery)
	if err != nil {
		var ve validationError
		if errors.As(err, &ve) {
			verifikError(w, ri, http.StatusConflict, string(ve), "MissingParameter")
		} else {
			// Decided: not JSON at all is a 400 in the error shape.
			verifikError(w, ri, http.StatusBadRequest, "invalid_json", "ERROR")
		}
		return
	}

	if !s.cfg.Ready() || !s.lim.acquire(ctx) {
		s.met.rejected(epVerifik)
		s.verifikBusy(w, ri)
		return
	}
	defer s.lim.release()
	probe, gallery, imgErr := s.decodeVerifikImages(req)
	if imgErr != nil {
		s.verifikFaceError(w, ri, imgErr)
		return
	}
	mode := face.Accurate
	if req.SearchMode == "FAST" {
		mode = face.Fast
	}
	opt := face.Options{
		Mode:              mode,
		Liveness:          true,
		LivenessThreshold: req.LivenessMin,
		CompareThreshold:  req.CompareMin,
		ProbeFaces:        face.Largest,
		GalleryFaces:      face.Largest,
	}
	result, err := s.v.Verify(ctx, probe, gallery, opt)
	if err != nil {
		s.verifikFaceError(w, ri, err)
		return
	}
	ri.timings = result.Timings

	liveScore := finite(result.Liveness.Probability)
	livePassed := result.Liveness.Passed && liveScore >= req.LivenessMin
	score := finite(result.Score)
	var resp verifikResponse
	resp.ID = verifikID()
	d := &resp.Data
	d.Score = score
	d.Passed = score >= req.CompareMin && livePassed
	d.CompareMinScore = req.CompareMin
	d.LivenessMinScore = req.LivenessMin
	d.Liveness.verifikLivenessScore = verifikLivenessScore{LivenessScore: liveScore, MinScore: req.LivenessMin, Passed: livePassed}
	d.Liveness.Result = d.Liveness.verifikLivenessScore
	d.Comparison.Result.Score = score
	d.Result.Score = score
	d.Result.LivenessScore = liveScore
	d.Result.Passed = d.Passed
	d.SearchMode = req.SearchMode
	d.OS = req.OS
	d.Facegate = newFacegateInfo(ri.id, mode, result, verifikImageName)
	resp.Signature = verifikSignature{Message: "Certified by facegate", DateTime: verifikDateTime(s.cfg.Now())}
	writeJSON(w, http.StatusOK, resp)
}

func verifikImageName(i int) string {
	if i < 0 {
		return "probe"
	}
	return fmt.Sprintf("gallery[%d]", i)
}

// decodeVerifikImages decodes the probe and the gallery from base64; errors
// are face.ImageError-wrapped sentinels like the pipeline's own.
func (s *Server) decodeVerifikImages(req *verifikRequest) (probe []byte, gallery [][]byte, err error) {
	dec := func(name, text string) ([]byte, error) {
		b, err := decodeBase64(text, s.cfg.MaxImageBytes)
		switch {
		case errors.Is(err, errTooLarge):
			return nil, &face.ImageError{Image: name, Err: face.ErrImageTooLarge}
		case err != nil:
			return nil, &face.ImageError{Image: name, Err: face.ErrNotImage}
		}
		return b, nil
	}
	if probe, err = dec("probe", req.Probe); err != nil {
		return nil, nil, err
	}
	gallery = make([][]byte, len(req.Gallery))
	for i, g := range req.Gallery {
		if gallery[i], err = dec(verifikImageName(i), g); err != nil {
			return nil, nil, err
		}
	}
	return probe, gallery, nil
}

// verifikFaceError maps a decoding or pipeline error to the contract's rows.
func (s *Server) verifikFaceError(w http.ResponseWriter, ri *reqInfo, err error) {
	image := "probe"
	var ie *face.ImageError
	if errors.As(err, &ie) {
		image = ie.Image
	}
	switch {
	case errors.Is(err, face.ErrImageTooLarge):
		verifikError(w, ri, http.StatusRequestEntityTooLarge, "payload_too_large", "ERROR")
	case errors.Is(err, face.ErrNotImage), errors.Is(err, face.ErrFormat):
		verifikError(w, ri, http.StatusPreconditionFailed, "only_images_in_base64", "ERROR")
	case errors.Is(err, face.ErrNoFace):
		verifikImageError(w, ri, http.StatusPreconditionFailed, "face_not_found", "ERROR", image)
	case errors.Is(err, face.ErrTooManyFaces):
		// Decided: only reachable with a RejectMulti policy; same shape.
		verifikImageError(w, ri, http.StatusPreconditionFailed, "too_many_faces", "ERROR", image)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		ri.err = err
		s.verifikBusy(w, ri)
	default:
		ri.err = err
		verifikError(w, ri, http.StatusInternalServerError, "internal_error", "ERROR")
	}
}

// bearerToken extracts the token from "Bearer <token>" (scheme
// case-insensitive, as RFC 9110 says).
func bearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" || strings.ContainsAny(tok, " \t") {
		return "", false
	}
	return tok, true
}

// verifikDateTime formats t like the vendor's signature ("November 22, 2026 3:13 AM", UTC).
func verifikDateTime(t time.Time) string { return t.UTC().Format(verifikDateTimeFmt) }
