package shared

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLocateEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FACEGATE_SHARED", dir)
	got, err := locate()
	if err != nil || got != dir {
		t.Fatalf("locate() = %q, %v; want %q", got, err, dir)
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
	if _, err := locate(); err == nil {
		t.Fatal("locate accepted a missing FACEGATE_SHARED")
	}
}

func TestLocateRepoRelative(t *testing.T) {
	t.Setenv("FACEGATE_SHARED", "")
	got, err := locate()
	if err != nil {
		t.Skipf("no ../shared next to the repository: %v", err)
	}
	if filepath.Base(got) != "shared" {
		t.Fatalf("locate() = %q, want a directory named shared", got)
	}
}
