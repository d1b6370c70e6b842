package main

import "fmt"

// dwPlaneAVX512 writes
//
//	func dw3x3PlaneAVX512(out, in, k *float32, w, rows, ip, op int, bias, slope float32, flags uint)
//
// a 3×3 stride-1 depthwise convolution of rows output rows of width w,
// padded by one zero column on each side: output row y (at out+y·op) is
//
//	out[y][x] = bias + Σ_{ky,kx<3} k[3ky+kx]·in[y+ky][x+kx-1]   (zero outside [0,w))
//	if flags&1 != 0: out = max(out,0) + slope·min(out,0)
//
// with input row i at in+i·ip (the caller supplies the rows above and below,
// zero rows for padding). Rows are processed in pairs, which share two of
// their four input rows, 16 columns at a time: each input row is loaded
// once per block (a zero-masked load for the part of the last block past
// w, which cannot fault), the x-1 and x+1 taps are cut from it and its
// neighbours with VALIGND, and the outputs past w are not stored. So the
// kernel reads and writes exactly the rows' w values, has no scalar border
// columns and no overlapping tail block, whatever w is.
//
// Registers: Z0-Z8 weights, Z9 bias, Z10 zero, Z11 slope; per input row r
// of the pair, Z12+r the previous vector, Z16+r the current one, Z20+r the
// next; Z24, Z25 shifted taps; Z26-Z29 two partial sums per output row.
// DI, R12 output rows; R8-R11 input rows; CX column; DX w; R13 rows left;
// R14 ip and SI op in bytes; AX, BX scratch; K1 valid lanes of the current
// block, K2 of the next.
func dwPlaneAVX512() []byte {
	w := &asm{}
	// dwMask<>[n] has the low n bits set (n = 0…16); dwEvenLanes<> picks
	// lanes 0, 2, …, 14 into the low half (VPERMPS).
	for n := 0; n <= 16; n++ {
		fmt.Fprintf(w, "DATA dwMask<>+%d(SB)/4, $%d\n", 4*n, (1<<n)-1)
	}
	fmt.Fprintf(w, "GLOBL dwMask<>(SB), RODATA|NOPTR, $68\n\n")
	for i := 0; i < 16; i++ {
		fmt.Fprintf(w, "DATA dwEvenLanes<>+%d(SB)/4, $%d\n", 4*i, (2*i)%16)
	}
	fmt.Fprintf(w, "GLOBL dwEvenLanes<>(SB), RODATA|NOPTR, $64\n\n")
	dwPlaneFunc(w, false)
	dwPlaneFunc(w, true)
	return append([]byte(header), w.Bytes()...)
}

