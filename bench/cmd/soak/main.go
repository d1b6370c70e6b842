// Command soak runs a facegate service under continuous mixed load for a
// bounded time and checks that it does not leak: memory, goroutines,
// threads and file descriptors must level off.
//
//	go run ./bench/cmd/soak                                 # builds and starts `facegate serve` itself
//	go run ./bench/cmd/soak -duration 10m -concurrency 4
//	go run ./bench/cmd/soak -url http://127.0.0.1:8080 -token T -apikey K -pid 1234 -debug-url http://127.0.0.1:6060
//
// The load mixes both contracts and valid and invalid bodies: Verifik
// compare-live and OkayFace verify (JSON and multipart) on real photos from
// ../shared/images, plus unknown credentials, malformed JSON, bad base64,
// missing fields, oversized galleries and images over the byte limit.
// -concurrency clients send back to back for -duration; both are bounded.
//
// Every second it samples the server: resident memory, threads and open
// file descriptors from /proc/PID, and the Go heap in use and goroutine
// count from its pprof endpoint (serve --debug-addr). It writes the samples
// to -csv and a chart to -png, then judges flatness after a warm-up (the
// first -warmup of the run): the mean of the last third of the samples
// must be within -tolerance of the mean of the middle third (goroutines,
// threads and FDs may also differ by a few units), and it reports each
// series' slope over the last two thirds. Exit status 1 when a series is
// not flat or any answer was a 500 or a transport error.
//
// The target must be on this machine: any -url that is not loopback is
// refused. Without -url the tool builds ./cmd/facegate (run it from the
// repository root), starts `facegate serve --addr 127.0.0.1:0
// --debug-addr 127.0.0.1:0` with random credentials in FACEGATE_TOKENS and
// FACEGATE_API_KEYS, waits for /readyz, and stops the server at the end.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

const (
	pathVerifik  = "/v2/face-recognition/compare-live"
	pathOkayFace = "/api/faceid/v2-2/verify"
)

func main() {
	os.Exit(run())
}

type options struct {
	url, token, apiKey, debugURL string
	pid                          int
	shared                       string
	duration, warmup             time.Duration
	concurrency                  int
	csvPath, pngPath             string
	tolerance                    float64
	serveArgs                    string
}

