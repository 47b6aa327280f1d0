package labels

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/rigsync/rigsync/calib/se3"
	"gonum.org/v1/gonum/spatial/r3"
)

// SegmentsCategory is one category of a Segments.ai dataset (its task
// attributes' "categories": id and name).
type SegmentsCategory struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

type segXYZ struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	Z float64 `json:"z"`
}

type segQuat struct {
	QX float64 `json:"qx"`
	QY float64 `json:"qy"`
	QZ float64 `json:"qz"`
	QW float64 `json:"qw"`
}

type segAnnotation struct {
	ID         int      `json:"id"`
	CategoryID int      `json:"category_id"`
	Type       string   `json:"type"`
	Position   segXYZ   `json:"position"`
	Dimensions segXYZ   `json:"dimensions"`
	Yaw        float64  `json:"yaw"`
	Rotation   *segQuat `json:"rotation,omitempty"`
	TrackID    int      `json:"track_id"`
	IsKeyframe bool     `json:"is_keyframe"`
	Index      int      `json:"index"`
}

type segFrame struct {
	FormatVersion string          `json:"format_version"`
	Timestamp     json.RawMessage `json:"timestamp,omitempty"`
	Annotations   []segAnnotation `json:"annotations"`
}

type segLabel struct {
	FormatVersion string     `json:"format_version"`
	Frames        []segFrame `json:"frames"`
}

// segmentsID maps a box id to Segments' object and track id, which must
// be positive integers: id + 1.
func segmentsID(id string) (int, error) {
	n, err := strconv.Atoi(id)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("id %q is not a non-negative integer (Segments.ai track ids are integers)", id)
	}
	return n + 1, nil
}

// WriteSegments writes s as the label attributes of a Segments.ai point
// cloud cuboid sequence (label format 0.2: {"format_version": "0.2",
// "frames": [{"format_version", "timestamp", "annotations": [...]}]}),
// one frame per Set frame in order; upload it with the SDK's
// client.add_label(sample_uuid, "ground-truth", attributes). Every box
// must be in FrameWorld: Segments' world coordinates, the frame of the
// sample's ego poses (rigsync's sample.json re-bases them on the first
// frame's ego pose). Conventions at this boundary (Segments'): position
// is the centre, dimensions x = length, y = width, z = height, yaw about
// +z in [−π, π] (0 along +x, counter-clockwise), and a rotation
// quaternion {qx, qy, qz, qw} written only for boxes with roll or pitch
// (it needs 3D cuboid rotation enabled in the dataset). Object and track
// ids are the box id + 1 (ids must be non-negative integers; Segments
// needs them > 0); category ids come from cats, classes missing there are
// appended with the next free id, and the full list is returned (the
// dataset's categories). Timestamp is the frame's StampNS. Velocity, box
// times and attributes are not written.
func WriteSegments(w io.Writer, s *Set, cats []SegmentsCategory) ([]SegmentsCategory, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	cats = slices.Clone(cats)
	catID := map[string]int{}
	next := 1
	for _, c := range cats {
		catID[c.Name] = c.ID
		next = max(next, c.ID+1)
	}
	out := segLabel{FormatVersion: "0.2", Frames: make([]segFrame, len(s.Frames))}
	for i, f := range s.Frames {
		sf := segFrame{FormatVersion: "0.2", Annotations: []segAnnotation{}}
		if f.StampNS != 0 {
			sf.Timestamp = json.RawMessage(strconv.FormatInt(f.StampNS, 10))
		}
		for _, b := range f.Boxes {
			if b.Frame != FrameWorld {
				return nil, fmt.Errorf("labels: segments: frame %d box %s is in %q, want %q", f.Index, b.ID, b.Frame, FrameWorld)
			}
			id, err := segmentsID(b.ID)
			if err != nil {
				return nil, fmt.Errorf("labels: segments: frame %d: %w", f.Index, err)
			}
			c, ok := catID[b.Class]
			if !ok {
				c = next
				next++
				catID[b.Class] = c
				cats = append(cats, SegmentsCategory{ID: c, Name: b.Class})
			}
			a := segAnnotation{ID: id, CategoryID: c, Type: "cuboid", Position: segXYZ{b.Center.X, b.Center.Y, b.Center.Z},
				Dimensions: segXYZ{b.Size.Length, b.Size.Width, b.Size.Height}, Yaw: WrapAngle(b.Yaw), TrackID: id,
				IsKeyframe: true, Index: i}
			if b.Pitch != 0 || b.Roll != 0 {
				q := b.Pose().Rot
				a.Rotation = &segQuat{QX: q.Imag, QY: q.Jmag, QZ: q.Kmag, QW: q.Real}
			}
			sf.Annotations = append(sf.Annotations, a)
		}
		out.Frames[i] = sf
	}
	data, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		return nil, fmt.Errorf("labels: segments: %w", err)
	}
	_, err = w.Write(append(data, '\n'))
	return cats, err
}

// ReadSegments reads Segments.ai cuboid sequence label attributes (as
// WriteSegments writes them, or as client.get_label returns them) with the
// dataset's categories; boxes are in FrameWorld, ids track_id − 1 (the
// object id when a frame has no track id). Frame i gets Index i and the
// frame's timestamp (a number or a numeric string of ns) as StampNS.
func ReadSegments(r io.Reader, name string, cats []SegmentsCategory) (*Set, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	var sl segLabel
	if err := json.Unmarshal(data, &sl); err != nil {
		return nil, &Error{File: name, Record: offsetOf(data, err), Err: err}
	}
	catName := map[int]string{}
	for _, c := range cats {
		catName[c.ID] = c.Name
	}
	s := &Set{Frames: make([]Frame, len(sl.Frames))}
	for i, sf := range sl.Frames {
		f := Frame{Index: i}
		if len(sf.Timestamp) > 0 && string(sf.Timestamp) != "null" {
			ts := bytes.Trim(sf.Timestamp, `"`)
			n, err := strconv.ParseInt(string(ts), 10, 64)
			if err != nil {
				return nil, errf(name, fmt.Sprintf("frames[%d].timestamp", i), "%s is not an integer of ns", sf.Timestamp)
			}
			f.StampNS = n
		}
		for j, a := range sf.Annotations {
			rec := fmt.Sprintf("frames[%d].annotations[%d]", i, j)
			if a.Type != "cuboid" {
				continue
			}
			class, ok := catName[a.CategoryID]
			if !ok {
				return nil, errf(name, rec, "unknown category_id %d", a.CategoryID)
			}
			id := a.TrackID
			if id == 0 {
				id = a.ID
			}
			if id <= 0 {
				return nil, errf(name, rec, "track id %d is not positive", id)
			}
			b := Box{ID: strconv.Itoa(id - 1), Class: class, Frame: FrameWorld,
				Center: r3.Vec{X: a.Position.X, Y: a.Position.Y, Z: a.Position.Z},
				Size:   Size{Length: a.Dimensions.X, Width: a.Dimensions.Y, Height: a.Dimensions.Z}, Yaw: a.Yaw}
			if q := a.Rotation; q != nil {
				T, err := se3.FromQuatXYZW(q.QX, q.QY, q.QZ, q.QW, b.Center)
				if err != nil {
					return nil, errf(name, rec, "rotation: %v", err)
				}
				b.SetPose(T)
			}
			if err := b.Validate(); err != nil {
				return nil, errf(name, rec, "%v", err)
			}
			f.Boxes = append(f.Boxes, b)
		}
		s.Frames[i] = f
	}
	return s, nil
}
