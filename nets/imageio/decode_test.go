package imageio

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"golang.org/x/image/bmp"
)

// readPPM reads a binary 8-bit PPM (P6), the reference decodes in testdata.
func readPPM(t *testing.T, path string) *Image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fields []int
	i := 2
	if !bytes.HasPrefix(b, []byte("P6")) {
		t.Fatalf("%s: not P6", path)
	}
	for len(fields) < 3 {
		for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
			i++
		}
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		v, err := strconv.Atoi(string(b[i:j]))
		if err != nil {
			t.Fatalf("%s: bad header: %v", path, err)
		}
		fields = append(fields, v)
		i = j
	}
	i++ // single whitespace after maxval
	w, h := fields[0], fields[1]
	if fields[2] != 255 || len(b)-i != 3*w*h {
		t.Fatalf("%s: unsupported PPM (maxval %d, %d data bytes for %dx%d)", path, fields[2], len(b)-i, w, h)
	}
	return &Image{W: w, H: h, Pix: b[i:]}
}

// diff compares two images of equal size: mean and max absolute difference
// per sample.
func diff(t *testing.T, got, want *Image) (mean float64, maxd int) {
	t.Helper()
	if got.W != want.W || got.H != want.H {
		t.Fatalf("size %dx%d, want %dx%d", got.W, got.H, want.W, want.H)
	}
	sum := 0
	for i := range got.Pix {
		d := int(got.Pix[i]) - int(want.Pix[i])
		if d < 0 {
			d = -d
		}
		sum += d
		maxd = max(maxd, d)
	}
	return float64(sum) / float64(len(got.Pix)), maxd
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReferenceDecoders compares Decode with independent decoders on small
// files made by testdata/gen.sh: libjpeg-turbo (djpeg, default settings,
// as OpenCV uses it), ImageMagick for CMYK, libwebp (dwebp).
func TestReferenceDecoders(t *testing.T) {
	tests := []struct {
		file, ref string
		format    string
		// Bounds on mean and max absolute difference per sample.
		mean float64
		max  int
	}{
		// libjpeg-turbo: the same colour tables and chroma filters, only
		// the IDCT differs (nearest-neighbour chroma gave max 10-40).
		{"s1x1.jpg", "s1x1.jpg.ppm", "jpeg", 0.2, 3},
		{"s2x1.jpg", "s2x1.jpg.ppm", "jpeg", 0.2, 3},
		{"s2x2.jpg", "s2x2.jpg.ppm", "jpeg", 0.2, 3},
		{"s1x2.jpg", "s1x2.jpg.ppm", "jpeg", 0.2, 3},
		{"prog.jpg", "prog.jpg.ppm", "jpeg", 0.2, 3},
		// YCCK (Adobe transform 2) JPEG; ImageMagick converts CMYK to
		// RGB with the same naive formula.
		{"cmyk.jpg", "cmyk.jpg.ppm", "jpeg", 0.2, 3},
		// libwebp: same colour constants, but its fancy upsampler rounds
		// differently from libjpeg's.
		{"lossy.webp", "lossy.webp.ppm", "webp", 0.2, 4},
		// Lossless must be exact against the source pixels.
		{"lossless.webp", "src.ppm", "webp", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			img, err := Decode(readTestdata(t, tc.file), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if img.Format != tc.format || img.Orientation != 1 {
				t.Errorf("format %q orientation %d", img.Format, img.Orientation)
			}
			mean, maxd := diff(t, img, readPPM(t, filepath.Join("testdata", tc.ref)))
			t.Logf("mean |diff| %.3f, max %d", mean, maxd)
			if mean > tc.mean || maxd > tc.max {
				t.Errorf("mean %.3f max %d, want <= %.3f, <= %d", mean, maxd, tc.mean, tc.max)
			}
		})
	}
}

// TestWebPAlpha: lossy WebP with an ALPH chunk; the left half is fully
// transparent and must come out white, the right half opaque and close to
// the source.
func TestWebPAlpha(t *testing.T) {
	img, err := Decode(readTestdata(t, "alpha.webp"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	src := readPPM(t, filepath.Join("testdata", "src.ppm"))
	for y := range img.H {
		for x := range img.W {
			r, g, b := img.At(x, y)
			if 2*x < img.W-1 {
				if r != 255 || g != 255 || b != 255 {
					t.Fatalf("transparent pixel (%d,%d) = %d,%d,%d, want white", x, y, r, g, b)
				}
			} else if 2*x > img.W+1 {
				sr, sg, sb := src.At(x, y)
				if absDiff(r, sr) > 40 || absDiff(g, sg) > 40 || absDiff(b, sb) > 40 {
					t.Fatalf("opaque pixel (%d,%d) = %d,%d,%d, source %d,%d,%d", x, y, r, g, b, sr, sg, sb)
				}
			}
		}
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// blocks is a test pattern of 3x2 blocks of distinct saturated colours,
// each bs pixels square, so it survives JPEG and every orientation gives a
// different arrangement.
var blockColors = [2][3]color.NRGBA{
	{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}},
	{{255, 255, 0, 255}, {0, 255, 255, 255}, {255, 0, 255, 255}},
}

const bs = 16

func blocksImage() *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, 3*bs, 2*bs))
	for y := range 2 * bs {
		for x := range 3 * bs {
			m.SetNRGBA(x, y, blockColors[y/bs][x/bs])
		}
	}
	return m
}

func encodeJPEG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodePNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// tiffOrientation builds a TIFF structure whose IFD0 holds an Orientation
// entry of the given type (3 SHORT, 4 LONG) and value, after a dummy entry.
func tiffOrientation(bo byteOrder, typ uint16, v uint32) []byte {
	var b []byte
	if bo.String() == binary.LittleEndian.String() {
		b = []byte("II*\x00")
	} else {
		b = []byte("MM\x00*")
	}
	b = bo.AppendUint32(b, 8)
	b = bo.AppendUint16(b, 2)
	// 0x010F Make, ASCII, count 4, "abc\0" inline.
	b = bo.AppendUint16(b, 0x010F)
	b = bo.AppendUint16(b, 2)
	b = bo.AppendUint32(b, 4)
	b = append(b, "abc\x00"...)
	b = bo.AppendUint16(b, 0x0112)
	b = bo.AppendUint16(b, typ)
	b = bo.AppendUint32(b, 1)
	if typ == 3 {
		b = bo.AppendUint16(b, uint16(v))
		b = append(b, 0, 0)
	} else {
		b = bo.AppendUint32(b, v)
	}
	return bo.AppendUint32(b, 0) // no next IFD
}

// withJPEGExif inserts an APP1 Exif segment holding tiff right after SOI.
func withJPEGExif(jpg, tiff []byte) []byte {
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, 0xFF, 0xE1, byte((len(seg)+2)>>8), byte(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// withPNGChunk inserts a chunk right after IHDR.
func withPNGChunk(p []byte, typ string, data []byte) []byte {
	const afterIHDR = 8 + 8 + 13 + 4
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	chunk = append(chunk, typ...)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := append([]byte{}, p[:afterIHDR]...)
	out = append(out, chunk...)
	return append(out, p[afterIHDR:]...)
}

// withWebPChunk appends a chunk to a RIFF WebP and fixes the RIFF size.
// (The chunk is appended after the image data, and no VP8X flag announces
// it; orientation is still taken from it, as browsers do.)
func withWebPChunk(w []byte, typ string, data []byte) []byte {
	out := append([]byte{}, w...)
	out = append(out, typ...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(data)))
	out = append(out, data...)
	if len(data)%2 == 1 {
		out = append(out, 0)
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

// Reference orientation ops on a grid of labels, straight from the EXIF
// definitions: 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 CW
// (= transpose, mirror), 7 transverse (= transpose, rotate 180), 8 rotate
// 90 CCW (= transpose, flip).
type grid [][]int

func (g grid) mirror() grid {
	out := make(grid, len(g))
	for y, row := range g {
		for x := range row {
			out[y] = append(out[y], row[len(row)-1-x])
		}
	}
	return out
}

func (g grid) flip() grid {
	out := make(grid, len(g))
	for y := range g {
		out[y] = g[len(g)-1-y]
	}
	return out
}

func (g grid) transpose() grid {
	out := make(grid, len(g[0]))
	for x := range g[0] {
		for y := range g {
			out[x] = append(out[x], g[y][x])
		}
	}
	return out
}

func orientGrid(g grid, o int) grid {
	switch o {
	case 2:
		return g.mirror()
	case 3:
		return g.mirror().flip()
	case 4:
		return g.flip()
	case 5:
		return g.transpose()
	case 6:
		return g.transpose().mirror()
	case 7:
		return g.transpose().mirror().flip()
	case 8:
		return g.transpose().flip()
	}
	return g
}

// checkBlocks checks that img shows the block pattern arranged as want
// (labels 3*row+col of blockColors), sampling each block's centre.
func checkBlocks(t *testing.T, img *Image, want grid) {
	t.Helper()
	if img.W != len(want[0])*bs || img.H != len(want)*bs {
		t.Fatalf("size %dx%d, want %dx%d", img.W, img.H, len(want[0])*bs, len(want)*bs)
	}
	for by, row := range want {
		for bx, label := range row {
			c := blockColors[label/3][label%3]
			r, g, b := img.At(bx*bs+bs/2, by*bs+bs/2)
			if absDiff(r, c.R) > 24 || absDiff(g, c.G) > 24 || absDiff(b, c.B) > 24 {
				t.Fatalf("block (%d,%d) = %d,%d,%d, want label %d %v", bx, by, r, g, b, label, c)
			}
		}
	}
}

func TestOrientations(t *testing.T) {
	base := grid{{0, 1, 2}, {3, 4, 5}}
	jpg := encodeJPEG(t, blocksImage())
	pngData := encodePNG(t, blocksImage())
	var webpData []byte
	if b, err := os.ReadFile(filepath.Join("testdata", "lossless.webp")); err == nil {
		webpData = b
	}
	for o := 1; o <= 8; o++ {
		for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
			for _, typ := range []uint16{3, 4} {
				name := fmt.Sprintf("%d/%v/type%d", o, bo, typ)
				t.Run("jpeg/"+name, func(t *testing.T) {
					img, err := Decode(withJPEGExif(jpg, tiffOrientation(bo, typ, uint32(o))), Limits{})
					if err != nil {
						t.Fatal(err)
					}
					if img.Orientation != o {
						t.Errorf("Orientation %d, want %d", img.Orientation, o)
					}
					checkBlocks(t, img, orientGrid(base, o))
				})
			}
		}
		t.Run(fmt.Sprintf("png/%d", o), func(t *testing.T) {
			img, err := Decode(withPNGChunk(pngData, "eXIf", tiffOrientation(binary.BigEndian, 3, uint32(o))), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if img.Orientation != o {
				t.Errorf("Orientation %d, want %d", img.Orientation, o)
			}
			checkBlocks(t, img, orientGrid(base, o))
		})
		t.Run(fmt.Sprintf("webp/%d", o), func(t *testing.T) {
			if webpData == nil {
				t.Fatal("testdata/lossless.webp missing")
			}
			data := withWebPChunk(webpData, "EXIF", append([]byte("Exif\x00\x00"), tiffOrientation(binary.LittleEndian, 3, uint32(o))...))
			img, err := Decode(data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if img.Orientation != o || img.Format != "webp" {
				t.Fatalf("Orientation %d format %q, want %d webp", img.Orientation, img.Format, o)
			}
			src := readPPM(t, filepath.Join("testdata", "src.ppm"))
			// The lossless pixels turned by the reference grid ops.
			g := make(grid, src.H)
			for y := range src.H {
				for x := range src.W {
					g[y] = append(g[y], y*src.W+x)
				}
			}
			g = orientGrid(g, o)
			for y, row := range g {
				for x, i := range row {
					r, gg, b := img.At(x, y)
					if r != src.Pix[3*i] || gg != src.Pix[3*i+1] || b != src.Pix[3*i+2] {
						t.Fatalf("pixel (%d,%d) = %d,%d,%d, want source pixel %d", x, y, r, gg, b, i)
					}
				}
			}
		})
	}
}

// TestBadEXIF: broken or odd EXIF never fails a decodable photo; the
// orientation falls back to 1.
func TestBadEXIF(t *testing.T) {
	jpg := encodeJPEG(t, blocksImage())
	good := tiffOrientation(binary.LittleEndian, 3, 6)
	tests := map[string][]byte{
		"value 0":         tiffOrientation(binary.LittleEndian, 3, 0),
		"value 9":         tiffOrientation(binary.LittleEndian, 3, 9),
		"value 65535":     tiffOrientation(binary.BigEndian, 3, 65535),
		"type ASCII":      tiffOrientation(binary.LittleEndian, 2, 6),
		"truncated IFD":   good[:len(good)-14],
		"IFD offset huge": append([]byte("II*\x00\xff\xff\xff\xff"), good[8:]...),
		"IFD offset 2^32": append([]byte("MM\x00*\xff\xff\xff\xf0"), good[8:]...),
		"bad byte order":  append([]byte("IM*\x00"), good[4:]...),
		"empty":           {},
	}
	for name, tiff := range tests {
		t.Run(name, func(t *testing.T) {
			img, err := Decode(withJPEGExif(jpg, tiff), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if img.Orientation != 1 || img.W != 3*bs {
				t.Errorf("orientation %d width %d, want 1, %d", img.Orientation, img.W, 3*bs)
			}
		})
	}
	// An entry count larger than the data only limits how many entries
	// are read: the orientation within bounds is still found.
	huge := append(append([]byte{}, good[:8]...), append([]byte{0xff, 0xff}, good[10:]...)...)
	if got := exifOrientation(huge); got != 6 {
		t.Errorf("entry count 0xffff: orientation %d, want 6", got)
	}
}

// TestPixelTypes covers the concrete image types the decoders return, each
// decoded from a file Go's encoders write, against the colours put in.
func TestPixelTypes(t *testing.T) {
	const w, h = 5, 3
	gray := image.NewGray(image.Rect(0, 0, w, h))
	gray16 := image.NewGray16(image.Rect(0, 0, w, h))
	nrgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	nrgba64 := image.NewNRGBA64(image.Rect(0, 0, w, h))
	rgba64 := image.NewRGBA64(image.Rect(0, 0, w, h))
	pal := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{
		color.NRGBA{10, 20, 30, 255}, color.NRGBA{200, 100, 50, 255}, color.NRGBA{0, 0, 0, 0}, color.NRGBA{100, 0, 0, 128},
	})
	for y := range h {
		for x := range w {
			v := uint8(40*x + 20*y)
			gray.SetGray(x, y, color.Gray{v})
			gray16.SetGray16(x, y, color.Gray16{uint16(v)<<8 | 0xAB})
			nrgba.SetNRGBA(x, y, color.NRGBA{v, 255 - v, 7, uint8(60 * y)})
			nrgba64.SetNRGBA64(x, y, color.NRGBA64{uint16(v) << 8, 0xffff, 0x1234, 0xffff})
			rgba64.SetRGBA64(x, y, color.RGBA64{uint16(v) << 8, 0x8000, 0, 0xffff})
			pal.SetColorIndex(x, y, uint8((x+y)%4))
		}
	}
	// Expected RGB, computed from the definitions: grey replicated,
	// 16-bit high byte, alpha over white.
	over := func(c, a uint8) uint8 {
		return uint8(math.Round(float64(c)*float64(a)/255 + 255*(1-float64(a)/255)))
	}
	tests := []struct {
		name string
		m    image.Image
		want func(x, y int) [3]uint8
	}{
		{"gray", gray, func(x, y int) [3]uint8 { v := uint8(40*x + 20*y); return [3]uint8{v, v, v} }},
		{"gray16", gray16, func(x, y int) [3]uint8 { v := uint8(40*x + 20*y); return [3]uint8{v, v, v} }},
		{"nrgba", nrgba, func(x, y int) [3]uint8 {
			v, a := uint8(40*x+20*y), uint8(60*y)
			return [3]uint8{over(v, a), over(255-v, a), over(7, a)}
		}},
		{"nrgba64", nrgba64, func(x, y int) [3]uint8 { return [3]uint8{uint8(40*x + 20*y), 255, 0x12} }},
		{"rgba64", rgba64, func(x, y int) [3]uint8 { return [3]uint8{uint8(40*x + 20*y), 0x80, 0} }},
		{"paletted", pal, func(x, y int) [3]uint8 {
			return [][3]uint8{{10, 20, 30}, {200, 100, 50}, {255, 255, 255}, {over(100, 128), over(0, 128), over(0, 128)}}[(x+y)%4]
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Decode(encodePNG(t, tc.m), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			// Also the type itself, without the PNG round trip (the
			// encoder may store a different type, e.g. RGBA64 → NRGBA64).
			direct := FromImage(tc.m)
			for y := range h {
				for x := range w {
					want := tc.want(x, y)
					for _, got := range []*Image{img, direct} {
						r, g, b := got.At(x, y)
						if [3]uint8{r, g, b} != want {
							t.Fatalf("(%d,%d) = %d,%d,%d, want %v", x, y, r, g, b, want)
						}
					}
				}
			}
		})
	}

	// Greyscale JPEG: Go's encoder writes one component for *image.Gray.
	t.Run("gray jpeg", func(t *testing.T) {
		g := image.NewGray(image.Rect(0, 0, 16, 16))
		for i := range g.Pix {
			g.Pix[i] = 77
		}
		img, err := Decode(encodeJPEG(t, g), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range img.Pix {
			if absDiff(v, 77) > 1 {
				t.Fatalf("sample %d = %d, want 77", i, v)
			}
		}
	})
}

// TestFromImageFastPaths checks every fast path against the generic
// color-model path (rgbOverWhite of At) on pseudo-random pixels, including
// sub-images with non-zero origins.
func TestFromImageFastPaths(t *testing.T) {
	r := image.Rect(0, 0, 9, 7)
	seed := uint32(1)
	rnd := func() uint8 { seed = seed*1664525 + 1013904223; return uint8(seed >> 24) }
	fill := func(p []uint8) {
		for i := range p {
			p[i] = rnd()
		}
	}
	rgba := image.NewRGBA(r)
	fill(rgba.Pix)
	for i := 0; i < len(rgba.Pix); i += 4 { // valid premultiplied colours
		a := rgba.Pix[i+3]
		rgba.Pix[i], rgba.Pix[i+1], rgba.Pix[i+2] = min(rgba.Pix[i], a), min(rgba.Pix[i+1], a), min(rgba.Pix[i+2], a)
	}
	nrgba := image.NewNRGBA(r)
	fill(nrgba.Pix)
	cmyk := image.NewCMYK(r)
	fill(cmyk.Pix)
	gray := image.NewGray(r)
	fill(gray.Pix)
	ycc := image.NewYCbCr(r, image.YCbCrSubsampleRatio444)
	fill(ycc.Y)
	fill(ycc.Cb)
	fill(ycc.Cr)
	ycc411 := image.NewYCbCr(r, image.YCbCrSubsampleRatio411)
	fill(ycc411.Y)
	fill(ycc411.Cb)
	fill(ycc411.Cr)
	nycca := image.NewNYCbCrA(r, image.YCbCrSubsampleRatio444)
	fill(nycca.Y)
	fill(nycca.Cb)
	fill(nycca.Cr)
	fill(nycca.A)
	sub := image.Rect(1, 2, 8, 7)
	tests := []struct {
		name string
		m    image.Image
		tol  int
	}{
		{"rgba", rgba, 0},
		{"nrgba", nrgba, 1}, // 8-bit vs 16-bit compositing rounding
		{"cmyk", cmyk, 1},
		{"gray", gray, 0},
		// libjpeg's tables vs Go's color.YCbCrToRGB constants.
		{"ycbcr444", ycc, 2},
		{"ycbcr411", ycc411, 2},
		{"nycbcra", nycca, 2},
		{"rgba sub", rgba.SubImage(sub), 0},
		{"nrgba sub", nrgba.SubImage(sub), 1},
		{"cmyk sub", cmyk.SubImage(sub), 1},
		{"ycbcr sub", ycc.SubImage(sub), 2},
		{"ycbcr411 sub", ycc411.SubImage(sub), 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := FromImage(tc.m)
			b := tc.m.Bounds()
			if got.W != b.Dx() || got.H != b.Dy() || len(got.Pix) != 3*got.W*got.H {
				t.Fatalf("size %dx%d with %d bytes", got.W, got.H, len(got.Pix))
			}
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					want := rgbOverWhite(tc.m.At(x, y))
					r, g, bl := got.At(x-b.Min.X, y-b.Min.Y)
					if absDiff(r, want[0]) > tc.tol || absDiff(g, want[1]) > tc.tol || absDiff(bl, want[2]) > tc.tol {
						t.Fatalf("(%d,%d) = %d,%d,%d, generic path %v", x, y, r, g, bl, want)
					}
				}
			}
		})
	}
}

// TestFancyUpsampling checks the 4:2:0 chroma filter on a constant-luma
// image with a single bright chroma sample: the weights must be libjpeg's
// 9/16, 3/16, 3/16, 1/16 around it.
func TestFancyUpsampling(t *testing.T) {
	r := image.Rect(0, 0, 8, 8)
	m := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
	for i := range m.Y {
		m.Y[i] = 16
	}
	for i := range m.Cb {
		m.Cb[i], m.Cr[i] = 128, 128
	}
	m.Cb[1*m.CStride+1] = 255 // chroma sample (1,1) covers pixels 2..3
	got := FromImage(m)
	// Blue = Y + 1.772*(Cb-128); the filtered Cb excess at pixel (x,y):
	// 127 * wx * wy with w = 3/4 for the nearest sample, 1/4 for the next.
	weight := map[int]float64{1: 0.25, 2: 0.75, 3: 0.75, 4: 0.25}
	for y := range 8 {
		for x := range 8 {
			_, _, b := got.At(x, y)
			want := 16 + 1.772*127*weight[x]*weight[y]
			if math.Abs(float64(b)-want) > 1.5 {
				t.Errorf("(%d,%d) blue %d, want %.1f", x, y, b, want)
			}
		}
	}
}

func TestFormats(t *testing.T) {
	m := blocksImage()
	var gifBuf, bmpBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, m, nil); err != nil {
		t.Fatal(err)
	}
	if err := bmp.Encode(&bmpBuf, m); err != nil {
		t.Fatal(err)
	}
	tiffData := append([]byte("II*\x00"), make([]byte, 64)...)
	heic := append([]byte("\x00\x00\x00\x18ftypheic"), make([]byte, 32)...)
	avif := append([]byte("\x00\x00\x00\x18ftypavif"), make([]byte, 32)...)
	jpg := encodeJPEG(t, m)

	tests := []struct {
		name    string
		data    []byte
		formats []string
		want    error // nil: decodes
	}{
		{"jpeg", jpg, nil, nil},
		{"png", encodePNG(t, m), nil, nil},
		{"webp", readTestdata(t, "lossy.webp"), nil, nil},
		{"gif rejected", gifBuf.Bytes(), nil, ErrFormat},
		{"bmp rejected", bmpBuf.Bytes(), nil, ErrFormat},
		{"tiff rejected", tiffData, nil, ErrFormat},
		{"heic rejected", heic, nil, ErrFormat},
		{"avif rejected", avif, nil, ErrFormat},
		{"gif accepted", gifBuf.Bytes(), []string{"gif"}, nil},
		{"bmp accepted", bmpBuf.Bytes(), []string{"bmp", "jpeg"}, nil},
		{"heic never decodable", heic, []string{"heif"}, ErrFormat},
		{"jpeg not in list", jpg, []string{"png"}, ErrFormat},
		{"webp not in list", readTestdata(t, "lossy.webp"), []string{"jpeg", "png"}, ErrFormat},
		{"empty", nil, nil, ErrNotImage},
		{"text", []byte("hello, this is not an image"), nil, ErrNotImage},
		{"html", []byte("<html><body>no</body></html>"), nil, ErrNotImage},
		{"jpeg truncated header", jpg[:20], nil, ErrNotImage},
		{"jpeg truncated data", jpg[:len(jpg)/2], nil, ErrNotImage},
		{"png truncated", encodePNG(t, m)[:60], nil, ErrNotImage},
		{"webp truncated", readTestdata(t, "lossy.webp")[:40], nil, ErrNotImage},
		{"riff not webp", []byte("RIFF\x10\x00\x00\x00WAVEfmt "), nil, ErrNotImage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Decode(tc.data, Limits{Formats: tc.formats})
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if img.W*img.H == 0 || len(img.Pix) != 3*img.W*img.H {
					t.Fatalf("size %dx%d with %d bytes", img.W, img.H, len(img.Pix))
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			for _, other := range []error{ErrNotBase64, ErrNotImage, ErrFormat, ErrTooLarge} {
				if other != tc.want && errors.Is(err, other) {
					t.Errorf("err %v also matches %v", err, other)
				}
			}
		})
	}
	// A GIF whose first frame covers part of its logical screen decodes
	// to that frame.
	var part bytes.Buffer
	frame := image.NewPaletted(image.Rect(2, 3, 10, 7), color.Palette{color.Gray{0}, color.Gray{200}})
	if err := gif.EncodeAll(&part, &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0},
		Config: image.Config{ColorModel: frame.Palette, Width: 20, Height: 20}}); err != nil {
		t.Fatal(err)
	}
	if img, err := Decode(part.Bytes(), Limits{Formats: []string{"gif"}}); err != nil || img.W != 8 || img.H != 4 {
		t.Errorf("partial GIF frame: %v", err)
	}
	if got := Sniff(jpg); got != "jpeg" {
		t.Errorf("Sniff(jpeg) = %q", got)
	}
}

// pngHeader is a PNG signature and IHDR claiming w x h 8-bit RGB, with no
// image data: what a "pixel flood" upload looks like before its IDAT.
func pngHeader(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := []byte("IHDR")
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, 13)
	b = append(b, ihdr...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(ihdr))
}

