package calibio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gonum.org/v1/gonum/spatial/r3"
	"gopkg.in/yaml.v3"

	"github.com/rigsync/rigsync/calib/se3"
)

// ---- nuScenes calibrated_sensor.json ----

// NuScenesEgo is the parent frame of nuScenes calibrated_sensor records
// (the ego vehicle frame, origin at the rear axle centre).
const NuScenesEgo = "ego"

type nuRecord struct {
	Token           string      `json:"token"`
	SensorToken     string      `json:"sensor_token"`
	Translation     []float64   `json:"translation"`
	Rotation        []float64   `json:"rotation"`
	CameraIntrinsic [][]float64 `json:"camera_intrinsic"`
}

func readNuScenes(b []byte) (*Calibration, error) {
	var recs []nuRecord
	if err := json.Unmarshal(b, &recs); err != nil {
		return nil, fmt.Errorf("calibio: nuscenes: %w", err)
	}
	c := &Calibration{}
	for i, r := range recs {
		if r.Token == "" {
			return nil, fmt.Errorf("calibio: nuscenes record %d has no token", i)
		}
		if len(r.Translation) != 3 || len(r.Rotation) != 4 {
			return nil, fmt.Errorf("calibio: nuscenes record %d: translation has %d values, rotation %d (want 3 and 4)", i, len(r.Translation), len(r.Rotation))
		}
		// rotation is w,x,y,z; the record is the sensor pose in ego: T_ego_sensor.
		T, err := se3.FromQuatWXYZ(r.Rotation[0], r.Rotation[1], r.Rotation[2], r.Rotation[3],
			r3.Vec{X: r.Translation[0], Y: r.Translation[1], Z: r.Translation[2]})
		if err != nil {
			return nil, fmt.Errorf("calibio: nuscenes record %d: %w", i, err)
		}
		c.Extrinsics = append(c.Extrinsics, Extrinsic{Parent: NuScenesEgo, Child: r.Token, T: T})
		if r.SensorToken != "" {
			c.setString(r.Token+".sensor_token", r.SensorToken)
		}
		if len(r.CameraIntrinsic) > 0 {
			if len(r.CameraIntrinsic) != 3 {
				return nil, fmt.Errorf("calibio: nuscenes record %d: camera_intrinsic has %d rows", i, len(r.CameraIntrinsic))
			}
			var k []float64
			for _, row := range r.CameraIntrinsic {
				k = append(k, row...)
			}
			// Images are already undistorted.
			cam, err := cameraFromROS(r.Token, 0, 0, "plumb_bob", k, nil, nil, nil)
			if err != nil {
				return nil, fmt.Errorf("calibio: nuscenes record %d: %w", i, err)
			}
			cam.Frame = r.Token
			c.Cameras = append(c.Cameras, cam)
		}
	}
	return c, nil
}

func writeNuScenes(buf *bytes.Buffer, c *Calibration) error {
	var recs []nuRecord
	for _, e := range c.Extrinsics {
		if e.Parent != NuScenesEgo {
			return fmt.Errorf("%w: transform %s→%s (nuScenes records are ego→sensor)", ErrCannotHold, e.Parent, e.Child)
		}
		q := e.T.QuatWXYZ()
		r := nuRecord{Token: e.Child, SensorToken: c.Strings[e.Child+".sensor_token"],
			Translation: []float64{e.T.Trans.X, e.T.Trans.Y, e.T.Trans.Z}, Rotation: q[:], CameraIntrinsic: [][]float64{}}
		if cam, err := c.Camera(e.Child); err == nil {
			if cam.Params != nil && !allZero(cam.Params) {
				return fmt.Errorf("%w: camera %s has distortion (nuScenes images are undistorted)", ErrCannotHold, cam.Name)
			}
			k := kFromIntr(cam.Intrinsics)
			r.CameraIntrinsic = [][]float64{k[0:3], k[3:6], k[6:9]}
		}
		recs = append(recs, r)
	}
	for _, cam := range c.Cameras {
		if _, ok := findExtrinsic(c, NuScenesEgo, cam.Name); !ok {
			return fmt.Errorf("%w: camera %s without an ego→%s transform", ErrCannotHold, cam.Name, cam.Name)
		}
	}
	out, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		return err
	}
	buf.Write(out)
	buf.WriteByte('\n')
	return nil
}

func allZero(v []float64) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// ---- OpenCV FileStorage YAML ----

