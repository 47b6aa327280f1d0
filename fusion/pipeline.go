package fusion

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/mcapsource"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/ordered"
	"github.com/rigsync/rigsync/sync/clock"
	"github.com/rigsync/rigsync/sync/match"
	"gonum.org/v1/gonum/spatial/r3"
)

// Defaults of a Pipeline.
const (
	DefaultTolerance  = 50 * time.Millisecond
	DefaultMaxPending = 16
	// sweepMargin is how far past a set's latest stamp ego poses must
	// reach before the set is fused (a sweep's last firing).
	sweepMargin = 150 * time.Millisecond
	// deskewStep is the time quantum of per-point motion compensation.
	deskewStep = 50_000 // ns
	// maxBuffered bounds the buffered IMU messages and ego poses.
	maxBuffered = 1 << 14
	// egoHistory is how much ego history is kept without frames.
	egoHistory = 5 * time.Second
)

// Pipeline turns a log into fused frames: it reads every message once in
// log-time order, corrects sensor clocks, groups one set per sweep of the
// reference LiDAR (the nearest message of every other LiDAR, camera and
// radar within Tolerance, or an explicit missing), and fuses each set into
// a Frame in BaseFrame at the sweep's stamp. Memory is bounded by
// MaxPending sets and the ego poses they need.
type Pipeline struct {
	// Reader is the log (when Readers is empty).
	Reader *mcapread.Reader
	// Readers are several logs of one drive (split recordings, one log per
	// sensor group), merged in log-time order; channels with the same
	// topic in different logs are one stream. Names optionally names them
	// in errors (one per reader).
	Readers []*mcapread.Reader
	Names   []string
	// BaseFrame is the shared frame ("base_link" when empty).
	BaseFrame string
	// Reference is the reference LiDAR topic (when empty, the LiDAR
	// channel with the lowest channel id, i.e. the first one recorded).
	Reference string
	// Tolerance is the largest |stamp − reference stamp| of a member
	// (DefaultTolerance when 0).
	Tolerance time.Duration
	// Clocks maps a sensor name (frame id) to its clock model; its stamps
	// are corrected with Model.Correct before anything else. They override
	// Calibration.Clocks (a rig file's). /tf stamps are taken as they are
	// (on the reference clock). EstimateClocks estimates them.
	Clocks map[string]clock.Model
	// Repairs maps a sensor name to a unit/wrap repair of its stamps,
	// applied (in log order) before its clock model.
	Repairs map[string]clock.Repair
	// Ego picks the ego-motion source: "" or "auto" (odometry, else GNSS,
	// else /tf, else none), "odometry", "gnss", "tf" or "none". With
	// "gnss" the world frame is the ENU plane (x east, y north, z up) at
	// GNSSOrigin, or at the first fix when GNSSOrigin is nil.
	Ego        string
	GNSSOrigin *Geodetic
	// NoDeskew turns per-point motion compensation off (each cloud is
	// placed with the ego pose of its stamp); for comparisons.
	NoDeskew bool
	// Register: without an ego source, estimate the motion between
	// reference sweeps by registering them and deskew with it (the
	// KISS-ICP-style constant-velocity model, see sweepMotion; Cloud.Deskew
	// "constant-velocity"). Off by default: it costs an ICP per sweep and
	// is far less accurate than a pose source.
	Register bool
	// NoIMU keeps the IMU out of deskewing (rotation within a sweep then
	// comes from the ego poses alone); for comparisons.
	NoIMU bool
	// ImageCheckEvery: every ImageCheckEvery-th image of a camera is
	// decoded and checked for black, saturated or flat (DefaultImageCheckEvery
	// when 0, never when negative); so is every suspiciously small JPEG/PNG
	// and every raw image (cheap), so a lens cap is caught at once.
	ImageCheckEvery int
	// NoProject skips projecting LiDAR points into cameras.
	NoProject bool
	// Calibration overrides the calibration read from the log. Camera
	// intrinsics it takes from a rig file (Source "intrinsics rig.yaml")
	// stay in force: the log's CameraInfo messages do not replace them
	// (see IntrinsicsGuard; Warnings reports where they disagree).
	Calibration *Calibration
	// ScaleIntrinsics scales rig-file intrinsics calibrated at another
	// image size to the size of the camera's images (ScaleCameraInfo);
	// without it such a mismatch is an error.
	ScaleIntrinsics bool
	// MaxPending bounds the sets waiting for ego poses (DefaultMaxPending
	// when 0).
	MaxPending int
	// Workers is how many goroutines project LiDAR points into the
	// cameras, several frames at a time, while the log is read and fused;
	// frames still reach the sink one at a time in order, from one
	// goroutine (not the caller's when Workers > 1). 0 or 1: everything
	// runs on the caller's goroutine. The frames are the same either way.
	Workers int

	// warnings are what the last Run found (Warnings).
	warnings []string
}

