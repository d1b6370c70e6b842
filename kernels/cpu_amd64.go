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
			gemm:      microKernel{name: "avx2 6x16", mr: 6, nr: 16, fn: sgemm6x16AVX2, rows: sgemm6x16AVX2Rows},
			dw3x3:     dwRow3x3AVX2,
			max2x2:    func(out, r0, r1 []float32) { max2x2Blocks(8, max2x2AVX2, out, r0, r1) },
			deint:     func(even, odd, row []float32) { deintBlocks(8, deintAVX2, even, odd, row) },
			add:       func(out, a, b []float32) { addBlocks(8, addRowAVX2, out, a, b) },
			prelu:     func(x []float32, slope float32) { preluBlocks(8, preluRowAVX2, x, slope) },
			sigmoid:   func(out, x []float32) { sigmoidBlocks(8, sigmoidRowAVX2, out, x) },
			dup:       func(out, in []float32) { dupBlocks(8, dupRowAVX2, out, in) },
			first:     firstKernel{name: "avx2 4x24", ocb: 4, width: 24, fn: firstConvAVX2, narrowWidth: 8, narrow: firstConvAVX2N},
		},
		{
			name:        "avx512",
			supported:   cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX2, cpuid.FMA3), // AVX2 for short depthwise rows
			gemm:        microKernel{name: "avx512 8x32", mr: 8, nr: 32, fn: sgemm8x32AVX512, rows: sgemm8x32AVX512Rows},
			dw3x3:       dwRow3x3AVX512,
			dwPlane:     dwPlaneAVX512,
			dwPlanePool: dwPlanePoolAVX512,
			max2x2: func(out, r0, r1 []float32) {
				if len(out) < 16 {
					max2x2Blocks(8, max2x2AVX2, out, r0, r1)
					return
				}
				max2x2Blocks(16, max2x2AVX512, out, r0, r1)
			},
			deint:   func(even, odd, row []float32) { deintBlocks(16, deintAVX512, even, odd, row) },
			add:     func(out, a, b []float32) { addBlocks(16, addRowAVX512, out, a, b) },
			prelu:   func(x []float32, slope float32) { preluBlocks(16, preluRowAVX512, x, slope) },
			sigmoid: func(out, x []float32) { sigmoidBlocks(16, sigmoidRowAVX512, out, x) },
			dup:     func(out, in []float32) { dupBlocks(16, dupRowAVX512, out, in) },
			first:   firstKernel{name: "avx512 8x32", ocb: 8, width: 32, fn: firstConvAVX512, narrowWidth: 16, narrow: firstConvAVX512N},
		},
	}
}

// sgemm6x16AVX2 is the microKernel contract for a 6×16 tile with AVX2+FMA3
// (sgemm_6x16_avx2_amd64.s).
//
//go:noescape
func sgemm6x16AVX2(k int, a, b, c *float32, ldc int, bias, slope *float32, flags uint, ldb int)

// sgemm8x32AVX512 is the microKernel contract for an 8×32 tile with
// AVX-512F (sgemm_8x32_avx512_amd64.s). 8×32 runs as fast as 12×32 or
// 14×32 from L1 (≈97% of peak), is faster in the whole GEMM, and 8 divides
// the channel counts of face networks, so no rows are wasted on edge tiles.
//
//go:noescape
func sgemm8x32AVX512(k int, a, b, c *float32, ldc int, bias, slope *float32, flags uint, ldb int)

// sgemm6x16AVX2Rows and sgemm8x32AVX512Rows are the row-panel loops of
// the two kernels (microKernel.rows).
//
//go:noescape
func sgemm6x16AVX2Rows(k int, a, b, c *float32, ldc int, bias, slope *float32, flags uint, ldb, panels, askip int)

//go:noescape
func sgemm8x32AVX512Rows(k int, a, b, c *float32, ldc int, bias, slope *float32, flags uint, ldb, panels, askip int)

// dwRow3x3AVX2 is dwRowFunc with 8-wide AVX2 blocks (dw3x3_avx2_amd64.s).
func dwRow3x3AVX2(out, r0, r1, r2 []float32, k *[9]float32, stride int, bias, slope float32, activate bool) {
	dwRow3x3Blocks(8, dw3x3s1AVX2, dw3x3s2AVX2, nil, out, r0, r1, r2, k, stride, bias, slope, activate)
}