func run() int {
	var o options
	flag.StringVar(&o.url, "url", "", "service to soak (loopback only); empty: build and start facegate serve")
	flag.StringVar(&o.token, "token", "", "Verifik token for -url")
	flag.StringVar(&o.apiKey, "apikey", "", "OkayFace API key for -url")
	flag.IntVar(&o.pid, "pid", 0, "server process id for -url (RSS, threads and FDs from /proc); 0: not sampled")
	flag.StringVar(&o.debugURL, "debug-url", "", "the server's pprof base URL for -url (heap, goroutines); empty: not sampled")
	flag.StringVar(&o.shared, "shared", "", "shared data directory (default $FACEGATE_SHARED, else ../shared)")
	flag.DurationVar(&o.duration, "duration", 3*time.Minute, "how long to run the load")
	flag.DurationVar(&o.warmup, "warmup", 20*time.Second, "samples in this first part of the run are not judged")
	flag.IntVar(&o.concurrency, "concurrency", 4, "clients sending at once")
	flag.StringVar(&o.csvPath, "csv", "bench/report/soak.csv", "samples CSV ('' to skip)")
	flag.StringVar(&o.pngPath, "png", "bench/report/soak.png", "chart PNG ('' to skip)")
	flag.Float64Var(&o.tolerance, "tolerance", 0.10, "largest relative change allowed between the middle and last third")
	flag.StringVar(&o.serveArgs, "serve-args", "", "extra arguments for the facegate serve it starts, space-separated")
	replot := flag.String("replot", "", "judge and chart the samples in this CSV (written by an earlier run) instead of running a load")
	flag.Parse()
	if o.duration <= 0 || o.duration > 24*time.Hour || o.concurrency < 1 || o.concurrency > 256 {
		fmt.Fprintln(os.Stderr, "soak: -duration must be in (0, 24h] and -concurrency in [1, 256]")
		return 2
	}
	if o.shared == "" {
		o.shared = os.Getenv("FACEGATE_SHARED")
	}
	if o.shared == "" {
		o.shared = "../shared"
	}
	if *replot != "" {
		samples, err := readCSV(*replot)
		if err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			return 1
		}
		if o.pngPath != "" {
			if err := chart(o.pngPath, samples, o); err != nil {
				fmt.Fprintln(os.Stderr, "soak:", err)
				return 1
			}
		}
		c := &counts{byKind: map[string]map[int]int{}}
		c.total.Store(int64(samples[len(samples)-1].requests))
		return report(os.Stdout, samples, c, judge(samples, o))
	}
	mix, err := buildMix(o.shared)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 1
	}

	if o.url == "" {
		srv, err := startServer(o.shared, strings.Fields(o.serveArgs))
		if err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			return 1
		}
		defer srv.stop()
		o.url, o.token, o.apiKey, o.pid, o.debugURL = srv.base, srv.token, srv.apiKey, srv.pid, srv.debug
	} else if err := checkLoopback(o.url); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 2
	} else if o.debugURL != "" {
		if err := checkLoopback(o.debugURL); err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			return 2
		}
	}
	fmt.Fprintf(os.Stderr, "soak: %v of load at concurrency %d on %s (pid %d)\n", o.duration, o.concurrency, o.url, o.pid)

	samples, counts := soak(o, mix)
	if o.csvPath != "" {
		if err := writeCSV(o.csvPath, samples); err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			return 1
		}
	}
	verdict := judge(samples, o)
	if o.pngPath != "" {
		if err := chart(o.pngPath, samples, o); err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			return 1
		}
	}
	return report(os.Stdout, samples, counts, verdict)
}

// checkLoopback refuses any target that is not this machine.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q: not a URL", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s: refusing a non-loopback target (this tool only loads this machine)", raw)
}

// request is one kind of request in the mix; build makes a fresh body.
type request struct {
	name   string
	weight int
	path   string
	ct     string
	auth   bool // send the Verifik token
	body   func(token, apiKey string) ([]byte, string)
	want   []int // statuses that count as expected
}

