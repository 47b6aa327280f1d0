package labels

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/rigsync/rigsync/calib/se3"
	"gonum.org/v1/gonum/spatial/r3"
)

// KITTICalib is what the KITTI object calib file (calib/NNNNNN.txt) says
// that the labels need: P2 (3×4, row-major) projects rectified reference
// camera coordinates into image_2, R0_rect rectifies, Tr_velo_to_cam maps
// velodyne into the reference camera. rigsync's KITTI writer writes them
// (its velodyne frame is stated in rigsync_kitti.json).
type KITTICalib struct {
	P2 [12]float64
	// R0Rect is the rectifying rotation; VeloToCam is Tr_velo_to_cam.
	R0Rect    se3.Mat3
	VeloToCam se3.Transform
}

// CamFromVelo returns T_rect_velo = R0_rect · Tr_velo_to_cam.
func (c *KITTICalib) CamFromVelo() se3.Transform {
	r0, err := se3.FromMatrix(c.R0Rect, r3.Vec{})
	if err != nil {
		r0 = se3.Identity()
	}
	return r0.Mul(c.VeloToCam)
}

// ReadKITTICalib reads a KITTI object calib file; name is used in errors.
func ReadKITTICalib(r io.Reader, name string) (*KITTICalib, error) {
	c := &KITTICalib{}
	var have [3]bool
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		key, rest, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if !ok {
			continue
		}
		var n int
		switch key {
		case "P2":
			n = 12
		case "R0_rect":
			n = 9
		case "Tr_velo_to_cam":
			n = 12
		default:
			continue
		}
		f := strings.Fields(rest)
		if len(f) != n {
			return nil, errf(name, fmt.Sprintf("line %d", line), "%s has %d numbers, want %d", key, len(f), n)
		}
		v := make([]float64, n)
		for i, s := range f {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil || !finite(x) {
				return nil, errf(name, fmt.Sprintf("line %d", line), "%s: bad number %q", key, s)
			}
			v[i] = x
		}
		switch key {
		case "P2":
			copy(c.P2[:], v)
			have[0] = true
		case "R0_rect":
			for i := range 9 {
				c.R0Rect[i/3][i%3] = v[i]
			}
			have[1] = true
		case "Tr_velo_to_cam":
			var m se3.Mat3
			for i := range 3 {
				m[i] = [3]float64{v[4*i], v[4*i+1], v[4*i+2]}
			}
			T, err := se3.FromMatrix(m, r3.Vec{X: v[3], Y: v[7], Z: v[11]})
			if err != nil {
				return nil, errf(name, fmt.Sprintf("line %d", line), "Tr_velo_to_cam: %v", err)
			}
			c.VeloToCam = T
			have[2] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{File: name, Err: err}
	}
	for i, k := range []string{"P2", "R0_rect", "Tr_velo_to_cam"} {
		if !have[i] {
			return nil, errf(name, "", "no %s line", k)
		}
	}
	if _, err := se3.FromMatrix(c.R0Rect, r3.Vec{}); err != nil {
		return nil, errf(name, "R0_rect", "%v", err)
	}
	return c, nil
}

// KITTI's box axes in the rectified camera frame (x right, y down, z
// forward) for rotation_y ry: forward (cos ry, 0, −sin ry), left
// (sin ry, 0, cos ry), up (0, −1, 0).
func kittiRot(ry float64) se3.Mat3 {
	c, s := math.Cos(ry), math.Sin(ry)
	return se3.Mat3{{c, s, 0}, {0, 0, -1}, {-s, c, 0}}
}

