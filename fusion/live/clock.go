package live

import (
	"fmt"
	"math"
	"time"
)

// Camera clock modes of a HostMapper.
const (
	// ClockSender keeps the sender-report capture time: right when the
	// camera's clock is synchronised with the host's (NTP/PTP).
	ClockSender = "sender"
	// ClockHost maps capture times onto the host clock by the camera's
	// estimated clock offset (below).
	ClockHost = "host"
	// ClockAuto picks ClockHost when the first stamped frame's capture
	// time is more than AutoThreshold away from its receive time (the
	// camera's clock is visibly not the host's), ClockSender otherwise.
	ClockAuto = "auto"
)

// AutoThreshold is the clock disagreement above which ClockAuto maps.
const AutoThreshold = time.Second

// envelopeBins × binWidth is the host time the offset estimate spans.
const (
	envelopeBins = 10
	binWidth     = int64(time.Second)
)

// HostMapper puts one camera's frame stamps on the host clock.
//
// With ClockHost the offset is the lower envelope of the delivery delay:
// offset = max(capture − receive) over the last 10 s of host time (in 1-s
// bins, so that drift is followed), and a frame's host stamp is capture −
// offset. One-way timing cannot tell a clock offset from a constant
// latency, so the mapped stamps are late by the camera's minimum
// capture-to-receive latency (encode + network; a few ms on a LAN).
// Provisional frames (no sender report yet) are already receive times and
// pass through unchanged. Call Reset when the camera reconnects (its
// clock may have stepped).
type HostMapper struct {
	mode    string // sender or host once decided; auto until then
	decided bool
	bins    [envelopeBins]envBin
	off     int64
	haveOff bool
}

// envBin is the largest capture − receive of one second of host time.
type envBin struct {
	bin, best int64
	ok        bool
}

// NewHostMapper returns a mapper in mode ClockSender, ClockHost or
// ClockAuto.
func NewHostMapper(mode string) (*HostMapper, error) {
	switch mode {
	case ClockSender, ClockHost, ClockAuto:
	default:
		return nil, fmt.Errorf("live: camera clock %q, want sender, host or auto", mode)
	}
	return &HostMapper{mode: mode}, nil
}

// Mode returns the mode in use (auto until the first stamped frame).
func (m *HostMapper) Mode() string { return m.mode }

// Offset returns the offset (capture − host, ns) applied to the last
// mapped frame, and whether there was one.
func (m *HostMapper) Offset() (int64, bool) { return m.off, m.haveOff }

// Reset forgets the offset estimate (keeping the decided mode).
func (m *HostMapper) Reset() {
	clear(m.bins[:])
	m.off, m.haveOff = 0, false
}

// Map returns the host-clock stamp of a frame captured at stamp (camera
// clock) and received at recv (host clock).
func (m *HostMapper) Map(stamp, recv int64, provisional bool) int64 {
	if provisional {
		return stamp
	}
	d := stamp - recv
	if !m.decided {
		m.decided = true
		if m.mode == ClockAuto {
			m.mode = ClockSender
			if d > int64(AutoThreshold) || d < -int64(AutoThreshold) {
				m.mode = ClockHost
			}
		}
	}
	if m.mode == ClockSender {
		return stamp
	}
	b := floorDiv(recv, binWidth)
	s := &m.bins[int(((b%envelopeBins)+envelopeBins)%envelopeBins)]
	if !s.ok || s.bin != b {
		*s = envBin{bin: b, best: d, ok: true}
	} else if d > s.best {
		s.best = d
	}
	off := int64(math.MinInt64)
	for _, e := range m.bins {
		if e.ok && e.bin > b-envelopeBins && e.bin <= b {
			off = max(off, e.best)
		}
	}
	m.off, m.haveOff = off, true
	return stamp - off
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
