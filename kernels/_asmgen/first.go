package main

import (
	"fmt"
	"log"
)

// firstArgFrame is the first-layer block kernels' argument frame.
const firstArgFrame = "$0-112"

// firstKernels writes the direct 3×3 stride-2 convolution block kernels
// for one x86 level, OCB output channels × W outputs per block: 8×32 for
// AVX-512 and 4×24 for AVX2, and a one-vector form of each (8×16, 4×8,
// suffix N) for rows narrower than W:
//
//	func firstConv<ISA>[N](out *float32, ldo int, in *float32, pitch, half, cstride, cin int, w, bias, slope *float32, blocks int, flags uint, pf *float32, pfStride int)
//
// The input rows are phase-split: for input channel ci and tap row ky,
// E = in[ci·cstride + ky·pitch:] holds the even columns of the padded row
// and O = E[half:] the odd ones, so output x reads E[x], O[x], E[x+1] for
// taps kx = 0, 1, 2. For output channel oc < OCB and x < blocks·W:
//
//	acc = bias[oc] + Σ_{ci<cin, ky<3} w[(3ci+ky)·3·OCB + oc]·E[x] + w[((3ci+ky)·3+1)·OCB + oc]·O[x] + w[((3ci+ky)·3+2)·OCB + oc]·E[x+1]
//	if flags&1 != 0: acc = max(acc,0) + slope[oc]·min(acc,0)
//	if flags&2 != 0: acc = max(acc,0)
//	out[oc·ldo + x] = acc
//
// Strides are in floats. When pf is not nil, each block also prefetches
// W·16 bytes at pf + ci·pfStride for ci < cin, then advances pf by as
// much: the caller points it at raw input rows it will split later. Every
// block also prefetches the output it will store two blocks later, so
// the stores (a new line of each of OCB planes per vector) do not wait.
//
// Per tap, a block loads its W/vector-width tap vectors and multiplies
// them by each channel's weight, broadcast into a register, so one
// broadcast feeds several FMAs: with every FMA broadcasting its own weight
// from memory (AVX-512 embedded broadcast, 16×16 blocks) the loads held
// the kernel to 85% of the FMA peak, here it runs at 95-98%.
//
// Registers: DI out, BX ldo in bytes, SI the block's first input, R8 pitch
// in bytes, R9 half in bytes, R10 cstride in bytes, CX blocks, R14 pf; per
// block AX walks the weights, DX counts channels, R11 and R12 point at the
// channel's and the row's taps, R13 is a temporary.
func firstKernels(avx512 bool) []byte {
	w := &asm{}
	w.WriteString(header)
	if avx512 {
		firstKernel(w, "firstConvAVX512", true, 8, 2)
		firstKernel(w, "firstConvAVX512N", true, 8, 1)
	} else {
		firstKernel(w, "firstConvAVX2", false, 4, 3)
		firstKernel(w, "firstConvAVX2N", false, 4, 1)
	}
	return w.Bytes()
}