// WriteKITTILabels writes one KITTI label_2 file: the boxes of one frame,
// each in the velodyne frame of calib (rigsync's KITTI export: the
// reference LiDAR's own frame, as its rigsync_kitti.json's velodyne_frame
// says, so base_link boxes are moved by T_lidar_base first), one line
//
//	type truncated occluded alpha left top right bottom h w l x y z rotation_y
//
// Conventions at this boundary (KITTI's): x y z is the bottom-face centre
// in the rectified camera frame (R0_rect · Tr_velo_to_cam), rotation_y the
// heading about the camera's y axis (down), 0 along camera +x, in [−π, π);
// dimensions h w l; alpha = rotation_y − atan2(x, z). The 2D box is the
// bounding rectangle of the 8 projected corners (P2) clipped to the image
// when width and height are positive (all 0 when a corner is behind the
// camera); truncated is the fraction of the unclipped rectangle outside
// the image, occluded 3 (unknown). KITTI boxes are upright in the camera
// frame (up = −y): the heading is projected onto the camera's x–z plane
// and roll and pitch relative to the camera are dropped (a camera pitched
// 2°, as in rigsync's fixtures, turns headings by a few thousandths of a
// degree);
// ids, velocity, time and attributes are not written (label_2 has no
// field for them). Spaces in a class become '_'.
func WriteKITTILabels(w io.Writer, boxes []Box, calib *KITTICalib, width, height int) error {
	T := calib.CamFromVelo()
	bw := bufio.NewWriter(w)
	for i := range boxes {
		b := &boxes[i]
		if err := b.Validate(); err != nil {
			return fmt.Errorf("labels: kitti: %w", err)
		}
		P := T.Mul(b.Pose())
		fwd := P.Rotate(r3.Vec{X: 1})
		ry := WrapAngle(math.Atan2(-fwd.Z, fwd.X))
		c := P.Trans
		loc := r3.Vec{X: c.X, Y: c.Y + b.Size.Height/2, Z: c.Z}
		alpha := WrapAngle(ry - math.Atan2(loc.X, loc.Z))
		cam := b.Transformed(T, "")
		l, t, r, bt, trunc := kittiBBox(&cam, calib, width, height)
		fmt.Fprintf(bw, "%s %.2f 3 %.6f %.2f %.2f %.2f %.2f %.6f %.6f %.6f %.6f %.6f %.6f %.6f\n",
			strings.ReplaceAll(b.Class, " ", "_"), trunc, nz(alpha), nz(l), nz(t), nz(r), nz(bt),
			b.Size.Height, b.Size.Width, b.Size.Length, nz(loc.X), nz(loc.Y), nz(loc.Z), nz(ry))
	}
	return bw.Flush()
}

// nz rounds what would print as −0.000000 to 0.
func nz(v float64) float64 {
	if math.Abs(v) < 5e-7 {
		return 0
	}
	return v
}

func kittiBBox(cam *Box, calib *KITTICalib, width, height int) (l, t, r, b, trunc float64) {
	l, t, r, b = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range cam.Corners() {
		P := calib.P2
		u := P[0]*p.X + P[1]*p.Y + P[2]*p.Z + P[3]
		v := P[4]*p.X + P[5]*p.Y + P[6]*p.Z + P[7]
		w := P[8]*p.X + P[9]*p.Y + P[10]*p.Z + P[11]
		if w <= 1e-6 {
			return 0, 0, 0, 0, 1
		}
		u, v = u/w, v/w
		l, r, t, b = math.Min(l, u), math.Max(r, u), math.Min(t, v), math.Max(b, v)
	}
	if width <= 0 || height <= 0 {
		return l, t, r, b, 0
	}
	area := (r - l) * (b - t)
	cl, cr := math.Max(l, 0), math.Min(r, float64(width-1))
	ct, cb := math.Max(t, 0), math.Min(b, float64(height-1))
	if cr <= cl || cb <= ct {
		return 0, 0, 0, 0, 1
	}
	if area > 0 {
		trunc = 1 - (cr-cl)*(cb-ct)/area
	}
	return cl, ct, cr, cb, trunc
}

