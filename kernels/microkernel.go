package kernels

import "unsafe"

// microKernel computes one MR×NR tile of C from a packed A panel and NR
// columns of B:
//
//	acc[i][j] = (flags&mkAccumulate != 0 ? C[i*ldc+j] : bias[i]) + Σ_{p<k} a[p*MR+i] * b[p*ldb+j]
//	if flags&mkActivate != 0: acc = acc > 0 ? acc : acc*slope[i]   (ReLU: slope all 0; PReLU: per-row slope)
//	C[i*ldc+j] = acc[i][j]   for all i<MR, j<NR (full tiles only; the driver handles edges via a temp tile)
//
// a is a packed A panel, k×MR (MR values per p); b is k rows of NR values,
// ldb apart: a packed B panel (ldb = NR) or, for a plain row-major B such
// as the input planes of a 1×1 convolution, the matrix itself (ldb its row
// stride), which saves copying B when it would be used by few A panels.
// bias and slope hold MR values each and are never nil.
//
// rows, when not nil, runs fn on panels row panels with the same B: panel p
// reads A at a + p·(k·MR·4 + askip) bytes, bias and slope MR·p values on
// (both must hold MR·panels values), and writes C MR·p rows down. The GEMM
// driver uses it for the full tiles of a B panel, one call instead of one
// per tile.
type microKernel struct {
	name   string
	mr, nr int
	fn     func(k int, a, b, c *float32, ldc int, bias, slope *float32, flags uint, ldb int)
	rows   func(k int, a, b, c *float32, ldc int, bias, slope *float32, flags uint, ldb, panels, askip int)
}

// Micro-kernel flags.
const (
	mkAccumulate = 1 << 0 // start from C instead of bias (every K block but the first)
	mkActivate   = 1 << 1 // apply the ReLU/PReLU slope (last K block only)
)

// goKernel4x8 is the portable micro-kernel, used when no assembly kernel
// applies (noasm builds, other architectures, old CPUs).
var goKernel4x8 = microKernel{name: "go-4x8", mr: 4, nr: 8, fn: sgemmGo4x8}

// gemmKernel is the micro-kernel PackA packs for. cpu.go replaces it at init
// with the best kernel for the CPU; tests may swap it at run time, which is
// safe because every PackedA remembers the kernel it was packed for.
var gemmKernel = goKernel4x8

