// Command load drives a facegate service with Verifik compare-live requests
// at rising concurrency until it saturates, and reports per step the
// requests, errors by status, throughput and latency percentiles.
//
//	go run ./bench/cmd/load                         # builds and starts `facegate serve` itself
//	go run ./bench/cmd/load -url http://127.0.0.1:8080 -token TOKEN
//	go run ./bench/cmd/load -mode FAST,ACCURATE -step 10s -json load.json
//
// Each request is one probe and a one-image gallery (two real 640x480
// photos of one person from ../shared/images/silent-face that match, so
// every stage runs and the verification passes; base64 in the JSON body),
// liveness_min_score 0.6, in the search mode(s) asked for. Concurrency
// doubles from 1 (1, 2, 4, 8, ...) and stops after the first step that
// shows errors or 503s, or whose throughput is not at least -gain better
// than the best so far: that step is the saturation point. Every step is
// bounded by -step (time) and -step-requests (count), so a run is bounded.
//
// The target must be on this machine: the tool refuses any address that is
// not loopback (127.0.0.0/8, ::1, localhost). Without -url it builds
// ./cmd/facegate, runs `facegate serve --addr 127.0.0.1:0` with a random
// token in FACEGATE_TOKENS, waits for /readyz and stops the server at the
// end. -inproc serves the same handler (api.NewServer on face.New) inside
// this process instead. -wrk measures each step with wrk (if installed) in
// place of the Go client.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/facegate/facegate/api"
	"github.com/facegate/facegate/nets/face"
)

const comparePath = "/v2/face-recognition/compare-live"

// Report is the JSON the tool writes (-json), read by bench/cmd/report.
type Report struct {
	Machine Machine `json:"machine"`
	Target  string  `json:"target"`
	Server  string  `json:"server"` // "process" (started here), "inproc" or "external"
	Client  string  `json:"client"` // "go" or "wrk"
	Probe   string  `json:"probe"`
	Gallery string  `json:"gallery"`
	StepS   float64 `json:"step_seconds"`
	StepMax int     `json:"step_max_requests"`
	Runs    []Run   `json:"runs"`
	Started string  `json:"started"`
	// LoadAvg is /proc/loadavg's 1-minute figure before and after the run:
	// above the CPU count, other processes competed with the test.
	LoadAvg []string `json:"loadavg,omitempty"`
}

// Machine describes where the test ran.
type Machine struct {
	GOOS     string `json:"goos"`
	GOARCH   string `json:"goarch"`
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpu_model"`
}

// Run is one search mode's concurrency ladder.
type Run struct {
	Mode       string  `json:"mode"`
	BodyBytes  int     `json:"body_bytes"`
	Steps      []Step  `json:"steps"`
	Saturation int     `json:"saturation_concurrency"` // the step that stopped the ladder
	Reason     string  `json:"reason"`
	MaxRPS     float64 `json:"max_throughput_rps"` // best step without errors
	MaxRPSAt   int     `json:"max_throughput_concurrency"`
}

// Step is one concurrency level.
type Step struct {
	Concurrency int            `json:"concurrency"`
	Requests    int            `json:"requests"`
	OK          int            `json:"ok"`
	Errors      map[string]int `json:"errors,omitempty"` // by HTTP status, or "transport"
	Seconds     float64        `json:"seconds"`
	RPS         float64        `json:"throughput_rps"` // successful requests per second
	Latency     Latency        `json:"latency_ms"`     // of successful requests
}

// Latency percentiles in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "", "base URL of a running facegate serve on loopback (default: start one)")
	flag.StringVar(&o.token, "token", os.Getenv("FACEGATE_TOKEN"), "Verifik bearer token for -url (default $FACEGATE_TOKEN)")
	flag.BoolVar(&o.inproc, "inproc", false, "serve the handler inside this process instead of starting facegate serve")
	flag.StringVar(&o.serveFlags, "serve-flags", "", "extra flags for the started `facegate serve`, space-separated")
	flag.StringVar(&o.modes, "mode", "ACCURATE,FAST", "comma-separated search modes, one ladder each")
	flag.StringVar(&o.shared, "shared", envOr("FACEGATE_SHARED", "../shared"), "the shared data directory")
	flag.StringVar(&o.probe, "probe", "images/silent-face/image_T1.jpg", "probe photo (relative to -shared unless absolute)")
	flag.StringVar(&o.gallery, "gallery", "images/silent-face/image_F2.jpg", "gallery photo (relative to -shared unless absolute)")
	flag.DurationVar(&o.step, "step", 10*time.Second, "duration of each concurrency step")
	flag.IntVar(&o.stepMax, "step-requests", 2000, "most requests in one step")
	flag.IntVar(&o.maxConc, "max-concurrency", 64, "highest concurrency tried")
	flag.Float64Var(&o.gain, "gain", 0.05, "a step must raise the best throughput by this fraction to continue")
	flag.IntVar(&o.minConc, "min-concurrency", 2*runtime.NumCPU(), "keep climbing up to this concurrency even if throughput stalls (errors still stop)")
	flag.IntVar(&o.warmup, "warmup", 3, "untimed requests before the first step of each mode")
	flag.StringVar(&o.jsonOut, "json", "", "write the report as JSON to this file")
	flag.BoolVar(&o.wrk, "wrk", false, "measure each step with wrk (must be installed) instead of the Go client")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

