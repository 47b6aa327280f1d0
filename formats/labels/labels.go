package labels

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/rigsync/rigsync/calib/se3"
	"gonum.org/v1/gonum/spatial/r3"
)

// Common coordinate frame names used by the readers.
const (
	// FrameBase is rigsync's vehicle frame (x forward, y left, z up,
	// origin on the ground): the frame of rigsync's fused clouds.
	FrameBase = "base_link"
	// FrameGlobal is the nuScenes global (map) frame.
	FrameGlobal = "global"
	// FrameWorld is the world frame of a Segments.ai sequence (the first
	// ego pose of rigsync's sample.json is its origin).
	FrameWorld = "world"
)

// Size is a box's extent in metres along its own axes: Length along x
// (the heading), Width along y (to the left), Height along z (up).
type Size struct {
	Length, Width, Height float64
}

// Box is one 3D box annotation: an oriented cuboid in the coordinate frame
// named Frame.
//
// Its pose is T_frame_box: p_frame = R·p_box + Center with
// R = Rz(Yaw)·Ry(Pitch)·Rx(Roll) (radians; yaw about the frame's z axis,
// counter-clockwise seen from above, 0 along +x). The box's own axes are x
// forward (Length), y left (Width), z up (Height), origin at the box centre
// (not the bottom). Formats with yaw only leave Pitch and Roll 0.
type Box struct {
	// ID is the instance (track) id: the same object has the same ID in
	// every frame.
	ID string
	// Class is the object class ("car", "truck", "pole", ...).
	Class string
	// Frame is the coordinate frame the box is expressed in (FrameBase,
	// FrameGlobal, a sensor frame, ...).
	Frame string
	// Center is the box centre in Frame, metres.
	Center r3.Vec
	// Size is the extent along the box's axes.
	Size Size
	// Yaw, Pitch, Roll orient the box (see Box).
	Yaw, Pitch, Roll float64
	// Velocity is the object's velocity in Frame's axes (m/s), when known.
	Velocity *r3.Vec
	// Time is the instant the box describes, ns on the Set's Clock, when
	// it differs from or refines the frame's stamp (0: the frame's stamp).
	TimeNS int64
	// Attributes are free-form key/value annotations.
	Attributes map[string]string
	// Cameras are camera-synced boxes (rigsync labels sync): where the
	// object was when each camera that sees it captured it. Only rigsync
	// labels JSON carries them.
	Cameras []CameraBox
	// Labels2D are the object's 2D boxes in camera images given with the
	// labels (rigsync's frames output: frame.json labels_2d). Only
	// ReadExport fills them; no writer writes them.
	Labels2D []Label2D
}

// Label2D is an object's 2D box in one camera image: Left, Top, Right,
// Bottom in px of the image as recorded (distorted; pixel centres at
// integers), clipped to the image.
type Label2D struct {
	Camera                   string
	Left, Top, Right, Bottom float64
}

// CameraBox is a box moved to the time one camera captured its object
// (Waymo's camera_synced_box): same frame, size and axes as its Box, the
// centre and yaw at TimeNS.
type CameraBox struct {
	// Camera is the camera's sensor name (frame id).
	Camera string
	// TimeNS is the camera's capture time of the object, ns on the Set's
	// clock (global shutter: the image's mid-exposure stamp).
	TimeNS int64
	// Center and Yaw as in Box, at TimeNS.
	Center r3.Vec
	Yaw    float64
}

// Frame groups the boxes of one annotated frame (one LiDAR sweep).
type Frame struct {
	// Index is the frame's position in the run (rigsync's frame index,
	// the sequence index of an annotation tool), from 0.
	Index int
	// Token identifies the frame in its source (a nuScenes sample token,
	// a file's base name); may be empty.
	Token string
	// StampNS is the frame's reference time in ns on the Set's Clock (0:
	// unknown).
	StampNS int64
	// Boxes in no particular order.
	Boxes []Box
}

// Set is a labelled sequence.
type Set struct {
	// Clock names the clock of every time in the set (rigsync's frame
	// clock, "true" for fixture truth, "" when unknown).
	Clock string
	// Frames in Index order.
	Frames []Frame
}

// Pose returns the box pose T_frame_box.
func (b *Box) Pose() se3.Transform {
	T, err := se3.FromRPY(b.Roll, b.Pitch, b.Yaw, b.Center)
	if err != nil {
		return se3.Identity()
	}
	return T
}

// SetPose sets Center, Yaw, Pitch and Roll from T_frame_box.
func (b *Box) SetPose(T se3.Transform) {
	b.Center = T.Trans
	b.Roll, b.Pitch, b.Yaw = T.RPY()
}

