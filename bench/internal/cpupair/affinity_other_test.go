//go:build !linux

package cpupair

func onlyCPU(int) bool { return false }