// firstKernel writes one block kernel of ocb channels × nv vectors.
// Accumulators come first in the register file, then the nv tap vectors,
// then the broadcast weights in rotation.
func firstKernel(w *asm, name string, avx512 bool, ocb, nv int) {
	vr, vw, nregs := "Y", 8, 16
	if avx512 {
		vr, vw, nregs = "Z", 16, 32
	}
	width := vw * nv
	v := func(i int) string { return fmt.Sprintf("%s%d", vr, i) }
	acc := func(oc, j int) string { return v(oc*nv + j) }
	tap := func(j int) string { return v(ocb*nv + j) }
	bc0 := ocb*nv + nv // first broadcast register
	nb := nregs - bc0
	if nb < 1 || nv+nb < 3 {
		log.Fatalf("%s: %d×%d does not fit the register file", name, ocb, width)
	}
	vb := vw * 4
	fmt.Fprintf(w, "// func %s(out *float32, ldo int, in *float32, pitch, half, cstride, cin int, w, bias, slope *float32, blocks int, flags uint, pf *float32, pfStride int)\n", name)
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
	w.l("MOVQ pf+96(FP), R14")
	w.l("SHLQ $2, BX")
	w.l("SHLQ $2, R8")
	w.l("SHLQ $2, R9")
	w.l("SHLQ $2, R10")
	w.l("TESTQ CX, CX")
	w.l("JZ %s_done", name)
	w.label(name + "_loop")
	w.l("TESTQ R14, R14")
	w.l("JZ %s_compute", name)
	w.l("MOVQ pfStride+104(FP), R12")
	w.l("SHLQ $2, R12")
	w.l("MOVQ R14, R11")
	w.l("MOVQ cin+48(FP), DX")
	w.label(name + "_prefetch")
	for off := 0; off < 16*width; off += 64 {
		w.l("PREFETCHT0 %d(R11)", off)
	}
	w.l("ADDQ R12, R11")
	w.l("DECQ DX")
	w.l("JNZ %s_prefetch", name)
	w.l("ADDQ $%d, R14", 16*width)
	w.label(name + "_compute")
	w.l("LEAQ %d(DI), R13", 2*nv*vb)
	for oc := 0; oc < ocb; oc++ {
		for off := 0; off < nv*vb; off += 64 {
			w.l("PREFETCHT0 %d(R13)", off)
		}
		if oc < ocb-1 {
			w.l("ADDQ BX, R13")
		}
	}
	w.l("MOVQ bias+64(FP), R13")
	for oc := 0; oc < ocb; oc++ {
		w.l("VBROADCASTSS %d(R13), %s", 4*oc, acc(oc, 0))
		for j := 1; j < nv; j++ {
			w.l("VMOVAPS %s, %s", acc(oc, 0), acc(oc, j))
		}
	}
	w.l("MOVQ w+56(FP), AX")
	w.l("MOVQ cin+48(FP), DX")
	w.l("MOVQ SI, R11")
	w.label(name + "_chan")
	w.l("MOVQ R11, R12")
	bc := 0 // rotating broadcast registers
	for ky := 0; ky < 3; ky++ {
		for kx := 0; kx < 3; kx++ {
			for j := 0; j < nv; j++ {
				addr := [3]string{"%d(R12)", "%d(R12)(R9*1)", "%d(R12)"}[kx]
				w.l("VMOVUPS "+addr+", %s", j*vb+4*(kx/2), tap(j))
			}
			for oc := 0; oc < ocb; oc++ {
				off := ((ky*3+kx)*ocb + oc) * 4
				b := v(bc0 + bc)
				bc = (bc + 1) % nb
				w.l("VBROADCASTSS %d(AX), %s", off, b)
				for j := 0; j < nv; j++ {
					w.l("VFMADD231PS %s, %s, %s", tap(j), b, acc(oc, j))
				}
			}
		}
		if ky < 2 {
			w.l("ADDQ R8, R12")
		}
	}
	w.l("ADDQ $%d, AX", 9*ocb*4)
	w.l("ADDQ R10, R11")
	w.l("DECQ DX")
	w.l("JNZ %s_chan", name)

	w.c("Activation: acc = max(acc,0) + slope[oc]*min(acc,0), or max(acc,0) alone.")
	w.l("MOVQ flags+88(FP), R13")
	zero, tmp, sl := v(ocb*nv), v(ocb*nv+1), v(ocb*nv+2) // taps and broadcasts are free
	if avx512 {
		w.l("VPXORD %s, %s, %s", zero, zero, zero)
	} else {
		w.l("VXORPS %s, %s, %s", zero, zero, zero)
	}
	w.l("TESTQ $2, R13")
	w.l("JZ %s_prelu", name)
	for oc := 0; oc < ocb; oc++ {
		for j := 0; j < nv; j++ {
			w.l("VMAXPS %s, %s, %s", zero, acc(oc, j), acc(oc, j))
		}
	}
	w.l("JMP %s_store", name)
	w.label(name + "_prelu")
	w.l("TESTQ $1, R13")
	w.l("JZ %s_store", name)
	w.l("MOVQ slope+72(FP), R13")
	for oc := 0; oc < ocb; oc++ {
		w.l("VBROADCASTSS %d(R13), %s", 4*oc, sl)
		for j := 0; j < nv; j++ {
			w.l("VMINPS %s, %s, %s", zero, acc(oc, j), tmp)
			w.l("VMAXPS %s, %s, %s", zero, acc(oc, j), acc(oc, j))
			w.l("VFMADD231PS %s, %s, %s", sl, tmp, acc(oc, j))
		}
	}

	w.c("Store the block's vectors into each channel's plane.")
	w.label(name + "_store")
	w.l("MOVQ DI, R13")
	for oc := 0; oc < ocb; oc++ {
		for j := 0; j < nv; j++ {
			w.l("VMOVUPS %s, %d(R13)", acc(oc, j), j*vb)
		}
		if oc < ocb-1 {
			w.l("ADDQ BX, R13")
		}
	}
	w.l("ADDQ $%d, DI", nv*vb)
	w.l("ADDQ $%d, SI", nv*vb)
	w.l("DECQ CX")
	w.l("JNZ %s_loop", name)
	w.label(name + "_done")
	w.l("VZEROUPPER")
	w.l("RET")
	w.WriteString("\n")
}