// dwPlaneFunc writes dw3x3PlaneAVX512, or with pool dw3x3PlanePoolAVX512:
// the same convolution of an even number of rows, each pair reduced by a
// 2×2 stride-2 max pool before it is stored (out+p·op holds pooled row p,
// w/2 values): the vertical max of the pair's two output vectors, the
// maximum of neighbouring lanes (VPERMILPS), the even lanes packed into the
// low half (VPERMPS, index in Z30) and stored under K4 (eight lanes) or K3
// (the pooled columns left in the row).
func dwPlaneFunc(w *asm, pool bool) {
	name := "dw3x3PlaneAVX512"
	if pool {
		name = "dw3x3PlanePoolAVX512"
	}
	fmt.Fprintf(w, "// func %s(out, in, k *float32, w, rows, ip, op int, bias, slope float32, flags uint)\n", name)
	if pool {
		fmt.Fprintf(w, "//\n// dw3x3PlaneAVX512 followed by a 2×2 stride-2 max pool; rows is even.\n")
	} else {
		fmt.Fprintf(w, "//\n// 3×3 stride-1 depthwise convolution of whole rows, one zero column of\n// padding each side (see dwPlaneFunc).\n")
	}
	fmt.Fprintf(w, "TEXT ·%s(SB), NOSPLIT, $0-72\n", name)
	lbl := func(s string) string {
		if pool {
			return "p" + s
		}
		return s
	}
	w.l("MOVQ out+0(FP), DI")
	w.l("MOVQ in+8(FP), R8")
	w.l("MOVQ k+16(FP), SI")
	w.l("MOVQ w+24(FP), DX")
	w.l("MOVQ rows+32(FP), R13")
	w.l("MOVQ ip+40(FP), R14")
	w.l("SHLQ $2, R14")
	for i := 0; i < 9; i++ {
		w.l("VBROADCASTSS %d(SI), Z%d", 4*i, i)
	}
	w.l("MOVQ op+48(FP), SI")
	w.l("SHLQ $2, SI")
	w.l("VBROADCASTSS bias+56(FP), Z9")
	w.l("VPXORD Z10, Z10, Z10")
	w.l("VBROADCASTSS slope+60(FP), Z11")
	if pool {
		w.l("VMOVUPS dwEvenLanes<>(SB), Z30")
		w.l("MOVL $0xff, AX")
		w.l("KMOVW AX, K4")
	}
	w.l("TESTQ DX, DX")
	w.l("JLE " + lbl("done"))

	// mask sets K to the lanes of the 16 columns from column CX+off that
	// are inside the row: min(max(w-CX-off, 0), 16) low bits.
	mask := func(k string, off int) {
		w.l("MOVQ DX, AX")
		w.l("SUBQ CX, AX")
		if off != 0 {
			w.l("SUBQ $%d, AX", off)
		}
		w.l("XORQ BX, BX")
		w.l("CMPQ AX, BX")
		w.l("CMOVQLT BX, AX")
		w.l("MOVQ $16, BX")
		w.l("CMPQ AX, BX")
		w.l("CMOVQGT BX, AX")
		w.l("LEAQ dwMask<>(SB), BX")
		w.l("MOVL (BX)(AX*4), AX")
		w.l("KMOVW AX, %s", k)
	}
	rowReg := []string{"R8", "R9", "R10", "R11"}
	// block emits one 16-column block of nIn input rows (nIn-2 output
	// rows) at column CX: load the next vectors (masked by K2, computed
	// here, when masked), sum the taps, activate, store (masked by K1),
	// and move the vectors along. Each output row has two chains, one
	// starting from the bias and one from a product, joined at the end.
	block := func(nIn int, masked bool, tag string) {
		nOut := nIn - 2
		if masked {
			mask("K2", 16)
		}
		for r := 0; r < nIn; r++ {
			if masked {
				w.l("VMOVUPS.Z 64(%s)(CX*4), K2, Z%d", rowReg[r], 20+r)
			} else {
				w.l("VMOVUPS 64(%s)(CX*4), Z%d", rowReg[r], 20+r)
			}
		}
		for o := 0; o < nOut; o++ {
			w.l("VMOVAPS Z9, Z%d", 26+o)
		}
		for r := 0; r < nIn; r++ {
			w.l("VALIGND $15, Z%d, Z%d, Z24", 12+r, 16+r)
			w.l("VALIGND $1, Z%d, Z%d, Z25", 16+r, 20+r)
			for o := 0; o < nOut; o++ {
				ky := r - o
				if ky < 0 || ky > 2 {
					continue
				}
				a, b := 26+o, 28+o
				w.l("VFMADD231PS Z24, Z%d, Z%d", 3*ky, a)
				if ky == 0 {
					w.l("VMULPS Z%d, Z%d, Z%d", 16+r, 3*ky+1, b)
				} else {
					w.l("VFMADD231PS Z%d, Z%d, Z%d", 16+r, 3*ky+1, b)
				}
				w.l("VFMADD231PS Z25, Z%d, Z%d", 3*ky+2, a)
			}
		}
		for o := 0; o < nOut; o++ {
			w.l("VADDPS Z%d, Z%d, Z%d", 28+o, 26+o, 26+o)
		}
		w.l("TESTQ $1, flags+64(FP)")
		w.l("JZ " + lbl("store"+tag))
		for o := 0; o < nOut; o++ {
			w.l("VMINPS Z10, Z%d, Z24", 26+o)
			w.l("VMAXPS Z10, Z%d, Z%d", 26+o, 26+o)
			w.l("VFMADD231PS Z11, Z24, Z%d", 26+o)
		}
		w.label(lbl("store" + tag))
		if pool {
			w.l("VMAXPS Z27, Z26, Z26")
			w.l("VPERMILPS $0xb1, Z26, Z24")
			w.l("VMAXPS Z24, Z26, Z26")
			w.l("VPERMPS Z26, Z30, Z26")
			k := "K4"
			if masked {
				// K3: min(max(w/2 - CX/2, 0), 8) pooled columns.
				w.l("MOVQ DX, AX")
				w.l("SHRQ $1, AX")
				w.l("MOVQ CX, BX")
				w.l("SHRQ $1, BX")
				w.l("SUBQ BX, AX")
				w.l("XORQ BX, BX")
				w.l("CMPQ AX, BX")
				w.l("CMOVQLT BX, AX")
				w.l("MOVQ $8, BX")
				w.l("CMPQ AX, BX")
				w.l("CMOVQGT BX, AX")
				w.l("LEAQ dwMask<>(SB), BX")
				w.l("MOVL (BX)(AX*4), AX")
				w.l("KMOVW AX, K3")
				k = "K3"
			}
			w.l("VMOVUPS Z26, %s, (DI)(CX*2)", k)
		} else {
			outs := []string{"DI", "R12"}
			for o := 0; o < nOut; o++ {
				if masked {
					w.l("VMOVUPS Z%d, K1, (%s)(CX*4)", 26+o, outs[o])
				} else {
					w.l("VMOVUPS Z%d, (%s)(CX*4)", 26+o, outs[o])
				}
			}
		}
		for r := 0; r < nIn; r++ {
			w.l("VMOVAPS Z%d, Z%d", 16+r, 12+r)
			w.l("VMOVAPS Z%d, Z%d", 20+r, 16+r)
		}
		if masked {
			w.l("KMOVW K2, K1")
		}
		w.l("ADDQ $16, CX")
	}
	// pass emits the loop over the columns of nIn input rows producing
	// nIn-2 output rows; label names are suffixed with tag. Blocks whose
	// next vector lies wholly inside the row run without masks; the last
	// one or two blocks of the row use them.
	pass := func(nIn int, tag string) {
		for r := 1; r < nIn; r++ {
			w.l("LEAQ (%s)(R14*1), %s", rowReg[r-1], rowReg[r])
		}
		if nIn == 4 && !pool {
			w.l("LEAQ (DI)(SI*1), R12")
		}
		w.l("XORQ CX, CX")
		mask("K1", 0)
		for r := 0; r < nIn; r++ {
			w.l("VPXORD Z%d, Z%d, Z%d", 12+r, 12+r, 12+r)
			w.l("VMOVUPS.Z (%s), K1, Z%d", rowReg[r], 16+r)
		}
		w.label(lbl("full" + tag))
		w.l("LEAQ 32(CX), AX")
		w.l("CMPQ AX, DX")
		w.l("JGT " + lbl("tail"+tag))
		block(nIn, false, "f"+tag)
		w.l("JMP " + lbl("full"+tag))
		w.label(lbl("tail" + tag))
		w.l("CMPQ CX, DX")
		w.l("JGE " + lbl("end"+tag))
		mask("K1", 0)
		w.label(lbl("cols" + tag))
		block(nIn, true, "m"+tag)
		w.l("CMPQ CX, DX")
		w.l("JLT " + lbl("cols"+tag))
		w.label(lbl("end" + tag))
	}

	w.label(lbl("pairs"))
	w.l("CMPQ R13, $2")
	w.l("JLT " + lbl("single"))
	pass(4, "2")
	w.l("LEAQ (R8)(R14*2), R8")
	if pool {
		w.l("ADDQ SI, DI")
	} else {
		w.l("LEAQ (DI)(SI*2), DI")
	}
	w.l("SUBQ $2, R13")
	w.l("JMP " + lbl("pairs"))
	w.label(lbl("single"))
	if !pool {
		w.l("TESTQ R13, R13")
		w.l("JZ done")
		pass(3, "1")
	}
	w.label(lbl("done"))
	w.l("VZEROUPPER")
	w.l("RET")
	w.WriteString("\n")
}
