package main

import "fmt"

// rowKernels writes the 2:1 row kernels for one x86 level:
//
//	func max2x2<ISA>(out, r0, r1 *float32, blocks int)
//	func deint<ISA>(even, odd, row *float32, blocks int)
//
// A block is W outputs (W = 8 for AVX2, 16 for AVX-512) from 2W inputs of
// each row. max2x2 is the 2×2 stride-2 max pool of two input rows,
// out[i] = max(r0[2i], r0[2i+1], r1[2i], r1[2i+1]); deint splits a row
// into its even and odd columns, even[i] = row[2i], odd[i] = row[2i+1].
//
// De-interleaving: AVX-512 permutes a pair of vectors with VPERMT2PS and
// two index tables; AVX2 picks the even (or odd) floats of each 128-bit
// lane with VSHUFPS and puts the four 64-bit halves in order with VPERMPD.
func rowKernels(avx512 bool) []byte {
	w := &asm{}
	w.WriteString(header)
	vr, width, isa := "Y", 8, "AVX2"
	if avx512 {
		vr, width, isa = "Z", 16, "AVX512"
	}
	v := func(i int) string { return fmt.Sprintf("%s%d", vr, i) }
	vb := width * 4
	if avx512 {
		for i := 0; i < 16; i++ {
			fmt.Fprintf(w, "DATA rowEven<>+%d(SB)/4, $%d\n", 4*i, 2*i)
		}
		fmt.Fprintf(w, "GLOBL rowEven<>(SB), RODATA|NOPTR, $64\n\n")
		for i := 0; i < 16; i++ {
			fmt.Fprintf(w, "DATA rowOdd<>+%d(SB)/4, $%d\n", 4*i, 2*i+1)
		}
		fmt.Fprintf(w, "GLOBL rowOdd<>(SB), RODATA|NOPTR, $64\n\n")
	}
	// split sets dst to the even (odd=false) or odd floats of lo:hi.
	split := func(lo, hi, dst int, odd bool) {
		if avx512 {
			idx := "Z30"
			if odd {
				idx = "Z31"
			}
			w.l("VMOVAPS %s, %s", v(lo), v(dst))
			w.l("VPERMT2PS %s, %s, %s", v(hi), idx, v(dst))
			return
		}
		imm := 0x88
		if odd {
			imm = 0xDD
		}
		w.l("VSHUFPS $0x%X, %s, %s, %s", imm, v(hi), v(lo), v(dst))
		w.l("VPERMPD $0xD8, %s, %s", v(dst), v(dst))
	}
	tables := func() {
		if avx512 {
			w.l("VMOVUPS rowEven<>(SB), Z30")
			w.l("VMOVUPS rowOdd<>(SB), Z31")
		}
	}

	name := "max2x2" + isa
	fmt.Fprintf(w, "// func %s(out, r0, r1 *float32, blocks int)\n", name)
	fmt.Fprintf(w, "//\n// 2×2 stride-2 max pool of rows r0 and r1, %d outputs per block.\n", width)
	fmt.Fprintf(w, "TEXT ·%s(SB), NOSPLIT, $0-32\n", name)
	w.l("MOVQ out+0(FP), DI")
	w.l("MOVQ r0+8(FP), SI")
	w.l("MOVQ r1+16(FP), DX")
	w.l("MOVQ blocks+24(FP), CX")
	tables()
	w.label("maxloop")
	w.l("TESTQ CX, CX")
	w.l("JZ maxdone")
	w.l("VMOVUPS (SI), %s", v(0))
	w.l("VMOVUPS %d(SI), %s", vb, v(1))
	w.l("VMAXPS (DX), %s, %s", v(0), v(0))
	w.l("VMAXPS %d(DX), %s, %s", vb, v(1), v(1))
	split(0, 1, 2, false)
	split(0, 1, 3, true)
	w.l("VMAXPS %s, %s, %s", v(3), v(2), v(2))
	w.l("VMOVUPS %s, (DI)", v(2))
	w.l("ADDQ $%d, DI", vb)
	w.l("ADDQ $%d, SI", 2*vb)
	w.l("ADDQ $%d, DX", 2*vb)
	w.l("DECQ CX")
	w.l("JMP maxloop")
	w.label("maxdone")
	w.l("VZEROUPPER")
	w.l("RET")
	w.WriteString("\n")

	name = "deint" + isa
	fmt.Fprintf(w, "// func %s(even, odd, row *float32, blocks int)\n", name)
	fmt.Fprintf(w, "//\n// Splits %d floats of row per block into its even and odd columns.\n", 2*width)
	fmt.Fprintf(w, "TEXT ·%s(SB), NOSPLIT, $0-32\n", name)
	w.l("MOVQ even+0(FP), DI")
	w.l("MOVQ odd+8(FP), DX")
	w.l("MOVQ row+16(FP), SI")
	w.l("MOVQ blocks+24(FP), CX")
	tables()
	w.label("deintloop")
	w.l("TESTQ CX, CX")
	w.l("JZ deintdone")
	w.l("VMOVUPS (SI), %s", v(0))
	w.l("VMOVUPS %d(SI), %s", vb, v(1))
	split(0, 1, 2, false)
	split(0, 1, 3, true)
	w.l("VMOVUPS %s, (DI)", v(2))
	w.l("VMOVUPS %s, (DX)", v(3))
	w.l("ADDQ $%d, DI", vb)
	w.l("ADDQ $%d, DX", vb)
	w.l("ADDQ $%d, SI", 2*vb)
	w.l("DECQ CX")
	w.l("JMP deintloop")
	w.label("deintdone")
	w.l("VZEROUPPER")
	w.l("RET")
	return w.Bytes()
}

