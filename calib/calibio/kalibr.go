package calibio

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rigsync/rigsync/calib/se3"
)

type kalibrCam struct {
	TCamIMU          [][]float64 `yaml:"T_cam_imu"`
	TIMUCam          [][]float64 `yaml:"T_imu_cam"` // OpenVINS' Kalibr-style configs: the inverse
	TCnCnm1          [][]float64 `yaml:"T_cn_cnm1"`
	CamOverlaps      []int       `yaml:"cam_overlaps"`
	CameraModel      string      `yaml:"camera_model"`
	DistortionCoeffs []float64   `yaml:"distortion_coeffs"`
	DistortionModel  string      `yaml:"distortion_model"`
	Intrinsics       []float64   `yaml:"intrinsics"`
	Resolution       []int       `yaml:"resolution"`
	Rostopic         string      `yaml:"rostopic"`
	TimeshiftCamIMU  *float64    `yaml:"timeshift_cam_imu"`
}

func mat4(rows [][]float64, what string) (se3.Transform, error) {
	if len(rows) != 4 {
		return se3.Transform{}, fmt.Errorf("calibio: %s has %d rows, want 4", what, len(rows))
	}
	var m [4][4]float64
	for i, r := range rows {
		if len(r) != 4 {
			return se3.Transform{}, fmt.Errorf("calibio: %s row %d has %d values, want 4", what, i, len(r))
		}
		m[i] = [4]float64(r)
	}
	T, err := se3.FromMatrix4(m)
	if err != nil {
		return se3.Transform{}, fmt.Errorf("calibio: %s: %w", what, err)
	}
	return T, nil
}

// camIndex returns n for "camN".
func camIndex(name string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(name, "cam"))
	return n, err == nil && strings.HasPrefix(name, "cam") && n >= 0
}

// KalibrIMUFrame is the frame name given to the IMU of a camchain-imucam
// file (Kalibr's T_cam_imu refers to imu0).
const KalibrIMUFrame = "imu0"

func readKalibr(b []byte) (*Calibration, error) {
	var f map[string]kalibrCam
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("calibio: kalibr: %w", err)
	}
	names := sortedKeys(f)
	sort.SliceStable(names, func(i, j int) bool {
		a, _ := camIndex(names[i])
		b, _ := camIndex(names[j])
		return a < b
	})
	c := &Calibration{}
	for _, name := range names {
		k := f[name]
		if _, ok := camIndex(name); !ok {
			return nil, fmt.Errorf("calibio: kalibr: key %q is not camN", name)
		}
		cam := Camera{Name: name, Frame: name, Topic: k.Rostopic}
		switch k.CameraModel {
		case "pinhole":
			if len(k.Intrinsics) != 4 {
				return nil, fmt.Errorf("calibio: kalibr %s: pinhole intrinsics has %d values, want 4 [fu fv pu pv]", name, len(k.Intrinsics))
			}
			cam.Intrinsics.Fx, cam.Intrinsics.Fy, cam.Intrinsics.Cx, cam.Intrinsics.Cy = k.Intrinsics[0], k.Intrinsics[1], k.Intrinsics[2], k.Intrinsics[3]
			switch k.DistortionModel {
			case "radtan":
				if len(k.DistortionCoeffs) != 4 {
					return nil, fmt.Errorf("calibio: kalibr %s: radtan has %d coefficients, want 4", name, len(k.DistortionCoeffs))
				}
				// Kalibr radtan is k1 k2 p1 p2 with no k3: append k3 = 0.
				cam.Model, cam.Params = "plumb_bob", append(append([]float64(nil), k.DistortionCoeffs...), 0)
			case "equidistant":
				cam.Model, cam.Params = "equidistant", k.DistortionCoeffs
			case "none":
				cam.Model = "plumb_bob"
			default:
				return nil, fmt.Errorf("calibio: kalibr %s: unsupported distortion_model %q", name, k.DistortionModel)
			}
		case "ds", "eucm":
			if len(k.Intrinsics) != 6 {
				return nil, fmt.Errorf("calibio: kalibr %s: %s intrinsics has %d values, want 6 [%s fu fv pu pv]", name, k.CameraModel, len(k.Intrinsics), map[string]string{"ds": "xi alpha", "eucm": "alpha beta"}[k.CameraModel])
			}
			if k.DistortionModel != "none" && k.DistortionModel != "" {
				return nil, fmt.Errorf("calibio: kalibr %s: %s with distortion %q is not supported", name, k.CameraModel, k.DistortionModel)
			}
			cam.Model, cam.Params = map[string]string{"ds": "double_sphere", "eucm": "eucm"}[k.CameraModel], k.Intrinsics[:2]
			cam.Intrinsics.Fx, cam.Intrinsics.Fy, cam.Intrinsics.Cx, cam.Intrinsics.Cy = k.Intrinsics[2], k.Intrinsics[3], k.Intrinsics[4], k.Intrinsics[5]
		default:
			return nil, fmt.Errorf("calibio: kalibr %s: unsupported camera_model %q", name, k.CameraModel)
		}
		if len(k.Resolution) == 2 {
			cam.Intrinsics.Width, cam.Intrinsics.Height = k.Resolution[0], k.Resolution[1]
		} else if k.Resolution != nil {
			return nil, fmt.Errorf("calibio: kalibr %s: resolution has %d values", name, len(k.Resolution))
		}
		c.Cameras = append(c.Cameras, cam)
		if k.TCamIMU != nil {
			T, err := mat4(k.TCamIMU, name+".T_cam_imu")
			if err != nil {
				return nil, err
			}
			// T_cam_imu maps IMU points into the camera: store T_imu_cam.
			c.Extrinsics = append(c.Extrinsics, Extrinsic{Parent: KalibrIMUFrame, Child: name, T: T.Inverse()})
		}
		if k.TIMUCam != nil {
			if k.TCamIMU != nil {
				return nil, fmt.Errorf("calibio: kalibr %s has both T_cam_imu and T_imu_cam (OpenVINS style); keep one", name)
			}
			T, err := mat4(k.TIMUCam, name+".T_imu_cam")
			if err != nil {
				return nil, err
			}
			c.Extrinsics = append(c.Extrinsics, Extrinsic{Parent: KalibrIMUFrame, Child: name, T: T})
		}
		if k.TCnCnm1 != nil {
			n, _ := camIndex(name)
			if n == 0 {
				return nil, fmt.Errorf("calibio: kalibr cam0 has T_cn_cnm1")
			}
			T, err := mat4(k.TCnCnm1, name+".T_cn_cnm1")
			if err != nil {
				return nil, err
			}
			// T_cn_cnm1 maps cam(n−1) points into cam n: store T_cnm1_cn.
			c.Extrinsics = append(c.Extrinsics, Extrinsic{Parent: fmt.Sprintf("cam%d", n-1), Child: name, T: T.Inverse()})
		}
		if k.TimeshiftCamIMU != nil {
			c.setScalar(name+".timeshift_cam_imu", *k.TimeshiftCamIMU)
		}
		if k.CamOverlaps != nil {
			s := make([]string, len(k.CamOverlaps))
			for i, o := range k.CamOverlaps {
				s[i] = strconv.Itoa(o)
			}
			c.setString(name+".cam_overlaps", strings.Join(s, ","))
		}
	}
	return c, nil
}