// buildMix prepares the request kinds from the shared photos.
func buildMix(sharedDir string) ([]request, error) {
	read := func(name string) (string, []byte, error) {
		b, err := os.ReadFile(filepath.Join(sharedDir, "images", name))
		if err != nil {
			return "", nil, fmt.Errorf("%w (set -shared or FACEGATE_SHARED)", err)
		}
		return base64.StdEncoding.EncodeToString(b), b, nil
	}
	live, liveRaw, err := read("silent-face/image_T1.jpg")
	if err != nil {
		return nil, err
	}
	print, printRaw, err := read("silent-face/image_F1.jpg")
	if err != nil {
		return nil, err
	}
	replay, _, err := read("silent-face/image_F2.jpg")
	if err != nil {
		return nil, err
	}
	genuine, _, err := read("doubango/genuine.jpg")
	if err != nil {
		return nil, err
	}
	_, bigRaw, err := read("silent-face/image_T2.jpg") // 2.6 MB, 1617x2160
	if err != nil {
		return nil, err
	}
	large := base64.StdEncoding.EncodeToString(bigRaw)
	// The same photo padded past the 3 MiB image limit.
	big := base64.StdEncoding.EncodeToString(append(bytes.Clone(bigRaw), make([]byte, 3<<20-len(bigRaw)+1024)...))
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }
	verifik := func(probe string, gallery []string, mode string) func(string, string) ([]byte, string) {
		return func(string, string) ([]byte, string) {
			return js(map[string]any{"probe": probe, "gallery": gallery, "search_mode": mode, "liveness_min_score": 0.6, "os": "ANDROID"}), ""
		}
	}
	okay := func(best, idCard string) func(string, string) ([]byte, string) {
		return func(_, key string) ([]byte, string) {
			return js(map[string]any{"apiKey": key, "imageBest": best, "imageIdCard": idCard}), ""
		}
	}
	okayMultipart := func(_, key string) ([]byte, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("apiKey", key)
		w, _ := mw.CreateFormFile("imageBest", "best.jpg")
		w.Write(liveRaw)
		w, _ = mw.CreateFormFile("imageIdCard", "card.jpg")
		w.Write(printRaw)
		mw.Close()
		return b.Bytes(), mw.FormDataContentType()
	}
	fixed := func(s string) func(string, string) ([]byte, string) {
		return func(string, string) ([]byte, string) { return []byte(s), "" }
	}
	gallery11 := make([]string, 11)
	for i := range gallery11 {
		gallery11[i] = "QUJD"
	}
	return []request{
		{"verifik live FAST", 6, pathVerifik, "application/json", true, verifik(live, []string{print}, "FAST"), []int{200}},
		{"verifik live ACCURATE", 3, pathVerifik, "application/json", true, verifik(live, []string{print, replay}, "ACCURATE"), []int{200}},
		{"verifik genuine FAST", 2, pathVerifik, "application/json", true, verifik(genuine, []string{live}, "FAST"), []int{200, 412}},
		{"verifik replay probe", 2, pathVerifik, "application/json", true, verifik(replay, []string{live}, "FAST"), []int{200}},
		{"okayface JSON", 4, pathOkayFace, "application/json", false, okay(live, print), []int{200}},
		{"okayface multipart", 3, pathOkayFace, "", false, okayMultipart, []int{200}},
		{"verifik unknown token", 2, pathVerifik, "application/json", false, verifik(live, []string{print}, "FAST"), []int{401}},
		{"verifik malformed JSON", 2, pathVerifik, "application/json", true, fixed(`{"probe":"` + live[:1000]), []int{400}},
		{"verifik not base64", 2, pathVerifik, "application/json", true, verifik("!!not-base64!!", []string{print}, "FAST"), []int{412}},
		{"verifik missing field", 2, pathVerifik, "application/json", true, fixed(`{"probe":"QUJD","gallery":["QUJD"]}`), []int{409}},
		{"verifik 11 gallery images", 1, pathVerifik, "application/json", true, verifik(live, gallery11, "FAST"), []int{409}},
		{"verifik 2.6 MB photo", 1, pathVerifik, "application/json", true, verifik(large, []string{live}, "FAST"), []int{200, 412}},
		{"verifik image over 3 MiB", 1, pathVerifik, "application/json", true, verifik(big, []string{live}, "FAST"), []int{413}},
		{"okayface unknown key", 2, pathOkayFace, "application/json", false, func(t, _ string) ([]byte, string) {
			return okay(live, print)(t, "not-a-key")
		}, []int{401}},
		{"okayface missing image", 1, pathOkayFace, "application/json", false, func(_, k string) ([]byte, string) {
			return js(map[string]any{"apiKey": k, "imageBest": live}), ""
		}, []int{400}},
	}, nil
}

// server is a facegate serve process this tool started.
type server struct {
	base, debug   string
	token, apiKey string
	pid           int
	cmd           *exec.Cmd
	tmp           string
	done          chan struct{}
}

