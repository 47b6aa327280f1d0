package rtsp

import (
	"time"

	"github.com/rigsync/rigsync/formats"
)

// processor turns queued packets into stamped frames. It runs in one
// goroutine per Client, off the network read path.
type processor struct {
	c        *Client
	attempt  int
	session  int
	tracks   []*trackState
	lastRecv int64 // receive time of the newest frame of any session
	gapOpen  bool  // a new session began after frames were seen
}

// trackState is the per-session state of one track.
type trackState struct {
	spec   trackSpec
	depack depacketizer
	clock  int64
	stat   *trackStat

	unwrap   Unwrapper
	ssrc     uint32
	haveSSRC bool

	haveSR bool
	srExt  int64 // unwrapped RTP timestamp of the latest SR
	srNs   int64 // its NTP time, UNIX ns

	// Receive times of the newest two distinct RTP timestamps, so that a
	// frame ended by a timestamp change gets its own packets' time.
	curTS, prevTS     uint32
	curRecv, prevRecv int64
	haveTS            bool

	holding  bool // still allowed to hold frames for the first SR
	held     []heldFrame
	heldFrom int64 // receive time of the first held frame
	heldSize int   // payload bytes held
}

// stepThreshold is how far a sender report may disagree with the previous
// one's prediction before it counts as a clock step.
const stepThreshold = int64(20 * time.Millisecond)

type heldFrame struct {
	f   Frame
	ext int64
}

func newProcessor(c *Client) *processor { return &processor{c: c} }

func (p *processor) loop() {
	defer close(p.c.allDone)
	defer close(p.c.events)
	defer close(p.c.out)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case it := <-p.c.in:
			p.handle(it)
		case <-tick.C:
			p.expire(time.Now().UnixNano())
		case <-p.c.runDone:
			for {
				select {
				case it := <-p.c.in:
					p.handle(it)
					continue
				default:
				}
				break
			}
			p.flushAll()
			return
		}
	}
}

func (p *processor) handle(it item) {
	if it.start != nil {
		p.flushAll()
		p.startSession(it.attempt, it.session, it.start)
		return
	}
	if it.attempt != p.attempt || it.track >= len(p.tracks) {
		return // a packet of a closed session
	}
	t := p.tracks[it.track]
	if it.sr != nil {
		p.senderReport(t, *it.sr)
	} else {
		p.packet(t, it)
	}
	p.expire(it.recv)
}

func (p *processor) startSession(attempt, session int, specs []trackSpec) {
	p.attempt, p.session = attempt, session
	p.tracks = p.tracks[:0]
	p.gapOpen = p.lastRecv != 0
	for _, s := range specs {
		d, err := newDepacketizer(s)
		if err != nil {
			p.c.logf("%s: %s: %v", p.c.redacted, s.topic, err)
			d = nil
		}
		p.tracks = append(p.tracks, &trackState{
			spec:    s,
			depack:  d,
			clock:   int64(s.format.ClockRate()),
			stat:    p.c.trackStat(s),
			holding: p.c.cfg.HoldForSR > 0,
		})
	}
}

func (p *processor) packet(t *trackState, it item) {
	if t.depack == nil || t.clock <= 0 {
		return
	}
	pkt := it.pkt
	if t.haveSSRC && pkt.SSRC != t.ssrc {
		// The sender restarted its stream within the session: RTP
		// timestamps and reports start over.
		t.haveSR = false
		t.unwrap = Unwrapper{}
	}
	t.ssrc, t.haveSSRC = pkt.SSRC, true
	if !t.haveTS || pkt.Timestamp != t.curTS {
		t.prevTS, t.prevRecv = t.curTS, t.curRecv
		t.curTS, t.haveTS = pkt.Timestamp, true
	}
	t.curRecv = it.recv
	payload, size, ts, ok, err := t.depack.push(pkt)
	if err != nil {
		p.c.mu.Lock()
		p.c.st.DecodeErrors++
		p.c.mu.Unlock()
		p.c.logf("%s: %s: depacketize: %v", p.c.redacted, t.spec.topic, err)
		return
	}
	if !ok {
		return
	}
	recv := it.recv
	if ts == t.prevTS && ts != t.curTS {
		recv = t.prevRecv
	}
	ext := t.unwrap.Unwrap(ts)
	f := Frame{
		Msg: formats.Message{
			Topic:    t.spec.topic,
			Type:     typeOf(t.spec.codec),
			Modality: formats.Camera,
			FrameID:  p.c.name,
			LogTime:  recv,
			Payload:  payload,
		},
		Codec:   t.spec.codec,
		RTP:     ts,
		Session: p.session,
	}
	t.stat.received(recv, size)
	if p.gapOpen {
		p.gapOpen = false
		p.c.gap(p.lastRecv, recv)
	}
	if recv > p.lastRecv {
		p.lastRecv = recv
	}
	switch {
	case t.haveSR:
		p.emit(t, f, ext, false)
	case t.holding:
		if len(t.held) == 0 {
			t.heldFrom = recv
		}
		t.held = append(t.held, heldFrame{f, ext})
		t.heldSize += payloadSize(f.Msg.Payload)
		if t.heldSize > p.c.cfg.HoldBytes {
			p.release(t)
		}
	default:
		p.emit(t, f, ext, true)
	}
}

