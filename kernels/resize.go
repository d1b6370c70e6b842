package kernels

import (
	"fmt"
	"math"
)

// ResizeParams selects ONNX Resize behaviour. Empty strings take the ONNX
// defaults: Mode "nearest", CoordMode "half_pixel", NearestMode
// "round_prefer_floor". ScaleH/ScaleW are the ONNX scales when the model
// gives them (they matter when out/in is not exactly the scale, e.g. 0.5 on
// an odd size); zero means outH/inH and outW/inW.
type ResizeParams struct {
	Mode, CoordMode, NearestMode string
	ScaleH, ScaleW               float64
}

// Validate reports modes Resize does not implement.
func (p ResizeParams) Validate() error {
	switch p.Mode {
	case "", "nearest", "linear":
	default:
		return fmt.Errorf("kernels: resize: unsupported mode %q", p.Mode)
	}
	switch p.CoordMode {
	case "", "half_pixel", "pytorch_half_pixel", "asymmetric", "align_corners", "tf_half_pixel_for_centers":
	default:
		return fmt.Errorf("kernels: resize: unsupported coordinate_transformation_mode %q", p.CoordMode)
	}
	switch p.NearestMode {
	case "", "round_prefer_floor", "round_prefer_ceil", "floor", "ceil":
	default:
		return fmt.Errorf("kernels: resize: unsupported nearest_mode %q", p.NearestMode)
	}
	return nil
}

// Coordinate transformation modes.
const (
	coordHalfPixel = iota
	coordPytorchHalfPixel
	coordAsymmetric
	coordAlignCorners
	coordTFHalfPixel
)

// Nearest rounding modes.
const (
	nearestRoundPreferFloor = iota
	nearestRoundPreferCeil
	nearestFloor
	nearestCeil
)

// resizeAxis maps output coordinates of one axis to input coordinates,
// in float32 as ONNX Runtime does so ties round the same way.
type resizeAxis struct {
	coord     int
	in, out   int
	scale     float32
	nearest   int
	alignStep float32
}

func newResizeAxis(coord, nearest, in, out int, scale float64) resizeAxis {
	if scale == 0 {
		scale = float64(out) / float64(in)
	}
	a := resizeAxis{coord: coord, in: in, out: out, scale: float32(scale), nearest: nearest}
	if out > 1 {
		a.alignStep = float32(in-1) / float32(out-1)
	}
	return a
}

// orig is the input coordinate of output index x.
func (a *resizeAxis) orig(x int) float32 {
	xf := float32(x)
	switch a.coord {
	case coordPytorchHalfPixel:
		if a.out <= 1 {
			return 0
		}
		return (xf+0.5)/a.scale - 0.5
	case coordAsymmetric:
		return xf / a.scale
	case coordAlignCorners:
		return xf * a.alignStep
	case coordTFHalfPixel:
		return (xf + 0.5) / a.scale
	}
	return (xf+0.5)/a.scale - 0.5
}

// nearestIndex is the input index nearest to output index x.
func (a *resizeAxis) nearestIndex(x int) int {
	f := a.orig(x)
	var i float32
	switch a.nearest {
	case nearestRoundPreferCeil:
		i = float32(math.Round(float64(f)))
	case nearestFloor:
		i = float32(math.Floor(float64(f)))
	case nearestCeil:
		i = float32(math.Ceil(float64(f)))
	default:
		if f == float32(math.Floor(float64(f)))+0.5 {
			i = float32(math.Floor(float64(f)))
		} else {
			i = float32(math.Round(float64(f)))
		}
	}
	return min(max(int(i), 0), a.in-1)
}

// linear returns the two input indices around output index x and the weight
// of the second; the coordinate is clamped to the input like ONNX Runtime.
func (a *resizeAxis) linear(x int) (i0, i1 int, w float32) {
	f := a.orig(x)
	f = min(max(f, 0), float32(a.in-1))
	i0 = int(f)
	i1 = min(i0+1, a.in-1)
	return i0, i1, f - float32(i0)
}

// axes returns the coordinate mappings of the rows and columns.
func (p ResizeParams) axes(inH, inW, outH, outW int) (ay, ax resizeAxis) {
	coord := coordHalfPixel
	switch p.CoordMode {
	case "pytorch_half_pixel":
		coord = coordPytorchHalfPixel
	case "asymmetric":
		coord = coordAsymmetric
	case "align_corners":
		coord = coordAlignCorners
	case "tf_half_pixel_for_centers":
		coord = coordTFHalfPixel
	}
	nearest := nearestRoundPreferFloor
	switch p.NearestMode {
	case "round_prefer_ceil":
		nearest = nearestRoundPreferCeil
	case "floor":
		nearest = nearestFloor
	case "ceil":
		nearest = nearestCeil
	}
	ay = newResizeAxis(coord, nearest, inH, outH, p.ScaleH)
	ax = newResizeAxis(coord, nearest, inW, outW, p.ScaleW)
	return ay, ax
}

