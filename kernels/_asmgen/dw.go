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
		fmt.Fprintf(w, "TEXT ·%s(SB), NOSPLIT, %s\n", name, dwArgFrame)
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

	if avx512 {
		dwS1AVX512(w, v, kr, rows, prologue, epilogue)
	} else {
		// Stride 1: three partial sums (one per input row) keep the FMA
		// chains short.
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
	}

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

// fadd4s is FADD Vd.4S, Vn.4S, Vm.4S.
func fadd4s(d, n, m int) (uint32, string) {
	return 0x4E20D400 | uint32(m)<<16 | uint32(n)<<5 | uint32(d), fmt.Sprintf("FADD V%d.4S, V%d.4S, V%d.4S", d, n, m)
}

// neonDW writes the 3×3 depthwise row kernels for NEON, 4 outputs per block
// (same contract as dwKernels). Registers: R0 out, R5 blocks, R7 flags;
// V20-V22 the nine weights (used by element), V23 the bias, V24 the slope,
// V25 zero. Stride 1 keeps a pointer per tap column (R1-R3 at kx=0, R8-R10
// at kx=1, R11-R13 at kx=2) so every load is a post-incremented VLD1; stride
// 2 de-interleaves with VLD2 at the block start (R1-R3, taps kx=0 and 1) and
// two values later (R8-R10, kx=2), reading one value past the last tap.
func neonDW() []byte {
	w := &asm{}
	w.WriteString(header)
	kw := func(d, n, tap int) { w.word(fmlaElem(d, n, 20+tap/4, tap%4)) }
	prologue := func(name string, stride int) {
		fmt.Fprintf(w, "// func %s(out, r0, r1, r2, k *float32, blocks int, bias, slope float32, flags uint)\n", name)
		fmt.Fprintf(w, "//\n// 3×3 depthwise convolution, stride %d, 4 outputs per block (see dwRow3x3).\n", stride)
		fmt.Fprintf(w, "TEXT ·%s(SB), NOSPLIT, %s\n", name, dwArgFrame)
		w.l("MOVD out+0(FP), R0")
		w.l("MOVD r0+8(FP), R1")
		w.l("MOVD r1+16(FP), R2")
		w.l("MOVD r2+24(FP), R3")
		w.l("MOVD k+32(FP), R4")
		w.l("MOVD blocks+40(FP), R5")
		w.l("MOVD flags+56(FP), R7")
		w.l("VLD1 (R4), [V20.S4, V21.S4]")
		w.l("FMOVS 32(R4), F22")
		w.l("FMOVS bias+48(FP), F23")
		w.l("VDUP V23.S[0], V23.S4")
		w.l("FMOVS slope+52(FP), F24")
		w.l("VEOR V25.B16, V25.B16, V25.B16")
	}
	epilogue := func() {
		w.l("TBZ $0, R7, store")
		w.word(fmin4s(6, 3, 25))
		w.word(fmax4s(3, 3, 25))
		w.word(fmlaElem(3, 6, 24, 0))
		w.label("store")
		w.l("VST1.P [V3.S4], 16(R0)")
		w.l("SUB $1, R5")
		w.l("CBNZ R5, loop")
		w.label("done")
		w.l("RET")
		w.WriteString("\n")
	}

	prologue("dw3x3s1NEON", 1)
	for i, base := range []int{1, 2, 3} {
		w.l("ADD $4, R%d, R%d", base, 8+i)
		w.l("ADD $8, R%d, R%d", base, 11+i)
	}
	w.l("CBZ R5, done")
	w.label("loop")
	ptr := [3][3]int{{1, 8, 11}, {2, 9, 12}, {3, 10, 13}} // [ky][kx]
	for ky := 0; ky < 3; ky++ {
		for kx := 0; kx < 3; kx++ {
			w.l("VLD1.P 16(R%d), [V%d.S4]", ptr[ky][kx], 3*ky+kx+10)
		}
	}
	// Three partial sums, one per input row: V3 (starts at the bias), V4, V5.
	w.l("VORR V23.B16, V23.B16, V3.B16")
	w.l("VEOR V4.B16, V4.B16, V4.B16")
	w.l("VEOR V5.B16, V5.B16, V5.B16")
	for kx := 0; kx < 3; kx++ {
		for ky := 0; ky < 3; ky++ {
			kw(3+ky, 3*ky+kx+10, 3*ky+kx)
		}
	}
	w.word(fadd4s(3, 3, 4))
	w.word(fadd4s(3, 3, 5))
	epilogue()

	prologue("dw3x3s2NEON", 2)
	for i, base := range []int{1, 2, 3} {
		w.l("ADD $8, R%d, R%d", base, 8+i)
	}
	w.l("CBZ R5, done")
	w.label("loop")
	w.l("VORR V23.B16, V23.B16, V3.B16")
	w.l("VEOR V4.B16, V4.B16, V4.B16")
	w.l("VEOR V5.B16, V5.B16, V5.B16")
	for ky := 0; ky < 3; ky++ {
		r := []int{10, 14, 26}[ky] // V20-V25 hold constants
		e, o, e2, junk := r, r+1, r+2, r+3
		w.l("VLD2.P 32(R%d), [V%d.S4, V%d.S4]", 1+ky, e, o)
		w.l("VLD2.P 32(R%d), [V%d.S4, V%d.S4]", 8+ky, e2, junk)
		kw(3+ky, e, 3*ky)
		kw(3+ky, o, 3*ky+1)
		kw(3+ky, e2, 3*ky+2)
	}
	w.word(fadd4s(3, 3, 4))
	w.word(fadd4s(3, 3, 5))
	epilogue()
	return w.Bytes()
}

