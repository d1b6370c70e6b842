package api

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/facegate/facegate/nets/face"
)

// Config tunes the service. Zero values take the documented defaults.
type Config struct {
	// Credentials holds the accepted Verifik tokens and OkayFace API keys.
	// nil rejects every request.
	Credentials *Credentials
	// Logger receives one JSON line per request; nil logs to stderr.
	Logger *slog.Logger

	MaxBodyBytes   int64         // request body limit; default 24 MiB
	MaxImageBytes  int           // decoded bytes per image; default 3 MiB (OkayFace's documented limit)
	MaxGallery     int           // Verifik gallery length; default 10
	Concurrency    int           // verifications running at once; default GOMAXPROCS
	Queue          int           // requests allowed to wait for a slot; default 2×Concurrency
	QueueWait      time.Duration // longest wait for a slot; default 2s
	RequestTimeout time.Duration // per-request deadline; default 30s
	RetryAfter     time.Duration // Retry-After on 503; default 1s

	// OkayFaceErrors200 answers every OkayFace error with HTTP 200 (the body
	// is unchanged), for legacy clients that treat any other status as a
	// transport failure.
	OkayFaceErrors200 bool
	// OkayFaceQualityErrors answers with the vendor's quality code
	// (FACE_TOO_SMALL, FACE_ANGLE_TOO_LARGE, ...) whenever the selfie fails
	// a coded quality check, instead of only when liveness could not be
	// judged; see okayQualityError.
	OkayFaceQualityErrors bool

	// Ready reports whether the models are loaded and a warm-up inference has
	// run; until then /readyz and the API endpoints answer 503. nil: ready.
	Ready func() bool
	// Now is the clock (for the Verifik signature); nil: time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 24 << 20
	}
	if c.MaxImageBytes <= 0 {
		c.MaxImageBytes = 3 << 20
	}
	if c.MaxGallery <= 0 {
		c.MaxGallery = 10
	}
	if c.Concurrency <= 0 {
		c.Concurrency = runtime.GOMAXPROCS(0)
	}
	if c.Queue < 0 {
		c.Queue = 0
	} else if c.Queue == 0 {
		c.Queue = 2 * c.Concurrency
	}
	if c.QueueWait <= 0 {
		c.QueueWait = 2 * time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Ready == nil {
		c.Ready = func() bool { return true }
	}
	return c
}

// Server is the HTTP handler for both contracts and the operational
// endpoints. It is safe for concurrent use.
type Server struct {
	cfg Config
	v   face.Verifier
	log *slog.Logger
	lim *limiter
	met *metrics
	mux *http.ServeMux
}

// NewServer returns the handler serving cfg's contracts on v.
func NewServer(cfg Config, v face.Verifier) *Server {
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, v: v, log: cfg.Logger, lim: newLimiter(cfg.Concurrency, cfg.Queue, cfg.QueueWait), met: newMetrics()}
	s.met.waiting = s.lim.waiting.Load
	s.met.ready = cfg.Ready

	s.mux = http.NewServeMux()
	s.handle("POST "+pathVerifik, epVerifik, s.verifik)
	s.handle("POST "+pathOkayFace, epOkayFace, s.okayface)
	s.handle("GET /healthz", "healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.handle("GET /readyz", "readyz", func(w http.ResponseWriter, r *http.Request) {
		if !s.cfg.Ready() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ready": true})
	})
	s.handle("GET /metrics", "metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.met.write(w)
	})
	s.handle("GET /openapi.json", "openapi", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openapiJSON)
	})
	s.handle("/", "other", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case pathVerifik, pathOkayFace:
			w.Header().Set("Allow", "POST")
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "method_not_allowed", "code": "ERROR"})
		default:
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "not_found", "code": "ERROR"})
		}
	})
	return s
}

// The contracts' paths.
const (
	pathVerifik  = "/v2/face-recognition/compare-live"
	pathOkayFace = "/api/faceid/v2-2/verify"
)

// Endpoint labels for logs and metrics.
const (
	epVerifik  = "verifik"
	epOkayFace = "okayface"
)

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// HTTPServer returns an http.Server for s with timeouts that bound slow
// clients: headers within 10 s, the whole request within the request
// timeout, the response (counted from the end of the headers: body upload,
// queue, verification and writing) within twice the request timeout plus a
// margin, idle keep-alives 2 minutes. TLS, when used, is 1.2 or newer.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.RequestTimeout,
		WriteTimeout:      2*s.cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// reqInfo is what one request's handler tells the logging middleware.
