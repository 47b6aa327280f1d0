package rig

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/calib/tftree"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/mcapio"
)

// LogCalibration is the calibration a log carries: static transforms and
// camera infos, by topic.
type LogCalibration struct {
	// Static are the /tf_static transforms (T_parent_child).
	Static []calibio.Extrinsic
	// Cameras are the first CameraInfo / CameraCalibration of each channel,
	// named by topic, with Frame set to the header frame id.
	Cameras []calibio.Camera
	// Sensors are the data channels: topic, modality and frame id.
	Sensors []Sensor
}

// ScanWindowNs is how much log time after the first message ReadLog reads
// once every channel has been seen (static transforms are published at
// start).
const ScanWindowNs = 5e9

// ReadLog reads the calibration a log carries.
func ReadLog(ctx context.Context, path string) (*LogCalibration, error) {
	r, err := mcapio.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	it, err := r.Messages(mcapio.Options{})
	if err != nil {
		return nil, err
	}
	var decs decode.Decoders
	out := &LogCalibration{}
	seen := map[string]bool{}
	camSeen := map[string]bool{}
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
		switch p := env.Payload.(type) {
		case *formats.Transforms:
			if p.Static {
				x, err := calibio.FromTransforms(*p)
				if err != nil {
					return nil, fmt.Errorf("rig: %s: %w", topic, err)
				}
				out.Static = append(out.Static, x...)
			}
		case *formats.CameraInfo:
			if !camSeen[topic] {
				camSeen[topic] = true
				c, err := calibio.FromCameraInfo(topic, env.FrameID, *p)
				if err == nil {
					out.Cameras = append(out.Cameras, c)
				}
			}
		}
		if !seen[topic] {
			seen[topic] = true
			if ms := sensorModality(mod); ms != "" {
				out.Sensors = append(out.Sensors, Sensor{Topic: topic, Modality: ms, Frame: env.FrameID})
			}
		}
	}
	sort.Slice(out.Sensors, func(i, j int) bool { return out.Sensors[i].Topic < out.Sensors[j].Topic })
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

// FromLog drafts a rig from a log: one sensor per data channel, named by
// its frame id (or topic), with the camera intrinsics of the CameraInfo in
// the same frame and the extrinsic T_base_sensor from /tf_static. What it
// cannot find is listed in each sensor's Missing ("intrinsics",
// "extrinsic", "frame"); the clock model is always listed, since a log
// alone does not give it.
func FromLog(ctx context.Context, path, baseFrame string) (*Rig, error) {
	lc, err := ReadLog(ctx, path)
	if err != nil {
		return nil, err
	}
	return FromLogCalibration(lc, baseFrame), nil
}

// FromLogCalibration is FromLog on an already read LogCalibration.
func FromLogCalibration(lc *LogCalibration, baseFrame string) *Rig {
	rg := &Rig{Version: Version, BaseFrame: baseFrame}
	tr := tftree.New()
	for _, e := range lc.Static {
		_ = tr.SetStatic(e.Parent, e.Child, e.T) // conflicts: first wins
	}
	used := map[string]int{}
	for _, s := range lc.Sensors {
		s.Name = s.Frame
		if s.Name == "" {
			s.Name = strings.Trim(strings.ReplaceAll(s.Topic, "/", "_"), "_")
			s.Missing = append(s.Missing, "frame")
		}
		if used[s.Name]++; used[s.Name] > 1 {
			s.Name = fmt.Sprintf("%s_%d", s.Name, used[s.Name])
		}
		if s.Modality == "camera" {
			found := false
			for _, c := range lc.Cameras {
				if c.Frame != "" && c.Frame == s.Frame || strings.TrimSuffix(c.Name, "camera_info") == strings.TrimSuffix(s.Topic, lastElem(s.Topic)) {
					s.Intrinsics = IntrinsicsFrom(c)
					found = true
					break
				}
			}
			if !found {
				s.Missing = append(s.Missing, "intrinsics")
			}
		}
		if s.Frame != "" {
			if T, err := tr.Lookup(baseFrame, s.Frame, tftree.Latest); err == nil {
				s.SetT(T)
			} else {
				s.Missing = append(s.Missing, "extrinsic")
			}
		} else {
			s.Missing = append(s.Missing, "extrinsic")
		}
		s.Missing = append(s.Missing, "clock")
		rg.Sensors = append(rg.Sensors, s)
	}
	return rg
}

func lastElem(topic string) string {
	if i := strings.LastIndexByte(topic, '/'); i >= 0 {
		return topic[i+1:]
	}
	return topic
}