// neonRows writes max2x2NEON and deintNEON (see rowKernels), 4 outputs per
// block: VLD2 de-interleaves as it loads.
func neonRows() []byte {
	w := &asm{}
	w.WriteString(header)
	w.WriteString("// func max2x2NEON(out, r0, r1 *float32, blocks int)\n//\n// 2×2 stride-2 max pool of rows r0 and r1, 4 outputs per block.\n")
	w.WriteString("TEXT ·max2x2NEON(SB), NOSPLIT, $0-32\n")
	w.l("MOVD out+0(FP), R0")
	w.l("MOVD r0+8(FP), R1")
	w.l("MOVD r1+16(FP), R2")
	w.l("MOVD blocks+24(FP), R3")
	w.label("maxloop")
	w.l("CBZ R3, maxdone")
	w.l("VLD2.P 32(R1), [V0.S4, V1.S4]")
	w.l("VLD2.P 32(R2), [V2.S4, V3.S4]")
	w.word(fmax4s(0, 0, 1))
	w.word(fmax4s(2, 2, 3))
	w.word(fmax4s(0, 0, 2))
	w.l("VST1.P [V0.S4], 16(R0)")
	w.l("SUB $1, R3")
	w.l("B maxloop")
	w.label("maxdone")
	w.l("RET")
	w.WriteString("\n// func deintNEON(even, odd, row *float32, blocks int)\n//\n// Splits 8 floats of row per block into its even and odd columns.\n")
	w.WriteString("TEXT ·deintNEON(SB), NOSPLIT, $0-32\n")
	w.l("MOVD even+0(FP), R0")
	w.l("MOVD odd+8(FP), R1")
	w.l("MOVD row+16(FP), R2")
	w.l("MOVD blocks+24(FP), R3")
	w.label("deintloop")
	w.l("CBZ R3, deintdone")
	w.l("VLD2.P 32(R2), [V0.S4, V1.S4]")
	w.l("VST1.P [V0.S4], 16(R0)")
	w.l("VST1.P [V1.S4], 16(R1)")
	w.l("SUB $1, R3")
	w.l("B deintloop")
	w.label("deintdone")
	w.l("RET")
	return w.Bytes()
}

