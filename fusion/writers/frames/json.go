package frames

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion/fused"
)

// conventions is written into every frame.json.
var conventions = conventionsDoc{
	Transforms:      "T_parent_child maps points in the child frame into the parent frame: p_parent = R*p_child + t",
	QuaternionOrder: "w,x,y,z (Hamilton, unit, w >= 0)",
	Matrices:        "row-major",
	Units:           "metres, nanoseconds, radians, m/s",
	CameraAxes:      "OpenCV optical: x right, y down, z forward",
	PixelOrigin:     "(0,0) is the centre of the top-left pixel (OpenCV, ROS): u right, v down, pixel (i,j) spans [i-0.5,i+0.5) x [j-0.5,j+0.5)",
}

const extrinsicNote = "extrinsic: camera at its stamp_ns into frame_id at the frame's stamp_ns (ego motion folded in; use with this frame's clouds); static_extrinsic: the calibration without ego motion"

const projRecordDoc = "16-byte little-endian records: float32 u px, float32 v px, float32 depth m (optical axis), int32 index (row in lidar.pcd)"

type conventionsDoc struct {
	Transforms      string `json:"transforms"`
	QuaternionOrder string `json:"quaternion_order"`
	Matrices        string `json:"matrices"`
	Units           string `json:"units"`
	CameraAxes      string `json:"camera_axes"`
	PixelOrigin     string `json:"pixel_origin"`
}

type frameDoc struct {
	Format      string         `json:"format"`
	Conventions conventionsDoc `json:"conventions"`
	Index       int            `json:"index"`
	StampNs     int64          `json:"stamp_ns"`
	Clock       string         `json:"clock"`
	FrameID     string         `json:"frame_id"`
	Ego         egoDoc         `json:"ego"`
	Lidar       *cloudDoc      `json:"lidar"`
	Radar       *cloudDoc      `json:"radar"`
	Cameras     []*cameraDoc   `json:"cameras"`
	IMUMessages int            `json:"imu_messages"`
	Sensors     []sensorDoc    `json:"sensors"`
	Summary     summaryDoc     `json:"summary"`
	// Labels are the frame's 3D box labels (fuse --labels) as rigsync
	// labels JSON boxes, in frame_id at stamp_ns; absent without labels.
	Labels json.RawMessage `json:"labels,omitempty"`
}

type egoDoc struct {
	Source string `json:"source"`
	*transformDoc
}

type transformDoc struct {
	Name         string        `json:"name"`
	Parent       string        `json:"parent"`
	Child        string        `json:"child"`
	Translation  [3]float64    `json:"translation_m"`
	RotationWXYZ [4]float64    `json:"rotation_wxyz"`
	Matrix       [4][4]float64 `json:"matrix"`
}

type fieldDoc struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Unit    string `json:"unit"`
	Present bool   `json:"present"`
}

type cloudDoc struct {
	File    string     `json:"file"`
	Points  int        `json:"points"`
	Frame   string     `json:"frame"`
	Fields  []fieldDoc `json:"fields"`
	Sources []string   `json:"sources"`
	Deskew  string     `json:"deskew,omitempty"`
}

type intrinsicsDoc struct {
	Width           int         `json:"width"`
	Height          int         `json:"height"`
	DistortionModel string      `json:"distortion_model"`
	D               []float64   `json:"D"`
	K               [9]float64  `json:"K"`
	R               [9]float64  `json:"R"`
	P               [12]float64 `json:"P"`
}

type projDoc struct {
	File   string `json:"file"`
	Count  int    `json:"count"`
	Record string `json:"record"`
}

type cameraDoc struct {
	Name       string        `json:"name"`
	Topic      string        `json:"topic"`
	StampNs    int64         `json:"stamp_ns"`
	OffsetNs   int64         `json:"offset_ns"`
	Image      string        `json:"image"`
	ImageNote  string        `json:"image_note,omitempty"`
	Intrinsics intrinsicsDoc `json:"intrinsics"`
	// Extrinsic maps the camera at its own stamp into FrameID at the
	// frame's stamp (ego motion between the two folded in): use it with
	// this frame's clouds. StaticExtrinsic is the rig calibration
	// T_<FrameID>_<camera> without ego motion.
	Extrinsic       *transformDoc `json:"extrinsic"`
	ExtrinsicNote   string        `json:"extrinsic_note"`
	StaticExtrinsic *transformDoc `json:"static_extrinsic"`
	Projection      *projDoc      `json:"projection"`
	// Labels2D are the 3D labels projected into the image (boxproj);
	// absent without labels.
	Labels2D *[]label2DDoc `json:"labels_2d,omitempty"`
}

