package rtsp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/rigsync/rigsync/formats"
)

// Config configures a Client. Only URL is required.
type Config struct {
	// URL is rtsp://[user:pass@]host[:port]/path. Credentials are used for
	// authentication and never printed (see Redact).
	URL string
	// Name is the sensor name: the frame id and the topic prefix. Empty
	// means derived from the URL path ("/cam/main" gives "cam_main").
	Name string
	// Transport is "tcp", "udp" or "" (auto: UDP, falling back to TCP when
	// no packet arrives or the server refuses UDP).
	Transport string
	// Backoff is the first reconnect delay (default 500 ms); each failed
	// attempt doubles it up to MaxBackoff (default 10 s).
	Backoff    time.Duration
	MaxBackoff time.Duration
	// ReadTimeout ends a session that received nothing for this long
	// (default 10 s; gortsplib checks it once a second).
	ReadTimeout time.Duration
	// HoldForSR is how long frames are held at the start of a session
	// waiting for the first sender report, so that they can be stamped
	// with capture time (default 500 ms; negative: never hold). See the
	// package documentation.
	HoldForSR time.Duration
	// HoldBytes bounds the bytes held per track while waiting for the
	// first sender report (default 128 MiB): beyond it the held frames
	// are released provisional, as when HoldForSR expires.
	HoldBytes int
	// Queue is the capacity of Frames() (default 256 frames). Frames the
	// consumer does not take in time are dropped and counted.
	Queue int
	// UDPReadBufferSize sets the UDP socket receive buffer in bytes. 0 is
	// automatic: 2 MiB, or net.core.rmem_max if that is smaller (the
	// kernel's 208 kB default loses packets of 720p MJPEG frames, which
	// arrive as bursts of ~100 datagrams); negative keeps the OS default.
	// A value above net.core.rmem_max makes the connection fail.
	UDPReadBufferSize int
	// PacketQueue is the capacity of the queue between the network
	// callbacks and the depacketizer (default 8192 packets).
	PacketQueue int
	// Logf receives diagnostic lines (already redacted); nil is silent.
	Logf func(format string, args ...any)
}

// Frame is one camera frame.
type Frame struct {
	// Msg is the frame as a message. Topic is "/<name>/image/compressed"
	// (MJPEG, *formats.CompressedImage with Format "jpeg") or
	// "/<name>/video" (H.264/H.265, *formats.CompressedVideo); a second
	// track of the same kind gets "_2" appended, and so on. FrameID is the
	// name. Stamp is the capture time in ns since the UNIX epoch on the
	// camera's clock, StampClock formats.SensorClock(name, topic), i.e.
	// "sensor:<name>", unless Provisional. LogTime is the host receive time
	// (UNIX ns, formats.ClockLog); PublishTime equals Stamp.
	Msg formats.Message
	// Provisional is true when no sender report was available to stamp
	// the frame: Stamp then equals LogTime and StampClock is ClockLog.
	Provisional bool
	// Codec is CodecMJPEG, CodecH264 or CodecH265.
	Codec string
	// RTP is the frame's raw 32-bit RTP timestamp.
	RTP uint32
	// Session counts connections: 1 for the first, +1 per reconnect. RTP
	// timestamps are only comparable within one session.
	Session int
}

// Event kinds.
const (
	// EventConnected: the first session started playing (Start = when).
	EventConnected = "connected"
	// EventReconnect: a later session started playing (Start = when).
	EventReconnect = "reconnect"
	// EventGap: frames stopped and resumed: Start is the receive time of
	// the last frame before the outage, End of the first frame after it.
	EventGap = "gap"
	// EventError: a session ended or a connection attempt failed (Start =
	// when, Err = why, redacted).
	EventError = "error"
)

// Event reports connection changes and outages.
type Event struct {
	// Kind is one of the Event* constants.
	Kind string
	// Start and End are host times in UNIX ns (End only for gaps).
	Start, End int64
	// Err is the cause of an EventError (its message is redacted).
	Err error
}

// Client reads one RTSP URL: every MJPEG, H.264 and H.265 video track of
// it, reconnecting until Close. Create it with Dial.
type Client struct {
	cfg      Config
	url      *base.URL
	name     string
	redacted string
	repl     *strings.Replacer

	ctx    context.Context
	cancel context.CancelFunc

	in      chan item
	out     chan Frame
	events  chan Event
	runDone chan struct{}
	allDone chan struct{}

	droppedPackets atomic.Uint64
	lostPackets    atomic.Uint64
	droppedEvents  atomic.Uint64

	mu        sync.Mutex
	st        Stats
	tracks    map[string]*trackStat
	order     []string
	closeOnce sync.Once
}

// item is one unit of work handed from the network side to the processor.
type item struct {
	attempt int // connection attempt the item belongs to
	session int // with start: the session number if the attempt plays
	track   int
	pkt     *rtp.Packet
	sr      *SenderReport
	recv    int64
	start   []trackSpec // non-nil: a new session begins with these tracks
}