var ocvTag = regexp.MustCompile(`!!opencv-[a-z]+`)

type ocvMatrix struct {
	Rows int       `yaml:"rows"`
	Cols int       `yaml:"cols"`
	Dt   string    `yaml:"dt"`
	Data []float64 `yaml:"data"`
}

// Matrix is a named matrix kept from a file for lossless round trips.
type Matrix struct {
	Rows, Cols int
	Data       []float64
}

// ocvNumericKeys are the scalars OpenCV's calibration sample writes, which
// must be numbers (other scalars are kept as strings).
var ocvNumericKeys = map[string]bool{"image_width": true, "image_height": true, "nframes": true, "board_width": true,
	"board_height": true, "square_size": true, "aspectRatio": true, "flags": true, "avg_reprojection_error": true}

var ocvCamKeys = []string{"camera_matrix", "cameraMatrix", "K", "M1"}
var ocvDistKeys = []string{"distortion_coefficients", "dist_coeffs", "distCoeffs", "D", "D1"}

// opencvText is an OpenCV FileStorage YAML without what trips strict YAML
// parsers: the "%YAML:1.0" directive (its line left empty, so that line
// numbers stay those of the file) and the "!!opencv-matrix" tags.
func opencvText(b []byte) string {
	s := string(b)
	if strings.HasPrefix(strings.TrimSpace(s), "%YAML") {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i:]
		} else {
			s = ""
		}
	}
	return ocvTag.ReplaceAllString(s, "")
}

func readOpenCV(b []byte) (*Calibration, error) {
	s := opencvText(b)
	var m map[string]yaml.Node
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("calibio: opencv: %w", err)
	}
	c := &Calibration{}
	mats := map[string]ocvMatrix{}
	for k, n := range m {
		switch n.Kind {
		case yaml.ScalarNode:
			var f float64
			if err := n.Decode(&f); err == nil {
				c.setScalar(k, f)
			} else if ocvNumericKeys[k] {
				return nil, fmt.Errorf("calibio: opencv line %d: %s: %q is not a number", n.Line, k, n.Value)
			} else {
				c.setString(k, n.Value)
			}
		case yaml.MappingNode:
			var mm ocvMatrix
			if err := n.Decode(&mm); err != nil {
				return nil, fmt.Errorf("calibio: opencv %s: %w", k, err)
			}
			if mm.Rows < 0 || mm.Cols < 0 || len(mm.Data) != mm.Rows*mm.Cols {
				return nil, fmt.Errorf("calibio: opencv %s is %dx%d with %d values", k, mm.Rows, mm.Cols, len(mm.Data))
			}
			mats[k] = mm
		}
	}
	var kk, dd string
	for _, k := range ocvCamKeys {
		if _, ok := mats[k]; ok {
			kk = k
			break
		}
	}
	for _, k := range ocvDistKeys {
		if _, ok := mats[k]; ok {
			dd = k
			break
		}
	}
	if kk == "" {
		return nil, fmt.Errorf("calibio: opencv: no camera matrix (looked for %v)", ocvCamKeys)
	}
	var d []float64
	if dd != "" {
		d = mats[dd].Data
	}
	w, h := int(c.Scalars["image_width"]), int(c.Scalars["image_height"])
	cam, err := cameraFromROS("camera", w, h, "", mats[kk].Data, d, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("calibio: opencv %s: %w", kk, err)
	}
	c.Cameras = []Camera{cam}
	c.setString("opencv.camera_key", kk)
	if dd != "" {
		c.setString("opencv.dist_key", dd)
		c.setString("opencv.dist_shape", fmt.Sprintf("%dx%d", mats[dd].Rows, mats[dd].Cols))
	}
	for k, mm := range mats {
		if k == kk || k == dd {
			continue
		}
		if c.Matrices == nil {
			c.Matrices = map[string]Matrix{}
		}
		c.Matrices[k] = Matrix{Rows: mm.Rows, Cols: mm.Cols, Data: mm.Data}
		c.setString("opencv.dt."+k, mm.Dt)
	}
	return c, nil
}

func ocvWriteMatrix(buf *bytes.Buffer, k string, rows, cols int, dt string, data []float64) {
	if dt == "" {
		dt = "d"
	}
	fmt.Fprintf(buf, "%s: !!opencv-matrix\n   rows: %d\n   cols: %d\n   dt: %s\n   data: %s\n", k, rows, cols, dt, fmtList(data))
}