// ReadKITTILabels reads one KITTI label_2 file (the object format, 15
// fields, or 16 with a score; the KITTI tracking format, with frame and
// track id first, is accepted too) into boxes in the velodyne frame of
// calib, named frame. Boxes get the track id of a tracking line, else
// "N" (their line number, from 1); the score, if any, goes to
// Attributes["score"]; DontCare lines are skipped. See WriteKITTILabels
// for the conventions.
func ReadKITTILabels(r io.Reader, name string, calib *KITTICalib, frame string) ([]Box, error) {
	Tinv := calib.CamFromVelo().Inverse()
	var out []Box
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		rec := fmt.Sprintf("line %d", line)
		id := strconv.Itoa(line)
		if len(f) == 17 || len(f) == 18 {
			// KITTI tracking: frame track_id type ...
			if _, err := strconv.Atoi(f[0]); err != nil {
				return nil, errf(name, rec, "tracking line: frame %q is not an integer", f[0])
			}
			if _, err := strconv.Atoi(f[1]); err != nil {
				return nil, errf(name, rec, "tracking line: track id %q is not an integer", f[1])
			}
			id = f[1]
			f = f[2:]
		}
		if len(f) != 15 && len(f) != 16 {
			return nil, errf(name, rec, "%d fields, want 15 (or 16 with a score)", len(f))
		}
		if f[0] == "DontCare" {
			continue
		}
		var v [15]float64
		for i := 1; i < len(f); i++ {
			x, err := strconv.ParseFloat(f[i], 64)
			if err != nil || !finite(x) {
				return nil, errf(name, rec, "field %d: bad number %q", i+1, f[i])
			}
			if i < 15 {
				v[i] = x
			}
		}
		h, w, l := v[8], v[9], v[10]
		loc := r3.Vec{X: v[11], Y: v[12], Z: v[13]}
		ry := v[14]
		T, err := se3.FromMatrix(kittiRot(ry), r3.Vec{X: loc.X, Y: loc.Y - h/2, Z: loc.Z})
		if err != nil {
			return nil, errf(name, rec, "rotation_y %v: %v", ry, err)
		}
		b := Box{ID: id, Class: f[0], Frame: frame, Size: Size{Length: l, Width: w, Height: h}}
		b.SetPose(Tinv.Mul(T))
		if len(f) == 16 {
			b.Attributes = map[string]string{"score": f[15]}
		}
		if err := b.Validate(); err != nil {
			return nil, errf(name, rec, "%v", err)
		}
		out = append(out, b)
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{File: name, Err: err}
	}
	return out, nil
}

// WriteKITTITracking writes the boxes of a set in the KITTI tracking
// label format (one file for a sequence: "frame track_id" before the
// label_2 fields), which keeps instance ids: every id must be a
// non-negative integer. See WriteKITTILabels for the fields.
func WriteKITTITracking(w io.Writer, s *Set, calib *KITTICalib, width, height int) error {
	for _, f := range s.Frames {
		for i := range f.Boxes {
			b := &f.Boxes[i]
			if n, err := strconv.Atoi(b.ID); err != nil || n < 0 {
				return fmt.Errorf("labels: kitti tracking: frame %d: id %q is not a non-negative integer", f.Index, b.ID)
			}
			var line strings.Builder
			if err := WriteKITTILabels(&line, f.Boxes[i:i+1], calib, width, height); err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "%d %s %s", f.Index, b.ID, line.String()); err != nil {
				return err
			}
		}
	}
	return nil
}

// ReadKITTITracking reads a KITTI tracking label file into a Set (frames
// by the file's frame numbers, boxes in frame).
func ReadKITTITracking(r io.Reader, name string, calib *KITTICalib, frame string) (*Set, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	boxes, err := ReadKITTILabels(strings.NewReader(string(data)), name, calib, frame)
	if err != nil {
		return nil, err
	}
	// The frame numbers, line by line (ReadKITTILabels checked them).
	var frames []int
	for l := range strings.SplitSeq(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if len(f) != 17 && len(f) != 18 {
			return nil, errf(name, "", "not a KITTI tracking file (a line has %d fields, want 17 or 18)", len(f))
		}
		if f[2] == "DontCare" {
			continue
		}
		n, _ := strconv.Atoi(f[0])
		frames = append(frames, n)
	}
	s := &Set{}
	at := map[int]int{}
	for i, b := range boxes {
		fi, ok := at[frames[i]]
		if !ok {
			fi = len(s.Frames)
			at[frames[i]] = fi
			s.Frames = append(s.Frames, Frame{Index: frames[i]})
		}
		s.Frames[fi].Boxes = append(s.Frames[fi].Boxes, b)
	}
	s.Sort()
	return s, nil
}
