// Package live fuses streams as they arrive: live camera frames (RTSP) and
// the messages of a log replayed at real time (formats/replay), all
// stamped on the host clock. A Fuser groups them with a watermark
// (sync/watermark: one set per reference-stream message, every other
// stream's nearest message within Tolerance, emitted with at most
// MaxLatency delay, late or silent streams marked missing) and turns each
// set into a fused.Frame for any fused.Sink (fusion/writers/frames).
//
// Each set becomes a frame through the same frame-assembly engine as the
// offline pipeline (fusion.Engine), fed with the ego-motion and IMU
// messages the Fuser gets (AddEgo, AddIMU) and the camera infos
// (CameraInfo). A live frame holds:
//
//   - cameras: the image as pushed (JPEG for MJPEG cameras; an H.264/H.265
//     access unit cannot be written as an image, so a camera pushed
//     undecoded is marked missing with a note), the intrinsics of the
//     calibration (or of a CameraInfo, where the rig has none) and
//     T_base_camera at the camera's own stamp, with the ego motion between
//     the camera and frame times folded in when there is an ego source;
//   - LiDAR: every cloud transformed into the base frame and deskewed as
//     offline (Cloud.Deskew "imu", "odometry", "gnss", "tf",
//     "imu-rotation" with an IMU and no ego source, "none" with neither);
//     with an ego source (Config.Ego) a set waits until its ego poses have
//     arrived, at most MaxLatency past them;
//   - radar: detections in the base frame; RadialVelocity with the ego
//     motion removed when there is an ego source, else NaN with a note;
//   - LiDAR points projected into each camera;
//   - IMU: the messages stamped in (previous frame, this frame] that have
//     arrived when the frame is assembled;
//   - per sensor: stamp, offset from the frame time, missing, and a note
//     for a provisional camera stamp (receive time: no RTCP sender report
//     yet).
//
// What stays live: the watermark grouping, per-stream statistics, the
// latency record, Frame.Clock "host", the provisional-stamp notes and the
// wording of a missing member's note. Camera images are not decoded to
// check for black or saturated pictures (the offline ImageCheckEvery):
// that would take the live loop's CPU.
//
// Times are int64 ns since the UNIX epoch on the host clock; Frame.Clock
// is "host". Transforms are T_base_sensor from fusion.Calibration.
package live

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/sync/match"
	"github.com/rigsync/rigsync/sync/watermark"
)

// Clock is the Frame.Clock of live frames.
const Clock = "host"

// Defaults of a Config.
const (
	DefaultTolerance  = 50 * time.Millisecond
	DefaultMaxLatency = 300 * time.Millisecond
)

// Stream is one grouped input.
type Stream struct {
	// Name is the sensor's frame id: the key of its extrinsic (and
	// intrinsics) in Config.Calibration.
	Name string
	// Topic is the stream's topic (for reports and frame files).
	Topic string
	// Modality is Camera, Lidar or Radar.
	Modality formats.Modality
	// Lateness is the largest expected arrival − stamp (0: unknown), see
	// watermark.Stream.
	Lateness time.Duration
}

// Config configures a Fuser.
type Config struct {
	Streams []Stream
	// Reference is the index of the stream that makes frames (e.g. the
	// LiDAR, or the first camera).
	Reference int
	// Calibration gives every sensor's T_base_sensor and camera infos.
	// Intrinsics it takes from a rig file are checked against the size of
	// every pushed image (fusion.IntrinsicsGuard): another size is an
	// error unless ScaleIntrinsics.
	Calibration *fusion.Calibration
	// ScaleIntrinsics scales rig-file intrinsics calibrated at another
	// image size to the size of the camera's images
	// (fusion.ScaleCameraInfo).
	ScaleIntrinsics bool
	// Tolerance is the largest |stamp − frame stamp| of a member
	// (DefaultTolerance when 0).
	Tolerance time.Duration
	// MaxLatency bounds emit time − frame stamp (DefaultMaxLatency when
	// 0); it must exceed Tolerance.
	MaxLatency time.Duration
	// NoProject skips projecting LiDAR points into cameras.
	NoProject bool
	// Ego is the ego-motion source of the messages AddEgo gets:
	// "odometry", "gnss" or "tf" (fusion.ChooseEgo picks it among a log's
	// topics); "" or "none": none (AddEgo ignores its messages).
	Ego string
}

