package imageio

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sentinels returns which of the package's sentinel errors err wraps.
func sentinels(err error) []error {
	var out []error
	for _, s := range []error{ErrNotBase64, ErrNotImage, ErrFormat, ErrTooLarge} {
		if errors.Is(err, s) {
			out = append(out, s)
		}
	}
	return out
}

func FuzzDecodeBase64(f *testing.F) {
	for _, s := range []string{
		"", "QUJD", "QQ==", "QQ", "-_8", "+/8=", "data:image/png;base64,QUJD",
		"DATA:image/jpeg;BASE64,\r\nQU\r\nJD", "data:,QUJD", " \t\r\n", "QQ=\n=", "QUJD=", "Q===",
	} {
		f.Add(s, 0)
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, s string, maxBytes int) {
		out, err := DecodeBase64(s, maxBytes)
		if err != nil {
			if got := sentinels(err); len(got) != 1 || (got[0] != ErrNotBase64 && got[0] != ErrTooLarge) {
				t.Fatalf("error %v wraps %v", err, got)
			}
		} else if maxBytes > 0 && len(out) > maxBytes {
			t.Fatalf("%d bytes decoded, limit %d", len(out), maxBytes)
		}

		// Every encoding of any bytes decodes back to them.
		b := []byte(s)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			e := enc.EncodeToString(b)
			for _, in := range []string{e, "data:image/png;base64," + wrap(e, 7, "\r\n"), wrap(e, 1, " ")} {
				got, err := DecodeBase64(in, len(b))
				if len(b) == 0 {
					if !errors.Is(err, ErrNotBase64) {
						t.Fatalf("empty input: err = %v", err)
					}
					continue
				}
				if err != nil || !bytes.Equal(got, b) {
					t.Fatalf("round trip of %q via %q: %x, %v", b, in, got, err)
				}
				if len(b) > 1 {
					if _, err := DecodeBase64(in, len(b)-1); !errors.Is(err, ErrTooLarge) {
						t.Fatalf("limit %d for %d bytes: err = %v", len(b)-1, len(b), err)
					}
				}
			}
		}
	})
}

// fuzzLimits keep each fuzz execution small.
var fuzzLimits = Limits{MaxWidth: 2048, MaxHeight: 2048, MaxPixels: 1 << 20,
	Formats: []string{"jpeg", "png", "webp", "gif", "bmp", "tiff"}}

func addDecodeSeeds(f *testing.F) {
	jpg := encodeJPEG(f, blocksImage())
	f.Add(jpg)
	f.Add(withJPEGExif(jpg, tiffOrientation(binary.BigEndian, 3, 6)))
	f.Add(withJPEGExif(jpg, tiffOrientation(binary.LittleEndian, 4, 7)))
	p := encodePNG(f, blocksImage())
	f.Add(p)
	f.Add(withPNGChunk(p, "eXIf", tiffOrientation(binary.LittleEndian, 3, 8)))
	f.Add(encodePNG(f, image.NewPaletted(image.Rect(0, 0, 3, 2), color.Palette{color.Gray{9}})))
	var g bytes.Buffer
	gif.Encode(&g, blocksImage(), nil)
	f.Add(g.Bytes())
	f.Add(pngHeader(100000, 100000))
	ents, _ := os.ReadDir("testdata")
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".jpg") || strings.HasSuffix(e.Name(), ".webp") {
			b, err := os.ReadFile(filepath.Join("testdata", e.Name()))
			if err == nil {
				f.Add(b)
			}
		}
	}
	lossless := readTestdata(f, "lossless.webp")
	f.Add(withWebPChunk(lossless, "EXIF", tiffOrientation(binary.LittleEndian, 3, 5)))
}

func FuzzDecode(f *testing.F) {
	addDecodeSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Decode(data, fuzzLimits)
		if err != nil {
			if got := sentinels(err); len(got) != 1 || got[0] == ErrNotBase64 {
				t.Fatalf("error %v wraps %v", err, got)
			}
			return
		}
		if img.W <= 0 || img.H <= 0 || img.W > 2048 || img.H > 2048 || img.W*img.H > 1<<20 {
			t.Fatalf("size %dx%d outside the limits", img.W, img.H)
		}
		if len(img.Pix) != 3*img.W*img.H {
			t.Fatalf("%d bytes for %dx%d", len(img.Pix), img.W, img.H)
		}
		if img.Orientation < 1 || img.Orientation > 8 || !slices.Contains(fuzzLimits.Formats, img.Format) {
			t.Fatalf("orientation %d format %q", img.Orientation, img.Format)
		}
	})
}

// FuzzEXIF feeds arbitrary bytes to the EXIF and marker parsers, directly
// and embedded in otherwise valid JPEG, PNG and WebP files, which must
// still decode: a broken EXIF block never fails a photo.
func FuzzEXIF(f *testing.F) {
	for o := uint32(0); o <= 9; o++ {
		f.Add(tiffOrientation(binary.LittleEndian, 3, o))
		f.Add(tiffOrientation(binary.BigEndian, 4, o))
	}
	f.Add([]byte("Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00"))
	f.Add([]byte("MM\x00*\xff\xff\xff\xff"))
	jpg := encodeJPEG(f, blocksImage()) // 48x32
	p := encodePNG(f, blocksImage())
	w := readTestdata(f, "lossless.webp") // 37x23
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fn := range []func([]byte) int{exifOrientation, jpegOrientation, pngOrientation, webpOrientation} {
			if o := fn(data); o < 0 || o > 8 {
				t.Fatalf("orientation %d", o)
			}
		}
		if n := jpegScans(data); n < 0 || n > maxJPEGScans+1 {
			t.Fatalf("jpegScans = %d", n)
		}
		if len(data) > 65000 {
			return
		}
		want := exifOrientation(data)
		// In JPEG the "Exif\0\0" header is part of the segment.
		wantJPEG := exifOrientation(append([]byte("Exif\x00\x00"), data...))
		for _, tc := range []struct {
			file []byte
			want int
			w, h int
		}{
			{withJPEGExif(jpg, data), wantJPEG, 48, 32},
			{withPNGChunk(p, "eXIf", data), want, 48, 32},
			{withWebPChunk(w, "EXIF", data), want, 37, 23},
		} {
			img, err := Decode(tc.file, Limits{})
			if err != nil {
				t.Fatalf("valid image with a fuzzed EXIF block: %v", err)
			}
			o := max(tc.want, 1)
			if img.Orientation != o {
				t.Fatalf("orientation %d, exifOrientation says %d", img.Orientation, tc.want)
			}
			if o >= 5 {
				tc.w, tc.h = tc.h, tc.w
			}
			if img.W != tc.w || img.H != tc.h {
				t.Fatalf("size %dx%d, want %dx%d", img.W, img.H, tc.w, tc.h)
			}
		}
	})
}
