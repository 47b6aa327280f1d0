// Package live fuses streams as they arrive: live camera frames (RTSP) and
// the messages of a log replayed at real time (formats/replay), all
// stamped on the host clock. A Fuser groups them with a watermark
// (sync/watermark: one set per reference-stream message, every other
// stream's nearest message within Tolerance, emitted with at most
// MaxLatency delay, late or silent streams marked missing) and turns each
// set into a fused.Frame for any fused.Sink (fusion/writers/frames).
//
// What a live frame holds, and what it does not (compare package fusion,
// which fuses a whole log offline):
//
//   - cameras: the image as pushed (JPEG for MJPEG cameras; an H.264/H.265
//     access unit cannot be written as an image, so a camera pushed
//     undecoded is marked missing with a note), the intrinsics and
//     T_base_camera of the calibration, at the camera's own stamp;
//   - LiDAR: every cloud transformed into the base frame with its static
//     extrinsic, point times relative to the frame stamp; NOT deskewed and
//     not ego-motion compensated between sensor times (there is no ego
//     source live): Cloud.Deskew is "none" and Frame.EgoSource "none";
//   - radar: detections in the base frame; RawRadialVelocity as measured,
//     RadialVelocity NaN (ego motion cannot be removed without ego);
//   - LiDAR points projected into each camera with the static extrinsics
//     (no motion compensation between the LiDAR and camera times);
//   - IMU: the messages stamped in (previous frame, this frame] that have
//     arrived when the frame is emitted (IMU messages do not hold the
//     watermark);
//   - per sensor: stamp, offset from the frame time, missing, and a note
//     for a provisional camera stamp (receive time: no RTCP sender report
//     yet).
//
// Times are int64 ns since the UNIX epoch on the host clock; Frame.Clock
// is "host". Transforms are T_base_sensor from fusion.Calibration.
package live

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/sync/match"
	"github.com/rigsync/rigsync/sync/watermark"
	"gonum.org/v1/gonum/spatial/r3"
)

// Clock is the Frame.Clock of live frames.
const Clock = "host"

