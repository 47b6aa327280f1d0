package clock

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Model maps a sensor stamp to the reference clock. The sensor clock reads
//
//	stamp = t + Offset + DriftPPM·1e-6·(t − Ref)
//
// at reference time t, so Correct inverts it:
//
//	t = Ref + (stamp − Offset − Ref) / (1 + DriftPPM·1e-6).
//
// The zero Model is the identity.
type Model struct {
	// Offset is the sensor clock minus the reference clock at Ref (ns).
	Offset int64 `json:"offset_ns"`
	// DriftPPM is how much faster the sensor clock runs, in parts per
	// million.
	DriftPPM float64 `json:"drift_ppm"`
	// Ref is the reference time at which Offset holds (ns).
	Ref int64 `json:"ref_ns"`
}

// Correct maps a sensor stamp to the reference clock.
func (m Model) Correct(stamp int64) int64 {
	d := stamp - m.Offset - m.Ref
	if m.DriftPPM == 0 {
		return m.Ref + d
	}
	return m.Ref + int64(math.Round(float64(d)/(1+m.DriftPPM*1e-6)))
}

// String formats the model as OFFSET[,PPM], the form ParseModel reads.
func (m Model) String() string {
	s := time.Duration(m.Offset).String()
	if m.DriftPPM != 0 {
		s += "," + strconv.FormatFloat(m.DriftPPM, 'g', 6, 64)
	}
	return s
}

// ParseModel parses OFFSET[,PPM] (e.g. "25ms", "-3.5ms,80"): the offset in
// Go duration syntax and the drift in ppm, with Ref = 0.
func ParseModel(s string) (Model, error) {
	off, ppm, hasPPM := strings.Cut(s, ",")
	d, err := time.ParseDuration(strings.TrimSpace(off))
	if err != nil {
		return Model{}, fmt.Errorf("clock: model %q: offset: %w", s, err)
	}
	m := Model{Offset: int64(d)}
	if hasPPM {
		m.DriftPPM, err = strconv.ParseFloat(strings.TrimSpace(ppm), 64)
		if err != nil || math.IsNaN(m.DriftPPM) || math.Abs(m.DriftPPM) >= 1e6 {
			return Model{}, fmt.Errorf("clock: model %q: drift ppm %q is not a number in (-1e6, 1e6)", s, ppm)
		}
	}
	return m, nil
}