func randomHex() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func startServer(sharedDir string, extra []string) (*server, error) {
	tmp, err := os.MkdirTemp("", "facegate-soak-")
	if err != nil {
		return nil, err
	}
	s := &server{tmp: tmp, token: "soak-" + randomHex(), apiKey: "soak-" + randomHex(), done: make(chan struct{})}
	bin := filepath.Join(tmp, "facegate")
	build := exec.Command("go", "build", "-o", bin, "./cmd/facegate")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("building facegate (run from the repository root): %w", err)
	}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:0", "--models", filepath.Join(sharedDir, "models")}, extra...)
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = append(os.Environ(), "FACEGATE_TOKENS="+s.token, "FACEGATE_API_KEYS="+s.apiKey, "FACEGATE_MODELS=")
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	s.pid = s.cmd.Process.Pid
	fmt.Fprintf(os.Stderr, "soak: started facegate %s (pid %d)\n", strings.Join(args, " "), s.pid)
	listening := regexp.MustCompile(`listening on (\S+)`)
	pprofAddr := regexp.MustCompile(`"msg":"pprof listening","addr":"([^"]+)"`)
	addrc, debugc := make(chan string, 1), make(chan string, 1)
	var tail []string
	var tailMu sync.Mutex
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			tailMu.Lock()
			if tail = append(tail, line); len(tail) > 20 {
				tail = tail[1:]
			}
			tailMu.Unlock()
			if m := listening.FindStringSubmatch(line); m != nil {
				addrc <- m[1]
			}
			if m := pprofAddr.FindStringSubmatch(line); m != nil {
				debugc <- m[1]
			}
		}
	}()
	fail := func(msg string) (*server, error) {
		s.stop()
		tailMu.Lock()
		defer tailMu.Unlock()
		return nil, fmt.Errorf("%s; server output:\n%s", msg, strings.Join(tail, "\n"))
	}
	for s.base == "" || s.debug == "" {
		select {
		case a := <-addrc:
			s.base = "http://" + a
		case a := <-debugc:
			s.debug = "http://" + a
		case <-s.done:
			return fail("facegate serve exited during start-up")
		case <-time.After(2 * time.Minute):
			return fail("facegate serve did not start within 2 minutes")
		}
	}
	for deadline := time.Now().Add(5 * time.Minute); ; {
		if r, err := http.Get(s.base + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				break
			}
		}
		select {
		case <-s.done:
			return fail("facegate serve exited while loading the models")
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fail("facegate serve not ready within 5 minutes")
		}
	}
	return s, nil
}

func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(45 * time.Second):
			s.cmd.Process.Kill()
		}
		s.cmd.Wait()
	}
	os.RemoveAll(s.tmp)
}

// sample is the server's state at one moment, plus the load's progress.
type sample struct {
	t          float64 // seconds since the load started
	rssMiB     float64
	heapMiB    float64 // Go heap in use
	goroutines float64
	threads    float64
	fds        float64
	requests   float64 // answers so far
	reqPerSec  float64 // over the last second
}

// counts tallies answers by request kind and status.
type counts struct {
	mu       sync.Mutex
	byKind   map[string]map[int]int
	unwanted map[string]int // "kind status" → count of statuses outside want
	errors   int            // transport errors
	total    atomic.Int64
	lastErr  string
}

func soak(o options, mix []request) ([]sample, *counts) {
	ctx, cancel := context.WithTimeout(context.Background(), o.duration)
	defer cancel()
	c := &counts{byKind: map[string]map[int]int{}, unwanted: map[string]int{}}
	var pick []int
	for i, r := range mix {
		for j := 0; j < r.weight; j++ {
			pick = append(pick, i)
		}
	}
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency}}
	var wg sync.WaitGroup
	for w := 0; w < o.concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; ctx.Err() == nil; i += o.concurrency {
				r := mix[pick[(i*7919)%len(pick)]]
				body, ct := r.body(o.token, o.apiKey)
				if ct == "" {
					ct = r.ct
				}
				req, _ := http.NewRequestWithContext(context.Background(), "POST", o.url+r.path, bytes.NewReader(body))
				req.Header.Set("Content-Type", ct)
				if r.auth {
					req.Header.Set("Authorization", "Bearer "+o.token)
				} else if r.path == pathVerifik {
					req.Header.Set("Authorization", "Bearer not-a-token")
				}
				resp, err := client.Do(req)
				c.mu.Lock()
				if err != nil {
					c.errors++
					c.lastErr = err.Error()
					c.mu.Unlock()
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if c.byKind[r.name] == nil {
					c.byKind[r.name] = map[int]int{}
				}
				c.byKind[r.name][resp.StatusCode]++
				ok := false
				for _, s := range r.want {
					ok = ok || s == resp.StatusCode
				}
				if !ok && resp.StatusCode != 503 { // 503: busy, a documented answer under load
					c.unwanted[fmt.Sprintf("%s → %d", r.name, resp.StatusCode)]++
				}
				c.mu.Unlock()
				c.total.Add(1)
			}
		}(w)
	}

	var samples []sample
	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	prev, prevT := int64(0), 0.0
	lastPrint := time.Now()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
		}
		n := c.total.Load()
		s := sampleServer(o)
		s.t = time.Since(start).Seconds()
		s.requests = float64(n)
		if s.t > prevT {
			s.reqPerSec = float64(n-prev) / (s.t - prevT)
		}
		prev, prevT = n, s.t
		samples = append(samples, s)
		if time.Since(lastPrint) >= 15*time.Second {
			lastPrint = time.Now()
			fmt.Fprintf(os.Stderr, "soak: %3.0fs  %6d answers  rss %.0f MiB  heap %.0f MiB  goroutines %.0f  threads %.0f  fds %.0f\n",
				s.t, n, s.rssMiB, s.heapMiB, s.goroutines, s.threads, s.fds)
		}
	}
	wg.Wait()
	return samples, c
}

