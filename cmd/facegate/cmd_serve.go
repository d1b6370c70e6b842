package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/facegate/facegate/api"
	"github.com/facegate/facegate/nets/face"
	"github.com/facegate/facegate/nets/imageio"
)

func init() {
	register("serve", "run the Verifik and OkayFace verification HTTP service", runServe)
}

// newPipeline loads the face pipeline; the one seam between the service
// and nets/face, replaced in tests.
var newPipeline = func(cfg face.Config) (face.Verifier, error) {
	p, err := face.New(cfg)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// serveOptions are the process-level parts of serve that tests replace.
type serveOptions struct {
	stderr   io.Writer
	listened func(addr net.Addr) // called once the API listener is open
}

func runServe(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, args, serveOptions{stderr: os.Stderr})
}

func serve(ctx context.Context, args []string, so serveOptions) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(so.stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: facegate serve [flags]

Serves POST /v2/face-recognition/compare-live (Verifik) and
POST /api/faceid/v2-2/verify (OkayFace), plus /healthz, /readyz, /metrics
and /openapi.json.

Credentials: --credentials FILE (reloaded on SIGHUP), and/or the environment:
FACEGATE_TOKENS (Verifik bearer tokens) and FACEGATE_API_KEYS (OkayFace API
keys), comma-separated. The file is JSON or text, one credential a line:

	# KIND KEY [expires=2027-01-01|RFC3339] [quota=CALLS] [name=LABEL]
	verifik  my-token expires=2027-01-01 name=web
	okayface my-api-key quota=10000

With none configured, a random credential is generated and printed once.

flags:
`)
		fs.PrintDefaults()
	}
	addr := fs.String("addr", ":8080", "listen address")
	models := modelsFlag(fs)
	credFile := fs.String("credentials", "", "credentials file (JSON or text; reloaded on SIGHUP)")
	debugAddr := fs.String("debug-addr", "", "serve pprof on this separate address, e.g. localhost:6060 (off by default)")
	tlsCert := fs.String("tls-cert", "", "TLS certificate file (PEM); with --tls-key serves HTTPS, TLS 1.2+")
	tlsKey := fs.String("tls-key", "", "TLS private key file (PEM)")
	maxBody := byteSize(24 << 20)
	fs.Var(&maxBody, "max-body", "request body limit in bytes, as a `SIZE` like 24MiB or 25165824")
	maxImage := byteSize(3 << 20)
	fs.Var(&maxImage, "max-image", "decoded bytes per image, as a `SIZE`")
	// 16 M pixels covers 12 MP phone cameras (4000×3000) with room; the
	// library default (imageio.DefaultMaxPixels, 40 M) costs ~360 MiB per
	// hostile 160 KB PNG in a server that decodes several images at once.
	maxPixels := fs.Int("max-pixels", 16_000_000, "most pixels per decoded image (width×height)")
	maxGallery := fs.Int("max-gallery", 10, "most Verifik gallery images per request")
	concurrency := fs.Int("concurrency", runtime.GOMAXPROCS(0), "verifications running at once")
	queue := fs.Int("queue", 0, "requests that may wait for a slot (0: 2×concurrency, -1: none); beyond: 503")
	queueWait := fs.Duration("queue-wait", 2*time.Second, "longest wait for a slot before 503")
	timeout := fs.Duration("timeout", 30*time.Second, "per-request deadline")
	okay200 := fs.Bool("okayface-errors-200", false, "answer every OkayFace error with HTTP 200 (same body), for strict legacy clients")
	okayQuality := fs.Bool("okayface-quality-errors", false, "answer OkayFace with the quality code (FACE_TOO_SMALL, ...) whenever the selfie fails a coded check, not only when liveness cannot be judged")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(so.stderr, "facegate serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(so.stderr, "facegate serve: "+format+"\n", a...)
		return 1
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return fail("--tls-cert and --tls-key go together")
	}
	// Models compiled into the binary (-tags embedmodels) serve unless a
	// directory is named explicitly.
	embeddedFS, modelsDir, err := modelSource(*models)
	if err != nil {
		return fail("%v", err)
	}

	logger := slog.New(slog.NewJSONHandler(so.stderr, nil))
	creds, generated, err := loadCredentials(*credFile)
	if err != nil {
		return fail("%v", err)
	}

	var verifier atomic.Pointer[face.Verifier]
	var ready atomic.Bool
	srv := api.NewServer(api.Config{
		Credentials:           creds,
		Logger:                logger,
		MaxBodyBytes:          int64(maxBody),
		MaxImageBytes:         int(maxImage),
		MaxGallery:            *maxGallery,
		Concurrency:           *concurrency,
		Queue:                 *queue,
		QueueWait:             *queueWait,
		RequestTimeout:        *timeout,
		OkayFaceErrors200:     *okay200,
		OkayFaceQualityErrors: *okayQuality,
		Ready:                 ready.Load,
	}, lateVerifier{&verifier})
	hs := srv.HTTPServer(*addr)
	if *tlsCert != "" {
		// Loaded before listening, so a bad pair is a clear start-up error.
		cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
		if err != nil {
			return fail("TLS: %v", err)
		}
		hs.TLSConfig.Certificates = []tls.Certificate{cert}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail("%v", err)
	}
	scheme := "http"
	if *tlsCert != "" {
		scheme = "https"
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	printStartup(so.stderr, scheme, ln.Addr(), modelsDir, creds, generated)
	if so.listened != nil {
		so.listened(ln.Addr())
	}

	serveErr := make(chan error, 2)
	go func() {
		if *tlsCert != "" {
			serveErr <- hs.ServeTLS(ln, "", "")
		} else {
			serveErr <- hs.Serve(ln)
		}
	}()
	var debug *http.Server
	if *debugAddr != "" {
		debug = debugServer(*debugAddr)
		dl, err := net.Listen("tcp", *debugAddr)
		if err != nil {
			hs.Close()
			return fail("--debug-addr: %v", err)
		}
		logger.Info("pprof listening", "addr", dl.Addr().String())
		if ta, ok := dl.Addr().(*net.TCPAddr); ok && !ta.IP.IsLoopback() {
			logger.Warn("pprof is reachable beyond this machine; bind --debug-addr to localhost unless that is intended", "addr", dl.Addr().String())
		}
		go func() { serveErr <- debug.Serve(dl) }()
	}

	// Load the models and warm up off the serving goroutine: /healthz
	// answers at once, /readyz and the API once a real inference has run.
	loadErr := make(chan error, 1)
	load := newPipeline // read once here: the goroutine may outlive serve
	go func() {
		start := time.Now()
		// One inference thread per session: requests already run one per
		// core (--concurrency), and the gallery images of one request in
		// parallel.
		v, err := load(face.Config{
			ModelsDir: modelsDir,
			Models:    embeddedFS,
			Threads:   1,
			Limits:    imageio.Limits{MaxBytes: int(maxImage), MaxPixels: *maxPixels},
		})
		if err == nil {
			err = warmUp(ctx, v)
		}
		if err != nil {
			loadErr <- err
			return
		}
		verifier.Store(&v)
		ready.Store(true)
		logger.Info("ready", "models", modelsDir, "load_ms", time.Since(start).Milliseconds())
	}()

	code := 0
loop:
	for {
		select {
		case <-ctx.Done():
			logger.Info("shutting down: finishing in-flight requests")
			break loop
		case <-hup:
			if err := creds.Reload(); err != nil {
				logger.Error("credentials reload failed; keeping the previous set", "error", err.Error())
			} else {
				logger.Info("credentials reloaded", "verifik", creds.Count(api.KindVerifik), "okayface", creds.Count(api.KindOkayFace))
			}
		case err := <-loadErr:
			logger.Error("loading the face pipeline failed", "models", modelsDir, "error", err.Error())
			code = 1
			break loop
		case err := <-serveErr:
			if !errors.Is(err, http.ErrServerClosed) {
				logger.Error("server failed", "error", err.Error())
				code = 1
			}
			break loop
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), *timeout+5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		logger.Error("shutdown", "error", err.Error())
		code = 1
	}
	if debug != nil {
		debug.Close()
	}
	if v := verifier.Load(); v != nil {
		if c, ok := (*v).(interface{ Close() }); ok {
			c.Close()
		}
	}
	return code
}

// lateVerifier forwards to the pipeline once it is loaded; until then the
// server's Ready hook keeps requests away from it.
type lateVerifier struct {
	p *atomic.Pointer[face.Verifier]
}

var errNotLoaded = errors.New("facegate serve: pipeline not loaded")

func (l lateVerifier) Verify(ctx context.Context, probe []byte, gallery [][]byte, opt face.Options) (*face.Result, error) {
	v := l.p.Load()
	if v == nil {
		return nil, errNotLoaded
	}
	return (*v).Verify(ctx, probe, gallery, opt)
}

// warmUp runs one real inference so the first client does not pay for
// lazy initialisation: the pipeline's own Warmup when it has one, else a
// verification of a synthetic image (no face is an expected outcome: the
// detector still ran).
func warmUp(ctx context.Context, v face.Verifier) error {
	if w, ok := v.(interface{ Warmup(context.Context) error }); ok {
		return w.Warmup(ctx)
	}
	img := image.NewGray(image.Rect(0, 0, 320, 240))
	for y := 0; y < 240; y++ {
		for x := 0; x < 320; x++ {
			img.SetGray(x, y, color.Gray{Y: uint8(64 + (x*y)%128)})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		return err
	}
	_, err := v.Verify(ctx, b.Bytes(), [][]byte{b.Bytes()}, face.Options{Mode: face.Accurate, Liveness: true, LivenessThreshold: 0.5, CompareThreshold: 0.85})
	if err != nil && !errors.Is(err, face.ErrNoFace) && !errors.Is(err, face.ErrTooManyFaces) {
		return fmt.Errorf("warm-up inference: %w", err)
	}
	return nil
}

// modelSource says where the networks come from: the models compiled into
// the binary (-tags embedmodels) unless a directory is named by the flag or
// $FACEGATE_MODELS, else the directory resolveModelsDir picks. dir names
// the source for messages.
func modelSource(flagValue string) (fsys fs.FS, dir string, err error) {
	if fsys := embeddedModels(); fsys != nil && flagValue == "" && os.Getenv("FACEGATE_MODELS") == "" {
		return fsys, "(embedded in the binary)", nil
	}
	dir, err = resolveModelsDir(flagValue)
	return nil, dir, err
}

// resolveModelsDir picks the models directory: the flag, $FACEGATE_MODELS,
// ./models, then ../shared/models (a development checkout).
func resolveModelsDir(flagValue string) (string, error) {
	for _, d := range []string{flagValue, os.Getenv("FACEGATE_MODELS")} {
		if d == "" {
			continue
		}
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			return "", fmt.Errorf("models directory %s not found", d)
		}
		return d, nil
	}
	for _, d := range []string{"models", "../shared/models"} {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d, nil
		}
	}
	return "", errors.New("no models directory: pass --models DIR or set FACEGATE_MODELS (./models and ../shared/models do not exist)")
}

// loadCredentials reads the credentials file and the environment; with
// none configured it generates one credential, valid as a Verifik token and
// as an OkayFace API key, returned in generated so it can be printed once.
func loadCredentials(file string) (creds *api.Credentials, generated string, err error) {
	env := api.EnvCredentials(os.Getenv("FACEGATE_TOKENS"), os.Getenv("FACEGATE_API_KEYS"))
	creds, err = api.NewCredentials(file, env)
	if err != nil {
		return nil, "", err
	}
	if creds.Count(api.KindVerifik)+creds.Count(api.KindOkayFace) > 0 {
		return creds, "", nil
	}
	var b [24]byte
	rand.Read(b[:])
	generated = "fg_" + hex.EncodeToString(b[:])
	env = append(env,
		api.Credential{Key: generated, Kind: api.KindVerifik, Name: "generated"},
		api.Credential{Key: generated, Kind: api.KindOkayFace, Name: "generated"})
	creds, err = api.NewCredentials(file, env)
	return creds, generated, err
}

func printStartup(w io.Writer, scheme string, addr net.Addr, modelsDir string, creds *api.Credentials, generated string) {
	host := addr.String()
	if ta, ok := addr.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		host = net.JoinHostPort("localhost", strconv.Itoa(ta.Port))
	}
	base := scheme + "://" + host
	fmt.Fprintf(w, "facegate: listening on %s (%s), models from %s\n", addr, base, modelsDir)
	fmt.Fprintf(w, "facegate: Verifik:  POST %s/v2/face-recognition/compare-live  with  Authorization: Bearer TOKEN\n", base)
	fmt.Fprintf(w, "facegate: OkayFace: POST %s/api/faceid/v2-2/verify  with  {\"apiKey\": KEY, ...}\n", base)
	fmt.Fprintf(w, "facegate: %s/readyz turns 200 once the models are loaded; %s/openapi.json describes the API\n", base, base)
	if generated != "" {
		fmt.Fprintf(w, "facegate: no credentials configured; generated this one for this run (Verifik token and OkayFace apiKey):\n\n    %s\n\n", generated)
		fmt.Fprintln(w, "facegate: set your own with --credentials FILE (see facegate serve -h) or FACEGATE_TOKENS / FACEGATE_API_KEYS")
	} else {
		fmt.Fprintf(w, "facegate: %d Verifik token(s), %d OkayFace API key(s) configured\n", creds.Count(api.KindVerifik), creds.Count(api.KindOkayFace))
	}
}

// debugServer serves pprof on its own mux, never on the API listener.
func debugServer(addr string) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
}

// byteSize is a flag holding a byte count written as a number with an
// optional K, M or G suffix (powers of 1024; "KiB", "MB" spellings too).
type byteSize int64

func (b *byteSize) String() string {
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v := int64(*b); v >= u.n && v%u.n == 0 {
			return strconv.FormatInt(v/u.n, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(*b), 10)
}

func (b *byteSize) Set(s string) error {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult, t = 1<<10, t[:n-1]
		case 'M':
			mult, t = 1<<20, t[:n-1]
		case 'G':
			mult, t = 1<<30, t[:n-1]
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v <= 0 || v > (1<<40)/mult {
		return fmt.Errorf("%q: want a positive size like 3145728, 3M or 24MiB", s)
	}
	*b = byteSize(v * mult)
	return nil
}
