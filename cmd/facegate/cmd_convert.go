package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/facegate/facegate/engine"
	"github.com/facegate/facegate/weights"
	"github.com/facegate/facegate/weights/onnx"
)

func init() {
	register("convert", "convert an ONNX model to facegate's weight format", runConvert)
}

// runConvert imports an ONNX file, checks that the engine can load it (so a
// model that would fail at serving time fails here), and writes .fgw.
func runConvert(args []string) int {
	fs := newFlagSet("convert", "usage: facegate convert MODEL.onnx OUT.fgw [--name N] [--color RGB|BGR] [--mean a,b,c] [--std a,b,c]")
	name := fs.String("name", "", "model name (default: the file name, or the known model's name)")
	color := fs.String("color", "", "colour order of the image input: RGB or BGR (default: known model's, else none)")
	mean := fs.String("mean", "", "per-channel mean for 0..255 input, comma-separated")
	std := fs.String("std", "", "per-channel std for 0..255 input, comma-separated")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 2 {
		fs.Usage()
		return 2
	}
	opt := onnx.Options{Name: *name, ColorOrder: strings.ToUpper(*color)}
	if opt.ColorOrder != "" && opt.ColorOrder != "RGB" && opt.ColorOrder != "BGR" {
		fmt.Fprintf(os.Stderr, "facegate convert: --color %q: want RGB or BGR\n", *color)
		return 2
	}
	if opt.Mean, err = parseFloats(*mean); err != nil {
		fmt.Fprintf(os.Stderr, "facegate convert: --mean: %v\n", err)
		return 2
	}
	if opt.Std, err = parseFloats(*std); err != nil {
		fmt.Fprintf(os.Stderr, "facegate convert: --std: %v\n", err)
		return 2
	}
	for _, s := range opt.Std {
		if s == 0 {
			fmt.Fprintln(os.Stderr, "facegate convert: --std: zero")
			return 2
		}
	}
	if len(opt.Mean) != len(opt.Std) {
		fmt.Fprintln(os.Stderr, "facegate convert: --mean and --std need the same number of values")
		return 2
	}
	wm, err := onnx.ImportFile(pos[0], opt)
	if err != nil {
		fmt.Fprintf(os.Stderr, "facegate convert: %v\n", err)
		return 1
	}
	m, err := engine.Load(wm, engine.Options{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "facegate convert: the engine cannot run %s: %v\n", pos[0], err)
		return 1
	}
	if err := weights.Save(pos[1], wm); err != nil {
		fmt.Fprintf(os.Stderr, "facegate convert: %v\n", err)
		return 1
	}
	st, _ := m.Stats(nil)
	fmt.Printf("%s: %q, %d nodes, %d parameters", pos[1], wm.Meta.Name, len(wm.Graph.Nodes), st.Params)
	if wm.Meta.ColorOrder != "" {
		fmt.Printf(", %s", wm.Meta.ColorOrder)
	}
	if len(wm.Meta.Mean) > 0 {
		fmt.Printf(", mean %v std %v", wm.Meta.Mean, wm.Meta.Std)
	}
	fmt.Println()
	return 0
}

// parseInterleaved parses flags that may come before, between or after
// positional arguments, returning the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseFloats parses "a,b,c"; empty is nil.
func parseFloats(s string) ([]float32, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []float32
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		out = append(out, float32(v))
	}
	return out, nil
}

// parseInts parses "1,3,640,640".
func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", f)
		}
		out = append(out, v)
	}
	return out, nil
}
