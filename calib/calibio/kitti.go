package calibio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
)

// KITTI frame names. Raw cameras are cam_00..cam_03 (unrectified, with
// D_xx); rectified images are image_00..image_03 (raw) or image_0..image_3
// (odometry), whose optical frames all share cam 0's rectified orientation.
const (
	KITTIVelodyne = "velodyne"
	KITTIIMU      = "imu"
)

type kittiFile struct {
	order []string
	nums  map[string][]float64
	strs  map[string]string
}

func parseKITTI(b []byte) (*kittiFile, error) {
	f := &kittiFile{nums: map[string][]float64{}, strs: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), MaxFileSize)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("calibio: kitti line %d: no ':'", n)
		}
		if _, dup := f.nums[k]; dup {
			return nil, fmt.Errorf("calibio: kitti line %d: duplicate key %q", n, k)
		}
		if _, dup := f.strs[k]; dup {
			return nil, fmt.Errorf("calibio: kitti line %d: duplicate key %q", n, k)
		}
		f.order = append(f.order, k)
		fields := strings.Fields(v)
		vals := make([]float64, 0, len(fields))
		numeric := true
		for i, s := range fields {
			x, err := strconv.ParseFloat(s, 64)
			if err == nil && (math.IsNaN(x) || math.IsInf(x, 0)) || errors.Is(err, strconv.ErrRange) {
				return nil, fmt.Errorf("calibio: kitti line %d: %s[%d]: %q is not a finite number", n, k, i, s)
			}
			if err != nil {
				// A matrix with a word in it is malformed, not a string
				// (it was dropped); calib_time and the like are strings.
				if len(vals) > 0 || kittiMatrixKey(k) {
					return nil, fmt.Errorf("calibio: kitti line %d: %s[%d]: %q is not a number", n, k, i, s)
				}
				numeric = false
				break
			}
			vals = append(vals, x)
		}
		if numeric {
			f.nums[k] = vals
		} else {
			f.strs[k] = strings.TrimSpace(v)
		}
	}
	return f, sc.Err()
}

// kittiMatrixKey reports whether k names one of the KITTI matrices (P0,
// P_rect_02, R0_rect, Tr_velo_to_cam, K_00, D_00, S_00, R, T, delta_f,
// ...), whose values must all be numbers.
func kittiMatrixKey(k string) bool {
	switch k {
	case "R", "T", "delta_f", "delta_c", "Tr", "R0_rect", "R_rect":
		return true
	}
	for _, p := range []string{"P", "K_", "D_", "S_", "R_", "T_", "Tr_", "P_rect_", "R_rect_", "S_rect_"} {
		if strings.HasPrefix(k, p) && len(k) > len(p) && k[len(p)] >= '0' && k[len(p)] <= '9' {
			return true
		}
	}
	return strings.HasPrefix(k, "Tr_") || strings.HasPrefix(k, "P_rect_") || strings.HasPrefix(k, "R_rect_") || strings.HasPrefix(k, "S_rect_")
}

func (f *kittiFile) get(k string, n int) ([]float64, bool, error) {
	v, ok := f.nums[k]
	if !ok {
		return nil, false, nil
	}
	if len(v) != n {
		return nil, true, fmt.Errorf("calibio: kitti %s has %d values, want %d", k, len(v), n)
	}
	return v, true, nil
}

func rotT(r, t []float64, what string) (se3.Transform, error) {
	var m se3.Mat3
	for i := 0; i < 3; i++ {
		copy(m[i][:], r[3*i:3*i+3])
	}
	T, err := se3.FromMatrix(m, r3.Vec{X: t[0], Y: t[1], Z: t[2]})
	if err != nil {
		return se3.Transform{}, fmt.Errorf("calibio: kitti %s: %w", what, err)
	}
	return T, nil
}

// rectCamera builds the rectified camera of a 3×4 projection matrix and
// its offset from the reference rectified frame: P = K [I | t], so the
// camera centre is −t in reference coordinates.
func rectCamera(name string, p []float64) (Camera, se3.Transform, error) {
	in := camera.Intrinsics{Fx: p[0], Fy: p[5], Cx: p[2], Cy: p[6]}
	if p[1] != 0 || p[4] != 0 || p[8] != 0 || p[9] != 0 || p[10] != 1 {
		return Camera{}, se3.Transform{}, fmt.Errorf("calibio: kitti %s = %v is not K[I|t] with K upper triangular", name, p)
	}
	if in.Fx <= 0 || in.Fy <= 0 {
		return Camera{}, se3.Transform{}, fmt.Errorf("calibio: kitti %s has focal %g, %g", name, in.Fx, in.Fy)
	}
	tz := p[11]
	ty := (p[7] - in.Cy*tz) / in.Fy
	tx := (p[3] - in.Cx*tz) / in.Fx
	pp := [12]float64(p)
	T := se3.Identity()
	T.Trans = r3.Vec{X: -tx, Y: -ty, Z: -tz}
	return Camera{Name: name, Frame: name, Model: "plumb_bob", Intrinsics: in, P: &pp}, T, nil
}