// Dial checks cfg, connects to the URL once (DESCRIBE, SETUP, PLAY) and
// returns a Client that streams frames until Close or until ctx ends,
// reconnecting with backoff whenever the stream drops. The first connection
// must succeed: a wrong URL, refused connection or missing video track is
// returned as an error (with credentials redacted).
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.Backoff {
		cfg.MaxBackoff = max(10*time.Second, cfg.Backoff)
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 10 * time.Second
	}
	if cfg.HoldForSR == 0 {
		cfg.HoldForSR = 500 * time.Millisecond
	}
	if cfg.HoldBytes <= 0 {
		cfg.HoldBytes = 128 << 20
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 256
	}
	if cfg.PacketQueue <= 0 {
		cfg.PacketQueue = 8192
	}
	red := Redact(cfg.URL)
	u, err := base.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("rtsp: bad url %s: %w", red, scrub(secrets(cfg.URL), err))
	}
	if u.Scheme != "rtsp" && u.Scheme != "rtsps" {
		return nil, fmt.Errorf("rtsp: bad url %s: scheme %q, want rtsp or rtsps", red, u.Scheme)
	}
	switch cfg.Transport {
	case "", "tcp", "udp":
	default:
		return nil, fmt.Errorf("rtsp: %s: transport %q, want tcp, udp or empty (auto)", red, cfg.Transport)
	}
	name := cfg.Name
	if name == "" {
		name = nameFromURL(u)
	} else if nameFromURL(&base.URL{Path: name}) != name {
		return nil, fmt.Errorf("rtsp: %s: name %q: use letters, digits, '_' and '-' only (it becomes a topic and frame id)", red, name)
	}
	c := &Client{
		cfg:      cfg,
		url:      u,
		name:     name,
		redacted: red,
		repl:     secrets(cfg.URL),
		in:       make(chan item, cfg.PacketQueue),
		out:      make(chan Frame, cfg.Queue),
		events:   make(chan Event, 64),
		runDone:  make(chan struct{}),
		allDone:  make(chan struct{}),
		tracks:   map[string]*trackStat{},
	}
	c.st.URL = red
	c.ctx, c.cancel = context.WithCancel(ctx)
	p := newProcessor(c)
	go p.loop()
	gc, err := c.connect(1, 1)
	if err != nil {
		c.cancel()
		close(c.runDone)
		<-c.allDone
		return nil, err
	}
	c.event(Event{Kind: EventConnected, Start: time.Now().UnixNano()})
	go c.run(gc)
	return c, nil
}

// nameFromURL makes a sensor name from the URL path: "/cam/main" gives
// "cam_main"; an empty path gives "rtsp".
func nameFromURL(u *base.URL) string {
	p := strings.Trim(path.Clean("/"+u.Path), "/")
	var b strings.Builder
	for _, r := range p {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_' || r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "rtsp"
	}
	return b.String()
}

// Name is the sensor name used for topics and the frame id.
func (c *Client) Name() string { return c.name }

// Frames delivers frames in capture order per track. It is closed after
// Close (or when the Dial context ends). If the consumer falls behind by
// more than Config.Queue frames, newer frames are dropped and counted in
// Stats().DroppedFrames: the network side never blocks.
func (c *Client) Frames() <-chan Frame { return c.out }

// Events delivers connection events; it is closed with Frames. Events the
// consumer does not take (64 buffered) are dropped.
func (c *Client) Events() <-chan Event { return c.events }

// Close stops the client, waits for its goroutines and closes the channels.
// Frames still held for a sender report are delivered provisional first
// if the consumer has room. It is safe to call more than once.
func (c *Client) Close() error {
	c.closeOnce.Do(c.cancel)
	<-c.allDone
	return nil
}

func (c *Client) logf(format string, args ...any) {
	if c.cfg.Logf != nil {
		c.cfg.Logf("%s", c.repl.Replace(fmt.Sprintf(format, args...)))
	}
}

func (c *Client) event(e Event) {
	if e.Err != nil {
		e.Err = scrub(c.repl, e.Err)
	}
	select {
	case c.events <- e:
	default:
		c.droppedEvents.Add(1)
	}
}

