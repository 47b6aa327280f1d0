// Package liverec records live camera sources (formats/rtsp clients) into
// one MCAP file: it fans the sources' frames into a single writer
// goroutine, writes them as foxglove messages through mcapwrite, records
// connection events, outages and provisionally stamped frames, and keeps
// the numbers a person watching the recording wants (fps, bitrate, clock
// drift, gaps, latency).
//
// What goes into the file:
//
//   - each camera frame on the topic its source gives ("/<name>/image/
//     compressed", foxglove.CompressedImage; "/<name>/video",
//     foxglove.CompressedVideo), with the capture time (from the RTCP
//     sender reports) as the message timestamp and the MCAP publish_time,
//     and the host receive time as the MCAP log_time; frame_id is the
//     camera name. Keyframes carry their parameter sets (see
//     mcapwrite.Recorder).
//   - provisional frames (received before the camera's first sender
//     report, so no capture time is known) are written, by default, with
//     the receive time as timestamp and publish_time; every run of them is
//     listed as a "provisional" event. Options.DropProvisional leaves them
//     out instead (also listed).
//   - the topic EventsTopic ("/rigsync/events", JSON, schema
//     rigsync.RecordEvent): one message per connect, reconnect, error,
//     gap (an outage: Start = last frame before, End = first frame after,
//     host receive times) and provisional run, with log_time = its start.
//   - at the end (Run returning normally), a metadata record MetadataName
//     ("rigsync.record") with the cameras, their redacted URLs and the
//     gap and provisional lists as JSON.
package liverec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapwrite"
	"github.com/rigsync/rigsync/formats/rtsp"
)

// EventsTopic is the topic of the recording's events.
const EventsTopic = "/rigsync/events"

// EventSchema names the JSON schema of EventsTopic messages.
const EventSchema = "rigsync.RecordEvent"

// MetadataName is the name of the metadata record written at the end.
const MetadataName = "rigsync.record"

// eventJSONSchema is the JSON Schema of Event.
var eventJSONSchema = []byte(`{"title":"rigsync.RecordEvent","type":"object","properties":{` +
	`"camera":{"type":"string"},"kind":{"type":"string","enum":["connected","reconnect","error","gap","provisional"]},` +
	`"start_ns":{"type":"integer","description":"host time, UNIX ns"},"end_ns":{"type":"integer","description":"host time, UNIX ns"},` +
	`"frames":{"type":"integer"},"dropped":{"type":"boolean"},"error":{"type":"string"}}}`)

