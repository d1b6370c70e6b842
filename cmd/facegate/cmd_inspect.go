package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/facegate/facegate/engine"
	"github.com/facegate/facegate/weights"
)

func init() {
	register("inspect", "show a model's inputs, outputs, operators, parameters and MACs", runInspect)
}

func runInspect(args []string) int {
	fs := newFlagSet("inspect", "usage: facegate inspect M.fgw|M.onnx [--shape 1,3,640,640] [--steps]")
	shapeFlag := fs.String("shape", "", "input shape for MACs and memory (default: the model's fixed shape, batch 1)")
	steps := fs.Bool("steps", false, "also list every operator Run executes, with output shape and MACs")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	m, err := engine.LoadFile(pos[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "facegate inspect: %v\n", err)
		return 1
	}
	var shapes [][]int
	if *shapeFlag != "" {
		for _, s := range strings.Split(*shapeFlag, ";") {
			sh, err := parseInts(s)
			if err != nil {
				fmt.Fprintf(os.Stderr, "facegate inspect: --shape: %v\n", err)
				return 2
			}
			shapes = append(shapes, sh)
		}
	} else {
		shapes = defaultShapes(m.Inputs())
	}
	st, err := m.Stats(shapes)
	if err != nil {
		fmt.Fprintf(os.Stderr, "facegate inspect: %v\n", err)
		return 1
	}
	printInspect(os.Stdout, m, st)
	if *steps {
		fmt.Println("\nstep operator           output shape          MACs (M)  node")
		for k, si := range st.StepList {
			fmt.Printf("%4d %-17s %-20s %9.2f  %s %s\n", k, si.Op, fmt.Sprint(si.OutShape), float64(si.MACs)/1e6, si.Name, si.Detail)
		}
	}
	return 0
}

// defaultShapes binds a symbolic leading (batch) dimension to 1; it returns
// nil when any other dimension is symbolic, since MACs then need --shape.
func defaultShapes(ins []weights.ValueInfo) [][]int {
	var out [][]int
	for _, vi := range ins {
		var s []int
		for k, d := range vi.Shape {
			switch {
			case d.Value > 0:
				s = append(s, int(d.Value))
			case k == 0:
				s = append(s, 1)
			default:
				return nil
			}
		}
		out = append(out, s)
	}
	return out
}

func dimString(ds []weights.Dim) string {
	parts := make([]string, len(ds))
	for k, d := range ds {
		switch {
		case d.Value > 0:
			parts[k] = fmt.Sprint(d.Value)
		case d.Param != "":
			parts[k] = d.Param
		default:
			parts[k] = "?"
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func printInspect(w io.Writer, m *engine.Model, st *engine.Stats) {
	meta := m.Meta()
	fmt.Fprintf(w, "model      %s\n", meta.Name)
	if meta.SourceFile != "" {
		fmt.Fprintf(w, "source     %s", meta.SourceFile)
		if meta.SourceSHA256 != "" {
			fmt.Fprintf(w, " (sha256 %.16s…)", meta.SourceSHA256)
		}
		fmt.Fprintln(w)
	}
	if meta.Producer != "" {
		fmt.Fprintf(w, "producer   %s\n", meta.Producer)
	}
	if meta.ColorOrder != "" || len(meta.Mean) > 0 {
		fmt.Fprintf(w, "input prep %s mean %v std %v\n", meta.ColorOrder, meta.Mean, meta.Std)
	}
	for _, vi := range m.Inputs() {
		fmt.Fprintf(w, "input      %s %s\n", vi.Name, dimString(vi.Shape))
	}
	for k, vi := range m.Outputs() {
		fmt.Fprintf(w, "output     %s %s", vi.Name, dimString(vi.Shape))
		if k < len(st.OutputShapes) {
			fmt.Fprintf(w, " → %v", st.OutputShapes[k])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "parameters %d (%.2f MB float32)\n", st.Params, float64(st.Params)*4/1e6)
	fmt.Fprintf(w, "optimised  %d BatchNormalization folded, %d activations fused, %d 1x1+depthwise units fused (%d stacked, %d with their stem, %d pooling their input), %d constant nodes folded, %d no-ops dropped\n",
		st.FoldedBN, st.FusedActs, st.FusedUnits, st.StackedUnits, st.FusedStems, st.FusedPools, st.FoldedConsts, st.DroppedNoOps)
	fmt.Fprintln(w, "\noperator             as loaded  optimised  per Run  MACs")
	ops := map[string]bool{}
	for k := range st.Ops {
		ops[k] = true
	}
	for k := range st.OptimizedOps {
		ops[k] = true
	}
	for k := range st.RunOps { // steps merged per plan (fg.Up2Add)
		ops[k] = true
	}
	names := make([]string, 0, len(ops))
	for k := range ops {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, op := range names {
		macs := ""
		if v := st.MACs[op]; v > 0 {
			macs = fmt.Sprintf("%.2f M", float64(v)/1e6)
		}
		run := "-"
		if st.RunOps != nil {
			run = fmt.Sprint(st.RunOps[op])
		}
		fmt.Fprintf(w, "%-20s %9d  %9d  %7s  %s\n", op, st.Ops[op], st.OptimizedOps[op], run, macs)
	}
	if st.InputShapes == nil {
		fmt.Fprintln(w, "\nMACs: the input has symbolic dimensions; give --shape (e.g. --shape 1,3,640,640)")
		return
	}
	fmt.Fprintf(w, "\nfor input %v: %.1f M MACs (%.2f GFLOPs), %d steps, %.1f MiB activations, %.1f MiB kernel scratch\n",
		st.InputShapes, float64(st.TotalMACs)/1e6, float64(st.TotalMACs)*2/1e9, st.Steps,
		float64(st.ArenaBytes)/(1<<20), float64(st.ScratchBytes)/(1<<20))
}
