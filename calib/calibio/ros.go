package calibio

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
)

type rosMatrix struct {
	Rows int       `yaml:"rows"`
	Cols int       `yaml:"cols"`
	Data []float64 `yaml:"data"`
}

func (m *rosMatrix) get(what string, rows, cols int) ([]float64, error) {
	if m == nil {
		return nil, nil
	}
	if (rows > 0 && m.Rows != rows) || (cols > 0 && m.Cols != cols) || len(m.Data) != m.Rows*m.Cols {
		return nil, fmt.Errorf("calibio: %s is %dx%d with %d values", what, m.Rows, m.Cols, len(m.Data))
	}
	return m.Data, nil
}

type rosCameraInfo struct {
	ImageWidth      int        `yaml:"image_width"`
	ImageHeight     int        `yaml:"image_height"`
	CameraName      string     `yaml:"camera_name"`
	CameraMatrix    *rosMatrix `yaml:"camera_matrix"`
	DistortionModel string     `yaml:"distortion_model"`
	Distortion      *rosMatrix `yaml:"distortion_coefficients"`
	Rectification   *rosMatrix `yaml:"rectification_matrix"`
	Projection      *rosMatrix `yaml:"projection_matrix"`
}

func fixedR(v []float64) *[9]float64 {
	if len(v) != 9 {
		return nil
	}
	a := [9]float64(v)
	return &a
}

func fixedP(v []float64) *[12]float64 {
	if len(v) != 12 {
		return nil
	}
	a := [12]float64(v)
	return &a
}

// cameraFromROS builds a Camera from ROS-style K, D, R, P.
func cameraFromROS(name string, w, h int, model string, k, d, r, p []float64) (Camera, error) {
	in, err := intrFromK(k, "K")
	if err != nil {
		return Camera{}, err
	}
	in.Width, in.Height = w, h
	m, params, err := distModel(model, d)
	if err != nil {
		return Camera{}, err
	}
	if r != nil && len(r) != 9 {
		return Camera{}, fmt.Errorf("calibio: R has %d values, want 9", len(r))
	}
	if p != nil && len(p) != 12 {
		return Camera{}, fmt.Errorf("calibio: P has %d values, want 12", len(p))
	}
	return Camera{Name: name, Model: m, Intrinsics: in, Params: params, R: fixedR(r), P: fixedP(p)}, nil
}

func readROSCameraInfo(b []byte) (*Calibration, error) {
	var f rosCameraInfo
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("calibio: ros_camera_info: %w", err)
	}
	k, err := f.CameraMatrix.get("camera_matrix", 3, 3)
	if err != nil {
		return nil, err
	}
	d, err := f.Distortion.get("distortion_coefficients", 1, 0)
	if err != nil {
		return nil, err
	}
	r, err := f.Rectification.get("rectification_matrix", 3, 3)
	if err != nil {
		return nil, err
	}
	p, err := f.Projection.get("projection_matrix", 3, 4)
	if err != nil {
		return nil, err
	}
	cam, err := cameraFromROS(f.CameraName, f.ImageWidth, f.ImageHeight, f.DistortionModel, k, d, r, p)
	if err != nil {
		return nil, err
	}
	return &Calibration{Cameras: []Camera{cam}}, nil
}

// rosModel returns the ROS distortion_model name and D of a camera.
func rosModel(c Camera) (string, []float64, error) {
	switch c.Model {
	case "plumb_bob", "rational_polynomial", "equidistant":
		d := c.Params
		if d == nil {
			d = []float64{0, 0, 0, 0, 0}
		}
		return c.Model, d, nil
	}
	return "", nil, fmt.Errorf("%w: a %s camera (ROS has no such distortion_model)", ErrCannotHold, c.Model)
}

func oneCamera(c *Calibration, f Format) (Camera, error) {
	if len(c.Extrinsics) > 0 {
		return Camera{}, fmt.Errorf("%w: %d transforms (%s holds one camera's intrinsics only)", ErrCannotHold, len(c.Extrinsics), f)
	}
	if len(c.Cameras) != 1 {
		return Camera{}, fmt.Errorf("%w: %d cameras (%s holds exactly one)", ErrCannotHold, len(c.Cameras), f)
	}
	return c.Cameras[0], nil
}

func rectOrIdentity(c Camera) []float64 {
	if c.R != nil {
		return c.R[:]
	}
	return []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}
}

func projOrK(c Camera) []float64 {
	if c.P != nil {
		return c.P[:]
	}
	in := c.Intrinsics
	return []float64{in.Fx, 0, in.Cx, 0, 0, in.Fy, in.Cy, 0, 0, 0, 1, 0}
}

