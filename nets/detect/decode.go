package detect

import (
	"math"
	"sort"
)

// Face is one detection in pixels of the image given to Detect.
type Face struct {
	X, Y, W, H float64       // box, top-left corner and size
	Landmarks  [5][2]float64 // eyes, nose tip, mouth corners (ArcFace order for an upright face)
	Score      float64
}

// Area is the box area in square pixels.
func (f Face) Area() float64 { return f.W * f.H }

// Strides are YuNet's three output levels.
var Strides = [3]int{8, 16, 32}

// Head is one stride's raw outputs for one image: cls and obj hold one
// value per anchor, bbox four and kps ten, anchors row-major over the
// (H/s)x(W/s) grid.
type Head struct {
	Stride              int
	Cls, Obj, BBox, Kps []float32
}

// Decode turns YuNet's outputs for a network input of inW x inH into
// faces (in network-input pixels) whose score is at least minScore,
// following the 2023mar decode: score = sqrt(clamp(cls)*clamp(obj)),
// centre = (grid + offset)*stride, size = exp(log-size)*stride,
// landmark = (grid + offset)*stride. NMS is not applied here.
func Decode(heads []Head, inW, inH int, minScore float64) []Face {
	var out []Face
	for _, h := range heads {
		s := h.Stride
		cols, rows := inW/s, inH/s
		n := cols * rows
		if len(h.Cls) < n || len(h.Obj) < n || len(h.BBox) < 4*n || len(h.Kps) < 10*n {
			continue
		}
		fs := float64(s)
		for i := 0; i < n; i++ {
			score := math.Sqrt(clamp01(float64(h.Cls[i])) * clamp01(float64(h.Obj[i])))
			if score < minScore {
				continue
			}
			r, c := float64(i/cols), float64(i%cols)
			b := h.BBox[4*i : 4*i+4]
			cx := (c + float64(b[0])) * fs
			cy := (r + float64(b[1])) * fs
			w := math.Exp(float64(b[2])) * fs
			hh := math.Exp(float64(b[3])) * fs
			f := Face{X: cx - w/2, Y: cy - hh/2, W: w, H: hh, Score: score}
			k := h.Kps[10*i : 10*i+10]
			for j := 0; j < 5; j++ {
				f.Landmarks[j] = [2]float64{(c + float64(k[2*j])) * fs, (r + float64(k[2*j+1])) * fs}
			}
			out = append(out, f)
		}
	}
	return out
}

func clamp01(v float64) float64 {
	if v < 0 || v != v {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

// IoU is the intersection over union of two boxes.
func IoU(a, b Face) float64 {
	x0, y0 := math.Max(a.X, b.X), math.Max(a.Y, b.Y)
	x1, y1 := math.Min(a.X+a.W, b.X+b.W), math.Min(a.Y+a.H, b.Y+b.H)
	if x1 <= x0 || y1 <= y0 {
		return 0
	}
	inter := (x1 - x0) * (y1 - y0)
	u := a.Area() + b.Area() - inter
	if u <= 0 {
		return 0
	}
	return inter / u
}

// NMS keeps the highest-scoring face of every group whose IoU exceeds
// thresh (greedy, as OpenCV's NMSBoxes). The result is in score order.
func NMS(faces []Face, thresh float64) []Face {
	sorted := append([]Face(nil), faces...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Score > sorted[j].Score })
	var keep []Face
	for _, f := range sorted {
		ok := true
		for _, k := range keep {
			if IoU(f, k) > thresh {
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, f)
		}
	}
	return keep
}

// SortByArea orders faces largest first (ties: higher score first).
func SortByArea(faces []Face) {
	sort.SliceStable(faces, func(i, j int) bool {
		ai, aj := faces[i].Area(), faces[j].Area()
		if ai != aj {
			return ai > aj
		}
		return faces[i].Score > faces[j].Score
	})
}

// scale maps a face from network-input pixels to image pixels (divide by
// the horizontal and vertical resize factors).
func (f Face) scale(sx, sy float64) Face {
	f.X /= sx
	f.Y /= sy
	f.W /= sx
	f.H /= sy
	for i := range f.Landmarks {
		f.Landmarks[i][0] /= sx
		f.Landmarks[i][1] /= sy
	}
	return f
}