// eltKernels writes the elementwise row kernels for one x86 level:
//
//	func addRow<ISA>(out, a, b *float32, blocks int)      out[i] = a[i] + b[i]
//	func preluRow<ISA>(x *float32, blocks int, slope float32)
//	                                   x[i] = max(x[i],0) + slope·min(x[i],0)
//
// A block is one vector (8 or 16 floats). ReLU is preluRow with slope 0.
func eltKernels(avx512 bool) []byte {
	w := &asm{}
	w.WriteString(header)
	vr, width, isa := "Y", 8, "AVX2"
	if avx512 {
		vr, width, isa = "Z", 16, "AVX512"
	}
	v := func(i int) string { return fmt.Sprintf("%s%d", vr, i) }
	vb := width * 4

	name := "addRow" + isa
	fmt.Fprintf(w, "// func %s(out, a, b *float32, blocks int)\n", name)
	fmt.Fprintf(w, "//\n// out = a + b, %d floats per block.\n", width)
	fmt.Fprintf(w, "TEXT ·%s(SB), NOSPLIT, $0-32\n", name)
	w.l("MOVQ out+0(FP), DI")
	w.l("MOVQ a+8(FP), SI")
	w.l("MOVQ b+16(FP), DX")
	w.l("MOVQ blocks+24(FP), CX")
	w.label("addloop")
	w.l("TESTQ CX, CX")
	w.l("JZ adddone")
	w.l("VMOVUPS (SI), %s", v(0))
	w.l("VADDPS (DX), %s, %s", v(0), v(0))
	w.l("VMOVUPS %s, (DI)", v(0))
	w.l("ADDQ $%d, DI", vb)
	w.l("ADDQ $%d, SI", vb)
	w.l("ADDQ $%d, DX", vb)
	w.l("DECQ CX")
	w.l("JMP addloop")
	w.label("adddone")
	w.l("VZEROUPPER")
	w.l("RET")
	w.WriteString("\n")

	name = "preluRow" + isa
	fmt.Fprintf(w, "// func %s(x *float32, blocks int, slope float32)\n", name)
	fmt.Fprintf(w, "//\n// x = max(x,0) + slope·min(x,0) in place, %d floats per block.\n", width)
	fmt.Fprintf(w, "TEXT ·%s(SB), NOSPLIT, $0-20\n", name)
	w.l("MOVQ x+0(FP), DI")
	w.l("MOVQ blocks+8(FP), CX")
	w.l("VBROADCASTSS slope+16(FP), %s", v(2))
	if avx512 {
		w.l("VPXORD %s, %s, %s", v(3), v(3), v(3))
	} else {
		w.l("VXORPS %s, %s, %s", v(3), v(3), v(3))
	}
	w.label("preluloop")
	w.l("TESTQ CX, CX")
	w.l("JZ preludone")
	w.l("VMOVUPS (DI), %s", v(0))
	w.l("VMINPS %s, %s, %s", v(3), v(0), v(1))
	w.l("VMAXPS %s, %s, %s", v(3), v(0), v(0))
	w.l("VFMADD231PS %s, %s, %s", v(2), v(1), v(0))
	w.l("VMOVUPS %s, (DI)", v(0))
	w.l("ADDQ $%d, DI", vb)
	w.l("DECQ CX")
	w.l("JMP preluloop")
	w.label("preludone")
	w.l("VZEROUPPER")
	w.l("RET")
	w.WriteString("\n")
	sigmoidKernel(w, isa, vr, width, avx512)
	w.WriteString("\n")
	dupKernel(w, isa, vr, width)
	return w.Bytes()
}

// neonElt writes addRowNEON and preluRowNEON (see eltKernels), 4 floats
// per block.
func neonElt() []byte {
	w := &asm{}
	w.WriteString(header)
	w.WriteString("// func addRowNEON(out, a, b *float32, blocks int)\n//\n// out = a + b, 4 floats per block.\n")
	w.WriteString("TEXT ·addRowNEON(SB), NOSPLIT, $0-32\n")
	w.l("MOVD out+0(FP), R0")
	w.l("MOVD a+8(FP), R1")
	w.l("MOVD b+16(FP), R2")
	w.l("MOVD blocks+24(FP), R3")
	w.label("addloop")
	w.l("CBZ R3, adddone")
	w.l("VLD1.P 16(R1), [V0.S4]")
	w.l("VLD1.P 16(R2), [V1.S4]")
	w.word(fadd4s(0, 0, 1))
	w.l("VST1.P [V0.S4], 16(R0)")
	w.l("SUB $1, R3")
	w.l("B addloop")
	w.label("adddone")
	w.l("RET")
	w.WriteString("\n// func preluRowNEON(x *float32, blocks int, slope float32)\n//\n// x = max(x,0) + slope·min(x,0) in place, 4 floats per block.\n")
	w.WriteString("TEXT ·preluRowNEON(SB), NOSPLIT, $0-20\n")
	w.l("MOVD x+0(FP), R0")
	w.l("MOVD blocks+8(FP), R3")
	w.l("FMOVS slope+16(FP), F2")
	w.l("VEOR V3.B16, V3.B16, V3.B16")
	w.label("preluloop")
	w.l("CBZ R3, preludone")
	w.l("VLD1 (R0), [V0.S4]")
	w.word(fmin4s(1, 0, 3))
	w.word(fmax4s(0, 0, 3))
	w.word(fmlaElem(0, 1, 2, 0))
	w.l("VST1.P [V0.S4], 16(R0)")
	w.l("SUB $1, R3")
	w.l("B preluloop")
	w.label("preludone")
	w.l("RET")
	return w.Bytes()
}

