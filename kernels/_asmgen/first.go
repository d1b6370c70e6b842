package main

import "fmt"

// firstArgFrame is the first-layer block kernels' argument frame.
const firstArgFrame = "$0-96"

// firstKernels writes the direct 3×3 stride-2 convolution block kernel for
// one x86 level (OCB output channels × W outputs per block: 16×16 for
// AVX-512, 8×8 for AVX2):
//
//	func firstConv<ISA>(out *float32, ldo int, in *float32, pitch, half, cstride, cin int, w, bias, slope *float32, blocks int, flags uint)
//
// The input rows are phase-split: for input channel ci and tap row ky,
// E = in[ci·cstride + ky·pitch:] holds the even columns of the padded row
// and O = E[half:] the odd ones, so output x reads E[x], O[x], E[x+1] for
// taps kx = 0, 1, 2. For output channel oc < OCB and x < blocks·W:
//
//	acc = bias[oc] + Σ_{ci<cin, ky<3} w[(3ci+ky)·3·OCB + oc]·E[x] + w[((3ci+ky)·3+1)·OCB + oc]·O[x] + w[((3ci+ky)·3+2)·OCB + oc]·E[x+1]
//	if flags&1 != 0: acc = max(acc,0) + slope[oc]·min(acc,0)
//	out[oc·ldo + x] = acc
//
// Strides are in floats. Each block loads the three taps of one (ci, ky)
// as whole vectors and multiplies them by each channel's weight, broadcast
// from memory (AVX-512 embedded broadcast; AVX2 VBROADCASTSS), into OCB
// accumulators.
//
// Registers: DI out, BX ldo in bytes, SI the block's first input, R8 pitch
// in bytes, R9 half in bytes, R10 cstride in bytes, CX blocks; per block AX
// walks the weights, DX counts channels, R11 and R12 point at the channel's
// and the row's taps, R13 is a temporary.
func firstKernels(avx512 bool) []byte {
	w := &asm{}
	w.WriteString(header)
	vr, width, ocb, isa := "Y", 8, 8, "AVX2"
	if avx512 {
		vr, width, ocb, isa = "Z", 16, 16, "AVX512"
	}
	v := func(i int) string { return fmt.Sprintf("%s%d", vr, i) }
	acc := func(oc int) string { return v(oc) } // accumulators 0..ocb-1
	tap := func(kx int) string { return v(ocb + kx) }
	vb := width * 4
	name := "firstConv" + isa
	fmt.Fprintf(w, "// func %s(out *float32, ldo int, in *float32, pitch, half, cstride, cin int, w, bias, slope *float32, blocks int, flags uint)\n", name)
	fmt.Fprintf(w, "//\n// Direct 3×3 stride-2 convolution on phase-split rows, %d output channels ×\n", ocb)
	fmt.Fprintf(w, "// %d outputs per block (see firstBlockFunc).\n", width)
	fmt.Fprintf(w, "TEXT ·%s(SB), NOSPLIT, %s\n", name, firstArgFrame)
	w.l("MOVQ out+0(FP), DI")
	w.l("MOVQ ldo+8(FP), BX")
	w.l("MOVQ in+16(FP), SI")
	w.l("MOVQ pitch+24(FP), R8")
	w.l("MOVQ half+32(FP), R9")
	w.l("MOVQ cstride+40(FP), R10")
	w.l("MOVQ blocks+80(FP), CX")
	w.l("SHLQ $2, BX")
	w.l("SHLQ $2, R8")
	w.l("SHLQ $2, R9")
	w.l("SHLQ $2, R10")
	w.l("TESTQ CX, CX")
	w.l("JZ done")
	w.label("loop")
	w.l("MOVQ bias+64(FP), R13")
	for oc := 0; oc < ocb; oc++ {
		w.l("VBROADCASTSS %d(R13), %s", 4*oc, acc(oc))
	}
	w.l("MOVQ w+56(FP), AX")
	w.l("MOVQ cin+48(FP), DX")
	w.l("MOVQ SI, R11")
	w.label("chan")
	w.l("MOVQ R11, R12")
	bc := 0 // AVX2: rotating broadcast registers after the taps
	for ky := 0; ky < 3; ky++ {
		w.l("VMOVUPS (R12), %s", tap(0))
		w.l("VMOVUPS (R12)(R9*1), %s", tap(1))
		w.l("VMOVUPS 4(R12), %s", tap(2))
		for kx := 0; kx < 3; kx++ {
			for oc := 0; oc < ocb; oc++ {
				off := ((ky*3+kx)*ocb + oc) * 4
				if avx512 {
					w.l("VFMADD231PS.BCST %d(AX), %s, %s", off, tap(kx), acc(oc))
					continue
				}
				b := v(ocb + 3 + bc)
				bc = (bc + 1) % (16 - ocb - 3)
				w.l("VBROADCASTSS %d(AX), %s", off, b)
				w.l("VFMADD231PS %s, %s, %s", tap(kx), b, acc(oc))
			}
		}
		if ky < 2 {
			w.l("ADDQ R8, R12")
		}
	}
	w.l("ADDQ $%d, AX", 9*ocb*4)
	w.l("ADDQ R10, R11")
	w.l("DECQ DX")
	w.l("JNZ chan")

	w.c("Activation: acc = max(acc,0) + slope[oc]*min(acc,0).")
	w.l("MOVQ flags+88(FP), R13")
	w.l("TESTQ $1, R13")
	w.l("JZ store")
	zero, tmp, sl := tap(0), tap(1), tap(2)
	if avx512 {
		w.l("VPXORD %s, %s, %s", zero, zero, zero)
	} else {
		w.l("VXORPS %s, %s, %s", zero, zero, zero)
	}
	w.l("MOVQ slope+72(FP), R13")
	for oc := 0; oc < ocb; oc++ {
		w.l("VMINPS %s, %s, %s", zero, acc(oc), tmp)
		w.l("VMAXPS %s, %s, %s", zero, acc(oc), acc(oc))
		if avx512 {
			w.l("VFMADD231PS.BCST %d(R13), %s, %s", 4*oc, tmp, acc(oc))
		} else {
			w.l("VBROADCASTSS %d(R13), %s", 4*oc, sl)
			w.l("VFMADD231PS %s, %s, %s", sl, tmp, acc(oc))
		}
	}

	w.c("Store one vector into each channel's plane.")
	w.label("store")
	w.l("MOVQ DI, R13")
	for oc := 0; oc < ocb; oc++ {
		w.l("VMOVUPS %s, (R13)", acc(oc))
		if oc < ocb-1 {
			w.l("ADDQ BX, R13")
		}
	}
	w.l("ADDQ $%d, DI", vb)
	w.l("ADDQ $%d, SI", vb)
	w.l("DECQ CX")
	w.l("JNZ loop")
	w.label("done")
	w.l("VZEROUPPER")
	w.l("RET")
	return w.Bytes()
}

