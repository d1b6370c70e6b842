package kernels

import "fmt"

// dwPlaneFunc computes rows output rows of a 3×3 stride-1 depthwise
// convolution of width w, padded by one zero column on each side:
//
//	out[y·op+x] = bias + Σ_{ky,kx<3} k[3ky+kx]·in[(y+ky)·ip + x+kx-1]   (0 ≤ x+kx-1 < w)
//	if activate: out = out > 0 ? out : slope·out   (ReLU: slope 0)
//
// for y < rows, x < w. in holds rows+2 input rows (the caller supplies the
// rows above and below, zero rows for padding). Only the w values of each
// row are read and written.
type dwPlaneFunc func(out, in []float32, k *[9]float32, w, rows, ip, op int, bias, slope float32, activate bool)

// dwPlaneGo is the portable dwPlaneFunc: the interior of each row with the
// level's row kernel (or Go), the two border columns with scalar code.
func dwPlaneGo(out, in []float32, k *[9]float32, w, rows, ip, op int, bias, slope float32, activate bool) {
	checkDWPlane(out, in, w, rows, ip, op)
	row := dwRow3x3
	if row == nil {
		row = dwRow3x3Go
	}
	fix := func(v float32) float32 {
		if activate && !(v > 0) {
			v *= slope
		}
		return v
	}
	for y := 0; y < rows; y++ {
		a, b, c := in[y*ip:y*ip+w], in[(y+1)*ip:(y+1)*ip+w], in[(y+2)*ip:(y+2)*ip+w]
		o := out[y*op : y*op+w]
		if w >= 3 {
			row(o[1:w-1], a, b, c, k, 1, bias, slope, activate)
		}
		for _, x := range []int{0, w - 1} {
			v := bias
			for kx := 0; kx < 3; kx++ {
				if ix := x + kx - 1; ix >= 0 && ix < w {
					v += a[ix]*k[kx] + b[ix]*k[3+kx] + c[ix]*k[6+kx]
				}
			}
			o[x] = fix(v)
		}
	}
}

func checkDWPlane(out, in []float32, w, rows, ip, op int) {
	if w < 1 || rows < 0 || ip < w || op < w ||
		rows > 0 && (len(in) < (rows+1)*ip+w || len(out) < (rows-1)*op+w) {
		panic(fmt.Sprintf("kernels: dwPlane: %d/%d values for %d rows of %d (pitches %d, %d)", len(in), len(out), rows, w, ip, op))
	}
}

// dwPlanePoolFunc is dwPlaneFunc for an even number of rows followed by a
// 2×2 stride-2 max pool: out[p·op + x] = max of the outputs (2p, 2x),
// (2p, 2x+1), (2p+1, 2x), (2p+1, 2x+1), for p < rows/2, x < w/2. tmp
// holds at least 2·w values (the portable form's two unpooled rows).
type dwPlanePoolFunc func(out, in []float32, k *[9]float32, w, rows, ip, op int, bias, slope float32, activate bool, tmp []float32)

// dwPlanePoolGo is the portable dwPlanePoolFunc: two rows of dwPlaneGo,
// then the level's pool row kernel.
func dwPlanePoolGo(out, in []float32, k *[9]float32, w, rows, ip, op int, bias, slope float32, activate bool, tmp []float32) {
	checkDWPlanePool(out, in, w, rows, ip, op)
	for p := 0; p < rows/2; p++ {
		dwPlaneGo(tmp[:2*w], in[2*p*ip:], k, w, 2, ip, w, bias, slope, activate)
		maxRow2x2(out[p*op:p*op+w/2], tmp[:w], tmp[w:2*w])
	}
}

func checkDWPlanePool(out, in []float32, w, rows, ip, op int) {
	if w < 2 || rows < 0 || rows%2 != 0 || ip < w || op < w/2 ||
		rows > 0 && (len(in) < (rows+1)*ip+w || len(out) < (rows/2-1)*op+w/2) {
		panic(fmt.Sprintf("kernels: dwPlanePool: %d/%d values for %d rows of %d (pitches %d, %d)", len(in), len(out), rows, w, ip, op))
	}
}
