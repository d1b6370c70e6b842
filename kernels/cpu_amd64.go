//go:build !noasm && gc

package kernels

import "github.com/klauspost/cpuid/v2"

// archLevels lists the amd64 assembly levels, slowest first. cpuid also
// checks that the OS saves the wider registers (XCR0), so "supported" means
// usable.
func archLevels() []cpuLevel {
	return []cpuLevel{
		{
			name:      "avx2",
			supported: cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3),
			gemm:      microKernel{name: "avx2 6x16", mr: 6, nr: 16, fn: sgemm6x16AVX2},
		},
		{
			name:      "avx512",
			supported: cpuid.CPU.Supports(cpuid.AVX512F),
			gemm:      microKernel{name: "avx512 8x32", mr: 8, nr: 32, fn: sgemm8x32AVX512},
		},
	}
}

// sgemm6x16AVX2 is the microKernel contract for a 6×16 tile with AVX2+FMA3
// (sgemm_6x16_avx2_amd64.s).
//
//go:noescape
func sgemm6x16AVX2(k int, a, b, c *float32, ldc int, bias, slope *float32, flags uint)

// sgemm8x32AVX512 is the microKernel contract for an 8×32 tile with
// AVX-512F (sgemm_8x32_avx512_amd64.s). 8×32 runs as fast as 12×32 or
// 14×32 from L1 (≈97% of peak), is faster in the whole GEMM, and 8 divides
// the channel counts of face networks, so no rows are wasted on edge tiles.
//
//go:noescape
func sgemm8x32AVX512(k int, a, b, c *float32, ldc int, bias, slope *float32, flags uint)
