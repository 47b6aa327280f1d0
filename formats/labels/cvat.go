package labels

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/spatial/r3"
)

// CVAT exports and imports the cuboids of a 3D task as "Kitti Raw Format
// 1.0" (Datumaro's kitti_raw): tracklet_labels.xml, a boost serialization
// archive of tracklets, plus frame_list.txt ("<frame> <name>" per line).

type cvatAttr struct {
	Name  string `xml:"name"`
	Value string `xml:"value"`
}

type cvatPose struct {
	TX             float64    `xml:"tx"`
	TY             float64    `xml:"ty"`
	TZ             float64    `xml:"tz"`
	RX             float64    `xml:"rx"`
	RY             float64    `xml:"ry"`
	RZ             float64    `xml:"rz"`
	State          int        `xml:"state"`
	Occlusion      int        `xml:"occlusion"`
	OcclusionKF    int        `xml:"occlusion_kf"`
	Truncation     int        `xml:"truncation"`
	AmtOcclusion   float64    `xml:"amt_occlusion"`
	AmtBorderL     float64    `xml:"amt_border_l"`
	AmtBorderR     float64    `xml:"amt_border_r"`
	AmtOcclusionKF float64    `xml:"amt_occlusion_kf"`
	AmtBorderKF    float64    `xml:"amt_border_kf"`
	Attributes     []cvatAttr `xml:"attributes>attribute"`
}

type cvatTracklet struct {
	ObjectType string     `xml:"objectType"`
	H          float64    `xml:"h"`
	W          float64    `xml:"w"`
	L          float64    `xml:"l"`
	FirstFrame int        `xml:"first_frame"`
	Poses      []cvatPose `xml:"poses>item"`
	Finished   int        `xml:"finished"`
}

type cvatDoc struct {
	XMLName   xml.Name       `xml:"boost_serialization"`
	Tracklets []cvatTracklet `xml:"tracklets>item"`
}

// CVATInstanceAttr is the pose attribute that carries a box's id.
const CVATInstanceAttr = "instance_id"

