//go:build !linux

package main

// measureGHz has no per-thread CPU clock to time against here.
func measureGHz() float64 { return 0 }
