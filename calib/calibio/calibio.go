package calibio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/calib/tftree"
)

// Format names a calibration file format.
type Format string

// Formats.
const (
	ROSCameraInfo    Format = "ros_camera_info"
	ROSCameraInfoMsg Format = "ros_camerainfo_msg"
	Kalibr           Format = "kalibr"
	KalibrIMU        Format = "kalibr_imu"
	KITTIRaw         Format = "kitti_raw"
	KITTIRigid       Format = "kitti_rigid"
	KITTIOdometry    Format = "kitti_odometry"
	NuScenes         Format = "nuscenes"
	NuScenesSensor   Format = "nuscenes_sensor"
	OpenCV           Format = "opencv"
	Autoware         Format = "autoware"
	ApolloExtrinsics Format = "apollo_extrinsics"
	OpenCalib        Format = "opencalib"
)

func (f Format) isKITTI() bool { return f == KITTIRaw || f == KITTIRigid || f == KITTIOdometry }

// Formats lists every supported format.
var Formats = []Format{ROSCameraInfo, ROSCameraInfoMsg, Kalibr, KalibrIMU, KITTIRaw, KITTIRigid,
	KITTIOdometry, NuScenes, NuScenesSensor, OpenCV, Autoware, ApolloExtrinsics, OpenCalib}

// MaxFileSize bounds what Read accepts; calibration files are small.
const MaxFileSize = 16 << 20

// ErrUnknownFormat is returned when Read cannot recognise the content.
var ErrUnknownFormat = errors.New("calibio: unknown calibration format")

// ErrCannotHold is returned when Write is asked to store something the
// target format has no place for.
var ErrCannotHold = errors.New("calibio: format cannot hold")

// Camera is one camera's intrinsic calibration.
type Camera struct {
	// Name is the sensor name (Kalibr cam0, ROS camera_name, OpenCalib
	// sensor_name, KITTI image_02).
	Name string
	// Frame is the optical frame id when the file names it.
	Frame string
	// Topic is the image topic when the file names it (Kalibr rostopic).
	Topic string
	// Model is a camera.New model name: plumb_bob, rational_polynomial,
	// equidistant, double_sphere or eucm.
	Model string
	// Intrinsics are fx, fy, cx, cy and the image size.
	Intrinsics camera.Intrinsics
	// Params are the model parameters in OpenCV order (plumb_bob: k1 k2 p1
	// p2 k3; equidistant: k1..k4; double_sphere: xi alpha; eucm: alpha beta).
	Params []float64
	// R (3×3) and P (3×4) are the ROS rectification and projection
	// matrices, row-major, when the file has them.
	R *[9]float64
	P *[12]float64
}

// Build returns the camera model.
func (c Camera) Build() (camera.Model, error) {
	m, err := camera.New(c.Model, c.Intrinsics, c.Params)
	if err != nil {
		return nil, fmt.Errorf("calibio: camera %q: %w", c.Name, err)
	}
	return m, nil
}

// Extrinsic is a transform T_parent_child: it maps points in Child into
// Parent.
type Extrinsic struct {
	Parent, Child string
	T             se3.Transform
}

// Calibration is the content of a calibration file.
type Calibration struct {
	// Format is the format the calibration was read from.
	Format     Format
	Cameras    []Camera
	Extrinsics []Extrinsic
	// Scalars holds other named numbers of the file, keyed
	// "<sensor>.<key>", e.g. "cam1.timeshift_cam_imu" (s, t_imu = t_cam +
	// shift), "imu0.accelerometer_noise_density", "avg_reprojection_error".
	Scalars map[string]float64
	// Strings holds other named strings the same way (e.g. KITTI
	// "calib_time", nuScenes "<token>.sensor_token").
	Strings map[string]string
	// Matrices holds other named matrices (OpenCV per-view errors and
	// extrinsics) so that rewriting the format loses nothing.
	Matrices map[string]Matrix
}

