package report

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/rigsync/rigsync/calib/check"
)

// Colours of the verdicts, shared by the plots and the page.
var verdictColor = map[check.Verdict]color.RGBA{
	check.OK:            {R: 0x1a, G: 0x7f, B: 0x37, A: 255},
	check.Suspicious:    {R: 0xc2, G: 0x7c, B: 0x0e, A: 255},
	check.Miscalibrated: {R: 0xc6, G: 0x28, B: 0x28, A: 255},
	check.Skipped:       {R: 0x75, G: 0x75, B: 0x75, A: 255},
	check.Inconclusive:  {R: 0x8a, G: 0x8a, B: 0x8a, A: 255},
	check.Unchecked:     {R: 0x5f, G: 0x5f, B: 0x5f, A: 255},
}

func colorOf(v check.Verdict) color.RGBA {
	if c, ok := verdictColor[v]; ok {
		return c
	}
	return verdictColor[check.Skipped]
}

// TimePlot writes a PNG of the pair's score per time window (x: seconds
// since start, the report's start on its clock), each window's point
// coloured by its verdict, and the change time (ChangedAt, with its
// uncertainty as a band) when the pair has one. It fails when the pair has
// no windows.
func TimePlot(w io.Writer, p *check.PairResult, start int64) error {
	if len(p.Windows) == 0 {
		return fmt.Errorf("report: %s: no time windows to plot", pairName(p))
	}
	pl := plot.New()
	pl.Title.Text = fmt.Sprintf("%s over time: %s", scoreName(p), pairName(p))
	pl.X.Label.Text = "window centre, s since start"
	pl.Y.Label.Text = scoreName(p)
	line := make(plotter.XYs, 0, len(p.Windows))
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, win := range p.Windows {
		if !finite(win.Score) {
			continue
		}
		x := float64((win.Start+win.End)/2-start) / 1e9
		line = append(line, plotter.XY{X: x, Y: win.Score})
		lo, hi = min(lo, win.Score), max(hi, win.Score)
	}
	if len(line) == 0 {
		return fmt.Errorf("report: %s: no finite window score to plot", pairName(p))
	}
	if !finite(hi - lo) {
		return fmt.Errorf("report: %s: window scores span %g to %g, too wide to plot", pairName(p), lo, hi)
	}
	if hi-lo < 1e-9 {
		lo, hi = lo-0.5*max(math.Abs(lo), 1e-3), hi+0.5*max(math.Abs(hi), 1e-3)
	}
	if p.ChangedAt != nil {
		t := float64(*p.ChangedAt-start) / 1e9
		u := float64(p.ChangeUncertaintyNs) / 1e9
		if u > 0 {
			band, err := plotter.NewPolygon(plotter.XYs{{X: t - u, Y: lo}, {X: t + u, Y: lo}, {X: t + u, Y: hi}, {X: t - u, Y: hi}})
			if err != nil {
				return fmt.Errorf("report: %s: %w", pairName(p), err)
			}
			band.Color = color.RGBA{R: 0xf4, G: 0xc0, B: 0xc0, A: 255}
			band.LineStyle.Width = 0
			pl.Add(band)
		}
		vl, err := plotter.NewLine(plotter.XYs{{X: t, Y: lo}, {X: t, Y: hi}})
		if err != nil {
			return fmt.Errorf("report: %s: %w", pairName(p), err)
		}
		vl.LineStyle.Color = verdictColor[check.Miscalibrated]
		vl.LineStyle.Width = vg.Points(2)
		vl.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		pl.Add(vl)
		pl.Legend.Add(fmt.Sprintf("changed at %.2f s ± %.2f s", t, u), vl)
	}
	l, err := plotter.NewLine(line)
	if err != nil {
		return fmt.Errorf("report: %s: %w", pairName(p), err)
	}
	l.LineStyle.Color = color.Gray{Y: 120}
	pl.Add(l)
	for _, v := range []check.Verdict{check.OK, check.Inconclusive, check.Suspicious, check.Miscalibrated, check.Skipped} {
		var pts plotter.XYs
		for _, win := range p.Windows {
			if win.Verdict == v && finite(win.Score) {
				pts = append(pts, plotter.XY{X: float64((win.Start+win.End)/2-start) / 1e9, Y: win.Score})
			}
		}
		if len(pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return fmt.Errorf("report: %s: %w", pairName(p), err)
		}
		sc.GlyphStyle.Color = colorOf(v)
		sc.GlyphStyle.Radius = vg.Points(3)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		pl.Add(sc)
		pl.Legend.Add(string(v), sc)
	}
	// Room above the data for the legend.
	pl.Legend.Top = true
	pl.Y.Min, pl.Y.Max = lo-0.05*(hi-lo), hi+0.45*(hi-lo)
	return savePNG(w, [][]*plot.Plot{{pl}}, 16*vg.Centimeter, 9*vg.Centimeter)
}

// searchAxis is one dimension of the perturbation search.
type searchAxis struct {
	name string
	get  func(check.SearchPoint) float64
	// now is the axis value of the suggested correction.
	now float64
	// lo and hi bound the finite values of the axis in the search.
	lo, hi float64
}