func writeOpenCV(buf *bytes.Buffer, c *Calibration) error {
	cam, err := oneCamera(c, OpenCV)
	if err != nil {
		return err
	}
	if cam.Model != "plumb_bob" && cam.Model != "rational_polynomial" {
		return fmt.Errorf("%w: a %s camera (cv::calibrateCamera model only)", ErrCannotHold, cam.Model)
	}
	buf.WriteString("%YAML:1.0\n---\n")
	skip := map[string]bool{}
	if cam.Intrinsics.Width > 0 {
		fmt.Fprintf(buf, "image_width: %d\nimage_height: %d\n", cam.Intrinsics.Width, cam.Intrinsics.Height)
		skip["image_width"], skip["image_height"] = true, true
	}
	for _, k := range sortedKeys(c.Scalars) {
		if !skip[k] && !strings.Contains(k, ".") {
			fmt.Fprintf(buf, "%s: %s\n", k, fmtF(c.Scalars[k]))
		}
	}
	kk := c.Strings["opencv.camera_key"]
	if kk == "" {
		kk = "camera_matrix"
	}
	ocvWriteMatrix(buf, kk, 3, 3, "d", kFromIntr(cam.Intrinsics))
	dd := c.Strings["opencv.dist_key"]
	if dd == "" {
		dd = "distortion_coefficients"
	}
	d := cam.Params
	if d == nil {
		d = []float64{0, 0, 0, 0, 0}
	}
	rows, cols := len(d), 1
	if c.Strings["opencv.dist_shape"] == fmt.Sprintf("1x%d", len(d)) {
		rows, cols = 1, len(d)
	}
	ocvWriteMatrix(buf, dd, rows, cols, "d", d)
	for _, k := range sortedKeys(c.Matrices) {
		m := c.Matrices[k]
		ocvWriteMatrix(buf, k, m.Rows, m.Cols, c.Strings["opencv.dt."+k], m.Data)
	}
	return nil
}

// ---- Autoware sensor_kit_calibration.yaml ----

type autowareEntry struct {
	X     *float64 `yaml:"x"`
	Y     *float64 `yaml:"y"`
	Z     *float64 `yaml:"z"`
	Roll  *float64 `yaml:"roll"`
	Pitch *float64 `yaml:"pitch"`
	Yaw   *float64 `yaml:"yaw"`
}

func readAutoware(b []byte) (*Calibration, error) {
	var f map[string]map[string]autowareEntry
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("calibio: autoware: %w", err)
	}
	c := &Calibration{}
	for _, parent := range sortedKeys(f) {
		for _, child := range sortedKeys(f[parent]) {
			e := f[parent][child]
			for _, p := range []struct {
				n string
				v *float64
			}{{"x", e.X}, {"y", e.Y}, {"z", e.Z}, {"roll", e.Roll}, {"pitch", e.Pitch}, {"yaw", e.Yaw}} {
				if p.v == nil {
					return nil, fmt.Errorf("calibio: autoware %s→%s: missing %s", parent, child, p.n)
				}
			}
			// URDF <origin xyz rpy>: T_parent_child, R = Rz(yaw) Ry(pitch) Rx(roll).
			T, err := se3.FromRPY(*e.Roll, *e.Pitch, *e.Yaw, r3.Vec{X: *e.X, Y: *e.Y, Z: *e.Z})
			if err != nil {
				return nil, fmt.Errorf("calibio: autoware %s→%s: %w", parent, child, err)
			}
			c.Extrinsics = append(c.Extrinsics, Extrinsic{Parent: parent, Child: child, T: T})
		}
	}
	return c, nil
}

func noCameras(c *Calibration, f Format) error {
	if len(c.Cameras) > 0 {
		return fmt.Errorf("%w: %d cameras (%s holds transforms only)", ErrCannotHold, len(c.Cameras), f)
	}
	return nil
}