// Event is one message of EventsTopic.
type Event struct {
	Camera string `json:"camera"`
	// Kind is connected, reconnect, error, gap or provisional.
	Kind string `json:"kind"`
	// StartNs and EndNs are host times (UNIX ns); EndNs for gap and
	// provisional only.
	StartNs int64 `json:"start_ns"`
	EndNs   int64 `json:"end_ns,omitempty"`
	// Frames counts the frames of a provisional run; Dropped tells that
	// they were not written.
	Frames  uint64 `json:"frames,omitempty"`
	Dropped bool   `json:"dropped,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Source is a live camera: *rtsp.Client satisfies it.
type Source interface {
	// Name is the camera name (frame id, topic prefix).
	Name() string
	Frames() <-chan rtsp.Frame
	Events() <-chan rtsp.Event
	Stats() rtsp.Stats
	// Close stops the source; Frames and Events are closed after it.
	Close() error
}

// Options tune a recording.
type Options struct {
	// DropProvisional leaves out frames that have no capture time.
	DropProvisional bool
	// StatusEvery is how often Status is called (default 1 s); it is also
	// how often a quiet writer's open chunk is checked for flushing.
	StatusEvery time.Duration
	// Status, when set, receives a snapshot every StatusEvery (from the
	// writer goroutine: do not block).
	Status func(Summary)
	// Written, when set, is called after each frame is appended to the
	// file (from the writer goroutine: do not block) with the camera
	// name, the message as written, whether it was provisional and the
	// host time it was appended.
	Written func(camera string, m formats.Message, provisional bool, at time.Time)
	// Now is the host clock (default time.Now).
	Now func() time.Time
}

// Range is a span of host time (UNIX ns) with the frames in it.
type Range struct {
	StartNs int64   `json:"start_ns"`
	EndNs   int64   `json:"end_ns"`
	Seconds float64 `json:"duration_s"`
	Frames  uint64  `json:"frames,omitempty"`
}

// CameraSummary is the state of one camera.
type CameraSummary struct {
	Name string `json:"name"`
	// URL is redacted (no credentials).
	URL    string   `json:"url"`
	Topics []string `json:"topics"`
	// Frames counts frames written; Provisional how many of them had no
	// capture time; ProvisionalDropped how many were left out instead;
	// DroppedFrames how many the source dropped because the writer fell
	// behind (from the source's statistics).
	Frames             uint64 `json:"frames"`
	Keyframes          uint64 `json:"keyframes"`
	Provisional        uint64 `json:"provisional"`
	ProvisionalDropped uint64 `json:"provisional_dropped"`
	DroppedFrames      uint64 `json:"dropped_frames"`
	LostPackets        uint64 `json:"lost_packets"`
	Bytes              uint64 `json:"bytes"`
	// FPS and BitrateBps are the source's recent rates.
	FPS        float64 `json:"fps"`
	BitrateBps float64 `json:"bitrate_bps"`
	// DriftPPM is the camera clock's rate error against the host clock
	// and OffsetMs the camera time minus host receive time; nil until
	// the fit has enough data.
	DriftPPM   *float64 `json:"drift_ppm"`
	OffsetMs   *float64 `json:"offset_ms"`
	Connected  bool     `json:"connected"`
	Reconnects int      `json:"reconnects"`
	Gaps       []Range  `json:"gaps"`
	// ProvisionalRanges are the runs of frames without capture time.
	ProvisionalRanges []Range `json:"provisional_ranges"`
	// FirstStamp and LastStamp are the capture times of the first and
	// last stamped frames (UNIX ns, camera clock; 0 when none).
	FirstStamp int64  `json:"first_stamp_ns"`
	LastStamp  int64  `json:"last_stamp_ns"`
	LastError  string `json:"last_error,omitempty"`
}

// Summary is the state of a recording.
type Summary struct {
	StartNs   int64           `json:"start_ns"`
	EndNs     int64           `json:"end_ns"`
	Seconds   float64         `json:"duration_s"`
	Cameras   []CameraSummary `json:"cameras"`
	Messages  uint64          `json:"messages"`
	Chunks    uint64          `json:"chunks"`
	FileBytes int64           `json:"file_bytes"`
	// Latency from host receive to the frame being appended to the open
	// chunk (host clock only; includes the time the source held frames
	// waiting for the first sender report), and from capture (camera
	// clock) to the same point, which is only a latency when the camera
	// clock is synced to the host's (it includes their offset; negative
	// when the camera runs ahead); p50/p99 in ms over the whole recording,
	// 0.1 ms resolution.
	WriteLatencyP50Ms   float64 `json:"write_latency_p50_ms"`
	WriteLatencyP99Ms   float64 `json:"write_latency_p99_ms"`
	CaptureLatencyP50Ms float64 `json:"capture_latency_p50_ms"`
	CaptureLatencyP99Ms float64 `json:"capture_latency_p99_ms"`
	// KeyframesWithoutParams counts H.264/H.265 keyframes written without
	// parameter sets (none seen yet on their stream).
	KeyframesWithoutParams uint64 `json:"keyframes_without_params"`
}

type camera struct {
	src    Source
	sum    CameraSummary
	topics map[string]bool
	prov   *Range // the open run of provisional frames
	// provSession is the source session of the open run.
	provSession int
	lastErr     string
}

type item struct {
	cam   int
	frame *rtsp.Frame
	event *rtsp.Event
	done  bool
}

// Session is one recording. Create it with New and call Run once.
type Session struct {
	rec   *mcapwrite.Recorder
	opts  Options
	cams  []*camera
	start time.Time
	write hist
	capt  hist
	mu    sync.Mutex // guards ran
	ran   bool       // Run was called (it is single use)
}

// New prepares a recording of the sources into rec. Camera names must be
// unique.
func New(rec *mcapwrite.Recorder, sources []Source, opts Options) (*Session, error) {
	if opts.StatusEvery <= 0 {
		opts.StatusEvery = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Session{rec: rec, opts: opts}
	seen := map[string]bool{}
	for _, src := range sources {
		n := src.Name()
		if seen[n] {
			return nil, fmt.Errorf("liverec: two cameras named %q: give each a distinct name", n)
		}
		seen[n] = true
		s.cams = append(s.cams, &camera{src: src, topics: map[string]bool{},
			sum: CameraSummary{Name: n, URL: src.Stats().URL}})
	}
	return s, nil
}

// Run records until ctx ends (or every source has closed its channels),
// then closes the sources, writes what they still deliver, the open
// provisional runs and the metadata record, and returns the summary. It
// does not close the Writer. A write error stops the recording and is
// returned with the summary so far.
func (s *Session) Run(ctx context.Context) (Summary, error) {
	s.mu.Lock()
	if s.ran {
		s.mu.Unlock()
		return Summary{}, errors.New("liverec: Run called twice")
	}
	s.ran = true
	s.mu.Unlock()

	s.start = s.opts.Now()
	in := make(chan item, 1024)
	var wg sync.WaitGroup
	for i, c := range s.cams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			forward(i, c.src, in)
		}()
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()

	closeAll := sync.OnceFunc(func() {
		for _, c := range s.cams {
			go c.src.Close()
		}
	})
	defer closeAll()

	tick := time.NewTicker(s.opts.StatusEvery)
	defer tick.Stop()
	var werr error
	ctxDone := ctx.Done()
	for {
		select {
		case it := <-in:
			if werr == nil {
				werr = s.handle(it)
				if werr != nil {
					closeAll()
				}
			}
			continue
		default:
		}
		select {
		case it := <-in:
			if werr == nil {
				werr = s.handle(it)
				if werr != nil {
					closeAll()
				}
			}
		case <-tick.C:
			if werr == nil {
				if werr = s.rec.Writer().Tick(); werr != nil {
					closeAll()
				}
			}
			if s.opts.Status != nil {
				s.opts.Status(s.summary())
			}
		case <-ctxDone:
			ctxDone = nil
			closeAll()
		case <-allDone:
			// Every forwarder has returned: drain what is queued.
			for {
				select {
				case it := <-in:
					if werr == nil {
						werr = s.handle(it)
					}
					continue
				default:
				}
				break
			}
			if werr == nil {
				werr = s.finish()
			}
			return s.summary(), werr
		}
	}
}

// forward copies one source's frames and events into in until both of
// its channels are closed.
func forward(i int, src Source, in chan<- item) {
	frames, events := src.Frames(), src.Events()
	for frames != nil || events != nil {
		select {
		case f, ok := <-frames:
			if !ok {
				frames = nil
				continue
			}
			in <- item{cam: i, frame: &f}
		case e, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			in <- item{cam: i, event: &e}
		}
	}
}

func (s *Session) handle(it item) error {
	c := s.cams[it.cam]
	if it.event != nil {
		return s.event(c, *it.event)
	}
	f := it.frame
	m := f.Msg
	if !c.topics[m.Topic] {
		c.topics[m.Topic] = true
		c.sum.Topics = append(c.sum.Topics, m.Topic)
		s.rec.SetChannelMetadata(m.Topic, map[string]string{
			"stamp_clock":  formats.SensorClock(m.FrameID, m.Topic),
			"stamp_source": "rtcp_sender_report",
			"codec":        f.Codec,
			"url":          c.sum.URL,
		})
	}
	if f.Provisional {
		// A run is a stretch of provisional frames of one session (a
		// reconnect starts a new one: frames and events travel on
		// separate channels, so only the frame's session tells).
		if c.prov != nil && f.Session != c.provSession {
			if err := s.closeProvisional(c); err != nil {
				return err
			}
		}
		if c.prov == nil {
			c.prov = &Range{StartNs: m.LogTime}
			c.provSession = f.Session
		}
		c.prov.EndNs = m.LogTime
		c.prov.Frames++
		if s.opts.DropProvisional {
			c.sum.ProvisionalDropped++
			return nil
		}
		c.sum.Provisional++
	} else {
		if err := s.closeProvisional(c); err != nil {
			return err
		}
		if c.sum.FirstStamp == 0 {
			c.sum.FirstStamp = m.Stamp
		}
		c.sum.LastStamp = m.Stamp
	}
	if f.Provisional || m.PublishTime == 0 {
		m.PublishTime = m.Stamp
	}
	if err := s.rec.Write(m); err != nil {
		return err
	}
	at := s.opts.Now()
	now := at.UnixNano()
	if s.opts.Written != nil {
		s.opts.Written(c.sum.Name, m, f.Provisional, at)
	}
	s.write.add(now - m.LogTime)
	if !f.Provisional {
		s.capt.add(now - m.Stamp)
	}
	c.sum.Frames++
	switch p := m.Payload.(type) {
	case *formats.CompressedImage:
		c.sum.Bytes += uint64(len(p.Data))
		c.sum.Keyframes++
	case *formats.CompressedVideo:
		c.sum.Bytes += uint64(len(p.Data))
		if p.Keyframe {
			c.sum.Keyframes++
		}
	}
	return nil
}

func (s *Session) closeProvisional(c *camera) error {
	if c.prov == nil {
		return nil
	}
	r := *c.prov
	c.prov = nil
	r.Seconds = float64(r.EndNs-r.StartNs) / 1e9
	c.sum.ProvisionalRanges = append(c.sum.ProvisionalRanges, r)
	return s.writeEvent(Event{Camera: c.sum.Name, Kind: "provisional", StartNs: r.StartNs, EndNs: r.EndNs,
		Frames: r.Frames, Dropped: s.opts.DropProvisional})
}

func (s *Session) event(c *camera, e rtsp.Event) error {
	ev := Event{Camera: c.sum.Name, Kind: e.Kind, StartNs: e.Start}
	switch e.Kind {
	case rtsp.EventGap:
		ev.EndNs = e.End
		c.sum.Gaps = append(c.sum.Gaps, Range{StartNs: e.Start, EndNs: e.End, Seconds: float64(e.End-e.Start) / 1e9})
	}
	if e.Err != nil {
		ev.Error = e.Err.Error()
		c.lastErr = ev.Error
	}
	if ev.StartNs <= 0 {
		ev.StartNs = s.opts.Now().UnixNano()
	}
	return s.writeEvent(ev)
}

func (s *Session) writeEvent(e Event) error {
	return s.rec.WriteJSON(EventsTopic, EventSchema, eventJSONSchema, e.StartNs, e)
}

// finish closes the open provisional runs and writes the metadata record.
func (s *Session) finish() error {
	md := map[string]string{}
	var names []string
	for _, c := range s.cams {
		if err := s.closeProvisional(c); err != nil {
			return err
		}
		names = append(names, c.sum.Name)
	}
	sum := s.summary()
	md["cameras"] = strings.Join(names, ",")
	md["start_ns"] = fmt.Sprint(sum.StartNs)
	md["end_ns"] = fmt.Sprint(sum.EndNs)
	md["stamp_source"] = "RTCP sender reports, RFC 3550 NTP; provisional frames are stamped with the host receive time"
	for _, c := range sum.Cameras {
		b, err := json.Marshal(struct {
			URL               string   `json:"url"`
			Topics            []string `json:"topics"`
			Frames            uint64   `json:"frames"`
			Gaps              []Range  `json:"gaps"`
			ProvisionalRanges []Range  `json:"provisional_ranges"`
			Dropped           bool     `json:"provisional_dropped"`
		}{c.URL, c.Topics, c.Frames, c.Gaps, c.ProvisionalRanges, s.opts.DropProvisional})
		if err != nil {
			return err
		}
		md["camera."+c.Name] = string(b)
	}
	return s.rec.Writer().Metadata(MetadataName, md)
}

// summary snapshots the state (writer goroutine only).
func (s *Session) summary() Summary {
	now := s.opts.Now()
	ws := s.rec.Writer().Stats()
	out := Summary{StartNs: s.start.UnixNano(), EndNs: now.UnixNano(), Seconds: now.Sub(s.start).Seconds(),
		Messages: ws.Messages, Chunks: ws.Chunks, FileBytes: ws.Bytes,
		WriteLatencyP50Ms: s.write.quantile(0.5), WriteLatencyP99Ms: s.write.quantile(0.99),
		CaptureLatencyP50Ms: s.capt.quantile(0.5), CaptureLatencyP99Ms: s.capt.quantile(0.99),
		KeyframesWithoutParams: s.rec.Stats().KeyframesWithoutParams}
	for _, c := range s.cams {
		cs := c.sum
		st := c.src.Stats()
		cs.Connected, cs.Reconnects, cs.LostPackets = st.Connected, st.Reconnects, st.LostPackets
		cs.DroppedFrames, cs.FPS, cs.BitrateBps = 0, 0, 0
		for _, t := range st.Tracks {
			cs.DroppedFrames += t.DroppedFrames
			cs.FPS += t.FPS
			cs.BitrateBps += t.Bitrate
			if t.DriftOK && cs.DriftPPM == nil {
				d, o := t.DriftPPM, float64(t.OffsetNs)/1e6
				cs.DriftPPM, cs.OffsetMs = &d, &o
			}
		}
		cs.LastError = c.lastErr
		cs.Gaps = nonNil(cs.Gaps)
		cs.ProvisionalRanges = nonNil(cs.ProvisionalRanges)
		cs.Topics = nonNil(cs.Topics)
		sort.Strings(cs.Topics)
		out.Cameras = append(out.Cameras, cs)
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return append([]T(nil), s...)
}

// hist is a sparse latency histogram with 0.1 ms buckets; values beyond
// ±100 s are counted at ±100 s. (Capture latency is negative when the
// camera clock runs ahead of the host's.)
type hist struct {
	b map[int32]uint32
	n uint64
}

const histBucket, histLimit = 100_000, 100_000_000_000 // ns

func (h *hist) add(ns int64) {
	if h.b == nil {
		h.b = map[int32]uint32{}
	}
	ns = min(max(ns, -histLimit), histLimit)
	h.b[int32(floorDiv(ns, histBucket))]++
	h.n++
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// quantile returns the q-quantile in ms (the bucket's upper edge; 0 when
// empty).
func (h *hist) quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	keys := make([]int32, 0, len(h.b))
	for k := range h.b {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := max(1, uint64(math.Ceil(q*float64(h.n))))
	var acc uint64
	k := keys[len(keys)-1]
	for _, key := range keys {
		acc += uint64(h.b[key])
		if acc >= want {
			k = key
			break
		}
	}
	return float64((int64(k)+1)*histBucket) / 1e6
}
