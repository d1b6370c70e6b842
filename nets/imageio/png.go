package imageio

import (
	"fmt"
	"image"
	"image/png"
	"io"
)

// ToPNG writes img as an 8-bit RGB PNG (for debugging output and tests).
func ToPNG(w io.Writer, img *Image) error {
	if img.W < 0 || img.H < 0 || len(img.Pix) != 3*img.W*img.H {
		return fmt.Errorf("imageio: ToPNG: %d bytes of pixels for %dx%d", len(img.Pix), img.W, img.H)
	}
	out := image.NewNRGBA(image.Rect(0, 0, img.W, img.H))
	for i, j := 0, 0; i+2 < len(img.Pix); i, j = i+3, j+4 {
		out.Pix[j], out.Pix[j+1], out.Pix[j+2], out.Pix[j+3] = img.Pix[i], img.Pix[i+1], img.Pix[i+2], 255
	}
	return png.Encode(w, out)
}
