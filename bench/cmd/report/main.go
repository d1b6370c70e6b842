// Command report turns facegate's benchmark results into PNG charts and a
// markdown report:
//
//	go run ./bench/cmd/report -bench 'bench/report/raw/*.txt' -peer peer.json -load load.json -out bench/report
//
// Inputs: `go test -bench` output files in the standard format (kernel
// GFLOP/s per dispatch level, named by a "level: X" configuration line;
// engine network ms/op at 1 and 2 threads; the pipeline stage and whole
// request benchmarks of package bench), the JSON of bench/cmd/peer
// (facegate against ONNX Runtime) and of bench/cmd/load (the HTTP load
// test). Every input is optional; charts whose data is missing are left
// out.
//
// Peak GFLOP/s, drawn on the kernel charts, is an assumption printed in the
// report: cores × GHz × FLOP/cycle/core, with 32 FLOP/cycle for AVX2 (two
// 8-wide FMA pipes) and 64 for AVX-512 (two 16-wide FMA pipes), and GHz
// from -ghz, else measured (a chain of dependent one-cycle integer
// operations timed in thread CPU time, so turbo counts and a busy machine
// does not), else /proc/cpuinfo's nominal "cpu MHz".
//
// -levels prints the kernel dispatch levels this machine can run, and
// -behind prints the networks where facegate is slower than ONNX Runtime
// ("NETWORK THREADS" a line) and exits: bench/report.sh profiles those and
// passes the pprof tops back through -pprof (pprof-NETWORK-tTHREADS.txt).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot/plotter"

	"github.com/facegate/facegate/kernels"
)

// PeerResult mirrors bench/cmd/peer's -json output.
type PeerResult struct {
	GOOS, GOARCH string
	CPUs         int
	Runs, Rounds int
	ORT          string
	Rows         []PeerRow
	LoadAvg      []string        `json:"loadavg"`
	NearNS       float64         `json:"near_ns"`
	Placement    []PeerPlacement `json:"placement"`
}

// PeerPlacement is one network's multi-thread rounds under one vCPU
// placement (bench/cmd/peer's PlacementRow).
type PeerPlacement struct {
	Network    string  `json:"network"`
	Threads    int     `json:"threads"`
	Placement  string  `json:"placement"`
	Rounds     int     `json:"rounds"`
	FacegateMS float64 `json:"facegate_ms"`
	FacegateX  float64 `json:"facegate_speedup"`
	ORTMS      float64 `json:"ort_ms"`
	ORTX       float64 `json:"ort_speedup"`
}

// PeerRow is one network at one thread count.
type PeerRow struct {
	Network    string  `json:"network"`
	Threads    int     `json:"threads"`
	FacegateMS float64 `json:"facegate_ms"`
	ORTMS      float64 `json:"ort_ms"`
	Ratio      float64 `json:"ratio"`
}

// LoadReport mirrors bench/cmd/load's -json output.
type LoadReport struct {
	Machine struct {
		CPUs     int    `json:"cpus"`
		CPUModel string `json:"cpu_model"`
	} `json:"machine"`
	Server  string   `json:"server"`
	Client  string   `json:"client"`
	Probe   string   `json:"probe"`
	Gallery string   `json:"gallery"`
	StepS   float64  `json:"step_seconds"`
	StepMax int      `json:"step_max_requests"`
	LoadAvg []string `json:"loadavg"`
	Runs    []struct {
		Mode       string  `json:"mode"`
		BodyBytes  int     `json:"body_bytes"`
		Reason     string  `json:"reason"`
		MaxRPS     float64 `json:"max_throughput_rps"`
		MaxRPSAt   int     `json:"max_throughput_concurrency"`
		Saturation int     `json:"saturation_concurrency"`
		Steps      []struct {
			Concurrency int            `json:"concurrency"`
			Requests    int            `json:"requests"`
			OK          int            `json:"ok"`
			Errors      map[string]int `json:"errors"`
			RPS         float64        `json:"throughput_rps"`
			Latency     struct {
				P50, P90, P99, Max, Mean float64
			} `json:"latency_ms"`
		} `json:"steps"`
	} `json:"runs"`
}

type options struct {
	bench, peer, placement, load, out, md, readme, pprofDir, note string
	ghz                                                           float64
	behind                                                        bool
}