type reqInfo struct {
	id         string
	code       string // vendor error code or message, when the response is an error
	credential string // the credential's label, never the key
	err        error  // internal error, logged (pipeline errors carry no client data)
	timings    []face.StageTiming
}

type ctxKey struct{}

func info(ctx context.Context) *reqInfo {
	if ri, ok := ctx.Value(ctxKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// handle registers h under pattern with the shared middleware: request id
// (X-Request-Id accepted when sane, else a new UUID, echoed either way),
// panic recovery, metrics and one log line.
func (s *Server) handle(pattern, endpoint string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{id: r.Header.Get("X-Request-Id")}
		if !validRequestID(ri.id) {
			ri.id = newUUID()
		}
		w.Header().Set("X-Request-Id", ri.id)
		sw := &statusWriter{ResponseWriter: w}
		s.met.inFlight.Add(1)
		defer func() {
			s.met.inFlight.Add(-1)
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				ri.err = panicError{p}
				if sw.status == 0 {
					s.internalError(sw, endpoint, ri)
				}
			}
			d := time.Since(start)
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			s.met.request(endpoint, sw.status, d, ri.code)
			for _, t := range ri.timings {
				s.met.stage(t.Stage, t.Duration)
			}
			attrs := []slog.Attr{
				slog.String("request_id", ri.id),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("endpoint", endpoint),
				slog.Int("status", sw.status),
				slog.Float64("duration_ms", float64(d.Microseconds())/1000),
				slog.Int64("bytes_in", r.ContentLength),
				slog.Int64("bytes_out", sw.bytes),
				slog.String("remote", r.RemoteAddr),
			}
			if ri.code != "" {
				attrs = append(attrs, slog.String("error_code", ri.code))
			}
			if ri.credential != "" {
				attrs = append(attrs, slog.String("credential", ri.credential))
			}
			level := slog.LevelInfo
			if ri.err != nil {
				attrs = append(attrs, slog.String("error", ri.err.Error()))
				level = slog.LevelError
			}
			s.log.LogAttrs(r.Context(), level, "request", attrs...)
		}()
		h(sw, r.WithContext(context.WithValue(r.Context(), ctxKey{}, ri)))
	})
}

type panicError struct{ v any }

func (p panicError) Error() string { return "panic: " + strconv.Quote(fmtAny(p.v)) }

func fmtAny(v any) string {
	switch x := v.(type) {
	case error:
		return x.Error()
	case string:
		return x
	}
	return "non-error panic value"
}

func (s *Server) internalError(w http.ResponseWriter, endpoint string, ri *reqInfo) {
	if endpoint == epOkayFace {
		s.okayError(w, ri, http.StatusInternalServerError, okayErr("INTERNAL_ERROR", nil))
		return
	}
	verifikError(w, ri, http.StatusInternalServerError, "internal_error", "ERROR")
}

// retryAfter sets the Retry-After header of a 503.
func (s *Server) retryAfter(w http.ResponseWriter) {
	secs := int((s.cfg.RetryAfter + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"message":"internal_error","code":"ERROR"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// readBody reads at most limit bytes of r's body; tooLarge reports a body
// over the limit.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) (body []byte, tooLarge bool, err error) {
	if r.ContentLength > limit {
		return nil, true, nil
	}
	body, err = readAll(http.MaxBytesReader(w, r.Body, limit), r.ContentLength)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, true, nil
		}
		return nil, false, err
	}
	return body, false, nil
}

// readAll reads rd to the end. With a known size up to 1 MiB it allocates
// that once; otherwise (chunked or larger bodies) it reads into growing
// chunks and joins them at the end, so the peak is twice the body rather
// than the three times a doubling buffer reaches while it copies. A larger
// announced size is not allocated up front: memory must follow the bytes
// that arrive, or a client announcing 24 MiB and sending nothing holds
// 24 MiB per connection (TestAnnouncedLengthNotTrusted).
func readAll(rd io.Reader, size int64) ([]byte, error) {
	if size >= 0 && size <= 1<<20 {
		buf := make([]byte, size+1) // +1 sees a body longer than announced
		n, err := io.ReadFull(rd, buf)
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			err = nil
		}
		if err == nil && n > int(size) {
			// More than announced: net/http does not allow it, but keep
			// reading so the limit decides.
			rest, err := io.ReadAll(rd)
			return append(buf[:n], rest...), err
		}
		return buf[:n], err
	}
	var chunks [][]byte
	total := 0
	for chunk := 16 << 10; ; chunk = min(2*chunk, 1<<20) {
		c := make([]byte, chunk)
		n, err := io.ReadFull(rd, c)
		chunks = append(chunks, c[:n])
		total += n
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	out := make([]byte, 0, total)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out, nil
}