type options struct {
	url, token, serveFlags, modes, shared, probe, gallery, jsonOut string
	inproc, wrk                                                    bool
	step                                                           time.Duration
	stepMax, maxConc, minConc, warmup                              int
	gain                                                           float64
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run(o options) error {
	if o.step <= 0 || o.step > 5*time.Minute || o.stepMax < 1 || o.maxConc < 1 || o.maxConc > 1024 {
		return errors.New("want 0 < -step <= 5m, -step-requests >= 1, 1 <= -max-concurrency <= 1024")
	}
	modes := strings.Split(strings.ToUpper(o.modes), ",")
	for _, m := range modes {
		if m != "ACCURATE" && m != "FAST" {
			return fmt.Errorf("-mode %q: want ACCURATE, FAST or both", m)
		}
	}
	probe, err := readImage(o.shared, o.probe)
	if err != nil {
		return err
	}
	gallery, err := readImage(o.shared, o.gallery)
	if err != nil {
		return err
	}

	rep := Report{Machine: machine(), StepS: o.step.Seconds(), StepMax: o.stepMax,
		Probe: filepath.Base(o.probe), Gallery: filepath.Base(o.gallery), Client: "go",
		Started: time.Now().UTC().Format(time.RFC3339), LoadAvg: []string{loadAvg()}}
	if o.wrk {
		if _, err := exec.LookPath("wrk"); err != nil {
			return errors.New("-wrk: wrk is not installed (apt-get install wrk), or drop -wrk to use the Go client")
		}
		rep.Client = "wrk"
	}

	base, token := o.url, o.token
	switch {
	case base != "":
		rep.Server = "external"
		if token == "" {
			return errors.New("-url needs -token (or $FACEGATE_TOKEN)")
		}
	case o.inproc:
		rep.Server = "inproc"
		token = randomToken()
		var stop func()
		base, stop, err = serveInProcess(filepath.Join(o.shared, "models"), token)
		if err != nil {
			return err
		}
		defer stop()
	default:
		rep.Server = "process"
		token = randomToken()
		var stop func()
		base, stop, err = startServer(o.shared, token, strings.Fields(o.serveFlags))
		if err != nil {
			return err
		}
		defer stop()
	}
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("-url: %w", err)
	}
	if err := checkLoopback(u); err != nil {
		return err
	}
	rep.Target = u.Scheme + "://" + u.Host + comparePath
	fmt.Fprintf(os.Stderr, "load: target %s (%s server, %s client); probe %s, gallery %s; steps of %v or %d requests\n",
		rep.Target, rep.Server, rep.Client, rep.Probe, rep.Gallery, o.step, o.stepMax)

	for _, mode := range modes {
		body, err := json.Marshal(map[string]any{
			"probe":              base64.StdEncoding.EncodeToString(probe),
			"gallery":            []string{base64.StdEncoding.EncodeToString(gallery)},
			"search_mode":        mode,
			"liveness_min_score": 0.6,
			"os":                 "DESKTOP",
		})
		if err != nil {
			return err
		}
		r, err := ladder(o, rep.Target, token, mode, body)
		if err != nil {
			return err
		}
		rep.Runs = append(rep.Runs, r)
	}

	rep.LoadAvg = append(rep.LoadAvg, loadAvg())
	printTable(os.Stdout, rep)
	if o.jsonOut != "" {
		data, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(o.jsonOut, append(data, '\n'), 0o644)
	}
	return nil
}

