//go:build !noasm && gc

package kernels

// dwPlaneAVX512 is dwPlaneFunc on dw3x3PlaneAVX512 (dwplane_avx512_amd64.s).
func dwPlaneAVX512(out, in []float32, k *[9]float32, w, rows, ip, op int, bias, slope float32, activate bool) {
	checkDWPlane(out, in, w, rows, ip, op)
	if rows == 0 {
		return
	}
	var flags uint
	if activate {
		flags = 1
	}
	dw3x3PlaneAVX512(&out[0], &in[0], &k[0], w, rows, ip, op, bias, slope, flags)
}

// dw3x3PlaneAVX512 computes rows whole output rows, two at a time.
//
//go:noescape
func dw3x3PlaneAVX512(out, in, k *float32, w, rows, ip, op int, bias, slope float32, flags uint)

// dwPlanePoolAVX512 is dwPlanePoolFunc on dw3x3PlanePoolAVX512; tmp is not
// needed.
func dwPlanePoolAVX512(out, in []float32, k *[9]float32, w, rows, ip, op int, bias, slope float32, activate bool, _ []float32) {
	checkDWPlanePool(out, in, w, rows, ip, op)
	if rows == 0 {
		return
	}
	var flags uint
	if activate {
		flags = 1
	}
	dw3x3PlanePoolAVX512(&out[0], &in[0], &k[0], w, rows, ip, op, bias, slope, flags)
}

// dw3x3PlanePoolAVX512 computes rows (even) output rows and stores them
// max-pooled 2×2.
//
//go:noescape
func dw3x3PlanePoolAVX512(out, in, k *float32, w, rows, ip, op int, bias, slope float32, flags uint)