// connect opens one session: DESCRIBE, SETUP of the video tracks, PLAY.
// The processor learns of the new session before any packet of it.
func (c *Client) connect(attempt, session int) (*gortsplib.Client, error) {
	gc := &gortsplib.Client{
		Scheme:            c.url.Scheme,
		Host:              c.url.Host,
		ReadTimeout:       c.cfg.ReadTimeout,
		UDPReadBufferSize: udpReadBuffer(c.cfg.UDPReadBufferSize),
		OnPacketsLost: func(n uint64) {
			c.lostPackets.Add(n)
		},
		OnDecodeError: func(err error) {
			c.logf("%s: decode error: %v", c.redacted, err)
		},
		OnTransportSwitch: func(err error) {
			c.logf("%s: switching to TCP: %v", c.redacted, err)
		},
	}
	switch c.cfg.Transport {
	case "tcp":
		t := gortsplib.TransportTCP
		gc.Transport = &t
	case "udp":
		t := gortsplib.TransportUDP
		gc.Transport = &t
	}
	fail := func(stage string, err error) (*gortsplib.Client, error) {
		gc.Close()
		if ce := c.ctx.Err(); ce != nil {
			err = ce
		}
		return nil, fmt.Errorf("rtsp: %s: %s: %w", c.redacted, stage, scrub(c.repl, err))
	}
	if err := gc.Start2(); err != nil {
		return nil, fmt.Errorf("rtsp: %s: %w", c.redacted, scrub(c.repl, err))
	}
	stop := context.AfterFunc(c.ctx, gc.Close)
	defer stop()
	desc, _, err := gc.Describe(c.url)
	if err != nil {
		return fail("describe", err)
	}
	specs, err := pickTracks(desc, c.name)
	if err != nil {
		return fail("describe", err)
	}
	medias := make([]*description.Media, len(specs))
	byMedia := map[*description.Media]int{}
	for i, s := range specs {
		medias[i] = s.media
		byMedia[s.media] = i
	}
	if err := gc.SetupAll(desc.BaseURL, medias); err != nil {
		return fail("setup", err)
	}
	select {
	case c.in <- item{attempt: attempt, session: session, start: specs}:
	case <-c.ctx.Done():
		return fail("setup", c.ctx.Err())
	}
	for i, s := range specs {
		gc.OnPacketRTP(s.media, s.format, func(pkt *rtp.Packet) {
			// Hot path: may run concurrently per media over UDP. Copy and queue.
			it := item{attempt: attempt, track: i, pkt: pkt.Clone(), recv: time.Now().UnixNano()}
			select {
			case c.in <- it:
			default:
				c.droppedPackets.Add(1)
			}
		})
	}
	gc.OnPacketRTCPAny(func(m *description.Media, p rtcp.Packet) {
		i, ok := byMedia[m]
		if !ok {
			return
		}
		var sr SenderReport
		switch p := p.(type) {
		case *rtcp.SenderReport:
			sr = SenderReport{SSRC: p.SSRC, NTP: p.NTPTime, RTP: p.RTPTime, Packets: p.PacketCount, Octets: p.OctetCount}
		case *rtcp.RawPacket:
			var err error
			if sr, err = ParseSenderReport(*p); err != nil {
				return
			}
		default:
			return
		}
		it := item{attempt: attempt, track: i, sr: &sr, recv: time.Now().UnixNano()}
		select {
		case c.in <- it:
		default:
			c.droppedPackets.Add(1)
		}
	})
	if _, err := gc.Play(nil); err != nil {
		return fail("play", err)
	}
	c.mu.Lock()
	c.st.Connected = true
	c.st.Sessions = session
	c.mu.Unlock()
	return gc, nil
}

// udpReadBuffer resolves Config.UDPReadBufferSize (see there).
func udpReadBuffer(n int) int {
	switch {
	case n < 0:
		return 0
	case n > 0:
		return n
	}
	b, err := os.ReadFile("/proc/sys/net/core/rmem_max")
	if err != nil {
		return 0
	}
	limit, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || limit <= 0 {
		return 0
	}
	return min(2<<20, limit)
}

// run waits for the session to end and reconnects with backoff until the
// context ends.
func (c *Client) run(gc *gortsplib.Client) {
	defer close(c.runDone)
	session, attempt := 1, 1
	for {
		err := c.wait(gc)
		c.mu.Lock()
		c.st.Connected = false
		c.mu.Unlock()
		if c.ctx.Err() != nil {
			return
		}
		c.logf("%s: session %d ended: %v", c.redacted, session, err)
		c.event(Event{Kind: EventError, Start: time.Now().UnixNano(), Err: fmt.Errorf("rtsp: %s: session ended: %w", c.redacted, err)})
		backoff := c.cfg.Backoff
		for {
			t := time.NewTimer(backoff)
			select {
			case <-c.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, c.cfg.MaxBackoff)
			attempt++
			gc, err = c.connect(attempt, session+1)
			if err == nil {
				session++
				break
			}
			if c.ctx.Err() != nil {
				return
			}
			c.logf("%v (retrying in %v)", err, backoff)
			c.event(Event{Kind: EventError, Start: time.Now().UnixNano(), Err: err})
		}
		c.mu.Lock()
		c.st.Reconnects++
		c.mu.Unlock()
		c.logf("%s: reconnected (session %d)", c.redacted, session)
		c.event(Event{Kind: EventReconnect, Start: time.Now().UnixNano()})
	}
}

// wait blocks until the session fails or the context ends, then closes it.
func (c *Client) wait(gc *gortsplib.Client) error {
	errc := make(chan error, 1)
	go func() { errc <- gc.Wait() }()
	var err error
	select {
	case err = <-errc:
	case <-c.ctx.Done():
		gc.Close()
		<-errc
		err = c.ctx.Err()
	}
	gc.Close()
	if err == nil {
		err = errors.New("session closed")
	}
	return scrub(c.repl, err)
}
