package fusion

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/sync/clock"
	"github.com/rigsync/rigsync/sync/match"
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
	// Logs are the logs of one drive, in any format formats/logfile
	// opens (MCAP, ROS 1 bag, rosbag2; split recordings, one log per
	// sensor group, a .bag of LiDAR beside an .mcap of cameras), merged in
	// log-time order; topics with the same name in different logs are one
	// stream. The Pipeline reads each log twice: the calibration pass
	// (/tf_static, camera infos, each sensor's first message; skipped when
	// Calibration is set) and the fusion pass.
	Logs []*logfile.Log
	// Reader and Readers are MCAP logs, read as Logs when Logs is empty
	// (Readers, else Reader alone).
	Reader  *mcapread.Reader
	Readers []*mcapread.Reader
	// Names optionally names the logs in errors (one per log; the Log's
	// name, or for Readers "log N", otherwise).
	Names []string
	// Start and End bound the log times fused (ns on the recorder's clock:
	// Start inclusive, End exclusive, 0 unbounded), read through the logs'
	// indexes so that a window costs about its share of the log. The
	// calibration pass still reads /tf_static and the first messages from
	// the start of the logs.
	Start, End int64
	// Sensors selects the LiDARs, cameras and radars grouped into frames
	// (by topic, sensor name or the topic's first path element; see
	// logfile.Selection); the IMU, ego-motion and camera-info topics the
	// run uses are read unless Sensors.Exclude names them.
	Sensors logfile.Selection
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

// runner is one Run: it reads the logs, corrects stamps, groups the
// sensors and hands sets, ego poses, IMU and camera infos to the Engine.
type runner struct {
	p         *Pipeline
	inputs    []*logfile.Log
	cal       *Calibration
	base      string
	ego       string // the ego source plan picked
	sensors   []sensor
	index     map[string]int // topic → index in sensors
	clocks    map[string]clock.Model
	repairers map[string]*clock.Repairer
	egoTopic  map[string]bool
	imuTopic  map[string]bool
	eng       *Engine
}

// Run fuses the whole log and writes every frame to sink in order. It does
// not close sink.
func (p *Pipeline) Run(ctx context.Context, sink fused.Sink) (err error) {
	inputs := p.inputs()
	if len(inputs) == 0 {
		return errors.New("fusion: Pipeline.Logs, Pipeline.Readers and Pipeline.Reader are empty")
	}
	rn := &runner{p: p, inputs: inputs, base: p.BaseFrame, index: map[string]int{}, egoTopic: map[string]bool{}, imuTopic: map[string]bool{}}
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
	guard := NewIntrinsicsGuard(rn.cal, p.ScaleIntrinsics)
	p.warnings = nil
	defer func() { p.warnings = guard.Warnings() }()
	rn.clocks, rn.repairers = map[string]clock.Model{}, map[string]*clock.Repairer{}
	for k, v := range rn.cal.Clocks {
		rn.clocks[k] = v
	}
	for k, v := range p.Clocks {
		rn.clocks[k] = v
	}
	if err := rn.plan(); err != nil {
		return err
	}
	eng, err := rn.engine(sink, guard)
	if err != nil {
		return err
	}
	rn.eng = eng
	defer func() {
		// Every queued frame is written (or dropped after an error)
		// before Run returns.
		if cerr := sinkError(eng.Close()); err == nil {
			err = cerr
		}
	}()
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
		if grouped && rn.sensors[si].mod == formats.Camera && eng.Guards(msg.FrameID) {
			where := fmt.Sprintf("%s topic %s, message at log time %d ns", p.inputName(inputs, it.From()), topic, msg.LogTime)
			if err := eng.Image(msg.FrameID, where, msg.Payload); err != nil {
				return err
			}
		}
		switch {
		case grouped:
			if pol == nil {
				eng.Add([]Member{{Msg: &msg, Present: true}})
			} else if err := pol.Push(si, msg.Stamp, &msg); err != nil {
				return fmt.Errorf("fusion: %w", err)
			}
		case rn.egoTopic[topic]:
			eng.AddEgo(&msg)
		case rn.imuTopic[topic]:
			eng.AddIMU(msg)
		default:
			if ci, ok := msg.Payload.(*formats.CameraInfo); ok {
				// Rig-file intrinsics stay; the guard compares.
				eng.CameraInfo(msg.FrameID, p.inputName(inputs, it.From())+" topic "+topic, ci)
			}
		}
		if err := eng.Drain(ctx, math.MinInt64); err != nil {
			return sinkError(err)
		}
	}
	if pol != nil {
		if err := pol.Flush(); err != nil {
			return fmt.Errorf("fusion: %w", err)
		}
	}
	return sinkError(eng.Flush(ctx))
}

