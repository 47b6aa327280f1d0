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

// After a reconnect (Reset) the new session's own envelope is compared
// with the previous sessions': one higher by more than stepThreshold means
// the camera clock stepped forward (a delay cannot be negative); one lower
// by more than stepThreshold after settle of host time with the new
// session, or lower by more than AutoThreshold at once, means it stepped
// back. Otherwise the clock carried on and both envelopes count. settle
// is long enough for a busy host to deliver the frames of a reconnect
// late for a while without that counting as a step; a real step back by
// less than AutoThreshold is followed after settle.
const (
	stepThreshold = int64(20 * time.Millisecond)
	settle        = 3 * binWidth
)

// A host-mapped camera's offset estimate is settled (see
// HostMapper.Settled) once its session has WarmFrames frames or spans
// WarmTime of host time: the stamps of its first frames then use the
// delays of the frames after them too, instead of each the delay of the
// first frame alone (which is the receive time: on a busy host tens of ms
// late).
const (
	WarmFrames = 5
	WarmTime   = 150 * time.Millisecond
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
// clock may have stepped): the offset evidence of the sessions before is
// kept while the new session's delays agree with it, so that the frames
// after a reconnect, delivered in a burst and often late on a busy host,
// are not stamped with an envelope made of those few late frames alone.
type HostMapper struct {
	mode    string // sender or host once decided; auto until then
	decided bool
	bins    [envelopeBins]envBin // this session's envelope
	// prev is the envelope of the sessions before the last Reset, while
	// the new session agrees with it (havePrev); sessFrom is the receive
	// time of this session's first mapped frame (haveSess).
	prev     [envelopeBins]envBin
	havePrev bool
	sessFrom int64
	haveSess bool
	sessN    int // frames observed in this session
	off      int64
	haveOff  bool
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

// Reset starts a new session of the camera (it reconnected; its clock may
// have stepped), keeping the decided mode. The offset evidence so far is
// kept aside: it is used with the new session's until the new session
// shows a step (its delay envelope above the old one by more than 20 ms,
// below it by more than 20 ms after 3 s of the new session, or by more
// than AutoThreshold at once), and is forgotten then.
func (m *HostMapper) Reset() {
	if m.haveSess || m.havePrev {
		for i, e := range m.bins {
			p := &m.prev[i]
			switch {
			case !e.ok:
			case !p.ok || e.bin > p.bin:
				*p = e
			case e.bin == p.bin:
				p.best = max(p.best, e.best)
			}
		}
		m.havePrev = true
	}
	clear(m.bins[:])
	m.haveSess, m.sessN = false, 0
	m.off, m.haveOff = 0, false
}

// envelope returns the largest best of the bins within the window ending
// at bin b, and whether there is one.
func envelope(bins *[envelopeBins]envBin, b int64) (int64, bool) {
	off, ok := int64(math.MinInt64), false
	for _, e := range bins {
		if e.ok && e.bin > b-envelopeBins && e.bin <= b {
			off, ok = max(off, e.best), true
		}
	}
	return off, ok
}

// Map returns the host-clock stamp of a frame captured at stamp (camera
// clock) and received at recv (host clock): Observe, then Stamp.
func (m *HostMapper) Map(stamp, recv int64, provisional bool) int64 {
	if provisional {
		return stamp
	}
	m.Observe(stamp, recv, false)
	return m.Stamp(stamp)
}

// Stamp returns the host-clock stamp of a capture time (camera clock)
// with the offset estimated so far (unchanged in sender mode).
func (m *HostMapper) Stamp(stamp int64) int64 {
	if m.mode != ClockHost || !m.haveOff {
		return stamp
	}
	return stamp - m.off
}

// Settled tells whether the offset estimate is ready at host time now: in
// sender mode (or before the first stamped frame) always; in host mode
// once this session has WarmFrames frames or began WarmTime ago, or at
// once when the evidence of the sessions before a Reset carries over. A
// caller that can wait observes frames until then and stamps them after.
func (m *HostMapper) Settled(now int64) bool {
	if m.mode != ClockHost || m.havePrev {
		return true
	}
	return m.haveSess && (m.sessN >= WarmFrames || now-m.sessFrom >= int64(WarmTime))
}

// Observe adds the delay of a frame captured at stamp (camera clock) and
// received at recv (host clock) to the offset estimate; provisional
// frames (stamped with their receive time) add nothing.
func (m *HostMapper) Observe(stamp, recv int64, provisional bool) {
	if provisional {
		return
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
		return
	}
	if !m.haveSess {
		m.sessFrom, m.haveSess = recv, true
	}
	m.sessN++
	b := floorDiv(recv, binWidth)
	s := &m.bins[int(((b%envelopeBins)+envelopeBins)%envelopeBins)]
	if !s.ok || s.bin != b {
		*s = envBin{bin: b, best: d, ok: true}
	} else if d > s.best {
		s.best = d
	}
	off, _ := envelope(&m.bins, b)
	if m.havePrev {
		prev, ok := envelope(&m.prev, b)
		switch {
		case !ok, off > prev+stepThreshold, off < prev-int64(AutoThreshold),
			off < prev-stepThreshold && recv-m.sessFrom >= settle:
			// The old evidence aged out, or the camera clock stepped.
			m.havePrev = false
			clear(m.prev[:])
		default:
			off = max(off, prev)
		}
	}
	m.off, m.haveOff = off, true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