func readKITTI(b []byte, format Format, fileName string) (*Calibration, error) {
	f, err := parseKITTI(b)
	if err != nil {
		return nil, err
	}
	c := &Calibration{}
	for k, v := range f.strs {
		c.setString(k, v)
	}
	switch format {
	case KITTIRigid:
		r, _, err := f.get("R", 9)
		if err != nil {
			return nil, err
		}
		t, _, err := f.get("T", 3)
		if err != nil {
			return nil, err
		}
		if r == nil || t == nil {
			return nil, fmt.Errorf("calibio: kitti rigid transform needs R and T")
		}
		T, err := rotT(r, t, "R|T")
		if err != nil {
			return nil, err
		}
		// calib_velo_to_cam: p_cam0 = R p_velo + T (T_cam00_velo);
		// calib_imu_to_velo: p_velo = R p_imu + T (T_velo_imu).
		if strings.Contains(fileName, "imu_to_velo") {
			c.Extrinsics = append(c.Extrinsics, Extrinsic{Parent: KITTIVelodyne, Child: KITTIIMU, T: T})
		} else {
			c.Extrinsics = append(c.Extrinsics, Extrinsic{Parent: "cam_00", Child: KITTIVelodyne, T: T})
		}
		for _, k := range []string{"delta_f", "delta_c"} {
			if v, ok := f.nums[k]; ok {
				for i, x := range v {
					c.setScalar(fmt.Sprintf("%s[%d]", k, i), x)
				}
			}
		}
		return c, nil
	case KITTIOdometry:
		for i := 0; i < 4; i++ {
			key := fmt.Sprintf("P%d", i)
			p, ok, err := f.get(key, 12)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			name := fmt.Sprintf("image_%d", i)
			cam, T, err := rectCamera(name, p)
			if err != nil {
				return nil, err
			}
			c.Cameras = append(c.Cameras, cam)
			if i != 0 {
				c.Extrinsics = append(c.Extrinsics, Extrinsic{Parent: "image_0", Child: name, T: T})
			}
		}
		for _, k := range []string{"Tr", "Tr_velo_to_cam"} {
			tr, ok, err := f.get(k, 12)
			if err != nil {
				return nil, err
			}
			if ok {
				T, err := rotT([]float64{tr[0], tr[1], tr[2], tr[4], tr[5], tr[6], tr[8], tr[9], tr[10]}, []float64{tr[3], tr[7], tr[11]}, k)
				if err != nil {
					return nil, err
				}
				// Tr maps velodyne points into rectified cam 0.
				c.Extrinsics = append(c.Extrinsics, Extrinsic{Parent: "image_0", Child: KITTIVelodyne, T: T})
				break
			}
		}
		if tr, ok, err := f.get("Tr_imu_to_velo", 12); err != nil {
			return nil, err
		} else if ok {
			T, err := rotT([]float64{tr[0], tr[1], tr[2], tr[4], tr[5], tr[6], tr[8], tr[9], tr[10]}, []float64{tr[3], tr[7], tr[11]}, "Tr_imu_to_velo")
			if err != nil {
				return nil, err
			}
			c.Extrinsics = append(c.Extrinsics, Extrinsic{Parent: KITTIVelodyne, Child: KITTIIMU, T: T})
		}
		if d, ok := f.nums["D"]; ok {
			// OpenCalib adds the distortion of camera 2 as D.
			switch len(d) {
			case 4, 5:
				for i := range c.Cameras {
					if c.Cameras[i].Name == "image_2" {
						c.Cameras[i].Model, c.Cameras[i].Params, _ = distModel("plumb_bob", d)
					}
				}
			default:
				for i, x := range d {
					c.setScalar(fmt.Sprintf("D[%d]", i), x)
				}
			}
		}
		return c, nil
	}
	// KITTI raw calib_cam_to_cam.txt.
	for _, k := range []string{"corner_dist"} {
		if v, ok := f.nums[k]; ok && len(v) == 1 {
			c.setScalar(k, v[0])
		}
	}
	var rect0 *se3.Transform
	for i := 0; i < 4; i++ {
		xx := fmt.Sprintf("%02d", i)
		if k, ok, err := f.get("K_"+xx, 9); err != nil {
			return nil, err
		} else if ok {
			d, _, err := f.get("D_"+xx, 5)
			if err != nil {
				return nil, err
			}
			cam, err := cameraFromROS("cam_"+xx, 0, 0, "plumb_bob", k, d, nil, nil)
			if err != nil {
				return nil, fmt.Errorf("calibio: kitti K_%s: %w", xx, err)
			}
			cam.Frame = cam.Name
			if s, _, err := f.get("S_"+xx, 2); err != nil {
				return nil, err
			} else if s != nil {
				cam.Intrinsics.Width, cam.Intrinsics.Height = int(s[0]), int(s[1])
			}
			c.Cameras = append(c.Cameras, cam)
			r, _, err := f.get("R_"+xx, 9)
			if err != nil {
				return nil, err
			}
			t, _, err := f.get("T_"+xx, 3)
			if err != nil {
				return nil, err
			}
			if r != nil && t != nil && i != 0 {
				T, err := rotT(r, t, "R_"+xx)
				if err != nil {
					return nil, err
				}
				// x_xx = R_xx x_00 + T_xx: T_camxx_cam00; store its inverse.
				c.Extrinsics = append(c.Extrinsics, Extrinsic{Parent: "cam_00", Child: cam.Name, T: T.Inverse()})
			}
		}
		p, ok, err := f.get("P_rect_"+xx, 12)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		name := "image_" + xx
		cam, T, err := rectCamera(name, p)
		if err != nil {
			return nil, err
		}
		if s, _, err := f.get("S_rect_"+xx, 2); err != nil {
			return nil, err
		} else if s != nil {
			cam.Intrinsics.Width, cam.Intrinsics.Height = int(s[0]), int(s[1])
		}
		if r, _, err := f.get("R_rect_"+xx, 9); err != nil {
			return nil, err
		} else if r != nil {
			cam.R = fixedR(r)
			if i == 0 {
				R, err := rotT(r, []float64{0, 0, 0}, "R_rect_00")
				if err != nil {
					return nil, err
				}
				rect0 = &R
			}
		}
		c.Cameras = append(c.Cameras, cam)
		if i != 0 {
			c.Extrinsics = append(c.Extrinsics, Extrinsic{Parent: "image_00", Child: name, T: T})
		}
	}
	if rect0 != nil {
		// x_rect = R_rect_00 x_cam00: T_cam00_image00 = R_rect_00ᵀ.
		c.Extrinsics = append(c.Extrinsics, Extrinsic{Parent: "cam_00", Child: "image_00", T: rect0.Inverse()})
	}
	return c, nil
}