// Warnings returns what the last Run found that did not stop it, one line
// each: a log CameraInfo that disagrees with rig-file intrinsics (once per
// camera), rig intrinsics scaled to the images, image sizes that could
// not be read (see IntrinsicsGuard). Nil when there is nothing to say.
func (p *Pipeline) Warnings() []string { return p.warnings }

// sensor is one grouped topic.
type sensor struct {
	id    uint32 // log index << 16 | channel id
	topic string
	name  string
	mod   formats.Modality
}

// pendingSet is a grouped set waiting for ego poses.
type pendingSet struct {
	members []match.Member[*formats.Message]
	need    int64
}

type runner struct {
	p         *Pipeline
	cal       *Calibration
	base      string
	sensors   []sensor
	index     map[string]int // topic → index in sensors
	ego       egoTrack
	gnss      gnssTrack
	gyro      gyroTrack
	sweep     sweepMotion
	clocks    map[string]clock.Model
	repairers map[string]*clock.Repairer
	imageSeen map[string]int
	bias      biasEstimate
	egoTopic  map[string]bool
	imuTopic  map[string]bool
	imu       []formats.Message
	infos     map[string]formats.CameraInfo
	guard     *IntrinsicsGuard
	models    map[string]camera.Model
	pending   []pendingSet
	// checks are the camera images of the frame being fused that are due
	// for CheckImage (in frame order); emit runs them with the frame's
	// parallel work and they update its Sensors.
	checks []imageCheck
	prevS  int64
	frames int
	sink   fused.Sink
	q      *ordered.Queue // Workers > 1: projection and sink writes
	ctx    context.Context
}