// WriteCVAT writes s as CVAT's 3D annotation format "Kitti Raw Format
// 1.0": tracklet_labels.xml to w and frame_list.txt ("<index> <token>",
// the token or the index when empty) to frameList (may be nil). Each box
// id becomes tracklets (a new one where the id skips a frame or its size
// or class changes, since a tracklet has one size and class), its poses
// carrying the id as the attribute instance_id. Boxes must be in the
// point cloud's frame (rigsync's frames: base_link). Conventions at this
// boundary (CVAT's/Datumaro's): tx ty tz is the box centre (not KITTI
// raw's bottom); rx ry rz are three.js "XYZ" Euler angles, R =
// Rx·Ry·Rz; and the size is written as Datumaro writes a CVAT cuboid's
// scale (x, y, z) = (length, width, height): w = length, h = width,
// l = height (sic). Velocity and box times are not written.
func WriteCVAT(w io.Writer, frameList io.Writer, s *Set) error {
	if err := s.Validate(); err != nil {
		return err
	}
	frames := slices.Clone(s.Frames)
	slices.SortStableFunc(frames, func(a, b Frame) int { return a.Index - b.Index })
	var tracks []cvatTracklet
	open := map[string]int{} // id -> tracklet index
	last := map[string]int{} // id -> last frame
	for _, f := range frames {
		for _, b := range f.Boxes {
			ti, ok := open[b.ID]
			if ok {
				t := &tracks[ti]
				if last[b.ID] != f.Index-1 || t.ObjectType != b.Class || t.W != b.Size.Length || t.H != b.Size.Width || t.L != b.Size.Height {
					ok = false
				}
			}
			if !ok {
				tracks = append(tracks, cvatTracklet{ObjectType: b.Class, W: b.Size.Length, H: b.Size.Width, L: b.Size.Height,
					FirstFrame: f.Index, Finished: 1})
				ti = len(tracks) - 1
				open[b.ID] = ti
			}
			last[b.ID] = f.Index
			x, y, z := eulerXYZ(b.Pose().Matrix())
			tracks[ti].Poses = append(tracks[ti].Poses, cvatPose{TX: b.Center.X, TY: b.Center.Y, TZ: b.Center.Z, RX: x, RY: y, RZ: z,
				State: 2, AmtOcclusion: -1, AmtBorderL: -1, AmtBorderR: -1, AmtOcclusionKF: -1, AmtBorderKF: -1,
				Attributes: []cvatAttr{{CVATInstanceAttr, b.ID}}})
		}
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<!DOCTYPE boost_serialization>\n")
	bw.WriteString("<boost_serialization version=\"9\" signature=\"serialization::archive\">\n")
	fmt.Fprintf(bw, "<tracklets version=\"0\" tracking_level=\"0\" class_id=\"0\">\n  <count>%d</count>\n  <item_version>1</item_version>\n", len(tracks))
	esc := func(s string) string {
		var b strings.Builder
		xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for i, t := range tracks {
		if i == 0 {
			bw.WriteString("  <item version=\"1\" tracking_level=\"0\" class_id=\"1\">\n")
		} else {
			bw.WriteString("  <item>\n")
		}
		fmt.Fprintf(bw, "    <objectType>%s</objectType>\n    <h>%s</h>\n    <w>%s</w>\n    <l>%s</l>\n    <first_frame>%d</first_frame>\n",
			esc(t.ObjectType), num(t.H), num(t.W), num(t.L), t.FirstFrame)
		if i == 0 {
			bw.WriteString("    <poses version=\"0\" tracking_level=\"0\" class_id=\"2\">\n")
		} else {
			bw.WriteString("    <poses>\n")
		}
		fmt.Fprintf(bw, "      <count>%d</count>\n      <item_version>0</item_version>\n", len(t.Poses))
		for j, p := range t.Poses {
			if i == 0 && j == 0 {
				bw.WriteString("      <item version=\"1\" tracking_level=\"0\" class_id=\"3\">\n")
			} else {
				bw.WriteString("      <item>\n")
			}
			fmt.Fprintf(bw, "        <tx>%s</tx>\n        <ty>%s</ty>\n        <tz>%s</tz>\n        <rx>%s</rx>\n        <ry>%s</ry>\n        <rz>%s</rz>\n",
				num(p.TX), num(p.TY), num(p.TZ), num(p.RX), num(p.RY), num(p.RZ))
			fmt.Fprintf(bw, "        <state>%d</state>\n        <occlusion>%d</occlusion>\n        <occlusion_kf>%d</occlusion_kf>\n        <truncation>%d</truncation>\n",
				p.State, p.Occlusion, p.OcclusionKF, p.Truncation)
			fmt.Fprintf(bw, "        <amt_occlusion>-1</amt_occlusion>\n        <amt_border_l>-1</amt_border_l>\n        <amt_border_r>-1</amt_border_r>\n        <amt_occlusion_kf>-1</amt_occlusion_kf>\n        <amt_border_kf>-1</amt_border_kf>\n")
			bw.WriteString("        <attributes>\n")
			for _, a := range p.Attributes {
				fmt.Fprintf(bw, "          <attribute>\n            <name>%s</name>\n            <value>%s</value>\n          </attribute>\n", esc(a.Name), esc(a.Value))
			}
			bw.WriteString("        </attributes>\n      </item>\n")
		}
		fmt.Fprintf(bw, "    </poses>\n    <finished>%d</finished>\n  </item>\n", t.Finished)
	}
	bw.WriteString("</tracklets>\n</boost_serialization>\n")
	if err := bw.Flush(); err != nil {
		return err
	}
	if frameList != nil {
		fw := bufio.NewWriter(frameList)
		for _, f := range frames {
			name := f.Token
			if name == "" {
				name = strconv.Itoa(f.Index)
			}
			fmt.Fprintf(fw, "%d %s\n", f.Index, name)
		}
		return fw.Flush()
	}
	return nil
}

// ReadCVAT reads CVAT's "Kitti Raw Format 1.0" tracklet_labels.xml (and
// frame_list.txt, when frameList is not nil, for the frames' tokens) into
// a Set with boxes in frame. A box's id is its pose's instance_id
// attribute, else "tN" (N the tracklet's index); poses whose truncation
// says out of image (2) or behind it (3) are absent objects and skipped.
// See WriteCVAT for the conventions.
func ReadCVAT(r io.Reader, name string, frameList io.Reader, frame string) (*Set, error) {
	var doc cvatDoc
	if err := xml.NewDecoder(r).Decode(&doc); err != nil {
		return nil, &Error{File: name, Err: err}
	}
	s := &Set{}
	at := map[int]int{}
	get := func(i int) *Frame {
		fi, ok := at[i]
		if !ok {
			fi = len(s.Frames)
			at[i] = fi
			s.Frames = append(s.Frames, Frame{Index: i})
		}
		return &s.Frames[fi]
	}
	for ti, t := range doc.Tracklets {
		if t.FirstFrame < 0 {
			return nil, errf(name, fmt.Sprintf("tracklet %d", ti), "first_frame %d is negative", t.FirstFrame)
		}
		for pi, p := range t.Poses {
			rec := fmt.Sprintf("tracklet %d pose %d", ti, pi)
			if p.Truncation == 2 || p.Truncation == 3 {
				continue
			}
			id := "t" + strconv.Itoa(ti)
			for _, a := range p.Attributes {
				if a.Name == CVATInstanceAttr {
					id = a.Value
				}
			}
			if !finite(p.RX, p.RY, p.RZ) {
				return nil, errf(name, rec, "rotation not finite")
			}
			T, err := poseXYZ(r3.Vec{X: p.TX, Y: p.TY, Z: p.TZ}, p.RX, p.RY, p.RZ)
			if err != nil {
				return nil, errf(name, rec, "rotation: %v", err)
			}
			b := Box{ID: id, Class: t.ObjectType, Frame: frame, Size: Size{Length: t.W, Width: t.H, Height: t.L}}
			b.SetPose(T)
			if err := b.Validate(); err != nil {
				return nil, errf(name, rec, "%v", err)
			}
			f := get(t.FirstFrame + pi)
			f.Boxes = append(f.Boxes, b)
		}
	}
	if frameList != nil {
		sc := bufio.NewScanner(frameList)
		line := 0
		for sc.Scan() {
			line++
			fields := strings.Fields(sc.Text())
			if len(fields) == 0 {
				continue
			}
			if len(fields) != 2 {
				return nil, errf("frame_list.txt", fmt.Sprintf("line %d", line), "want \"<frame> <name>\"")
			}
			n, err := strconv.Atoi(fields[0])
			if err != nil || n < 0 {
				return nil, errf("frame_list.txt", fmt.Sprintf("line %d", line), "frame %q is not a non-negative integer", fields[0])
			}
			get(n).Token = fields[1]
		}
		if err := sc.Err(); err != nil {
			return nil, &Error{File: "frame_list.txt", Err: err}
		}
	}
	s.Sort()
	return s, nil
}