func kittiLine(buf *bytes.Buffer, k string, v []float64) {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'e', -1, 64)
	}
	fmt.Fprintf(buf, "%s: %s\n", k, strings.Join(s, " "))
}

func rowMajor34(T se3.Transform) []float64 {
	m := T.Matrix4()
	return []float64{m[0][0], m[0][1], m[0][2], m[0][3], m[1][0], m[1][1], m[1][2], m[1][3], m[2][0], m[2][1], m[2][2], m[2][3]}
}

func rot9(T se3.Transform) []float64 {
	m := T.Matrix()
	return []float64{m[0][0], m[0][1], m[0][2], m[1][0], m[1][1], m[1][2], m[2][0], m[2][1], m[2][2]}
}

func writeKITTIOdometry(buf *bytes.Buffer, c *Calibration) error {
	for _, cam := range c.Cameras {
		if !strings.HasPrefix(cam.Name, "image_") || len(cam.Name) != 7 {
			return fmt.Errorf("%w: camera %q (KITTI odometry cameras are image_0..image_3)", ErrCannotHold, cam.Name)
		}
	}
	for _, e := range c.Extrinsics {
		ok := (e.Parent == "image_0" && (strings.HasPrefix(e.Child, "image_") || e.Child == KITTIVelodyne)) || (e.Parent == KITTIVelodyne && e.Child == KITTIIMU)
		if !ok {
			return fmt.Errorf("%w: transform %s→%s", ErrCannotHold, e.Parent, e.Child)
		}
	}
	n := 0
	for i := 0; i < 4; i++ {
		cam, err := c.Camera(fmt.Sprintf("image_%d", i))
		if err != nil {
			continue
		}
		if cam.P == nil {
			return fmt.Errorf("%w: camera %s without a projection matrix", ErrCannotHold, cam.Name)
		}
		kittiLine(buf, fmt.Sprintf("P%d", i), cam.P[:])
		n++
		if i == 2 && cam.Params != nil {
			kittiLine(buf, "D", cam.Params)
		}
	}
	if v, ok := c.Scalars["D[0]"]; ok {
		kittiLine(buf, "D", []float64{v})
	}
	if T, ok := findExtrinsic(c, "image_0", KITTIVelodyne); ok {
		kittiLine(buf, "Tr", rowMajor34(T))
		n++
	}
	if T, ok := findExtrinsic(c, KITTIVelodyne, KITTIIMU); ok {
		kittiLine(buf, "Tr_imu_to_velo", rowMajor34(T))
	}
	if n == 0 {
		return fmt.Errorf("%w: no image_N camera with P and no image_0→velodyne transform", ErrCannotHold)
	}
	return nil
}

