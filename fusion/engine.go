package fusion

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/ordered"
)

// Sensor is one grouped stream of an Engine: every set it assembles holds
// one Member per Sensor, in the order of EngineConfig.Sensors.
type Sensor struct {
	// Name is the sensor's frame id (its calibration key) and Topic its
	// topic, for the frame's SensorStatus when the sensor has no message.
	Name, Topic string
	// Modality is Lidar, Radar or Camera.
	Modality formats.Modality
}

// Member is one sensor's part of a set handed to Engine.Add.
type Member struct {
	// Msg is the sensor's message when Present. Its Stamp is on the
	// frame's clock; its FrameID names the sensor's calibration and its
	// Topic (when not empty) the camera's topic.
	Msg     *formats.Message
	Present bool
	// Reject, when not empty, marks a present member missing with Reject
	// as its note instead of adding its message (fusion/live: a video
	// access unit that was not decoded).
	Reject string
	// Degraded, when not empty, marks a present member degraded and adds
	// Degraded to its note (fusion/live: a provisional camera stamp).
	Degraded string
}

// EngineConfig configures an Engine. Pipeline fills it from a log; the
// live Fuser (fusion/live) from its streams.
type EngineConfig struct {
	// Sensors are the grouped sensors in set order; Reference indexes the
	// one whose message stamps the frame (always present in a set).
	Sensors   []Sensor
	Reference int
	// Base is the shared frame ("base_link" when empty) and Clock the
	// Frame.Clock of every frame.
	Base, Clock string
	// Calibration gives the extrinsics, intrinsics and their sources.
	Calibration *Calibration
	// Guard checks images against rig-file intrinsics (nil:
	// NewIntrinsicsGuard(Calibration, false)).
	Guard *IntrinsicsGuard
	// Ego is the ego-motion source of the messages AddEgo gets:
	// "odometry", "gnss", "tf", or "" or "none" for none. With "gnss"
	// the world frame is the ENU plane at GNSSOrigin (nil: the first fix).
	Ego        string
	GNSSOrigin *Geodetic
	// IMUTopics are the IMU topics known in advance: the frames carry an
	// IMU status from the first frame on (named after the first topic in
	// sort order). A topic AddIMU sees first is added then.
	IMUTopics []string
	// NoDeskew, Register, NoIMU, NoProject, ImageCheckEvery, MaxPending
	// and Workers are Pipeline's fields of the same names.
	NoDeskew, Register, NoIMU, NoProject bool
	ImageCheckEvery                      int
	MaxPending                           int
	Workers                              int
	// ClockCorrected reports whether a sensor's stamps were corrected
	// (SensorStatus.ClockCorrected; nil: none were).
	ClockCorrected func(name string) bool
	// MissingNote is the note of a sensor without a message in a set
	// ("no message within tolerance" when empty).
	MissingNote string
	// ExtrinsicFrom names where extrinsics were looked for in the note of
	// a sensor without one ("no extrinsic for frame X in <ExtrinsicFrom>";
	// empty names no place).
	ExtrinsicFrom string
	// DopplerNaNWithoutEgo: without an ego source, RadialVelocity is NaN
	// and the radar's status says the Doppler is not ego-compensated;
	// otherwise (Pipeline) it is RawRadialVelocity as measured.
	DopplerNaNWithoutEgo bool
}

// FrameError is a Sink's error writing a frame.
type FrameError struct {
	Frame int // Frame.Index
	Err   error
}

// Error says which frame the sink failed on, and why.
func (e *FrameError) Error() string { return fmt.Sprintf("frame %d: %v", e.Frame, e.Err) }

// Unwrap returns the sink's error.
func (e *FrameError) Unwrap() error { return e.Err }

// pendingSet is a set waiting for ego poses.
type pendingSet struct {
	members []Member
	stamp   int64 // the reference member's stamp
	need    int64
}