// sigmoidKernel writes
//
//	func sigmoidRow<isa>(out, x *float32, blocks int)
//
// out = 1/(1 + e^-x), width floats per block, with expf's method (see
// kernels/elementwise.go): y = -x clamped to ±87 (beyond, the sigmoid is 0
// or 1 to within 2·10⁻³⁸), k = y·log2 e rounded by the 1.5·2²³ trick,
// r = y - k·ln2 in two parts, e^r by the same degree-7 polynomial, 2^k put
// in the exponent bits. The clamps keep a NaN (VMAXPS and VMINPS return
// their second source when one is NaN), so NaN propagates.
// Registers: 0 x/y, 1 k, 2 r, 3 p, 4 scratch, 5.. constants.
func sigmoidKernel(w *asm, isa, vr string, width int, avx512 bool) {
	v := func(i int) string { return fmt.Sprintf("%s%d", vr, i) }
	name := "sigmoidRow" + isa
	consts := []struct {
		name string
		bits uint32
	}{
		{"lo", 0xc2ae0000},    // -87
		{"hi", 0x42ae0000},    // 87
		{"log2e", 0x3fb8aa3b}, // 1.44269504
		{"round", 0x4b400000}, // 1.5·2²³
		{"ln2hi", 0x3f318000}, // 0.693359375
		{"ln2lo", 0xb95e8083}, // -2.12194440e-4
		{"p0", 0x39506967},    // 1.9875691500e-4
		{"p1", 0x3ab743ce},    // 1.3981999507e-3
		{"p2", 0x3c088908},    // 8.3334519073e-3
		{"p3", 0x3d2aa9c1},    // 4.1665795894e-2
		{"p4", 0x3e2aaaaa},    // 1.6666665459e-1
		{"p5", 0x3f000000},    // 5.0000001201e-1
		{"one", 0x3f800000},
	}
	sym := "sigc" + isa
	for i, c := range consts {
		fmt.Fprintf(w, "DATA %s<>+%d(SB)/4, $0x%08x // %s\n", sym, 4*i, c.bits, c.name)
	}
	fmt.Fprintf(w, "GLOBL %s<>(SB), RODATA|NOPTR, $%d\n\n", sym, 4*len(consts))
	reg := map[string]string{}
	fmt.Fprintf(w, "// func %s(out, x *float32, blocks int)\n", name)
	fmt.Fprintf(w, "//\n// out = 1/(1+e^-x), %d floats per block (see sigmoidKernel in kernels/_asmgen).\n", width)
	fmt.Fprintf(w, "TEXT ·%s(SB), NOSPLIT, $0-24\n", name)
	w.l("MOVQ out+0(FP), DI")
	w.l("MOVQ x+8(FP), SI")
	w.l("MOVQ blocks+16(FP), CX")
	for i, c := range consts {
		reg[c.name] = v(5 + i)
		w.l("VBROADCASTSS %s<>+%d(SB), %s", sym, 4*i, reg[c.name])
	}
	x, k, r, p, t := v(0), v(1), v(2), v(3), v(4)
	w.label("sigloop")
	w.l("TESTQ CX, CX")
	w.l("JZ sigdone")
	// y = -x = 0 - x, clamped (NaN kept: it is the second source).
	if avx512 {
		w.l("VPXORD %s, %s, %s", t, t, t)
	} else {
		w.l("VXORPS %s, %s, %s", t, t, t)
	}
	w.l("VSUBPS (SI), %s, %s", t, x)
	w.l("VMAXPS %s, %s, %s", x, reg["lo"], x)
	w.l("VMINPS %s, %s, %s", x, reg["hi"], x)
	// k = round(y·log2 e): (y·log2e + R) - R.
	w.l("VMOVAPS %s, %s", reg["round"], k)
	w.l("VFMADD231PS %s, %s, %s", reg["log2e"], x, k)
	w.l("VSUBPS %s, %s, %s", reg["round"], k, k)
	// r = y - k·ln2hi - k·ln2lo
	w.l("VMOVAPS %s, %s", x, r)
	w.l("VFNMADD231PS %s, %s, %s", reg["ln2hi"], k, r)
	w.l("VFNMADD231PS %s, %s, %s", reg["ln2lo"], k, r)
	// p = ((((p0·r + p1)·r + p2)·r + p3)·r + p4)·r + p5; then p·r² + r + 1
	w.l("VMOVAPS %s, %s", reg["p0"], p)
	for _, c := range []string{"p1", "p2", "p3", "p4", "p5"} {
		w.l("VFMADD213PS %s, %s, %s", reg[c], r, p)
	}
	w.l("VMULPS %s, %s, %s", r, r, t)
	w.l("VADDPS %s, %s, %s", reg["one"], r, r)
	w.l("VFMADD213PS %s, %s, %s", r, t, p)
	// e = p·2^k: k+127 in the exponent bits.
	w.l("VCVTPS2DQ %s, %s", k, k)
	w.l("VPSLLD $23, %s, %s", k, k)
	w.l("VPADDD %s, %s, %s", reg["one"], k, k)
	w.l("VMULPS %s, %s, %s", k, p, p)
	// out = 1/(1 + e)
	w.l("VADDPS %s, %s, %s", reg["one"], p, p)
	w.l("VDIVPS %s, %s, %s", p, reg["one"], p)
	w.l("VMOVUPS %s, (DI)", p)
	w.l("ADDQ $%d, DI", 4*width)
	w.l("ADDQ $%d, SI", 4*width)
	w.l("DECQ CX")
	w.l("JMP sigloop")
	w.label("sigdone")
	w.l("VZEROUPPER")
	w.l("RET")
}

