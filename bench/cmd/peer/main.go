// Command peer times facegate against ONNX Runtime on the same models and
// the same inputs, interleaved in one run so that both see the same machine
// load, and prints a table of medians and the facegate/ORT ratio.
//
//	go run ./bench/cmd/peer [-runs 30] [-rounds 3] [-threads 1,2] [-nets yunet640,...] [-json peer.json]
//
// Both sides are separate processes timed the same way: `facegate infer
// --time N` and `node ort-run.mjs --time N` each do 10 warm-up runs and then
// print the median and minimum of N runs. With several rounds the table shows
// the median of the per-round medians. ONNX Runtime comes from
// bench/peer/node_modules (npm install --ignore-scripts in bench/peer).
// -json also writes the table, with every round's numbers, for
// bench/cmd/report.
//
// On Linux with two or more CPUs, each multi-thread pair of measurements is
// bracketed by the one-way latency of a cache line bounced between CPUs 0
// and 1 (bench/internal/cpupair). A virtual machine's host may place its
// vCPUs close together or far apart and move them between the two within
// minutes, and threads that exchange rows at every layer gain much less
// when they are far apart. A second table splits those rounds into "near"
// (both latencies below -near-ns) and "far" (both at or above it); for
// that, run many rounds of one network:
//
//	go run ./bench/cmd/peer -nets yunet640 -rounds 30 -runs 20
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/facegate/facegate/bench/internal/cpupair"
	"github.com/facegate/facegate/weights/npy"
)

// network is one row of the table: a model and the golden input it runs on.
type network struct {
	name  string
	model string // file in shared/models
	input string // golden case whose input.npy is used
	pad   [2]int // if non-zero, pad the input (bottom/right) to this H, W
}

var networks = []network{
	{"yunet640", "face_detection_yunet_2023mar_dynamic.onnx", "yunet_image_T1_640x480", [2]int{640, 640}},
	{"yunet320", "face_detection_yunet_2023mar_dynamic.onnx", "yunet_image_T1_320x320", [2]int{}},
	{"minifasnetv2", "2.7_80x80_MiniFASNetV2.onnx", "minifasnetv2_image_T1", [2]int{}},
	{"minifasnetv1se", "4_0_0_80x80_MiniFASNetV1SE.onnx", "minifasnetv1se_image_T1", [2]int{}},
	{"mobilefacenet128", "mobilefacenet128_paddle.onnx", "mobilefacenet128_paddle_lfw1", [2]int{}},
	{"w600k_mbf", "w600k_mbf_fp32.onnx", "w600k_mbf_fp32_lfw1", [2]int{}},
}

var timing = regexp.MustCompile(`median_ms=([0-9.]+) min_ms=([0-9.]+)`)