// sgemmGo4x8 is the pure-Go 4×8 micro-kernel (see microKernel for the contract).
// Accumulators are scalar locals so the compiler can keep them in registers;
// the activation uses min/max, not a sign test, to avoid unpredictable branches.
func sgemmGo4x8(k int, a, b, c *float32, ldc int, bias, slope *float32, flags uint, ldb int) {
	as := unsafe.Slice(a, k*4)
	var bs []float32
	if k > 0 {
		bs = unsafe.Slice(b, (k-1)*ldb+8)
	}
	cs := unsafe.Slice(c, 3*ldc+8)
	bi := unsafe.Slice(bias, 4)
	var c00, c01, c02, c03, c04, c05, c06, c07 float32
	var c10, c11, c12, c13, c14, c15, c16, c17 float32
	var c20, c21, c22, c23, c24, c25, c26, c27 float32
	var c30, c31, c32, c33, c34, c35, c36, c37 float32
	if flags&mkAccumulate != 0 {
		r0 := cs[0*ldc : 0*ldc+8 : 0*ldc+8]
		c00, c01, c02, c03, c04, c05, c06, c07 = r0[0], r0[1], r0[2], r0[3], r0[4], r0[5], r0[6], r0[7]
		r1 := cs[1*ldc : 1*ldc+8 : 1*ldc+8]
		c10, c11, c12, c13, c14, c15, c16, c17 = r1[0], r1[1], r1[2], r1[3], r1[4], r1[5], r1[6], r1[7]
		r2 := cs[2*ldc : 2*ldc+8 : 2*ldc+8]
		c20, c21, c22, c23, c24, c25, c26, c27 = r2[0], r2[1], r2[2], r2[3], r2[4], r2[5], r2[6], r2[7]
		r3 := cs[3*ldc : 3*ldc+8 : 3*ldc+8]
		c30, c31, c32, c33, c34, c35, c36, c37 = r3[0], r3[1], r3[2], r3[3], r3[4], r3[5], r3[6], r3[7]
	} else {
		v0 := bi[0]
		c00, c01, c02, c03, c04, c05, c06, c07 = v0, v0, v0, v0, v0, v0, v0, v0
		v1 := bi[1]
		c10, c11, c12, c13, c14, c15, c16, c17 = v1, v1, v1, v1, v1, v1, v1, v1
		v2 := bi[2]
		c20, c21, c22, c23, c24, c25, c26, c27 = v2, v2, v2, v2, v2, v2, v2, v2
		v3 := bi[3]
		c30, c31, c32, c33, c34, c35, c36, c37 = v3, v3, v3, v3, v3, v3, v3, v3
	}
	for p := 0; p < k; p++ {
		row := bs[p*ldb : p*ldb+8 : p*ldb+8]
		b0, b1, b2, b3, b4, b5, b6, b7 := row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7]
		a0 := as[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c04 += a0 * b4
		c05 += a0 * b5
		c06 += a0 * b6
		c07 += a0 * b7
		a1 := as[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c14 += a1 * b4
		c15 += a1 * b5
		c16 += a1 * b6
		c17 += a1 * b7
		a2 := as[2]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c24 += a2 * b4
		c25 += a2 * b5
		c26 += a2 * b6
		c27 += a2 * b7
		a3 := as[3]
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
		c34 += a3 * b4
		c35 += a3 * b5
		c36 += a3 * b6
		c37 += a3 * b7
		as = as[4:]
	}
	if flags&mkActivate != 0 {
		sl := unsafe.Slice(slope, 4)
		s0 := sl[0]
		c00 = max(c00, 0) + min(c00, 0)*s0
		c01 = max(c01, 0) + min(c01, 0)*s0
		c02 = max(c02, 0) + min(c02, 0)*s0
		c03 = max(c03, 0) + min(c03, 0)*s0
		c04 = max(c04, 0) + min(c04, 0)*s0
		c05 = max(c05, 0) + min(c05, 0)*s0
		c06 = max(c06, 0) + min(c06, 0)*s0
		c07 = max(c07, 0) + min(c07, 0)*s0
		s1 := sl[1]
		c10 = max(c10, 0) + min(c10, 0)*s1
		c11 = max(c11, 0) + min(c11, 0)*s1
		c12 = max(c12, 0) + min(c12, 0)*s1
		c13 = max(c13, 0) + min(c13, 0)*s1
		c14 = max(c14, 0) + min(c14, 0)*s1
		c15 = max(c15, 0) + min(c15, 0)*s1
		c16 = max(c16, 0) + min(c16, 0)*s1
		c17 = max(c17, 0) + min(c17, 0)*s1
		s2 := sl[2]
		c20 = max(c20, 0) + min(c20, 0)*s2
		c21 = max(c21, 0) + min(c21, 0)*s2
		c22 = max(c22, 0) + min(c22, 0)*s2
		c23 = max(c23, 0) + min(c23, 0)*s2
		c24 = max(c24, 0) + min(c24, 0)*s2
		c25 = max(c25, 0) + min(c25, 0)*s2
		c26 = max(c26, 0) + min(c26, 0)*s2
		c27 = max(c27, 0) + min(c27, 0)*s2
		s3 := sl[3]
		c30 = max(c30, 0) + min(c30, 0)*s3
		c31 = max(c31, 0) + min(c31, 0)*s3
		c32 = max(c32, 0) + min(c32, 0)*s3
		c33 = max(c33, 0) + min(c33, 0)*s3
		c34 = max(c34, 0) + min(c34, 0)*s3
		c35 = max(c35, 0) + min(c35, 0)*s3
		c36 = max(c36, 0) + min(c36, 0)*s3
		c37 = max(c37, 0) + min(c37, 0)*s3
	}
	r0 := cs[0*ldc : 0*ldc+8 : 0*ldc+8]
	r0[0] = c00
	r0[1] = c01
	r0[2] = c02
	r0[3] = c03
	r0[4] = c04
	r0[5] = c05
	r0[6] = c06
	r0[7] = c07
	r1 := cs[1*ldc : 1*ldc+8 : 1*ldc+8]
	r1[0] = c10
	r1[1] = c11
	r1[2] = c12
	r1[3] = c13
	r1[4] = c14
	r1[5] = c15
	r1[6] = c16
	r1[7] = c17
	r2 := cs[2*ldc : 2*ldc+8 : 2*ldc+8]
	r2[0] = c20
	r2[1] = c21
	r2[2] = c22
	r2[3] = c23
	r2[4] = c24
	r2[5] = c25
	r2[6] = c26
	r2[7] = c27
	r3 := cs[3*ldc : 3*ldc+8 : 3*ldc+8]
	r3[0] = c30
	r3[1] = c31
	r3[2] = c32
	r3[3] = c33
	r3[4] = c34
	r3[5] = c35
	r3[6] = c36
	r3[7] = c37
}
