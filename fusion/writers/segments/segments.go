package segments

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/writers/internal/imagefile"
	"github.com/rigsync/rigsync/fusion/writers/internal/outdir"
	"github.com/rigsync/rigsync/fusion/writers/internal/pcdfile"
)

// Options configure a Writer.
type Options struct {
	// Force, Resume and Sync are outdir's options.
	Force, Resume, Sync bool
	// URLPrefix is prepended to every relative path to form asset URLs.
	URLPrefix string
	// Cameras fixes the grid column of cameras by name; others follow in
	// order of first appearance.
	Cameras []string
}

// XYZ is a position in m.
type XYZ struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	Z float64 `json:"z"`
}

// Quat is a rotation with named components.
type Quat struct {
	QX float64 `json:"qx"`
	QY float64 `json:"qy"`
	QZ float64 `json:"qz"`
	QW float64 `json:"qw"`
}

// Pose is an ego pose.
type Pose struct {
	Position XYZ  `json:"position"`
	Heading  Quat `json:"heading"`
}

// Extrinsics is a camera pose in the cloud's frame.
type Extrinsics struct {
	Translation XYZ  `json:"translation"`
	Rotation    Quat `json:"rotation"`
}

// Distortion is a Segments.ai distortion model.
type Distortion struct {
	Model        string             `json:"model"`
	Coefficients map[string]float64 `json:"coefficients"`
}

// Image is a Segments.ai CalibratedImage.
type Image struct {
	Name       string `json:"name"`
	URL        string `json:"url"`
	Row        int    `json:"row"`
	Col        int    `json:"col"`
	Intrinsics struct {
		Matrix [3][3]float64 `json:"intrinsic_matrix"`
	} `json:"intrinsics"`
	Extrinsics       Extrinsics  `json:"extrinsics"`
	Distortion       *Distortion `json:"distortion,omitempty"`
	CameraConvention string      `json:"camera_convention"`
}

// PCD is a point cloud asset reference.
type PCD struct {
	URL  string `json:"url"`
	Type string `json:"type"`
}

// Frame is one frame of a point cloud sequence sample.
type Frame struct {
	PCD       PCD     `json:"pcd"`
	Name      string  `json:"name"`
	Timestamp int64   `json:"timestamp"`
	EgoPose   Pose    `json:"ego_pose"`
	Images    []Image `json:"images"`
}

type manifestLine struct {
	Index int   `json:"index"`
	Frame Frame `json:"frame"`
}

// Writer is a fused.Sink writing a Segments.ai sample. It is not safe for
// concurrent use.
type Writer struct {
	dir     *outdir.Dir
	opts    Options
	names   *outdir.Names
	col     map[string]int
	labels  []labels.Frame // fuse --labels: boxes in the ego world frame (nil: none)
	written int
	skipped int
}

var _ fused.Sink = (*Writer)(nil)

// New opens root for writing.
func New(root string, opts Options) (*Writer, error) {
	w := &Writer{opts: opts, names: outdir.NewNames(), col: map[string]int{}}
	for _, c := range opts.Cameras {
		if _, dup := w.col[c]; dup {
			return nil, fmt.Errorf("segments: camera %q listed twice in Cameras", c)
		}
		w.col[c] = len(w.col)
		w.names.Get(c)
	}
	d, err := outdir.Open(root, outdir.Options{Force: opts.Force, Resume: opts.Resume, Sync: opts.Sync})
	if err != nil {
		return nil, fmt.Errorf("segments: %w", err)
	}
	w.dir = d
	return w, nil
}

// Stats returns how many frames were written and how many skipped (Resume).
func (w *Writer) Stats() (written, skipped int) { return w.written, w.skipped }

func pose(t se3.Transform) (XYZ, Quat, error) {
	q := t.Rot
	n := q.Real*q.Real + q.Imag*q.Imag + q.Jmag*q.Jmag + q.Kmag*q.Kmag
	if s := n + t.Trans.X + t.Trans.Y + t.Trans.Z; math.IsNaN(s) || math.IsInf(s, 0) || math.Abs(n-1) > 1e-6 {
		return XYZ{}, Quat{}, fmt.Errorf("%v is not a finite rigid transform", t)
	}
	x := t.QuatXYZW()
	return XYZ{t.Trans.X, t.Trans.Y, t.Trans.Z}, Quat{x[0], x[1], x[2], x[3]}, nil
}

// distortion maps a ROS distortion model to Segments.ai's, or nil.
func distortion(in formats.CameraInfo) *Distortion {
	d := in.D
	switch in.DistortionModel {
	case "plumb_bob", "rational_polynomial":
		if len(d) >= 5 {
			return &Distortion{"brown-conrady", map[string]float64{"k1": d[0], "k2": d[1], "p1": d[2], "p2": d[3], "k3": d[4]}}
		}
	case "equidistant", "kannala_brandt", "fisheye":
		if len(d) >= 4 {
			return &Distortion{"fisheye", map[string]float64{"k1": d[0], "k2": d[1], "k3": d[2], "k4": d[3]}}
		}
	}
	return nil
}

