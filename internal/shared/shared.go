// Package shared locates the project's shared, read-only data directory
// (models, golden ONNX Runtime outputs, images) for tests.
//
// The directory is $FACEGATE_SHARED when set, otherwise "../shared" relative
// to the repository root (the directory holding go.mod, found by walking up
// from the test's working directory). The data is never copied into the
// repository, so a checkout without it must still pass: tests that need it
// are skipped, except under CI=true where a missing directory is a failure.
package shared

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared data directory, or skips tb (fails it when
// CI=true) when the directory does not exist.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := Locate()
	if err != nil {
		missing(tb, err.Error())
		return ""
	}
	return dir
}

// Path returns filepath.Join(Dir(tb), parts...) and skips tb (fails it when
// CI=true) when that file or directory does not exist.
func Path(tb testing.TB, parts ...string) string {
	tb.Helper()
	dir := Dir(tb)
	p := filepath.Join(append([]string{dir}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		missing(tb, "shared file "+p+" not found")
		return ""
	}
	return p
}

func missing(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s (CI=true: shared data is required; set FACEGATE_SHARED)", msg)
	}
	tb.Skipf("%s; set FACEGATE_SHARED to run this test", msg)
}

type notFound string

func (e notFound) Error() string { return string(e) }

// Locate resolves the directory without a testing.TB, reporting absence as
// an error: for optional uses, such as fuzz seeds, that must neither skip
// nor fail without the data (and so that it can be unit-tested).
func Locate() (string, error) {
	if d := os.Getenv("FACEGATE_SHARED"); d != "" {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			return "", notFound("FACEGATE_SHARED=" + d + " is not a directory")
		}
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", notFound("shared data: cannot get working directory: " + err.Error())
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			return "", notFound("shared data: no go.mod above " + wd)
		}
		root = parent
	}
	d := filepath.Join(filepath.Dir(root), "shared")
	if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
		return "", notFound("shared data directory " + d + " not found")
	}
	return d, nil
}
