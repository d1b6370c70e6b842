//go:build !noasm && gc

package kernels

// archLevels lists the arm64 assembly levels. Advanced SIMD (NEON) is part
// of every arm64 CPU Go runs on, so it needs no detection.
func archLevels() []cpuLevel {
	return []cpuLevel{{
		name:      "neon",
		supported: true,
		gemm:      microKernel{name: "neon 8x12", mr: 8, nr: 12, fn: sgemm8x12NEON},
		dw3x3:     dwRow3x3NEON,
		max2x2:    func(out, r0, r1 []float32) { max2x2Blocks(4, max2x2NEON, out, r0, r1) },
		deint:     func(even, odd, row []float32) { deintBlocks(4, deintNEON, even, odd, row) },
		add:       func(out, a, b []float32) { addBlocks(4, addRowNEON, out, a, b) },
		prelu:     func(x []float32, slope float32) { preluBlocks(4, preluRowNEON, x, slope) },
		first:     firstKernel{name: "neon 16x4", ocb: 16, width: 4, fn: firstConvNEON},
	}}
}

// sgemm8x12NEON is the microKernel contract for an 8×12 tile with NEON
// (sgemm_8x12_neon_arm64.s).
//
//go:noescape
func sgemm8x12NEON(k int, a, b, c *float32, ldc int, bias, slope *float32, flags uint, ldb int)

// dwRow3x3NEON is dwRowFunc with 4-wide NEON blocks (dw3x3_neon_arm64.s).
func dwRow3x3NEON(out, r0, r1, r2 []float32, k *[9]float32, stride int, bias, slope float32, activate bool) {
	dwRow3x3Blocks(4, dw3x3s1NEON, dw3x3s2NEON, nil, out, r0, r1, r2, k, stride, bias, slope, activate)
}

// dw3x3s1NEON and dw3x3s2NEON are dwBlockFuncs of width 4.
//
//go:noescape
func dw3x3s1NEON(out, r0, r1, r2, k *float32, blocks int, bias, slope float32, flags uint)

//go:noescape
func dw3x3s2NEON(out, r0, r1, r2, k *float32, blocks int, bias, slope float32, flags uint)

// max2x2NEON and deintNEON are rowBlockFuncs of width 4
// (rows_neon_arm64.s).
//
//go:noescape
func max2x2NEON(out, r0, r1 *float32, blocks int)

//go:noescape
func deintNEON(even, odd, row *float32, blocks int)

// addRowNEON (a rowBlockFunc) and preluRowNEON work on blocks of 4 floats
// (elt_neon_arm64.s).
//
//go:noescape
func addRowNEON(out, a, b *float32, blocks int)

//go:noescape
func preluRowNEON(x *float32, blocks int, slope float32)

// firstConvNEON is a firstBlockFunc of 16 channels × 4 outputs
// (firstconv_neon_arm64.s).
//
//go:noescape
func firstConvNEON(out *float32, ldo int, in *float32, pitch, half, cstride, cin int, w, bias, slope *float32, blocks int, flags uint, pf *float32, pfStride int)