// Defaults of a Config.
const (
	DefaultTolerance  = 50 * time.Millisecond
	DefaultMaxLatency = 300 * time.Millisecond
	// maxIMU bounds the buffered IMU messages.
	maxIMU = 4096
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
	base    string
	sink    fused.Sink
	g       *watermark.Grouper[*entry]
	streams []streamState
	imu     []formats.Message
	// imuName and imuTopic name the IMU (the first seen) for its status.
	imuName, imuTopic string
	models            map[string]camera.Model
	guard             *fusion.IntrinsicsGuard
	frames            int
	prevS             int64
	lats              []int64
	// ctx is the context of the Push, Advance or Flush in progress, for
	// the sink writes of the sets it emits (onSet).
	ctx context.Context
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
	f := &Fuser{cfg: cfg, base: cfg.Calibration.Base, sink: sink, models: map[string]camera.Model{}, prevS: math.MinInt64,
		guard: fusion.NewIntrinsicsGuard(cfg.Calibration, cfg.ScaleIntrinsics)}
	if f.base == "" {
		f.base = "base_link"
	}
	ws := make([]watermark.Stream, len(cfg.Streams))
	for i, s := range cfg.Streams {
		switch s.Modality {
		case formats.Camera, formats.Lidar, formats.Radar:
		default:
			return nil, fmt.Errorf("live: stream %d (%s): modality %v cannot be grouped (want camera, lidar or radar)", i, s.Topic, s.Modality)
		}
		ws[i] = watermark.Stream{Name: s.Topic, Window: match.Tolerance(cfg.Tolerance), Lateness: s.Lateness}
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
	return f, nil
}

// Push adds a message of stream i that arrived at host time now, and
// writes the frames that become complete. The error is the sink's, or
// says that a camera image is not the size its rig-file intrinsics were
// calibrated at (Config.ScaleIntrinsics). A sink error stops the Fuser:
// every later Push, Advance and Flush returns it.
func (f *Fuser) Push(ctx context.Context, now int64, i int, in Input) error {
	if i < 0 || i >= len(f.streams) {
		return fmt.Errorf("live: stream %d out of range [0, %d)", i, len(f.streams))
	}
	if err := f.checkImage(f.cfg.Streams[i], &in.Msg); err != nil {
		return err
	}
	st := &f.streams[i]
	st.Received++
	st.Delay = now - in.Msg.Stamp
	if in.Provisional {
		st.Provisional++
	}
	st.arrivals = append(st.arrivals, now)
	f.ctx = ctx
	defer f.endCall()
	// i is in range, so the error can only be onSet's (already "live: ").
	return f.g.Push(now, i, in.Msg.Stamp, &entry{in: in, arrival: now})
}

// checkImage measures an image of a camera whose intrinsics come from a
// rig file (IntrinsicsGuard.Image): another size than the rig's is an
// error, or scales the intrinsics with Config.ScaleIntrinsics.
func (f *Fuser) checkImage(sp Stream, m *formats.Message) error {
	if sp.Modality != formats.Camera {
		return nil
	}
	name := sp.Name
	if m.FrameID != "" {
		name = m.FrameID
	}
	if !f.guard.Guards(name) {
		return nil
	}
	where := fmt.Sprintf("camera stream %s (%s), image stamped %d ns (host clock)", sp.Name, sp.Topic, m.Stamp)
	if err := f.guard.Image(name, where, m.Payload); err != nil {
		return fmt.Errorf("live: %w", err)
	}
	return nil
}

// AddIMU buffers an IMU message (stamp on the host clock) for the IMU
// windows of the frames.
func (f *Fuser) AddIMU(m formats.Message) {
	if f.imuTopic == "" {
		f.imuName, f.imuTopic = m.FrameID, m.Topic
	}
	f.imu = append(f.imu, m)
	if len(f.imu) > maxIMU {
		f.imu = append(f.imu[:0], f.imu[len(f.imu)/2:]...)
	}
}

// Advance moves host time to now and writes the frames the watermark
// releases (call it on a ticker). The error is the sink's (see Push).
func (f *Fuser) Advance(ctx context.Context, now int64) error {
	f.ctx = ctx
	defer f.endCall()
	return f.g.Advance(now)
}

// Flush ends the input: every pending frame is written with what it has.
// The error is the sink's (see Push).
func (f *Fuser) Flush(ctx context.Context, now int64) error {
	f.ctx = ctx
	defer f.endCall()
	return f.g.Flush(now)
}

// endCall forgets the context of the call that ends.
func (f *Fuser) endCall() { f.ctx = nil }

// Frames returns the number of frames written.
func (f *Fuser) Frames() int { return f.frames }

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

// Latency returns the emit-time − frame-stamp percentiles so far.
func (f *Fuser) Latency() Latency {
	if len(f.lats) == 0 {
		return Latency{}
	}
	s := slices.Clone(f.lats)
	slices.Sort(s)
	return Latency{P50: s[len(s)/2], P99: s[min(len(s)-1, len(s)*99/100)], Max: s[len(s)-1]}
}

// CameraInfo notes a CameraInfo of camera frame seen elsewhere (e.g. in a
// log replayed alongside; where names it). It never replaces intrinsics
// the calibration takes from a rig file; Warnings says where the two
// disagree.
func (f *Fuser) CameraInfo(frame, where string, ci *formats.CameraInfo) {
	f.guard.CameraInfo(frame, where, ci)
}

// Warnings returns what fusing found that did not stop it, one line each
// (see fusion.IntrinsicsGuard.Warnings): a CameraInfo disagreeing with the
// rig's intrinsics, intrinsics scaled to the images, image sizes that
// could not be read.
func (f *Fuser) Warnings() []string { return f.guard.Warnings() }

// Held returns the messages waiting for the watermark.
func (f *Fuser) Held() int { return f.g.Held() }

// onSet fuses a set and writes the frame; a sink error stops the grouper
// (watermark.Handler), which returns it from the call in progress.
func (f *Fuser) onSet(s *watermark.Set[*entry]) error {
	fr := f.fuse(s)
	if len(f.lats) < 1<<16 {
		f.lats = append(f.lats, s.Emitted-s.Stamp)
	} else {
		f.lats[f.frames%(1<<16)] = s.Emitted - s.Stamp
	}
	ctx := f.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if err := f.sink.Write(ctx, fr); err != nil {
		return fmt.Errorf("live: frame %d: %w", fr.Index, err)
	}
	return nil
}

// fuse builds one frame from a set.
func (f *Fuser) fuse(s *watermark.Set[*entry]) *fused.Frame {
	S := s.Stamp
	fr := &fused.Frame{Index: f.frames, Stamp: S, Clock: Clock, FrameID: f.base, Ego: se3.Identity(), EgoSource: "none"}
	f.frames++
	cal := f.cfg.Calibration
	for i, m := range s.Members {
		sp := f.cfg.Streams[i]
		st := fused.SensorStatus{Name: sp.Name, Topic: sp.Topic, Modality: sp.Modality}
		if !m.Present {
			f.streams[i].Missing++
			st.Missing, st.Note = true, fmt.Sprintf("no message within ±%v arrived within the %v latency bound", f.cfg.Tolerance, f.cfg.MaxLatency)
			fr.Sensors = append(fr.Sensors, st)
			continue
		}
		f.streams[i].Used++
		e := m.Value
		msg := &e.in.Msg
		st.Stamp, st.Offset = msg.Stamp, msg.Stamp-S
		if msg.FrameID != "" {
			st.Name = msg.FrameID
		}
		if i != f.cfg.Reference && msg.Stamp <= f.prevS {
			st.Stale, st.Note = true, "stamped before the previous frame"
		}
		ext, ok := cal.Extrinsics[st.Name]
		if !ok {
			st.Missing, st.Note = true, "no extrinsic for frame "+st.Name
			fr.Sensors = append(fr.Sensors, st)
			continue
		}
		switch sp.Modality {
		case formats.Lidar:
			addLidar(fr, msg, st.Name, ext, &st)
		case formats.Radar:
			addRadar(fr, msg, st.Name, ext, &st)
		case formats.Camera:
			f.addCamera(fr, sp, msg, st.Name, ext, &st)
		}
		if e.in.Provisional {
			st.Degraded = true
			st.AddNote("provisional stamp: receive time, no RTCP sender report yet")
		}
		fr.Sensors = append(fr.Sensors, st)
	}
	if fr.Lidar != nil && !f.cfg.NoProject {
		for i := range fr.Cameras {
			f.project(fr, &fr.Cameras[i])
		}
	}
	f.takeIMU(fr)
	f.prevS = S
	return fr
}

func addLidar(fr *fused.Frame, msg *formats.Message, name string, ext se3.Transform, st *fused.SensorStatus) {
	pts, o, ok := fr.GrowLidar(name, msg.Payload, st)
	if !ok {
		return
	}
	n := pts.Len()
	P := &fr.Lidar.Points
	a := fusion.AffineOf(ext)
	fusion.TransformPoints(&a, P.X[o:], P.Y[o:], P.Z[o:], pts.X, pts.Y, pts.Z)
	dt := msg.Stamp - fr.Stamp
	for i := range n {
		P.TimeOffset[o+i] = dt
		if pts.TimeOffset != nil {
			P.TimeOffset[o+i] += pts.TimeOffset[i]
		}
	}
}

func addRadar(fr *fused.Frame, msg *formats.Message, name string, ext se3.Transform, st *fused.SensorStatus) {
	x, y, z, dop, rcs, err := fusion.RadarColumns(msg.Payload)
	if err != nil {
		st.Missing, st.Note = true, err.Error()
		return
	}
	if len(x) == 0 {
		st.Degraded, st.Note = true, "radar scan with no detections"
	}
	src, ok := fr.RadarSource(name, st)
	if !ok {
		return
	}
	rc := fr.Radar
	nan := float32(math.NaN())
	for i := range x {
		p := ext.Apply(r3.Vec{X: float64(x[i]), Y: float64(y[i]), Z: float64(z[i])})
		rc.X = append(rc.X, float32(p.X))
		rc.Y = append(rc.Y, float32(p.Y))
		rc.Z = append(rc.Z, float32(p.Z))
		raw, r := nan, nan
		if dop != nil {
			raw = dop[i]
		}
		if rcs != nil {
			r = rcs[i]
		}
		rc.RawRadialVelocity = append(rc.RawRadialVelocity, raw)
		rc.RadialVelocity = append(rc.RadialVelocity, nan)
		rc.RCS = append(rc.RCS, r)
		rc.Source = append(rc.Source, src)
	}
	st.AddNote("Doppler not ego-compensated (no ego motion live)")
}

func (f *Fuser) addCamera(fr *fused.Frame, sp Stream, msg *formats.Message, name string, ext se3.Transform, st *fused.SensorStatus) {
	img := msg.Payload
	switch p := img.(type) {
	case *formats.CompressedImage, *formats.Image:
	case *formats.CompressedVideo:
		st.Missing, st.Note = true, p.Format+" access unit: frames need images; decode the video before pushing it (rigsync live uses ffmpeg)"
		return
	default:
		st.Missing, st.Note = true, fmt.Sprintf("payload %T is not an image", msg.Payload)
		return
	}
	info, ok := f.cfg.Calibration.Infos[name]
	if gi, guarded := f.guard.Info(name); guarded {
		info = gi // the rig's, scaled to the images when allowed
	}
	if !ok {
		st.Degraded, st.Note = true, "no intrinsics for "+name
	}
	topic := sp.Topic
	if msg.Topic != "" {
		topic = msg.Topic
	}
	fr.Cameras = append(fr.Cameras, fused.Camera{Name: name, Topic: topic, Stamp: msg.Stamp, Image: img, Info: info,
		BaseCamera: ext, Extrinsic: ext})
}

// project maps the frame's LiDAR points into a camera with the static
// extrinsic (no motion compensation).
func (f *Fuser) project(fr *fused.Frame, c *fused.Camera) {
	if c.Info.K[0] == 0 || c.Info.Width <= 0 || c.Info.Height <= 0 {
		return
	}
	model, ok := f.models[c.Name]
	if !ok {
		in := camera.Intrinsics{Fx: c.Info.K[0], Fy: c.Info.K[4], Cx: c.Info.K[2], Cy: c.Info.K[5], Width: c.Info.Width, Height: c.Info.Height}
		m, err := camera.New(c.Info.DistortionModel, in, c.Info.D)
		if err != nil {
			m = nil
		}
		f.models[c.Name] = m
		model = m
	}
	if model == nil {
		return
	}
	in := model.Intrinsics()
	a := fusion.AffineOf(c.BaseCamera.Inverse())
	P := &fr.Lidar.Points
	for i := range P.X {
		p := a.Apply(r3.Vec{X: float64(P.X[i]), Y: float64(P.Y[i]), Z: float64(P.Z[i])})
		if p.Z <= 0.1 {
			continue
		}
		u, v, ok := model.Project(p)
		if !ok || !in.InImage(u, v) {
			continue
		}
		c.Projected = append(c.Projected, fused.Projection{U: float32(u), V: float32(v), Depth: float32(p.Z), Index: int32(i)})
	}
}

// takeIMU moves the buffered IMU messages stamped in (previous frame,
// this frame] into the frame.
func (f *Fuser) takeIMU(fr *fused.Frame) {
	if f.imuTopic == "" {
		return // no IMU stream
	}
	sort.SliceStable(f.imu, func(i, j int) bool { return f.imu[i].Stamp < f.imu[j].Stamp })
	k := 0
	for k < len(f.imu) && f.imu[k].Stamp <= fr.Stamp {
		if f.imu[k].Stamp > f.prevS {
			fr.IMU = append(fr.IMU, f.imu[k])
		}
		k++
	}
	f.imu = append(f.imu[:0], f.imu[k:]...)
	st := fused.SensorStatus{Modality: formats.IMUModality, Name: f.imuName, Topic: f.imuTopic}
	if n := len(fr.IMU); n > 0 {
		last := fr.IMU[n-1]
		st.Name, st.Topic, st.Stamp, st.Offset = last.FrameID, last.Topic, last.Stamp, last.Stamp-fr.Stamp
	} else {
		st.Missing, st.Note = true, "no IMU message since the previous frame had arrived"
	}
	fr.Sensors = append(fr.Sensors, st)
}
