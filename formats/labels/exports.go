package labels

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"

	"github.com/rigsync/rigsync/calib/se3"
	"gonum.org/v1/gonum/spatial/r3"
)

// FrameVelodyne is KITTI's velodyne frame: in rigsync's KITTI export the
// reference LiDAR's frame (rigsync_kitti.json "velodyne_frame"), whose
// extrinsic T_base_lidar the log's calibration gives.
const FrameVelodyne = "velodyne"

// AttrKITTILine is the attribute that keeps a KITTI label_2 box's line
// number: label_2 has no track id, so boxes read from it have ID "" (see
// ReadExport).
const AttrKITTILine = "kitti.line"

// exportManifest is one line of a rigsync export's manifest.jsonl (or the
// CVAT export's rigsync_manifest.jsonl): the frame's index and reference
// stamp.
type exportManifest struct {
	Index   int    `json:"index"`
	StampNS int64  `json:"stamp_ns"`
	Clock   string `json:"clock"`
}

// readManifest reads the export's manifest (name: manifest.jsonl, else
// rigsync_manifest.jsonl): stamp and clock by frame index.
func readManifest(fsys fs.FS) (map[int]exportManifest, string, error) {
	name := "manifest.jsonl"
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		name = "rigsync_manifest.jsonl"
		if data, err = fs.ReadFile(fsys, name); err != nil {
			return nil, "", fmt.Errorf("labels: the export has no manifest.jsonl or rigsync_manifest.jsonl (the frames' stamps): %w", err)
		}
	}
	out := map[int]exportManifest{}
	clock := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<24)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var m exportManifest
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, "", errf(name, fmt.Sprintf("line %d", line), "%v", err)
		}
		if m.Index < 0 || m.StampNS <= 0 {
			return nil, "", errf(name, fmt.Sprintf("line %d", line), "index %d, stamp_ns %d: want index ≥ 0 and a positive stamp", m.Index, m.StampNS)
		}
		out[m.Index] = m
		if clock == "" {
			clock = m.Clock
		}
	}
	if err := sc.Err(); err != nil {
		return nil, "", &Error{File: name, Err: err}
	}
	if len(out) == 0 {
		return nil, "", errf(name, "", "no frame")
	}
	return out, clock, nil
}

// stamped sets each frame's StampNS from the manifest (by Index); a frame
// the manifest does not list is an error.
func stamped(s *Set, man map[int]exportManifest, file string) error {
	for i := range s.Frames {
		m, ok := man[s.Frames[i].Index]
		if !ok {
			return errf(file, fmt.Sprintf("frame %d", s.Frames[i].Index), "not in the export's manifest")
		}
		s.Frames[i].StampNS = m.StampNS
	}
	return nil
}

// ExportFormats are the layouts of rigsync's fuse outputs ReadExport
// reads.
var ExportFormats = []string{"kitti", "segments", "cvat", "xtreme1", "frames"}