func main() {
	var o options
	flag.StringVar(&o.bench, "bench", "", "comma-separated `go test -bench` output files (globs allowed)")
	flag.StringVar(&o.peer, "peer", "", "bench/cmd/peer -json output")
	flag.StringVar(&o.placement, "placement", "", "bench/cmd/peer -json output of a many-round run of one network, for the two-thread rounds by vCPU placement")
	flag.StringVar(&o.load, "load", "", "bench/cmd/load -json output")
	flag.StringVar(&o.out, "out", "bench/report", "directory for the PNG charts and REPORT.md")
	flag.StringVar(&o.md, "md", "", "markdown report file (default OUT/REPORT.md, charts linked relative to it)")
	flag.StringVar(&o.readme, "readme", "", "also replace the region between <!-- report:begin --> and <!-- report:end --> in this file (charts linked as report/NAME.png)")
	flag.StringVar(&o.pprofDir, "pprof", "", "directory of pprof-NETWORK-tTHREADS.txt tops for the networks behind ONNX Runtime (default OUT)")
	flag.StringVar(&o.note, "note", "", "a line to put at the top of the report (e.g. that this was a quick run)")
	flag.Float64Var(&o.ghz, "ghz", 0, "CPU clock for the peak GFLOP/s (default: measured, else /proc/cpuinfo cpu MHz)")
	flag.BoolVar(&o.behind, "behind", false, "print the networks where facegate is slower than ONNX Runtime (needs -peer) and exit")
	levels := flag.Bool("levels", false, "print the kernel dispatch levels this machine can run (values of FACEGATE_CPU) and exit")
	flag.Parse()
	if *levels {
		fmt.Println(strings.Join(kernels.Levels(), " "))
		return
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	var peer *PeerResult
	if o.peer != "" {
		peer = &PeerResult{}
		if err := readJSON(o.peer, peer); err != nil {
			return err
		}
	}
	if o.behind {
		if peer == nil {
			return errors.New("-behind needs -peer")
		}
		for _, row := range behind(peer) {
			fmt.Println(row.Network, row.Threads)
		}
		return nil
	}
	var load *LoadReport
	if o.load != "" {
		load = &LoadReport{}
		if err := readJSON(o.load, load); err != nil {
			return err
		}
	}
	var files []string
	for _, pat := range strings.Split(o.bench, ",") {
		if pat = strings.TrimSpace(pat); pat == "" {
			continue
		}
		m, err := filepath.Glob(pat)
		if err != nil {
			return err
		}
		if len(m) == 0 {
			return fmt.Errorf("-bench %s: no such file", pat)
		}
		files = append(files, m...)
	}
	rs, err := ParseBenchFiles(files)
	if err != nil {
		return err
	}
	sums := Summarise(rs)
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	if o.pprofDir == "" {
		o.pprofDir = o.out
	}
	ghz, ghzSource := o.ghz, "-ghz"
	if ghz <= 0 {
		nominal := cpuinfoGHz()
		ghz = measureGHz()
		ghzSource = fmt.Sprintf("measured: a chain of dependent one-cycle integer operations timed in thread CPU time; /proc/cpuinfo says %.2f GHz", nominal)
		if ghz <= 0 {
			ghz, ghzSource = nominal, "/proc/cpuinfo cpu MHz, the nominal clock; turbo can exceed it"
		}
	}

	var placement *PeerResult
	if o.placement != "" {
		placement = &PeerResult{}
		if err := readJSON(o.placement, placement); err != nil {
			return err
		}
	}
	r := &reporter{o: o, peer: peer, placement: placement, load: load, sums: sums, ghz: ghz, ghzSource: ghzSource}
	if err := r.charts(); err != nil {
		return err
	}
	md := o.md
	if md == "" {
		md = filepath.Join(o.out, "REPORT.md")
	}
	prefix, _ := filepath.Rel(filepath.Dir(md), o.out)
	if err := os.WriteFile(md, []byte(r.markdown(prefix)), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "report: wrote %s and %d charts in %s\n", md, len(r.written), o.out)
	if o.readme != "" {
		prefix, _ := filepath.Rel(filepath.Dir(o.readme), o.out)
		return splice(o.readme, r.markdown(prefix))
	}
	return nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// behind lists the rows where facegate's median is above ONNX Runtime's.
func behind(p *PeerResult) []PeerRow {
	var out []PeerRow
	for _, r := range p.Rows {
		if r.FacegateMS > r.ORTMS {
			out = append(out, r)
		}
	}
	return out
}

// pprofFile names the profile top of a network at a thread count.
func pprofFile(net string, threads int) string {
	return fmt.Sprintf("pprof-%s-t%d.txt", net, threads)
}

func cpuinfoGHz() float64 {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	m := regexp.MustCompile(`(?m)^cpu MHz\s*:\s*([0-9.]+)`).FindSubmatch(data)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v / 1e3
}

// splice replaces the text between the report markers in path.
func splice(path, fragment string) error {
	const begin, end = "<!-- report:begin -->", "<!-- report:end -->"
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(data)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		return fmt.Errorf("%s: no %s ... %s region", path, begin, end)
	}
	s = s[:i+len(begin)] + "\n" + fragment + s[j:]
	return os.WriteFile(path, []byte(s), 0o644)
}

type reporter struct {
	o         options
	peer      *PeerResult
	placement *PeerResult // a many-round peer run split by vCPU placement
	load      *LoadReport
	sums      []Summary
	ghz       float64
	ghzSource string
	written   []chart
}

type chart struct{ file, caption string }

func (r *reporter) save(file, caption string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	r.written = append(r.written, chart{file, caption})
	return nil
}

// peak returns the assumed peak GFLOP/s of one core at a level (0 when
// there is no meaningful vector peak).
func (r *reporter) peak(level string) float64 {
	switch level {
	case "avx2":
		return 32 * r.ghz
	case "avx512":
		return 64 * r.ghz
	}
	return 0
}

func (r *reporter) peakLines(cores int) []hline {
	if r.ghz <= 0 {
		return nil
	}
	var ls []hline
	for _, l := range []string{"avx2", "avx512"} {
		if r.hasLevel(l) {
			ls = append(ls, hline{fmt.Sprintf("%s peak, %d core(s) @ %.2f GHz", l, cores, r.ghz), float64(cores) * r.peak(l)})
		}
	}
	return ls
}

func (r *reporter) hasLevel(l string) bool {
	for _, s := range r.sums {
		if s.Level == l {
			return true
		}
	}
	return false
}

// levels returns the kernel levels present, slowest first.
func (r *reporter) levels() []string {
	var out []string
	for _, l := range []string{"generic", "avx2", "avx512", "neon"} {
		if r.hasLevel(l) {
			out = append(out, l)
		}
	}
	return out
}

var threadsSuffix = regexp.MustCompile(`/threads(\d+)$`)

// kernelRows groups the GFLOP/s results of a benchmark family by shape:
// shape name (the sub-benchmark without the level-specific kernel name and
// the thread suffix) -> level -> threads -> GFLOP/s.
func (r *reporter) kernelRows(family string) (shapes []string, v map[string]map[string]map[int]float64) {
	return r.kernelMetric(family, "GFLOP/s")
}

// kernelMetric is kernelRows for any metric (GFLOP/cpu-s: GFLOP per
// CPU-second, what one core delivers while it runs, however busy the
// machine is).
func (r *reporter) kernelMetric(family, metric string) (shapes []string, v map[string]map[string]map[int]float64) {
	v = map[string]map[string]map[int]float64{}
	for _, s := range find(r.sums, family+"/") {
		g, ok := s.Metrics[metric]
		if !ok || s.Level == "" {
			continue
		}
		name := strings.TrimPrefix(s.Name, family+"/")
		threads := 1
		if m := threadsSuffix.FindStringSubmatch(name); m != nil {
			threads, _ = strconv.Atoi(m[1])
			name = strings.TrimSuffix(name, m[0])
		}
		if family == "Gemm" { // Gemm/<kernel>/<size>: the kernel differs per level
			if i := strings.LastIndex(name, "/"); i >= 0 {
				name = name[i+1:]
			}
		}
		if v[name] == nil {
			v[name] = map[string]map[int]float64{}
			shapes = append(shapes, name)
		}
		if v[name][s.Level] == nil {
			v[name][s.Level] = map[int]float64{}
		}
		v[name][s.Level][threads] = g
	}
	return shapes, v
}

func (r *reporter) charts() error {
	out := func(name string) string { return filepath.Join(r.o.out, name) }

	if r.peer != nil && len(r.peer.Rows) > 0 {
		nets, threads := r.peerAxes()
		var ss, ratio []series
		for _, t := range threads {
			fg := series{name: fmt.Sprintf("facegate %d thread(s)", t)}
			ort := series{name: fmt.Sprintf("ONNX Runtime %d thread(s)", t)}
			rt := series{name: fmt.Sprintf("%d thread(s)", t)}
			for _, n := range nets {
				row, ok := r.peerRow(n, t)
				fg.vals = append(fg.vals, pick(ok, row.FacegateMS))
				ort.vals = append(ort.vals, pick(ok, row.ORTMS))
				rt.vals = append(rt.vals, pick(ok, row.Ratio))
			}
			ss = append(ss, fg, ort)
			ratio = append(ratio, rt)
		}
		if err := r.save("peer_latency.png", "Latency per network, facegate vs ONNX Runtime (median ms, lower is better)",
			barChart(out("peer_latency.png"), "Latency per network: facegate vs ONNX Runtime", "median ms per run", nets, ss, nil)); err != nil {
			return err
		}
		if err := r.save("peer_ratio.png", "facegate time / ONNX Runtime time per network (below 1: facegate faster)",
			barChart(out("peer_ratio.png"), "facegate / ONNX Runtime latency (below 1 = facegate faster)", "ratio", nets, ratio,
				[]hline{{"parity (1.0)", 1}})); err != nil {
			return err
		}
	}

	// Kernel charts plot GFLOP per CPU-second when the benchmarks report
	// it: on a shared machine wall-clock GFLOP/s mostly measures the other
	// tenants. Per CPU-second, every thread count compares with one core's
	// peak.
	metric, unit, perCPU := "GFLOP/s", "GFLOP/s", false
	if _, v := r.kernelMetric("Gemm", "GFLOP/cpu-s"); len(v) > 0 {
		metric, unit, perCPU = "GFLOP/cpu-s", "GFLOP per CPU-second", true
	}
	peaks := func(t int) []hline {
		if perCPU {
			return r.peakLines(1)
		}
		return r.peakLines(t)
	}
	if shapes, v := r.kernelMetric("Gemm", metric); len(shapes) > 0 {
		sort.Slice(shapes, func(i, j int) bool { a, _ := strconv.Atoi(shapes[i]); b, _ := strconv.Atoi(shapes[j]); return a < b })
		var ss []series
		for _, t := range []int{1, 2} {
			for li, l := range r.levels() {
				s := series{name: fmt.Sprintf("%s, %d thread(s)", l, t), styled: true, color: li, dash: t - 1}
				for _, sh := range shapes {
					if g, ok := v[sh][l][t]; ok {
						n, _ := strconv.Atoi(sh)
						s.xys = append(s.xys, plotter.XY{X: float64(n), Y: g})
					}
				}
				if len(s.xys) > 0 {
					ss = append(ss, s)
				}
			}
		}
		lines := peaks(1)
		if !perCPU {
			lines = append(lines, r.peakLines(2)...)
		}
		if err := r.save("gflops_gemm.png", fmt.Sprintf("SGEMM %s (square n×n×n, bias+ReLU epilogue) per dispatch level and thread count, against the assumed peak", unit),
			lineChart(out("gflops_gemm.png"), "SGEMM "+unit+" per dispatch level (square n)", "n", unit, ss, lines, true)); err != nil {
			return err
		}
	}

	convShapes, cv := r.kernelMetric("Conv", metric)
	denseShapes, dv := r.kernelMetric("Dense", metric)
	for _, d := range denseShapes {
		convShapes = append(convShapes, "dense-"+d)
		cv["dense-"+d] = dv[d]
	}
	if len(convShapes) > 0 {
		for _, t := range []int{1, 2} {
			var ss []series
			for _, l := range r.levels() {
				s := series{name: l}
				any := false
				for _, sh := range convShapes {
					g, ok := cv[sh][l][t]
					any = any || ok
					s.vals = append(s.vals, pick(ok, g))
				}
				if any {
					ss = append(ss, s)
				}
			}
			if len(ss) == 0 {
				continue
			}
			name := fmt.Sprintf("gflops_conv_t%d.png", t)
			if err := r.save(name, fmt.Sprintf("Convolution and dense layer %s at %d thread(s), face-network layer shapes, per dispatch level", unit, t),
				barChart(out(name), fmt.Sprintf("Conv / dense %s, %d thread(s), per dispatch level", unit, t), unit,
					convShapes, ss, peaks(t))); err != nil {
				return err
			}
		}
	}

	if nets, one, two := r.networkThreads(); len(nets) > 0 {
		var ss []series
		s1 := series{name: "facegate 1 thread (engine BenchmarkNetwork)"}
		s2 := series{name: "facegate 2 threads (BenchmarkNetworkThreads)"}
		for _, n := range nets {
			s1.vals = append(s1.vals, one[n])
			s2.vals = append(s2.vals, two[n])
		}
		ss = append(ss, s1, s2)
		if r.peer != nil {
			o1 := series{name: "ONNX Runtime 1 thread"}
			o2 := series{name: "ONNX Runtime 2 threads"}
			for _, n := range nets {
				a, ok1 := r.peerRow(n, 1)
				b, ok2 := r.peerRow(n, 2)
				o1.vals = append(o1.vals, pick(ok1, a.ORTMS))
				o2.vals = append(o2.vals, pick(ok2, b.ORTMS))
			}
			ss = append(ss, o1, o2)
		}
		if err := r.save("threads_scaling.png", "Network latency at 1 and 2 threads (engine benchmarks; ONNX Runtime from the peer run)",
			barChart(out("threads_scaling.png"), "Scaling with threads: network ms at 1 vs 2 threads", "ms per run", nets, ss, nil)); err != nil {
			return err
		}
	}

	if stages := r.stages(); len(stages) > 0 {
		var groups []string
		acc, fast := series{name: "ACCURATE"}, series{name: "FAST"}
		for _, st := range []string{"decode", "detect", "embed", "liveness", "verify", "request"} {
			a, okA := stages[st+"/ACCURATE"]
			f, okF := stages[st+"/FAST"]
			if st == "decode" {
				a, okA = stages["decode"]
				f, okF = a, okA
			}
			if !okA && !okF {
				continue
			}
			groups = append(groups, st)
			acc.vals = append(acc.vals, pick(okA, a))
			fast.vals = append(fast.vals, pick(okF, f))
		}
		if err := r.save("stages.png", "Pipeline stages on one 640×480 photo and the whole compare-live request (HTTP handler, two photos), ms",
			barChart(out("stages.png"), "Pipeline stages and whole compare-live request", "ms", groups, []series{acc, fast}, nil)); err != nil {
			return err
		}
	}

	if r.load != nil && len(r.load.Runs) > 0 {
		var lat, thr []series
		for i, run := range r.load.Runs {
			p50 := series{name: run.Mode + " p50", styled: true, color: i, dash: 0}
			p90 := series{name: run.Mode + " p90", styled: true, color: i, dash: 1}
			p99 := series{name: run.Mode + " p99", styled: true, color: i, dash: 2}
			tp := series{name: run.Mode}
			for _, s := range run.Steps {
				c := float64(s.Concurrency)
				tp.xys = append(tp.xys, plotter.XY{X: c, Y: s.RPS})
				if s.OK > 0 {
					p50.xys = append(p50.xys, plotter.XY{X: c, Y: s.Latency.P50})
					p90.xys = append(p90.xys, plotter.XY{X: c, Y: s.Latency.P90})
					p99.xys = append(p99.xys, plotter.XY{X: c, Y: s.Latency.P99})
				}
			}
			lat = append(lat, p50, p90, p99)
			thr = append(thr, tp)
		}
		if err := r.save("load_latency.png", "compare-live latency percentiles vs concurrency (load test)",
			lineChart(out("load_latency.png"), "compare-live latency vs concurrency", "concurrent clients", "ms", lat, nil, true)); err != nil {
			return err
		}
		if err := r.save("load_throughput.png", "compare-live throughput vs concurrency (successful requests per second)",
			lineChart(out("load_throughput.png"), "compare-live throughput vs concurrency", "concurrent clients", "requests/s", thr, nil, true)); err != nil {
			return err
		}
	}
	return nil
}

func pick(ok bool, v float64) float64 {
	if !ok {
		return math.NaN()
	}
	return v
}

func (r *reporter) peerAxes() (nets []string, threads []int) {
	seenN, seenT := map[string]bool{}, map[int]bool{}
	for _, row := range r.peer.Rows {
		if !seenN[row.Network] {
			seenN[row.Network] = true
			nets = append(nets, row.Network)
		}
		if !seenT[row.Threads] {
			seenT[row.Threads] = true
			threads = append(threads, row.Threads)
		}
	}
	sort.Ints(threads)
	return nets, threads
}

func (r *reporter) peerRow(net string, threads int) (row PeerRow, ok bool) {
	if r.peer == nil {
		return row, false
	}
	for _, x := range r.peer.Rows {
		if x.Network == net && x.Threads == threads {
			return x, true
		}
	}
	return row, false
}

// networkThreads returns the engine's BenchmarkNetwork (1 thread) and
// BenchmarkNetworkThreads (GOMAXPROCS threads) ms per network, from the
// default-level run.
func (r *reporter) networkThreads() (nets []string, one, two map[string]float64) {
	one, two = map[string]float64{}, map[string]float64{}
	for _, s := range find(r.sums, "Network/") {
		n := strings.TrimPrefix(s.Name, "Network/")
		one[n] = s.ms()
		nets = append(nets, n)
	}
	for _, s := range find(r.sums, "NetworkThreads/") {
		two[strings.TrimPrefix(s.Name, "NetworkThreads/")] = s.ms()
	}
	return nets, one, two
}

// stages maps "stage/MODE" (and "decode", "request/MODE") to ms.
func (r *reporter) stages() map[string]float64 {
	m := map[string]float64{}
	for _, s := range find(r.sums, "Stage/") {
		m[strings.TrimPrefix(s.Name, "Stage/")] = s.ms()
	}
	for _, s := range find(r.sums, "CompareLive/") {
		m["request/"+strings.TrimPrefix(s.Name, "CompareLive/")] = s.ms()
	}
	return m
}

// loadAverages lists the distinct "loadavg" configuration lines of the
// benchmark files, in the order the stages ran.
func (r *reporter) loadAverages() string {
	seen := map[string]bool{}
	var out []string
	for _, s := range r.sums {
		if la := s.Config["loadavg"]; la != "" && !seen[la+s.Config["file"]] {
			seen[la+s.Config["file"]] = true
			out = append(out, fmt.Sprintf("%s (%s)", la, strings.TrimSuffix(filepath.Base(s.Config["file"]), ".txt")))
		}
	}
	return strings.Join(out, "; ")
}

// others returns the results of the "layers" file (image decoding, the
// HTTP layer), which have no chart of their own.
func (r *reporter) others() []Summary {
	var out []Summary
	for _, s := range r.sums {
		if strings.TrimSuffix(filepath.Base(s.Config["file"]), ".txt") == "layers" {
			out = append(out, s)
		}
	}
	return out
}

// lscpu summarises the machine from lscpu (when installed).
func lscpu() string {
	out, err := exec.Command("lscpu").Output()
	if err != nil {
		return ""
	}
	var b strings.Builder
	keep := map[string]bool{"Architecture": true, "Model name": true, "CPU(s)": true, "Thread(s) per core": true,
		"Core(s) per socket": true, "Socket(s)": true, "L1d cache": true, "L2 cache": true, "L3 cache": true, "Hypervisor vendor": true}
	var flags string
	for _, l := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if keep[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
		if k == "Flags" {
			for _, f := range []string{"avx2", "fma", "avx512f", "avx512bw", "avx512vl", "asimd"} {
				if strings.Contains(" "+v+" ", " "+f+" ") {
					flags += " " + f
				}
			}
		}
	}
	if flags != "" {
		fmt.Fprintf(&b, "Vector flags:%s\n", flags)
	}
	return b.String()
}

func (r *reporter) markdown(prefix string) string {
	var b bytes.Buffer
	img := func(file string) string { return filepath.ToSlash(filepath.Join(prefix, file)) }
	has := map[string]string{}
	for _, c := range r.written {
		has[c.file] = c.caption
	}
	embed := func(file string) {
		if c, ok := has[file]; ok {
			fmt.Fprintf(&b, "![%s](%s)\n\n", c, img(file))
		}
	}

	if r.o.note != "" {
		fmt.Fprintf(&b, "> %s\n\n", r.o.note)
	}
	fmt.Fprintln(&b, "### Machine")
	fmt.Fprintln(&b)
	for _, s := range r.sums {
		if c := s.Config["commit"]; c != "" {
			fmt.Fprintf(&b, "Measured at commit `%s`, %s.\n\n", c, s.Config["date"])
			break
		}
	}
	if la := r.loadAverages(); la != "" {
		fmt.Fprintf(&b, "Load average (1, 5, 15 min) when each benchmark stage started: %s, on %d CPUs. "+
			"Anything above the CPU count means other processes competed for the cores while these numbers were taken.\n\n", la, runtime.NumCPU())
	}
	if s := lscpu(); s != "" {
		fmt.Fprintf(&b, "```\n%s```\n\n", s)
	}
	if r.ghz > 0 {
		fmt.Fprintf(&b, "Peak assumption for the kernel charts: %.2f GHz (%s) × 32 FLOP/cycle/core with AVX2+FMA (two 8-wide FMA pipes), "+
			"× 64 with AVX-512 (two 16-wide FMA pipes): %.0f / %.0f GFLOP/s per core. Some cores run 512-bit FMAs as two 256-bit halves "+
			"(then the AVX-512 peak equals the AVX2 one), and on a shared virtual machine other tenants take cycles, so these are ceilings, not targets.\n\n",
			r.ghz, r.ghzSource, r.peak("avx2"), r.peak("avx512"))
	}

	if r.peer != nil && len(r.peer.Rows) > 0 {
		fmt.Fprintln(&b, "### facegate vs ONNX Runtime")
		fmt.Fprintln(&b)
		fmt.Fprintf(&b, "`go run ./bench/cmd/peer`: %s, %d CPUs; each number is the median of %d rounds × %d timed runs after 10 warm-ups, "+
			"both engines as separate processes on the same input, interleaved. 1-minute load average before/after: %s.\n\n",
			r.peer.ORT, r.peer.CPUs, r.peer.Rounds, r.peer.Runs, strings.Join(r.peer.LoadAvg, " / "))
		fmt.Fprintln(&b, "| network | threads | facegate ms | ORT ms | facegate/ORT | |")
		fmt.Fprintln(&b, "|---|---|---|---|---|---|")
		for _, row := range r.peer.Rows {
			verdict := "facegate faster"
			if row.Ratio > 1 {
				verdict = "**ORT faster**"
			}
			fmt.Fprintf(&b, "| %s | %d | %.2f | %.2f | %.2f | %s |\n", row.Network, row.Threads, row.FacegateMS, row.ORTMS, row.Ratio, verdict)
		}
		fmt.Fprintln(&b)
		if bh := behind(r.peer); len(bh) > 0 {
			var names []string
			for _, row := range bh {
				names = append(names, fmt.Sprintf("%s at %d thread(s) (%.2f ms vs %.2f ms)", row.Network, row.Threads, row.FacegateMS, row.ORTMS))
			}
			fmt.Fprintf(&b, "facegate is **not yet ahead** of ONNX Runtime on: %s. Where the time goes, from "+
				"`go test -run X -bench 'BenchmarkNetwork$/^NET$' -benchtime 3s -cpuprofile cpu.prof ./engine/ && go tool pprof -top cpu.prof` "+
				"(BenchmarkNetworkThreads for 2 threads; the profile also covers loading the model once):\n\n", strings.Join(names, "; "))
			for _, row := range bh {
				data, err := os.ReadFile(filepath.Join(r.o.pprofDir, pprofFile(row.Network, row.Threads)))
				if err != nil {
					fmt.Fprintf(&b, "- %s, %d thread(s): no profile (run bench/report.sh)\n\n", row.Network, row.Threads)
					continue
				}
				top, summary := pprofTop(string(data), 18)
				fmt.Fprintf(&b, "**%s, %d thread(s)** — most time in: %s\n\n```\n%s```\n\n", row.Network, row.Threads, summary, top)
			}
		} else {
			fmt.Fprintln(&b, "facegate is ahead of ONNX Runtime on every network at every thread count measured.")
			fmt.Fprintln(&b)
		}
		embed("peer_latency.png")
		embed("peer_ratio.png")
	}
	r.placementSection(&b)

	if nets, one, two := r.networkThreads(); len(nets) > 0 {
		fmt.Fprintln(&b, "### Networks in the engine")
		fmt.Fprintln(&b)
		fmt.Fprintln(&b, "`go test -run X -bench 'Network' -benchmem ./engine/` (random input of each network's shape; allocs/op shows Run allocates nothing after warm-up).")
		fmt.Fprintln(&b)
		fmt.Fprintln(&b, "| network | 1 thread ms | 2 threads ms | speed-up | allocs/op (1 thread) |")
		fmt.Fprintln(&b, "|---|---|---|---|---|")
		for _, n := range nets {
			allocs := "-"
			for _, s := range find(r.sums, "Network/"+n) {
				if a, ok := s.Metrics["allocs/op"]; ok && s.Name == "Network/"+n {
					allocs = strconv.FormatFloat(a, 'f', -1, 64)
				}
			}
			sp := "-"
			if two[n] > 0 {
				sp = fmt.Sprintf("%.2f×", one[n]/two[n])
			}
			fmt.Fprintf(&b, "| %s | %.2f | %s | %s | %s |\n", n, one[n], fmtMS(two[n]), sp, allocs)
		}
		fmt.Fprintln(&b)
		embed("threads_scaling.png")
	}

	if st := r.stages(); len(st) > 0 {
		fmt.Fprintln(&b, "### Pipeline stages and the whole request")
		fmt.Fprintln(&b)
		fmt.Fprintln(&b, "`go test -run X -bench . -benchmem ./bench/`: stages on the probe photo (640×480, EXIF-rotated); `request` is one whole "+
			"compare-live request (probe + one gallery photo) through the real HTTP handler, no network.")
		fmt.Fprintln(&b)
		fmt.Fprintln(&b, "| stage | ACCURATE ms | FAST ms |")
		fmt.Fprintln(&b, "|---|---|---|")
		for _, s := range []string{"decode", "detect", "embed", "liveness", "verify", "request"} {
			a, f := st[s+"/ACCURATE"], st[s+"/FAST"]
			if s == "decode" {
				a, f = st["decode"], st["decode"]
			}
			if a == 0 && f == 0 {
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", s, fmtMS(a), fmtMS(f))
		}
		for _, s := range find(r.sums, "CompareLive/") {
			fmt.Fprintf(&b, "\nWhole request, %s: %.1f ms, %.0f allocs, %.1f MB allocated per request.\n",
				strings.TrimPrefix(s.Name, "CompareLive/"), s.ms(), s.Metrics["allocs/op"], s.Metrics["B/op"]/1e6)
		}
		fmt.Fprintln(&b)
		embed("stages.png")
	}

	if others := r.others(); len(others) > 0 {
		fmt.Fprintln(&b, "### Image decoding and the HTTP layer")
		fmt.Fprintln(&b)
		fmt.Fprintln(&b, "`go test -run X -bench . -benchmem ./nets/imageio/ ./api/` (the HTTP layer around a fake verifier: what the service adds to the pipeline).")
		fmt.Fprintln(&b)
		fmt.Fprintln(&b, "| benchmark | ms/op | MB/s | B/op | allocs/op |")
		fmt.Fprintln(&b, "|---|---|---|---|---|")
		for _, s := range others {
			mbs := "-"
			if v, ok := s.Metrics["MB/s"]; ok {
				mbs = fmt.Sprintf("%.1f", v)
			}
			fmt.Fprintf(&b, "| %s | %.3f | %s | %.0f | %.0f |\n", s.Name, s.ms(), mbs, s.Metrics["B/op"], s.Metrics["allocs/op"])
		}
		fmt.Fprintln(&b)
	}

	if levels := r.levels(); len(levels) > 0 {
		fmt.Fprintln(&b, "### Kernels")
		fmt.Fprintln(&b)
		fmt.Fprintln(&b, "`FACEGATE_CPU=LEVEL go test -run X -bench 'Gemm$|Conv$|Dense$|PointDepth$' ./kernels/` for each level "+
			"(pointdepth: YuNet's fused 1×1 + depthwise [+ max pool] units, kernels.PointDepth); GFLOP/s counts 2 FLOP per multiply-add "+
			"per wall-clock second, and % is of the assumed peak of the cores used (1 or 2). The second figure, per CPU-second, is what a core "+
			"delivered while it was actually running the kernel: on a busy machine it is the better measure of the kernel itself, "+
			"and it compares with the one-core peak.")
		fmt.Fprintln(&b)
		fmt.Fprint(&b, "| kernel | threads |")
		for _, l := range levels {
			fmt.Fprintf(&b, " %s GFLOP/s |", l)
		}
		fmt.Fprintln(&b)
		fmt.Fprint(&b, "|---|---|")
		for range levels {
			fmt.Fprint(&b, "---|")
		}
		fmt.Fprintln(&b)
		for _, fam := range []string{"Gemm", "Conv", "Dense", "PointDepth"} {
			shapes, v := r.kernelRows(fam)
			_, cpu := r.kernelMetric(fam, "GFLOP/cpu-s")
			for _, sh := range shapes {
				for _, t := range []int{1, 2} {
					line := fmt.Sprintf("| %s %s | %d |", strings.ToLower(fam), sh, t)
					any := false
					for _, l := range levels {
						g, ok := v[sh][l][t]
						if !ok {
							line += " - |"
							continue
						}
						any = true
						if p := r.peak(l) * float64(t); p > 0 {
							line += fmt.Sprintf(" %.1f (%.0f%%)", g, 100*g/p)
						} else {
							line += fmt.Sprintf(" %.1f", g)
						}
						if c, ok := cpu[sh][l][t]; ok {
							line += fmt.Sprintf(" · %.1f/cpu-s", c)
						}
						line += " |"
					}
					if any {
						fmt.Fprintln(&b, line)
					}
				}
			}
		}
		fmt.Fprintln(&b)
		for _, s := range find(r.sums, "MicroKernel/") {
			if g, ok := s.Metrics["GFLOP/s"]; ok {
				fmt.Fprintf(&b, "Micro-kernel ceiling (L1-resident tile, k=256) %s: %.1f GFLOP/s.\n", strings.TrimPrefix(s.Name, "MicroKernel/"), g)
			}
		}
		fmt.Fprintln(&b)
		embed("gflops_gemm.png")
		embed("gflops_conv_t1.png")
		embed("gflops_conv_t2.png")
	}

	if r.load != nil && len(r.load.Runs) > 0 {
		l := r.load
		fmt.Fprintln(&b, "### Load test")
		fmt.Fprintln(&b)
		fmt.Fprintf(&b, "`go run ./bench/cmd/load`: POST /v2/face-recognition/compare-live on loopback, %s server, %s client, %d CPUs (%s); "+
			"probe %s + gallery [%s] (640×480 JPEG, base64), liveness_min_score 0.6; concurrency doubles each step of at most %.0f s / %d requests "+
			"until errors/503s or flat throughput. 1-minute load average before/after: %s.\n\n",
			l.Server, l.Client, l.Machine.CPUs, l.Machine.CPUModel, l.Probe, l.Gallery, l.StepS, l.StepMax, strings.Join(l.LoadAvg, " / "))
		for _, run := range l.Runs {
			fmt.Fprintf(&b, "**%s** (body %d KB)\n\n", run.Mode, run.BodyBytes>>10)
			fmt.Fprintln(&b, "| concurrency | requests | ok | errors | req/s | p50 ms | p90 ms | p99 ms | max ms |")
			fmt.Fprintln(&b, "|---|---|---|---|---|---|---|---|---|")
			for _, s := range run.Steps {
				e := "0"
				if len(s.Errors) > 0 {
					var ks []string
					for k, n := range s.Errors {
						ks = append(ks, fmt.Sprintf("%d × %s", n, k))
					}
					sort.Strings(ks)
					e = strings.Join(ks, ", ")
				}
				fmt.Fprintf(&b, "| %d | %d | %d | %s | %.2f | %.1f | %.1f | %.1f | %.1f |\n", s.Concurrency, s.Requests, s.OK, e, s.RPS,
					s.Latency.P50, s.Latency.P90, s.Latency.P99, s.Latency.Max)
			}
			p50 := 0.0
			if len(run.Steps) > 0 {
				p50 = run.Steps[0].Latency.P50
			}
			fmt.Fprintf(&b, "\nMedian latency of one request alone: **%.1f ms**; max throughput **%.2f req/s** at concurrency %d. Stopped: %s.\n\n",
				p50, run.MaxRPS, run.MaxRPSAt, run.Reason)
		}
		embed("load_latency.png")
		embed("load_throughput.png")
	}

	if len(r.written) > 0 {
		fmt.Fprintln(&b, "Charts:")
		fmt.Fprintln(&b)
		for _, c := range r.written {
			fmt.Fprintf(&b, "- [%s](%s): %s\n", c.file, img(c.file), c.caption)
		}
		fmt.Fprintln(&b)
	}
	return b.String()
}

func fmtMS(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

// pprofTop keeps a `pprof -top` listing's summary lines and first n rows
// (without the binary's file and build id), and names the functions with
// the most flat time.
func pprofTop(s string, n int) (top, summary string) {
	var keep, hot []string
	rows := 0
	inRows := false
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "File:"), strings.HasPrefix(l, "Build ID:"), strings.HasPrefix(l, "Time:"), strings.HasPrefix(l, "Type:"):
			continue
		case strings.Contains(l, "flat%") && strings.Contains(l, "cum%"):
			inRows = true
		case inRows:
			rows++
			if rows > n {
				continue
			}
			f := strings.Fields(l)
			if len(hot) < 5 && len(f) >= 6 && f[0] != "0" {
				hot = append(hot, fmt.Sprintf("`%s` %s", strings.TrimPrefix(strings.Join(f[5:], " "), "github.com/facegate/facegate/"), f[1]))
			}
		}
		keep = append(keep, strings.ReplaceAll(l, "github.com/facegate/facegate/", ""))
	}
	if len(hot) == 0 {
		return strings.Join(keep, "\n") + "\n", "(no samples)"
	}
	return strings.Join(keep, "\n") + "\n", strings.Join(hot, ", ") + " (flat share of samples)."
}

