package shared

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLocateEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FACEGATE_SHARED", dir)
	got, err := Locate()
	if err != nil || got != dir {
		t.Fatalf("Locate() = %q, %v; want %q", got, err, dir)
	}
	if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if p := Path(t, "f"); p != filepath.Join(dir, "f") {
		t.Fatalf("Path = %q", p)
	}
}

func TestLocateEnvMissing(t *testing.T) {
	t.Setenv("FACEGATE_SHARED", filepath.Join(t.TempDir(), "nope"))
	if _, err := Locate(); err == nil {
		t.Fatal("Locate accepted a missing FACEGATE_SHARED")
	}
}

func TestLocateRepoRelative(t *testing.T) {
	t.Setenv("FACEGATE_SHARED", "")
	got, err := Locate()
	if err != nil {
		t.Skipf("no ../shared next to the repository: %v", err)
	}
	if filepath.Base(got) != "shared" {
		t.Fatalf("Locate() = %q, want a directory named shared", got)
	}
}