// dwS1AVX512 writes dw3x3s1AVX512. Loading the taps at x+1 and x+2
// directly, as the AVX2 kernel does, makes six of the nine loads per block
// straddle two cache lines (a 64-byte vector at a 4-byte offset always
// does), which halves their throughput. Instead each row is loaded once per
// block, aligned with the block, and the shifted taps are cut from it and
// the next block's vector with VALIGND; the next vector is carried to the
// following block. The last block loads only the two values of the next
// vector it needs (a zero-masked load, which cannot fault on the rest), so
// the kernel reads exactly the taps, like the others. The activation
// constants live in registers 16 and 17.
func dwS1AVX512(w *asm, v func(int) string, kr func(int) string, rows []string,
	prologue func(string, int), epilogue func(string, int, string, string, string)) {
	prologue("dw3x3s1AVX512", 1)
	// The prologue has set up the weights and the loop label; the current
	// vectors of the three rows are loaded before the loop, so jump over
	// the in-loop start to do that once.
	w.l("JMP s1first")
	w.label("s1next")
	w.l("CMPQ CX, $1")
	w.l("JEQ s1last")
	for ky, r := range rows {
		w.l("VMOVUPS 64(%s), Z%d", r, 21+ky)
	}
	w.l("JMP s1body")
	w.label("s1last")
	for ky, r := range rows {
		w.l("VMOVUPS.Z 64(%s), K1, Z%d", r, 21+ky)
	}
	w.label("s1body")
	// Z0: bias + row 0 + row 2; Z1: row 1 (two chains, one add).
	w.l("VMOVAPS %s, Z0", v(6))
	w.l("VMULPS Z19, %s, Z1", kr(3))
	w.l("VFMADD231PS Z18, %s, Z0", kr(0))
	w.l("VFMADD231PS Z20, %s, Z0", kr(6))
	for kx := 1; kx < 3; kx++ {
		for ky := 0; ky < 3; ky++ {
			w.l("VALIGND $%d, Z%d, Z%d, Z%d", kx, 18+ky, 21+ky, 24+ky)
		}
		for ky := 0; ky < 3; ky++ {
			acc := "Z0"
			if ky == 1 {
				acc = "Z1"
			}
			w.l("VFMADD231PS Z%d, %s, %s", 24+ky, kr(3*ky+kx), acc)
		}
	}
	w.l("VADDPS Z1, Z0, Z0")
	for ky := range rows {
		w.l("VMOVAPS Z%d, Z%d", 21+ky, 18+ky)
	}
	w.l("TESTQ $1, R11")
	w.l("JZ s1store")
	w.l("VMINPS Z16, Z0, Z5")
	w.l("VMAXPS Z16, Z0, Z0")
	w.l("VFMADD231PS Z17, Z5, Z0")
	w.label("s1store")
	w.l("VMOVUPS Z0, (DI)")
	w.l("ADDQ $64, DI")
	for _, r := range rows {
		w.l("ADDQ $64, %s", r)
	}
	w.l("DECQ CX")
	w.l("JNZ s1next")
	w.l("JMP done")
	w.label("s1first")
	w.l("VPXORD Z16, Z16, Z16")
	w.l("VBROADCASTSS slope+52(FP), Z17")
	w.l("MOVL $3, AX")
	w.l("KMOVW AX, K1")
	for ky, r := range rows {
		w.l("VMOVUPS (%s), Z%d", r, 18+ky)
	}
	w.l("JMP s1next")
	w.label("done")
	w.l("VZEROUPPER")
	w.l("RET")
	w.WriteString("\n")
}