// ResizeDoubles reports whether Resize with p maps an inH×inW plane to
// outH×outW by repeating every value into a 2×2 block (nearest-neighbour
// up-sampling by exactly 2, as feature pyramids do), which is what Up2Add
// computes.
func ResizeDoubles(p ResizeParams, inH, inW, outH, outW int) bool {
	if p.Validate() != nil || (p.Mode != "" && p.Mode != "nearest") || inH <= 0 || inW <= 0 || outH != 2*inH || outW != 2*inW {
		return false
	}
	ay, ax := p.axes(inH, inW, outH, outW)
	for o := 0; o < outH; o++ {
		if ay.nearestIndex(o) != o/2 {
			return false
		}
	}
	for o := 0; o < outW; o++ {
		if ax.nearestIndex(o) != o/2 {
			return false
		}
	}
	return true
}

// Resize of one image (c planes of inH×inW into c planes of outH×outW),
// ONNX Resize semantics for mode "nearest" (nearest_mode
// floor/round_prefer_floor/round_prefer_ceil/ceil) and "linear"
// (bilinear), coordinate_transformation_mode half_pixel, asymmetric,
// align_corners, pytorch_half_pixel and tf_half_pixel_for_centers. It panics
// on modes Validate rejects.
func Resize(p ResizeParams, in []float32, c, inH, inW int, out []float32, outH, outW int) {
	if err := p.Validate(); err != nil {
		panic(err.Error())
	}
	if c <= 0 || outH <= 0 || outW <= 0 {
		return
	}
	if inH <= 0 || inW <= 0 || len(in) < c*inH*inW || len(out) < c*outH*outW {
		panic(fmt.Sprintf("kernels: Resize: %d/%d values for %d×%d×%d → %d×%d", len(in), len(out), c, inH, inW, outH, outW))
	}
	ay, ax := p.axes(inH, inW, outH, outW)
	inPlane, outPlane := inH*inW, outH*outW
	// Column tables are computed once per call (not per row and channel);
	// they live on the stack, so very wide outputs fall back to computing
	// the coordinates per pixel.
	var x0s, x1s [resizeTable]int32
	var wxs [resizeTable]float32
	table := outW <= resizeTable
	if p.Mode == "linear" {
		if table {
			for ow := 0; ow < outW; ow++ {
				x0, x1, wx := ax.linear(ow)
				x0s[ow], x1s[ow], wxs[ow] = int32(x0), int32(x1), wx
			}
		}
		for ch := 0; ch < c; ch++ {
			src := in[ch*inPlane : (ch+1)*inPlane]
			dst := out[ch*outPlane : (ch+1)*outPlane]
			for oh := 0; oh < outH; oh++ {
				y0, y1, wy := ay.linear(oh)
				r0 := src[y0*inW : (y0+1)*inW]
				r1 := src[y1*inW : (y1+1)*inW]
				drow := dst[oh*outW : (oh+1)*outW]
				for ow := range drow {
					var x0, x1 int
					var wx float32
					if table {
						x0, x1, wx = int(x0s[ow]), int(x1s[ow]), wxs[ow]
					} else {
						x0, x1, wx = ax.linear(ow)
					}
					top := r0[x0] + (r0[x1]-r0[x0])*wx
					bot := r1[x0] + (r1[x1]-r1[x0])*wx
					drow[ow] = top + (bot-top)*wy
				}
			}
		}
		return
	}
	// double: every input column is repeated twice (FPN up-sampling by
	// 2), which a plain loop does without the table lookups.
	double := table && outW == 2*inW
	if table {
		for ow := 0; ow < outW; ow++ {
			x0s[ow] = int32(ax.nearestIndex(ow))
			double = double && int(x0s[ow]) == ow/2
		}
	}
	if double && outH == 2*inH {
		rows := true
		for oh := 0; oh < outH && rows; oh++ {
			rows = ay.nearestIndex(oh) == oh/2
		}
		if rows {
			// Both axes doubled (the FPN's up-sampling): each input row
			// is doubled into one output row, which is copied below it.
			for r := 0; r < c*inH; r++ {
				d := out[2*r*outW : (2*r+2)*outW]
				dupRow(d[:outW], in[r*inW:(r+1)*inW])
				copy(d[outW:], d[:outW])
			}
			return
		}
	}
	for ch := 0; ch < c; ch++ {
		src := in[ch*inPlane : (ch+1)*inPlane]
		dst := out[ch*outPlane : (ch+1)*outPlane]
		prev := -1
		for oh := 0; oh < outH; oh++ {
			iy := ay.nearestIndex(oh)
			drow := dst[oh*outW : (oh+1)*outW]
			if iy == prev {
				// Up-sampling repeats input rows: copy the row just made.
				copy(drow, dst[(oh-1)*outW:oh*outW])
				continue
			}
			prev = iy
			row := src[iy*inW : (iy+1)*inW]
			if double {
				dupRow(drow, row)
				continue
			}
			if table {
				for ow, x := range x0s[:outW] {
					drow[ow] = row[x]
				}
				continue
			}
			for ow := range drow {
				drow[ow] = row[ax.nearestIndex(ow)]
			}
		}
	}
}

// resizeTable is the widest output whose column coordinates Resize
// tabulates.
const resizeTable = 1024
