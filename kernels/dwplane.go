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

// dwPlaneGo is the portable dwPlaneFunc: the interior of the rows with the
// level's row kernel (or Go), the two border columns with dwEdgeColumns.
// Rows stored without gaps (ip = op = w) form one long row for the row
// kernel: output f = y·w+x reads in[f + ky·w + kx - 1] for every tap, so
// only columns 0 and w-1, whose outer taps wrap into the neighbouring rows,
// come out wrong, and dwEdgeColumns overwrites them. That saves a call per
// row, which on 20-80 wide planes costs as much as the arithmetic.
func dwPlaneGo(out, in []float32, k *[9]float32, w, rows, ip, op int, bias, slope float32, activate bool) {
	checkDWPlane(out, in, w, rows, ip, op)
	if rows == 0 {
		return
	}
	row := dwRow3x3
	if row == nil {
		row = dwRow3x3Go
	}
	switch {
	case w < 3: // borders only
	case ip == w && op == w:
		row(out[1:rows*w-1], in, in[w:], in[2*w:(rows+2)*w], k, 1, bias, slope, activate)
	default:
		for y := 0; y < rows; y++ {
			a, b, c := in[y*ip:y*ip+w], in[(y+1)*ip:(y+1)*ip+w], in[(y+2)*ip:(y+2)*ip+w]
			row(out[y*op+1:y*op+w-1], a, b, c, k, 1, bias, slope, activate)
		}
	}
	dwEdgeColumns(out, in, k, w, rows, ip, op, bias, slope, activate)
}

// dwEdgeColumns computes columns 0 and w-1 of dwPlaneFunc's rows: only the
// taps inside the row are summed, with no bounds checks (the general
// border code cost as much as the vector kernel's whole interior on 20-80
// wide planes).
func dwEdgeColumns(out, in []float32, k *[9]float32, w, rows, ip, op int, bias, slope float32, activate bool) {
	k0, k1, k2, k3, k4, k5, k6, k7, k8 := k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8]
	fix := func(v float32) float32 {
		if activate {
			v = max(v, 0) + slope*min(v, 0)
		}
		return v
	}
	for y := 0; y < rows; y++ {
		a := in[y*ip : y*ip+w : y*ip+w]
		b := in[(y+1)*ip : (y+1)*ip+w : (y+1)*ip+w]
		c := in[(y+2)*ip : (y+2)*ip+w : (y+2)*ip+w]
		o := out[y*op : y*op+w : y*op+w]
		if w == 1 {
			o[0] = fix(bias + a[0]*k1 + b[0]*k4 + c[0]*k7)
			continue
		}
		o[0] = fix(bias + a[0]*k1 + a[1]*k2 + b[0]*k4 + b[1]*k5 + c[0]*k7 + c[1]*k8)
		o[w-1] = fix(bias + a[w-2]*k0 + a[w-1]*k1 + b[w-2]*k3 + b[w-1]*k4 + c[w-2]*k6 + c[w-1]*k7)
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