// Camera returns the camera named name (or the only camera when name is
// empty and there is one).
func (c *Calibration) Camera(name string) (Camera, error) {
	if name == "" && len(c.Cameras) == 1 {
		return c.Cameras[0], nil
	}
	var names []string
	for _, cam := range c.Cameras {
		if cam.Name == name {
			return cam, nil
		}
		names = append(names, cam.Name)
	}
	if name == "" {
		return Camera{}, fmt.Errorf("calibio: %d cameras %v; name one", len(names), names)
	}
	return Camera{}, fmt.Errorf("calibio: no camera %q (have %v)", name, names)
}

// Tree builds a transform tree of the extrinsics. Edges that conflict with
// earlier ones (a second parent, a cycle: Kalibr's redundant T_cn_cnm1 when
// T_cam_imu is present) are skipped and returned as errors.
func (c *Calibration) Tree() (*tftree.Tree, []error) {
	tr := tftree.New()
	var errs []error
	for _, e := range c.Extrinsics {
		if err := tr.SetStatic(e.Parent, e.Child, e.T); err != nil {
			errs = append(errs, err)
		}
	}
	return tr, errs
}

func (c *Calibration) setScalar(key string, v float64) {
	if c.Scalars == nil {
		c.Scalars = map[string]float64{}
	}
	c.Scalars[key] = v
}

func (c *Calibration) setString(key, v string) {
	if c.Strings == nil {
		c.Strings = map[string]string{}
	}
	c.Strings[key] = v
}

// ReadFile reads a calibration file, detecting its format. The file name is
// used only to tell KITTI's calib_imu_to_velo.txt from calib_velo_to_cam.txt.
//
// A file larger than MaxFileSize (MaxYAMLSize for YAML and text) is
// refused before it is parsed; a non-finite number (NaN, ±Inf, a value
// beyond float64) or a malformed line is an error naming the file, the
// line where the format has lines, and the field.
func ReadFile(path string) (*Calibration, error) {
	b, err := ReadFileBytes(path)
	if err != nil {
		return nil, err
	}
	c, err := ReadNamed(b, filepath.Base(path))
	if err != nil && !strings.Contains(err.Error(), filepath.Base(path)) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, err
}

// Read parses calibration content, detecting its format.
func Read(b []byte) (*Calibration, error) { return ReadNamed(b, "") }

// ReadNamed is Read with a file-name hint (see ReadFile).
func ReadNamed(b []byte, name string) (*Calibration, error) {
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("calibio: %s%d bytes, more than the %d a calibration file may hold", prefix(name), len(b), MaxFileSize)
	}
	if !json.Valid(b) {
		// Detect parses YAML: bound it first.
		if err := CheckYAMLSize(b, name); err != nil {
			return nil, err
		}
	}
	f, err := Detect(b)
	if err != nil {
		return nil, err
	}
	return ReadFormat(b, f, name)
}

// ReadFormat parses content in a given format; name (a file name, or "")
// is named in the errors of the size and number checks (see ReadFile).
func ReadFormat(b []byte, f Format, name string) (*Calibration, error) {
	var c *Calibration
	var err error
	if !json.Valid(b) {
		if err := CheckYAMLSize(b, name); err != nil {
			return nil, err
		}
		switch f {
		case KITTIRaw, KITTIRigid, KITTIOdometry: // text: parseKITTI checks its lines
		case OpenCV:
			err = CheckYAMLNumbers([]byte(opencvText(b)), name)
		default:
			err = CheckYAMLNumbers(b, name)
		}
		if err != nil {
			return nil, err
		}
	}
	switch f {
	case ROSCameraInfo:
		c, err = readROSCameraInfo(b)
	case ROSCameraInfoMsg:
		c, err = readCameraInfoMsg(b)
	case Kalibr:
		c, err = readKalibr(b)
	case KalibrIMU:
		c, err = readKalibrIMU(b)
	case KITTIRaw, KITTIRigid, KITTIOdometry:
		c, err = readKITTI(b, f, name)
	case NuScenes:
		c, err = readNuScenes(b)
	case NuScenesSensor:
		c, err = readNuScenesSensor(b)
	case OpenCV:
		c, err = readOpenCV(b)
	case Autoware:
		c, err = readAutoware(b)
	case ApolloExtrinsics:
		c, err = readApollo(b)
	case OpenCalib:
		c, err = readOpenCalib(b)
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownFormat, f)
	}
	if err != nil {
		return nil, err
	}
	c.Format = f
	if err := checkFinite(c, name); err != nil {
		return nil, err
	}
	for _, cam := range c.Cameras {
		if _, err := cam.Build(); err != nil {
			return nil, fmt.Errorf("calibio: %s: %w", f, err)
		}
	}
	return c, nil
}