// Run fuses the whole log and writes every frame to sink in order. It does
// not close sink.
func (p *Pipeline) Run(ctx context.Context, sink fused.Sink) (err error) {
	inputs := p.inputs()
	if len(inputs) == 0 {
		return errors.New("fusion: Pipeline.Reader is nil and Pipeline.Readers is empty")
	}
	rn := &runner{p: p, base: p.BaseFrame, sink: sink, ctx: ctx, index: map[string]int{},
		egoTopic: map[string]bool{}, imuTopic: map[string]bool{}, infos: map[string]formats.CameraInfo{},
		models: map[string]camera.Model{}, prevS: math.MinInt64}
	if p.Workers > 1 {
		rn.q = ordered.New(p.Workers, 2*p.Workers)
		defer func() {
			// Every queued frame is written (or dropped after an error)
			// before Run returns.
			if qerr := rn.q.Close(); err == nil {
				err = qerr
			}
		}()
	}
	if rn.base == "" {
		rn.base = "base_link"
	}
	rn.cal = p.Calibration
	if rn.cal == nil {
		c, err := ReadCalibrations(ctx, inputs, rn.base)
		if err != nil {
			return err
		}
		rn.cal = c
	}
	for k, v := range rn.cal.Infos {
		rn.infos[k] = v
	}
	rn.guard = NewIntrinsicsGuard(rn.cal, p.ScaleIntrinsics)
	p.warnings = nil
	defer func() { p.warnings = rn.guard.Warnings() }()
	rn.clocks, rn.repairers, rn.imageSeen = map[string]clock.Model{}, map[string]*clock.Repairer{}, map[string]int{}
	for k, v := range rn.cal.Clocks {
		rn.clocks[k] = v
	}
	for k, v := range p.Clocks {
		rn.clocks[k] = v
	}
	if err := rn.plan(); err != nil {
		return err
	}
	tol := p.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	maxPending := p.MaxPending
	if maxPending <= 0 {
		maxPending = DefaultMaxPending
	}
	wins := make([]match.Window, len(rn.sensors))
	for i := range wins {
		wins[i] = match.Tolerance(tol)
	}
	var pol *match.Reference[*formats.Message]
	if len(rn.sensors) > 1 {
		var err error
		pol, err = match.NewReference(match.ReferenceConfig{Topics: len(rn.sensors), Reference: 0, Windows: wins,
			QueueSize: maxPending, MaxWait: 4 * tol}, match.Handler[*formats.Message]{Set: rn.onSet})
		if err != nil {
			return fmt.Errorf("fusion: %w", err)
		}
	}
	it, err := rn.messages(inputs)
	if err != nil {
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		msg, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("fusion: reading: %w", err) // names the log
		}
		topic := msg.Topic
		si, grouped := rn.index[topic]
		rn.correct(&msg)
		if grouped && rn.sensors[si].mod == formats.Camera && rn.guard.Guards(msg.FrameID) {
			where := fmt.Sprintf("%s topic %s, message at log time %d ns", logName(p.Names, it.From()), topic, msg.LogTime)
			if err := rn.guard.Image(msg.FrameID, where, msg.Payload); err != nil {
				return err
			}
			rn.infos[msg.FrameID], _ = rn.guard.Info(msg.FrameID)
		}
		switch {
		case grouped:
			if pol == nil {
				rn.queue([]match.Member[*formats.Message]{{Stamp: msg.Stamp, Value: &msg, Present: true}})
			} else if err := pol.Push(si, msg.Stamp, &msg); err != nil {
				return fmt.Errorf("fusion: %w", err)
			}
		case rn.egoTopic[topic]:
			rn.addEgo(&msg)
		case rn.imuTopic[topic]:
			rn.addIMU(&msg)
			rn.imu = append(rn.imu, msg)
			if len(rn.imu) > maxBuffered {
				// No frame for a long time: keep the newest half.
				rn.imu = append(rn.imu[:0], rn.imu[len(rn.imu)/2:]...)
			}
		default:
			if ci, ok := msg.Payload.(*formats.CameraInfo); ok {
				// Rig-file intrinsics stay; the guard compares.
				if !rn.guard.CameraInfo(msg.FrameID, logName(p.Names, it.From())+" topic "+topic, ci) {
					rn.infos[msg.FrameID] = *ci
				}
			}
		}
		if err := rn.drain(false); err != nil {
			return err
		}
	}
	rn.gnss.flush(rn.ego.insert)
	if pol != nil {
		if err := pol.Flush(); err != nil {
			return fmt.Errorf("fusion: %w", err)
		}
	}
	return rn.drain(true)
}

// messages returns the run's message stream: the logs merged in log-time
// order (ties to the earlier log), each read by formats/mcapsource with
// only the channels the run uses decoded (wants).
func (rn *runner) messages(inputs []*mcapread.Reader) (*formats.Merged, error) {
	srcs := make([]formats.Source, len(inputs))
	for i, r := range inputs {
		name := logName(rn.p.Names, i)
		s, err := mcapsource.New(r, mcapsource.Options{Name: name, Want: rn.wants})
		if err != nil {
			return nil, fmt.Errorf("fusion: %s: %w", name, err)
		}
		srcs[i] = s
	}
	return formats.Merge(srcs...), nil
}

// wants reports whether the run uses the channel's messages: a grouped
// sensor, the ego source, an IMU or a camera info.
func (rn *runner) wants(ch *mcapread.Channel) bool {
	_, grouped := rn.index[ch.Topic]
	return grouped || rn.egoTopic[ch.Topic] || rn.imuTopic[ch.Topic] || rn.isInfo(ch)
}

func (rn *runner) isInfo(ch *mcapread.Channel) bool {
	return ch.Schema != nil && formats.ModalityOfType(ch.Schema.Name) == formats.CameraInfoModality
}

