package syncplot

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/rigsync/rigsync/internal/app/syncapp"
	"github.com/rigsync/rigsync/internal/atomicfile"
)

// Timeline writes a PNG with one row per topic: a tick per message at its
// corrected stamp (seconds since the first stamp of the report) and a red
// bar over every gap.
func Timeline(rep *syncapp.Report, path string) error {
	if len(rep.Timelines) != len(rep.Topics) {
		return fmt.Errorf("syncplot: report has %d timelines for %d topics", len(rep.Timelines), len(rep.Topics))
	}
	t0 := int64(math.MaxInt64)
	for _, ts := range rep.Timelines {
		for _, t := range ts {
			t0 = min(t0, t)
		}
	}
	p := plot.New()
	p.Title.Text = "messages per sensor (corrected stamps); red: gaps"
	p.X.Label.Text = "time since first stamp (s)"
	names := make([]string, len(rep.Topics))
	for i, tr := range rep.Topics {
		names[i] = tr.Topic
		pts := make(plotter.XYs, len(rep.Timelines[i]))
		for j, t := range rep.Timelines[i] {
			pts[j] = plotter.XY{X: float64(t-t0) / 1e9, Y: float64(i)}
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return fmt.Errorf("syncplot: %s: %w", tr.Topic, err)
		}
		sc.GlyphStyle.Radius = vg.Points(1.5)
		sc.GlyphStyle.Color = color.RGBA{B: 160, A: 255}
		p.Add(sc)
		for _, g := range tr.Gaps {
			l, err := plotter.NewLine(plotter.XYs{{X: float64(g.After-t0) / 1e9, Y: float64(i)}, {X: float64(g.Before-t0) / 1e9, Y: float64(i)}})
			if err != nil {
				return fmt.Errorf("syncplot: %s gap: %w", tr.Topic, err)
			}
			l.LineStyle.Width = vg.Points(5)
			l.LineStyle.Color = color.RGBA{R: 220, A: 255}
			p.Add(l)
		}
	}
	p.NominalY(names...)
	h := vg.Length(60+30*len(names)) * vg.Points(1)
	if err := p.Save(28*vg.Centimeter, max(h, 6*vg.Centimeter), path); err != nil {
		return fmt.Errorf("syncplot: %w", err)
	}
	return nil
}

// Histogram writes a PNG histogram of the sets' residual spreads (max −
// min corrected stamp, in ms).
func Histogram(rep *syncapp.Report, path string) error {
	if len(rep.Spreads) == 0 {
		return fmt.Errorf("syncplot: no sets to plot")
	}
	v := make(plotter.Values, len(rep.Spreads))
	for i, s := range rep.Spreads {
		v[i] = float64(s) / 1e6
	}
	hist, err := plotter.NewHist(v, 40)
	if err != nil {
		return fmt.Errorf("syncplot: %w", err)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("set spread (%d sets, p50 %.3f ms, p95 %.3f ms, max %.3f ms)", rep.Sets,
		float64(rep.Spread.P50)/1e6, float64(rep.Spread.P95)/1e6, float64(rep.Spread.Max)/1e6)
	p.X.Label.Text = "max − min corrected stamp in a set (ms)"
	p.Y.Label.Text = "sets"
	p.Add(hist)
	if err := p.Save(16*vg.Centimeter, 10*vg.Centimeter, path); err != nil {
		return fmt.Errorf("syncplot: %w", err)
	}
	return nil
}

// Write writes both pictures of rep beside prefix, each whole or not at
// all (internal/atomicfile): PREFIX-timeline.png, and PREFIX-residuals.png
// when rep has sets. The folder of prefix must exist.
func Write(prefix string, rep *syncapp.Report) error {
	if err := atomicfile.WriteVia(prefix+"-timeline.png", func(tmp string) error { return Timeline(rep, tmp) }); err != nil {
		return err
	}
	if rep.Sets > 0 {
		if err := atomicfile.WriteVia(prefix+"-residuals.png", func(tmp string) error { return Histogram(rep, tmp) }); err != nil {
			return err
		}
	}
	return nil
}
