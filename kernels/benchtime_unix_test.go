//go:build unix

package kernels

import "syscall"

// ktCPUSeconds is the process's user+system CPU time. The benchmarks report
// throughput per CPU-second as well as per wall-second, because the machines
// they run on are often shared and wall time then measures the neighbours.
func ktCPUSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