// plan picks the grouped sensors (reference LiDAR first), the ego source
// and the IMU topics.
func (rn *runner) plan() error {
	var lidars, others []sensor
	var odom, tf, gnss []string
	seen := map[string]bool{}
	for li, r := range rn.p.inputs() {
		for _, ch := range r.Channels() {
			if seen[ch.Topic] {
				continue // the same stream in another log
			}
			seen[ch.Topic] = true
			schema := ""
			if ch.Schema != nil {
				schema = ch.Schema.Name
			}
			mod := formats.ModalityOfType(schema)
			ts, known := rn.cal.Sensors[ch.Topic]
			if known {
				mod = ts.Modality
			}
			s := sensor{topic: ch.Topic, name: ts.Name, mod: mod, id: uint32(li)<<16 | uint32(ch.ID)}
			if s.name == "" {
				s.name = ch.Topic
			}
			switch mod {
			case formats.Lidar:
				lidars = append(lidars, s)
			case formats.Camera, formats.Radar:
				others = append(others, s)
			case formats.IMUModality:
				rn.imuTopic[ch.Topic] = true
			case formats.OdometryModality:
				odom = append(odom, ch.Topic)
			case formats.GNSSModality:
				gnss = append(gnss, ch.Topic)
			case formats.TF:
				if !strings.Contains(ch.Topic, "tf_static") {
					tf = append(tf, ch.Topic)
				}
			}
		}
	}
	ref := -1
	for i, l := range lidars {
		if rn.p.Reference == "" && (ref < 0 || l.id < lidars[ref].id) || l.topic == rn.p.Reference {
			ref = i
		}
	}
	switch {
	case ref < 0 && rn.p.Reference == "":
		return errors.New("fusion: no LiDAR topic in the log to use as the reference")
	case ref < 0:
		return fmt.Errorf("fusion: reference LiDAR topic %q not in the log", rn.p.Reference)
	}
	rn.sensors = append(rn.sensors, lidars[ref])
	for i, l := range lidars {
		if i != ref {
			rn.sensors = append(rn.sensors, l)
		}
	}
	rn.sensors = append(rn.sensors, others...)
	for i, s := range rn.sensors {
		rn.index[s.topic] = i
	}
	mode := rn.p.Ego
	if mode == "" || mode == "auto" {
		switch {
		case len(odom) > 0:
			mode = "odometry"
		case len(gnss) > 0:
			mode = "gnss"
		case len(tf) > 0:
			mode = "tf"
		default:
			mode = "none"
		}
	}
	rn.ego.source = mode
	switch mode {
	case "odometry":
		if len(odom) == 0 {
			return errors.New("fusion: ego source odometry: no odometry topic in the log")
		}
		rn.egoTopic[odom[0]] = true
	case "gnss":
		if len(gnss) == 0 {
			return errors.New("fusion: ego source gnss: no GNSS (NavSatFix) topic in the log")
		}
		rn.egoTopic[gnss[0]] = true
		rn.gnss.origin = rn.p.GNSSOrigin
		if len(rn.imuTopic) > 0 && !rn.p.NoIMU {
			rn.gnss.gyroYaw = rn.gyro.yawAt
		}
	case "tf":
		if len(tf) == 0 {
			return errors.New("fusion: ego source tf: no /tf topic in the log")
		}
		for _, t := range tf {
			rn.egoTopic[t] = true
		}
	case "none":
	default:
		return fmt.Errorf("fusion: unknown ego source %q (want auto, odometry, gnss, tf or none)", mode)
	}
	return nil
}

// correct applies the sensor's stamp repair and clock model to a
// message's stamp.
func (rn *runner) correct(m *formats.Message) {
	if m.StampClock == formats.ClockLog {
		return
	}
	if r, ok := rn.p.Repairs[m.FrameID]; ok {
		fix := rn.repairers[m.FrameID]
		if fix == nil {
			fix = clock.NewRepairer(r)
			rn.repairers[m.FrameID] = fix
		}
		m.Stamp = fix.Fix(m.Stamp)
	}
	if cm, ok := rn.clocks[m.FrameID]; ok {
		m.Stamp = cm.Correct(m.Stamp)
	}
}