// Input is one message of a stream.
type Input struct {
	// Msg is the message; Msg.Stamp must be on the host clock.
	Msg formats.Message
	// Provisional marks a stamp that is only the receive time.
	Provisional bool
}

// StreamStats describe one stream so far.
type StreamStats struct {
	Name  string `json:"name"`
	Topic string `json:"topic"`
	// Received messages, Used in frames, Missing frames.
	Received int `json:"received"`
	Used     int `json:"used"`
	Missing  int `json:"missing_in_frames"`
	// Dropped counts messages in no frame by reason (late, superseded,
	// outside_window, ...).
	Dropped map[string]int `json:"dropped"`
	// FPS is the receive rate over the last 2 s of host time (0 with
	// fewer than two messages in it).
	FPS float64 `json:"fps"`
	// Delay is the last arrival − stamp (transport and encode delay), ns.
	Delay int64 `json:"delay_ns"`
	// Provisional counts messages with a receive-time stamp.
	Provisional int `json:"provisional"`
}

// Latency summarises emit time − frame stamp over the emitted frames.
type Latency struct {
	P50 int64 `json:"p50_ns"`
	P99 int64 `json:"p99_ns"`
	Max int64 `json:"max_ns"`
}

type entry struct {
	in      Input
	arrival int64
}

type streamState struct {
	StreamStats
	arrivals []int64 // last 2 s of arrival times
}

// Fuser groups live streams and writes fused frames to a sink. It is not
// safe for concurrent use: one goroutine pushes and advances.
type Fuser struct {
	cfg     Config
	g       *watermark.Grouper[*entry]
	eng     *fusion.Engine
	streams []streamState
	// stamps are the stamps of the sets handed to the engine and not yet
	// written, for the latency of each frame when it is written.
	stamps   []int64
	recorded int // frames whose latency is in lats
	lats     []int64
	// err is the sink error that stopped the Fuser.
	err error
}

// New returns a Fuser writing to sink (which the caller closes).
func New(cfg Config, sink fused.Sink) (*Fuser, error) {
	if cfg.Calibration == nil {
		return nil, errors.New("live: Config.Calibration is nil")
	}
	if sink == nil {
		return nil, errors.New("live: sink is nil")
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = DefaultTolerance
	}
	if cfg.MaxLatency <= 0 {
		cfg.MaxLatency = DefaultMaxLatency
	}
	if cfg.MaxLatency <= cfg.Tolerance {
		return nil, fmt.Errorf("live: max latency %v must exceed the tolerance %v", cfg.MaxLatency, cfg.Tolerance)
	}
	f := &Fuser{cfg: cfg}
	ws := make([]watermark.Stream, len(cfg.Streams))
	sensors := make([]fusion.Sensor, len(cfg.Streams))
	for i, s := range cfg.Streams {
		switch s.Modality {
		case formats.Camera, formats.Lidar, formats.Radar:
		default:
			return nil, fmt.Errorf("live: stream %d (%s): modality %v cannot be grouped (want camera, lidar or radar)", i, s.Topic, s.Modality)
		}
		ws[i] = watermark.Stream{Name: s.Topic, Window: match.Tolerance(cfg.Tolerance), Lateness: s.Lateness}
		sensors[i] = fusion.Sensor{Name: s.Name, Topic: s.Topic, Modality: s.Modality}
		f.streams = append(f.streams, streamState{StreamStats: StreamStats{Name: s.Name, Topic: s.Topic, Dropped: map[string]int{}}})
	}
	g, err := watermark.New(watermark.Config{Streams: ws, Reference: cfg.Reference, MaxLatency: cfg.MaxLatency},
		watermark.Handler[*entry]{Set: f.onSet, Drop: func(i int, m match.Member[*entry], r watermark.Reason) {
			f.streams[i].Dropped[r.String()]++
		}})
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	f.g = g
	// The offline engine, with what differs live on purpose: the host
	// clock, the missing note naming the latency bound, extrinsics from
	// the calibration (no /tf_static), Doppler left NaN (and said so)
	// without an ego source rather than passed off as compensated, and no
	// image checks (decoding takes the live loop's CPU).
	f.eng, err = fusion.NewEngine(fusion.EngineConfig{Sensors: sensors, Reference: cfg.Reference,
		Base: cfg.Calibration.Base, Clock: Clock, Calibration: cfg.Calibration,
		Guard: fusion.NewIntrinsicsGuard(cfg.Calibration, cfg.ScaleIntrinsics), Ego: cfg.Ego,
		NoProject: cfg.NoProject, ImageCheckEvery: -1,
		MissingNote:          fmt.Sprintf("no message within ±%v arrived within the %v latency bound", cfg.Tolerance, cfg.MaxLatency),
		DopplerNaNWithoutEgo: true}, sink)
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	return f, nil
}

