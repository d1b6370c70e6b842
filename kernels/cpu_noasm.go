//go:build noasm || !gc || !(amd64 || arm64)

package kernels

// archLevels is empty: this build (-tags noasm, a non-gc compiler, or an
// architecture without assembly kernels) runs the pure-Go kernels only.
func archLevels() []cpuLevel { return nil }
