package imageio

import "image"

// YCbCr → RGB the way libjpeg(-turbo) does it, because the reference
// pipeline (OpenCV's imread, which produced the golden detector inputs)
// decodes JPEGs with libjpeg-turbo:
//
//   - the colour conversion uses libjpeg's fixed-point tables (jdcolor.c,
//     16 fractional bits, rounding built into the tables);
//   - 4:2:0 and 4:2:2 chroma is upsampled with libjpeg's "fancy" triangular
//     filter (jdsample.c h2v2_fancy_upsample / h2v1_fancy_upsample) instead
//     of the pixel replication Go's image/color uses. Other subsampling
//     ratios are replicated (nearest neighbour).
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

// ycbcrToRGB converts s into m.Pix (same size). When a is non-nil, s is its
// YCbCr part and its non-premultiplied alpha is composited onto white.
func ycbcrToRGB(m *Image, s *image.YCbCr, a *image.NYCbCrA) {
	b := s.Rect
	w, h := m.W, m.H
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
	var cbUp, crUp []uint8
	if fancy {
		cbUp = make([]uint8, 2*cw)
		crUp = make([]uint8, 2*cw)
	}
	for y := range h {
		yRow := s.Y[s.YOffset(b.Min.X, b.Min.Y+y):][:w]
		dst := m.Pix[3*w*y:][:3*w]
		var cbRow, crRow []uint8
		if fancy {
			cy := (b.Min.Y+y)>>vs - cy0
			cbRow, crRow = cbUp[:w], crUp[:w]
			if vs == 1 {
				// The nearer neighbouring chroma row: above for even
				// rows, below for odd ones; replicated at the edges.
				ny := cy - 1
				if (b.Min.Y+y)&1 == 1 {
					ny = cy + 1
				}
				ny = max(0, min(ny, ch-1))
				upsampleH2V2(cbUp, chromaRow(s.Cb, s, cy, cw), chromaRow(s.Cb, s, ny, cw))
				upsampleH2V2(crUp, chromaRow(s.Cr, s, cy, cw), chromaRow(s.Cr, s, ny, cw))
			} else {
				upsampleH2V1(cbUp, chromaRow(s.Cb, s, cy, cw))
				upsampleH2V1(crUp, chromaRow(s.Cr, s, cy, cw))
			}
		}
		var aRow []uint8
		if a != nil {
			aRow = a.A[a.AOffset(b.Min.X, b.Min.Y+y):][:w]
		}
		for x := range w {
			var cb, cr uint8
			if fancy {
				cb, cr = cbRow[x], crRow[x]
			} else {
				ci := s.COffset(b.Min.X+x, b.Min.Y+y)
				cb, cr = s.Cb[ci], s.Cr[ci]
			}
			yy := int32(yRow[x])
			r := clamp8(yy + crR[cr])
			g := clamp8(yy + (cbG[cb]+crG[cr])>>ycbcrScaleBits)
			bl := clamp8(yy + cbB[cb])
			if aRow != nil {
				r, g, bl = overWhite(r, g, bl, aRow[x])
			}
			dst[3*x], dst[3*x+1], dst[3*x+2] = r, g, bl
		}
	}
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