// ReadExport reads the labels of a rigsync fuse output folder (fsys) in
// one of ExportFormats, with the sidecars that give each frame its stamp
// and each box its frame, and returns them with boxes in:
//
//	kitti     FrameVelodyne (label_2/NNNNNN.txt with calib/NNNNNN.txt;
//	          stamps from manifest.jsonl). label_2 has no track id: ID is
//	          "" and AttrKITTILine keeps the line; boxes are upright in the
//	          camera frame (rotation_y only).
//	segments  FrameBase: labels.json (with categories.json) is in the
//	          sequence's world frame; each frame's box is moved into
//	          base_link with sample.json's ego pose of that frame
//	          (T_world_base, quaternion x y z w; world = the first pose's
//	          position subtracted, origin.json). Stamps from labels.json;
//	          the Set has no Clock.
//	cvat      FrameBase (tracklet_labels.xml and frame_list.txt; stamps from
//	          rigsync_manifest.jsonl).
//	xtreme1   FrameBase (result/NNNNNN.json; stamps from manifest.jsonl).
//	frames    each frame folder's frame.json "labels" (rigsync labels JSON
//	          boxes, in its frame_id at stamp_ns, with velocity) and, per
//	          camera, "labels_2d" (Box.Labels2D, by box id).
//
// Velocity and box times are nil except in frames.
// The Set's Clock is the manifest's clock, when it names one.
func ReadExport(fsys fs.FS, format string) (*Set, error) {
	if format == "segments" {
		return readSegmentsExport(fsys)
	}
	man, clock, err := readManifest(fsys)
	if err != nil {
		return nil, err
	}
	idx := make([]int, 0, len(man))
	for i := range man {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	s := &Set{Clock: clock}
	switch format {
	case "kitti":
		for _, i := range idx {
			name := fmt.Sprintf("%06d.txt", i)
			cf, err := fs.ReadFile(fsys, path.Join("calib", name))
			if err != nil {
				return nil, fmt.Errorf("labels: kitti frame %d: %w", i, err)
			}
			calib, err := ReadKITTICalib(bytes.NewReader(cf), "calib/"+name)
			if err != nil {
				return nil, err
			}
			lf, err := fs.ReadFile(fsys, path.Join("label_2", name))
			if err != nil {
				return nil, fmt.Errorf("labels: kitti frame %d: %w", i, err)
			}
			boxes, err := ReadKITTILabels(bytes.NewReader(lf), "label_2/"+name, calib, FrameVelodyne)
			if err != nil {
				return nil, err
			}
			for k := range boxes {
				b := &boxes[k]
				if b.Attributes == nil {
					b.Attributes = map[string]string{}
				}
				b.Attributes[AttrKITTILine], b.ID = b.ID, ""
			}
			s.Frames = append(s.Frames, Frame{Index: i, Token: name, StampNS: man[i].StampNS, Boxes: boxes})
		}
	case "xtreme1":
		for _, i := range idx {
			name := path.Join("result", fmt.Sprintf("%06d.json", i))
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, fmt.Errorf("labels: xtreme1 frame %d: %w", i, err)
			}
			boxes, err := ReadXtreme1(bytes.NewReader(data), name, FrameBase)
			if err != nil {
				return nil, err
			}
			s.Frames = append(s.Frames, Frame{Index: i, Token: path.Base(name), StampNS: man[i].StampNS, Boxes: boxes})
		}
	case "frames":
		for _, i := range idx {
			f, err := readFrameDoc(fsys, i, man[i])
			if err != nil {
				return nil, err
			}
			s.Frames = append(s.Frames, f)
		}
	case "cvat":
		x, err := fsys.Open("tracklet_labels.xml")
		if err != nil {
			return nil, fmt.Errorf("labels: cvat: %w", err)
		}
		defer x.Close()
		var fl io.Reader
		if f, err := fsys.Open("frame_list.txt"); err == nil {
			defer f.Close()
			fl = f
		}
		set, err := ReadCVAT(x, "tracklet_labels.xml", fl, FrameBase)
		if err != nil {
			return nil, err
		}
		if err := stamped(set, man, "tracklet_labels.xml"); err != nil {
			return nil, err
		}
		s.Frames = set.Frames
	default:
		return nil, fmt.Errorf("labels: export format %q: want one of %v: %w", format, ExportFormats, ErrFormat)
	}
	return s, nil
}