// Engine assembles frames: it turns each grouped set of sensor messages
// into a fused.Frame (extrinsics and intrinsics from the calibration,
// every cloud deskewed into the shared frame with the ego track and the
// IMU gyro, radar Doppler compensated for ego motion, every camera placed
// at its own stamp with the LiDAR points projected into it, the IMU window
// and a status per sensor) and writes the frames to a Sink in order. A set
// waits (Drain) until the ego poses it needs have arrived.
//
// Feed it the ego, IMU and camera-info messages as they come (AddEgo,
// AddIMU, CameraInfo), the sets in order (Add), and call Drain after
// each input, Flush at the end and Close once done. The offline Pipeline
// and the live Fuser (fusion/live) both assemble frames with it. It is not
// safe for concurrent use.
type Engine struct {
	cfg       EngineConfig
	base      string
	cal       *Calibration
	sink      fused.Sink
	ego       egoTrack
	gnss      gnssTrack
	gyro      gyroTrack
	sweep     sweepMotion
	bias      biasEstimate
	imageSeen map[string]int
	imuTopic  map[string]bool
	imuName   map[string]string // frame id of a topic AddIMU added
	imu       []formats.Message
	infos     map[string]formats.CameraInfo
	guard     *IntrinsicsGuard
	models    map[string]camera.Model
	pending   []pendingSet
	prevS     int64
	frames    int
	// checks are the camera images of the frame being assembled that are
	// due for CheckImage (in frame order); emit runs them with the
	// frame's parallel work and they update its Sensors.
	checks []imageCheck
	q      *ordered.Queue // Workers > 1: projection and sink writes
}