func writeMat4(buf *bytes.Buffer, key string, T se3.Transform) {
	m := T.Matrix4()
	fmt.Fprintf(buf, "  %s:\n", key)
	for _, r := range m {
		fmt.Fprintf(buf, "  - %s\n", fmtList(r[:]))
	}
}

func findExtrinsic(c *Calibration, parent, child string) (se3.Transform, bool) {
	for _, e := range c.Extrinsics {
		if e.Parent == parent && e.Child == child {
			return e.T, true
		}
		if e.Parent == child && e.Child == parent {
			return e.T.Inverse(), true
		}
	}
	return se3.Transform{}, false
}

func writeKalibr(buf *bytes.Buffer, c *Calibration) error {
	if len(c.Cameras) == 0 {
		return fmt.Errorf("%w: no camera (kalibr camchain needs one)", ErrCannotHold)
	}
	// Only imu0→camN and cam(N−1)→camN transforms have a place.
	held := 0
	for i, cam := range c.Cameras {
		if _, ok := findExtrinsic(c, KalibrIMUFrame, cam.Name); ok {
			held++
		}
		if i > 0 {
			if _, ok := findExtrinsic(c, c.Cameras[i-1].Name, cam.Name); ok {
				held++
			}
		}
	}
	if held != len(c.Extrinsics) {
		return fmt.Errorf("%w: %d of %d transforms are not imu0→camN or camN−1→camN", ErrCannotHold, len(c.Extrinsics)-held, len(c.Extrinsics))
	}
	for i, cam := range c.Cameras {
		name := fmt.Sprintf("cam%d", i)
		src := cam.Name
		fmt.Fprintf(buf, "%s:\n", name)
		if T, ok := findExtrinsic(c, KalibrIMUFrame, src); ok {
			writeMat4(buf, "T_cam_imu", T.Inverse())
		}
		if i > 0 {
			if T, ok := findExtrinsic(c, c.Cameras[i-1].Name, src); ok {
				writeMat4(buf, "T_cn_cnm1", T.Inverse())
			}
		}
		if s, ok := c.Strings[src+".cam_overlaps"]; ok {
			fmt.Fprintf(buf, "  cam_overlaps: [%s]\n", strings.ReplaceAll(s, ",", ", "))
		}
		in := cam.Intrinsics
		switch cam.Model {
		case "plumb_bob":
			d := cam.Params
			if len(d) == 5 && d[4] != 0 {
				return fmt.Errorf("%w: camera %q has k3=%g (Kalibr radtan has no k3)", ErrCannotHold, src, d[4])
			}
			if len(d) >= 4 {
				d = d[:4]
			} else {
				d = []float64{0, 0, 0, 0}
			}
			fmt.Fprintf(buf, "  camera_model: pinhole\n  distortion_coeffs: %s\n  distortion_model: radtan\n", fmtList(d))
			fmt.Fprintf(buf, "  intrinsics: %s\n", fmtList([]float64{in.Fx, in.Fy, in.Cx, in.Cy}))
		case "equidistant":
			fmt.Fprintf(buf, "  camera_model: pinhole\n  distortion_coeffs: %s\n  distortion_model: equidistant\n", fmtList(cam.Params))
			fmt.Fprintf(buf, "  intrinsics: %s\n", fmtList([]float64{in.Fx, in.Fy, in.Cx, in.Cy}))
		case "double_sphere", "eucm":
			fmt.Fprintf(buf, "  camera_model: %s\n  distortion_coeffs: []\n  distortion_model: none\n", map[string]string{"double_sphere": "ds", "eucm": "eucm"}[cam.Model])
			fmt.Fprintf(buf, "  intrinsics: %s\n", fmtList([]float64{cam.Params[0], cam.Params[1], in.Fx, in.Fy, in.Cx, in.Cy}))
		default:
			return fmt.Errorf("%w: a %s camera (Kalibr has no such model)", ErrCannotHold, cam.Model)
		}
		fmt.Fprintf(buf, "  resolution: [%d, %d]\n", in.Width, in.Height)
		if cam.Topic != "" {
			fmt.Fprintf(buf, "  rostopic: %s\n", yamlString(cam.Topic))
		}
		if v, ok := c.Scalars[src+".timeshift_cam_imu"]; ok {
			fmt.Fprintf(buf, "  timeshift_cam_imu: %s\n", fmtF(v))
		}
	}
	return nil
}

