// Package logcalib reads the calibration a log carries: its /tf_static
// transforms (as a calib/tftree tree), the first CameraInfo /
// CameraCalibration of each channel and the sensor (frame id, modality)
// behind each data channel.
//
// It is the reader of a log's calibration for `rigsync rig init` and
// `rigsync calib show LOG.mcap`; calib/rig drafts a rig from its result
// (Calibration.Rig) without reading logs itself.
package logcalib

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/tftree"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// Calibration is the calibration a log carries.
type Calibration struct {
	// Static are the static transforms (T_parent_child) of every
	// /tf_static message, in log order (latched copies included).
	Static []calibio.Extrinsic
	// Cameras are the first CameraInfo / CameraCalibration of each
	// channel, named by topic, with Frame set to the header frame id.
	Cameras []calibio.Camera
	// Infos are the first camera calibration of each channel as decoded,
	// in log order (Cameras holds those that convert).
	Infos []CameraInfo
	// Edges are every transform read, static or not, sorted by parent
	// then child.
	Edges []Edge
	// Sensors are the data channels, by topic.
	Sensors []Sensor
}

// Sensor is the sensor behind a data channel.
type Sensor struct {
	Topic string
	// Modality is the rig.yaml modality: camera, lidar, radar, imu, gnss
	// or odometry.
	Modality string
	// Frame is the frame id of the channel's first message.
	Frame string
}

// ScanWindowNs is how much log time after the first message Read reads
// once every channel has been seen (static transforms are published at
// start).
const ScanWindowNs = 5e9

// ReadFile opens the log at path (MCAP, ROS 1 bag or rosbag2, see
// formats/logfile) and reads its calibration (ReadLog).
func ReadFile(ctx context.Context, path string) (*Calibration, error) {
	r, err := logfile.Open(path, logfile.Options{})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return ReadLog(ctx, r)
}

// Read reads the calibration of the log behind r (a Collector fed with
// every channel's first message and every transform message) until each channel has been seen
// and ScanWindowNs of log time have passed since the first message. A
// channel whose message does not decode counts as seen.
func Read(ctx context.Context, r *mcapread.Reader) (*Calibration, error) {
	return ReadLog(ctx, logfile.FromMCAP(r, ""))
}

// ReadLog is Read of a log in any format formats/logfile opens.
func ReadLog(ctx context.Context, r *logfile.Log) (*Calibration, error) {
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		return nil, err
	}
	var decs decode.Decoders
	var col Collector
	var sensors []Sensor
	seen := map[string]bool{}
	chans := r.Channels()
	var first int64 = -1
	for n := 0; ; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if first < 0 {
			first = int64(m.LogTime)
		}
		topic := m.Channel.Topic
		mod := decs.Modality(m.Channel.Channel, m.Channel.Schema)
		if mod != formats.TF && seen[topic] {
			if len(seen) >= len(chans) && int64(m.LogTime)-first > ScanWindowNs {
				break
			}
			continue
		}
		env, derr := decs.Message(m.Channel.Channel, m.Channel.Schema, &m.Message)
		if derr != nil {
			seen[topic] = true
			continue
		}
		if err := col.Add(env); err != nil {
			return nil, err
		}
		if !seen[topic] {
			seen[topic] = true
			if ms := sensorModality(mod); ms != "" {
				sensors = append(sensors, Sensor{Topic: topic, Modality: ms, Frame: env.FrameID})
			}
		}
	}
	sort.Slice(sensors, func(i, j int) bool { return sensors[i].Topic < sensors[j].Topic })
	out := col.Calibration()
	out.Sensors = sensors
	return out, nil
}

func sensorModality(m formats.Modality) string {
	switch m {
	case formats.Camera:
		return "camera"
	case formats.Lidar:
		return "lidar"
	case formats.Radar:
		return "radar"
	case formats.IMUModality:
		return "imu"
	case formats.GNSSModality:
		return "gnss"
	case formats.OdometryModality:
		return "odometry"
	}
	return ""
}

