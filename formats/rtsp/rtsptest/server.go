// Package rtsptest is an in-process RTSP camera for tests and benchmarks:
// a gortsplib v4 server on 127.0.0.1 that streams MJPEG frames or
// caller-given H.264/H.265 access units at known capture times, and sends
// RFC 3550 sender reports from its own encoder (gortsplib's automatic
// reports are off: they come 10 s late and use a nanosecond NTP fraction).
//
// The camera model: frame i of a media is due at host time h0 + i/FPS,
// where h0 is the host time of Start, and is captured when it is actually
// sent, at host time h. Its capture time on the camera's clock is
// c = NTPStart + (h − h0)·(1 + DriftPPM·1e-6), and its RTP timestamp is
// RTPBase + (c − NTPStart)·clock (+ a shift per restart), c rounded to a
// whole tick: the RTP clock runs on the camera clock, and every sender
// report pairs a frame's c with its RTP timestamp. Truth() returns c per
// frame sent, so a client's recovered stamps can be checked exactly. When
// the host falls behind schedule by more than a frame (a loaded machine),
// the due frames are skipped, as a camera drops them, not sent in a burst.
//
// The server can be stopped and restarted on the same ports (Stop, Restart)
// to test reconnection; the camera's clock and frame numbering carry on
// through the outage, frames during it are simply not sent.
//
// Four 1280×720 30 fps MJPEG cameras, e.g. for a recording benchmark
// (encode the JPEGs once and share them: encoding 720p in real time would
// load the CPU more than the code under test):
//
//	jpegs, _ := rtsptest.TestJPEGs(1280, 720, 30) // ~150 kB each
//	for i := 0; i < 4; i++ {
//		cam, _ := rtsptest.Start(rtsptest.Config{
//			Path:  fmt.Sprintf("/cam%d", i),
//			Media: []rtsptest.Media{{Codec: rtsptest.MJPEG, FPS: 30, JPEGs: jpegs}},
//		})
//		defer cam.Close()
//		urls = append(urls, cam.URL()) // rtsp://127.0.0.1:port/cam<i>
//	}
//
// Each frame's truth (capture time, host send time) is then available from
// Lookup(media, run, rtp) to measure latency and check stamps.
package rtsptest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/liberrors"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/pion/rtp"
)

// Codecs a Media can stream.
const (
	MJPEG = "mjpeg"
	H264  = "h264"
	H265  = "h265"
)

// Media is one video track of the camera.
type Media struct {
	// Codec is MJPEG, H264 or H265.
	Codec string
	// FPS is the frame rate (default 30).
	FPS float64
	// JPEGs are the MJPEG frames, sent in a cycle (baseline JPEG, width
	// and height multiples of 8, at most 2040: see TestJPEG).
	JPEGs [][]byte
	// AccessUnits are the H.264/H.265 frames (NAL units without start
	// codes), sent in a cycle; the parameter sets (SPS/PPS, and VPS for
	// H.265) are taken from the first units that carry them, for the SDP.
	AccessUnits [][][]byte
	// RTPBase is the RTP timestamp of frame 0 in the first session.
	RTPBase uint32
}

// Config describes the camera.
type Config struct {
	// Path is the stream path (default "/cam").
	Path string
	// Media are the tracks, at least one.
	Media []Media
	// User and Pass, when set, are required from readers (basic/digest).
	User, Pass string
	// UDP also serves the UDP transport, on an even/odd port pair chosen
	// at Start and kept across Restart. Without it only TCP is offered.
	UDP bool
	// NTPStart is the camera's clock at frame 0 (default: host time at
	// Start plus 1.5 s, so that the camera clock visibly differs).
	NTPStart time.Time
	// DriftPPM is how much faster the camera clock runs than the host's.
	DriftPPM float64
	// SRPeriod is the (host) time between sender reports per media
	// (default 1 s); a report follows the first frame due after it.
	SRPeriod time.Duration
	// FirstSRDelay holds back the first sender report of each server run
	// by this much host time after Start/Restart.
	FirstSRDelay time.Duration
	// NoSR disables sender reports altogether.
	NoSR bool
	// StepAfter and Step set the camera's wall clock by Step once StepAfter
	// of host time has passed since Start (as an NTP resync does); the RTP
	// clock runs on undisturbed.
	StepAfter, Step time.Duration
}

