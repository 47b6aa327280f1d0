package clock

import "fmt"

// DefaultJumpThreshold is the step of stamp − log time that Analyze reports
// as a jump (50 ms).
const DefaultJumpThreshold = 50_000_000

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
	// without jumps (Segment: first and last+1 sample index).
	Estimate Estimate
	Segment  [2]int
}

// Analyze detects unit errors, wrap-around and jumps of a sensor clock and
// estimates its model from the repaired stamps. stamps and logs are in
// arrival order. threshold ≤ 0 selects DefaultJumpThreshold.
func Analyze(stamps, logs []int64, threshold int64) (Analysis, error) {
	if len(stamps) != len(logs) {
		return Analysis{}, fmt.Errorf("clock: %d stamps but %d log times", len(stamps), len(logs))
	}
	if threshold <= 0 {
		threshold = DefaultJumpThreshold
	}
	var a Analysis
	mul, div, ratio, _ := DetectScale(stamps, logs)
	a.Ratio = ratio
	a.Repair = Repair{Mul: mul, Div: div}
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
	e, err := EstimateOneWay(fixed[best[0]:best[1]], logs[best[0]:best[1]])
	if err != nil {
		return a, err
	}
	a.Estimate = e
	return a, nil
}