// Write writes c in format f.
func Write(w io.Writer, c *Calibration, f Format) error {
	var buf bytes.Buffer
	var err error
	switch f {
	case ROSCameraInfo:
		err = writeROSCameraInfo(&buf, c)
	case ROSCameraInfoMsg:
		err = writeCameraInfoMsg(&buf, c)
	case Kalibr:
		err = writeKalibr(&buf, c)
	case KalibrIMU:
		err = writeKalibrIMU(&buf, c)
	case KITTIOdometry:
		err = writeKITTIOdometry(&buf, c)
	case KITTIRaw, KITTIRigid:
		err = writeKITTIRaw(&buf, c, f)
	case NuScenes:
		err = writeNuScenes(&buf, c)
	case NuScenesSensor:
		err = writeNuScenesSensor(&buf, c)
	case OpenCV:
		err = writeOpenCV(&buf, c)
	case Autoware:
		err = writeAutoware(&buf, c)
	case ApolloExtrinsics:
		err = writeApollo(&buf, c)
	case OpenCalib:
		err = writeOpenCalib(&buf, c)
	default:
		return fmt.Errorf("%w: %q", ErrUnknownFormat, f)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// fmtF formats a float so that it parses back to the same value.
func fmtF(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%v", v)
}

func fmtList(vs []float64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmtF(v)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// kFromIntr returns the row-major 3×3 K.
func kFromIntr(in camera.Intrinsics) []float64 {
	return []float64{in.Fx, 0, in.Cx, 0, in.Fy, in.Cy, 0, 0, 1}
}

// intrFromK reads fx, fy, cx, cy from a row-major 3×3 K, refusing skew and
// a last row other than 0 0 1.
func intrFromK(k []float64, what string) (camera.Intrinsics, error) {
	if len(k) != 9 {
		return camera.Intrinsics{}, fmt.Errorf("calibio: %s has %d values, want 9", what, len(k))
	}
	if k[1] != 0 || k[3] != 0 || k[6] != 0 || k[7] != 0 || k[8] != 1 {
		return camera.Intrinsics{}, fmt.Errorf("calibio: %s = %v is not [fx 0 cx; 0 fy cy; 0 0 1] (skew is not supported)", what, k)
	}
	return camera.Intrinsics{Fx: k[0], Fy: k[4], Cx: k[2], Cy: k[5]}, nil
}

// distModel maps ROS/OpenCV distortion names and coefficient counts to a
// camera.New model name and its parameters.
func distModel(name string, d []float64) (string, []float64, error) {
	switch strings.ToLower(name) {
	case "plumb_bob", "radtan", "":
		switch {
		case len(d) == 0:
			return "plumb_bob", nil, nil
		case len(d) == 4:
			// Kalibr-style 4 values: k3 = 0 is appended, not shifted in.
			return "plumb_bob", append(append([]float64(nil), d...), 0), nil
		case len(d) == 5 || name == "":
			if len(d) > 5 {
				return "rational_polynomial", d, nil
			}
			return "plumb_bob", d, nil
		default:
			// Apollo writes plumb_bob with 8 values: only the first 5 are
			// meaningful (calib.md §2).
			for _, v := range d[5:] {
				if v != 0 {
					return "", nil, fmt.Errorf("calibio: plumb_bob with %d coefficients and non-zero D[5..]=%v", len(d), d[5:])
				}
			}
			return "plumb_bob", d[:5], nil
		}
	case "rational_polynomial":
		return "rational_polynomial", d, nil
	case "equidistant", "fisheye", "kannala_brandt", "equi":
		return "equidistant", d, nil
	}
	return "", nil, fmt.Errorf("calibio: unsupported distortion model %q", name)
}