func (rn *runner) clockCorrected(name string) bool {
	_, ok := rn.clocks[name]
	_, rep := rn.p.Repairs[name]
	return ok || rep
}

// addEgo inserts the base pose of an odometry or /tf message.
func (rn *runner) addEgo(m *formats.Message) {
	switch p := m.Payload.(type) {
	case *formats.Odometry:
		if p.ChildFrame != "" && p.ChildFrame != rn.base {
			return
		}
		if T, ok := poseOf(p.Pose); ok {
			rn.ego.insert(m.Stamp, T)
		}
		rn.boundEgo()
	case *formats.Transforms:
		for _, x := range p.Transforms {
			if x.Child == rn.base {
				rn.ego.insert(x.Stamp, transformOf(x))
			}
		}
		rn.boundEgo()
	case *formats.GNSS:
		rn.gnss.add(m.Stamp, p, rn.cal.Extrinsics[m.FrameID].Trans, rn.ego.insert)
		rn.boundEgo()
	}
}

// boundEgo keeps the ego track bounded when no frame prunes it (no
// reference messages for a long time).
func (rn *runner) boundEgo() {
	if len(rn.ego.t) > maxBuffered {
		newest, _ := rn.ego.newest()
		rn.ego.prune(newest - int64(egoHistory))
		if len(rn.ego.t) > maxBuffered {
			rn.ego.prune(rn.ego.t[len(rn.ego.t)/2])
		}
	}
}

// onSet queues a grouped set until the ego poses it needs have arrived
// (drain fuses and writes it). It never fails.
func (rn *runner) onSet(members []match.Member[*formats.Message]) error {
	rn.queue(members)
	return nil
}

// queue queues a set until the ego poses it needs have arrived.
func (rn *runner) queue(members []match.Member[*formats.Message]) {
	ms := append([]match.Member[*formats.Message](nil), members...)
	need := ms[0].Stamp
	for _, m := range ms {
		if m.Present && m.Stamp > need {
			need = m.Stamp
		}
	}
	rn.pending = append(rn.pending, pendingSet{members: ms, need: need + int64(sweepMargin)})
}

// drain fuses the pending sets whose ego poses are in (all when final).
func (rn *runner) drain(final bool) error {
	maxPending := rn.p.MaxPending
	if maxPending <= 0 {
		maxPending = DefaultMaxPending
	}
	for len(rn.pending) > 0 {
		ps := rn.pending[0]
		newest, ok := rn.ego.newest()
		ready := final || rn.ego.source == "none" || len(rn.pending) > maxPending || ok && newest >= ps.need
		if !ready {
			return nil
		}
		rn.pending = rn.pending[1:]
		f := rn.fuse(ps.members)
		checks := rn.checks
		rn.checks = nil
		if err := rn.emit(f, checks); err != nil {
			return err
		}
		if len(rn.pending) > 0 {
			rn.ego.prune(rn.pending[0].members[0].Stamp - int64(time.Second))
		} else {
			rn.ego.prune(f.Stamp - int64(time.Second))
		}
	}
	return nil
}

