package fleet

import (
	"math"
	"sort"
	"strings"
)

// WorstLogs is how many logs Coverage.Worst keeps.
const WorstLogs = 10

// Coverage sums summaries over a fleet: coverage.json. Add and Merge are
// commutative and associative, so any order of logs and any split over
// workers gives the same Coverage: every sum is kept in integer units
// (milliseconds, millimetres, counts) and the floats (Hours, DistanceKm)
// are derived from them.
type Coverage struct {
	Logs   int `json:"logs"`
	Passed int `json:"passed"`
	Warned int `json:"warned"`
	Failed int `json:"failed"`
	// Hours is the total recorded time of the readable logs (from
	// DurationMs).
	Hours      float64 `json:"hours"`
	DurationMs int64   `json:"duration_ms"`
	// DistanceKm is the total ego distance (from DistanceMm).
	DistanceKm float64 `json:"distance_km"`
	DistanceMm int64   `json:"distance_mm"`
	// Conditions is the fleet's time per band (ms), as in Summary.
	Conditions Conditions `json:"conditions"`
	// Sensors is, per sensor name, its availability over the fleet.
	Sensors map[string]SensorCoverage `json:"sensors,omitempty"`
	// Scenes counts the scenes per kind.
	Scenes map[string]int `json:"scenes,omitempty"`
	// Reasons counts the gate reasons of warned and failed logs per rule
	// (the reason's text before its first ':').
	Reasons map[string]int `json:"reasons,omitempty"`
	// Worst are the WorstLogs worst logs: failed before warned before
	// passed, then by their number of reasons, then by content hash.
	Worst []WorstLog `json:"worst,omitempty"`
}

// SensorCoverage is one sensor's availability over a fleet: the logs
// that have it and its present, dropout and degraded time in ms.
type SensorCoverage struct {
	Logs       int   `json:"logs"`
	PresentMs  int64 `json:"present_ms"`
	DropoutMs  int64 `json:"dropout_ms"`
	DegradedMs int64 `json:"degraded_ms"`
}

// WorstLog is one entry of Coverage.Worst.
type WorstLog struct {
	Path    string   `json:"path"`
	SHA256  string   `json:"sha256"`
	Verdict string   `json:"verdict"`
	Reasons []string `json:"reasons,omitempty"`
}

// Add counts one log.
func (c *Coverage) Add(r Result) {
	var o Coverage
	s := r.Summary
	o.Logs = 1
	switch s.Gate.Verdict {
	case Pass:
		o.Passed = 1
	case Warn:
		o.Warned = 1
	default:
		o.Failed = 1
	}
	o.DurationMs = int64(math.Round(s.DurationS * 1000))
	o.DistanceMm = int64(math.Round(s.Ego.DistanceM * 1000))
	o.Conditions = s.Conditions.clone()
	for _, sn := range s.Sensors {
		if sn.PresentMs == 0 && sn.DropoutMs == 0 && sn.DegradedMs == 0 {
			continue
		}
		if o.Sensors == nil {
			o.Sensors = map[string]SensorCoverage{}
		}
		sc := o.Sensors[sn.Name]
		sc.Logs = 1
		sc.PresentMs += sn.PresentMs
		sc.DropoutMs += sn.DropoutMs
		sc.DegradedMs += sn.DegradedMs
		o.Sensors[sn.Name] = sc
	}
	for _, sc := range r.Scenes {
		addCount(&o.Scenes, sc.Kind, 1)
	}
	if s.Gate.Verdict != Pass {
		for _, reason := range s.Gate.Reasons {
			rule, _, _ := strings.Cut(reason, ":")
			addCount(&o.Reasons, rule, 1)
		}
	}
	o.Worst = []WorstLog{{Path: s.Path, SHA256: s.SHA256, Verdict: s.Gate.Verdict, Reasons: s.Gate.Reasons}}
	c.Merge(o)
}

// Merge adds another partial coverage to c.
func (c *Coverage) Merge(o Coverage) {
	c.Logs += o.Logs
	c.Passed += o.Passed
	c.Warned += o.Warned
	c.Failed += o.Failed
	c.DurationMs += o.DurationMs
	c.DistanceMm += o.DistanceMm
	c.Hours = float64(c.DurationMs) / 3.6e6
	c.DistanceKm = float64(c.DistanceMm) / 1e6
	c.Conditions.Merge(o.Conditions)
	for name, sc := range o.Sensors {
		if c.Sensors == nil {
			c.Sensors = map[string]SensorCoverage{}
		}
		cur := c.Sensors[name]
		cur.Logs += sc.Logs
		cur.PresentMs += sc.PresentMs
		cur.DropoutMs += sc.DropoutMs
		cur.DegradedMs += sc.DegradedMs
		c.Sensors[name] = cur
	}
	for k, n := range o.Scenes {
		addCount(&c.Scenes, k, n)
	}
	for k, n := range o.Reasons {
		addCount(&c.Reasons, k, n)
	}
	w := append(append([]WorstLog(nil), c.Worst...), o.Worst...)
	sort.Slice(w, func(i, j int) bool { return worse(w[i], w[j]) })
	if len(w) > WorstLogs {
		w = w[:WorstLogs]
	}
	c.Worst = w
}

// worse orders WorstLog entries: failed, warned, passed; more reasons
// first; then by hash and path.
func worse(a, b WorstLog) bool {
	ra, rb := verdictRank(a.Verdict), verdictRank(b.Verdict)
	if ra != rb {
		return ra > rb
	}
	if len(a.Reasons) != len(b.Reasons) {
		return len(a.Reasons) > len(b.Reasons)
	}
	if a.SHA256 != b.SHA256 {
		return a.SHA256 < b.SHA256
	}
	return a.Path < b.Path
}

func verdictRank(v string) int {
	switch v {
	case Pass:
		return 0
	case Warn:
		return 1
	}
	return 2
}

// Merge adds o's times to c.
func (c *Conditions) Merge(o Conditions) {
	for k, v := range o.Speed {
		addMs(&c.Speed, k, v)
	}
	for k, v := range o.Turn {
		addMs(&c.Turn, k, v)
	}
	for k, v := range o.Light {
		addMs(&c.Light, k, v)
	}
}

func (c Conditions) clone() Conditions {
	var o Conditions
	o.Merge(c)
	return o
}

func addMs(m *map[string]int64, k string, v int64) {
	if *m == nil {
		*m = map[string]int64{}
	}
	(*m)[k] += v
}

func addCount(m *map[string]int, k string, v int) {
	if *m == nil {
		*m = map[string]int{}
	}
	(*m)[k] += v
}
