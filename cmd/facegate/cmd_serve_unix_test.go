//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestServeSIGHUPReloadsCredentials: a token added to the file works after
// SIGHUP, and one removed stops working.
func TestServeSIGHUPReloadsCredentials(t *testing.T) {
	t.Setenv("FACEGATE_TOKENS", "")
	t.Setenv("FACEGATE_API_KEYS", "")
	file := filepath.Join(t.TempDir(), "creds")
	if err := os.WriteFile(file, []byte("verifik old-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, _, stop, code := startServe(t, &stubVerifier{}, "--credentials", file)
	if r := compareLive(t, base, "old-token"); r.StatusCode != 200 {
		t.Fatalf("old token: %d", r.StatusCode)
	}
	if err := os.WriteFile(file, []byte("verifik new-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// serve has registered for SIGHUP before it reported its address, so
	// the signal reaches it rather than ending the test binary.
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for compareLive(t, base, "new-token").StatusCode != 200 {
	}
	if r := compareLive(t, base, "old-token"); r.StatusCode != 401 {
		t.Errorf("removed token after reload: %d", r.StatusCode)
	}
	stop()
	if c := <-code; c != 0 {
		t.Errorf("exit %d", c)
	}
}