var kalibrIMUKeys = []string{"accelerometer_noise_density", "accelerometer_random_walk",
	"gyroscope_noise_density", "gyroscope_random_walk", "update_rate", "time_offset"}

func readKalibrIMU(b []byte) (*Calibration, error) {
	var f map[string]map[string]any
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("calibio: kalibr_imu: %w", err)
	}
	c := &Calibration{}
	for _, name := range sortedKeys(f) {
		imu := f[name]
		for _, k := range kalibrIMUKeys {
			if v, ok := imu[k]; ok {
				x, ok := toFloat(v)
				if !ok {
					return nil, fmt.Errorf("calibio: kalibr_imu %s.%s = %v is not a number", name, k, v)
				}
				c.setScalar(name+"."+k, x)
			}
		}
		if t, ok := imu["rostopic"].(string); ok {
			c.setString(name+".rostopic", t)
		}
		if rows, ok := imu["T_i_b"]; ok {
			m, err := toRows(rows)
			if err != nil {
				return nil, fmt.Errorf("calibio: kalibr_imu %s.T_i_b: %w", name, err)
			}
			T, err := mat4(m, name+".T_i_b")
			if err != nil {
				return nil, err
			}
			// T_i_b maps body points into the IMU frame: T_imu_body.
			c.Extrinsics = append(c.Extrinsics, Extrinsic{Parent: name, Child: "body", T: T})
		}
	}
	return c, nil
}

func writeKalibrIMU(buf *bytes.Buffer, c *Calibration) error {
	imus := map[string]bool{}
	for k := range c.Scalars {
		if n, _, ok := strings.Cut(k, "."); ok && strings.HasPrefix(n, "imu") {
			imus[n] = true
		}
	}
	if len(imus) == 0 {
		return fmt.Errorf("%w: no imuN values", ErrCannotHold)
	}
	for _, n := range sortedKeys(imus) {
		fmt.Fprintf(buf, "%s:\n", n)
		if T, ok := findExtrinsic(c, n, "body"); ok {
			writeMat4(buf, "T_i_b", T)
		}
		for _, k := range kalibrIMUKeys {
			if v, ok := c.Scalars[n+"."+k]; ok {
				fmt.Fprintf(buf, "  %s: %s\n", k, fmtF(v))
			}
		}
		if t, ok := c.Strings[n+".rostopic"]; ok {
			fmt.Fprintf(buf, "  rostopic: %s\n", yamlString(t))
		}
	}
	return nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	}
	return 0, false
}

func toRows(v any) ([][]float64, error) {
	rows, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not a list of rows")
	}
	out := make([][]float64, len(rows))
	for i, r := range rows {
		cols, ok := r.([]any)
		if !ok {
			return nil, fmt.Errorf("row %d is not a list", i)
		}
		for j, x := range cols {
			f, ok := toFloat(x)
			if !ok {
				return nil, fmt.Errorf("row %d col %d = %v is not a number", i, j, x)
			}
			out[i] = append(out[i], f)
		}
	}
	return out, nil
}