// Push adds a message of stream i that arrived at host time now, and
// writes the frames that become complete. The error is the sink's, or
// says that a camera image is not the size its rig-file intrinsics were
// calibrated at (Config.ScaleIntrinsics). A sink error stops the Fuser:
// every later Push, Advance, AddEgo and Flush returns it.
func (f *Fuser) Push(ctx context.Context, now int64, i int, in Input) error {
	if f.err != nil {
		return f.err
	}
	if i < 0 || i >= len(f.streams) {
		return fmt.Errorf("live: stream %d out of range [0, %d)", i, len(f.streams))
	}
	sp := f.cfg.Streams[i]
	// The engine names a sensor by its message's frame id and a camera's
	// topic by its message's.
	if in.Msg.FrameID == "" {
		in.Msg.FrameID = sp.Name
	}
	if in.Msg.Topic == "" {
		in.Msg.Topic = sp.Topic
	}
	if err := f.checkImage(sp, &in.Msg); err != nil {
		return err
	}
	st := &f.streams[i]
	st.Received++
	st.Delay = now - in.Msg.Stamp
	if in.Provisional {
		st.Provisional++
	}
	st.arrivals = append(st.arrivals, now)
	if err := f.g.Push(now, i, in.Msg.Stamp, &entry{in: in, arrival: now}); err != nil {
		return fmt.Errorf("live: %w", err)
	}
	return f.drain(ctx, now)
}

// checkImage measures an image of a camera whose intrinsics come from a
// rig file (IntrinsicsGuard.Image): another size than the rig's is an
// error, or scales the intrinsics with Config.ScaleIntrinsics.
func (f *Fuser) checkImage(sp Stream, m *formats.Message) error {
	if sp.Modality != formats.Camera || !f.eng.Guards(m.FrameID) {
		return nil
	}
	where := fmt.Sprintf("camera stream %s (%s), image stamped %d ns (host clock)", sp.Name, sp.Topic, m.Stamp)
	if err := f.eng.Image(m.FrameID, where, m.Payload); err != nil {
		return fmt.Errorf("live: %w", err)
	}
	return nil
}

// AddIMU buffers an IMU message (stamp on the host clock) for deskewing
// and for the IMU windows of the frames.
func (f *Fuser) AddIMU(m formats.Message) { f.eng.AddIMU(m) }

// AddEgo takes an ego-motion message of the Config.Ego source (odometry,
// /tf or GNSS; stamp on the host clock) that arrived at host time now, and
// writes the frames that were waiting for it. The error is the sink's
// (see Push).
func (f *Fuser) AddEgo(ctx context.Context, now int64, m formats.Message) error {
	if f.err != nil {
		return f.err
	}
	f.eng.AddEgo(&m)
	return f.drain(ctx, now)
}

// Advance moves host time to now and writes the frames the watermark
// releases (call it on a ticker). The error is the sink's (see Push).
func (f *Fuser) Advance(ctx context.Context, now int64) error {
	if f.err != nil {
		return f.err
	}
	if err := f.g.Advance(now); err != nil {
		return fmt.Errorf("live: %w", err)
	}
	return f.drain(ctx, now)
}

// Flush ends the input: every pending frame is written with what it has.
// The error is the sink's (see Push).
func (f *Fuser) Flush(ctx context.Context, now int64) error {
	if f.err != nil {
		return f.err
	}
	if err := f.g.Flush(now); err != nil {
		return fmt.Errorf("live: %w", err)
	}
	return f.written(now, f.eng.Flush(ctx))
}

