package writers

import (
	"sort"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion"
)

// Options is what fuse knows about a run when it opens a writer. A format
// reads the fields it needs and ignores the others.
type Options struct {
	// Out is the output folder (a file for a single-file format).
	Out string
	// Force writes into a non-empty folder (over an existing file).
	Force bool
	// Resume continues a killed run of the same inputs and options.
	Resume bool
	// Calibration is the run's calibration, its extrinsics relative to
	// BaseFrame; nil is an empty one.
	Calibration *fusion.Calibration
	// BaseFrame is the shared frame of the fused point data (--frame).
	BaseFrame string
	// Reference is the reference LiDAR topic (--reference; empty: the
	// first LiDAR topic in topic order).
	Reference string

	// KeyframeHz is the nuScenes keyframe rate (--keyframe-hz).
	KeyframeHz float64
	// KITTICamera is the camera written as KITTI's image_2 / P2
	// (--kitti-camera; empty: chosen by the writer).
	KITTICamera string
	// URLPrefix is prepended to Segments.ai asset paths to form their
	// URLs (--url-prefix).
	URLPrefix string
	// NoProjections is set when the run does not project LiDAR points
	// into the cameras (--no-projections): the formats that store the
	// projections (frames' .proj.bin sidecars, the MCAP's /<camera>/lidar
	// ImageAnnotations) write none rather than empty ones.
	NoProjections bool
	// Workers is the number of goroutines the writer may use beside the
	// frame encoding that parallelsink runs (--workers; 0: one). The
	// output must not depend on it.
	Workers int
}

// Camera is a calibrated camera of the run.
type Camera struct {
	// Name is the camera's frame id (fused.Camera.Name).
	Name string
	// Extrinsic is T_<BaseFrame>_<camera>.
	Extrinsic se3.Transform
	// Info is its calibration (zero if the calibration has none).
	Info formats.CameraInfo
}

// topics returns the calibration's data topics, sorted.
func (o Options) topics() []string {
	if o.Calibration == nil {
		return nil
	}
	out := make([]string, 0, len(o.Calibration.Sensors))
	for t := range o.Calibration.Sensors {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// first returns the extrinsic of the first sensor of modality m in topic
// order that has one and whose topic keep accepts.
func (o Options) first(m formats.Modality, keep func(topic string) bool) *se3.Transform {
	for _, topic := range o.topics() {
		s := o.Calibration.Sensors[topic]
		T, ok := o.Calibration.Extrinsics[s.Name]
		if ok && s.Modality == m && keep(topic) {
			return &T
		}
	}
	return nil
}

// ReferenceLidar returns T_<BaseFrame>_<reference LiDAR>, for formats
// that store clouds in the sensor frame: the Reference topic's, else the
// first calibrated LiDAR's in topic order; nil if there is none.
func (o Options) ReferenceLidar() *se3.Transform {
	return o.first(formats.Lidar, func(topic string) bool { return o.Reference == "" || o.Reference == topic })
}

// IMU returns T_<BaseFrame>_<imu> of the first calibrated IMU in topic
// order, nil if there is none.
func (o Options) IMU() *se3.Transform {
	return o.first(formats.IMUModality, func(string) bool { return true })
}

// Radars returns T_<BaseFrame>_<radar> by radar name, for every
// calibrated radar.
func (o Options) Radars() map[string]se3.Transform {
	out := map[string]se3.Transform{}
	for _, topic := range o.topics() {
		s := o.Calibration.Sensors[topic]
		if T, ok := o.Calibration.Extrinsics[s.Name]; ok && s.Modality == formats.Radar {
			out[s.Name] = T
		}
	}
	return out
}

// Cameras returns the calibrated cameras (those with an extrinsic) in
// topic order, each name once.
func (o Options) Cameras() []Camera {
	var out []Camera
	seen := map[string]bool{}
	for _, topic := range o.topics() {
		s := o.Calibration.Sensors[topic]
		T, ok := o.Calibration.Extrinsics[s.Name]
		if s.Modality != formats.Camera || !ok || seen[s.Name] {
			continue
		}
		seen[s.Name] = true
		out = append(out, Camera{Name: s.Name, Extrinsic: T, Info: o.Calibration.Infos[s.Name]})
	}
	return out
}