// allocated runs f and returns the bytes it allocated.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestLimits(t *testing.T) {
	jpg := encodeJPEG(t, blocksImage()) // 48x32
	rotated := withJPEGExif(jpg, tiffOrientation(binary.LittleEndian, 3, 6))

	// A 40 MP PNG of zeros compresses to a few tens of kilobytes.
	var bomb bytes.Buffer
	if err := png.Encode(&bomb, image.NewGray(image.Rect(0, 0, 8000, 5000))); err != nil {
		t.Fatal(err)
	}
	// 200 scans: a CPU bomb shape (each scan re-walks all coefficients).
	manyScans := append([]byte{}, jpg[:len(jpg)-2]...)
	for range 200 {
		manyScans = append(manyScans, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00)
	}
	manyScans = append(manyScans, 0xFF, 0xD9)

	tests := []struct {
		name string
		data []byte
		lim  Limits
		want error
	}{
		{"default ok", jpg, Limits{}, nil},
		{"bytes", jpg, Limits{MaxBytes: len(jpg) - 1}, ErrTooLarge},
		{"bytes exact", jpg, Limits{MaxBytes: len(jpg)}, nil},
		{"width", jpg, Limits{MaxWidth: 47}, ErrTooLarge},
		{"height", jpg, Limits{MaxHeight: 31}, ErrTooLarge},
		{"pixels", jpg, Limits{MaxPixels: 48*32 - 1}, ErrTooLarge},
		{"pixels exact", jpg, Limits{MaxPixels: 48 * 32, MaxWidth: 48, MaxHeight: 32}, nil},
		{"negative means none", jpg, Limits{MaxBytes: -1, MaxWidth: -1, MaxHeight: -1, MaxPixels: -1}, nil},
		// Limits apply to the upright image: 32 wide, 48 high.
		{"rotated width ok", rotated, Limits{MaxWidth: 32, MaxHeight: 48}, nil},
		{"rotated height", rotated, Limits{MaxHeight: 47}, ErrTooLarge},
		{"rotated width", rotated, Limits{MaxWidth: 31}, ErrTooLarge},
		{"png 100000x100000", pngHeader(100000, 100000), Limits{}, ErrTooLarge},
		{"png 16385 wide", pngHeader(16385, 1), Limits{}, ErrTooLarge},
		{"png 2^31-1 square", pngHeader(1<<31-1, 1<<31-1), Limits{}, ErrTooLarge},
		{"png 40 MP bomb", bomb.Bytes(), Limits{MaxPixels: 1 << 20}, ErrTooLarge},
		{"jpeg many scans", manyScans, Limits{}, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = Decode(tc.data, tc.lim) })
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			// Rejected from the header: nothing near the image size
			// was allocated.
			if n > 1<<20 {
				t.Errorf("allocated %d bytes before rejecting", n)
			}
		})
	}
}