func readImage(sharedDir, p string) ([]byte, error) {
	if !filepath.IsAbs(p) {
		p = filepath.Join(sharedDir, p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%w (set -shared or FACEGATE_SHARED)", err)
	}
	return data, nil
}

func randomToken() string {
	var b [16]byte
	rand.Read(b[:])
	return "load_" + hex.EncodeToString(b[:])
}

// checkLoopback refuses targets beyond this machine: a load test aimed at
// someone else's server is an attack, not a benchmark. A host name must be
// "localhost" and every address it resolves to must be loopback.
func checkLoopback(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("target %q: want an http:// or https:// URL", u.String())
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return fmt.Errorf("target %s is not a loopback address: load tests run on 127.0.0.0/8, ::1 or localhost only", host)
		}
		return nil
	}
	if !strings.EqualFold(host, "localhost") {
		return fmt.Errorf("target host %q is not loopback: load tests run on 127.0.0.0/8, ::1 or localhost only", host)
	}
	addrs, err := net.LookupIP(host)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", host, err)
	}
	for _, ip := range addrs {
		if !ip.IsLoopback() {
			return fmt.Errorf("localhost resolves to %s, which is not loopback; use 127.0.0.1", ip)
		}
	}
	return nil
}

// ladder runs one mode at concurrency 1, 2, 4, ... until saturation.
func ladder(o options, target, token, mode string, body []byte) (Run, error) {
	r := Run{Mode: mode, BodyBytes: len(body)}
	client := &http.Client{
		Timeout: 2 * time.Minute,
		Transport: &http.Transport{
			MaxIdleConns:        2 * o.maxConc,
			MaxIdleConnsPerHost: 2 * o.maxConc,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		},
	}
	defer client.CloseIdleConnections()
	for i := 0; i < o.warmup; i++ {
		if code, err := post(client, target, token, body); err != nil || code != http.StatusOK {
			return r, fmt.Errorf("%s warm-up request: status %d, %v", mode, code, err)
		}
	}
	var script string
	if o.wrk {
		f, err := os.CreateTemp("", "facegate-load-*.lua")
		if err != nil {
			return r, err
		}
		defer os.Remove(f.Name())
		fmt.Fprintf(f, "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"Authorization\"] = \"Bearer %s\"\nwrk.body = [[%s]]\n", token, body)
		if err := f.Close(); err != nil {
			return r, err
		}
		script = f.Name()
	}
	for c := 1; c <= o.maxConc; c *= 2 {
		var s Step
		var err error
		if o.wrk {
			s, err = stepWrk(target, script, c, o.step)
		} else {
			s = step(client, target, token, body, c, o.step, o.stepMax)
		}
		if err != nil {
			return r, err
		}
		r.Steps = append(r.Steps, s)
		fmt.Fprintf(os.Stderr, "load: %s c=%-3d %5d requests %7.2f req/s p50 %7.1f ms p99 %7.1f ms errors %v\n",
			mode, c, s.Requests, s.RPS, s.Latency.P50, s.Latency.P99, s.Errors)
		prev := r.MaxRPS
		// A step with errors shed load to get its throughput: it counts
		// only when no clean step came before it.
		if (len(s.Errors) == 0 || r.MaxRPS == 0) && s.RPS > r.MaxRPS {
			r.MaxRPS, r.MaxRPSAt = s.RPS, c
		}
		r.Saturation = c
		if len(s.Errors) > 0 {
			r.Reason = fmt.Sprintf("errors at concurrency %d: %s", c, errorList(s.Errors))
			return r, nil
		}
		if c > 1 && c >= o.minConc && s.RPS < prev*(1+o.gain) {
			r.Reason = fmt.Sprintf("throughput %.2f req/s at concurrency %d is not %.0f%% above the best before (%.2f)", s.RPS, c, 100*o.gain, prev)
			return r, nil
		}
	}
	r.Reason = fmt.Sprintf("reached -max-concurrency %d without saturating", o.maxConc)
	return r, nil
}

func errorList(m map[string]int) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%d x %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}

func post(client *http.Client, target, token string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

// step runs c workers posting back to back until d has passed or max
// requests have been started.
func step(client *http.Client, target, token string, body []byte, c int, d time.Duration, max int) Step {
	type result struct {
		code int
		err  error
		dur  time.Duration
	}
	var (
		mu      sync.Mutex
		results []result
		started int
	)
	begin := time.Now()
	deadline := begin.Add(d)
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if started >= max || !time.Now().Before(deadline) {
					mu.Unlock()
					return
				}
				started++
				mu.Unlock()
				t0 := time.Now()
				code, err := post(client, target, token, body)
				dur := time.Since(t0)
				mu.Lock()
				results = append(results, result{code, err, dur})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)

	s := Step{Concurrency: c, Requests: len(results), Seconds: round(elapsed.Seconds(), 3)}
	var ok []float64
	for _, r := range results {
		switch {
		case r.err != nil:
			addErr(&s, "transport")
		case r.code != http.StatusOK:
			addErr(&s, strconv.Itoa(r.code))
		default:
			ok = append(ok, float64(r.dur.Microseconds())/1e3)
		}
	}
	s.OK = len(ok)
	s.RPS = round(float64(len(ok))/elapsed.Seconds(), 3)
	s.Latency = percentiles(ok)
	return s
}

