package imageio

import "image"

// YCbCr → RGB the way libjpeg(-turbo) does it, because the reference
// pipeline (OpenCV's imread, which produced the golden detector inputs)
// decodes JPEGs with libjpeg-turbo:
//
//   - the colour conversion uses libjpeg's fixed-point tables (jdcolor.c,
//     16 fractional bits, rounding built into the tables);
//   - 4:2:0, 4:2:2 and 4:4:0 chroma is upsampled with libjpeg's "fancy"
//     triangular filter (jdsample.c h2v2_, h2v1_ and h1v2_fancy_upsample)
//     instead of the pixel replication Go's image/color uses. 4:1:1 and
//     4:1:0 chroma is replicated (nearest neighbour).
//
// What remains different is the IDCT (Go's versus libjpeg's islow), worth a
// level or so per sample.

const ycbcrScaleBits = 16

var (
	crR [256]int32 // R = Y + crR[Cr]
	cbB [256]int32 // B = Y + cbB[Cb]
	crG [256]int32 // G = Y + (cbG[Cb] + crG[Cr]) >> 16
	cbG [256]int32
)

func init() {
	fix := func(x float64) int32 { return int32(x*(1<<ycbcrScaleBits) + 0.5) }
	const half = 1 << (ycbcrScaleBits - 1)
	for i := range 256 {
		x := int32(i - 128)
		crR[i] = (fix(1.40200)*x + half) >> ycbcrScaleBits
		cbB[i] = (fix(1.77200)*x + half) >> ycbcrScaleBits
		crG[i] = -fix(0.71414)*x + half
		cbG[i] = -fix(0.34414) * x
	}
}