// drain writes the sets whose ego poses are in, or that waited for them
// MaxLatency past their need (the ego stream is late or silent).
func (f *Fuser) drain(ctx context.Context, now int64) error {
	return f.written(now, f.eng.Drain(ctx, now-int64(f.cfg.MaxLatency)))
}

// written records the latency of the frames written by the call at now
// and keeps the sink error err, which stops the Fuser.
func (f *Fuser) written(now int64, err error) error {
	for f.recorded < f.eng.Frames() {
		lat := now - f.stamps[0]
		f.stamps = f.stamps[1:]
		if len(f.lats) < 1<<16 {
			f.lats = append(f.lats, lat)
		} else {
			f.lats[f.recorded%(1<<16)] = lat
		}
		f.recorded++
	}
	if err != nil {
		f.err = fmt.Errorf("live: %w", err)
		return f.err
	}
	return nil
}

// Frames returns the number of frames written (or, after a sink error,
// tried).
func (f *Fuser) Frames() int { return f.eng.Frames() }

// Stats returns per-stream statistics at host time now.
func (f *Fuser) Stats(now int64) []StreamStats {
	out := make([]StreamStats, len(f.streams))
	for i := range f.streams {
		st := &f.streams[i]
		k := 0
		for k < len(st.arrivals) && st.arrivals[k] < now-2e9 {
			k++
		}
		st.arrivals = append(st.arrivals[:0], st.arrivals[k:]...)
		st.FPS = 0
		if n := len(st.arrivals); n >= 2 && st.arrivals[n-1] > st.arrivals[0] {
			st.FPS = float64(n-1) / (float64(st.arrivals[n-1]-st.arrivals[0]) / 1e9)
		}
		out[i] = st.StreamStats
		out[i].Dropped = make(map[string]int, len(st.Dropped))
		for r, n := range st.Dropped {
			out[i].Dropped[r] = n
		}
	}
	return out
}

// Latency returns the write-time − frame-stamp percentiles so far.
func (f *Fuser) Latency() Latency {
	if len(f.lats) == 0 {
		return Latency{}
	}
	s := slices.Clone(f.lats)
	slices.Sort(s)
	return Latency{P50: s[len(s)/2], P99: s[min(len(s)-1, len(s)*99/100)], Max: s[len(s)-1]}
}

// CameraInfo takes a CameraInfo of camera frame seen elsewhere (e.g. in a
// log replayed alongside; where names it): its intrinsics are used where
// the calibration has none from a rig file; rig-file intrinsics stay, and
// Warnings says where the two disagree.
func (f *Fuser) CameraInfo(frame, where string, ci *formats.CameraInfo) {
	f.eng.CameraInfo(frame, where, ci)
}

// Warnings returns what fusing found that did not stop it, one line each
// (see fusion.IntrinsicsGuard.Warnings): a CameraInfo disagreeing with the
// rig's intrinsics, intrinsics scaled to the images, image sizes that
// could not be read.
func (f *Fuser) Warnings() []string { return f.eng.Warnings() }

// Held returns the messages waiting for the watermark.
func (f *Fuser) Held() int { return f.g.Held() }

// onSet hands a set to the engine (which writes its frame once the ego
// poses it needs are in) and counts it in the stream statistics.
func (f *Fuser) onSet(s *watermark.Set[*entry]) error {
	set := make([]fusion.Member, len(s.Members))
	for i, m := range s.Members {
		if !m.Present {
			f.streams[i].Missing++
			continue
		}
		f.streams[i].Used++
		e := m.Value
		set[i] = fusion.Member{Msg: &e.in.Msg, Present: true}
		if v, ok := e.in.Msg.Payload.(*formats.CompressedVideo); ok && f.cfg.Streams[i].Modality == formats.Camera {
			set[i].Reject = v.Format + " access unit: frames need images; decode the video before pushing it (rigsync live uses ffmpeg)"
		}
		if e.in.Provisional {
			set[i].Degraded = "provisional stamp: receive time, no RTCP sender report yet"
		}
	}
	f.stamps = append(f.stamps, s.Stamp)
	f.eng.Add(set)
	return nil
}
