// Package embed turns a face (image + five landmarks) into an L2-normalised
// embedding: similarity alignment to the ArcFace 112x112 template, the
// model's own colour order and normalisation, and cosine comparison.
package embed

import "math"

// Size is the side of the aligned crop the ArcFace-family embedders take.
const Size = 112

// Template is the ArcFace five-point template in a 112x112 crop: left eye,
// right eye, nose tip, left and right mouth corner (image left/right).
var Template = [5][2]float64{
	{38.2946, 51.6963},
	{73.5318, 51.5014},
	{56.0252, 71.7366},
	{41.5493, 92.3655},
	{70.7299, 92.2041},
}

// Affine maps (x, y) to (M[0]x + M[1]y + M[2], M[3]x + M[4]y + M[5]).
type Affine [6]float64

// Apply maps one point.
func (m Affine) Apply(x, y float64) (float64, float64) {
	return m[0]*x + m[1]*y + m[2], m[3]*x + m[4]*y + m[5]
}

// Invert returns the inverse map; ok is false when m is singular.
func (m Affine) Invert() (inv Affine, ok bool) {
	det := m[0]*m[4] - m[1]*m[3]
	if det == 0 || math.IsNaN(det) || math.IsInf(det, 0) {
		return Affine{}, false
	}
	a, b, c, d := m[4]/det, -m[1]/det, -m[3]/det, m[0]/det
	return Affine{a, b, -(a*m[2] + b*m[5]), c, d, -(c*m[2] + d*m[5])}, true
}

// EstimateSimilarity is the least-squares similarity transform (rotation,
// uniform scale, translation; no reflection) taking src onto dst: the
// Umeyama (1991) estimate that skimage's SimilarityTransform and
// InsightFace's norm_crop use. In 2-D a scaled rotation is [a -b; b a], so
// the constrained problem is linear in (a, b) after centring:
// a = Σ(p·q)/Σ|p|², b = Σ(p×q)/Σ|p|², t = q̄ − [a -b; b a] p̄.
func EstimateSimilarity(src, dst [5][2]float64) Affine {
	var mx, my, nx, ny float64
	for i := range src {
		mx += src[i][0]
		my += src[i][1]
		nx += dst[i][0]
		ny += dst[i][1]
	}
	n := float64(len(src))
	mx, my, nx, ny = mx/n, my/n, nx/n, ny/n
	var sxx, dot, cross float64
	for i := range src {
		px, py := src[i][0]-mx, src[i][1]-my
		qx, qy := dst[i][0]-nx, dst[i][1]-ny
		sxx += px*px + py*py
		dot += px*qx + py*qy
		cross += px*qy - py*qx
	}
	if sxx == 0 {
		return Affine{1, 0, nx - mx, 0, 1, ny - my}
	}
	a, b := dot/sxx, cross/sxx
	return Affine{a, -b, nx - (a*mx - b*my), b, a, ny - (b*mx + a*my)}
}

// Warp fills a size x size interleaved RGB float crop (0..255) by sampling
// the RGB image (w x h, stride 3w) at m⁻¹(u, v) for every crop pixel (u,
// v), bilinearly, with pixels outside the image taken as 0 (the border of
// cv2.warpAffine's default BORDER_CONSTANT). m maps image to crop.
func Warp(w, h int, pix []uint8, m Affine, size int) []float32 {
	out := make([]float32, 3*size*size)
	inv, ok := m.Invert()
	if !ok {
		return out
	}
	at := func(x, y, c int) float32 {
		if x < 0 || y < 0 || x >= w || y >= h {
			return 0
		}
		return float32(pix[3*(y*w+x)+c])
	}
	for v := 0; v < size; v++ {
		for u := 0; u < size; u++ {
			sx, sy := inv.Apply(float64(u), float64(v))
			if !(sx > -1 && sy > -1 && sx < float64(w) && sy < float64(h)) {
				continue
			}
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			fx, fy := float32(sx-float64(x0)), float32(sy-float64(y0))
			o := 3 * (v*size + u)
			for c := 0; c < 3; c++ {
				top := at(x0, y0, c)*(1-fx) + at(x0+1, y0, c)*fx
				bot := at(x0, y0+1, c)*(1-fx) + at(x0+1, y0+1, c)*fx
				out[o+c] = top*(1-fy) + bot*fy
			}
		}
	}
	return out
}

// Norm says how an embedder wants its input: channel order and per-channel
// x' = (x − Mean)/Std on 0..255 values.
type Norm struct {
	BGR       bool
	Mean, Std [3]float32
}

// DefaultNorm is the ArcFace convention: RGB, (x − 127.5)/127.5.
var DefaultNorm = Norm{Mean: [3]float32{127.5, 127.5, 127.5}, Std: [3]float32{127.5, 127.5, 127.5}}

// Planes writes an interleaved RGB crop (size x size) into dst as
// normalised NCHW planes in the model's channel order, mirrored
// horizontally when flip is set.
func (n Norm) Planes(crop []float32, size int, flip bool, dst []float32) {
	plane := size * size
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			sx := x
			if flip {
				sx = size - 1 - x
			}
			p := crop[3*(y*size+sx):]
			for c := 0; c < 3; c++ {
				sc := c
				if n.BGR {
					sc = 2 - c
				}
				dst[c*plane+y*size+x] = (p[sc] - n.Mean[c]) / n.Std[c]
			}
		}
	}
}

// Normalize scales v to unit L2 length in place (a zero vector stays zero).
func Normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	k := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= k
	}
}

// Cosine is the cosine similarity of two vectors (0 when either is zero).
func Cosine(a, b []float32) float64 {
	var d, na, nb float64
	for i := range a {
		if i >= len(b) {
			break
		}
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return d / math.Sqrt(na*nb)
}