// searchAxes are the dimensions that vary in p.Search, each with the
// suggested correction's value on it (its roll, pitch, yaw in degrees and
// translation in m, in the sensor's frame as the search points are; the
// time offset in ms).
func searchAxes(p *check.PairResult) []searchAxis {
	rpy, t := correctionRPY(p.Correction)
	ax := []searchAxis{
		{name: "roll (deg)", get: func(s check.SearchPoint) float64 { return s.RotationDeg[0] }, now: rpy[0]},
		{name: "pitch (deg)", get: func(s check.SearchPoint) float64 { return s.RotationDeg[1] }, now: rpy[1]},
		{name: "yaw (deg)", get: func(s check.SearchPoint) float64 { return s.RotationDeg[2] }, now: rpy[2]},
		{name: "x (m)", get: func(s check.SearchPoint) float64 { return s.TranslationM[0] }, now: t[0]},
		{name: "y (m)", get: func(s check.SearchPoint) float64 { return s.TranslationM[1] }, now: t[1]},
		{name: "z (m)", get: func(s check.SearchPoint) float64 { return s.TranslationM[2] }, now: t[2]},
		{name: "time shift (ms)", get: func(s check.SearchPoint) float64 { return float64(s.TimeNs) / 1e6 },
			now: float64(p.TimeOffsetNs) / 1e6},
	}
	var out []searchAxis
	for _, a := range ax {
		a.lo, a.hi = math.Inf(1), math.Inf(-1)
		for _, s := range p.Search {
			if v := a.get(s); finite(v) {
				a.lo, a.hi = min(a.lo, v), max(a.hi, v)
			}
		}
		// An axis whose span overflows cannot be drawn.
		if a.hi > a.lo && finite(a.hi-a.lo) {
			out = append(out, a)
		}
	}
	return out
}

// correctionRPY is a row-major 4×4 transform's rotation as roll, pitch,
// yaw in degrees (URDF: R = Rz(yaw)·Ry(pitch)·Rx(roll)) and its
// translation. A zero matrix (no correction given) reads as identity.
func correctionRPY(m [16]float64) (rpy, t [3]float64) {
	if m == ([16]float64{}) {
		return rpy, t
	}
	const deg = 180 / math.Pi
	rpy = [3]float64{math.Atan2(m[9], m[10]) * deg, math.Asin(max(-1, min(1, -m[8]))) * deg, math.Atan2(m[4], m[0]) * deg}
	return rpy, [3]float64{m[3], m[7], m[11]}
}

// SearchPlot writes a PNG with one panel per searched dimension (roll,
// pitch, yaw, x, y, z, time shift: those that vary in p.Search): every
// evaluated candidate's score against its perturbation on that axis, a
// grey line at 0 (the current calibration) and a red line at the suggested
// correction. For a time-offset check this is the time-offset curve. It
// fails when the pair has no search points.
func SearchPlot(w io.Writer, p *check.PairResult) error {
	axes := searchAxes(p)
	if len(axes) == 0 {
		return fmt.Errorf("report: %s: no perturbation search to plot", pairName(p))
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range p.Search {
		if finite(s.Score) {
			lo, hi = min(lo, s.Score), max(hi, s.Score)
		}
	}
	if lo > hi {
		return fmt.Errorf("report: %s: no finite search score to plot", pairName(p))
	}
	if !finite(hi - lo) {
		return fmt.Errorf("report: %s: search scores span %g to %g, too wide to plot", pairName(p), lo, hi)
	}
	if hi-lo < 1e-9 {
		lo, hi = lo-0.5*max(math.Abs(lo), 1e-3), hi+0.5*max(math.Abs(hi), 1e-3)
	}
	cols := min(len(axes), 3)
	rows := (len(axes) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
	}
	for i, a := range axes {
		pl := plot.New()
		pl.X.Label.Text = a.name
		if i%cols == 0 {
			pl.Y.Label.Text = scoreName(p)
		}
		if i == 0 {
			pl.Title.Text = fmt.Sprintf("search: %s", pairName(p))
		}
		pts := make(plotter.XYs, 0, len(p.Search))
		for _, s := range p.Search {
			if x := a.get(s); finite(s.Score) && finite(x) {
				pts = append(pts, plotter.XY{X: x, Y: s.Score})
			}
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return fmt.Errorf("report: %s: %w", pairName(p), err)
		}
		sc.GlyphStyle.Radius = vg.Points(1.5)
		sc.GlyphStyle.Color = color.RGBA{B: 160, A: 255}
		for _, v := range []struct {
			x float64
			c color.Color
		}{{0, color.Gray{Y: 130}}, {a.now, verdictColor[check.Miscalibrated]}} {
			// A line far outside the searched range would squash the
			// panel (or overflow its span): leave it out.
			if w := a.hi - a.lo; !(v.x >= a.lo-w && v.x <= a.hi+w) {
				continue
			}
			l, err := plotter.NewLine(plotter.XYs{{X: v.x, Y: lo}, {X: v.x, Y: hi}})
			if err != nil {
				return fmt.Errorf("report: %s: %w", pairName(p), err)
			}
			l.LineStyle.Color = v.c
			pl.Add(l)
		}
		pl.Add(sc)
		grid[i/cols][i%cols] = pl
	}
	for r := range grid {
		for c := range grid[r] {
			if grid[r][c] == nil {
				grid[r][c] = plot.New()
				grid[r][c].HideAxes()
			}
		}
	}
	return savePNG(w, grid, vg.Length(cols)*8*vg.Centimeter, vg.Length(rows)*7*vg.Centimeter)
}

// savePNG draws a grid of plots into one PNG.
func savePNG(w io.Writer, grid [][]*plot.Plot, width, height vg.Length) error {
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(96))
	dc := draw.New(img)
	// A white background: the page may be dark or printed.
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	tiles := draw.Tiles{Rows: len(grid), Cols: len(grid[0]), PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(grid, tiles, dc)
	for r := range grid {
		for c := range grid[r] {
			grid[r][c].Draw(canvases[r][c])
		}
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return fmt.Errorf("report: png: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func pairName(p *check.PairResult) string {
	return fmt.Sprintf("%s %s→%s", p.Kind, p.Sensor, p.Reference)
}

func scoreName(p *check.PairResult) string {
	if p.ScoreName != "" {
		return p.ScoreName
	}
	return "score"
}