func clamp8(v int32) uint8 {
	if uint32(v) <= 255 {
		return uint8(v)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// ycbcrToRGB converts s row by row into out. When a is non-nil, s is its
// YCbCr part and its non-premultiplied alpha is composited onto white.
// studio selects VP8's limited-range conversion instead of JFIF's.
func ycbcrToRGB(out *orienter, s *image.YCbCr, a *image.NYCbCrA, studio bool) {
	b := s.Rect
	w, h := b.Dx(), b.Dy()
	// Horizontal and vertical chroma shifts.
	var hs, vs uint
	switch s.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 1
	case image.YCbCrSubsampleRatio420:
		hs, vs = 1, 1
	case image.YCbCrSubsampleRatio440:
		vs = 1
	case image.YCbCrSubsampleRatio411:
		hs = 2
	case image.YCbCrSubsampleRatio410:
		hs, vs = 2, 1
	}
	// Chroma plane size within the bounds, as image.NewYCbCr computes it.
	cx0, cy0 := b.Min.X>>hs, b.Min.Y>>vs
	cw := ((b.Max.X + (1 << hs) - 1) >> hs) - cx0
	ch := ((b.Max.Y + (1 << vs) - 1) >> vs) - cy0
	fancy := hs == 1 && cw >= 2 && b.Min.X%2 == 0 && b.Min.Y%2 == 0
	fancyV := hs == 0 && vs == 1 && b.Min.Y%2 == 0 // 4:4:0
	// Chroma for the current output row, one sample per pixel (fancy
	// upsampling writes up to 2*cw = w+1 samples).
	cbRow := make([]uint8, w+1)
	crRow := make([]uint8, w+1)
	convert := jfifRow
	if studio {
		convert = vp8Row
	}
	for y := range h {
		yRow := s.Y[s.YOffset(b.Min.X, b.Min.Y+y):][:w]
		dst := out.row(y)
		cy := (b.Min.Y+y)>>vs - cy0
		switch {
		case fancy && vs == 1:
			// The nearer neighbouring chroma row: above for even rows,
			// below for odd ones; replicated at the edges.
			ny := cy - 1
			if (b.Min.Y+y)&1 == 1 {
				ny = cy + 1
			}
			ny = max(0, min(ny, ch-1))
			upsampleH2V2(cbRow, chromaRow(s.Cb, s, cy, cw), chromaRow(s.Cb, s, ny, cw))
			upsampleH2V2(crRow, chromaRow(s.Cr, s, cy, cw), chromaRow(s.Cr, s, ny, cw))
		case fancy:
			upsampleH2V1(cbRow, chromaRow(s.Cb, s, cy, cw))
			upsampleH2V1(crRow, chromaRow(s.Cr, s, cy, cw))
		case fancyV:
			ny, bias := cy-1, int32(1)
			if (b.Min.Y+y)&1 == 1 {
				ny, bias = cy+1, 2
			}
			ny = max(0, min(ny, ch-1))
			upsampleH1V2(cbRow, chromaRow(s.Cb, s, cy, cw), chromaRow(s.Cb, s, ny, cw), bias)
			upsampleH1V2(crRow, chromaRow(s.Cr, s, cy, cw), chromaRow(s.Cr, s, ny, cw), bias)
		default:
			for x := range w {
				ci := s.COffset(b.Min.X+x, b.Min.Y+y)
				cbRow[x], crRow[x] = s.Cb[ci], s.Cr[ci]
			}
		}
		convert(dst, yRow, cbRow[:w], crRow[:w])
		if a != nil {
			aRow := a.A[a.AOffset(b.Min.X, b.Min.Y+y):][:w]
			for x, av := range aRow {
				p := dst[3*x : 3*x+3 : 3*x+3]
				p[0], p[1], p[2] = overWhite(p[0], p[1], p[2], av)
			}
		}
	}
}

// jfifRow converts one row of full-range (JFIF) YCbCr with libjpeg's
// tables.
func jfifRow(dst, yRow, cbRow, crRow []uint8) {
	dst = dst[:3*len(yRow)]
	cbRow, crRow = cbRow[:len(yRow)], crRow[:len(yRow)]
	for x, yv := range yRow {
		yy := int32(yv)
		cb, cr := cbRow[x], crRow[x]
		p := dst[3*x : 3*x+3 : 3*x+3]
		p[0] = clamp8(yy + crR[cr])
		p[1] = clamp8(yy + (cbG[cb]+crG[cr])>>ycbcrScaleBits)
		p[2] = clamp8(yy + cbB[cb])
	}
}

// vp8Row converts one row of limited-range BT.601 YCbCr (VP8) the way
// libwebp does (dsp/yuv.h: 14-bit constants, 6 fractional bits kept):
// R = 1.164(Y-16) + 1.596(V-128), G = 1.164(Y-16) - 0.391(U-128) -
// 0.813(V-128), B = 1.164(Y-16) + 2.018(U-128).
func vp8Row(dst, yRow, cbRow, crRow []uint8) {
	dst = dst[:3*len(yRow)]
	cbRow, crRow = cbRow[:len(yRow)], crRow[:len(yRow)]
	for x, yv := range yRow {
		yy := int32(yv) * 19077 >> 8
		u, v := int32(cbRow[x]), int32(crRow[x])
		p := dst[3*x : 3*x+3 : 3*x+3]
		p[0] = clip8vp8(yy + v*26149>>8 - 14234)
		p[1] = clip8vp8(yy - u*6419>>8 - v*13320>>8 + 8708)
		p[2] = clip8vp8(yy + u*33050>>8 - 17685)
	}
}

func clip8vp8(v int32) uint8 {
	if uint32(v) < 256<<6 {
		return uint8(v >> 6)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// chromaRow returns chroma row cy (relative to the plane's bounds) of the
// given plane, cw samples long.
func chromaRow(plane []uint8, s *image.YCbCr, cy, cw int) []uint8 {
	return plane[cy*s.CStride:][:cw]
}

// upsampleH2V1 doubles a chroma row horizontally with libjpeg's triangular
// filter: each output is ¾ of the nearer input and ¼ of the next nearest.
// dst has room for 2*len(in) samples (len(in) >= 2).
func upsampleH2V1(dst, in []uint8) {
	n := len(in)
	v := int32(in[0])
	dst[0] = uint8(v)
	dst[1] = uint8((v*3 + int32(in[1]) + 2) >> 2)
	for i := 1; i < n-1; i++ {
		v := int32(in[i]) * 3
		dst[2*i] = uint8((v + int32(in[i-1]) + 1) >> 2)
		dst[2*i+1] = uint8((v + int32(in[i+1]) + 2) >> 2)
	}
	v = int32(in[n-1])
	dst[2*n-2] = uint8((v*3 + int32(in[n-2]) + 1) >> 2)
	dst[2*n-1] = uint8(v)
}

// upsampleH2V2 produces one output row of libjpeg's 2x2 triangular filter
// from the nearest chroma row (in0) and the next nearest one (in1):
// vertically ¾·in0 + ¼·in1, then horizontally as in upsampleH2V1, with
// libjpeg's alternating rounding. dst has room for 2*len(in0) samples.
func upsampleH2V2(dst, in0, in1 []uint8) {
	n := len(in0)
	in1 = in1[:n]
	this := int32(in0[0])*3 + int32(in1[0])
	next := int32(in0[1])*3 + int32(in1[1])
	dst[0] = uint8((this*4 + 8) >> 4)
	dst[1] = uint8((this*3 + next + 7) >> 4)
	last := this
	this = next
	for i := 1; i < n-1; i++ {
		next = int32(in0[i+1])*3 + int32(in1[i+1])
		dst[2*i] = uint8((this*3 + last + 8) >> 4)
		dst[2*i+1] = uint8((this*3 + next + 7) >> 4)
		last = this
		this = next
	}
	dst[2*n-2] = uint8((this*3 + last + 8) >> 4)
	dst[2*n-1] = uint8((this*4 + 7) >> 4)
}

// upsampleH1V2 produces one output row of libjpeg's vertical triangular
// filter: ¾ of the nearest chroma row, ¼ of the next nearest, with the
// rounding bias libjpeg alternates between upper (1) and lower (2) rows.
func upsampleH1V2(dst, in0, in1 []uint8, bias int32) {
	in1 = in1[:len(in0)]
	dst = dst[:len(in0)]
	for i, v := range in0 {
		dst[i] = uint8((int32(v)*3 + int32(in1[i]) + bias) >> 2)
	}
}
