package segments

import (
	"bytes"
	"encoding/json"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/fused"
)

// LabelsName is the file of the labels (fuse --labels): Segments.ai
// cuboid sequence label attributes (formats/labels.WriteSegments), to
// upload as the sample's label; CategoriesName lists the categories
// (id, name; ids from 1 in order of first appearance) the labels'
// category_id values refer to, for the dataset's task attributes.
const (
	LabelsName     = "labels.json"
	CategoriesName = "categories.json"
)

// addLabels keeps the frame's boxes, moved into the ego world frame with
// the frame's ego pose (as sample.json's ego_pose, before the origin is
// subtracted at Close).
func (w *Writer) addLabels(f *fused.Frame) {
	ego := f.Ego
	if ego == (se3.Transform{}) {
		ego = se3.Identity()
	}
	lf := labels.Frame{Index: f.Index, StampNS: f.Stamp, Boxes: make([]labels.Box, len(f.Labels))}
	for i := range f.Labels {
		lf.Boxes[i] = f.Labels[i].Transformed(ego, labels.FrameWorld)
	}
	w.labels = append(w.labels, lf)
}

// writeLabels writes LabelsName: every box's centre re-based on origin,
// as sample.json's ego poses are, so boxes and poses share Segments'
// world frame (the first frame's ego position at 0).
func (w *Writer) writeLabels(origin XYZ) error {
	s := &labels.Set{Frames: make([]labels.Frame, len(w.labels))}
	for i, f := range w.labels {
		f.Boxes = append([]labels.Box(nil), f.Boxes...)
		for k := range f.Boxes {
			c := &f.Boxes[k].Center
			c.X, c.Y, c.Z = c.X-origin.X, c.Y-origin.Y, c.Z-origin.Z
		}
		s.Frames[i] = f
	}
	var buf bytes.Buffer
	cats, err := labels.WriteSegments(&buf, s, nil)
	if err != nil {
		return err
	}
	if err := w.dir.WriteFile(LabelsName, buf.Bytes()); err != nil {
		return err
	}
	js, err := json.MarshalIndent(cats, "", " ")
	if err != nil {
		return err
	}
	return w.dir.WriteFile(CategoriesName, append(js, '\n'))
}
