package clock

import (
	"fmt"
	"math"
	"slices"
)

// Repair fixes raw stamps: it unwraps a counter that overflows every
// WrapModulus stamp units (0: none), then scales by Mul/Div (a seconds field
// counting milliseconds needs Div = 1000).
type Repair struct {
	WrapModulus int64
	Mul, Div    int64
}

// Identity reports whether the repair changes nothing.
func (r Repair) Identity() bool {
	return r.WrapModulus == 0 && (r.Mul == r.Div || r.Mul == 0 || r.Div == 0)
}

// String describes the repair ("unwrap 4294967296000, divide by 1000").
func (r Repair) String() string {
	s := ""
	if r.WrapModulus != 0 {
		s = fmt.Sprintf("unwrap by adding %d per wrap", r.WrapModulus)
	}
	if r.Mul > 0 && r.Div > 0 && r.Mul != r.Div {
		if s != "" {
			s += ", then "
		}
		switch {
		case r.Mul == 1:
			s += fmt.Sprintf("divide by %d", r.Div)
		case r.Div == 1:
			s += fmt.Sprintf("multiply by %d", r.Mul)
		default:
			s += fmt.Sprintf("multiply by %d/%d", r.Mul, r.Div)
		}
	}
	if s == "" {
		return "none"
	}
	return s
}

// Repairer applies a Repair to a stream of stamps in arrival order.
type Repairer struct {
	r     Repair
	wraps int64
	prev  int64
	any   bool
}

// NewRepairer returns a Repairer for r.
func NewRepairer(r Repair) *Repairer { return &Repairer{r: r} }

// Fix returns the repaired stamp.
func (p *Repairer) Fix(stamp int64) int64 {
	if m := p.r.WrapModulus; m > 0 {
		if p.any && stamp < p.prev-m/2 {
			p.wraps++
		} else if p.any && p.wraps > 0 && stamp > p.prev+m/2 {
			p.wraps-- // a late message from before the last wrap
		}
		p.prev, p.any = stamp, true
		stamp += p.wraps * m
	}
	if p.r.Mul > 0 && p.r.Div > 0 && p.r.Mul != p.r.Div {
		if p.r.Mul == 1 {
			stamp /= p.r.Div
		} else {
			stamp = int64(float64(stamp) * float64(p.r.Mul) / float64(p.r.Div))
		}
	}
	return stamp
}

// DetectScale compares how fast stamps and log times advance between
// consecutive samples (median ratio). When the ratio is 1000^k (k ≠ 0)
// within 12 %, it returns the scale that fixes it: Div = 1000^k for a clock
// ticking too fast (a seconds field counting milliseconds), Mul = 1000^-k
// for one ticking too slow. ratio is the measured median ratio.
func DetectScale(stamps, logs []int64) (mul, div int64, ratio float64, ok bool) {
	var rs []float64
	for i := 1; i < len(stamps) && i < len(logs); i++ {
		ds, dl := stamps[i]-stamps[i-1], logs[i]-logs[i-1]
		if ds > 0 && dl > 0 {
			rs = append(rs, float64(ds)/float64(dl))
		}
	}
	if len(rs) < 3 {
		return 1, 1, 0, false
	}
	slices.Sort(rs)
	ratio = rs[len(rs)/2]
	l := math.Log10(ratio)
	k := math.Round(l / 3)
	if k == 0 || math.Abs(l-3*k) > 0.05 || math.Abs(k) > 3 {
		return 1, 1, ratio, false
	}
	f := int64(math.Pow(1000, math.Abs(k)))
	if k > 0 {
		return 1, f, ratio, true
	}
	return f, 1, ratio, true
}

// DetectWrap looks for backward steps of the stamps that all have the same
// size (within 0.1 %), as a wrapping counter makes them. The size is
// measured against the stamp expected from the log time (ratio stamp units
// per log ns, e.g. from DetectScale) and snapped to a power of two times a
// power of 1000 when that is within 0.1 %. It returns the modulus and the
// number of wraps.
func DetectWrap(stamps, logs []int64, ratio float64) (modulus int64, wraps int, ok bool) {
	if ratio <= 0 {
		ratio = 1
	}
	var sizes []float64
	for i := 1; i < len(stamps) && i < len(logs); i++ {
		ds := stamps[i] - stamps[i-1]
		if ds >= 0 {
			continue
		}
		expect := float64(stamps[i-1]) + ratio*float64(logs[i]-logs[i-1])
		sizes = append(sizes, expect-float64(stamps[i]))
	}
	if len(sizes) == 0 {
		return 0, 0, false
	}
	slices.Sort(sizes)
	med := sizes[len(sizes)/2]
	if med <= 0 {
		return 0, 0, false
	}
	for _, s := range sizes {
		if math.Abs(s-med) > 1e-3*med {
			return 0, 0, false
		}
	}
	modulus = int64(math.Round(med))
	for _, unit := range []float64{1, 1e3, 1e6, 1e9} {
		ticks := med / unit
		if ticks < 2 {
			continue
		}
		p := math.Pow(2, math.Round(math.Log2(ticks)))
		if math.Abs(ticks/p-1) < 1e-3 {
			modulus = int64(p * unit)
			break
		}
	}
	return modulus, len(sizes), true
}

// JumpKind classifies a Jump.
type JumpKind string

// Jump kinds.
const (
	// Forward: the stamp clock jumped ahead of the log clock.
	Forward JumpKind = "forward"
	// Backward: the stamp clock jumped back (a reset or a time-sync step).
	Backward JumpKind = "backward"
)

// Jump is a step of the stamp clock against the log clock.
type Jump struct {
	// Index is the first sample after the jump; LogTime its log time.
	Index   int   `json:"index"`
	LogTime int64 `json:"log_time_ns"`
	// Step is the change of stamp − log time across the jump (ns).
	Step int64    `json:"step_ns"`
	Kind JumpKind `json:"kind"`
}

// DetectJumps finds steps of stamp − log time larger than threshold
// between consecutive samples (in arrival order). A step that is undone by
// the next sample (a single delayed message) is not a jump.
func DetectJumps(stamps, logs []int64, threshold int64) []Jump {
	var out []Jump
	n := min(len(stamps), len(logs))
	for i := 1; i < n; i++ {
		d0 := stamps[i-1] - logs[i-1]
		d1 := stamps[i] - logs[i]
		step := d1 - d0
		if abs(step) <= threshold {
			continue
		}
		if i+1 < n && abs((stamps[i+1]-logs[i+1])-d0) <= threshold {
			i++ // sample i is an outlier, not a step; i+1 is back on track
			continue
		}
		k := Forward
		if step < 0 {
			k = Backward
		}
		out = append(out, Jump{Index: i, LogTime: logs[i], Step: step, Kind: k})
	}
	return out
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