// engine returns the Engine of the run: its sensors, reference, clock,
// ego source and IMU topics from plan, the rest from the Pipeline.
func (rn *runner) engine(sink fused.Sink, guard *IntrinsicsGuard) (*Engine, error) {
	p := rn.p
	ref := rn.sensors[0]
	cfg := EngineConfig{Reference: 0, Base: rn.base, Clock: formats.SensorClock(ref.name, ref.topic),
		Calibration: rn.cal, Guard: guard, Ego: rn.ego, GNSSOrigin: p.GNSSOrigin,
		NoDeskew: p.NoDeskew, Register: p.Register, NoIMU: p.NoIMU, NoProject: p.NoProject,
		ImageCheckEvery: p.ImageCheckEvery, MaxPending: p.MaxPending, Workers: p.Workers,
		ClockCorrected: rn.clockCorrected, ExtrinsicFrom: "/tf_static"}
	for _, s := range rn.sensors {
		cfg.Sensors = append(cfg.Sensors, Sensor{Name: s.name, Topic: s.topic, Modality: s.mod})
	}
	for t := range rn.imuTopic {
		cfg.IMUTopics = append(cfg.IMUTopics, t)
	}
	return NewEngine(cfg, sink)
}

// sinkError prefixes a sink's error (an Engine's *FrameError) with the
// package name, as the run's other errors.
func sinkError(err error) error {
	if _, ok := errors.AsType[*FrameError](err); ok {
		return fmt.Errorf("fusion: %w", err)
	}
	return err
}

// messages returns the run's message stream: the logs merged in log-time
// order (ties to the earlier log), each read by its Source with only the
// topics the run uses decoded (wants).
func (rn *runner) messages(inputs []*logfile.Log) (*formats.Merged, error) {
	srcs := make([]formats.Source, len(inputs))
	for i, lg := range inputs {
		s, err := lg.Source(logfile.SourceOptions{Want: rn.wants, Read: mcapread.Options{Start: rn.p.Start, End: rn.p.End}})
		if err != nil {
			return nil, fmt.Errorf("fusion: %s: %w", lg.Name(), err)
		}
		srcs[i] = s
	}
	return formats.Merge(srcs...), nil
}

// wants reports whether the run uses the topic's messages: a grouped
// sensor, the ego source, an IMU or a camera info.
func (rn *runner) wants(t formats.TopicInfo) bool {
	_, grouped := rn.index[t.Topic]
	return grouped || rn.egoTopic[t.Topic] || rn.imuTopic[t.Topic] ||
		t.Modality == formats.CameraInfoModality && !rn.p.Sensors.Excluded(t.Topic, rn.cal.Sensors[t.Topic].Name)
}

// plan picks the grouped sensors (reference LiDAR first), the ego source
// and the IMU topics.
func (rn *runner) plan() error {
	var lidars, others []sensor
	var egos EgoTopics
	seen := map[string]bool{}
	for li, lg := range rn.inputs {
		for _, ch := range lg.Catalog() {
			if seen[ch.Topic] {
				continue // the same stream in another log
			}
			seen[ch.Topic] = true
			mod := ch.Modality
			ts, known := rn.cal.Sensors[ch.Topic]
			if known {
				mod = ts.Modality
			}
			switch {
			case rn.p.Sensors.Excluded(ch.Topic, ts.Name):
				continue
			case (mod == formats.Lidar || mod == formats.Camera || mod == formats.Radar) && !rn.p.Sensors.Keep(ch.Topic, ts.Name):
				continue
			}
			s := sensor{topic: ch.Topic, name: ts.Name, mod: mod, id: uint32(li)<<16 | uint32(ch.Order)}
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
			default:
				egos.Add(ch.Topic, mod)
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
	mode, topics, err := ChooseEgo(rn.p.Ego, egos)
	if err != nil {
		return err
	}
	rn.ego = mode
	for _, t := range topics {
		rn.egoTopic[t] = true
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

// onSet queues a grouped set until the ego poses it needs have arrived
// (Engine.Drain fuses and writes it). It never fails.
func (rn *runner) onSet(members []match.Member[*formats.Message]) error {
	set := make([]Member, len(members))
	for i, m := range members {
		set[i] = Member{Msg: m.Value, Present: m.Present}
	}
	rn.eng.Add(set)
	return nil
}