// dwRow3x3AVX512 is dwRowFunc with 16-wide AVX-512 blocks
// (dw3x3_avx512_amd64.s); rows shorter than 16 use the AVX2 kernel.
func dwRow3x3AVX512(out, r0, r1, r2 []float32, k *[9]float32, stride int, bias, slope float32, activate bool) {
	dwRow3x3Blocks(16, dw3x3s1AVX512, dw3x3s2AVX512, dwRow3x3AVX2, out, r0, r1, r2, k, stride, bias, slope, activate)
}

// dw3x3s1AVX2 and dw3x3s2AVX2 are dwBlockFuncs of width 8.
//
//go:noescape
func dw3x3s1AVX2(out, r0, r1, r2, k *float32, blocks int, bias, slope float32, flags uint)

//go:noescape
func dw3x3s2AVX2(out, r0, r1, r2, k *float32, blocks int, bias, slope float32, flags uint)

// dw3x3s1AVX512 and dw3x3s2AVX512 are dwBlockFuncs of width 16.
//
//go:noescape
func dw3x3s1AVX512(out, r0, r1, r2, k *float32, blocks int, bias, slope float32, flags uint)

//go:noescape
func dw3x3s2AVX512(out, r0, r1, r2, k *float32, blocks int, bias, slope float32, flags uint)

// max2x2AVX2, max2x2AVX512, deintAVX2 and deintAVX512 are rowBlockFuncs
// of width 8 and 16 (rows_avx2_amd64.s, rows_avx512_amd64.s).
//
//go:noescape
func max2x2AVX2(out, r0, r1 *float32, blocks int)

//go:noescape
func max2x2AVX512(out, r0, r1 *float32, blocks int)

//go:noescape
func deintAVX2(even, odd, row *float32, blocks int)

//go:noescape
func deintAVX512(even, odd, row *float32, blocks int)

// addRowAVX2, addRowAVX512 (rowBlockFuncs) and preluRowAVX2,
// preluRowAVX512 work on blocks of 8 and 16 floats (elt_avx2_amd64.s,
// elt_avx512_amd64.s).
//
//go:noescape
func addRowAVX2(out, a, b *float32, blocks int)

//go:noescape
func addRowAVX512(out, a, b *float32, blocks int)

//go:noescape
func preluRowAVX2(x *float32, blocks int, slope float32)

//go:noescape
func preluRowAVX512(x *float32, blocks int, slope float32)

// sigmoidRowAVX2 and sigmoidRowAVX512 compute the sigmoid of whole vector
// blocks with expf's method (elt_avx2_amd64.s, elt_avx512_amd64.s).
//
//go:noescape
func sigmoidRowAVX2(out, x *float32, blocks int)

//go:noescape
func sigmoidRowAVX512(out, x *float32, blocks int)

// dupRowAVX2 and dupRowAVX512 double every value of whole vector blocks
// (elt_avx2_amd64.s, elt_avx512_amd64.s).
//
//go:noescape
func dupRowAVX2(out, in *float32, blocks int)

//go:noescape
func dupRowAVX512(out, in *float32, blocks int)

// firstConvAVX2 and firstConvAVX512 are firstBlockFuncs of 4 channels × 24
// outputs and 8 channels × 32 outputs, firstConvAVX2N and firstConvAVX512N
// their one-vector forms (4×8, 8×16) for narrower rows
// (firstconv_avx2_amd64.s, firstconv_avx512_amd64.s).
//
//go:noescape
func firstConvAVX2(out *float32, ldo int, in *float32, pitch, half, cstride, cin int, w, bias, slope *float32, blocks int, flags uint, pf *float32, pfStride int)

//go:noescape
func firstConvAVX2N(out *float32, ldo int, in *float32, pitch, half, cstride, cin int, w, bias, slope *float32, blocks int, flags uint, pf *float32, pfStride int)

//go:noescape
func firstConvAVX512(out *float32, ldo int, in *float32, pitch, half, cstride, cin int, w, bias, slope *float32, blocks int, flags uint, pf *float32, pfStride int)

//go:noescape
func firstConvAVX512N(out *float32, ldo int, in *float32, pitch, half, cstride, cin int, w, bias, slope *float32, blocks int, flags uint, pf *float32, pfStride int)
