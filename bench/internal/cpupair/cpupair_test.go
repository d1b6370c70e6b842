package cpupair

import (
	"math"
	"runtime"
	"testing"
)

// TestPinnedPingPong checks that workers run on the CPU they were given
// and that a ping-pong between two of them completes with a plausible time.
func TestPinnedPingPong(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs two CPUs")
	}
	a, err := Start(0)
	if err != nil {
		t.Skip(err) // not Linux, or pinning is not allowed here
	}
	defer a.Close()
	b, err := Start(1)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, w := range []*Worker{a, b} {
		var ok bool
		w.Do(func() { ok = onlyCPU(w.CPU()) })
		if !ok {
			t.Errorf("worker for CPU %d is not pinned to it", w.CPU())
		}
	}
	ns := PingPong(a, b, 2000)
	if !(ns > 0 && ns < 1e6) || math.IsNaN(ns) {
		t.Fatalf("one-way time %v ns", ns)
	}
	t.Logf("one-way %.0f ns between CPUs 0 and 1", ns)
}