// TestZlibBomb: a 16x16 PNG whose IDAT inflates to 64 MiB. The decoder must
// read only the rows it needs and fail (or succeed) without inflating it
// all into memory.
func TestZlibBomb(t *testing.T) {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zero := make([]byte, 1<<20)
	for range 64 {
		zw.Write(zero)
	}
	zw.Close()
	p := pngHeader(16, 16)
	idat := append([]byte("IDAT"), z.Bytes()...)
	p = binary.BigEndian.AppendUint32(p, uint32(z.Len()))
	p = append(p, idat...)
	p = binary.BigEndian.AppendUint32(p, crc32.ChecksumIEEE(idat))
	p = append(p, 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82)
	var img *Image
	var err error
	n := allocated(func() { img, err = Decode(p, Limits{}) })
	if err != nil && !errors.Is(err, ErrNotImage) {
		t.Fatalf("err = %v, want nil or ErrNotImage", err)
	}
	if err == nil && (img.W != 16 || img.H != 16) {
		t.Fatalf("size %dx%d", img.W, img.H)
	}
	t.Logf("%d-byte file, err %v, allocated %d bytes", len(p), err, n)
	if n > 4<<20 {
		t.Errorf("allocated %d bytes", n)
	}
}

func TestAtAndToPNG(t *testing.T) {
	img := FromImage(blocksImage())
	var buf bytes.Buffer
	if err := ToPNG(&buf, img); err != nil {
		t.Fatal(err)
	}
	back, err := Decode(buf.Bytes(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Pix, img.Pix) || back.Format != "png" {
		t.Fatal("PNG round trip changed the pixels")
	}
	if r, g, b := img.At(3*bs-1, 2*bs-1); r != 255 || g != 0 || b != 255 {
		t.Errorf("At(bottom right) = %d,%d,%d, want magenta", r, g, b)
	}
	if err := ToPNG(&buf, &Image{W: 2, H: 2, Pix: make([]uint8, 11)}); err == nil {
		t.Error("ToPNG accepted a short Pix")
	}
	defer func() {
		if recover() == nil {
			t.Error("At outside the image did not panic")
		}
	}()
	img.At(3*bs, 0)
}

func TestSniffEXIFHelpersBounds(t *testing.T) {
	// Orientation finders on truncated prefixes of valid files never
	// panic and never report anything but 0..8.
	jpg := withJPEGExif(encodeJPEG(t, blocksImage()), tiffOrientation(binary.BigEndian, 3, 5))
	p := withPNGChunk(encodePNG(t, blocksImage()), "eXIf", tiffOrientation(binary.LittleEndian, 3, 7))
	w := withWebPChunk(readTestdata(t, "lossy.webp"), "EXIF", tiffOrientation(binary.LittleEndian, 3, 8))
	for _, f := range []struct {
		data []byte
		fn   func([]byte) int
		want int
	}{{jpg, jpegOrientation, 5}, {p, pngOrientation, 7}, {w, webpOrientation, 8}} {
		if got := f.fn(f.data); got != f.want {
			t.Errorf("orientation %d, want %d", got, f.want)
		}
		for n := range f.data {
			if o := f.fn(f.data[:n]); o < 0 || o > 8 {
				t.Fatalf("prefix %d: orientation %d", n, o)
			}
		}
	}
	if n := jpegScans(jpg); n != 1 {
		t.Errorf("jpegScans = %d, want 1 (baseline)", n)
	}
	if n := jpegScans(readTestdata(t, "prog.jpg")); n < 5 || n > 20 {
		t.Errorf("jpegScans(progressive) = %d", n)
	}
}