// Sent is the truth about one frame the server sent.
type Sent struct {
	// Media is the index into Config.Media; Index the frame number since
	// Start (continuing through restarts).
	Media, Index int
	// Run is 1 for frames sent after Start, +1 for each Restart.
	Run int
	// RTP is the frame's RTP timestamp.
	RTP uint32
	// Capture is the capture time on the camera clock, UNIX ns (what
	// a correct client stamps).
	Capture int64
	// Host is the host time the frame was written, UNIX ns.
	Host int64
}

// Server is a running test camera.
type Server struct {
	cfg     Config
	addr    string // 127.0.0.1:port of RTSP
	udpRTP  int    // even UDP port, 0 without UDP
	h0      time.Time
	c0      int64
	desc    []*description.Media
	formats []format.Format
	clock   []int

	mu        sync.Mutex
	srv       *gortsplib.Server
	stream    *gortsplib.ServerStream
	run       int
	runFrom   time.Time
	truth     []Sent
	lastSR    []time.Time
	lastTicks []int64
	srSent    []int

	writeErrors atomic.Uint64

	stop chan struct{}
	wg   sync.WaitGroup
}

// WriteErrors counts packets the server could not queue for a reader (its
// write queue was full: the reader is too slow).
func (s *Server) WriteErrors() uint64 { return s.writeErrors.Load() }

// Start validates cfg, starts the server on 127.0.0.1 (ephemeral TCP port)
// and starts streaming immediately.
func Start(cfg Config) (*Server, error) {
	if cfg.Path == "" {
		cfg.Path = "/cam"
	}
	if !strings.HasPrefix(cfg.Path, "/") {
		cfg.Path = "/" + cfg.Path
	}
	if len(cfg.Media) == 0 {
		return nil, errors.New("rtsptest: no media")
	}
	if cfg.SRPeriod <= 0 {
		cfg.SRPeriod = time.Second
	}
	s := &Server{cfg: cfg, stop: make(chan struct{})}
	for i := range cfg.Media {
		m := &s.cfg.Media[i]
		if m.FPS <= 0 {
			m.FPS = 30
		}
		var f format.Format
		switch m.Codec {
		case MJPEG:
			if len(m.JPEGs) == 0 {
				return nil, fmt.Errorf("rtsptest: media %d: no JPEGs", i)
			}
			f = &format.MJPEG{}
		case H264:
			if len(m.AccessUnits) == 0 {
				return nil, fmt.Errorf("rtsptest: media %d: no access units", i)
			}
			sps, pps := paramSets264(m.AccessUnits)
			f = &format.H264{PayloadTyp: uint8(96 + i), PacketizationMode: 1, SPS: sps, PPS: pps}
		case H265:
			if len(m.AccessUnits) == 0 {
				return nil, fmt.Errorf("rtsptest: media %d: no access units", i)
			}
			vps, sps, pps := paramSets265(m.AccessUnits)
			f = &format.H265{PayloadTyp: uint8(96 + i), VPS: vps, SPS: sps, PPS: pps}
		default:
			return nil, fmt.Errorf("rtsptest: media %d: codec %q, want mjpeg, h264 or h265", i, m.Codec)
		}
		s.formats = append(s.formats, f)
		s.clock = append(s.clock, f.ClockRate())
	}
	s.lastSR = make([]time.Time, len(cfg.Media))
	s.lastTicks = make([]int64, len(cfg.Media))
	for i := range s.lastTicks {
		s.lastTicks[i] = -1
	}
	s.srSent = make([]int, len(cfg.Media))
	if err := s.listen(); err != nil {
		return nil, err
	}
	s.h0 = time.Now()
	if cfg.NTPStart.IsZero() {
		s.c0 = s.h0.UnixNano() + 1500*int64(time.Millisecond)
	} else {
		s.c0 = cfg.NTPStart.UnixNano()
	}
	for i := range s.cfg.Media {
		s.wg.Add(1)
		go s.pace(i)
	}
	return s, nil
}

