package clock

import (
	"errors"
	"fmt"
	"slices"
)

// DefaultJumpThreshold is the step of stamp − log time that Analyze reports
// as a jump (50 ms).
const DefaultJumpThreshold = 50_000_000

// MinSamples is the fewest (stamp, log time) pairs Analyze and
// DetectRepairs work with.
const MinSamples = 3

// ErrUnrelatedLogTimes is returned (wrapped, with the evidence) by Analyze
// and DetectRepairs when the log times do not follow the stamps, so they
// cannot tell anything about the sensor clock: a converter that wrote
// every message in a burst, log times in another order than the stamps,
// or log times that advance at a rate no unit error explains.
var ErrUnrelatedLogTimes = errors.New("clock: log times do not follow the stamps (not capture times?)")

// Analysis is what Analyze finds about one sensor clock.
type Analysis struct {
	// Repair fixes unit errors and wrap-around; Ratio is the measured
	// stamp rate over the log rate before it, Wraps the number of wraps.
	Repair Repair
	Ratio  float64
	Wraps  int
	// Jumps remaining after the repair.
	Jumps []Jump
	// Estimate is fitted on the repaired stamps of the longest stretch
	// without jumps (Segment: first and last+1 sample index). DetectRepairs
	// leaves Estimate zero.
	Estimate Estimate
	Segment  [2]int
}

// Analyze detects unit errors, wrap-around and jumps of a sensor clock and
// estimates its model from the repaired stamps. stamps and logs are in
// arrival order. threshold ≤ 0 selects DefaultJumpThreshold.
//
// It fails with ErrTooFewPoints for fewer than MinSamples pairs (or too
// few in the longest stretch between jumps) and with ErrUnrelatedLogTimes
// when the log times are not capture times (see DetectRepairs).
func Analyze(stamps, logs []int64, threshold int64) (Analysis, error) {
	a, fixed, err := detect(stamps, logs, threshold)
	if err != nil {
		return a, err
	}
	e, err := EstimateOneWay(fixed[a.Segment[0]:a.Segment[1]], logs[a.Segment[0]:a.Segment[1]])
	if err != nil {
		return a, err
	}
	a.Estimate = e
	return a, nil
}

// DetectRepairs is Analyze without the estimate: it finds the unit error,
// wrap-around and jumps (and the longest stretch without jumps) but fits no
// model, for callers that are given the model or apply none.
//
// The log times must follow the stamps for any of this to mean something;
// it returns an error wrapping ErrUnrelatedLogTimes when they do not:
// fewer than half of the consecutive pairs advance in both stamp and log
// time (a burst of equal log times, or log times in another order), the
// stamps advance more than 2× faster or slower than the log times once a
// unit error is repaired (median over the pairs that advance), or the longest stretch between jumps holds fewer
// than MinSamples pairs.
func DetectRepairs(stamps, logs []int64, threshold int64) (Analysis, error) {
	a, _, err := detect(stamps, logs, threshold)
	return a, err
}

func detect(stamps, logs []int64, threshold int64) (Analysis, []int64, error) {
	if len(stamps) != len(logs) {
		return Analysis{}, nil, fmt.Errorf("clock: %d stamps but %d log times", len(stamps), len(logs))
	}
	if len(stamps) < MinSamples {
		return Analysis{}, nil, fmt.Errorf("%w: %d (need %d)", ErrTooFewPoints, len(stamps), MinSamples)
	}
	if threshold <= 0 {
		threshold = DefaultJumpThreshold
	}
	var rs []float64 // stamp step over log step, of the pairs advancing in both
	for i := 1; i < len(stamps); i++ {
		if ds, dl := stamps[i]-stamps[i-1], logs[i]-logs[i-1]; ds > 0 && dl > 0 {
			rs = append(rs, float64(ds)/float64(dl))
		}
	}
	if 2*len(rs) < len(stamps)-1 {
		return Analysis{}, nil, fmt.Errorf("%w: only %d of %d consecutive messages advance in both stamp and log time",
			ErrUnrelatedLogTimes, len(rs), len(stamps)-1)
	}
	var a Analysis
	mul, div, ratio, _ := DetectScale(stamps, logs)
	a.Ratio = ratio
	a.Repair = Repair{Mul: mul, Div: div}
	if ratio == 0 { // DetectScale needs 3 pairs; the median of fewer still tells
		slices.Sort(rs)
		ratio = rs[len(rs)/2]
	}
	if r := ratio * float64(mul) / float64(div); r < 0.5 || r > 2 {
		return a, nil, fmt.Errorf("%w: the stamps advance %.3g× as fast as the log times", ErrUnrelatedLogTimes, r)
	}
	ratio = a.Ratio
	if ratio > 0 {
		if m, n, ok := DetectWrap(stamps, logs, ratio); ok {
			a.Repair.WrapModulus, a.Wraps = m, n
		}
	}
	fixed := stamps
	if !a.Repair.Identity() {
		fixed = make([]int64, len(stamps))
		p := NewRepairer(a.Repair)
		for i, s := range stamps {
			fixed[i] = p.Fix(s)
		}
	}
	a.Jumps = DetectJumps(fixed, logs, threshold)
	// Fit the longest stretch between jumps.
	lo, best := 0, [2]int{0, len(fixed)}
	if len(a.Jumps) > 0 {
		best = [2]int{0, 0}
		for _, j := range append(a.Jumps, Jump{Index: len(fixed)}) {
			if j.Index-lo > best[1]-best[0] {
				best = [2]int{lo, j.Index}
			}
			lo = j.Index
		}
	}
	a.Segment = best
	if n := best[1] - best[0]; n < MinSamples {
		return a, nil, fmt.Errorf("%w: %d clock jumps in %d messages, at most %d in a row without one",
			ErrUnrelatedLogTimes, len(a.Jumps), len(stamps), n)
	}
	return a, fixed, nil
}