// sampleServer reads the server's memory, threads and FDs from /proc and
// its heap and goroutines from pprof; a value it cannot read is NaN.
func sampleServer(o options) sample {
	s := sample{rssMiB: math.NaN(), heapMiB: math.NaN(), goroutines: math.NaN(), threads: math.NaN(), fds: math.NaN()}
	if o.pid > 0 {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", o.pid)); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				f := strings.Fields(line)
				if len(f) < 2 {
					continue
				}
				v, _ := strconv.ParseFloat(f[1], 64)
				switch f[0] {
				case "VmRSS:":
					s.rssMiB = v / 1024 // kB
				case "Threads:":
					s.threads = v
				}
			}
		}
		if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", o.pid)); err == nil {
			s.fds = float64(len(ents))
		}
	}
	if o.debugURL != "" {
		c := &http.Client{Timeout: 5 * time.Second}
		if r, err := c.Get(o.debugURL + "/debug/pprof/goroutine?debug=1"); err == nil {
			line, _ := bufio.NewReader(r.Body).ReadString('\n') // "goroutine profile: total N"
			r.Body.Close()
			if i := strings.LastIndex(line, "total "); i >= 0 {
				s.goroutines, _ = strconv.ParseFloat(strings.TrimSpace(line[i+6:]), 64)
			}
		}
		if r, err := c.Get(o.debugURL + "/debug/pprof/heap?debug=1"); err == nil {
			sc := bufio.NewScanner(r.Body)
			sc.Buffer(make([]byte, 1<<20), 16<<20)
			for sc.Scan() {
				if v, ok := strings.CutPrefix(sc.Text(), "# HeapInuse = "); ok {
					f, _ := strconv.ParseFloat(v, 64)
					s.heapMiB = f / (1 << 20)
				}
			}
			r.Body.Close()
		}
	}
	return s
}

