package report

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"testing"

	"github.com/rigsync/rigsync/calib/check"
)

// FuzzWriteHTML builds a pair's numbers (windows, search points, change
// time, correction) from arbitrary bytes: WriteHTML, TimePlot and
// SearchPlot must never panic; WriteHTML fails only on a non-finite number
// the JSON report cannot hold.
func FuzzWriteHTML(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0x3f, 0xf0, 0, 0, 0, 0, 0, 0}, 20))
	f.Add(bytes.Repeat([]byte{0x7f, 0xf0, 0, 0, 0, 0, 0, 1, 0xc0, 0, 0, 0, 0, 0, 0, 0}, 9))
	f.Fuzz(func(t *testing.T, data []byte) {
		next := func() float64 {
			if len(data) < 8 {
				return 0
			}
			v := math.Float64frombits(binary.BigEndian.Uint64(data))
			data = data[8:]
			return v
		}
		p := check.PairResult{Kind: check.KindLidarCamera, Sensor: "cam", Reference: "lidar", Verdict: check.Miscalibrated}
		p.Score, p.BestScore = next(), next()
		for k := range p.Correction {
			p.Correction[k] = next()
		}
		finiteAll := finite(p.Score) && finite(p.BestScore)
		for _, c := range p.Correction {
			finiteAll = finiteAll && finite(c)
		}
		for len(data) >= 24 {
			a, b, sc := next(), next(), next()
			finiteAll = finiteAll && finite(sc) && finite(a)
			p.Windows = append(p.Windows, check.Window{Start: int64(a), End: int64(b), Score: sc, Verdict: check.OK})
			p.Search = append(p.Search, check.SearchPoint{RotationDeg: [3]float64{a, b, 0}, TimeNs: int64(b), Score: sc})
			if len(p.Windows) == 2 {
				at := int64(a)
				p.ChangedAt, p.ChangeUncertaintyNs = &at, int64(b)
			}
		}
		rep := &check.Report{Pairs: []check.PairResult{p}, Verdict: p.Verdict}
		_ = TimePlot(io.Discard, &p, 0)
		_ = SearchPlot(io.Discard, &p)
		if err := WriteHTML(io.Discard, rep); err != nil && finiteAll {
			t.Fatalf("finite report refused: %v", err)
		}
	})
}