func writeROSCameraInfo(buf *bytes.Buffer, c *Calibration) error {
	cam, err := oneCamera(c, ROSCameraInfo)
	if err != nil {
		return err
	}
	model, d, err := rosModel(cam)
	if err != nil {
		return err
	}
	name := cam.Name
	if name == "" {
		name = "camera"
	}
	fmt.Fprintf(buf, "image_width: %d\nimage_height: %d\ncamera_name: %s\n", cam.Intrinsics.Width, cam.Intrinsics.Height, yamlString(name))
	fmt.Fprintf(buf, "camera_matrix:\n  rows: 3\n  cols: 3\n  data: %s\n", fmtList(kFromIntr(cam.Intrinsics)))
	fmt.Fprintf(buf, "distortion_model: %s\n", model)
	fmt.Fprintf(buf, "distortion_coefficients:\n  rows: 1\n  cols: %d\n  data: %s\n", len(d), fmtList(d))
	fmt.Fprintf(buf, "rectification_matrix:\n  rows: 3\n  cols: 3\n  data: %s\n", fmtList(rectOrIdentity(cam)))
	fmt.Fprintf(buf, "projection_matrix:\n  rows: 3\n  cols: 4\n  data: %s\n", fmtList(projOrK(cam)))
	return nil
}

// yamlString quotes s when plain YAML would not read it back as the same
// string.
func yamlString(s string) string {
	var back string
	if err := yaml.Unmarshal([]byte("v: "+s), &struct {
		V *string `yaml:"v"`
	}{&back}); err == nil && back == s && s != "" {
		var probe any
		if yaml.Unmarshal([]byte(s), &probe) == nil {
			if _, isStr := probe.(string); isStr {
				return s
			}
		}
	}
	out, _ := yaml.Marshal(s)
	return string(bytes.TrimSpace(out))
}

type cameraInfoMsg struct {
	Header struct {
		FrameID string `yaml:"frame_id"`
	} `yaml:"header"`
	Height          int       `yaml:"height"`
	Width           int       `yaml:"width"`
	DistortionModel string    `yaml:"distortion_model"`
	D               []float64 `yaml:"D"`
	K               []float64 `yaml:"K"`
	R               []float64 `yaml:"R"`
	P               []float64 `yaml:"P"`
	// ROS 2 spells the fields in lower case.
	D2 []float64 `yaml:"d"`
	K2 []float64 `yaml:"k"`
	R2 []float64 `yaml:"r"`
	P2 []float64 `yaml:"p"`
}

func readCameraInfoMsg(b []byte) (*Calibration, error) {
	var f cameraInfoMsg
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("calibio: camerainfo_msg: %w", err)
	}
	pick := func(a, b []float64) []float64 {
		if a != nil {
			return a
		}
		return b
	}
	k, d, r, p := pick(f.K, f.K2), pick(f.D, f.D2), pick(f.R, f.R2), pick(f.P, f.P2)
	cam, err := cameraFromROS(f.Header.FrameID, f.Width, f.Height, f.DistortionModel, k, d, r, p)
	if err != nil {
		return nil, err
	}
	cam.Frame = f.Header.FrameID
	return &Calibration{Cameras: []Camera{cam}}, nil
}

func writeCameraInfoMsg(buf *bytes.Buffer, c *Calibration) error {
	cam, err := oneCamera(c, ROSCameraInfoMsg)
	if err != nil {
		return err
	}
	model, d, err := rosModel(cam)
	if err != nil {
		return err
	}
	frame := cam.Frame
	if frame == "" {
		frame = cam.Name
	}
	fmt.Fprintf(buf, "header:\n  frame_id: %s\nheight: %d\nwidth: %d\ndistortion_model: %s\n", yamlString(frame), cam.Intrinsics.Height, cam.Intrinsics.Width, model)
	fmt.Fprintf(buf, "D: %s\nK: %s\nR: %s\nP: %s\n", fmtList(d), fmtList(kFromIntr(cam.Intrinsics)), fmtList(rectOrIdentity(cam)), fmtList(projOrK(cam)))
	return nil
}

// FromCameraInfo converts a camera calibration decoded from a log
// (sensor_msgs/CameraInfo or foxglove CameraCalibration) into a Camera.
func FromCameraInfo(name, frame string, ci formats.CameraInfo) (Camera, error) {
	r, p := ci.R[:], ci.P[:]
	if ci.R == ([9]float64{}) {
		r = nil
	}
	if ci.P == ([12]float64{}) {
		p = nil
	}
	cam, err := cameraFromROS(name, ci.Width, ci.Height, ci.DistortionModel, ci.K[:], ci.D, r, p)
	if err != nil {
		return Camera{}, err
	}
	cam.Frame = frame
	if _, err := cam.Build(); err != nil {
		return Camera{}, err
	}
	return cam, nil
}

// FromTransforms converts a decoded TFMessage (/tf_static) into extrinsics.
func FromTransforms(tfs formats.Transforms) ([]Extrinsic, error) {
	out := make([]Extrinsic, 0, len(tfs.Transforms))
	for i, t := range tfs.Transforms {
		q := t.Rotation
		T, err := se3.FromQuatWXYZ(q.Real, q.Imag, q.Jmag, q.Kmag, t.Translation)
		if err != nil {
			return nil, fmt.Errorf("calibio: transform %d (%s→%s): %w", i, t.Parent, t.Child, err)
		}
		out = append(out, Extrinsic{Parent: t.Parent, Child: t.Child, T: T})
	}
	return out, nil
}