// placementSection writes the two-thread rounds of the placement run split
// by where the host had placed the two vCPUs (bench/cmd/peer -near-ns).
func (r *reporter) placementSection(b *bytes.Buffer) {
	p := r.placement
	if p == nil || len(p.Rows) == 0 {
		return
	}
	fmt.Fprintln(b, "### Two threads by vCPU placement")
	fmt.Fprintln(b)
	var nets []string
	for _, row := range p.Rows {
		if row.Threads == 1 {
			nets = append(nets, row.Network)
		}
	}
	fmt.Fprintf(b, "`go run ./bench/cmd/peer -nets %s -rounds %d -runs %d`: each multi-thread pair of measurements is bracketed by the one-way "+
		"latency of a cache line bounced between threads pinned to CPUs 0 and 1. Near: both below %g ns; far: both at or above "+
		"(rounds where it changed in between are left out). Speed-up: the 1-thread median over all %d rounds divided by the "+
		"median of these rounds. 1-minute load average before/after: %s.\n\n",
		strings.Join(nets, ","), p.Rounds, p.Runs, p.NearNS, p.Rounds, strings.Join(p.LoadAvg, " / "))
	if len(p.Placement) == 0 {
		fmt.Fprintln(b, "The latency was not measured (it needs Linux and two CPUs).")
		fmt.Fprintln(b)
		return
	}
	fmt.Fprintln(b, "| network | threads | placement | rounds | facegate ms | facegate speed-up | ORT ms | ORT speed-up |")
	fmt.Fprintln(b, "|---|---|---|---|---|---|---|---|")
	seen := map[string]bool{}
	for _, row := range p.Placement {
		seen[row.Placement] = true
		fmt.Fprintf(b, "| %s | %d | %s | %d | %.2f | %.2f× | %.2f | %.2f× |\n",
			row.Network, row.Threads, row.Placement, row.Rounds, row.FacegateMS, row.FacegateX, row.ORTMS, row.ORTX)
	}
	fmt.Fprintln(b)
	for _, c := range []string{"near", "far"} {
		if !seen[c] {
			fmt.Fprintf(b, "No round of this run had the two vCPUs %s.\n\n", c)
		}
	}
}
