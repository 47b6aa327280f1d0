package labels

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"gonum.org/v1/gonum/spatial/r3"
)

type x1XYZ struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	Z float64 `json:"z"`
}

type x1Contour struct {
	PointN     int     `json:"pointN"`
	Points     []x1XYZ `json:"points"`
	Size3D     x1XYZ   `json:"size3D"`
	Center3D   x1XYZ   `json:"center3D"`
	ViewIndex  int     `json:"viewIndex"`
	Rotation3D x1XYZ   `json:"rotation3D"`
}

type x1Object struct {
	ID              string            `json:"id"`
	Type            string            `json:"type"`
	ClassID         *int64            `json:"classId"`
	ClassName       string            `json:"className"`
	TrackID         string            `json:"trackId"`
	TrackName       string            `json:"trackName"`
	ClassValues     []json.RawMessage `json:"classValues"`
	Contour         x1Contour         `json:"contour"`
	ModelConfidence *float64          `json:"modelConfidence"`
	ModelClass      string            `json:"modelClass"`
}

type x1Result struct {
	Version              string          `json:"version"`
	DataID               *int64          `json:"dataId"`
	SourceName           string          `json:"sourceName"`
	ClassificationValues json.RawMessage `json:"classificationValues"`
	Objects              []x1Object      `json:"objects"`
}

// WriteXtreme1 writes the boxes of one frame as an Xtreme1 annotation
// result file (the JSON of the export's result/ folder and of the
// upload's pre-labels, one per point cloud, same base name): an array
// with one result {"version", "sourceName", "objects": [...]}, each box an
// object of type "3D_BOX" with className = class, trackId and trackName =
// the box id, and contour {size3D, center3D, rotation3D}. The boxes must be
// in the point cloud's frame (rigsync's frames: base_link). Conventions at
// this boundary: center3D is the centre; size3D x = length, y = width,
// z = height; rotation3D the Euler angles (rad) of three.js' default
// "XYZ" order, R = Rx(x)·Ry(y)·Rz(z) (yaw-only boxes: x = y = 0, z =
// yaw). Object ids are derived from the frame token and the box id;
// classId, dataId and modelConfidence are null (Xtreme1 assigns them).
// Velocity, box times and attributes are not written.
func WriteXtreme1(w io.Writer, f *Frame) error {
	res := x1Result{Version: "Xtreme1 V0.6", SourceName: "rigsync", ClassificationValues: json.RawMessage("null"), Objects: []x1Object{}}
	for i := range f.Boxes {
		b := &f.Boxes[i]
		if err := b.Validate(); err != nil {
			return fmt.Errorf("labels: xtreme1: frame %d: %w", f.Index, err)
		}
		x, y, z := eulerXYZ(b.Pose().Matrix())
		res.Objects = append(res.Objects, x1Object{ID: uuidOf(token("xtreme1", f.Token, b.ID)), Type: "3D_BOX",
			ClassName: b.Class, TrackID: b.ID, TrackName: b.ID, ClassValues: []json.RawMessage{},
			Contour: x1Contour{Points: []x1XYZ{}, Size3D: x1XYZ{b.Size.Length, b.Size.Width, b.Size.Height},
				Center3D: x1XYZ{b.Center.X, b.Center.Y, b.Center.Z}, Rotation3D: x1XYZ{x, y, z}}})
	}
	data, err := json.MarshalIndent([]x1Result{res}, "", " ")
	if err != nil {
		return fmt.Errorf("labels: xtreme1: %w", err)
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

func uuidOf(h string) string {
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// ReadXtreme1 reads an Xtreme1 annotation result file (an array of
// results or one result object) into the boxes of one frame, in frame
// (the point cloud's frame). Objects of other types (2D boxes, polygons)
// are skipped; a box's id is its trackId (its object id without one).
func ReadXtreme1(r io.Reader, name, frame string) ([]Box, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	var results []x1Result
	trim := bytes.TrimLeft(data, " \t\r\n")
	if len(trim) > 0 && trim[0] == '{' {
		var one x1Result
		if err := json.Unmarshal(data, &one); err != nil {
			return nil, &Error{File: name, Record: offsetOf(data, err), Err: err}
		}
		results = []x1Result{one}
	} else if err := json.Unmarshal(data, &results); err != nil {
		return nil, &Error{File: name, Record: offsetOf(data, err), Err: err}
	}
	var out []Box
	for i, res := range results {
		for j, o := range res.Objects {
			if o.Type != "3D_BOX" {
				continue
			}
			rec := fmt.Sprintf("[%d].objects[%d]", i, j)
			id := o.TrackID
			if id == "" {
				id = o.ID
			}
			c := o.Contour
			T, err := poseXYZ(r3.Vec{X: c.Center3D.X, Y: c.Center3D.Y, Z: c.Center3D.Z}, c.Rotation3D.X, c.Rotation3D.Y, c.Rotation3D.Z)
			if err != nil || !finite(c.Rotation3D.X, c.Rotation3D.Y, c.Rotation3D.Z) {
				return nil, errf(name, rec, "rotation3D %+v: not finite", c.Rotation3D)
			}
			b := Box{ID: id, Class: o.ClassName, Frame: frame, Size: Size{Length: c.Size3D.X, Width: c.Size3D.Y, Height: c.Size3D.Z}}
			b.SetPose(T)
			if err := b.Validate(); err != nil {
				return nil, errf(name, rec, "%v", err)
			}
			out = append(out, b)
		}
	}
	return out, nil
}