func writeKITTIRaw(buf *bytes.Buffer, c *Calibration, f Format) error {
	if f == KITTIRigid && (len(c.Cameras) > 0 || len(c.Extrinsics) != 1) {
		return fmt.Errorf("%w: %d cameras and %d transforms (a KITTI R/T file holds one transform)", ErrCannotHold, len(c.Cameras), len(c.Extrinsics))
	}
	for _, cam := range c.Cameras {
		if !strings.HasPrefix(cam.Name, "image_") && !strings.HasPrefix(cam.Name, "cam_") || len(cam.Name) > 8 {
			return fmt.Errorf("%w: camera %q (KITTI raw cameras are cam_xx and image_xx)", ErrCannotHold, cam.Name)
		}
	}
	if t, ok := c.Strings["calib_time"]; ok {
		fmt.Fprintf(buf, "calib_time: %s\n", t)
	}
	if f == KITTIRigid {
		T, ok := findExtrinsic(c, "cam_00", KITTIVelodyne)
		if !ok {
			T, ok = findExtrinsic(c, KITTIVelodyne, KITTIIMU)
		}
		if !ok {
			return fmt.Errorf("%w: no cam_00→velodyne or velodyne→imu transform", ErrCannotHold)
		}
		kittiLine(buf, "R", rot9(T))
		kittiLine(buf, "T", []float64{T.Trans.X, T.Trans.Y, T.Trans.Z})
		for _, k := range []string{"delta_f", "delta_c"} {
			if v0, ok := c.Scalars[k+"[0]"]; ok {
				kittiLine(buf, k, []float64{v0, c.Scalars[k+"[1]"]})
			}
		}
		return nil
	}
	if v, ok := c.Scalars["corner_dist"]; ok {
		kittiLine(buf, "corner_dist", []float64{v})
	}
	n := 0
	for i := 0; i < 4; i++ {
		xx := fmt.Sprintf("%02d", i)
		if cam, err := c.Camera("cam_" + xx); err == nil {
			in := cam.Intrinsics
			kittiLine(buf, "S_"+xx, []float64{float64(in.Width), float64(in.Height)})
			kittiLine(buf, "K_"+xx, kFromIntr(in))
			d := cam.Params
			if cam.Model != "plumb_bob" || len(d) > 5 {
				return fmt.Errorf("%w: KITTI camera %s is %s with %d coefficients", ErrCannotHold, cam.Name, cam.Model, len(d))
			}
			kittiLine(buf, "D_"+xx, append(d, make([]float64, 5-len(d))...))
			T := se3.Identity()
			if i != 0 {
				var ok bool
				if T, ok = findExtrinsic(c, "cam_00", cam.Name); !ok {
					return fmt.Errorf("%w: no cam_00→%s transform", ErrCannotHold, cam.Name)
				}
				T = T.Inverse()
			}
			kittiLine(buf, "R_"+xx, rot9(T))
			kittiLine(buf, "T_"+xx, []float64{T.Trans.X, T.Trans.Y, T.Trans.Z})
			n++
		}
		if cam, err := c.Camera("image_" + xx); err == nil {
			in := cam.Intrinsics
			if cam.P == nil {
				return fmt.Errorf("%w: camera %s without P", ErrCannotHold, cam.Name)
			}
			kittiLine(buf, "S_rect_"+xx, []float64{float64(in.Width), float64(in.Height)})
			kittiLine(buf, "R_rect_"+xx, rectOrIdentity(cam))
			kittiLine(buf, "P_rect_"+xx, cam.P[:])
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("%w: no cam_xx or image_xx camera", ErrCannotHold)
	}
	return nil
}
