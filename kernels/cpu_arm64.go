//go:build !noasm && gc

package kernels

// archLevels lists the arm64 assembly levels. Advanced SIMD (NEON) is part
// of every arm64 CPU Go runs on, so it needs no detection.
func archLevels() []cpuLevel {
	return []cpuLevel{{
		name:      "neon",
		supported: true,
		gemm:      microKernel{name: "neon 8x12", mr: 8, nr: 12, fn: sgemm8x12NEON},
	}}
}

// sgemm8x12NEON is the microKernel contract for an 8×12 tile with NEON
// (sgemm_8x12_neon_arm64.s).
//
//go:noescape
func sgemm8x12NEON(k int, a, b, c *float32, ldc int, bias, slope *float32, flags uint)