func writeCSV(path string, samples []sample) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"t_s", "rss_mib", "heap_inuse_mib", "goroutines", "threads", "fds", "answers", "answers_per_s"})
	ff := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	for _, s := range samples {
		w.Write([]string{ff(s.t), ff(s.rssMiB), ff(s.heapMiB), ff(s.goroutines), ff(s.threads), ff(s.fds), ff(s.requests), ff(s.reqPerSec)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readCSV reads samples written by writeCSV; empty cells are NaN.
func readCSV(path string) ([]sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) < 2 || len(rows[0]) != 8 {
		return nil, fmt.Errorf("%s: not a soak CSV", path)
	}
	var out []sample
	for _, r := range rows[1:] {
		var v [8]float64
		for i, cell := range r {
			v[i] = math.NaN()
			if cell != "" {
				if v[i], err = strconv.ParseFloat(cell, 64); err != nil {
					return nil, fmt.Errorf("%s: %w", path, err)
				}
			}
		}
		out = append(out, sample{t: v[0], rssMiB: v[1], heapMiB: v[2], goroutines: v[3], threads: v[4], fds: v[5], requests: v[6], reqPerSec: v[7]})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no samples", path)
	}
	// Rates from the cumulative counts, so a short last interval reads right.
	for i := 1; i < len(out); i++ {
		if dt := out[i].t - out[i-1].t; dt > 0 {
			out[i].reqPerSec = (out[i].requests - out[i-1].requests) / dt
		}
	}
	return out, nil
}

// series names a sampled quantity and how much it may move.
type series struct {
	name  string
	unit  string
	get   func(sample) float64
	slack float64 // absolute change always allowed (counts of small things)
}

var allSeries = []series{
	{"RSS", "MiB", func(s sample) float64 { return s.rssMiB }, 0},
	{"Go heap in use", "MiB", func(s sample) float64 { return s.heapMiB }, 0},
	{"goroutines", "", func(s sample) float64 { return s.goroutines }, 6},
	{"threads", "", func(s sample) float64 { return s.threads }, 3},
	{"open FDs", "", func(s sample) float64 { return s.fds }, 4},
}

type verdict struct {
	name                         string
	unit                         string
	middle, last, change, perMin float64
	min, max                     float64
	flat, measured               bool
}

// judge compares the middle and last thirds of the samples after warm-up.
func judge(samples []sample, o options) []verdict {
	var judged []sample
	for _, s := range samples {
		if s.t >= o.warmup.Seconds() {
			judged = append(judged, s)
		}
	}
	var out []verdict
	for _, se := range allSeries {
		v := verdict{name: se.name, unit: se.unit, min: math.Inf(1), max: math.Inf(-1)}
		var xs, ys []float64
		for _, s := range judged {
			if y := se.get(s); !math.IsNaN(y) {
				xs, ys = append(xs, s.t), append(ys, y)
				v.min, v.max = math.Min(v.min, y), math.Max(v.max, y)
			}
		}
		if len(ys) < 6 {
			out = append(out, v)
			continue
		}
		v.measured = true
		n := len(ys)
		v.middle = mean(ys[n/3 : 2*n/3])
		v.last = mean(ys[2*n/3:])
		v.change = (v.last - v.middle) / v.middle
		v.perMin = slope(xs[n/3:], ys[n/3:]) * 60
		v.flat = math.Abs(v.last-v.middle) <= se.slack || math.Abs(v.change) <= o.tolerance
		out = append(out, v)
	}
	return out
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// slope is the least-squares slope of y over x.
func slope(x, y []float64) float64 {
	mx, my := mean(x), mean(y)
	var num, den float64
	for i := range x {
		num += (x[i] - mx) * (y[i] - my)
		den += (x[i] - mx) * (x[i] - mx)
	}
	if den == 0 {
		return 0
	}
	return num / den
}

func report(w io.Writer, samples []sample, c *counts, vs []verdict) int {
	code := 0
	dur := 0.0
	if len(samples) > 0 {
		dur = samples[len(samples)-1].t
	}
	total := c.total.Load()
	fmt.Fprintf(w, "soak: %d answers in %.0f s (%.1f/s), %d transport errors\n\n", total, dur, float64(total)/math.Max(dur, 1), c.errors)
	fmt.Fprintln(w, "| request | answers by status |")
	fmt.Fprintln(w, "|---|---|")
	kinds := make([]string, 0, len(c.byKind))
	for k := range c.byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	any500 := false
	for _, k := range kinds {
		var parts []string
		var sts []int
		for s := range c.byKind[k] {
			sts = append(sts, s)
		}
		sort.Ints(sts)
		for _, s := range sts {
			parts = append(parts, fmt.Sprintf("%d×%d", s, c.byKind[k][s]))
			any500 = any500 || s >= 500 && s != 503
		}
		fmt.Fprintf(w, "| %s | %s |\n", k, strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| series | min | max | middle third | last third | change | slope /min | flat |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, v := range vs {
		if !v.measured {
			fmt.Fprintf(w, "| %s | – | – | – | – | – | – | not sampled |\n", v.name)
			continue
		}
		flat := "yes"
		if !v.flat {
			flat = "NO"
			code = 1
		}
		fmt.Fprintf(w, "| %s | %.1f %s | %.1f %s | %.1f | %.1f | %+.1f%% | %+.2f | %s |\n",
			v.name, v.min, v.unit, v.max, v.unit, v.middle, v.last, 100*v.change, v.perMin, flat)
	}
	if len(c.unwanted) > 0 {
		fmt.Fprintln(w, "\nunexpected statuses:")
		for k, n := range c.unwanted {
			fmt.Fprintf(w, "  %s: %d\n", k, n)
		}
	}
	if any500 || c.errors > 0 {
		if c.lastErr != "" {
			fmt.Fprintln(w, "last transport error:", c.lastErr)
		}
		fmt.Fprintln(w, "FAIL: 5xx answers (other than 503) or transport errors")
		code = 1
	}
	if code == 0 {
		fmt.Fprintln(w, "\nPASS: every series flat, no 5xx but 503, no transport errors")
	}
	return code
}

// chart draws the memory series (top) and the counts (bottom) over time.
func chart(path string, samples []sample, o options) error {
	if len(samples) == 0 {
		return errors.New("no samples")
	}
	line := func(p *plot.Plot, name string, get func(sample) float64, c color.Color, dashed bool) {
		var xys plotter.XYs
		for _, s := range samples {
			if y := get(s); !math.IsNaN(y) {
				xys = append(xys, plotter.XY{X: s.t, Y: y})
			}
		}
		if len(xys) == 0 {
			return
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return
		}
		l.Color = c
		l.Width = vg.Points(1.5)
		if dashed {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(l)
		p.Legend.Add(name, l)
	}
	warm := func(p *plot.Plot) {
		x := o.warmup.Seconds()
		l, _ := plotter.NewLine(plotter.XYs{{X: x, Y: p.Y.Min}, {X: x, Y: p.Y.Max}})
		l.Color = color.Gray{Y: 150}
		l.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(l)
	}
	mem := plot.New()
	mem.Title.Text = fmt.Sprintf("facegate soak: %d clients, %.0f s, %.1f answers/s", o.concurrency, samples[len(samples)-1].t, samples[len(samples)-1].requests/math.Max(samples[len(samples)-1].t, 1))
	mem.Y.Label.Text = "MiB"
	mem.Legend.Top, mem.Legend.Left = true, true
	mem.Add(plotter.NewGrid())
	line(mem, "RSS", func(s sample) float64 { return s.rssMiB }, color.RGBA{R: 200, A: 255}, false)
	line(mem, "Go heap in use", func(s sample) float64 { return s.heapMiB }, color.RGBA{B: 200, A: 255}, false)
	mem.Y.Min = 0
	mem.Y.Max *= 1.3 // room for the legend
	warm(mem)

	cnt := plot.New()
	cnt.X.Label.Text = "seconds (dotted line: end of warm-up)"
	cnt.Y.Label.Text = "count"
	cnt.Legend.Top, cnt.Legend.Left = true, true
	cnt.Add(plotter.NewGrid())
	line(cnt, "goroutines", func(s sample) float64 { return s.goroutines }, color.RGBA{G: 140, A: 255}, false)
	line(cnt, "threads", func(s sample) float64 { return s.threads }, color.RGBA{R: 140, B: 140, A: 255}, false)
	line(cnt, "open FDs", func(s sample) float64 { return s.fds }, color.RGBA{R: 200, G: 120, A: 255}, false)
	line(cnt, "answers/s", func(s sample) float64 { return s.reqPerSec }, color.Gray{Y: 90}, true)
	cnt.Y.Min = 0
	cnt.Y.Max *= 1.3
	warm(cnt)

	const w, h = 9 * vg.Inch, 7 * vg.Inch
	img := vgimg.New(w, h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadX: vg.Millimeter, PadY: vg.Millimeter, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	plots := [][]*plot.Plot{{mem}, {cnt}}
	canvases := plot.Align(plots, tiles, dc)
	mem.Draw(canvases[0][0])
	cnt.Draw(canvases[1][0])
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
