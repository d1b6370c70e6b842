package imageio

import (
	"image"
	"image/color"
)

// FromImage converts any image.Image to 8-bit RGB (orientation 1, Format
// empty). Alpha is composited onto white. 16-bit samples keep their high
// byte, as OpenCV does when it reads a 16-bit PNG as 8-bit colour.
//
// The concrete types Go's decoders return (YCbCr, NYCbCrA, Gray, Gray16,
// RGBA, RGBA64, NRGBA, NRGBA64, CMYK, Paletted) are converted by direct loops
// over their pixel slices; anything else goes through the color.Model
// interface one pixel at a time.
func FromImage(src image.Image) *Image {
	return fromImage(src, false, 1)
}

// fromImage is FromImage, also turning the image upright for EXIF
// orientation o as it goes. studio says that YCbCr images hold
// limited-range ("studio swing", Y 16..235) BT.601 values, as VP8 does,
// rather than the full-range JFIF values image.YCbCr is defined with.
func fromImage(src image.Image, studio bool, o int) *Image {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	out := newOrienter(w, h, o)
	if w == 0 || h == 0 {
		return out.finish()
	}
	switch s := src.(type) {
	case *image.YCbCr:
		ycbcrToRGB(out, s, nil, studio)
	case *image.NYCbCrA:
		ycbcrToRGB(out, &s.YCbCr, s, studio)
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			dst := out.row(y)
			for x, v := range row {
				dst[3*x], dst[3*x+1], dst[3*x+2] = v, v, v
			}
		}
	case *image.Gray16:
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:2*w]
			dst := out.row(y)
			for x := range w {
				v := row[2*x]
				dst[3*x], dst[3*x+1], dst[3*x+2] = v, v, v
			}
		}
	case *image.RGBA:
		// Premultiplied: over white, out = c + (255 - a).
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			dst := out.row(y)
			for x := range w {
				p := row[4*x : 4*x+4 : 4*x+4]
				k := 255 - p[3]
				dst[3*x] = sat(int(p[0]) + int(k))
				dst[3*x+1] = sat(int(p[1]) + int(k))
				dst[3*x+2] = sat(int(p[2]) + int(k))
			}
		}
	case *image.RGBA64:
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:8*w]
			dst := out.row(y)
			for x := range w {
				p := row[8*x : 8*x+8 : 8*x+8]
				k := 255 - p[6]
				dst[3*x] = sat(int(p[0]) + int(k))
				dst[3*x+1] = sat(int(p[2]) + int(k))
				dst[3*x+2] = sat(int(p[4]) + int(k))
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			dst := out.row(y)
			for x := range w {
				p := row[4*x : 4*x+4 : 4*x+4]
				dst[3*x], dst[3*x+1], dst[3*x+2] = overWhite(p[0], p[1], p[2], p[3])
			}
		}
	case *image.NRGBA64:
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:8*w]
			dst := out.row(y)
			for x := range w {
				p := row[8*x : 8*x+8 : 8*x+8]
				dst[3*x], dst[3*x+1], dst[3*x+2] = overWhite(p[0], p[2], p[4], p[6])
			}
		}
	case *image.CMYK:
		// Go's JPEG decoder has already undone Adobe's inverted storage;
		// this is color.CMYKToRGB: 255·(1-c)(1-k).
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			dst := out.row(y)
			for x := range w {
				p := row[4*x : 4*x+4 : 4*x+4]
				k := 255 - uint32(p[3])
				dst[3*x] = uint8((255 - uint32(p[0])) * k / 255)
				dst[3*x+1] = uint8((255 - uint32(p[1])) * k / 255)
				dst[3*x+2] = uint8((255 - uint32(p[2])) * k / 255)
			}
		}
	case *image.Paletted:
		var pal [256][3]uint8
		for i := range pal {
			if i < len(s.Palette) && s.Palette[i] != nil {
				pal[i] = rgbOverWhite(s.Palette[i])
			} // Out-of-range indices read as black, like color.Palette.
		}
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			dst := out.row(y)
			for x, v := range row {
				p := pal[v]
				dst[3*x], dst[3*x+1], dst[3*x+2] = p[0], p[1], p[2]
			}
		}
	default:
		for y := range h {
			dst := out.row(y)
			for x := range w {
				p := rgbOverWhite(src.At(b.Min.X+x, b.Min.Y+y))
				dst[3*x], dst[3*x+1], dst[3*x+2] = p[0], p[1], p[2]
			}
		}
	}
	return out.finish()
}

// rgbOverWhite composites one colour onto white, 8 bits per channel.
func rgbOverWhite(c color.Color) [3]uint8 {
	r, g, b, a := c.RGBA() // premultiplied, 16 bits
	k := 0xffff - a
	return [3]uint8{uint8((r + k) >> 8), uint8((g + k) >> 8), uint8((b + k) >> 8)}
}

// overWhite composites a non-premultiplied colour onto white:
// c·a/255 + 255·(1 - a/255), rounded.
func overWhite(r, g, b, a uint8) (uint8, uint8, uint8) {
	if a == 255 {
		return r, g, b
	}
	k := 255 * (255 - uint32(a))
	return div255(uint32(r)*uint32(a) + k), div255(uint32(g)*uint32(a) + k), div255(uint32(b)*uint32(a) + k)
}

// div255 is round(v/255) for v <= 255*255.
func div255(v uint32) uint8 {
	v += 128
	return uint8((v + v>>8) >> 8)
}

func sat(v int) uint8 {
	if v > 255 {
		return 255
	}
	return uint8(v)
}
