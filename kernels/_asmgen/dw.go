package main

import (
	"fmt"
)

// dwKernels writes the 3×3 depthwise row kernels for one x86 level:
//
//	func dw3x3s1<ISA>(out, r0, r1, r2, k *float32, blocks int, bias, slope float32, flags uint)
//	func dw3x3s2<ISA>(...same...)
//
// Each computes blocks·W outputs (W = 8 for AVX2, 16 for AVX-512) of one
// output row:
//
//	out[x] = bias + Σ_{ky,kx<3} k[3ky+kx]·r_ky[s·x+kx]
//	if flags&1 != 0: out[x] = max(out[x],0) + slope·min(out[x],0)
//
// Stride 1 reads exactly the taps. Stride 2 loads 2W floats at s·x and at
// s·x+2 and de-interleaves them, so it reads one float past the last tap:
// the caller guarantees r_ky has 2W·blocks+2 readable values.
//
// Registers: DI out, R8-R10 rows, CX blocks; vector 6 holds the bias, 7-15
// the nine broadcast weights.
func dwKernels(avx512 bool) []byte {
	w := &asm{}
	w.WriteString(header)
	vr, width, isa := "Y", 8, "AVX2"
	if avx512 {
		vr, width, isa = "Z", 16, "AVX512"
	}
	v := func(i int) string { return fmt.Sprintf("%s%d", vr, i) }
	vb := width * 4
	kr := func(i int) string { return v(7 + i) }
	rows := []string{"R8", "R9", "R10"}
	if avx512 {
		// Index tables for VPERMT2PS: even and odd elements of a 32-float pair.
		for i := 0; i < 16; i++ {
			fmt.Fprintf(w, "DATA dwEven<>+%d(SB)/4, $%d\n", 4*i, 2*i)
		}
		fmt.Fprintf(w, "GLOBL dwEven<>(SB), RODATA|NOPTR, $64\n\n")
		for i := 0; i < 16; i++ {
			fmt.Fprintf(w, "DATA dwOdd<>+%d(SB)/4, $%d\n", 4*i, 2*i+1)
		}
		fmt.Fprintf(w, "GLOBL dwOdd<>(SB), RODATA|NOPTR, $64\n\n")
	}
	prologue := func(name string, stride int) {
		fmt.Fprintf(w, "// func %s(out, r0, r1, r2, k *float32, blocks int, bias, slope float32, flags uint)\n", name)
		fmt.Fprintf(w, "//\n// 3×3 depthwise convolution, stride %d, %d outputs per block (see dwRow3x3).\n", stride, width)
		fmt.Fprintf(w, "TEXT ·%s(SB), NOSPLIT, %s\n", name, argFrame)
		w.l("MOVQ out+0(FP), DI")
		w.l("MOVQ r0+8(FP), R8")
		w.l("MOVQ r1+16(FP), R9")
		w.l("MOVQ r2+24(FP), R10")
		w.l("MOVQ k+32(FP), SI")
		w.l("MOVQ blocks+40(FP), CX")
		w.l("MOVQ flags+56(FP), R11")
		w.l("VBROADCASTSS bias+48(FP), %s", v(6))
		for i := 0; i < 9; i++ {
			w.l("VBROADCASTSS %d(SI), %s", 4*i, kr(i))
		}
		w.l("TESTQ CX, CX")
		w.l("JZ done")
		w.label("loop")
	}
	epilogue := func(acc string, stride int, zero, sl, tmp string) {
		w.l("TESTQ $1, R11")
		w.l("JZ store")
		if avx512 {
			w.l("VPXORD %s, %s, %s", zero, zero, zero)
		} else {
			w.l("VXORPS %s, %s, %s", zero, zero, zero)
		}
		w.l("VBROADCASTSS slope+52(FP), %s", sl)
		w.l("VMINPS %s, %s, %s", zero, acc, tmp)
		w.l("VMAXPS %s, %s, %s", zero, acc, acc)
		w.l("VFMADD231PS %s, %s, %s", sl, tmp, acc)
		w.label("store")
		w.l("VMOVUPS %s, (DI)", acc)
		w.l("ADDQ $%d, DI", vb)
		for _, r := range rows {
			w.l("ADDQ $%d, %s", stride*vb, r)
		}
		w.l("DECQ CX")
		w.l("JNZ loop")
		w.label("done")
		w.l("VZEROUPPER")
		w.l("RET")
		w.WriteString("\n")
	}

	// Stride 1: three partial sums (one per input row) keep the FMA chains short.
	prologue("dw3x3s1"+isa, 1)
	w.l("VMOVAPS %s, %s", v(6), v(0))
	w.l("VMULPS (%s), %s, %s", rows[1], kr(3), v(1))
	w.l("VMULPS (%s), %s, %s", rows[2], kr(6), v(2))
	w.l("VFMADD231PS (%s), %s, %s", rows[0], kr(0), v(0))
	for kx := 1; kx < 3; kx++ {
		for ky := 0; ky < 3; ky++ {
			w.l("VFMADD231PS %d(%s), %s, %s", 4*kx, rows[ky], kr(3*ky+kx), v(ky))
		}
	}
	w.l("VADDPS %s, %s, %s", v(1), v(0), v(0))
	w.l("VADDPS %s, %s, %s", v(2), v(0), v(0))
	epilogue(v(0), 1, v(3), v(4), v(5))

	// Stride 2: de-interleave 2W inputs into the even taps (kx=0), odd taps
	// (kx=1) and even taps shifted by one (kx=2).
	prologue("dw3x3s2"+isa, 2)
	acc := v(5)
	w.l("VMOVAPS %s, %s", v(6), acc)
	if avx512 {
		// Z16, Z17: index tables (AVX-512 has 32 registers).
		w.l("VMOVUPS dwEven<>(SB), Z16")
		w.l("VMOVUPS dwOdd<>(SB), Z17")
		for ky := 0; ky < 3; ky++ {
			r := rows[ky]
			w.l("VMOVUPS (%s), Z0", r)
			w.l("VMOVAPS Z0, Z1")
			w.l("VPERMT2PS %d(%s), Z16, Z0", vb, r)
			w.l("VPERMT2PS %d(%s), Z17, Z1", vb, r)
			w.l("VMOVUPS 8(%s), Z2", r)
			w.l("VPERMT2PS %d(%s), Z16, Z2", vb+8, r)
			w.l("VFMADD231PS Z0, %s, %s", kr(3*ky), acc)
			w.l("VFMADD231PS Z1, %s, %s", kr(3*ky+1), acc)
			w.l("VFMADD231PS Z2, %s, %s", kr(3*ky+2), acc)
		}
	} else {
		// VSHUFPS works within 128-bit lanes, leaving the outputs in the
		// order 0 1 4 5 2 3 6 7 (in pairs); the sum is permuted once at the end.
		for ky := 0; ky < 3; ky++ {
			r := rows[ky]
			w.l("VMOVUPS (%s), Y0", r)
			w.l("VMOVUPS 32(%s), Y1", r)
			w.l("VSHUFPS $0x88, Y1, Y0, Y2")
			w.l("VSHUFPS $0xDD, Y1, Y0, Y3")
			w.l("VFMADD231PS Y2, %s, %s", kr(3*ky), acc)
			w.l("VFMADD231PS Y3, %s, %s", kr(3*ky+1), acc)
			w.l("VMOVUPS 8(%s), Y0", r)
			w.l("VSHUFPS $0x88, 40(%s), Y0, Y2", r)
			w.l("VFMADD231PS Y2, %s, %s", kr(3*ky+2), acc)
		}
		w.l("VPERMPD $0xD8, %s, %s", acc, acc)
	}
	epilogue(acc, 2, v(0), v(1), v(2))
	return w.Bytes()
}