func writeAutoware(buf *bytes.Buffer, c *Calibration) error {
	if err := noCameras(c, Autoware); err != nil {
		return err
	}
	if len(c.Extrinsics) == 0 {
		return fmt.Errorf("%w: no transforms", ErrCannotHold)
	}
	byParent := map[string][]Extrinsic{}
	for _, e := range c.Extrinsics {
		byParent[e.Parent] = append(byParent[e.Parent], e)
	}
	for _, p := range sortedKeys(byParent) {
		fmt.Fprintf(buf, "%s:\n", yamlString(p))
		es := byParent[p]
		sort.SliceStable(es, func(i, j int) bool { return es[i].Child < es[j].Child })
		for _, e := range es {
			r, pi, y := e.T.RPY()
			fmt.Fprintf(buf, "  %s:\n    x: %s\n    y: %s\n    z: %s\n    roll: %s\n    pitch: %s\n    yaw: %s\n",
				yamlString(e.Child), fmtF(e.T.Trans.X), fmtF(e.T.Trans.Y), fmtF(e.T.Trans.Z), fmtF(r), fmtF(pi), fmtF(y))
		}
	}
	return nil
}

// ---- Apollo extrinsics (TransformStamped YAML) ----

type apolloXYZ struct {
	X *float64 `yaml:"x"`
	Y *float64 `yaml:"y"`
	Z *float64 `yaml:"z"`
	W *float64 `yaml:"w"`
}

type apolloFile struct {
	Header struct {
		Seq   *int64 `yaml:"seq"`
		Stamp struct {
			Secs  *int64 `yaml:"secs"`
			Nsecs *int64 `yaml:"nsecs"`
		} `yaml:"stamp"`
		FrameID string `yaml:"frame_id"`
	} `yaml:"header"`
	ChildFrameID string `yaml:"child_frame_id"`
	Transform    struct {
		Translation apolloXYZ `yaml:"translation"`
		Rotation    apolloXYZ `yaml:"rotation"`
	} `yaml:"transform"`
}

func readApollo(b []byte) (*Calibration, error) {
	var f apolloFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("calibio: apollo: %w", err)
	}
	t, q := f.Transform.Translation, f.Transform.Rotation
	if t.X == nil || t.Y == nil || t.Z == nil || q.X == nil || q.Y == nil || q.Z == nil || q.W == nil {
		return nil, fmt.Errorf("calibio: apollo: transform.translation{x,y,z} and transform.rotation{x,y,z,w} are required")
	}
	if f.Header.FrameID == "" || f.ChildFrameID == "" {
		return nil, fmt.Errorf("calibio: apollo: header.frame_id %q and child_frame_id %q must be set", f.Header.FrameID, f.ChildFrameID)
	}
	// ROS TransformStamped: child pose in parent, quaternion x,y,z,w.
	T, err := se3.FromQuatXYZW(*q.X, *q.Y, *q.Z, *q.W, r3.Vec{X: *t.X, Y: *t.Y, Z: *t.Z})
	if err != nil {
		return nil, fmt.Errorf("calibio: apollo transform.rotation: %w", err)
	}
	c := &Calibration{Extrinsics: []Extrinsic{{Parent: f.Header.FrameID, Child: f.ChildFrameID, T: T}}}
	if s := f.Header.Stamp.Secs; s != nil {
		c.setScalar("stamp.secs", float64(*s))
	}
	if s := f.Header.Stamp.Nsecs; s != nil {
		c.setScalar("stamp.nsecs", float64(*s))
	}
	return c, nil
}

func writeApollo(buf *bytes.Buffer, c *Calibration) error {
	if err := noCameras(c, ApolloExtrinsics); err != nil {
		return err
	}
	if len(c.Extrinsics) != 1 {
		return fmt.Errorf("%w: %d transforms (apollo extrinsics hold one)", ErrCannotHold, len(c.Extrinsics))
	}
	e := c.Extrinsics[0]
	q := e.T.QuatXYZW()
	fmt.Fprintf(buf, "header:\n  seq: 0\n  stamp:\n    secs: %d\n    nsecs: %d\n  frame_id: %s\n", int64(c.Scalars["stamp.secs"]), int64(c.Scalars["stamp.nsecs"]), yamlString(e.Parent))
	fmt.Fprintf(buf, "child_frame_id: %s\ntransform:\n  translation:\n    x: %s\n    y: %s\n    z: %s\n", yamlString(e.Child), fmtF(e.T.Trans.X), fmtF(e.T.Trans.Y), fmtF(e.T.Trans.Z))
	fmt.Fprintf(buf, "  rotation:\n    x: %s\n    y: %s\n    z: %s\n    w: %s\n", fmtF(q[0]), fmtF(q[1]), fmtF(q[2]), fmtF(q[3]))
	return nil
}