// NewEngine returns an Engine writing to sink (which the caller closes).
func NewEngine(cfg EngineConfig, sink fused.Sink) (*Engine, error) {
	if cfg.Calibration == nil {
		return nil, errors.New("fusion: EngineConfig.Calibration is nil")
	}
	if sink == nil {
		return nil, errors.New("fusion: sink is nil")
	}
	if len(cfg.Sensors) == 0 || cfg.Reference < 0 || cfg.Reference >= len(cfg.Sensors) {
		return nil, fmt.Errorf("fusion: reference %d of %d sensors", cfg.Reference, len(cfg.Sensors))
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if cfg.MissingNote == "" {
		cfg.MissingNote = "no message within tolerance"
	}
	e := &Engine{cfg: cfg, base: cfg.Base, cal: cfg.Calibration, sink: sink, guard: cfg.Guard,
		imageSeen: map[string]int{}, imuTopic: map[string]bool{}, imuName: map[string]string{},
		infos: map[string]formats.CameraInfo{}, models: map[string]camera.Model{}, prevS: math.MinInt64}
	if e.base == "" {
		e.base = "base_link"
	}
	if e.guard == nil {
		e.guard = NewIntrinsicsGuard(e.cal, false)
	}
	for k, v := range e.cal.Infos {
		e.infos[k] = v
	}
	switch cfg.Ego {
	case "odometry", "gnss", "tf":
		e.ego.source = cfg.Ego
	case "", "none":
		e.ego.source = "none"
	default:
		return nil, fmt.Errorf("fusion: unknown ego source %q (want odometry, gnss, tf or none)", cfg.Ego)
	}
	e.gnss.origin = cfg.GNSSOrigin
	for _, t := range cfg.IMUTopics {
		e.imuTopic[t] = true
	}
	e.useGyroYaw()
	if cfg.Workers > 1 {
		e.q = ordered.New(cfg.Workers, 2*cfg.Workers)
	}
	return e, nil
}

// useGyroYaw holds the GNSS heading with the gyro once there is an IMU.
func (e *Engine) useGyroYaw() {
	if e.ego.source == "gnss" && len(e.imuTopic) > 0 && !e.cfg.NoIMU {
		e.gnss.gyroYaw = e.gyro.yawAt
	}
}

// Close waits for the frames in flight (Workers > 1) and returns the
// first error writing one. It does not close the sink.
func (e *Engine) Close() error {
	if e.q == nil {
		return nil
	}
	return e.q.Close()
}

// Frames returns the number of frames assembled.
func (e *Engine) Frames() int { return e.frames }

// Warnings returns what the intrinsics guard found (IntrinsicsGuard.Warnings).
func (e *Engine) Warnings() []string { return e.guard.Warnings() }

// Guards reports whether camera frame's images are checked against
// rig-file intrinsics (call Image with them).
func (e *Engine) Guards(frame string) bool { return e.guard.Guards(frame) }

// Image checks an image of camera frame against its rig-file intrinsics
// (IntrinsicsGuard.Image; where names the image in the error) and uses the
// intrinsics the guard settles on (scaled to the images when allowed).
func (e *Engine) Image(frame, where string, p formats.Payload) error {
	if err := e.guard.Image(frame, where, p); err != nil {
		return err
	}
	e.infos[frame], _ = e.guard.Info(frame)
	return nil
}

// CameraInfo takes a CameraInfo message of camera frame (where names it):
// its intrinsics are used unless the calibration takes them from a rig
// file, which stay (the guard compares, see Warnings).
func (e *Engine) CameraInfo(frame, where string, ci *formats.CameraInfo) {
	if !e.guard.CameraInfo(frame, where, ci) {
		e.infos[frame] = *ci
	}
}

// AddEgo takes an ego-motion message of the configured source: the base
// pose of an odometry message or of a /tf transform to the base frame, or
// a GNSS fix (its pose follows once the fixes around it are in). Without
// an ego source it does nothing.
func (e *Engine) AddEgo(m *formats.Message) {
	if e.ego.source == "none" {
		return
	}
	switch p := m.Payload.(type) {
	case *formats.Odometry:
		if p.ChildFrame != "" && p.ChildFrame != e.base {
			return
		}
		if T, ok := poseOf(p.Pose); ok {
			e.ego.insert(m.Stamp, T)
		}
		e.boundEgo()
	case *formats.Transforms:
		for _, x := range p.Transforms {
			if x.Child == e.base {
				e.ego.insert(x.Stamp, transformOf(x))
			}
		}
		e.boundEgo()
	case *formats.GNSS:
		e.gnss.add(m.Stamp, p, e.cal.Extrinsics[m.FrameID].Trans, e.ego.insert)
		e.boundEgo()
	}
}

// boundEgo keeps the ego track bounded when no frame prunes it (no
// reference messages for a long time).
func (e *Engine) boundEgo() {
	if len(e.ego.t) > maxBuffered {
		newest, _ := e.ego.newest()
		e.ego.prune(newest - int64(egoHistory))
		if len(e.ego.t) > maxBuffered {
			e.ego.prune(e.ego.t[len(e.ego.t)/2])
		}
	}
}

// AddIMU takes an IMU message: its rates for deskewing (addGyro) and the
// message for the IMU window of the frame it falls in.
func (e *Engine) AddIMU(m formats.Message) {
	if !e.imuTopic[m.Topic] {
		e.imuTopic[m.Topic] = true
		e.imuName[m.Topic] = m.FrameID
		e.useGyroYaw()
	}
	e.addGyro(&m)
	e.imu = append(e.imu, m)
	if len(e.imu) > maxBuffered {
		// No frame for a long time: keep the newest half.
		e.imu = append(e.imu[:0], e.imu[len(e.imu)/2:]...)
	}
}

// Add queues a set (one member per sensor, the reference present) until
// the ego poses it needs have arrived; Drain assembles it.
func (e *Engine) Add(set []Member) {
	ms := append([]Member(nil), set...)
	stamp := ms[e.cfg.Reference].Msg.Stamp
	need := stamp
	for _, m := range ms {
		if m.Present && m.Msg.Stamp > need {
			need = m.Msg.Stamp
		}
	}
	e.pending = append(e.pending, pendingSet{members: ms, stamp: stamp, need: need + int64(sweepMargin)})
}

// Drain assembles and writes the queued sets whose ego poses are in: the
// ego track reaches past the set's latest stamp by the sweep margin, or
// there is no ego source, or more than MaxPending sets wait, or that time
// is before deadline (the ego poses are late; math.MinInt64: never).
// Its error is the Sink's (a *FrameError) or the context's.
func (e *Engine) Drain(ctx context.Context, deadline int64) error {
	return e.drain(ctx, deadline, false)
}

// Flush assembles and writes every queued set with the ego poses there
// are (the end of the input).
func (e *Engine) Flush(ctx context.Context) error {
	e.gnss.flush(e.ego.insert)
	return e.drain(ctx, math.MinInt64, true)
}

func (e *Engine) drain(ctx context.Context, deadline int64, final bool) error {
	for len(e.pending) > 0 {
		ps := e.pending[0]
		newest, ok := e.ego.newest()
		ready := final || e.ego.source == "none" || len(e.pending) > e.cfg.MaxPending || ok && newest >= ps.need || ps.need < deadline
		if !ready {
			return nil
		}
		e.pending = e.pending[1:]
		f := e.assemble(ps.members)
		checks := e.checks
		e.checks = nil
		if err := e.emit(ctx, f, checks); err != nil {
			return err
		}
		if len(e.pending) > 0 {
			e.ego.prune(e.pending[0].stamp - int64(time.Second))
		} else {
			e.ego.prune(f.Stamp - int64(time.Second))
		}
	}
	return nil
}

// clockCorrected reports EngineConfig.ClockCorrected.
func (e *Engine) clockCorrected(name string) bool {
	return e.cfg.ClockCorrected != nil && e.cfg.ClockCorrected(name)
}

// assemble builds one frame from a set.
func (e *Engine) assemble(members []Member) *fused.Frame {
	ref := e.cfg.Reference
	S := members[ref].Msg.Stamp
	f := &fused.Frame{Index: e.frames, Stamp: S, Clock: e.cfg.Clock, FrameID: e.base,
		Ego: se3.Identity(), EgoSource: "none"}
	e.frames++
	egoS, _, haveEgo := e.ego.at(S)
	if haveEgo {
		f.Ego, f.EgoSource = egoS, e.ego.source
	}
	invS := egoS.Inverse()
	// motion returns T_base(S)_sensor(t) for the sensor's extrinsic and
	// whether the ego pose at t was interpolated (not extrapolated).
	motion := func(ext se3.Transform, t int64) (se3.Transform, bool) {
		if !haveEgo {
			return ext, false
		}
		w, interp, _ := e.ego.at(t)
		return invS.Mul(w).Mul(ext), interp
	}
	for i, m := range members {
		s := e.cfg.Sensors[i]
		st := fused.SensorStatus{Name: s.Name, Topic: s.Topic, Modality: s.Modality, ClockCorrected: e.clockCorrected(s.Name)}
		if !m.Present {
			st.Missing = true
			st.Note = e.cfg.MissingNote
			f.Sensors = append(f.Sensors, st)
			continue
		}
		msg := m.Msg
		st.Stamp, st.Offset = msg.Stamp, msg.Stamp-S
		st.Name = msg.FrameID
		if i != ref && msg.Stamp <= e.prevS {
			st.Stale, st.Note = true, "stamped before the previous frame"
		}
		ext, ok := e.cal.Extrinsics[msg.FrameID]
		if !ok {
			st.Missing, st.Note = true, "no extrinsic for frame "+msg.FrameID
			if e.cfg.ExtrinsicFrom != "" {
				st.Note += " in " + e.cfg.ExtrinsicFrom
			}
			f.Sensors = append(f.Sensors, st)
			continue
		}
		st.Calibration = e.cal.Source[msg.FrameID]
		switch {
		case m.Reject != "":
			st.Missing, st.Note = true, m.Reject
		case s.Modality == formats.Lidar:
			e.addLidar(f, msg, ext, motion, &st)
		case s.Modality == formats.Radar:
			e.addRadar(f, msg, ext, motion, &st)
		case s.Modality == formats.Camera:
			e.addCamera(f, s, msg, ext, motion, &st)
		}
		if m.Degraded != "" {
			st.Degraded = true
			st.AddNote(m.Degraded)
		}
		f.Sensors = append(f.Sensors, st)
	}
	e.takeIMU(f)
	e.prevS = S
	return f
}

// addLidar transforms (and deskews) one LiDAR message into the frame.
func (e *Engine) addLidar(f *fused.Frame, msg *formats.Message, ext se3.Transform, motion func(se3.Transform, int64) (se3.Transform, bool), st *fused.SensorStatus) {
	pts, o, ok := f.GrowLidar(msg.FrameID, msg.Payload, st)
	if !ok {
		return
	}
	c := f.Lidar
	n := pts.Len()
	P := &c.Points
	dt := msg.Stamp - f.Stamp
	method := "none"
	var gyro *gyroTable // the IMU's rotation over the sweep
	if pts.TimeOffset != nil && !e.cfg.NoDeskew && !e.cfg.NoIMU && n > 0 {
		lo, hi := pts.TimeOffset[0], pts.TimeOffset[0]
		for _, d := range pts.TimeOffset {
			lo, hi = min(lo, d), max(hi, d)
		}
		gyro, _ = e.gyro.rotations(f.Stamp, msg.Stamp+lo, msg.Stamp+hi)
		if gyro != nil && f.EgoSource != "none" {
			gyro.bias = e.gyroBias(f.Stamp, msg.Stamp+hi)
		}
	}
	// deskew places every point with the motion at its own time
	// (quantised to deskewStep); false when a pose was extrapolated.
	deskew := func(at func(t int64) (se3.Transform, bool)) bool {
		all := true
		var a Affine
		last := int64(math.MinInt64)
		for i := range n {
			t := msg.Stamp + pts.TimeOffset[i]
			P.TimeOffset[o+i] = t - f.Stamp
			if q := floorDiv(t, deskewStep); q != last {
				last = q
				M, interp := at(q*deskewStep + deskewStep/2)
				all = all && interp
				a = AffineOf(M)
			}
			p := a.Apply(r3.Vec{X: float64(pts.X[i]), Y: float64(pts.Y[i]), Z: float64(pts.Z[i])})
			P.X[o+i], P.Y[o+i], P.Z[o+i] = float32(p.X), float32(p.Y), float32(p.Z)
		}
		return all
	}
	if f.EgoSource == "none" && pts.TimeOffset != nil && !e.cfg.NoDeskew && e.cfg.Register && n > 0 {
		// No ego source: the constant-velocity model of the registered
		// reference sweeps (see sweepMotion).
		m := &e.sweep
		var imu *gyroTrack
		if gyro != nil {
			imu = &e.gyro
		}
		at := func(t int64) (se3.Transform, bool) { return m.motion(imu, gyro, f.Stamp, t).Mul(ext), true }
		deskew(at)
		if msg.FrameID == e.cfg.Sensors[e.cfg.Reference].Name {
			cur := voxelDown(P.X[o:], P.Y[o:], P.Z[o:], ext.Trans, regVoxel)
			if m.register(cur, f.Stamp, imu) {
				deskew(at) // again, with this sweep's own motion
				m.setLast(voxelDown(P.X[o:], P.Y[o:], P.Z[o:], ext.Trans, regVoxel))
			}
		}
		switch {
		case m.have:
			method = "constant-velocity"
		case gyro != nil:
			method = "imu-rotation"
		}
	} else if pts.TimeOffset == nil || e.cfg.NoDeskew || f.EgoSource == "none" && gyro == nil {
		M, interp := motion(ext, msg.Stamp)
		a := AffineOf(M)
		TransformPoints(&a, P.X[o:], P.Y[o:], P.Z[o:], pts.X, pts.Y, pts.Z)
		for i := range n {
			P.TimeOffset[o+i] = dt
			if pts.TimeOffset != nil {
				P.TimeOffset[o+i] += pts.TimeOffset[i]
			}
		}
		if f.EgoSource != "none" && !interp && dt != 0 {
			method = "constant-velocity"
		}
	} else {
		method = f.EgoSource
		switch {
		case gyro != nil && f.EgoSource == "none":
			method = "imu-rotation"
		case gyro != nil:
			method = "imu"
		}
		at := func(t int64) (se3.Transform, bool) { return motion(ext, t) }
		if gyro != nil {
			at = func(t int64) (se3.Transform, bool) { return e.imuMotion(f, gyro, ext, t) }
		}
		if !deskew(at) {
			method = "constant-velocity"
		}
	}
	if c.Deskew == "none" || method == "constant-velocity" {
		c.Deskew = method
	}
}

// floorDiv is a / b rounded towards −∞ (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// addRadar places radar detections in the frame and removes the ego motion
// from their Doppler speeds.
func (e *Engine) addRadar(f *fused.Frame, msg *formats.Message, ext se3.Transform, motion func(se3.Transform, int64) (se3.Transform, bool), st *fused.SensorStatus) {
	x, y, z, dop, rcs, err := RadarColumns(msg.Payload)
	if err != nil {
		st.Missing, st.Note = true, err.Error()
		return
	}
	if len(x) == 0 {
		st.Degraded, st.Note = true, "radar scan with no detections"
	}
	src, ok := f.RadarSource(msg.FrameID, st)
	if !ok {
		return
	}
	rc := f.Radar
	M, _ := motion(ext, msg.Stamp)
	var vS r3.Vec
	var Rws se3.Transform
	egoR := f.Ego // T_world_base at the radar's stamp
	if f.EgoSource != "none" {
		vS = e.ego.velocity(ext.Trans, msg.Stamp, int64(10*time.Millisecond))
		egoR, _, _ = e.ego.at(msg.Stamp)
		Rws = egoR.Mul(ext)
	}
	for len(rc.Ego) < len(rc.Sources) {
		rc.Ego = append(rc.Ego, f.Ego)
	}
	rc.Ego[src] = egoR
	nan := e.cfg.DopplerNaNWithoutEgo && f.EgoSource == "none"
	for i := range x {
		ps := r3.Vec{X: float64(x[i]), Y: float64(y[i]), Z: float64(z[i])}
		p := M.Apply(ps)
		rc.X = append(rc.X, float32(p.X))
		rc.Y = append(rc.Y, float32(p.Y))
		rc.Z = append(rc.Z, float32(p.Z))
		raw := float32(math.NaN())
		if dop != nil {
			raw = dop[i]
		}
		comp := raw
		switch {
		case nan:
			comp = float32(math.NaN())
		case f.EgoSource != "none" && r3.Norm(ps) > 0:
			// doppler = (v_obj − v_sensor)·los, so v_obj·los = doppler + v_sensor·los.
			los := Rws.Rotate(r3.Unit(ps))
			comp = raw + float32(r3.Dot(vS, los))
		}
		rc.RawRadialVelocity = append(rc.RawRadialVelocity, raw)
		rc.RadialVelocity = append(rc.RadialVelocity, comp)
		r := float32(math.NaN())
		if rcs != nil {
			r = rcs[i]
		}
		rc.RCS = append(rc.RCS, r)
		rc.Source = append(rc.Source, src)
	}
	if nan {
		st.AddNote("Doppler not ego-compensated (no ego source)")
	}
}

// addCamera adds a camera image with its calibration at its own stamp.
func (e *Engine) addCamera(f *fused.Frame, s Sensor, msg *formats.Message, ext se3.Transform, motion func(se3.Transform, int64) (se3.Transform, bool), st *fused.SensorStatus) {
	switch msg.Payload.(type) {
	case *formats.CompressedImage, *formats.Image:
	default:
		st.Missing, st.Note = true, fmt.Sprintf("payload %T is not an image", msg.Payload)
		return
	}
	info, ok := e.infos[msg.FrameID]
	if !ok {
		st.Degraded, st.Note = true, "no CameraInfo for "+msg.FrameID
	}
	if e.imageDue(msg.FrameID, msg.Payload) {
		// st becomes f.Sensors[len(f.Sensors)] once addCamera returns.
		e.checks = append(e.checks, imageCheck{sensor: len(f.Sensors), p: msg.Payload})
	}
	topic := msg.Topic
	if topic == "" {
		topic = s.Topic
	}
	M, _ := motion(ext, msg.Stamp)
	f.Cameras = append(f.Cameras, fused.Camera{Name: msg.FrameID, Topic: topic, Stamp: msg.Stamp, Image: msg.Payload, Info: info, BaseCamera: M, Extrinsic: ext})
}

// emit projects the frame's LiDAR points into its cameras, checks the
// camera images that are due, and writes the frame to the sink: inline, or
// with Workers > 1 on the worker pool (projections and image checks in
// parallel, sink writes in frame order).
func (e *Engine) emit(ctx context.Context, f *fused.Frame, checks []imageCheck) error {
	project := e.projector(f)
	write := func() error {
		if err := e.sink.Write(ctx, f); err != nil {
			return &FrameError{Frame: f.Index, Err: err}
		}
		return nil
	}
	if e.q == nil {
		project()
		runImageChecks(f, checks)
		return write()
	}
	return e.q.Submit(ctx, func() (func() error, error) {
		project()
		runImageChecks(f, checks)
		return write, nil
	})
}

// projector returns the work of mapping the frame's LiDAR points into each
// camera (nuScenes map_pointcloud_to_image: base at the LiDAR time → world
// → base at the camera time → camera, folded into Camera.BaseCamera). It
// resolves the camera models now, in frame order; the work it returns
// touches nothing but the frame.
func (e *Engine) projector(f *fused.Frame) func() {
	if f.Lidar == nil || e.cfg.NoProject {
		return func() {}
	}
	type job struct {
		c     *fused.Camera
		model camera.Model
	}
	var jobs []job
	for i := range f.Cameras {
		c := &f.Cameras[i]
		if c.Info.K[0] == 0 || c.Info.Width <= 0 || c.Info.Height <= 0 {
			continue
		}
		model, ok := e.models[c.Name]
		if !ok {
			var err error
			in := camera.Intrinsics{Fx: c.Info.K[0], Fy: c.Info.K[4], Cx: c.Info.K[2], Cy: c.Info.K[5], Width: c.Info.Width, Height: c.Info.Height}
			model, err = camera.New(c.Info.DistortionModel, in, c.Info.D)
			if err != nil {
				model = nil
			}
			e.models[c.Name] = model
		}
		if model != nil {
			jobs = append(jobs, job{c, model})
		}
	}
	return func() {
		P := &f.Lidar.Points
		// Each camera's projections go to a scratch buffer that holds
		// every point, then are copied out at their size: appending to
		// an empty slice grew it by doubling, allocating about twice the
		// result and copying it on the way (~6 MB a frame on the urban
		// rig).
		buf := projectScratch.Get().(*[]fused.Projection)
		if cap(*buf) < len(P.X) {
			*buf = make([]fused.Projection, 0, len(P.X))
		}
		for _, j := range jobs {
			a := AffineOf(j.c.BaseCamera.Inverse())
			*buf = ProjectCloud((*buf)[:0], &a, j.model, 0.1, P.X, P.Y, P.Z)
			j.c.Projected = append(j.c.Projected, *buf...)
		}
		projectScratch.Put(buf)
	}
}

// projectScratch holds the projectors' scratch buffers (*[]fused.Projection),
// shared by the frames projected at the same time.
var projectScratch = sync.Pool{New: func() any { return new([]fused.Projection) }}

// takeIMU moves the IMU messages stamped in (previous frame, this frame]
// into the frame and adds the IMU's status (one status for all IMU topics,
// named after the first in sort order).
func (e *Engine) takeIMU(f *fused.Frame) {
	sort.SliceStable(e.imu, func(i, j int) bool { return e.imu[i].Stamp < e.imu[j].Stamp })
	k := 0
	for k < len(e.imu) && e.imu[k].Stamp <= f.Stamp {
		if e.imu[k].Stamp > e.prevS {
			f.IMU = append(f.IMU, e.imu[k])
		}
		k++
	}
	e.imu = append(e.imu[:0], e.imu[k:]...)
	if len(e.imuTopic) > 0 {
		st := fused.SensorStatus{Modality: formats.IMUModality}
		for t := range e.imuTopic {
			if st.Topic == "" || t < st.Topic {
				st.Topic = t
			}
		}
		st.Name = e.cal.Sensors[st.Topic].Name
		if st.Name == "" {
			st.Name = e.imuName[st.Topic] // a topic AddIMU added
		}
		if len(f.IMU) > 0 {
			last := f.IMU[len(f.IMU)-1]
			st.Name, st.Stamp, st.Offset = last.FrameID, last.Stamp, last.Stamp-f.Stamp
			st.ClockCorrected = e.clockCorrected(last.FrameID)
		} else {
			st.Missing, st.Note = true, "no IMU message since the previous frame"
		}
		f.Sensors = append(f.Sensors, st)
	}
}
