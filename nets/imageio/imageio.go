// Package imageio turns what a client uploads (base64 text holding a JPEG,
// PNG or WebP) into an upright RGB raster for the face pipeline.
//
// It is the only place where untrusted image bytes are parsed, so it is
// defensive: sizes are checked from the header before anything is decoded,
// every parser is bounds-checked and fuzzed, and failures are reported with
// sentinel errors the HTTP layer maps to the vendors' error bodies:
//
//	ErrNotBase64 – the text is not base64 (Verifik "only_images_in_base64")
//	ErrNotImage  – the bytes are not a decodable image (same)
//	ErrFormat    – a real image in a format that is not accepted
//	               (OkayFace "Photo format error")
//	ErrTooLarge  – over a byte, side or pixel limit ("payload_too_large")
//
// EXIF orientation (JPEG APP1, PNG eXIf, WebP EXIF) is applied, so the
// pixels are what a browser shows. Transparent images are composited onto
// white: a face detector sees the photo as it is displayed, and a transparent
// background is usually black or garbage underneath.
package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"slices"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// Sentinel errors; every error returned by this package wraps exactly one.
var (
	ErrNotBase64 = errors.New("imageio: not base64")
	ErrNotImage  = errors.New("imageio: not a decodable image")
	ErrFormat    = errors.New("imageio: unsupported image format")
	ErrTooLarge  = errors.New("imageio: image too large")
)

// Image is an upright 8-bit RGB raster.
type Image struct {
	W, H int
	// Pix holds the pixels row by row, R,G,B interleaved; stride 3*W.
	Pix []uint8
	// Format is the container format: "jpeg", "png", "webp" (or "gif",
	// "bmp", "tiff" when Limits.Formats accepts them).
	Format string
	// Orientation is the EXIF orientation (1..8) that was applied to reach
	// the upright pixels; 1 when the file has none or an invalid one.
	Orientation int
}

// At returns the pixel at (x, y). It panics when (x, y) is outside the
// image, like a slice index would.
func (m *Image) At(x, y int) (r, g, b uint8) {
	if uint(x) >= uint(m.W) || uint(y) >= uint(m.H) {
		panic(fmt.Sprintf("imageio: At(%d, %d) outside %dx%d image", x, y, m.W, m.H))
	}
	i := 3 * (y*m.W + x)
	return m.Pix[i], m.Pix[i+1], m.Pix[i+2]
}

// Default limits; see Limits.
const (
	DefaultMaxBytes  = 16 << 20
	DefaultMaxSide   = 16384
	DefaultMaxPixels = 40_000_000
)

// DefaultFormats are the formats accepted when Limits.Formats is nil: the
// OkayFace contract rejects anything but JPEG and PNG, and WebP is what
// browsers produce from a canvas.
var DefaultFormats = []string{"jpeg", "png", "webp"}

// Limits bound what Decode accepts. The zero value means the defaults;
// a negative number means no limit.
type Limits struct {
	MaxBytes  int // encoded size; default DefaultMaxBytes
	MaxWidth  int // upright width in pixels; default DefaultMaxSide
	MaxHeight int // upright height in pixels; default DefaultMaxSide
	MaxPixels int // width*height; default DefaultMaxPixels
	// Formats lists the accepted formats by Image.Format name ("jpeg",
	// "png", "webp", "gif", "bmp", "tiff"); nil means DefaultFormats.
	// A recognised format not in the list fails with ErrFormat.
	Formats []string
}

func limitOr(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return int(^uint(0) >> 1)
	}
	return v
}

// codec is one decodable format.
type codec struct {
	decode func(io.Reader) (image.Image, error)
	config func(io.Reader) (image.Config, error)
	// orientation finds the EXIF orientation in the encoded file (0 when
	// there is none); nil for formats where it is not looked for.
	orientation func([]byte) int
}

var codecs = map[string]codec{
	"jpeg": {jpeg.Decode, jpeg.DecodeConfig, jpegOrientation},
	"png":  {png.Decode, png.DecodeConfig, pngOrientation},
	"webp": {webp.Decode, webp.DecodeConfig, webpOrientation},
	"gif":  {gif.Decode, gif.DecodeConfig, nil},
	"bmp":  {bmp.Decode, bmp.DecodeConfig, nil},
	"tiff": {tiff.Decode, tiff.DecodeConfig, nil},
}