// neonFirst writes the NEON form of firstKernels: 16 output channels × 4
// outputs per block. Registers: R0 out, R1 ldo in bytes, R2 the block's
// first input, R3 pitch, R4 half, R5 cstride (bytes), R6 cin, R7 w, R8
// bias, R9 slope, R10 blocks, R11 flags; per block R12 walks the weights,
// R13 counts channels, R14 and R15 point at the channel's and the row's
// taps, R16 and R17 are temporaries. V0-V15 are the accumulators, V16-V19
// the 16 weights of one tap (used by element), V24-V26 the three taps.
func neonFirst() []byte {
	const ocb = 16
	w := &asm{}
	w.WriteString(header)
	name := "firstConvNEON"
	wregs := "[V16.S4, V17.S4, V18.S4, V19.S4]"
	fmt.Fprintf(w, "// func %s(out *float32, ldo int, in *float32, pitch, half, cstride, cin int, w, bias, slope *float32, blocks int, flags uint)\n", name)
	fmt.Fprintf(w, "//\n// Direct 3×3 stride-2 convolution on phase-split rows, 16 output channels ×\n")
	fmt.Fprintf(w, "// 4 outputs per block (see firstBlockFunc); FMLA by element is WORD-encoded.\n")
	fmt.Fprintf(w, "TEXT ·%s(SB), NOSPLIT, %s\n", name, firstArgFrame)
	for i, arg := range []string{"out+0", "ldo+8", "in+16", "pitch+24", "half+32", "cstride+40", "cin+48", "w+56", "bias+64", "slope+72", "blocks+80", "flags+88"} {
		w.l("MOVD %s(FP), R%d", arg, i)
	}
	for _, r := range []int{1, 3, 4, 5} {
		w.l("LSL $2, R%d", r)
	}
	w.l("CBZ R10, done")
	w.label("loop")
	w.l("VLD1 (R8), %s", wregs)
	for oc := 0; oc < ocb; oc++ {
		w.l("VDUP V%d.S[%d], V%d.S4", 16+oc/4, oc%4, oc)
	}
	w.l("MOVD R7, R12")
	w.l("MOVD R6, R13")
	w.l("MOVD R2, R14")
	w.label("chan")
	w.l("MOVD R14, R15")
	for ky := 0; ky < 3; ky++ {
		w.l("VLD1 (R15), [V24.S4]")
		w.l("ADD R4, R15, R16")
		w.l("VLD1 (R16), [V25.S4]")
		w.l("ADD $4, R15, R16")
		w.l("VLD1 (R16), [V26.S4]")
		for kx := 0; kx < 3; kx++ {
			w.l("VLD1.P 64(R12), %s", wregs)
			for oc := 0; oc < ocb; oc++ {
				w.word(fmlaElem(oc, 24+kx, 16+oc/4, oc%4))
			}
		}
		if ky < 2 {
			w.l("ADD R3, R15, R15")
		}
	}
	w.l("ADD R5, R14, R14")
	w.l("SUB $1, R13")
	w.l("CBNZ R13, chan")

	w.c("Activation: acc = max(acc,0) + slope[oc]*min(acc,0).")
	w.l("TBZ $0, R11, store")
	w.l("VEOR V24.B16, V24.B16, V24.B16")
	w.l("VLD1 (R9), %s", wregs)
	for oc := 0; oc < ocb; oc++ {
		w.word(fmin4s(25, oc, 24))
		w.word(fmax4s(oc, oc, 24))
		w.word(fmlaElem(oc, 25, 16+oc/4, oc%4))
	}

	w.c("Store one vector into each channel's plane.")
	w.label("store")
	w.l("MOVD R0, R17")
	for oc := 0; oc < ocb; oc++ {
		w.l("VST1 [V%d.S4], (R17)", oc)
		if oc < ocb-1 {
			w.l("ADD R1, R17, R17")
		}
	}
	w.l("ADD $16, R0")
	w.l("ADD $16, R2")
	w.l("SUB $1, R10")
	w.l("CBNZ R10, loop")
	w.label("done")
	w.l("RET")
	return w.Bytes()
}
