package fused

import (
	"context"
	"errors"
	"fmt"

	"gonum.org/v1/gonum/num/quat"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/labels"
)

// Frame is one fused, annotation-ready multimodal frame: every sensor on
// one time base (the reference clock) and, for point data, in one spatial
// frame (Frame.FrameID, base_link unless asked otherwise).
type Frame struct {
	// Index is the frame's position in the run, from 0.
	Index int
	// Stamp is the frame's reference time in ns on the clock named Clock
	// (the reference sensor's corrected header stamp).
	Stamp int64
	Clock string
	// FrameID is the shared spatial frame of the point data.
	FrameID string
	// Ego is T_world_base at Stamp, from EgoSource ("odometry", "gnss",
	// "tf" or "none"; with "none" Ego is the identity).
	Ego       se3.Transform
	EgoSource string
	// Lidar is the merged LiDAR cloud in FrameID at Stamp (nil: no LiDAR).
	Lidar *Cloud
	// Radar holds the radar detections in FrameID (nil: no radar).
	Radar *RadarCloud
	// Cameras are the frame's camera images, each at its own exposure time.
	Cameras []Camera
	// IMU is the IMU window (messages stamped since the previous frame).
	IMU []formats.Message
	// Sensors says, for every sensor of the rig, what made it into the frame.
	Sensors []SensorStatus
	// Labels are the 3D box labels of this frame (fuse --labels), each in
	// FrameID at Stamp (Box.Frame == FrameID). nil: the run has no labels
	// and writers write none; empty: no labelled frame matched this one.
	Labels []labels.Box
}

// Cloud is a merged point cloud in the frame's shared frame, deskewed to the
// frame's Stamp.
type Cloud struct {
	// Points: X, Y, Z in m in Frame.FrameID; Intensity, Ring and
	// TimeOffset (ns relative to Frame.Stamp) as the sources provide them.
	Points formats.Points
	// Source is each point's LiDAR index into Sources.
	Source  []uint8
	Sources []string
	// Deskew says how ego motion within the sweep was removed: "imu",
	// "odometry", "tf", "constant-velocity" or "none".
	Deskew string
}

// RadarCloud is the radar detections of a frame in the shared frame.
type RadarCloud struct {
	X, Y, Z []float32
	// RadialVelocity is the Doppler speed with the ego motion removed (m/s,
	// positive away from the sensor); RawRadialVelocity as measured.
	RadialVelocity, RawRadialVelocity []float32
	RCS                               []float32
	// Source is each detection's radar index into Sources.
	Source  []uint8
	Sources []string
	// Ego holds, per Sources entry, T_world_<FrameID> at that radar's
	// message stamp (SensorStatus.Stamp) from the frame's ego source: the
	// pose the detections were placed with before being moved to the
	// frame's Stamp (Frame.Ego when there is no ego source). Shorter than
	// Sources (nil) when the producer does not know it; Frame.Ego then
	// applies to the missing entries.
	Ego []se3.Transform
}

// Camera is one camera's contribution to a frame.
type Camera struct {
	// Name is the sensor (frame id) name, Topic its image topic.
	Name, Topic string
	// Stamp is the (corrected) mid-exposure time in ns.
	Stamp int64
	// Image is *formats.CompressedImage or *formats.Image.
	Image formats.Payload
	// Info is the camera calibration (intrinsics, distortion).
	Info formats.CameraInfo
	// BaseCamera maps camera coordinates at the camera's Stamp into FrameID
	// at the frame's Stamp: the static extrinsic with the ego motion between
	// the two times folded in (what projecting this frame's cloud into this
	// image needs).
	BaseCamera se3.Transform
	// Extrinsic is the static calibration T_<FrameID>_<camera optical
	// frame>, without ego motion (what calibration tables such as nuScenes'
	// calibrated_sensor hold). A zero value means "same as BaseCamera".
	Extrinsic se3.Transform
	// Projected are the LiDAR points visible in this camera, with ego
	// motion compensated between the LiDAR time and the camera's Stamp.
	Projected []Projection
}

// StaticExtrinsic is the camera's static calibration T_<FrameID>_<camera
// optical frame>: Extrinsic, or BaseCamera when Extrinsic is unset.
func (c *Camera) StaticExtrinsic() se3.Transform {
	if c.Extrinsic.Rot == (quat.Number{}) {
		return c.BaseCamera
	}
	return c.Extrinsic
}

// Projection is one LiDAR point seen in a camera image.
type Projection struct {
	U, V  float32 // pixel coordinates
	Depth float32 // m along the optical axis
	Index int32   // index into Frame.Lidar.Points
}

// SensorStatus is what happened to one sensor in a frame.
type SensorStatus struct {
	Name, Topic string
	Modality    formats.Modality
	// Stamp is the sensor message's corrected stamp (0 when Missing);
	// Offset is Stamp − Frame.Stamp in ns.
	Stamp, Offset int64
	// Flags: missing (no message within tolerance), stale (older than
	// expected), clock_corrected, degraded (near-empty sweep, black or
	// saturated image, radar with no detections).
	Missing, Stale, ClockCorrected, Degraded bool
	// Note explains a flag in words.
	Note string
	// Calibration says where the sensor's calibration came from, e.g.
	// "extrinsic rig.yaml; intrinsics /cam_front/camera_info" (Calibration.Source).
	Calibration string
}

// AddNote appends note to the status's Note ("; " between notes).
func (s *SensorStatus) AddNote(note string) {
	if s.Note == "" {
		s.Note = note
		return
	}
	s.Note += "; " + note
}

// Sink receives fused frames in order. Close flushes indexes and manifests
// (it does not close an underlying writer it did not open).
type Sink interface {
	Write(ctx context.Context, f *Frame) error
	Close() error
}

// CheckFrame is what every writer checks before writing a frame: that it
// is not nil, its index is not negative, and no camera name appears twice
// (camera names become file names).
func CheckFrame(f *Frame) error {
	if f == nil {
		return errors.New("nil frame")
	}
	if f.Index < 0 {
		return fmt.Errorf("frame index %d is negative", f.Index)
	}
	for i := range f.Cameras {
		for j := range i {
			if f.Cameras[j].Name == f.Cameras[i].Name {
				return fmt.Errorf("frame %d: camera %q appears twice", f.Index, f.Cameras[i].Name)
			}
		}
	}
	return nil
}
