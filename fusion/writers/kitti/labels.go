package kitti

import (
	"bytes"

	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/fused"
)

// labels writes the frame's 3D labels as its label_2 file with the
// frame's calib (formats/labels.WriteKITTILabels): each box moved from
// the frame's FrameID into the velodyne frame (the reference LiDAR's, by
// T_<frame>_<lidar>⁻¹), then into the rectified image_2 camera with
// R0_rect · Tr_velo_to_cam: bottom-face centre, rotation_y, h w l. The 2D
// box is the bounding rectangle of the 8 corners projected with P2
// (pinhole, static calibration: no distortion, no ego motion between the
// LiDAR and camera times), clipped to image_2's size; truncated is the
// fraction of it outside the image, occluded 3 (unknown), alpha =
// rotation_y − atan2(x, z). A box with a corner behind the camera gets
// a zero 2D box and truncated 1.
func (w *Writer) labels(f *fused.Frame, calib []byte) ([]byte, error) {
	c, err := labels.ReadKITTICalib(bytes.NewReader(calib), "calib")
	if err != nil {
		return nil, err
	}
	T := w.lidar.Inverse()
	boxes := make([]labels.Box, len(f.Labels))
	for i, b := range f.Labels {
		boxes[i] = b.Transformed(T, "velodyne")
	}
	width, height := 0, 0
	if len(w.cams) > 0 {
		width, height = w.cams[0].info.Width, w.cams[0].info.Height
	}
	var buf bytes.Buffer
	if err := labels.WriteKITTILabels(&buf, boxes, c, width, height); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
