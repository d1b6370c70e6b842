//go:build (amd64 || arm64) && !noasm && gc

package kernels

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

// pageEndFloats returns n float32s that end exactly where an inaccessible
// page begins, so any read or write past the slice faults.
func pageEndFloats(t *testing.T, r *rand.Rand, n int) []float32 {
	t.Helper()
	page := syscall.Getpagesize()
	size := (n*4+page-1)/page*page + page
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[size-page:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	b := mem[size-page-n*4 : size-page]
	s := unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)
	copy(s, randSlice(r, n))
	return s
}

// TestSIMDReadsStayInBounds runs the assembly kernels on operands that end
// at a guard page: an access past the last value they may touch crashes the
// test instead of passing silently.
func TestSIMDReadsStayInBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, l := range supportedLevels() {
		mk := l.gemm
		for _, k := range []int{1, 5, 33} {
			for flags := uint(0); flags < 4; flags++ {
				ldb := mk.nr + int(flags)*5 // a packed panel, then B read in place
				a := pageEndFloats(t, r, k*mk.mr)
				b := pageEndFloats(t, r, (k-1)*ldb+mk.nr)
				bias := pageEndFloats(t, r, mk.mr)
				slope := pageEndFloats(t, r, mk.mr)
				ldc := mk.nr + 3
				c := pageEndFloats(t, r, (mk.mr-1)*ldc+mk.nr)
				mk.fn(k, &a[0], &b[0], &c[0], ldc, &bias[0], &slope[0], flags, ldb)
			}
		}
		if l.max2x2 != nil {
			for _, n := range []int{1, 4, 8, 16, 17, 33} {
				r0, r1 := pageEndFloats(t, r, 2*n), pageEndFloats(t, r, 2*n)
				l.max2x2(pageEndFloats(t, r, n), r0, r1)
				l.deint(pageEndFloats(t, r, n), pageEndFloats(t, r, n), r0)
				l.add(pageEndFloats(t, r, n), pageEndFloats(t, r, n), pageEndFloats(t, r, n))
				l.prelu(pageEndFloats(t, r, n), 0.5)
			}
		}
		if l.dwPlane != nil {
			// Rows of exactly w values (pitch w), the last one at the
			// guard page, for widths around the vector width.
			for _, w := range []int{1, 15, 16, 17, 33} {
				for rows := 1; rows <= 3; rows++ {
					in := pageEndFloats(t, r, (rows+2)*w)
					out := pageEndFloats(t, r, rows*w)
					l.dwPlane(out, in, (*[9]float32)(pageEndFloats(t, r, 9)), w, rows, w, w, 0.25, 0.5, true)
				}
			}
		}
		if l.dwPlanePool != nil {
			for _, w := range []int{2, 15, 16, 17, 33} {
				for rows := 2; rows <= 4; rows += 2 {
					in := pageEndFloats(t, r, (rows+2)*w)
					out := pageEndFloats(t, r, rows/2*(w/2))
					l.dwPlanePool(out, in, (*[9]float32)(pageEndFloats(t, r, 9)), w, rows, w, w/2, 0.25, 0.5, true, nil)
				}
			}
		}
		if l.dw3x3 == nil {
			continue
		}
		for _, stride := range []int{1, 2} {
			for _, n := range []int{1, 8, 15, 16, 17, 32, 33, 64} {
				for extra := 0; extra < 2; extra++ { // 1: room for stride 2's over-read
					need := (n-1)*stride + 3 + extra
					r0, r1, r2 := pageEndFloats(t, r, need), pageEndFloats(t, r, need), pageEndFloats(t, r, need)
					out := pageEndFloats(t, r, n)
					k := (*[9]float32)(pageEndFloats(t, r, 9))
					l.dw3x3(out, r0, r1, r2, k, stride, 0.25, 0.5, true)
				}
			}
		}
	}
}