// fuse builds one frame from a set.
func (rn *runner) fuse(members []match.Member[*formats.Message]) *fused.Frame {
	S := members[0].Stamp
	ref := rn.sensors[0]
	f := &fused.Frame{Index: rn.frames, Stamp: S, Clock: formats.SensorClock(ref.name, ref.topic), FrameID: rn.base,
		Ego: se3.Identity(), EgoSource: "none"}
	rn.frames++
	egoS, _, haveEgo := rn.ego.at(S)
	if haveEgo {
		f.Ego, f.EgoSource = egoS, rn.ego.source
	}
	invS := egoS.Inverse()
	// motion returns T_base(S)_sensor(t) for the sensor's extrinsic and
	// whether the ego pose at t was interpolated (not extrapolated).
	motion := func(ext se3.Transform, t int64) (se3.Transform, bool) {
		if !haveEgo {
			return ext, false
		}
		w, interp, _ := rn.ego.at(t)
		return invS.Mul(w).Mul(ext), interp
	}
	for i, m := range members {
		s := rn.sensors[i]
		st := fused.SensorStatus{Name: s.name, Topic: s.topic, Modality: s.mod, ClockCorrected: rn.clockCorrected(s.name)}
		if !m.Present {
			st.Missing = true
			st.Note = "no message within tolerance"
			f.Sensors = append(f.Sensors, st)
			continue
		}
		msg := m.Value
		st.Stamp, st.Offset = msg.Stamp, msg.Stamp-S
		st.Name = msg.FrameID
		if i > 0 && msg.Stamp <= rn.prevS {
			st.Stale, st.Note = true, "stamped before the previous frame"
		}
		ext, ok := rn.cal.Extrinsics[msg.FrameID]
		if !ok {
			st.Missing, st.Note = true, "no extrinsic for frame "+msg.FrameID+" in /tf_static"
			f.Sensors = append(f.Sensors, st)
			continue
		}
		st.Calibration = rn.cal.Source[msg.FrameID]
		switch s.mod {
		case formats.Lidar:
			rn.addLidar(f, msg, ext, motion, &st)
		case formats.Radar:
			rn.addRadar(f, msg, ext, motion, &st)
		case formats.Camera:
			rn.addCamera(f, s, msg, ext, motion, &st)
		}
		f.Sensors = append(f.Sensors, st)
	}
	rn.takeIMU(f)
	rn.prevS = S
	return f
}

