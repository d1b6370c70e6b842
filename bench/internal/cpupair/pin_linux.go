package cpupair

import (
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// Start starts a worker pinned to cpu.
func Start(cpu int) (*Worker, error) {
	w := &Worker{cpu: cpu, fn: make(chan func()), took: make(chan time.Duration)}
	errc := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		var set unix.CPUSet
		set.Set(cpu)
		if err := unix.SchedSetaffinity(0, &set); err != nil {
			errc <- fmt.Errorf("cpupair: pinning a thread to CPU %d: %w", cpu, err)
			return
		}
		errc <- nil
		w.loop()
	}()
	if err := <-errc; err != nil {
		return nil, err
	}
	return w, nil
}