// Tree returns the static transforms as a tree, added in log order: a
// later transform between the same two frames replaces an earlier one; a
// transform that would give a frame a second parent, or close a loop, is
// dropped.
func (c *Calibration) Tree() *tftree.Tree {
	return StaticTree(c.Static)
}

// StaticTree returns the tree of the static transforms xs, added in order:
// a later transform between the same two frames replaces an earlier one; a
// transform that would give a frame a second parent, or close a loop, is
// dropped.
func StaticTree(xs []calibio.Extrinsic) *tftree.Tree {
	tr := tftree.New()
	for _, e := range xs {
		_ = tr.SetStatic(e.Parent, e.Child, e.T)
	}
	return tr
}

// Rig drafts a rig from the calibration (rig.FromLog): one sensor per data
// channel, with its extrinsic T_base_frame looked up in Tree. A sensor
// whose frame does not reach base through /tf_static but does through
// transforms published on /tf (a mount on the dynamic tree) gets the
// first value each such transform was published with (DynamicMounts),
// and a note saying so.
func (c *Calibration) Rig(base string) *rig.Rig {
	sensors := make([]rig.Sensor, len(c.Sensors))
	for i, s := range c.Sensors {
		sensors[i] = rig.Sensor{Topic: s.Topic, Modality: s.Modality, Frame: s.Frame}
	}
	rg := rig.FromLog(c.Tree(), c.Cameras, sensors, base)
	c.DynamicMounts(rg)
	return rg
}

// DynamicMounts fills the extrinsics rg lacks from the transforms the log
// published on /tf rather than /tf_static: the static tree is extended by
// every dynamic edge whose child has no static parent, each at the first
// value read (Edge.First; later values are not compared: a mount is
// assumed fixed). A sensor gets an extrinsic only when base is an
// ancestor of its frame in that tree, so motion edges above base (odom →
// base_link) are never composed in. Each filled sensor loses "extrinsic"
// from Missing and gains a note naming the /tf edges and their counts.
func (c *Calibration) DynamicMounts(rg *rig.Rig) {
	base := rg.BaseFrame
	var dyn []Edge
	for _, e := range c.Edges {
		if !e.Static {
			dyn = append(dyn, e)
		}
	}
	if len(dyn) == 0 {
		return
	}
	tr := c.Tree()
	isDyn := map[string]Edge{} // by child
	for _, e := range dyn {
		if _, has := tr.Parent(e.Child); has {
			continue
		}
		x, err := calibio.FromTransforms(formats.Transforms{Transforms: []formats.Transform{e.First}})
		if err != nil || len(x) != 1 {
			continue
		}
		if tr.SetStatic(e.Parent, e.Child, x[0].T) == nil {
			isDyn[e.Child] = e
		}
	}
	for i := range rg.Sensors {
		s := &rg.Sensors[i]
		if s.Frame == "" || !slices.Contains(s.Missing, "extrinsic") {
			continue
		}
		var used []string
		reached := false
		for f, n := s.Frame, 0; n <= len(c.Edges)+len(c.Static); n++ {
			if f == base {
				reached = true
				break
			}
			if e, ok := isDyn[f]; ok {
				used = append(used, fmt.Sprintf("%s→%s (%s, %d messages)", e.Parent, e.Child, e.Topic, e.Count))
			}
			p, ok := tr.Parent(f)
			if !ok {
				break
			}
			f = p
		}
		if !reached || len(used) == 0 {
			continue
		}
		T, err := tr.Lookup(base, s.Frame, tftree.Latest)
		if err != nil {
			continue
		}
		s.SetT(T)
		slices.Reverse(used) // from base down
		s.Missing = slices.DeleteFunc(s.Missing, func(m string) bool { return m == "extrinsic" })
		s.Notes = append(s.Notes, "extrinsic from the first value of "+strings.Join(used, ", ")+" published on the dynamic tree, not /tf_static (a mount assumed fixed; later values not compared)")
	}
}

// ReadRig reads the calibration of the log at path and drafts its rig
// (ReadFile, then Calibration.Rig).
func ReadRig(ctx context.Context, path, base string) (*rig.Rig, error) {
	c, err := ReadFile(ctx, path)
	if err != nil {
		return nil, err
	}
	return c.Rig(base), nil
}
