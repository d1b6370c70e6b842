package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/facegate/facegate/nets/face"
)

// OkayFace "1:1 Face Verification V2-2": POST /api/faceid/v2-2/verify.
// imageBest (the selfie) is the probe, liveness runs on it; imageIdCard is
// the one-image gallery.

const (
	okayLivenessThreshold = 0.5  // probability > 0.5 = live (vendor)
	okayCompareThreshold  = 0.75 // the vendor's recommended confidence 75
	okayMaxKeyBytes       = 4096
)

// okayImage is one image field as received: raw bytes from a file part, or
// base64 text from a JSON, form or multipart text field.
type okayImage struct {
	present  bool
	file     []byte
	text     string
	tooLarge bool // a file part over the byte limit (reported after auth)
}

type okayFields struct {
	apiKey string
	idCard okayImage
	best   okayImage
}

var errMalformed = errors.New("malformed request body")

// okayface serves verify: read the body (JSON, urlencoded form or
// multipart), authenticate its apiKey, decode, take a pipeline slot,
// verify, answer.
func (s *Server) okayface(w http.ResponseWriter, r *http.Request) {
	ri := info(r.Context())
	// The deadline covers the wait for a slot and the verification.
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	f, err := s.readOkayFields(w, r)
	switch {
	case errors.Is(err, errTooLarge):
		s.okayError(w, ri, http.StatusRequestEntityTooLarge, okayTooLarge())
		return
	case err != nil:
		// Decided: a body that is not JSON or a form is a 400 in the error shape.
		s.okayError(w, ri, http.StatusBadRequest, okayErr("MALFORMED_REQUEST", nil))
		return
	}
	if f.apiKey == "" {
		s.okayError(w, ri, http.StatusBadRequest, okayErr("MISSING_ARGUMENT: apiKey", nil))
		return
	}
	name, res := s.cfg.Credentials.Check(KindOkayFace, f.apiKey)
	ri.credential = name
	switch res {
	case AuthUnknown:
		s.okayError(w, ri, http.StatusUnauthorized, okayErr("INVALID_API_KEY", nil))
		return
	case AuthExpired:
		s.okayError(w, ri, http.StatusForbidden, okayStatus("API_KEY_EXPIRED"))
		return
	case AuthQuota:
		s.okayError(w, ri, http.StatusTooManyRequests, okayStatus("MAX_API_CALL_EXCEEDED"))
		return
	}
	if !f.idCard.present || !f.best.present {
		s.okayError(w, ri, http.StatusBadRequest, okayErr("MISSING_ARGUMENTS: imageIdCard or imageBest", nil))
		return
	}
	idCard, err := s.okayImageBytes(f.idCard)
	if err == nil {
		var best []byte
		if best, err = s.okayImageBytes(f.best); err == nil {
			s.okayVerify(ctx, w, ri, best, idCard)
			return
		}
	}
	if errors.Is(err, errTooLarge) {
		s.okayError(w, ri, http.StatusRequestEntityTooLarge, okayTooLarge())
		return
	}
	s.okayError(w, ri, http.StatusUnsupportedMediaType, okayErr("Photo format error", nil))
}

func (s *Server) okayVerify(ctx context.Context, w http.ResponseWriter, ri *reqInfo, best, idCard []byte) {
	// The body's request_id is a UUID v4: the client's X-Request-Id when it
	// is one, else a new one.
	requestID := ri.id
	if !isUUIDv4(requestID) {
		requestID = newUUID()
	}
	if !s.cfg.Ready() || !s.lim.acquire(ctx) {
		s.met.rejected(epOkayFace)
		s.okayBusy(w, ri)
		return
	}
	defer s.lim.release()
	opt := face.Options{
		Mode:              face.Accurate,
		Liveness:          true,
		LivenessThreshold: okayLivenessThreshold,
		CompareThreshold:  okayCompareThreshold,
		ProbeFaces:        face.RejectMulti,
		GalleryFaces:      face.Largest,
	}
	result, err := s.v.Verify(ctx, best, [][]byte{idCard}, opt)
	if err != nil {
		s.okayFaceError(w, ri, requestID, err)
		return
	}
	ri.timings = result.Timings
	fi := newFacegateInfo(requestID, opt.Mode, result, okayImageName)
	if code := okayQualityError(result, s.cfg.OkayFaceQualityErrors); code != "" {
		s.okayError(w, ri, http.StatusOK, map[string]any{"error": code, "request_id": requestID, "facegate": fi})
		return
	}
	p := finite(result.Liveness.Probability)
	writeJSON(w, http.StatusOK, okayResponse{
		ImageBestLiveness: okayLiveness{Probability: p, Score: logit(p), Quality: finite(result.Probe.Quality.Probability)},
		RequestID:         requestID,
		ResultIDCard:      okayConfidence{Confidence: 100 * finite(result.Score)},
		Facegate:          fi,
	})
}

