package fusion

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/calib/tftree"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/logcalib"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/sync/clock"
)

// Calibration is what a log says about its rig: every sensor's extrinsic
// relative to the base frame (from /tf_static) and every camera's
// intrinsics (from its first CameraInfo), plus, for every data topic, the
// sensor (frame id) and modality found in its first message.
type Calibration struct {
	// Base is the frame the extrinsics are relative to.
	Base string
	// Extrinsics maps a frame id to T_base_frame, composed along the
	// /tf_static tree.
	Extrinsics map[string]se3.Transform
	// Infos maps a camera frame id to its first CameraInfo.
	Infos map[string]formats.CameraInfo
	// Sensors maps a data topic to its sensor.
	Sensors map[string]TopicSensor
	// Clocks maps a sensor frame id to its clock model (from a rig file;
	// a log carries none).
	Clocks map[string]clock.Model
	// Source says where each calibration item came from, e.g.
	// "cam_front": "extrinsic /tf_static; intrinsics /cam_front/camera_info"
	// or "extrinsic rig.yaml; intrinsics rig.yaml".
	Source map[string]string
	// RigFiles are the Source wordings, besides RigSource, that name a
	// calibration file given as the rig (fuse --rig FILE,...), not the log.
	RigFiles map[string]bool
}

// TopicSensor is the sensor behind a data topic.
type TopicSensor struct {
	Name     string // frame id of the topic's messages
	Modality formats.Modality
}

// ReadCalibrations reads the calibration of several logs of one drive
// (ReadCalibration of each) and merges them: the first log that has an
// item gives it.
func ReadCalibrations(ctx context.Context, rs []*logfile.Log, base string) (*Calibration, error) {
	out := newCalibration(base)
	for i := len(rs) - 1; i >= 0; i-- {
		c, err := ReadLogCalibration(ctx, rs[i], base)
		if err != nil {
			return nil, err
		}
		if out, err = out.Override(c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ReadCalibration reads the calibration of the log behind r: /tf_static,
// the first CameraInfo of every camera and the first message of every
// sensor topic. It reads only those topics and stops as soon as it has
// them all (a topic whose message does not decode is no longer wanted).
// The camera calibrations are collected by a logcalib.Collector, the model
// `info` and `rig init` use; the extrinsics are calib/tftree lookups in
// the tree of the last /tf_static transform of each frame.
func ReadCalibration(ctx context.Context, r *mcapread.Reader, base string) (*Calibration, error) {
	return ReadLogCalibration(ctx, logfile.FromMCAP(r, ""), base)
}

// ReadLogCalibration is ReadCalibration of a log in any format
// formats/logfile opens.
func ReadLogCalibration(ctx context.Context, r *logfile.Log, base string) (*Calibration, error) {
	c := newCalibration(base)
	var topics []string
	want := map[string]bool{} // topics still wanted (first message only)
	var tfStatic []string
	for _, ch := range r.Channels() {
		name := ""
		if ch.Schema != nil {
			name = ch.Schema.Name
		}
		switch mod := formats.ModalityOfType(name); {
		case mod == formats.TF && strings.Contains(ch.Topic, "tf_static"):
			tfStatic = append(tfStatic, ch.Topic)
			topics = append(topics, ch.Topic)
		case mod == formats.CameraInfoModality, mod == formats.Camera, mod == formats.Lidar, mod == formats.Radar,
			mod == formats.IMUModality, mod == formats.OdometryModality, mod == formats.GNSSModality:
			if !want[ch.Topic] {
				want[ch.Topic] = true
				topics = append(topics, ch.Topic)
			}
		}
	}
	if len(topics) == 0 {
		return c, nil
	}
	it, err := r.Messages(mcapread.Options{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("fusion: calibration: %w", err)
	}
	var ds decode.Decoders
	var cams logcalib.Collector // camera calibrations
	parents := map[string]formats.Transform{}
	staticSeen := map[string]bool{}
	for len(want) > 0 || len(staticSeen) < len(tfStatic) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("fusion: calibration: %w", err)
		}
		topic := m.Channel.Topic
		isStatic := false
		for _, t := range tfStatic {
			isStatic = isStatic || t == topic
		}
		if !isStatic && !want[topic] {
			continue
		}
		mm := m.Message
		mm.Data = append([]byte(nil), m.Data...)
		msg, err := ds.Message(m.Channel.Channel, m.Channel.Schema, &mm)
		if err != nil {
			delete(want, topic)
			continue
		}
		switch p := msg.Payload.(type) {
		case *formats.Transforms:
			staticSeen[topic] = true
			for _, x := range p.Transforms {
				parents[x.Child] = x
			}
			continue // every /tf_static message counts (latched copies)
		case *formats.CameraInfo:
			_ = cams.Add(msg)
		case *formats.PointCloud:
			mod := formats.ModalityOfPointFields(p.Fields)
			c.Sensors[topic] = TopicSensor{Name: msg.FrameID, Modality: mod}
		default:
			mod := msg.Modality
			if _, ok := p.(*formats.RadarScan); ok {
				mod = formats.Radar
			}
			c.Sensors[topic] = TopicSensor{Name: msg.FrameID, Modality: mod}
		}
		delete(want, topic)
	}
	for _, ci := range cams.Calibration().Infos { // each camera topic's first, in read order
		if _, ok := c.Infos[ci.Frame]; !ok {
			c.Infos[ci.Frame] = ci.Info
			c.note(ci.Frame, "intrinsics "+ci.Topic)
		}
	}
	tree := staticTree(parents, base)
	for child := range parents {
		T, err := se3.Identity(), error(nil)
		if child != base {
			T, err = tree.Lookup(base, child, tftree.Latest)
		}
		if err == nil {
			c.Extrinsics[child] = T
			c.note(child, "extrinsic /tf_static")
		}
	}
	return c, nil
}

// staticTree builds the tree of the /tf_static transforms, the last one
// read for each child (parents). The transforms into base are left out,
// so that base is a root and a frame's lookup from base walks its parents
// up to base (a frame whose parents never reach base has no extrinsic).
// A transform that would close a loop is dropped.
func staticTree(parents map[string]formats.Transform, base string) *tftree.Tree {
	children := make([]string, 0, len(parents))
	for child := range parents {
		if child != base {
			children = append(children, child)
		}
	}
	sort.Strings(children)
	tree := tftree.New()
	for _, child := range children {
		x := parents[child]
		_ = tree.SetStatic(x.Parent, child, transformOf(x))
	}
	return tree
}

func (c *Calibration) note(name, s string) {
	if c.Source[name] != "" {
		s = c.Source[name] + "; " + s
	}
	c.Source[name] = s
}

// transformOf converts a formats.Transform (w-first gonum quaternion).
func transformOf(x formats.Transform) se3.Transform {
	q := x.Rotation
	T, err := se3.FromQuatWXYZ(q.Real, q.Imag, q.Jmag, q.Kmag, x.Translation)
	if err != nil {
		return se3.Identity()
	}
	return T
}

// poseOf converts a formats.Pose.
func poseOf(p formats.Pose) (se3.Transform, bool) {
	q := p.Orientation
	T, err := se3.FromQuatWXYZ(q.Real, q.Imag, q.Jmag, q.Kmag, p.Position)
	return T, err == nil
}