type sensorDoc struct {
	Name           string `json:"name"`
	Topic          string `json:"topic"`
	Modality       string `json:"modality"`
	StampNs        int64  `json:"stamp_ns"`
	OffsetNs       int64  `json:"offset_ns"`
	Missing        bool   `json:"missing"`
	Stale          bool   `json:"stale"`
	ClockCorrected bool   `json:"clock_corrected"`
	Degraded       bool   `json:"degraded"`
	Note           string `json:"note,omitempty"`
	// Calibration says where the sensor's calibration came from.
	Calibration string `json:"calibration,omitempty"`
}

type summaryDoc struct {
	Sensors  int      `json:"sensors"`
	Present  int      `json:"present"`
	Missing  []string `json:"missing"`
	Degraded []string `json:"degraded"`
	Stale    []string `json:"stale"`
}

func newFrameDoc(f *fused.Frame) *frameDoc {
	d := &frameDoc{
		Format: FormatVersion, Conventions: conventions,
		Index: f.Index, StampNs: f.Stamp, Clock: f.Clock, FrameID: f.FrameID,
		Cameras: []*cameraDoc{}, IMUMessages: len(f.IMU), Sensors: []sensorDoc{},
		Summary: summaryDoc{Missing: []string{}, Degraded: []string{}, Stale: []string{}},
	}
	for _, s := range f.Sensors {
		d.Sensors = append(d.Sensors, sensorDoc{
			Name: s.Name, Topic: s.Topic, Modality: s.Modality.String(),
			StampNs: s.Stamp, OffsetNs: s.Offset,
			Missing: s.Missing, Stale: s.Stale, ClockCorrected: s.ClockCorrected, Degraded: s.Degraded, Note: s.Note,
			Calibration: s.Calibration,
		})
		d.Summary.Sensors++
		if s.Missing {
			d.Summary.Missing = append(d.Summary.Missing, s.Name)
		} else {
			d.Summary.Present++
		}
		if s.Degraded {
			d.Summary.Degraded = append(d.Summary.Degraded, s.Name)
		}
		if s.Stale {
			d.Summary.Stale = append(d.Summary.Stale, s.Name)
		}
	}
	return d
}

func newCameraDoc(f *fused.Frame, c *fused.Camera, stem string) (*cameraDoc, error) {
	ext, err := transformJSON(f.FrameID, c.Name, c.BaseCamera)
	if err != nil {
		return nil, err
	}
	static, err := transformJSON(f.FrameID, c.Name, c.StaticExtrinsic())
	if err != nil {
		return nil, err
	}
	in := c.Info
	for _, v := range in.D {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("distortion coefficient %v is not finite", v)
		}
	}
	for _, v := range append(append(in.K[:], in.R[:]...), in.P[:]...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("intrinsic %v is not finite", v)
		}
	}
	w, h := in.Width, in.Height
	if im, ok := c.Image.(*formats.Image); ok && w == 0 && h == 0 {
		w, h = im.Width, im.Height
	}
	D := in.D
	if D == nil {
		D = []float64{}
	}
	return &cameraDoc{
		Name: c.Name, Topic: c.Topic, StampNs: c.Stamp, OffsetNs: c.Stamp - f.Stamp,
		Intrinsics: intrinsicsDoc{Width: w, Height: h, DistortionModel: in.DistortionModel, D: D, K: in.K, R: in.R, P: in.P},
		Extrinsic:  ext, ExtrinsicNote: extrinsicNote, StaticExtrinsic: static,
	}, nil
}

// manifestDoc is one line of manifest.jsonl.
type manifestDoc struct {
	Index        int      `json:"index"`
	Dir          string   `json:"dir"`
	StampNs      int64    `json:"stamp_ns"`
	Clock        string   `json:"clock"`
	LidarPoints  int      `json:"lidar_points"`
	RadarPoints  int      `json:"radar_points"`
	Cameras      []string `json:"cameras"`
	SensorsTotal int      `json:"sensors_total"`
	SensorsOK    int      `json:"sensors_present"`
	Missing      []string `json:"missing"`
	Degraded     []string `json:"degraded"`
}

func manifestLine(f *fused.Frame, dir string, d *frameDoc) manifestDoc {
	m := manifestDoc{
		Index: f.Index, Dir: dir, StampNs: f.Stamp, Clock: f.Clock, Cameras: []string{},
		SensorsTotal: d.Summary.Sensors, SensorsOK: d.Summary.Present,
		Missing: d.Summary.Missing, Degraded: d.Summary.Degraded,
	}
	if d.Lidar != nil {
		m.LidarPoints = d.Lidar.Points
	}
	if d.Radar != nil {
		m.RadarPoints = d.Radar.Points
	}
	for _, c := range d.Cameras {
		m.Cameras = append(m.Cameras, c.Name)
	}
	return m
}
