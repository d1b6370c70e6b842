package onnx

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/facegate/facegate/weights"
)

// FuzzImport feeds arbitrary bytes to Import. It must never panic or hang,
// and whatever it accepts must satisfy the importer's invariants and be
// storable in the weights format.
func FuzzImport(f *testing.F) {
	f.Add(model(11, convReluGraph()))
	f.Add(single(9, node("Slice", "n", []string{"x"}, []string{"y"}, attrIs("starts", 0), attrIs("ends", 2))))
	f.Add(single(11, node("Resize", "n", []string{"x", "roi", "s"}, []string{"y"}), tensorF("roi", []int64{0}, nil),
		tensorF("s", []int64{4}, []float32{1, 1, 2, 2})))
	f.Add(single(13, node("Unsqueeze", "n", []string{"x", "a"}, []string{"y"}), tensorI("a", []int64{1}, []int64{0})))
	f.Add(single(7, node("Upsample", "n", []string{"x"}, []string{"y"}, attrFs("scales", 1, 1, 2, 2))))
	// A truncated real model: real field layouts, cut mid-tensor. Seeds
	// from ../shared are optional so that fuzzing works without it.
	if dir, err := sharedDirQuiet(); err == nil {
		if b, err := os.ReadFile(filepath.Join(dir, "models", "face_detection_yunet_2023mar_dynamic.onnx")); err == nil {
			f.Add(b[:4096])
			f.Add(b[:len(b)/2])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Import(data, Options{})
		if err != nil {
			if m != nil {
				t.Fatal("model returned with an error")
			}
			return
		}
		if msg := invariants(m); msg != "" {
			t.Fatal(msg)
		}
		if err := weights.Write(&bytes.Buffer{}, m); err != nil {
			t.Fatalf("imported model is not storable: %v", err)
		}
	})
}

// sharedDirQuiet finds ../shared as internal/shared does, but reports
// absence as an error instead of skipping: the fuzz target's seeds from
// there are optional, its hand-built seeds must always run.
func sharedDirQuiet() (string, error) {
	if d := os.Getenv("FACEGATE_SHARED"); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
