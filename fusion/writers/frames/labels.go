package frames

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/boxproj"
	"github.com/rigsync/rigsync/fusion/fused"
)

// label2DDoc is one 3D box projected into a camera (boxproj).
type label2DDoc struct {
	ID    string `json:"id"`
	Class string `json:"class"`
	// BBox is left, top, right, bottom in px (pixel centres at integers),
	// clipped to the image.
	BBox      [4]float64 `json:"bbox"`
	Truncated float64    `json:"truncated"`
}

// labelsJSON returns f.Labels as the "boxes" array of rigsync labels
// JSON (labels.WriteJSON), so that frame.json's "labels" reads back with
// labels.ReadJSON.
func labelsJSON(f *fused.Frame) (json.RawMessage, error) {
	var buf bytes.Buffer
	s := &labels.Set{Clock: f.Clock, Frames: []labels.Frame{{Index: f.Index, StampNS: f.Stamp, Boxes: f.Labels}}}
	if err := labels.WriteJSON(&buf, s); err != nil {
		return nil, err
	}
	var doc struct {
		Frames []struct {
			Boxes json.RawMessage `json:"boxes"`
		} `json:"frames"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || len(doc.Frames) != 1 {
		return nil, fmt.Errorf("labels: %v", err)
	}
	if len(doc.Frames[0].Boxes) == 0 || string(doc.Frames[0].Boxes) == "null" {
		return json.RawMessage("[]"), nil
	}
	return doc.Frames[0].Boxes, nil
}

// labels2D projects f.Labels into camera c.
func labels2D(f *fused.Frame, c *fused.Camera) *[]label2DDoc {
	out := []label2DDoc{}
	for _, b := range boxproj.Project(f, c) {
		out = append(out, label2DDoc{ID: b.ID, Class: b.Class, BBox: [4]float64{b.Left, b.Top, b.Right, b.Bottom}, Truncated: b.Truncated})
	}
	return &out
}