// listen starts a gortsplib server: the first time on fresh ports, then
// on the same ones.
func (s *Server) listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var lastErr error
	for attempt := 0; attempt < 20; attempt++ {
		addr := s.addr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		if s.cfg.UDP && s.udpRTP == 0 {
			s.udpRTP = pickUDPPair()
		}
		srv := &gortsplib.Server{
			Handler:                  &handler{s: s},
			RTSPAddress:              addr,
			DisableRTCPSenderReports: true,
			WriteQueueSize:           4096,
		}
		srv.Listen = func(network, address string) (net.Listener, error) {
			ln, err := net.Listen(network, address)
			if err == nil {
				s.addr = ln.Addr().String()
			}
			return ln, err
		}
		if s.cfg.UDP {
			srv.UDPRTPAddress = fmt.Sprintf("127.0.0.1:%d", s.udpRTP)
			srv.UDPRTCPAddress = fmt.Sprintf("127.0.0.1:%d", s.udpRTP+1)
		}
		if err := srv.Start(); err != nil {
			lastErr = err
			if s.addr == "" || addr == "127.0.0.1:0" {
				s.udpRTP = 0 // fresh ports: try another pair
			} else {
				time.Sleep(50 * time.Millisecond) // same ports: wait for release
			}
			continue
		}
		medias := make([]*description.Media, len(s.formats))
		for i, f := range s.formats {
			medias[i] = &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{f}}
		}
		st := &gortsplib.ServerStream{Server: srv, Desc: &description.Session{Medias: medias}}
		if err := st.Initialize(); err != nil {
			srv.Close()
			return fmt.Errorf("rtsptest: stream: %w", err)
		}
		s.srv, s.stream, s.desc = srv, st, medias
		s.run++
		s.runFrom = time.Now()
		for i := range s.lastSR {
			s.lastSR[i] = time.Time{}
		}
		return nil
	}
	return fmt.Errorf("rtsptest: start server: %w", lastErr)
}

// pickUDPPair finds a free even/odd UDP port pair on 127.0.0.1.
func pickUDPPair() int {
	for {
		p := 20000 + 2*rand.IntN(20000)
		a, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		b, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p+1))
		a.Close()
		if err != nil {
			continue
		}
		b.Close()
		return p
	}
}

// URL is the stream's URL, with credentials when the camera requires them.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	cred := ""
	if s.cfg.User != "" {
		cred = s.cfg.User + ":" + s.cfg.Pass + "@"
	}
	return "rtsp://" + cred + s.addr + s.cfg.Path
}

// Addr is the RTSP host:port.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Stop closes the server (every client connection drops); the camera keeps
// its clock and frame count, but sends nothing until Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, st := s.srv, s.stream
	s.srv, s.stream = nil, nil
	s.mu.Unlock()
	if st != nil {
		st.Close()
	}
	if srv != nil {
		srv.Close()
	}
}

// Restart starts the server again on the same ports. The new run has new
// SSRCs and RTP timestamps shifted by a large amount, as a rebooted camera.
func (s *Server) Restart() error {
	s.Stop()
	return s.listen()
}

// Close stops streaming and the server.
func (s *Server) Close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.wg.Wait()
	s.Stop()
}

// Truth returns every frame sent so far, in sending order.
func (s *Server) Truth() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.truth...)
}

// Lookup finds the frame of a run with an RTP timestamp on a media.
func (s *Server) Lookup(media, run int, rtpTS uint32) (Sent, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.truth) - 1; i >= 0; i-- {
		t := s.truth[i]
		if t.Media == media && t.Run == run && t.RTP == rtpTS {
			return t, true
		}
	}
	return Sent{}, false
}

// stampNow is the camera's capture time and RTP timestamp for a frame
// taken now: the camera clock runs DriftPPM fast against the host's, and
// the capture time is rounded to a whole RTP tick so that the sender
// reports (capture, RTP) pairs are exact.
func (s *Server) stampNow(media, run int, now time.Time) (int64, uint32) {
	clock := float64(s.clock[media])
	elapsed := float64(now.Sub(s.h0)) * (1 + s.cfg.DriftPPM*1e-6)
	ticks := int64(math.Round(elapsed * clock / 1e9))
	if ticks <= s.lastTicks[media] {
		ticks = s.lastTicks[media] + 1 // strictly increasing, even within one tick
	}
	s.lastTicks[media] = ticks
	capture := s.c0 + int64(math.Round(float64(ticks)*1e9/clock))
	if s.cfg.StepAfter > 0 && now.Sub(s.h0) >= s.cfg.StepAfter {
		capture += int64(s.cfg.Step)
	}
	shift := uint32(run-1) * 0x6000_0000
	return capture, s.cfg.Media[media].RTPBase + uint32(ticks) + shift
}

