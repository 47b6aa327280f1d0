package labels

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"gonum.org/v1/gonum/spatial/r3"
)

// JSONFormat and JSONVersion identify rigsync's own labels JSON.
const (
	JSONFormat  = "rigsync.labels"
	JSONVersion = 1
)

type jsonSet struct {
	Format  string      `json:"format"`
	Version int         `json:"version"`
	Clock   string      `json:"clock"`
	Frames  []jsonFrame `json:"frames"`
}

type jsonFrame struct {
	Index   int       `json:"index"`
	Token   string    `json:"token,omitempty"`
	StampNS int64     `json:"stamp_ns"`
	Boxes   []jsonBox `json:"boxes"`
}

type jsonBox struct {
	ID         string            `json:"id"`
	Class      string            `json:"class"`
	Frame      string            `json:"frame"`
	Center     [3]float64        `json:"center"`
	Size       [3]float64        `json:"size"`
	Yaw        float64           `json:"yaw"`
	Pitch      float64           `json:"pitch,omitempty"`
	Roll       float64           `json:"roll,omitempty"`
	Velocity   *[3]float64       `json:"velocity,omitempty"`
	TimeNS     int64             `json:"time_ns,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Cameras    []jsonCameraBox   `json:"cameras,omitempty"`
}

type jsonCameraBox struct {
	Camera string     `json:"camera"`
	TimeNS int64      `json:"time_ns"`
	Center [3]float64 `json:"center"`
	Yaw    float64    `json:"yaw"`
}

// WriteJSON writes s as rigsync labels JSON (see the package doc).
func WriteJSON(w io.Writer, s *Set) error {
	if err := s.Validate(); err != nil {
		return err
	}
	js := jsonSet{Format: JSONFormat, Version: JSONVersion, Clock: s.Clock, Frames: make([]jsonFrame, len(s.Frames))}
	for i, f := range s.Frames {
		jf := jsonFrame{Index: f.Index, Token: f.Token, StampNS: f.StampNS, Boxes: make([]jsonBox, len(f.Boxes))}
		for j, b := range f.Boxes {
			jb := jsonBox{ID: b.ID, Class: b.Class, Frame: b.Frame, Center: [3]float64{b.Center.X, b.Center.Y, b.Center.Z},
				Size: [3]float64{b.Size.Length, b.Size.Width, b.Size.Height}, Yaw: b.Yaw, Pitch: b.Pitch, Roll: b.Roll,
				TimeNS: b.TimeNS, Attributes: b.Attributes}
			if b.Velocity != nil {
				jb.Velocity = &[3]float64{b.Velocity.X, b.Velocity.Y, b.Velocity.Z}
			}
			for _, c := range b.Cameras {
				jb.Cameras = append(jb.Cameras, jsonCameraBox{Camera: c.Camera, TimeNS: c.TimeNS,
					Center: [3]float64{c.Center.X, c.Center.Y, c.Center.Z}, Yaw: c.Yaw})
			}
			jf.Boxes[j] = jb
		}
		js.Frames[i] = jf
	}
	// One box per line: diffs and greps stay readable.
	var buf bytes.Buffer
	head, err := json.Marshal(struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
		Clock   string `json:"clock"`
	}{js.Format, js.Version, js.Clock})
	if err != nil {
		return fmt.Errorf("labels: %w", err)
	}
	buf.Write(head[:len(head)-1])
	buf.WriteString(",\n \"frames\": [")
	for i, f := range js.Frames {
		if i > 0 {
			buf.WriteByte(',')
		}
		fh, err := json.Marshal(jsonFrame{Index: f.Index, Token: f.Token, StampNS: f.StampNS})
		if err != nil {
			return fmt.Errorf("labels: %w", err)
		}
		// fh ends with "boxes":null}.
		fh = bytes.TrimSuffix(fh, []byte("null}"))
		buf.WriteString("\n  ")
		buf.Write(fh)
		buf.WriteByte('[')
		for j, b := range f.Boxes {
			if j > 0 {
				buf.WriteByte(',')
			}
			bb, err := json.Marshal(b)
			if err != nil {
				return fmt.Errorf("labels: frame %d box %s: %w", f.Index, b.ID, err)
			}
			buf.WriteString("\n   ")
			buf.Write(bb)
		}
		if len(f.Boxes) > 0 {
			buf.WriteString("\n  ")
		}
		buf.WriteString("]}")
	}
	buf.WriteString("\n ]\n}\n")
	_, err = w.Write(buf.Bytes())
	return err
}

// ReadJSON reads rigsync labels JSON; name is the file name used in errors.
func ReadJSON(r io.Reader, name string) (*Set, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var js jsonSet
	if err := dec.Decode(&js); err != nil {
		return nil, &Error{File: name, Record: offsetOf(data, err), Err: err}
	}
	if js.Format != JSONFormat {
		return nil, errf(name, "format", "format %q, want %q", js.Format, JSONFormat)
	}
	if js.Version != JSONVersion {
		return nil, errf(name, "version", "version %d, want %d", js.Version, JSONVersion)
	}
	s := &Set{Clock: js.Clock, Frames: make([]Frame, len(js.Frames))}
	for i, jf := range js.Frames {
		f := Frame{Index: jf.Index, Token: jf.Token, StampNS: jf.StampNS, Boxes: make([]Box, len(jf.Boxes))}
		for j, jb := range jf.Boxes {
			b := Box{ID: jb.ID, Class: jb.Class, Frame: jb.Frame, Center: vec3(jb.Center),
				Size: Size{jb.Size[0], jb.Size[1], jb.Size[2]}, Yaw: jb.Yaw, Pitch: jb.Pitch, Roll: jb.Roll,
				TimeNS: jb.TimeNS, Attributes: jb.Attributes}
			if jb.Velocity != nil {
				v := vec3(*jb.Velocity)
				b.Velocity = &v
			}
			for _, c := range jb.Cameras {
				b.Cameras = append(b.Cameras, CameraBox{Camera: c.Camera, TimeNS: c.TimeNS, Center: vec3(c.Center), Yaw: c.Yaw})
			}
			if err := b.Validate(); err != nil {
				return nil, errf(name, fmt.Sprintf("frames[%d].boxes[%d]", i, j), "%v", err)
			}
			f.Boxes[j] = b
		}
		s.Frames[i] = f
	}
	return s, nil
}

func vec3(a [3]float64) r3.Vec { return r3.Vec{X: a[0], Y: a[1], Z: a[2]} }

// offsetOf names where a JSON decoding error happened: the line and the
// byte offset.
func offsetOf(data []byte, err error) string {
	var off int64 = -1
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset
	case *json.UnmarshalTypeError:
		off = e.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return ""
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	return fmt.Sprintf("line %d (byte %d)", line, off)
}

// finite reports whether every value is a finite number.
func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