// addLidar transforms (and deskews) one LiDAR message into the frame.
func (rn *runner) addLidar(f *fused.Frame, msg *formats.Message, ext se3.Transform, motion func(se3.Transform, int64) (se3.Transform, bool), st *fused.SensorStatus) {
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
	if pts.TimeOffset != nil && !rn.p.NoDeskew && !rn.p.NoIMU && n > 0 {
		lo, hi := pts.TimeOffset[0], pts.TimeOffset[0]
		for _, d := range pts.TimeOffset {
			lo, hi = min(lo, d), max(hi, d)
		}
		gyro, _ = rn.gyro.rotations(f.Stamp, msg.Stamp+lo, msg.Stamp+hi)
		if gyro != nil && f.EgoSource != "none" {
			gyro.bias = rn.gyroBias(f.Stamp, msg.Stamp+hi)
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
	if f.EgoSource == "none" && pts.TimeOffset != nil && !rn.p.NoDeskew && rn.p.Register && n > 0 {
		// No ego source: the constant-velocity model of the registered
		// reference sweeps (see sweepMotion).
		m := &rn.sweep
		var imu *gyroTrack
		if gyro != nil {
			imu = &rn.gyro
		}
		at := func(t int64) (se3.Transform, bool) { return m.motion(imu, gyro, f.Stamp, t).Mul(ext), true }
		deskew(at)
		if msg.FrameID == rn.sensors[0].name {
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
	} else if pts.TimeOffset == nil || rn.p.NoDeskew || f.EgoSource == "none" && gyro == nil {
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
			at = func(t int64) (se3.Transform, bool) { return rn.imuMotion(f, gyro, ext, t) }
		}
		if !deskew(at) {
			method = "constant-velocity"
		}
	}
	if c.Deskew == "none" || method == "constant-velocity" {
		c.Deskew = method
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// addRadar places radar detections in the frame and removes the ego motion
// from their Doppler speeds.
func (rn *runner) addRadar(f *fused.Frame, msg *formats.Message, ext se3.Transform, motion func(se3.Transform, int64) (se3.Transform, bool), st *fused.SensorStatus) {
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
		vS = rn.ego.velocity(ext.Trans, msg.Stamp, int64(10*time.Millisecond))
		egoR, _, _ = rn.ego.at(msg.Stamp)
		Rws = egoR.Mul(ext)
	}
	for len(rc.Ego) < len(rc.Sources) {
		rc.Ego = append(rc.Ego, f.Ego)
	}
	rc.Ego[src] = egoR
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
		if f.EgoSource != "none" && r3.Norm(ps) > 0 {
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
}

// addCamera adds a camera image with its calibration at its own stamp.
func (rn *runner) addCamera(f *fused.Frame, s sensor, msg *formats.Message, ext se3.Transform, motion func(se3.Transform, int64) (se3.Transform, bool), st *fused.SensorStatus) {
	switch msg.Payload.(type) {
	case *formats.CompressedImage, *formats.Image:
	default:
		st.Missing, st.Note = true, fmt.Sprintf("payload %T is not an image", msg.Payload)
		return
	}
	info, ok := rn.infos[msg.FrameID]
	if !ok {
		st.Degraded, st.Note = true, "no CameraInfo for "+msg.FrameID
	}
	if rn.imageDue(msg.FrameID, msg.Payload) {
		// st becomes f.Sensors[len(f.Sensors)] once addCamera returns.
		rn.checks = append(rn.checks, imageCheck{sensor: len(f.Sensors), p: msg.Payload})
	}
	M, _ := motion(ext, msg.Stamp)
	f.Cameras = append(f.Cameras, fused.Camera{Name: msg.FrameID, Topic: s.topic, Stamp: msg.Stamp, Image: msg.Payload, Info: info, BaseCamera: M, Extrinsic: ext})
}

// emit projects the frame's LiDAR points into its cameras, checks the
// camera images that are due, and writes the frame to the sink: inline, or
// with Workers > 1 on the worker pool (projections and image checks in
// parallel, sink writes in frame order).
func (rn *runner) emit(f *fused.Frame, checks []imageCheck) error {
	project := rn.projector(f)
	write := func() error {
		if err := rn.sink.Write(rn.ctx, f); err != nil {
			return fmt.Errorf("fusion: frame %d: %w", f.Index, err)
		}
		return nil
	}
	if rn.q == nil {
		project()
		runImageChecks(f, checks)
		return write()
	}
	return rn.q.Submit(rn.ctx, func() (func() error, error) {
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
func (rn *runner) projector(f *fused.Frame) func() {
	if f.Lidar == nil || rn.p.NoProject {
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
		model, ok := rn.models[c.Name]
		if !ok {
			var err error
			in := camera.Intrinsics{Fx: c.Info.K[0], Fy: c.Info.K[4], Cx: c.Info.K[2], Cy: c.Info.K[5], Width: c.Info.Width, Height: c.Info.Height}
			model, err = camera.New(c.Info.DistortionModel, in, c.Info.D)
			if err != nil {
				model = nil
			}
			rn.models[c.Name] = model
		}
		if model != nil {
			jobs = append(jobs, job{c, model})
		}
	}
	return func() {
		P := &f.Lidar.Points
		for _, j := range jobs {
			a := AffineOf(j.c.BaseCamera.Inverse())
			j.c.Projected = ProjectCloud(j.c.Projected, &a, j.model, 0.1, P.X, P.Y, P.Z)
		}
	}
}

// takeIMU moves the IMU messages stamped in (previous frame, this frame]
// into the frame and adds the IMU's status (one status for all IMU topics,
// named after the first).
func (rn *runner) takeIMU(f *fused.Frame) {
	sort.SliceStable(rn.imu, func(i, j int) bool { return rn.imu[i].Stamp < rn.imu[j].Stamp })
	k := 0
	for k < len(rn.imu) && rn.imu[k].Stamp <= f.Stamp {
		if rn.imu[k].Stamp > rn.prevS {
			f.IMU = append(f.IMU, rn.imu[k])
		}
		k++
	}
	rn.imu = append(rn.imu[:0], rn.imu[k:]...)
	if len(rn.imuTopic) > 0 {
		st := fused.SensorStatus{Modality: formats.IMUModality}
		for t := range rn.imuTopic {
			if st.Topic == "" || t < st.Topic {
				st.Topic = t
			}
		}
		st.Name = rn.cal.Sensors[st.Topic].Name
		if len(f.IMU) > 0 {
			last := f.IMU[len(f.IMU)-1]
			st.Name, st.Stamp, st.Offset = last.FrameID, last.Stamp, last.Stamp-f.Stamp
			st.ClockCorrected = rn.clockCorrected(last.FrameID)
		} else {
			st.Missing, st.Note = true, "no IMU message since the previous frame"
		}
		f.Sensors = append(f.Sensors, st)
	}
}
