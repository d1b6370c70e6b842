// Package cpupair measures how fast two CPUs of this machine hand data to
// each other, for the benchmarks that explain multi-threaded results.
//
// Threads that split every layer of a network exchange rows at every
// layer. On a virtual machine the host may place two vCPUs close together
// (sharing a cache) or far apart, and may move them between the two from
// one minute to the next; the one-way latency of a cache line bounced
// between threads pinned to them (PingPong) tells which placement a
// measurement ran under.
package cpupair

import (
	"sync/atomic"
	"time"
)

// Worker runs functions on a goroutine locked to an OS thread pinned to one
// CPU (Start). Pinning needs Linux; elsewhere Start fails.
type Worker struct {
	cpu  int
	fn   chan func()
	took chan time.Duration
}

// CPU is the CPU the worker is pinned to.
func (w *Worker) CPU() int { return w.cpu }

// Do runs f on the worker's CPU and returns how long it took.
func (w *Worker) Do(f func()) time.Duration {
	w.fn <- f
	return <-w.took
}

// Close stops the worker; it must not be used afterwards.
func (w *Worker) Close() { close(w.fn) }

func (w *Worker) loop() {
	for f := range w.fn {
		t := time.Now()
		f()
		w.took <- time.Since(t)
	}
}

// PingPong bounces a counter between a and b, n times each way, and returns
// the mean one-way time in nanoseconds: a cache line's trip from one CPU to
// the other and back, halved.
func PingPong(a, b *Worker, n int) float64 {
	var line struct {
		_ [64]byte
		v atomic.Int64
		_ [56]byte
	}
	end := 2 * int64(n)
	bounce := func(first int64) func() {
		return func() {
			for i := first; i < end; i += 2 {
				for line.v.Load() != i {
				}
				line.v.Store(i + 1)
			}
		}
	}
	done := make(chan struct{})
	go func() { b.Do(bounce(1)); close(done) }()
	d := a.Do(bounce(0))
	<-done
	return float64(d.Nanoseconds()) / float64(end)
}

// PingPongCPUs is PingPong between workers started on CPUs c0 and c1.
func PingPongCPUs(c0, c1, n int) (float64, error) {
	a, err := Start(c0)
	if err != nil {
		return 0, err
	}
	defer a.Close()
	b, err := Start(c1)
	if err != nil {
		return 0, err
	}
	defer b.Close()
	return PingPong(a, b, n), nil
}