func addErr(s *Step, k string) {
	if s.Errors == nil {
		s.Errors = map[string]int{}
	}
	s.Errors[k]++
}

// percentiles uses the nearest-rank definition.
func percentiles(ms []float64) Latency {
	if len(ms) == 0 {
		return Latency{}
	}
	sort.Float64s(ms)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(ms)))) - 1
		return round(ms[max(0, min(i, len(ms)-1))], 2)
	}
	sum := 0.0
	for _, v := range ms {
		sum += v
	}
	return Latency{P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: round(ms[len(ms)-1], 2), Mean: round(sum/float64(len(ms)), 2)}
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

var (
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkTotal   = regexp.MustCompile(`([0-9]+) requests in ([0-9.]+)(us|ms|s|m)`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses:\s+([0-9]+)`)
	wrkSockErr = regexp.MustCompile(`Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)`)
	wrkPct     = regexp.MustCompile(`(?m)^\s+(50|90|99)(?:\.000)?%\s+([0-9.]+)(us|ms|s|m)`)
	wrkMax     = regexp.MustCompile(`(?m)^\s+Latency\s+[0-9.]+\w+\s+[0-9.]+\w+\s+([0-9.]+)(us|ms|s|m)`)
)

// stepWrk measures one step with wrk. wrk counts non-2xx responses but not
// by status, and its latency percentiles include them; they are reported
// under "non-2xx".
func stepWrk(target, script string, c int, d time.Duration) (Step, error) {
	secs := max(1, int(d.Seconds()))
	cmd := exec.Command("wrk", "-t", strconv.Itoa(min(c, runtime.NumCPU())), "-c", strconv.Itoa(c),
		"-d", strconv.Itoa(secs)+"s", "--timeout", "60s", "--latency", "-s", script, target)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return Step{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	text := string(out)
	s := Step{Concurrency: c}
	if m := wrkTotal.FindStringSubmatch(text); m != nil {
		s.Requests, _ = strconv.Atoi(m[1])
		s.Seconds = toMS(m[2], m[3]) / 1e3
	}
	if m := wrkNon2xx.FindStringSubmatch(text); m != nil {
		n, _ := strconv.Atoi(m[1])
		if n > 0 {
			addErr(&s, "non-2xx")
			s.Errors["non-2xx"] = n
		}
	}
	if m := wrkSockErr.FindStringSubmatch(text); m != nil {
		n := 0
		for _, v := range m[1:] {
			k, _ := strconv.Atoi(v)
			n += k
		}
		if n > 0 {
			addErr(&s, "transport")
			s.Errors["transport"] = n
		}
	}
	s.OK = s.Requests - s.Errors["non-2xx"] - s.Errors["transport"]
	if m := wrkRPS.FindStringSubmatch(text); m != nil {
		rps, _ := strconv.ParseFloat(m[1], 64)
		if s.Requests > 0 {
			rps *= float64(max(0, s.OK)) / float64(s.Requests)
		}
		s.RPS = round(rps, 3)
	}
	for _, m := range wrkPct.FindAllStringSubmatch(text, -1) {
		v := round(toMS(m[2], m[3]), 2)
		switch m[1] {
		case "50":
			s.Latency.P50 = v
		case "90":
			s.Latency.P90 = v
		case "99":
			s.Latency.P99 = v
		}
	}
	if m := wrkMax.FindStringSubmatch(text); m != nil {
		s.Latency.Max = round(toMS(m[1], m[2]), 2)
	}
	if s.Requests == 0 {
		return s, fmt.Errorf("wrk: no request count in output:\n%s", text)
	}
	return s, nil
}

func toMS(v, unit string) float64 {
	f, _ := strconv.ParseFloat(v, 64)
	switch unit {
	case "us":
		return f / 1e3
	case "s":
		return f * 1e3
	case "m":
		return f * 60e3
	}
	return f
}

// startServer builds ./cmd/facegate and runs `facegate serve` on
// 127.0.0.1 at a port the kernel picks, with token as its only credential,
// and waits until /readyz answers 200. stop interrupts it and waits.
func startServer(sharedDir, token string, extra []string) (base string, stop func(), err error) {
	tmp, err := os.MkdirTemp("", "facegate-load-")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(tmp, "facegate")
	build := exec.Command("go", "build", "-o", bin, "./cmd/facegate")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("building facegate (run from the repository root): %w", err)
	}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--models", filepath.Join(sharedDir, "models")}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "FACEGATE_TOKENS="+token, "FACEGATE_API_KEYS=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		os.RemoveAll(tmp)
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(tmp)
		return "", nil, err
	}
	fmt.Fprintf(os.Stderr, "load: started facegate %s (pid %d)\n", strings.Join(args, " "), cmd.Process.Pid)

	// The server logs one line per request; keep only the last lines, for
	// error messages.
	tail := &tailBuffer{max: 20}
	addrCh := make(chan string, 1)
	exited := make(chan error, 1)
	listening := regexp.MustCompile(`listening on (\S+)`)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			tail.add(line)
			if m := listening.FindStringSubmatch(line); m != nil {
				select {
				case addrCh <- m[1]:
				default:
				}
			}
		}
		exited <- cmd.Wait()
	}()
	stop = func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		os.RemoveAll(tmp)
	}
	fail := func(err error) (string, func(), error) {
		stop()
		return "", nil, fmt.Errorf("%w\nserver output:\n%s", err, tail.String())
	}
	var addr string
	select {
	case addr = <-addrCh:
	case err := <-exited:
		exited <- err
		return fail(fmt.Errorf("facegate serve exited before listening: %v", err))
	case <-time.After(60 * time.Second):
		return fail(errors.New("facegate serve did not report its address within 60 s"))
	}
	base = "http://" + addr
	deadline := time.Now().Add(3 * time.Minute)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base, stop, nil
			}
		}
		select {
		case err := <-exited:
			exited <- err
			return fail(fmt.Errorf("facegate serve exited before it was ready: %v (try -inproc)", err))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fail(errors.New("facegate serve not ready within 3 minutes"))
		}
	}
}

type tailBuffer struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (t *tailBuffer) add(l string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, l)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}

// serveInProcess serves api.NewServer on the real pipeline (defaults as
// `facegate serve` uses them) on a loopback port in this process.
func serveInProcess(modelsDir, token string) (base string, stop func(), err error) {
	p, err := face.New(face.Config{ModelsDir: modelsDir})
	if err != nil {
		return "", nil, err
	}
	creds, err := api.NewCredentials("", api.EnvCredentials(token, ""))
	if err != nil {
		return "", nil, err
	}
	srv := api.NewServer(api.Config{Credentials: creds, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}, p)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := srv.HTTPServer(ln.Addr().String())
	go hs.Serve(ln)
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		p.Close()
	}, nil
}

func machine() Machine {
	m := Machine{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU()}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

func printTable(w io.Writer, rep Report) {
	fmt.Fprintf(w, "compare-live load test: %s, %d CPUs (%s), %s server, %s client; probe %s + gallery %s; steps of %.0f s or %d requests\n",
		rep.Machine.CPUModel, rep.Machine.CPUs, rep.Machine.GOARCH, rep.Server, rep.Client, rep.Probe, rep.Gallery, rep.StepS, rep.StepMax)
	for _, r := range rep.Runs {
		fmt.Fprintf(w, "\n%s (body %d KB)\n\n", r.Mode, r.BodyBytes>>10)
		fmt.Fprintln(w, "| concurrency | requests | ok | errors | req/s | p50 ms | p90 ms | p99 ms | max ms |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
		for _, s := range r.Steps {
			e := "0"
			if len(s.Errors) > 0 {
				e = errorList(s.Errors)
			}
			fmt.Fprintf(w, "| %d | %d | %d | %s | %.2f | %.1f | %.1f | %.1f | %.1f |\n",
				s.Concurrency, s.Requests, s.OK, e, s.RPS, s.Latency.P50, s.Latency.P90, s.Latency.P99, s.Latency.Max)
		}
		fmt.Fprintf(w, "\nmax throughput %.2f req/s at concurrency %d; stopped: %s\n", r.MaxRPS, r.MaxRPSAt, r.Reason)
	}
	fmt.Fprintln(w)
}

// loadAvg returns the 1-minute load average, or "" where there is none.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