func main() {
	runs := flag.Int("runs", 30, "timed runs per measurement (after 10 warm-ups)")
	rounds := flag.Int("rounds", 3, "interleaved rounds; the table shows the median over rounds")
	threadList := flag.String("threads", "1,2", "comma-separated thread counts")
	only := flag.String("nets", "", "comma-separated subset of networks (default all)")
	sharedDir := flag.String("shared", envOr("FACEGATE_SHARED", "../shared"), "the shared data directory")
	peerDir := flag.String("peer", "bench/peer", "directory holding node_modules/onnxruntime-node")
	out := flag.String("out", "", "also write the table (markdown) to this file")
	jsonOut := flag.String("json", "", "also write the results as JSON to this file")
	nearNS := flag.Float64("near-ns", 120, "one-way latency between CPUs 0 and 1 below which a multi-thread round counts as near placement (0: do not measure)")
	flag.Parse()

	if err := run(*runs, *rounds, *threadList, *only, *sharedDir, *peerDir, *out, *jsonOut, *nearNS); err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// Result is the JSON form of the table (-json).
type Result struct {
	GOOS    string `json:"goos"`
	GOARCH  string `json:"goarch"`
	CPUs    int    `json:"cpus"`
	Host    string `json:"host"`
	Runs    int    `json:"runs"`
	Rounds  int    `json:"rounds"`
	ORT     string `json:"ort"`
	Rows    []Row  `json:"rows"`
	Started string `json:"started"`
	// LoadAvg is /proc/loadavg's 1-minute figure before and after: above
	// the CPU count, other processes competed with both engines.
	LoadAvg []string `json:"loadavg,omitempty"`
	// NearNS and Placement: the multi-thread rounds split by vCPU placement
	// (see the package comment); empty when it was not measured.
	NearNS    float64        `json:"near_ns,omitempty"`
	Placement []PlacementRow `json:"placement,omitempty"`
}

// PlacementRow is one network at one thread count (above 1) over the rounds
// of one placement. A speed-up is the 1-thread median over all rounds
// divided by this median.
type PlacementRow struct {
	Network    string  `json:"network"`
	Threads    int     `json:"threads"`
	Placement  string  `json:"placement"` // "near" or "far"
	Rounds     int     `json:"rounds"`
	FacegateMS float64 `json:"facegate_ms"`
	FacegateX  float64 `json:"facegate_speedup"`
	ORTMS      float64 `json:"ort_ms"`
	ORTX       float64 `json:"ort_speedup"`
}

// Row is one network at one thread count: medians over rounds, and each
// round's median.
type Row struct {
	Network    string    `json:"network"`
	Threads    int       `json:"threads"`
	FacegateMS float64   `json:"facegate_ms"`
	ORTMS      float64   `json:"ort_ms"`
	Ratio      float64   `json:"ratio"` // facegate/ORT: below 1 means facegate is faster
	FacegateR  []float64 `json:"facegate_rounds_ms"`
	ORTR       []float64 `json:"ort_rounds_ms"`
	// PingPongNS is each round's one-way latency between CPUs 0 and 1
	// before and after its two measurements (multi-thread rows only).
	PingPongNS [][2]float64 `json:"pingpong_ns,omitempty"`
}

func run(runs, rounds int, threadList, only, sharedDir, peerDir, out, jsonOut string, nearNS float64) error {
	started := time.Now().UTC().Format(time.RFC3339)
	loadBefore := loadAvg()
	threads, err := parseInts(threadList)
	if err != nil {
		return err
	}
	sharedDir, err = filepath.Abs(sharedDir)
	if err != nil {
		return err
	}
	ortScript := filepath.Join(sharedDir, "tools", "ort-run.mjs")
	if _, err := os.Stat(ortScript); err != nil {
		return fmt.Errorf("ONNX Runtime runner: %w (set -shared or FACEGATE_SHARED)", err)
	}
	peerAbs, _ := filepath.Abs(peerDir)
	if _, err := os.Stat(filepath.Join(peerAbs, "node_modules", "onnxruntime-node")); err != nil {
		return fmt.Errorf("onnxruntime-node not installed: run `npm install --ignore-scripts` in %s", peerDir)
	}
	tmp, err := os.MkdirTemp("", "facegate-peer-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	bin := filepath.Join(tmp, "facegate")
	build := exec.Command("go", "build", "-o", bin, "./cmd/facegate")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building facegate: %w", err)
	}

	selected := networks
	if only != "" {
		selected = nil
		for _, n := range networks {
			if strings.Contains(","+only+",", ","+n.name+",") {
				selected = append(selected, n)
			}
		}
	}

	type key struct {
		net     string
		threads int
	}
	fg := map[key][]float64{}
	ort := map[key][]float64{}
	pp := map[key][][2]float64{}
	if runtime.NumCPU() < 2 {
		nearNS = 0
	}
	// pingPong measures the placement, or turns the measurement off (with a
	// note) where threads cannot be pinned.
	pingPong := func() float64 {
		if nearNS <= 0 {
			return 0
		}
		ns, err := cpupair.PingPongCPUs(0, 1, 50000)
		if err != nil {
			fmt.Fprintf(os.Stderr, "peer: not splitting rounds by placement: %v\n", err)
			nearNS = 0
		}
		return ns
	}
	for _, n := range selected {
		model := filepath.Join(sharedDir, "models", n.model)
		input, err := prepareInput(n, sharedDir, tmp)
		if err != nil {
			return err
		}
		converted := filepath.Join(tmp, n.name+".fgw")
		if o, err := exec.Command(bin, "convert", model, converted).CombinedOutput(); err != nil {
			return fmt.Errorf("convert %s: %v\n%s", n.model, err, o)
		}
		for r := 0; r < rounds; r++ {
			for _, t := range threads {
				k := key{n.name, t}
				var before float64
				if t > 1 {
					before = pingPong()
				}
				ms, err := measure(exec.Command(bin, "infer", "--model", converted, "--out", filepath.Join(tmp, "fg"),
					"--threads", strconv.Itoa(t), "--time", strconv.Itoa(runs), input))
				if err != nil {
					return fmt.Errorf("facegate %s: %w", n.name, err)
				}
				fg[k] = append(fg[k], ms)
				c := exec.Command("node", ortScript, model, filepath.Join(tmp, "ort"), input,
					"--threads", strconv.Itoa(t), "--time", strconv.Itoa(runs))
				c.Dir = peerAbs
				ms, err = measure(c)
				if err != nil {
					return fmt.Errorf("onnxruntime %s: %w", n.name, err)
				}
				ort[k] = append(ort[k], ms)
				if t > 1 && nearNS > 0 {
					pp[k] = append(pp[k], [2]float64{before, pingPong()})
				}
				fmt.Fprintf(os.Stderr, "round %d %-16s threads=%d facegate=%.3f ms ort=%.3f ms\n", r+1, n.name, t, fg[k][len(fg[k])-1], ms)
			}
		}
	}

	var b bytes.Buffer
	host, _ := os.Hostname()
	res := Result{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(), Host: host,
		Runs: runs, Rounds: rounds, ORT: "onnxruntime-node 1.30", Started: started,
		LoadAvg: []string{loadBefore, loadAvg()}}
	fmt.Fprintf(&b, "facegate vs ONNX Runtime (onnxruntime-node 1.30), %s/%s, %d CPUs, host %s; median of %d rounds x %d runs\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), host, rounds, runs)
	fmt.Fprintln(&b, "| network | threads | facegate ms | ORT ms | facegate/ORT |")
	fmt.Fprintln(&b, "|---|---|---|---|---|")
	for _, n := range selected {
		for _, t := range threads {
			k := key{n.name, t}
			f, o := median(fg[k]), median(ort[k])
			fmt.Fprintf(&b, "| %s | %d | %.2f | %.2f | %.2f |\n", n.name, t, f, o, f/o)
			res.Rows = append(res.Rows, Row{Network: n.name, Threads: t, FacegateMS: f, ORTMS: o, Ratio: f / o,
				FacegateR: fg[k], ORTR: ort[k], PingPongNS: pp[k]})
		}
	}
	if nearNS > 0 {
		res.NearNS = nearNS
		for _, n := range selected {
			one := key{n.name, 1}
			for _, t := range threads {
				k := key{n.name, t}
				if t == 1 || len(pp[k]) != len(fg[k]) {
					continue
				}
				fgNear, fgFar := splitByPlacement(fg[k], pp[k], nearNS)
				ortNear, ortFar := splitByPlacement(ort[k], pp[k], nearNS)
				for _, c := range []struct {
					name    string
					fg, ort []float64
				}{{"near", fgNear, ortNear}, {"far", fgFar, ortFar}} {
					if len(c.fg) == 0 {
						continue
					}
					row := PlacementRow{Network: n.name, Threads: t, Placement: c.name, Rounds: len(c.fg),
						FacegateMS: median(c.fg), ORTMS: median(c.ort)}
					if len(fg[one]) > 0 {
						row.FacegateX, row.ORTX = median(fg[one])/row.FacegateMS, median(ort[one])/row.ORTMS
					}
					res.Placement = append(res.Placement, row)
				}
			}
		}
	}
	if len(res.Placement) > 0 {
		fmt.Fprintf(&b, "\nMulti-thread rounds by vCPU placement: one-way cache-line latency between CPUs 0 and 1 before and after each pair; "+
			"near: both below %g ns, far: both at or above; speed-up: the 1-thread median over all rounds / this median.\n\n", nearNS)
		fmt.Fprintln(&b, "| network | threads | placement | rounds | facegate ms | speed-up | ORT ms | ORT speed-up |")
		fmt.Fprintln(&b, "|---|---|---|---|---|---|---|---|")
		for _, p := range res.Placement {
			fmt.Fprintf(&b, "| %s | %d | %s | %d | %.2f | %.2f× | %.2f | %.2f× |\n",
				p.Network, p.Threads, p.Placement, p.Rounds, p.FacegateMS, p.FacegateX, p.ORTMS, p.ORTX)
		}
	}
	os.Stdout.Write(b.Bytes())
	if out != "" {
		if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if jsonOut != "" {
		data, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(jsonOut, append(data, '\n'), 0o644)
	}
	return nil
}

// prepareInput returns the .npy file a network runs on, padding the golden
// input with zeros (as the detector's pre-processing does) when asked.
func prepareInput(n network, sharedDir, tmp string) (string, error) {
	src := filepath.Join(sharedDir, "golden", n.input, "input.npy")
	if n.pad == [2]int{} {
		return src, nil
	}
	a, err := npy.ReadFile(src)
	if err != nil {
		return "", err
	}
	if len(a.Shape) != 4 || a.Shape[2] > n.pad[0] || a.Shape[3] > n.pad[1] {
		return "", fmt.Errorf("%s: cannot pad shape %v to %v", src, a.Shape, n.pad)
	}
	nb, c, h, w := a.Shape[0], a.Shape[1], a.Shape[2], a.Shape[3]
	H, W := n.pad[0], n.pad[1]
	data := make([]float32, nb*c*H*W)
	for p := 0; p < nb*c; p++ {
		for y := 0; y < h; y++ {
			copy(data[(p*H+y)*W:(p*H+y)*W+w], a.Data[(p*h+y)*w:(p*h+y)*w+w])
		}
	}
	dst := filepath.Join(tmp, n.name+"-input.npy")
	return dst, npy.WriteFile(dst, []int{nb, c, H, W}, data)
}

func measure(c *exec.Cmd) (float64, error) {
	var out bytes.Buffer
	c.Stdout = &out
	c.Stderr = &out
	if err := c.Run(); err != nil {
		return 0, fmt.Errorf("%v: %s", err, out.String())
	}
	m := timing.FindStringSubmatch(out.String())
	if m == nil {
		return 0, errors.New("no timing line in: " + out.String())
	}
	return strconv.ParseFloat(m[1], 64)
}

// splitByPlacement returns the values of the rounds whose latencies before
// and after were both below nearNS, and of those where both were at or
// above it; rounds where the placement changed in between are left out.
func splitByPlacement(vals []float64, pp [][2]float64, nearNS float64) (near, far []float64) {
	for i, v := range vals {
		if i >= len(pp) {
			break
		}
		switch a, b := pp[i][0], pp[i][1]; {
		case a < nearNS && b < nearNS:
			near = append(near, v)
		case a >= nearNS && b >= nearNS:
			far = append(far, v)
		}
	}
	return near, far
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func parseInts(s string) ([]int, error) {
	var r []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("bad thread count %q", f)
		}
		r = append(r, v)
	}
	return r, nil
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
