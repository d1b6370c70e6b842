package imageio

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/jpeg"
	"os"
	"testing"

	"github.com/facegate/facegate/internal/shared"
)

// BenchmarkDecode decodes the Silent-Face samples: a 640x480 phone frame
// with EXIF rotation and a 1617x2160 photo. MB/s is of the encoded file;
// Mpix/s of the output.
func BenchmarkDecode(b *testing.B) {
	for _, tc := range []struct{ name, file string }{
		{"640x480", "image_T1.jpg"},
		{"1617x2160", "image_T2.jpg"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			data, err := os.ReadFile(shared.Path(b, "images", "silent-face", tc.file))
			if err != nil {
				b.Fatal(err)
			}
			var img *Image
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if img, err = Decode(data, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
			perOp := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(perOp*1e3, "ms/op")
			b.ReportMetric(float64(img.W*img.H)/perOp/1e6, "Mpix/s")
		})
	}
}

// BenchmarkYCbCrToRGB is the colour conversion alone (4:2:0 with libjpeg's
// fancy upsampling) on the large photo, against image/jpeg's decode time.
func BenchmarkYCbCrToRGB(b *testing.B) {
	data, err := os.ReadFile(shared.Path(b, "images", "silent-face", "image_T2.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	src, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	ycc := src.(*image.YCbCr)
	b.Run("imageio", func(b *testing.B) {
		for b.Loop() {
			FromImage(ycc)
		}
		b.ReportMetric(float64(ycc.Rect.Dx()*ycc.Rect.Dy())*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpix/s")
	})
	b.Run("jpeg.Decode", func(b *testing.B) {
		for b.Loop() {
			jpeg.Decode(bytes.NewReader(data))
		}
		b.ReportMetric(float64(ycc.Rect.Dx()*ycc.Rect.Dy())*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpix/s")
	})
}

// BenchmarkDecodeBase64 decodes 3 MiB (the OkayFace image limit) of
// base64, plain and wrapped at 76 columns with CRLF.
func BenchmarkDecodeBase64(b *testing.B) {
	raw := bytes.Repeat([]byte{0xFF, 0xD8, 0x12, 0x34, 0x56}, 3<<20/5)
	plain := base64.StdEncoding.EncodeToString(raw)
	for _, tc := range []struct{ name, s string }{
		{"plain", plain},
		{"mime", "data:image/jpeg;base64," + wrap(plain, 76, "\r\n")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.s)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeBase64(tc.s, 4<<20); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
