package main

import (
	"runtime"
	"sort"
	"syscall"
	"time"
)

// measureGHz estimates the clock a core runs at now, turbo included: it
// times a chain of dependent one-cycle integer operations (add, xor) in
// thread CPU time, so other processes on a busy machine do not slow the
// estimate, and returns the median of several trials. 0 when it cannot
// tell.
func measureGHz() float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const n, opsPerIter = 10_000_000, 8
	var ghz []float64
	var sum uint64 // kept alive so the chains count as used
	for t := 0; t < 7; t++ {
		c0 := threadCPU()
		sum += dependentChain(n, uint64(t), 3, 5)
		c := threadCPU() - c0
		if c <= 0 {
			return 0
		}
		ghz = append(ghz, float64(opsPerIter*n)/c.Seconds()/1e9)
	}
	runtime.KeepAlive(sum)
	sort.Float64s(ghz)
	return ghz[len(ghz)/2]
}

func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// dependentChain does opsPerIter dependent one-cycle operations per
// iteration; the loop counter runs beside the chain.
//
//go:noinline
func dependentChain(n int, x, y, z uint64) uint64 {
	for i := 0; i < n; i++ {
		x += y
		x ^= z
		x += y
		x ^= z
		x += y
		x ^= z
		x += y
		x ^= z
	}
	return x
}
