package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/facegate/facegate/engine"
	"github.com/facegate/facegate/weights/npy"
)

func init() {
	register("infer", "run a model on .npy inputs, write .npy outputs, optionally time it", runInfer)
}

// unsafeOutputChars are replaced by "_" in output file names, as
// ../shared/tools/ort-run.mjs does, so both tools write the same files.
var unsafeOutputChars = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

func runInfer(args []string) int {
	fs := newFlagSet("infer", "usage: facegate infer --model M.fgw|M.onnx --out DIR [--threads T] [--time N] IN.npy [IN2.npy...]")
	model := fs.String("model", "", "model file (.fgw, or .onnx converted on the fly)")
	outDir := fs.String("out", "", "directory for the outputs, one <output name>.npy each")
	threads := fs.Int("threads", 1, "kernel threads (0: one per CPU); 1 matches ort-run.mjs's default")
	runs := fs.Int("time", 0, "after 10 warm-up runs, time this many runs and print the median and minimum")
	profile := fs.Bool("profile", false, "with --time: also print the time per operator type over the timed runs")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if *model == "" || *outDir == "" || len(pos) == 0 || *runs < 0 || *threads < 0 {
		fs.Usage()
		return 2
	}
	m, err := engine.LoadFile(*model)
	if err != nil {
		fmt.Fprintf(os.Stderr, "facegate infer: %v\n", err)
		return 1
	}
	if len(pos) != len(m.Inputs()) {
		fmt.Fprintf(os.Stderr, "facegate infer: %d inputs given, the model takes %d\n", len(pos), len(m.Inputs()))
		return 2
	}
	inputs := make([]*engine.Tensor, len(pos))
	for k, p := range pos {
		a, err := npy.ReadFile(p)
		if err != nil {
			fmt.Fprintf(os.Stderr, "facegate infer: %v\n", err)
			return 1
		}
		inputs[k] = &engine.Tensor{Shape: a.Shape, Data: a.Data}
	}
	s, err := engine.NewSession(m, engine.SessionOptions{Threads: *threads, Profile: *profile})
	if err != nil {
		fmt.Fprintf(os.Stderr, "facegate infer: %v\n", err)
		return 1
	}
	defer s.Close()
	outs, err := s.Run(inputs)
	if err != nil {
		fmt.Fprintf(os.Stderr, "facegate infer: %v\n", err)
		return 1
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "facegate infer: %v\n", err)
		return 1
	}
	for k, vi := range m.Outputs() {
		path := filepath.Join(*outDir, unsafeOutputChars.ReplaceAllString(vi.Name, "_")+".npy")
		if err := npy.WriteFile(path, outs[k].Shape, outs[k].Data); err != nil {
			fmt.Fprintf(os.Stderr, "facegate infer: %v\n", err)
			return 1
		}
	}
	if *runs == 0 {
		return 0
	}
	for i := 0; i < 10; i++ {
		if _, err := s.Run(inputs); err != nil {
			fmt.Fprintf(os.Stderr, "facegate infer: %v\n", err)
			return 1
		}
	}
	s.ResetProfile()
	ts := make([]float64, *runs)
	for i := range ts {
		t0 := time.Now()
		if _, err := s.Run(inputs); err != nil {
			fmt.Fprintf(os.Stderr, "facegate infer: %v\n", err)
			return 1
		}
		ts[i] = float64(time.Since(t0).Nanoseconds()) / 1e6
	}
	sort.Float64s(ts)
	th := *threads
	if th == 0 {
		th = s.Threads()
	}
	fmt.Printf("%s threads=%d runs=%d median_ms=%.3f min_ms=%.3f\n", filepath.Base(*model), th, *runs, ts[*runs/2], ts[0])
	if *profile {
		var total float64
		prof := s.Profile()
		for _, ot := range prof {
			total += float64(ot.Time.Nanoseconds())
		}
		fmt.Printf("%-18s %6s %10s %6s %9s\n", "operator", "calls", "ms/run", "share", "GMAC/s")
		for _, ot := range prof {
			ns := float64(ot.Time.Nanoseconds())
			rate := ""
			if ot.MACs > 0 && ns > 0 {
				rate = fmt.Sprintf("%.1f", float64(ot.MACs)/ns)
			}
			fmt.Printf("%-18s %6d %10.3f %5.1f%% %9s\n", ot.Op, ot.Calls / *runs, ns/1e6/float64(*runs), 100*ns/total, rate)
		}
	}
	return 0
}
