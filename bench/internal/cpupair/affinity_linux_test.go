package cpupair

import "golang.org/x/sys/unix"

// onlyCPU reports whether the calling thread may run on cpu and no other.
func onlyCPU(cpu int) bool {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return false
	}
	return set.Count() == 1 && set.IsSet(cpu)
}
