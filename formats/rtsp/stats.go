package rtsp

import (
	"sync"
	"time"
)

// Stats is a snapshot of a Client's health.
type Stats struct {
	// URL is the redacted URL.
	URL string `json:"url"`
	// Connected is true while a session is playing.
	Connected bool `json:"connected"`
	// Sessions counts successful connections (1 + reconnects).
	Sessions int `json:"sessions"`
	// Reconnects counts sessions after the first.
	Reconnects int `json:"reconnects"`
	// Gaps counts outages after which frames resumed; GapNs is their total
	// length (last frame before to first frame after), in ns.
	Gaps  int   `json:"gaps"`
	GapNs int64 `json:"gap_ns"`
	// DroppedPackets counts RTP/RTCP packets dropped because the packet
	// queue was full (the depacketizer fell behind the network).
	DroppedPackets uint64 `json:"dropped_packets"`
	// LostPackets counts RTP packets the sender sent that never arrived
	// (sequence-number gaps, as gortsplib reports them).
	LostPackets uint64 `json:"lost_packets"`
	// DecodeErrors counts packets the depacketizers rejected.
	DecodeErrors uint64 `json:"decode_errors"`
	// Tracks has one entry per topic, in first-seen order.
	Tracks []TrackStats `json:"tracks"`
}

// TrackStats is the health of one track (one topic).
type TrackStats struct {
	Topic string `json:"topic"`
	Codec string `json:"codec"`
	// Frames counts frames delivered; Provisional how many of them had no
	// sender report; DroppedFrames how many the consumer did not take.
	Frames        uint64 `json:"frames"`
	Provisional   uint64 `json:"provisional"`
	DroppedFrames uint64 `json:"dropped_frames"`
	// Bytes counts payload bytes received.
	Bytes uint64 `json:"bytes"`
	// FPS and Bitrate (bit/s) are measured over the last 64 frames; both
	// are 0 when no frame arrived in the last 2 s.
	FPS     float64 `json:"fps"`
	Bitrate float64 `json:"bitrate"`
	// SenderReports counts RTCP sender reports used; ClockSteps how many
	// of them disagreed with the previous one by more than 20 ms (the
	// camera's clock was set), which restarts the drift fit.
	SenderReports uint64 `json:"sender_reports"`
	ClockSteps    uint64 `json:"clock_steps"`
	// DriftOK is true once the clock fit has enough data (≥ 1 s, 8
	// stamped frames); DriftPPM is the camera clock's rate error against
	// the host clock and OffsetNs the camera time minus host receive time
	// at the newest frame (clock offset minus minimum latency).
	DriftOK  bool    `json:"drift_ok"`
	DriftPPM float64 `json:"drift_ppm"`
	OffsetNs int64   `json:"offset_ns"`
	// LastStamp and LastReceive are the newest frame's times (UNIX ns).
	LastStamp   int64 `json:"last_stamp"`
	LastReceive int64 `json:"last_receive"`
}

// trackStat accumulates one topic's statistics; guarded by mu (the
// Client's mutex).
type trackStat struct {
	mu  *sync.Mutex
	ts  TrackStats
	seq uint32
	fit *DriftFit
	// ring of recent (receive time, size) for fps and bitrate
	ring [64]struct {
		t    int64
		size int
	}
	n int
}

// driftWindow is the host time the clock fit spans.
const driftWindow = int64(120 * time.Second)

func (c *Client) trackStat(s trackSpec) *trackStat {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.tracks[s.topic]; ok {
		return t
	}
	t := &trackStat{mu: &c.mu, ts: TrackStats{Topic: s.topic, Codec: s.codec}, fit: NewDriftFit(driftWindow, 2048)}
	c.tracks[s.topic] = t
	c.order = append(c.order, s.topic)
	return t
}

func (t *trackStat) received(recv int64, size int) {
	t.mu.Lock()
	t.ts.Bytes += uint64(size)
	t.ring[t.n%len(t.ring)].t, t.ring[t.n%len(t.ring)].size = recv, size
	t.n++
	t.mu.Unlock()
}

func (t *trackStat) senderReport() {
	t.mu.Lock()
	t.ts.SenderReports++
	t.mu.Unlock()
}

func (t *trackStat) clockStep() {
	t.mu.Lock()
	t.ts.ClockSteps++
	t.fit.Reset()
	t.mu.Unlock()
}

func (t *trackStat) nextSeq() uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	return t.seq
}

func (t *trackStat) emitted(recv, stamp int64, provisional bool) {
	t.mu.Lock()
	t.ts.Frames++
	if provisional {
		t.ts.Provisional++
	} else {
		t.fit.Add(recv, stamp)
	}
	t.ts.LastStamp, t.ts.LastReceive = stamp, recv
	t.mu.Unlock()
}

func (t *trackStat) dropped() {
	t.mu.Lock()
	t.ts.DroppedFrames++
	t.mu.Unlock()
}

// snapshot computes rates and the clock fit; the caller holds mu.
func (t *trackStat) snapshot() TrackStats {
	s := t.ts
	n := min(t.n, len(t.ring))
	if n >= 2 && time.Now().UnixNano()-t.ring[(t.n-1)%len(t.ring)].t < int64(2*time.Second) {
		newest := t.ring[(t.n-1)%len(t.ring)]
		oldest := t.ring[(t.n-n)%len(t.ring)]
		if span := newest.t - oldest.t; span > 0 {
			bytes := 0
			for i := t.n - n + 1; i < t.n; i++ {
				bytes += t.ring[i%len(t.ring)].size
			}
			s.FPS = float64(n-1) / (float64(span) / 1e9)
			s.Bitrate = float64(bytes) * 8 / (float64(span) / 1e9)
		}
	}
	if e, ok := t.fit.Estimate(); ok {
		s.DriftOK, s.DriftPPM, s.OffsetNs = true, e.DriftPPM, e.Offset
	}
	return s
}

func (c *Client) gap(start, end int64) {
	c.mu.Lock()
	c.st.Gaps++
	c.st.GapNs += end - start
	c.mu.Unlock()
	c.event(Event{Kind: EventGap, Start: start, End: end})
}

// Stats returns a snapshot: counters, per-track fps, bitrate and the
// camera clock's drift (ppm) and offset against the host clock.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.st
	s.DroppedPackets = c.droppedPackets.Load()
	s.LostPackets = c.lostPackets.Load()
	s.Tracks = make([]TrackStats, 0, len(c.order))
	for _, topic := range c.order {
		s.Tracks = append(s.Tracks, c.tracks[topic].snapshot())
	}
	return s
}
