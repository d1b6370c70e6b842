package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/facegate/facegate/nets/face"
)

func init() {
	register("verify", "1:1 compare a probe with gallery images (+ liveness), JSON on stdout", runVerify)
}

func runVerify(args []string) int {
	fs := newFlagSet("verify", "usage: facegate verify [flags] PROBE GALLERY [GALLERY...]")
	models := modelsFlag(fs)
	fast := fs.Bool("fast", false, "FAST mode: detector at 320 px, one liveness network, no flip-averaging")
	live := fs.Bool("liveness", true, "run liveness on the probe")
	liveMin := fs.Float64("liveness-threshold", 0.6, "probe is live when P(live) >= this")
	cmpMin := fs.Float64("compare-threshold", 0.85, "match when the calibrated score >= this (0..1)")
	threads := fs.Int("threads", 0, "kernel threads per inference (0: one per CPU)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) < 2 {
		fs.Usage()
		return 2
	}
	p, err := loadPipeline(*models, *threads, !*live)
	if err != nil {
		fmt.Fprintf(os.Stderr, "facegate verify: %v\n", err)
		return 1
	}
	defer p.Close()
	probe, err := os.ReadFile(pos[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "facegate verify: %v\n", err)
		return 1
	}
	var gallery [][]byte
	for _, g := range pos[1:] {
		b, err := os.ReadFile(g)
		if err != nil {
			fmt.Fprintf(os.Stderr, "facegate verify: %v\n", err)
			return 1
		}
		gallery = append(gallery, b)
	}
	opt := face.Options{Liveness: *live, LivenessThreshold: *liveMin, CompareThreshold: *cmpMin}
	if *fast {
		opt.Mode = face.Fast
	}
	res, err := p.Verify(context.Background(), probe, gallery, opt)
	if err != nil {
		var ie *face.ImageError
		if errors.As(err, &ie) {
			fmt.Fprintf(os.Stderr, "facegate verify: %s: %v\n", imageName(ie.Image, pos), ie.Err)
		} else {
			fmt.Fprintf(os.Stderr, "facegate verify: %v\n", err)
		}
		return 1
	}
	return writeJSON(res)
}

// imageName turns "probe" / "gallery[i]" into the file name given.
func imageName(image string, files []string) string {
	if image == "probe" {
		return files[0]
	}
	var i int
	if _, err := fmt.Sscanf(image, "gallery[%d]", &i); err == nil && i+1 < len(files) {
		return files[i+1]
	}
	return image
}

// loadPipeline resolves the models directory and loads the pipeline; a
// binary built with -tags embedmodels uses its own models unless a
// directory is named.
func loadPipeline(models string, threads int, noLiveness bool) (*face.Pipeline, error) {
	fsys, dir, err := modelSource(models)
	if err != nil {
		return nil, err
	}
	return face.New(face.Config{Models: fsys, ModelsDir: dir, Threads: threads, NoLiveness: noLiveness})
}

func writeJSON(v any) int {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(os.Stderr, "facegate: %v\n", err)
		return 1
	}
	return 0
}