// ---- OpenCalib JSON ----

type ocMat struct {
	Rows       int         `json:"rows"`
	Cols       int         `json:"cols"`
	Type       int         `json:"type"`
	Continuous bool        `json:"continuous"`
	Data       [][]float64 `json:"data"`
}

func (m *ocMat) flat(what string) ([]float64, error) {
	if m == nil {
		return nil, nil
	}
	if len(m.Data) != m.Rows {
		return nil, fmt.Errorf("calibio: opencalib %s has %d rows, says %d", what, len(m.Data), m.Rows)
	}
	var out []float64
	for i, r := range m.Data {
		if len(r) != m.Cols {
			return nil, fmt.Errorf("calibio: opencalib %s row %d has %d values, says %d", what, i, len(r), m.Cols)
		}
		out = append(out, r...)
	}
	return out, nil
}

type ocEntry struct {
	SensorName       string `json:"sensor_name"`
	TargetSensorName string `json:"target_sensor_name"`
	DeviceType       string `json:"device_type"`
	ParamType        string `json:"param_type"`
	Param            struct {
		ImgDistW    *int     `json:"img_dist_w,omitempty"`
		ImgDistH    *int     `json:"img_dist_h,omitempty"`
		CamK        *ocMat   `json:"cam_K,omitempty"`
		CamDist     *ocMat   `json:"cam_dist,omitempty"`
		TimeLag     *float64 `json:"time_lag,omitempty"`
		SensorCalib *ocMat   `json:"sensor_calib,omitempty"`
	} `json:"param"`
}

func readOpenCalib(b []byte) (*Calibration, error) {
	var f map[string]ocEntry
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("calibio: opencalib: %w", err)
	}
	c := &Calibration{}
	for _, key := range sortedKeys(f) {
		e := f[key]
		switch e.ParamType {
		case "intrinsic":
			k, err := e.Param.CamK.flat(key + ".cam_K")
			if err != nil {
				return nil, err
			}
			d, err := e.Param.CamDist.flat(key + ".cam_dist")
			if err != nil {
				return nil, err
			}
			w, h := 0, 0
			if e.Param.ImgDistW != nil && e.Param.ImgDistH != nil {
				w, h = *e.Param.ImgDistW, *e.Param.ImgDistH
			}
			cam, err := cameraFromROS(e.SensorName, w, h, "plumb_bob", k, d, nil, nil)
			if err != nil {
				return nil, fmt.Errorf("calibio: opencalib %s: %w", key, err)
			}
			cam.Frame = e.SensorName
			c.Cameras = append(c.Cameras, cam)
		case "extrinsic":
			m, err := e.Param.SensorCalib.flat(key + ".sensor_calib")
			if err != nil {
				return nil, err
			}
			if len(m) != 16 {
				return nil, fmt.Errorf("calibio: opencalib %s: sensor_calib has %d values, want 16", key, len(m))
			}
			var m4 [4][4]float64
			for i := range m4 {
				m4[i] = [4]float64(m[4*i : 4*i+4])
			}
			T, err := se3.FromMatrix4(m4)
			if err != nil {
				return nil, fmt.Errorf("calibio: opencalib %s: %w", key, err)
			}
			// "A-to-B": p_B = T p_A, i.e. T_B_A.
			c.Extrinsics = append(c.Extrinsics, Extrinsic{Parent: e.TargetSensorName, Child: e.SensorName, T: T})
			if e.Param.TimeLag != nil {
				c.setScalar(e.SensorName+"-to-"+e.TargetSensorName+".time_lag", *e.Param.TimeLag)
			}
		default:
			return nil, fmt.Errorf("calibio: opencalib %s: unknown param_type %q", key, e.ParamType)
		}
	}
	return c, nil
}

func ocRows(v []float64, rows, cols int) *ocMat {
	m := &ocMat{Rows: rows, Cols: cols, Type: 6, Continuous: true}
	for i := 0; i < rows; i++ {
		m.Data = append(m.Data, v[i*cols:(i+1)*cols])
	}
	return m
}