// okayQualityError returns the vendor code that replaces the result, or ""
// (decided). The selfie's failed quality checks always show in
// facegate.failed_checks and lower imageBestLiveness.quality, but they only
// replace the result when liveness could not be judged at all (no room
// for the context crop: the face is cropped, at the border or too close),
// or, with strict set, whenever any coded check fails. Rejecting every
// selfie under the vendor's 180 px guidance by default would refuse
// ordinary 640x480 webcam captures whose liveness is clear.
func okayQualityError(r *face.Result, strict bool) string {
	codes := failedCodes(&r.Probe)
	if strict && len(codes) > 0 {
		return codes[0]
	}
	if r.Liveness.Outcome != face.InsufficientContext {
		return ""
	}
	for _, c := range codes {
		if c == "FACE_CROPPED" || c == "FACE_CLOSE_TO_BORDER" || c == "FACE_TOO_CLOSE" {
			return c
		}
	}
	return "FACE_CLOSE_TO_BORDER"
}

type okayResponse struct {
	ImageBestLiveness okayLiveness   `json:"imageBestLiveness"`
	RequestID         string         `json:"request_id"`
	ResultIDCard      okayConfidence `json:"result_idcard"`
	Facegate          *facegateInfo  `json:"facegate"`
}

type okayLiveness struct {
	Probability float64 `json:"probability"`
	Score       float64 `json:"score"`
	Quality     float64 `json:"quality"`
}

type okayConfidence struct {
	Confidence float64 `json:"confidence"`
}

func okayImageName(i int) string {
	if i < 0 {
		return "imageBest"
	}
	return "imageIdCard"
}

func okayErr(code string, requestID *string) map[string]any {
	return map[string]any{"error": code, "request_id": requestID}
}

// okayTooLarge is the only OkayFace body without a request_id.
func okayTooLarge() map[string]any { return map[string]any{"error": "PAYLOAD_TOO_LARGE"} }

// okayBusy answers 503 (decided: the vendor documents no overload body).
func (s *Server) okayBusy(w http.ResponseWriter, ri *reqInfo) {
	s.retryAfter(w)
	s.okayError(w, ri, http.StatusServiceUnavailable, okayErr("SERVER_BUSY", nil))
}

func okayStatus(message string) map[string]any {
	return map[string]any{"status": "error", "message": message, "result": nil}
}

// okayError writes an error body; with OkayFaceErrors200 every status
// becomes 200.
func (s *Server) okayError(w http.ResponseWriter, ri *reqInfo, status int, body map[string]any) {
	if c, ok := body["error"].(string); ok {
		ri.code = c
	} else if m, ok := body["message"].(string); ok {
		ri.code = m
	}
	if s.cfg.OkayFaceErrors200 {
		status = http.StatusOK
	}
	writeJSON(w, status, body)
}

// okayFaceError maps a pipeline error: face outcomes are 200s with a code
// and the request id; protocol-level ones keep their 4xx.
func (s *Server) okayFaceError(w http.ResponseWriter, ri *reqInfo, requestID string, err error) {
	faceOutcome := func(code string) {
		body := okayErr(code, &requestID)
		var ie *face.ImageError
		if errors.As(err, &ie) {
			body["facegate"] = map[string]any{"request_id": requestID, "image": okayPipelineImage(ie.Image)}
		}
		s.okayError(w, ri, http.StatusOK, body)
	}
	switch {
	case errors.Is(err, face.ErrNoFace):
		faceOutcome("FACE_NOT_FOUND")
	case errors.Is(err, face.ErrTooManyFaces):
		faceOutcome("TOO_MANY_FACES")
	case errors.Is(err, face.ErrImageTooLarge):
		s.okayError(w, ri, http.StatusRequestEntityTooLarge, okayTooLarge())
	case errors.Is(err, face.ErrNotImage), errors.Is(err, face.ErrFormat):
		s.okayError(w, ri, http.StatusUnsupportedMediaType, okayErr("Photo format error", nil))
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		ri.err = err
		s.okayBusy(w, ri)
	default:
		ri.err = err
		s.okayError(w, ri, http.StatusInternalServerError, okayErr("INTERNAL_ERROR", nil))
	}
}

// okayPipelineImage names the pipeline's image ("probe", "gallery[0]") in
// OkayFace terms.
func okayPipelineImage(name string) string {
	if name == "probe" {
		return "imageBest"
	}
	return "imageIdCard"
}

// okayImageBytes returns the encoded image: file bytes as they are, text
// decoded from base64 (a file holding base64 text is accepted too). Only
// JPEG and PNG pass, as the contract says.
func (s *Server) okayImageBytes(img okayImage) ([]byte, error) {
	if img.tooLarge {
		return nil, errTooLarge
	}
	data := img.file
	if data == nil || !isJPEGOrPNG(data) {
		text := img.text
		if data != nil {
			text = string(data)
		}
		var err error
		if data, err = decodeBase64(text, s.cfg.MaxImageBytes); err != nil {
			return nil, err
		}
	}
	if !isJPEGOrPNG(data) {
		return nil, errNotBase64
	}
	return data, nil
}