// pace sends one media's frames on schedule until Close.
func (s *Server) pace(mi int) {
	defer s.wg.Done()
	m := s.cfg.Media[mi]
	period := float64(time.Second) / m.FPS
	var enc interface {
		encode(frame int) ([]*rtp.Packet, error)
	}
	switch f := s.formats[mi].(type) {
	case *format.MJPEG:
		e, err := f.CreateEncoder()
		if err != nil {
			return
		}
		enc = jpegEnc{e: e, frames: m.JPEGs}
	case *format.H264:
		e, err := f.CreateEncoder()
		if err != nil {
			return
		}
		enc = auEnc{enc: e.Encode, aus: m.AccessUnits}
	case *format.H265:
		e, err := f.CreateEncoder()
		if err != nil {
			return
		}
		enc = auEnc{enc: e.Encode, aus: m.AccessUnits}
	}
	for i := 0; ; i++ {
		due := s.h0.Add(time.Duration(float64(i) * period))
		if late := time.Since(due); late > time.Duration(period) {
			// Behind schedule (a loaded machine): skip the missed frames,
			// as a camera drops them, rather than sending a burst.
			i += int(float64(late) / period)
			due = s.h0.Add(time.Duration(float64(i) * period))
		}
		if d := time.Until(due); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-s.stop:
				t.Stop()
				return
			case <-t.C:
			}
		} else {
			select {
			case <-s.stop:
				return
			default:
			}
		}
		pkts, err := enc.encode(i)
		if err != nil {
			continue
		}
		s.send(mi, i, pkts)
	}
}

// send writes one frame and, when due, a sender report for it.
func (s *Server) send(mi, i int, pkts []*rtp.Packet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stream == nil {
		return
	}
	now := time.Now()
	capture, ts := s.stampNow(mi, s.run, now)
	medi := s.desc[mi]
	var ssrc uint32
	for _, p := range pkts {
		p.Timestamp = ts
		if err := s.stream.WritePacketRTP(medi, p); err != nil {
			return
		}
		ssrc = p.SSRC // the stream overwrites it with its own
	}
	s.truth = append(s.truth, Sent{Media: mi, Index: i, Run: s.run, RTP: ts, Capture: capture, Host: now.UnixNano()})
	if s.cfg.NoSR || now.Sub(s.runFrom) < s.cfg.FirstSRDelay || now.Sub(s.lastSR[mi]) < s.cfg.SRPeriod {
		return
	}
	sr := EncodeSenderReport(ssrc, capture, ts, 0, 0)
	if err := s.stream.WritePacketRTCP(medi, rawRTCP(sr)); err == nil {
		s.lastSR[mi] = now
		s.srSent[mi]++
	}
}

type jpegEnc struct {
	e interface {
		Encode([]byte) ([]*rtp.Packet, error)
	}
	frames [][]byte
}

func (j jpegEnc) encode(i int) ([]*rtp.Packet, error) { return j.e.Encode(j.frames[i%len(j.frames)]) }

type auEnc struct {
	enc func([][]byte) ([]*rtp.Packet, error)
	aus [][][]byte
}

func (a auEnc) encode(i int) ([]*rtp.Packet, error) { return a.enc(a.aus[i%len(a.aus)]) }

// EncodeSenderReport encodes an RTCP sender report (RFC 3550 §6.4.1, no
// report blocks): NTP from capture (UNIX ns) as seconds since 1900 and a
// fraction in units of 2^-32 s, written independently of the client's
// decoder so that tests check one against the other.
func EncodeSenderReport(ssrc uint32, unixNs int64, rtpTS uint32, packets, octets uint32) []byte {
	b := make([]byte, 28)
	b[0] = 0x80 // V=2, P=0, RC=0
	b[1] = 200  // SR
	binary.BigEndian.PutUint16(b[2:], 6)
	binary.BigEndian.PutUint32(b[4:], ssrc)
	sec := uint64(unixNs/1e9) + 2208988800
	ns := uint64(unixNs % 1e9)
	frac := (ns<<32 + 5e8) / 1e9
	binary.BigEndian.PutUint32(b[8:], uint32(sec))
	binary.BigEndian.PutUint32(b[12:], uint32(frac))
	binary.BigEndian.PutUint32(b[16:], rtpTS)
	binary.BigEndian.PutUint32(b[20:], packets)
	binary.BigEndian.PutUint32(b[24:], octets)
	return b
}

