package main

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

// series is one named set of values, one per group (bars) or one per x
// (lines).
type series struct {
	name string
	vals []float64 // bars: one per group; NaN leaves a gap
	xys  plotter.XYs
	// styled lines take colour and dash pattern from these indices
	// (plotutil's palettes) instead of the series' position.
	styled      bool
	color, dash int
}

// hline is a labelled horizontal reference line (a peak, a ratio of 1).
type hline struct {
	label string
	y     float64
}

const chartW, chartH = 9 * vg.Inch, 4.8 * vg.Inch

// refColors are kept apart from plotutil's data palette so reference
// lines are never mistaken for data.
var refColors = []color.Color{
	color.Black,
	color.RGBA{R: 140, G: 90, B: 40, A: 255},
	color.RGBA{R: 120, G: 120, B: 120, A: 255},
	color.RGBA{R: 60, G: 60, B: 130, A: 255},
}

func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	return p
}

// addHLines draws reference lines and stretches the y axis to show them.
func addHLines(p *plot.Plot, lines []hline) error {
	lines = mergeEqual(lines)
	for i, h := range lines {
		y := h.y
		f := plotter.NewFunction(func(float64) float64 { return y })
		f.Color = refColors[i%len(refColors)]
		f.Width = vg.Points(1.2)
		f.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		p.Add(f)
		p.Legend.Add(h.label, f)
		if y*1.08 > p.Y.Max {
			p.Y.Max = y * 1.08
		}
	}
	return nil
}

// barChart draws grouped bars: one group per name in groups, one bar per
// series inside each group.
func barChart(path, title, ylabel string, groups []string, ss []series, lines []hline) error {
	if len(groups) == 0 || len(ss) == 0 {
		return fmt.Errorf("%s: no data", path)
	}
	p := newPlot(title, "", ylabel)
	w := vg.Points(math.Min(22, 430/float64(len(groups)*len(ss))))
	for i, s := range ss {
		vals := make(plotter.Values, len(groups))
		for g := range groups {
			if g < len(s.vals) && !math.IsNaN(s.vals[g]) {
				vals[g] = s.vals[g]
			}
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		b.Color = plotutil.Color(i)
		b.LineStyle.Width = 0
		b.Offset = vg.Length(float64(i)-float64(len(ss)-1)/2) * w
		p.Add(b)
		p.Legend.Add(s.name, b)
	}
	p.NominalX(groups...)
	p.X.Min, p.X.Max = -0.6, float64(len(groups))-0.4
	if len(groups) > 5 {
		p.X.Tick.Label.Rotation = math.Pi / 7
		p.X.Tick.Label.XAlign = text.XRight
		p.X.Tick.Label.YAlign = text.YCenter
	}
	p.Y.Min = 0
	if err := addHLines(p, lines); err != nil {
		return err
	}
	p.Y.Max *= legendRoom(len(ss) + len(lines))
	return p.Save(chartW, chartH, path)
}

// lineChart draws one line with points per series; with log2X the x axis
// is logarithmic with ticks at the data's x values (concurrency 1, 2,
// 4, ...).
func lineChart(path, title, xlabel, ylabel string, ss []series, lines []hline, log2X bool) error {
	if len(ss) == 0 {
		return fmt.Errorf("%s: no data", path)
	}
	p := newPlot(title, xlabel, ylabel)
	xs := map[float64]bool{}
	for i, s := range ss {
		if len(s.xys) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(s.xys)
		if err != nil {
			return err
		}
		ci, di, si := i, i/7, i
		if s.styled {
			ci, di, si = s.color, s.dash, s.dash
		}
		l.Color = plotutil.Color(ci)
		l.Width = vg.Points(1.5)
		l.Dashes = plotutil.Dashes(di)
		pts.Color = plotutil.Color(ci)
		pts.Shape = plotutil.Shape(si)
		p.Add(l, pts)
		p.Legend.Add(s.name, l, pts)
		for _, xy := range s.xys {
			xs[xy.X] = true
		}
	}
	if log2X {
		p.X.Scale = plot.LogScale{}
		var ticks []plot.Tick
		for x := range xs {
			ticks = append(ticks, plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'f', -1, 64)})
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		p.X.Min /= 1.15
		p.X.Max *= 1.15
	}
	p.Y.Min = 0
	if err := addHLines(p, lines); err != nil {
		return err
	}
	p.Y.Max *= legendRoom(len(ss) + len(mergeEqual(lines)))
	return p.Save(chartW, chartH, path)
}

// legendRoom is the factor that lifts the y axis so that a legend of n
// entries in the top left corner does not cover the data.
func legendRoom(n int) float64 { return 1.1 + 0.075*float64(n) }

// mergeEqual joins reference lines at the same height (AVX2 on two cores
// and AVX-512 on one have the same peak) into one line with both labels.
func mergeEqual(lines []hline) []hline {
	var out []hline
next:
	for _, h := range lines {
		for i := range out {
			if math.Abs(out[i].y-h.y) <= 1e-9*math.Max(1, h.y) {
				out[i].label += " = " + h.label
				continue next
			}
		}
		out = append(out, h)
	}
	return out
}