func typeOf(codec string) string {
	if codec == CodecMJPEG {
		return "foxglove.CompressedImage"
	}
	return "foxglove.CompressedVideo"
}

func (p *processor) senderReport(t *trackState, sr SenderReport) {
	if t.haveSSRC && sr.SSRC != t.ssrc {
		p.c.logf("%s: %s: sender report for SSRC %08x, stream is %08x: ignored", p.c.redacted, t.spec.topic, sr.SSRC, t.ssrc)
		return
	}
	if !t.haveSSRC {
		t.ssrc, t.haveSSRC = sr.SSRC, true
	}
	ext, ns := t.unwrap.Unwrap(sr.RTP), sr.UnixNano()
	if t.haveSR {
		// A report far from what the previous one predicts means the
		// camera's clock stepped (e.g. an NTP resync): the drift fit
		// restarts. 20 ms is 1000 ppm over 20 s, beyond any real drift.
		predicted := t.srNs + ticksToNs(ext-t.srExt, t.clock)
		if d := ns - predicted; d > stepThreshold || d < -stepThreshold {
			p.c.logf("%s: %s: camera clock stepped by %v", p.c.redacted, t.spec.topic, time.Duration(d))
			t.stat.clockStep()
		}
	}
	t.srExt, t.srNs, t.haveSR = ext, ns, true
	t.stat.senderReport()
	for _, h := range t.held {
		p.emit(t, h.f, h.ext, false)
	}
	t.held, t.heldSize = t.held[:0], 0
	t.holding = false
}

// expire releases held frames as provisional once the first of them has
// waited HoldForSR: from then on the session's frames pass straight
// through, provisional until a sender report arrives.
func (p *processor) expire(now int64) {
	for _, t := range p.tracks {
		if len(t.held) > 0 && now-t.heldFrom >= int64(p.c.cfg.HoldForSR) {
			p.release(t)
		}
	}
}

func (p *processor) release(t *trackState) {
	for _, h := range t.held {
		p.emit(t, h.f, h.ext, true)
	}
	t.held, t.heldSize = t.held[:0], 0
	t.holding = false
}

// payloadSize is the byte size of a frame's compressed data.
func payloadSize(p formats.Payload) int {
	switch v := p.(type) {
	case *formats.CompressedImage:
		return len(v.Data)
	case *formats.CompressedVideo:
		return len(v.Data)
	}
	return 0
}

func (p *processor) flushAll() {
	for _, t := range p.tracks {
		p.release(t)
	}
}

// emit stamps a frame and hands it to the consumer without blocking.
func (p *processor) emit(t *trackState, f Frame, ext int64, provisional bool) {
	m := &f.Msg
	if provisional {
		m.Stamp, m.StampClock = m.LogTime, formats.ClockLog
	} else {
		m.Stamp = t.srNs + ticksToNs(ext-t.srExt, t.clock)
		m.StampClock = formats.SensorClock(p.c.name, m.Topic)
	}
	m.PublishTime = m.Stamp
	f.Provisional = provisional
	m.Sequence = t.stat.nextSeq()
	select {
	case p.c.out <- f:
		t.stat.emitted(m.LogTime, m.Stamp, provisional)
	default:
		t.stat.dropped()
	}
}

// ticksToNs converts a signed count of RTP ticks at clock Hz to ns,
// rounding to nearest, without overflow for any int64 tick count a
// session can reach.
func ticksToNs(ticks, clock int64) int64 {
	q, r := ticks/clock, ticks%clock
	if r < 0 {
		q--
		r += clock
	}
	return q*1e9 + (r*1e9+clock/2)/clock
}
