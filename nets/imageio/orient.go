package imageio

// orientImage returns img turned upright for EXIF orientation o (1..8);
// img itself when o is 1.
//
// The orientation says where the stored rows and columns belong on screen
// (TIFF 6.0 tag 274): 2 mirror horizontally, 3 rotate 180°, 4 mirror
// vertically, 5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate
// 90° counter-clockwise. Each case is a linear map of source (sx, sy) to a
// destination pixel index: off + sx*dx + sy*dy.
func orientImage(img *Image, o int) *Image {
	if o <= 1 || o > 8 {
		return img
	}
	w, h := img.W, img.H
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	var off, dx, dy int
	switch o {
	case 2: // (w-1-sx, sy)
		off, dx, dy = w-1, -1, ow
	case 3: // (w-1-sx, h-1-sy)
		off, dx, dy = (h-1)*ow+w-1, -1, -ow
	case 4: // (sx, h-1-sy)
		off, dx, dy = (h-1)*ow, 1, -ow
	case 5: // (sy, sx)
		off, dx, dy = 0, ow, 1
	case 6: // (h-1-sy, sx)
		off, dx, dy = h-1, ow, -1
	case 7: // (h-1-sy, w-1-sx)
		off, dx, dy = (w-1)*ow+h-1, -ow, -1
	case 8: // (sy, w-1-sx)
		off, dx, dy = (w-1)*ow, -ow, 1
	}
	out := &Image{W: ow, H: oh, Pix: make([]uint8, len(img.Pix)), Format: img.Format, Orientation: o}
	src, dst := img.Pix, out.Pix
	for sy := range h {
		row := src[3*w*sy:][:3*w]
		d := off + sy*dy
		for sx := range w {
			p := row[3*sx : 3*sx+3 : 3*sx+3]
			q := dst[3*d : 3*d+3 : 3*d+3]
			q[0], q[1], q[2] = p[0], p[1], p[2]
			d += dx
		}
	}
	return out
}