// neonFirst writes the NEON form of firstKernels: 16 output channels × 4
// outputs per block. Registers: R0 out, R1 ldo in bytes, R2 the block's
// first input, R3 pitch, R4 half, R5 cstride (bytes), R6 cin, R7 w, R8
// bias, R9 slope, R10 blocks, R11 flags; per block R12 walks the weights,
// R13 counts channels, R14 and R15 point at the channel's and the row's
// taps, R16 and R17 are temporaries, R19 is pf and R20 pfStride in bytes. V0-V15 are the accumulators, V16-V19
// the 16 weights of one tap (used by element), V24-V26 the three taps.
func neonFirst() []byte {
	const ocb = 16
	w := &asm{}
	w.WriteString(header)
	name := "firstConvNEON"
	wregs := "[V16.S4, V17.S4, V18.S4, V19.S4]"
	fmt.Fprintf(w, "// func %s(out *float32, ldo int, in *float32, pitch, half, cstride, cin int, w, bias, slope *float32, blocks int, flags uint, pf *float32, pfStride int)\n", name)
	fmt.Fprintf(w, "//\n// Direct 3×3 stride-2 convolution on phase-split rows, 16 output channels ×\n")
	fmt.Fprintf(w, "// 4 outputs per block (see firstBlockFunc); FMLA by element is WORD-encoded.\n")
	fmt.Fprintf(w, "TEXT ·%s(SB), NOSPLIT, %s\n", name, firstArgFrame)
	for i, arg := range []string{"out+0", "ldo+8", "in+16", "pitch+24", "half+32", "cstride+40", "cin+48", "w+56", "bias+64", "slope+72", "blocks+80", "flags+88"} {
		w.l("MOVD %s(FP), R%d", arg, i)
	}
	w.l("MOVD pf+96(FP), R19")
	w.l("MOVD pfStride+104(FP), R20")
	for _, r := range []int{1, 3, 4, 5, 20} {
		w.l("LSL $2, R%d", r)
	}
	w.l("CBZ R10, done")
	w.label("loop")
	w.l("CBZ R19, compute")
	w.l("MOVD R19, R16")
	w.l("MOVD R6, R13")
	w.label("prefetch")
	w.l("PRFM (R16), PLDL1KEEP")
	w.l("ADD R20, R16, R16")
	w.l("SUB $1, R13")
	w.l("CBNZ R13, prefetch")
	w.l("ADD $64, R19")
	w.label("compute")
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

	w.c("Activation: acc = max(acc,0) + slope[oc]*min(acc,0), or max(acc,0) alone.")
	w.l("VEOR V24.B16, V24.B16, V24.B16")
	w.l("TBZ $1, R11, prelu")
	for oc := 0; oc < ocb; oc++ {
		w.word(fmax4s(oc, oc, 24))
	}
	w.l("B store")
	w.label("prelu")
	w.l("TBZ $0, R11, store")
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
