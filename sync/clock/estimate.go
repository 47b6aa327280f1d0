package clock

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrTooFewPoints is returned when an estimate needs more samples.
var ErrTooFewPoints = errors.New("clock: too few samples")

// Estimate is a clock model fitted from (stamp, log time) pairs.
type Estimate struct {
	// Model maps stamps to log time minus the minimum delay.
	Model Model
	// Points is the number of samples used; HullPoints the vertices of the
	// lower hull.
	Points, HullPoints int
	// DelayP50, DelayP95 and DelayMax describe each sample's log time above
	// the fitted line (ns): the transport delay beyond the minimum.
	DelayP50, DelayP95, DelayMax int64
	// DriftSigmaPPM is a 1-σ scale of the drift's uncertainty: the error
	// of the minimum of a third of the samples (≈ delay spread / samples in
	// it), twice, over two thirds of the span. A drift within a few σ of
	// zero is not significant.
	DriftSigmaPPM float64
}

// EstimateOneWay fits the lower envelope of log time against stamp. stamps
// and logs are parallel; samples need not be sorted but stamps must not
// all be equal. At least 2 samples are needed.
func EstimateOneWay(stamps, logs []int64) (Estimate, error) {
	if len(stamps) != len(logs) {
		return Estimate{}, fmt.Errorf("clock: %d stamps but %d log times", len(stamps), len(logs))
	}
	if len(stamps) < 2 {
		return Estimate{}, fmt.Errorf("%w: %d (need 2)", ErrTooFewPoints, len(stamps))
	}
	type pt struct{ x, y float64 }
	x0 := stamps[0]
	for _, s := range stamps {
		x0 = min(x0, s)
	}
	pts := make([]pt, len(stamps))
	var mean float64
	for i := range stamps {
		pts[i] = pt{float64(stamps[i] - x0), float64(logs[i] - stamps[i])}
		mean += pts[i].x
	}
	mean /= float64(len(pts))
	slices.SortFunc(pts, func(a, b pt) int {
		switch {
		case a.x < b.x:
			return -1
		case a.x > b.x:
			return 1
		case a.y < b.y:
			return -1
		case a.y > b.y:
			return 1
		}
		return 0
	})
	// Lower convex hull (monotone chain); of equal x keep the lowest y.
	hull := make([]pt, 0, 16)
	for i, p := range pts {
		if i > 0 && p.x == pts[i-1].x {
			continue
		}
		for len(hull) >= 2 {
			a, b := hull[len(hull)-2], hull[len(hull)-1]
			// Pop b when it lies on or above the segment a–p.
			if (b.x-a.x)*(p.y-a.y)-(b.y-a.y)*(p.x-a.x) <= 0 {
				hull = hull[:len(hull)-1]
				continue
			}
			break
		}
		hull = append(hull, p)
	}
	if len(hull) < 2 {
		return Estimate{}, fmt.Errorf("%w: all %d stamps are equal", ErrTooFewPoints, len(stamps))
	}
	// The edge over the mean stamp minimises the summed delay.
	j := 1
	for j < len(hull)-1 && hull[j].x < mean {
		j++
	}
	a, b := hull[j-1], hull[j]
	slope := (b.y - a.y) / (b.x - a.x)
	icpt := a.y - slope*a.x // y at x = 0, i.e. at stamp x0
	// log_min(stamp) = stamp + icpt + slope·(stamp − x0)
	//                = x0 + icpt + (stamp − x0)(1 + slope).
	// Model: t = Ref + (stamp − Offset − Ref)/(1+D) with Ref = x0 + icpt.
	e := Estimate{Points: len(stamps), HullPoints: len(hull)}
	drift := 1/(1+slope) - 1
	e.Model = Model{Ref: x0 + int64(math.Round(icpt)), DriftPPM: drift * 1e6}
	e.Model.Offset = -int64(math.Round(icpt))
	delays := make([]int64, len(pts))
	for i, p := range pts {
		delays[i] = int64(math.Round(p.y - (icpt + slope*p.x)))
	}
	slices.Sort(delays)
	e.DelayP50 = delays[len(delays)/2]
	e.DelayP95 = delays[(len(delays)*95)/100]
	e.DelayMax = delays[len(delays)-1]
	if span := pts[len(pts)-1].x - pts[0].x; span > 0 {
		third := max(float64(len(pts))/3, 1)
		e.DriftSigmaPPM = 1e6 * math.Sqrt2 * (float64(e.DelayP95) / 0.95 / third) / (2 * span / 3)
	}
	return e, nil
}