// dupKernel writes
//
//	func dupRow<isa>(out, in *float32, blocks int)
//
// out[2i] = out[2i+1] = in[i] for width·blocks input values (nearest
// up-sampling by 2 along a row): each input vector is permuted twice, its
// low half and its high half with every lane doubled, into two output
// vectors.
func dupKernel(w *asm, isa, vr string, width int) {
	v := func(i int) string { return fmt.Sprintf("%s%d", vr, i) }
	name := "dupRow" + isa
	sym := "dupIdx" + isa
	for i := 0; i < 2*width; i++ {
		fmt.Fprintf(w, "DATA %s<>+%d(SB)/4, $%d\n", sym, 4*i, i/2)
	}
	fmt.Fprintf(w, "GLOBL %s<>(SB), RODATA|NOPTR, $%d\n\n", sym, 8*width)
	fmt.Fprintf(w, "// func %s(out, in *float32, blocks int)\n", name)
	fmt.Fprintf(w, "//\n// out[2i] = out[2i+1] = in[i], %d input floats per block.\n", width)
	fmt.Fprintf(w, "TEXT ·%s(SB), NOSPLIT, $0-24\n", name)
	w.l("MOVQ out+0(FP), DI")
	w.l("MOVQ in+8(FP), SI")
	w.l("MOVQ blocks+16(FP), CX")
	w.l("VMOVUPS %s<>+0(SB), %s", sym, v(2))
	w.l("VMOVUPS %s<>+%d(SB), %s", sym, 4*width, v(3))
	w.label("duploop")
	w.l("TESTQ CX, CX")
	w.l("JZ dupdone")
	w.l("VMOVUPS (SI), %s", v(0))
	w.l("VPERMPS %s, %s, %s", v(0), v(2), v(1))
	w.l("VPERMPS %s, %s, %s", v(0), v(3), v(0))
	w.l("VMOVUPS %s, (DI)", v(1))
	w.l("VMOVUPS %s, %d(DI)", v(0), 4*width)
	w.l("ADDQ $%d, DI", 8*width)
	w.l("ADDQ $%d, SI", 4*width)
	w.l("DECQ CX")
	w.l("JMP duploop")
	w.label("dupdone")
	w.l("VZEROUPPER")
	w.l("RET")
}