// readOkayFields reads the request's three fields from whichever encoding
// it uses. Fields of the wrong JSON type count as missing.
func (s *Server) readOkayFields(w http.ResponseWriter, r *http.Request) (*okayFields, error) {
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		return s.readOkayMultipart(w, r, params["boundary"])
	}
	body, tooLarge, err := readBody(w, r, s.cfg.MaxBodyBytes)
	if tooLarge {
		return nil, errTooLarge
	}
	if err != nil {
		return nil, errMalformed
	}
	f := &okayFields{}
	if ct == "application/x-www-form-urlencoded" {
		q, err := formFields(string(body), "apiKey", "imageIdCard", "imageBest")
		if err != nil {
			return nil, errMalformed
		}
		f.apiKey = q["apiKey"]
		for name, img := range map[string]*okayImage{"imageIdCard": &f.idCard, "imageBest": &f.best} {
			if v := q[name]; v != "" {
				*img = okayImage{present: true, text: v}
			}
		}
		return f, nil
	}
	// Walked, not unmarshalled into a map: see jsonscan.go.
	if !json.Valid(body) {
		return nil, errMalformed
	}
	raw, isObject := objectFields(body, "apiKey", "imageIdCard", "imageBest")
	if !isObject {
		return nil, errMalformed
	}
	str := func(name string) string {
		var v string
		if b, ok := raw[name]; ok && len(b) > 0 && b[0] == '"' {
			json.Unmarshal(b, &v)
		}
		return v
	}
	f.apiKey = str("apiKey")
	if v := str("imageIdCard"); v != "" {
		f.idCard = okayImage{present: true, text: v}
	}
	if v := str("imageBest"); v != "" {
		f.best = okayImage{present: true, text: v}
	}
	return f, nil
}

// formFields returns the first value of each named field of an
// application/x-www-form-urlencoded body. Unlike url.ParseQuery it keeps
// nothing of the other fields, so a body of millions of tiny pairs costs
// no more than its own size (the same reason jsonscan.go walks JSON).
func formFields(body string, names ...string) (map[string]string, error) {
	out := make(map[string]string, len(names))
	for body != "" {
		var pair string
		pair, body, _ = strings.Cut(body, "&")
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, err
		}
		if _, seen := out[key]; seen || !slices.Contains(names, key) {
			continue
		}
		if out[key], err = url.QueryUnescape(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readOkayMultipart streams the parts, keeping at most the byte limit of
// each image (a file part over it is flagged, not an immediate error, so
// that authentication is still answered first) and discarding other parts.
func (s *Server) readOkayMultipart(w http.ResponseWriter, r *http.Request, boundary string) (*okayFields, error) {
	if boundary == "" {
		return nil, errMalformed
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		return nil, errTooLarge
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes), boundary)
	f := &okayFields{}
	scratch := make([]byte, 32<<10)
	// Base64 text is 4/3 of the bytes, plus line breaks and a data: prefix.
	textLimit := int64(s.cfg.MaxImageBytes)*3/2 + 4096
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return f, nil
		}
		if err != nil {
			return nil, multipartErr(err)
		}
		var img *okayImage
		switch part.FormName() {
		case "apiKey":
			b, over, err := readPart(part, okayMaxKeyBytes, scratch)
			if err != nil {
				return nil, multipartErr(err)
			}
			if !over {
				f.apiKey = string(bytes.TrimSpace(b))
			}
			continue
		case "imageIdCard":
			img = &f.idCard
		case "imageBest":
			img = &f.best
		default:
			if err := discard(part, scratch); err != nil {
				return nil, multipartErr(err)
			}
			continue
		}
		isFile := part.FileName() != ""
		limit := textLimit
		if isFile {
			limit = int64(s.cfg.MaxImageBytes)
		}
		b, over, err := readPart(part, limit, scratch)
		if err != nil {
			return nil, multipartErr(err)
		}
		switch {
		case over:
			*img = okayImage{present: true, tooLarge: true}
		case len(b) == 0:
			// an empty field is a missing one
		case isFile:
			*img = okayImage{present: true, file: b}
		default:
			*img = okayImage{present: true, text: string(b)}
		}
	}
}

// discard reads r to the end through scratch. (io.Copy to io.Discard takes
// a pooled buffer per call, which a body of many tiny parts turns into one
// allocation per part when the pool is cold.)
func discard(r io.Reader, scratch []byte) error {
	for {
		_, err := r.Read(scratch)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readPart reads up to limit bytes of p; over reports that p was longer
// (the rest is drained).
func readPart(p *multipart.Part, limit int64, scratch []byte) (b []byte, over bool, err error) {
	b, err = readAll(io.LimitReader(p, limit+1), -1)
	if err != nil {
		return nil, false, err
	}
	if int64(len(b)) > limit {
		err = discard(p, scratch)
		return nil, true, err
	}
	return b, false, nil
}

func multipartErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	return errMalformed
}