// Transformed returns the box expressed in frame parent, given
// T_parent_frame (the box's current frame as child): centre and
// orientation are mapped, the velocity rotated, the size kept.
func (b Box) Transformed(T se3.Transform, parent string) Box {
	out := b
	out.SetPose(T.Mul(b.Pose()))
	if b.Velocity != nil {
		v := T.Rotate(*b.Velocity)
		out.Velocity = &v
	}
	out.Frame = parent
	out.Attributes = cloneAttrs(b.Attributes)
	if b.Cameras != nil {
		out.Cameras = make([]CameraBox, len(b.Cameras))
		for i, c := range b.Cameras {
			cb := b
			cb.Center, cb.Yaw = c.Center, c.Yaw
			m := T.Mul(cb.Pose())
			c.Center = m.Trans
			_, _, c.Yaw = m.RPY()
			out.Cameras[i] = c
		}
	}
	return out
}

func cloneAttrs(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Corners returns the 8 corners in the box's frame: the bottom face first
// (counter-clockwise seen from above, from the front-left corner), then
// the top face in the same order.
func (b *Box) Corners() [8]r3.Vec {
	T := b.Pose()
	hl, hw, hh := b.Size.Length/2, b.Size.Width/2, b.Size.Height/2
	signs := [4][2]float64{{1, 1}, {-1, 1}, {-1, -1}, {1, -1}}
	var out [8]r3.Vec
	for i, s := range signs {
		out[i] = T.Apply(r3.Vec{X: s[0] * hl, Y: s[1] * hw, Z: -hh})
		out[i+4] = T.Apply(r3.Vec{X: s[0] * hl, Y: s[1] * hw, Z: hh})
	}
	return out
}

// Contains reports whether p (in the box's frame) lies inside the box,
// grown by margin metres on every face.
func (b *Box) Contains(p r3.Vec, margin float64) bool {
	T := b.Pose()
	q := T.Inverse().Apply(p)
	return math.Abs(q.X) <= b.Size.Length/2+margin && math.Abs(q.Y) <= b.Size.Width/2+margin &&
		math.Abs(q.Z) <= b.Size.Height/2+margin
}

// Validate checks the box for values no format can carry: an empty ID or
// class, a non-finite number, a size that is not positive.
func (b *Box) Validate() error {
	if b.ID == "" {
		return errors.New("empty id")
	}
	if b.Class == "" {
		return fmt.Errorf("box %s: empty class", b.ID)
	}
	vals := []float64{b.Center.X, b.Center.Y, b.Center.Z, b.Yaw, b.Pitch, b.Roll}
	for _, c := range b.Cameras {
		if c.Camera == "" {
			return fmt.Errorf("box %s: camera box without a camera name", b.ID)
		}
		vals = append(vals, c.Center.X, c.Center.Y, c.Center.Z, c.Yaw)
	}
	if b.Velocity != nil {
		vals = append(vals, b.Velocity.X, b.Velocity.Y, b.Velocity.Z)
	}
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("box %s: non-finite value", b.ID)
		}
	}
	for _, v := range []float64{b.Size.Length, b.Size.Width, b.Size.Height} {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("box %s: size %v×%v×%v must be positive", b.ID, b.Size.Length, b.Size.Width, b.Size.Height)
		}
	}
	return nil
}

// Validate checks every box of the set.
func (s *Set) Validate() error {
	for _, f := range s.Frames {
		for i := range f.Boxes {
			if err := f.Boxes[i].Validate(); err != nil {
				return fmt.Errorf("labels: frame %d: %w", f.Index, err)
			}
		}
	}
	return nil
}

// Sort orders the frames by Index and each frame's boxes by ID, so that
// outputs are deterministic.
func (s *Set) Sort() {
	slices.SortStableFunc(s.Frames, func(a, b Frame) int { return a.Index - b.Index })
	for i := range s.Frames {
		slices.SortStableFunc(s.Frames[i].Boxes, func(a, b Box) int {
			switch {
			case a.ID < b.ID:
				return -1
			case a.ID > b.ID:
				return 1
			}
			return 0
		})
	}
}

// Count returns the number of boxes in the set.
func (s *Set) Count() int {
	n := 0
	for _, f := range s.Frames {
		n += len(f.Boxes)
	}
	return n
}

// WrapAngle maps an angle to [−π, π).
func WrapAngle(a float64) float64 {
	a = math.Mod(a+math.Pi, 2*math.Pi)
	if a < 0 {
		a += 2 * math.Pi
	}
	return a - math.Pi
}

// Error is a decoding error: the file, the record (a line number, a JSON
// path, a token) and what is wrong.
type Error struct {
	File   string
	Record string
	Err    error
}

func (e *Error) Error() string {
	s := "labels: " + e.File
	if e.Record != "" {
		s += ": " + e.Record
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func errf(file, record, format string, args ...any) error {
	return &Error{File: file, Record: record, Err: fmt.Errorf(format, args...)}
}