// Sniff names the format of data from its magic bytes: "jpeg", "png",
// "webp", "gif", "bmp", "tiff", "heif", "avif", or "" when unknown.
func Sniff(data []byte) string {
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return "jpeg"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "webp"
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return "gif"
	case len(data) >= 14 && data[0] == 'B' && data[1] == 'M':
		return "bmp"
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return "tiff"
	case len(data) >= 12 && string(data[4:8]) == "ftyp":
		// ISO base media file: HEIC/HEIF from phones, AVIF.
		switch string(data[8:12]) {
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
			return "heif"
		case "avif", "avis":
			return "avif"
		}
	}
	return ""
}

// Decode decodes an encoded image into upright RGB.
//
// The format is taken from the magic bytes, not from any name or MIME type
// the client sent. Size limits are checked against the header (after
// accounting for EXIF rotation) before the pixels are decoded, so a small
// file claiming huge dimensions costs nothing.
func Decode(data []byte, lim Limits) (*Image, error) {
	if maxBytes := limitOr(lim.MaxBytes, DefaultMaxBytes); len(data) > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), maxBytes)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrNotImage)
	}
	format := Sniff(data)
	if format == "" {
		return nil, fmt.Errorf("%w: unrecognised content", ErrNotImage)
	}
	formats := lim.Formats
	if formats == nil {
		formats = DefaultFormats
	}
	c, known := codecs[format]
	if !known || !slices.Contains(formats, format) {
		return nil, fmt.Errorf("%w: %s", ErrFormat, format)
	}

	orient := 0
	if c.orientation != nil {
		orient = c.orientation(data)
	}
	if orient < 1 || orient > 8 {
		orient = 1
	}
	if format == "png" && len(data) >= 24 && string(data[12:16]) == "IHDR" {
		// Go's PNG decoder refuses dimensions whose product overflows
		// as malformed; say "too large" for those too.
		w := binary.BigEndian.Uint32(data[16:])
		h := binary.BigEndian.Uint32(data[20:])
		if err := checkSize(int64(w), int64(h), orient, lim); err != nil {
			return nil, err
		}
	}
	cfg, err := safely(func() (image.Config, error) { return c.config(bytes.NewReader(data)) })
	if err != nil {
		return nil, fmt.Errorf("%w: %s header: %v", ErrNotImage, format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%w: %s: %dx%d", ErrNotImage, format, cfg.Width, cfg.Height)
	}
	if err := checkSize(int64(cfg.Width), int64(cfg.Height), orient, lim); err != nil {
		return nil, err
	}
	if format == "jpeg" {
		if n := jpegScans(data); n > maxJPEGScans {
			return nil, fmt.Errorf("%w: jpeg with %d scans, limit %d", ErrTooLarge, n, maxJPEGScans)
		}
	}

	src, err := safely(func() (image.Image, error) { return c.decode(bytes.NewReader(data)) })
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotImage, format, err)
	}
	b := src.Bounds()
	if format == "gif" && b.Dx() <= cfg.Width && b.Dy() <= cfg.Height {
		// A GIF's first frame may be smaller than its logical screen;
		// that frame is the image.
	} else if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		// The limits were checked against the header; never trust a
		// decoder that disagrees with it.
		return nil, fmt.Errorf("%w: %s: decoded %dx%d, header %dx%d",
			ErrNotImage, format, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	// Lossy WebP (VP8) stores limited-range BT.601 YCbCr; Go's
	// image.YCbCr model is the full-range JFIF one, so say which.
	img := fromImage(src, format == "webp", orient)
	img.Format = format
	return img, nil
}

// checkSize checks stored dimensions w x h against lim, after turning them
// upright for orientation o.
func checkSize(w, h int64, o int, lim Limits) error {
	if o >= 5 {
		w, h = h, w
	}
	if maxW := int64(limitOr(lim.MaxWidth, DefaultMaxSide)); w > maxW {
		return fmt.Errorf("%w: width %d, limit %d", ErrTooLarge, w, maxW)
	}
	if maxH := int64(limitOr(lim.MaxHeight, DefaultMaxSide)); h > maxH {
		return fmt.Errorf("%w: height %d, limit %d", ErrTooLarge, h, maxH)
	}
	// Both sides fit in an int32 here unless there is no side limit;
	// compare without overflowing.
	if maxP := int64(limitOr(lim.MaxPixels, DefaultMaxPixels)); w > 0 && h > maxP/w {
		return fmt.Errorf("%w: %dx%d pixels, limit %d", ErrTooLarge, w, h, maxP)
	}
	return nil
}

// safely runs a third-party decoder, turning a panic into an error: a
// decoder bug on hostile input must fail one request, not the server.
// (Go's decoders are fuzzed upstream, but x/image's less so.)
func safely[T any](f func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panic: %v", r)
		}
	}()
	return f()
}