// readSegmentsExport reads a rigsync Segments.ai export (see ReadExport).
func readSegmentsExport(fsys fs.FS) (*Set, error) {
	var cats []SegmentsCategory
	cj, err := fs.ReadFile(fsys, "categories.json")
	if err != nil {
		return nil, fmt.Errorf("labels: segments: %w", err)
	}
	if err := json.Unmarshal(cj, &cats); err != nil {
		return nil, &Error{File: "categories.json", Err: err}
	}
	lj, err := fs.ReadFile(fsys, "labels.json")
	if err != nil {
		return nil, fmt.Errorf("labels: segments: %w", err)
	}
	set, err := ReadSegments(bytes.NewReader(lj), "labels.json", cats)
	if err != nil {
		return nil, err
	}
	sj, err := fs.ReadFile(fsys, "sample.json")
	if err != nil {
		return nil, fmt.Errorf("labels: segments: %w", err)
	}
	var sample struct {
		Frames []struct {
			EgoPose *struct {
				Position segXYZ  `json:"position"`
				Heading  segQuat `json:"heading"`
			} `json:"ego_pose"`
		} `json:"frames"`
	}
	if err := json.Unmarshal(sj, &sample); err != nil {
		return nil, &Error{File: "sample.json", Err: err}
	}
	if len(sample.Frames) != len(set.Frames) {
		return nil, errf("sample.json", "frames", "%d frames, labels.json has %d", len(sample.Frames), len(set.Frames))
	}
	for i := range set.Frames {
		e := sample.Frames[i].EgoPose
		if e == nil {
			return nil, errf("sample.json", fmt.Sprintf("frames[%d]", i), "no ego_pose")
		}
		T, err := se3.FromQuatXYZW(e.Heading.QX, e.Heading.QY, e.Heading.QZ, e.Heading.QW, r3.Vec{X: e.Position.X, Y: e.Position.Y, Z: e.Position.Z})
		if err != nil {
			return nil, errf("sample.json", fmt.Sprintf("frames[%d].ego_pose", i), "%v", err)
		}
		inv := T.Inverse()
		for k, b := range set.Frames[i].Boxes {
			set.Frames[i].Boxes[k] = b.Transformed(inv, FrameBase)
		}
	}
	return set, nil
}

// readFrameDoc reads frame i of a frames output: NNNNNN/frame.json's
// labels and labels_2d.
func readFrameDoc(fsys fs.FS, i int, m exportManifest) (Frame, error) {
	name := path.Join(fmt.Sprintf("%06d", i), "frame.json")
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return Frame{}, fmt.Errorf("labels: frames frame %d: %w", i, err)
	}
	var doc struct {
		StampNS int64           `json:"stamp_ns"`
		Clock   string          `json:"clock"`
		Labels  json.RawMessage `json:"labels"`
		Cameras []struct {
			Name     string `json:"name"`
			Labels2D []struct {
				ID   string     `json:"id"`
				BBox [4]float64 `json:"bbox"`
			} `json:"labels_2d"`
		} `json:"cameras"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return Frame{}, &Error{File: name, Record: offsetOf(data, err), Err: err}
	}
	if len(doc.Labels) == 0 {
		return Frame{}, errf(name, "labels", "no labels (was it fused with --labels?)")
	}
	// The labels are rigsync labels JSON boxes: read them as a one-frame set.
	wrap, err := json.Marshal(map[string]any{"format": JSONFormat, "version": JSONVersion, "clock": doc.Clock,
		"frames": []map[string]any{{"index": i, "stamp_ns": m.StampNS, "boxes": doc.Labels}}})
	if err != nil {
		return Frame{}, &Error{File: name, Record: "labels", Err: err}
	}
	set, err := ReadJSON(bytes.NewReader(wrap), name)
	if err != nil {
		return Frame{}, err
	}
	f := set.Frames[0]
	f.Token = path.Dir(name)
	byID := map[string]int{}
	for k, b := range f.Boxes {
		byID[b.ID] = k
	}
	for ci, c := range doc.Cameras {
		for li, l := range c.Labels2D {
			k, ok := byID[l.ID]
			bb := l.BBox
			if !ok || !finite(bb[:]...) || bb[2] < bb[0] || bb[3] < bb[1] {
				return Frame{}, errf(name, fmt.Sprintf("cameras[%d].labels_2d[%d]", ci, li), "id %q, bbox %v: want a box id of the frame and left ≤ right, top ≤ bottom", l.ID, bb)
			}
			f.Boxes[k].Labels2D = append(f.Boxes[k].Labels2D, Label2D{Camera: c.Name, Left: bb[0], Top: bb[1], Right: bb[2], Bottom: bb[3]})
		}
	}
	return f, nil
}

// exportFormat tells which rigsync export a folder holds, "" if none.
func exportFormat(dir string) string {
	has := func(p string) bool { _, err := os.Stat(filepath.Join(dir, p)); return err == nil }
	switch {
	case has("label_2") && has("calib"):
		return "kitti"
	case has("tracklet_labels.xml"):
		return "cvat"
	case has("sample.json") && has("labels.json"):
		return "segments"
	case has("result") && has("manifest.jsonl"):
		return "xtreme1"
	case has("manifest.jsonl") && has("000000/frame.json"):
		return "frames"
	}
	return ""
}