// Write writes one frame.
func (w *Writer) Write(ctx context.Context, f *fused.Frame) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := fused.CheckFrame(f); err != nil {
		return fmt.Errorf("segments: %w", err)
	}
	for _, c := range f.Cameras {
		if _, ok := w.col[c.Name]; !ok {
			w.col[c.Name] = len(w.col)
		}
		w.names.Get(c.Name)
	}
	if f.Labels != nil {
		w.addLabels(f)
	}
	if w.dir.Done(f.Index) {
		if !w.opts.Resume {
			return fmt.Errorf("segments: frame %d written twice", f.Index)
		}
		w.skipped++
		return nil
	}
	name := fmt.Sprintf("%06d", f.Index)
	ego := f.Ego
	if ego == (se3.Transform{}) {
		ego = se3.Identity()
	}
	pos, head, err := pose(ego)
	if err != nil {
		return fmt.Errorf("segments: frame %d: ego pose: %w", f.Index, err)
	}
	fr := Frame{PCD: PCD{w.opts.URLPrefix + "pointcloud/" + name + ".pcd", "pcd"}, Name: name, Timestamp: f.Stamp,
		EgoPose: Pose{pos, head}, Images: []Image{}}
	pcd, err := pcdfile.XYZI(f.Lidar)
	if err != nil {
		return fmt.Errorf("segments: frame %d: %w", f.Index, err)
	}
	type out struct {
		rel  string
		data []byte
	}
	outs := []out{{"pointcloud/" + name + ".pcd", pcd}}
	for _, c := range f.Cameras {
		t, q, err := pose(c.BaseCamera)
		if err != nil {
			return fmt.Errorf("segments: frame %d: camera %q extrinsic: %w", f.Index, c.Name, err)
		}
		data, ext, _, err := imagefile.Bytes(c.Image, 95)
		if err != nil {
			return fmt.Errorf("segments: frame %d: camera %q: %w", f.Index, c.Name, err)
		}
		if data == nil {
			continue
		}
		rel := "images/" + w.names.Get(c.Name) + "/" + name + ext
		outs = append(outs, out{rel, data})
		im := Image{Name: c.Name, URL: w.opts.URLPrefix + rel, Row: 0, Col: w.col[c.Name],
			Extrinsics: Extrinsics{t, q}, Distortion: distortion(c.Info), CameraConvention: "OpenCV"}
		K := c.Info.K
		for r := 0; r < 3; r++ {
			for k := 0; k < 3; k++ {
				if v := K[3*r+k]; math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("segments: frame %d: camera %q: K[%d] = %v", f.Index, c.Name, 3*r+k, v)
				}
				im.Intrinsics.Matrix[r][k] = K[3*r+k]
			}
		}
		fr.Images = append(fr.Images, im)
	}
	sort.SliceStable(fr.Images, func(i, j int) bool { return fr.Images[i].Col < fr.Images[j].Col })
	for _, o := range outs {
		if err := w.dir.WriteFile(o.rel, o.data); err != nil {
			return fmt.Errorf("segments: frame %d: %w", f.Index, err)
		}
	}
	line, err := json.Marshal(manifestLine{f.Index, fr})
	if err != nil {
		return fmt.Errorf("segments: frame %d: %w", f.Index, err)
	}
	if err := w.dir.Commit(f.Index, line); err != nil {
		return fmt.Errorf("segments: frame %d: %w", f.Index, err)
	}
	w.written++
	return nil
}

// Close writes sample.json and origin.json from the manifest and closes it.
func (w *Writer) Close() error {
	if w.dir == nil {
		return nil
	}
	defer func() { w.dir = nil }()
	var ls []manifestLine
	for _, l := range w.dir.Lines() {
		var m manifestLine
		if err := json.Unmarshal(l, &m); err != nil {
			w.dir.Close()
			return fmt.Errorf("segments: manifest line %.40q: %w", l, err)
		}
		ls = append(ls, m)
	}
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].Index < ls[j].Index })
	var origin XYZ
	if len(ls) > 0 {
		origin = ls[0].Frame.EgoPose.Position
	}
	sample := struct {
		Frames []Frame `json:"frames"`
	}{Frames: []Frame{}}
	for _, l := range ls {
		fr := l.Frame
		p := &fr.EgoPose.Position
		p.X, p.Y, p.Z = p.X-origin.X, p.Y-origin.Y, p.Z-origin.Z
		sample.Frames = append(sample.Frames, fr)
	}
	js, err := json.MarshalIndent(sample, "", " ")
	if err == nil {
		err = w.dir.WriteFile("sample.json", append(js, '\n'))
	}
	if err == nil {
		var o []byte
		o, err = json.MarshalIndent(struct {
			Origin XYZ    `json:"origin"`
			Note   string `json:"note"`
		}{origin, "world position subtracted from every ego_pose.position in sample.json (m)"}, "", " ")
		if err == nil {
			err = w.dir.WriteFile("origin.json", append(o, '\n'))
		}
	}
	if err == nil && w.labels != nil {
		err = w.writeLabels(origin)
	}
	if cerr := w.dir.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("segments: close: %w", err)
	}
	return nil
}
