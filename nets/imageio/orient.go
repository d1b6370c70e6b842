package imageio

// orienter receives the converted pixels of a stored image row by row and
// writes them to their upright place, so that turning the image costs no
// second full-size buffer.
//
// The orientation says where the stored rows and columns belong on screen
// (TIFF 6.0 tag 274): 2 mirror horizontally, 3 rotate 180°, 4 mirror
// vertically, 5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate
// 90° counter-clockwise. Each is a linear map of stored (sx, sy) to an
// upright pixel index: off + sx*dx + sy*dy.
type orienter struct {
	img         *Image // upright output
	w           int    // stored width
	o           int
	off, dx, dy int
	scratch     []uint8 // the stored row being converted (o != 1)
	pending     int     // row held in scratch (-1: none)
}

// newOrienter allocates the upright image for a stored w x h image with
// orientation o (1..8; anything else is treated as 1).
func newOrienter(w, h, o int) *orienter {
	if o < 1 || o > 8 {
		o = 1
	}
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	r := &orienter{w: w, o: o, pending: -1}
	r.img = &Image{W: ow, H: oh, Pix: make([]uint8, 3*w*h), Orientation: o}
	switch o {
	case 1: // (sx, sy)
		r.off, r.dx, r.dy = 0, 1, ow
	case 2: // (w-1-sx, sy)
		r.off, r.dx, r.dy = w-1, -1, ow
	case 3: // (w-1-sx, h-1-sy)
		r.off, r.dx, r.dy = (h-1)*ow+w-1, -1, -ow
	case 4: // (sx, h-1-sy)
		r.off, r.dx, r.dy = (h-1)*ow, 1, -ow
	case 5: // (sy, sx)
		r.off, r.dx, r.dy = 0, ow, 1
	case 6: // (h-1-sy, sx)
		r.off, r.dx, r.dy = h-1, ow, -1
	case 7: // (h-1-sy, w-1-sx)
		r.off, r.dx, r.dy = (w-1)*ow+h-1, -ow, -1
	case 8: // (sy, w-1-sx)
		r.off, r.dx, r.dy = (w-1)*ow, -ow, 1
	}
	if o != 1 {
		r.scratch = make([]uint8, 3*w)
	}
	return r
}

// row returns the buffer for stored row y (3*w bytes) to be filled; rows
// must be requested in order, and finish called after the last one.
func (r *orienter) row(y int) []uint8 {
	if r.o == 1 {
		return r.img.Pix[3*r.w*y:][:3*r.w]
	}
	r.flush()
	r.pending = y
	return r.scratch
}

// flush writes the row held in scratch to its upright place.
func (r *orienter) flush() {
	if r.pending < 0 {
		return
	}
	dst := r.img.Pix
	d := r.off + r.pending*r.dy
	for sx := range r.w {
		p := r.scratch[3*sx : 3*sx+3 : 3*sx+3]
		q := dst[3*d : 3*d+3 : 3*d+3]
		q[0], q[1], q[2] = p[0], p[1], p[2]
		d += r.dx
	}
	r.pending = -1
}

// finish flushes the last row and returns the upright image.
func (r *orienter) finish() *Image {
	r.flush()
	return r.img
}