// rawRTCP sends pre-encoded RTCP bytes through gortsplib (rtcp.Packet).
type rawRTCP []byte

func (r rawRTCP) Marshal() ([]byte, error) { return append([]byte(nil), r...), nil }
func (r rawRTCP) Unmarshal(b []byte) error {
	return errors.New("rtsptest: rawRTCP is write-only")
}
func (r rawRTCP) MarshalSize() int { return len(r) }
func (r rawRTCP) DestinationSSRC() []uint32 {
	if len(r) < 8 {
		return nil
	}
	return []uint32{binary.BigEndian.Uint32(r[4:8])}
}

func paramSets264(aus [][][]byte) (sps, pps []byte) {
	for _, au := range aus {
		for _, n := range au {
			if len(n) == 0 {
				continue
			}
			switch h264.NALUType(n[0] & 0x1F) {
			case h264.NALUTypeSPS:
				if sps == nil {
					sps = n
				}
			case h264.NALUTypePPS:
				if pps == nil {
					pps = n
				}
			}
		}
	}
	return sps, pps
}

func paramSets265(aus [][][]byte) (vps, sps, pps []byte) {
	for _, au := range aus {
		for _, n := range au {
			if len(n) < 2 {
				continue
			}
			switch h265.NALUType((n[0] >> 1) & 0x3F) {
			case h265.NALUType_VPS_NUT:
				if vps == nil {
					vps = n
				}
			case h265.NALUType_SPS_NUT:
				if sps == nil {
					sps = n
				}
			case h265.NALUType_PPS_NUT:
				if pps == nil {
					pps = n
				}
			}
		}
	}
	return vps, sps, pps
}

// handler answers DESCRIBE/SETUP/PLAY for the one stream.
type handler struct{ s *Server }

func (h *handler) check(conn *gortsplib.ServerConn, req *base.Request) (*base.Response, error) {
	if h.s.cfg.User == "" {
		return nil, nil
	}
	if !conn.VerifyCredentials(req, h.s.cfg.User, h.s.cfg.Pass) {
		return &base.Response{StatusCode: base.StatusUnauthorized}, liberrors.ErrServerAuth{}
	}
	return nil, nil
}

func (h *handler) current() *gortsplib.ServerStream {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	return h.s.stream
}

// OnDescribe implements gortsplib.ServerHandlerOnDescribe.
func (h *handler) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if res, err := h.check(ctx.Conn, ctx.Request); res != nil {
		return res, nil, err
	}
	if strings.Trim(ctx.Path, "/") != strings.Trim(h.s.cfg.Path, "/") {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	st := h.current()
	if st == nil {
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, st, nil
}

// OnSetup implements gortsplib.ServerHandlerOnSetup.
func (h *handler) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if res, err := h.check(ctx.Conn, ctx.Request); res != nil {
		return res, nil, err
	}
	st := h.current()
	if st == nil {
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, st, nil
}

// OnPlay implements gortsplib.ServerHandlerOnPlay.
func (h *handler) OnPlay(*gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnPacketsLost implements gortsplib.ServerHandlerOnPacketsLost (silent:
// gortsplib would log).
func (h *handler) OnPacketsLost(*gortsplib.ServerHandlerOnPacketsLostCtx) {}

// OnDecodeError implements gortsplib.ServerHandlerOnDecodeError (silent).
func (h *handler) OnDecodeError(*gortsplib.ServerHandlerOnDecodeErrorCtx) {}

// OnStreamWriteError implements gortsplib.ServerHandlerOnStreamWriteError:
// a reader too slow for the stream (e.g. a stalled client) is counted, not
// logged.
func (h *handler) OnStreamWriteError(*gortsplib.ServerHandlerOnStreamWriteErrorCtx) {
	h.s.writeErrors.Add(1)
}