func writeOpenCalib(buf *bytes.Buffer, c *Calibration) error {
	out := map[string]ocEntry{}
	for _, cam := range c.Cameras {
		if cam.Model != "plumb_bob" {
			return fmt.Errorf("%w: a %s camera (OpenCalib stores pinhole k1 k2 p1 p2 [k3])", ErrCannotHold, cam.Model)
		}
		var e ocEntry
		e.SensorName, e.TargetSensorName, e.DeviceType, e.ParamType = cam.Name, cam.Name, "camera", "intrinsic"
		w, h := cam.Intrinsics.Width, cam.Intrinsics.Height
		e.Param.ImgDistW, e.Param.ImgDistH = &w, &h
		e.Param.CamK = ocRows(kFromIntr(cam.Intrinsics), 3, 3)
		d := cam.Params
		if len(d) == 5 && d[4] == 0 {
			d = d[:4]
		}
		if d == nil {
			d = []float64{0, 0, 0, 0}
		}
		e.Param.CamDist = ocRows(d, 1, len(d))
		out[cam.Name+"-intrinsic"] = e
	}
	for _, x := range c.Extrinsics {
		var e ocEntry
		e.SensorName, e.TargetSensorName, e.DeviceType, e.ParamType = x.Child, x.Parent, "relational", "extrinsic"
		lag := c.Scalars[x.Child+"-to-"+x.Parent+".time_lag"]
		e.Param.TimeLag = &lag
		m := x.T.Matrix4()
		e.Param.SensorCalib = ocRows(append(append(append(m[0][:], m[1][:]...), m[2][:]...), m[3][:]...), 4, 4)
		out[x.Child+"-to-"+x.Parent+"-extrinsic"] = e
	}
	if len(out) == 0 {
		return fmt.Errorf("%w: nothing to write", ErrCannotHold)
	}
	b, err := json.MarshalIndent(out, "", "    ")
	if err != nil {
		return err
	}
	buf.Write(b)
	buf.WriteByte('\n')
	return nil
}

// ---- nuScenes sensor.json ----

type nuSensor struct {
	Token    string `json:"token"`
	Channel  string `json:"channel"`
	Modality string `json:"modality"`
}

func readNuScenesSensor(b []byte) (*Calibration, error) {
	var recs []nuSensor
	if err := json.Unmarshal(b, &recs); err != nil {
		return nil, fmt.Errorf("calibio: nuscenes sensor: %w", err)
	}
	c := &Calibration{}
	for i, r := range recs {
		if r.Token == "" || r.Channel == "" {
			return nil, fmt.Errorf("calibio: nuscenes sensor record %d: token %q, channel %q", i, r.Token, r.Channel)
		}
		c.setString(r.Token+".channel", r.Channel)
		c.setString(r.Token+".modality", r.Modality)
	}
	return c, nil
}

func writeNuScenesSensor(buf *bytes.Buffer, c *Calibration) error {
	if len(c.Cameras)+len(c.Extrinsics) > 0 {
		return fmt.Errorf("%w: cameras and transforms (sensor.json holds channel names only)", ErrCannotHold)
	}
	var recs []nuSensor
	for _, k := range sortedKeys(c.Strings) {
		if tok, ok := strings.CutSuffix(k, ".channel"); ok {
			recs = append(recs, nuSensor{Token: tok, Channel: c.Strings[k], Modality: c.Strings[tok+".modality"]})
		}
	}
	if len(recs) == 0 {
		return fmt.Errorf("%w: no <token>.channel entries", ErrCannotHold)
	}
	out, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		return err
	}
	buf.Write(out)
	buf.WriteByte('\n')
	return nil
}

// NuScenesJoin names the frames of a calibrated_sensor table by the
// channel of its sensor (CAM_FRONT, LIDAR_TOP, …) using a sensor.json
// table; records whose sensor is unknown keep their token.
func NuScenesJoin(calibrated, sensors *Calibration) *Calibration {
	out := &Calibration{Format: calibrated.Format, Scalars: calibrated.Scalars, Strings: map[string]string{}}
	name := func(tok string) string {
		if ch, ok := sensors.Strings[calibrated.Strings[tok+".sensor_token"]+".channel"]; ok {
			return ch
		}
		return tok
	}
	for k, v := range calibrated.Strings {
		out.Strings[k] = v
	}
	for _, e := range calibrated.Extrinsics {
		out.Extrinsics = append(out.Extrinsics, Extrinsic{Parent: e.Parent, Child: name(e.Child), T: e.T})
	}
	for _, cam := range calibrated.Cameras {
		cam.Name, cam.Frame = name(cam.Name), name(cam.Name)
		out.Cameras = append(out.Cameras, cam)
	}
	return out
}
