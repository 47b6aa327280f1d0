package kitti

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/imageconv"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/ordered"
	"github.com/rigsync/rigsync/fusion/parallelsink"
	"github.com/rigsync/rigsync/fusion/writers/internal/imagefile"
	"github.com/rigsync/rigsync/fusion/writers/internal/outdir"
	"github.com/rigsync/rigsync/fusion/writers/internal/undistort"
	"gonum.org/v1/gonum/spatial/r3"
)

// Options configure a Writer.
type Options struct {
	// Force, Resume and Sync are outdir's options.
	Force, Resume, Sync bool
	// Lidar is T_<FrameID>_<lidar>, the extrinsic of the LiDAR whose frame
	// the velodyne files use; nil keeps the points in FrameID.
	Lidar *se3.Transform
	// IMU is T_<FrameID>_<imu> for Tr_imu_to_velo; nil is the identity.
	IMU *se3.Transform
	// Reference names the camera written as image_2 / P2, the camera that
	// Tr_velo_to_cam maps into. "" chooses the camera whose optical axis is
	// nearest to FrameID's +x (see the package doc). A name that is not
	// among the cameras is an error wrapping ErrUnknownCamera.
	Reference string
	// Cameras are the rig's cameras known before the first frame (from
	// the log's calibration), so that the layout is fixed from the start
	// even when a camera is missing from the first frames. Empty: the
	// cameras of the first frame that has any fix the layout.
	Cameras []RigCamera
	// JPEGQuality is used for JPEG images that must be re-encoded
	// (undistorted); 0 means 92.
	JPEGQuality int
}

// RigCamera is one camera of Options.Cameras.
type RigCamera struct {
	// Name is the camera's name (fused.Camera.Name, its frame id).
	Name string
	// Extrinsic is T_<FrameID>_<camera optical frame> (OpenCV axes: x
	// right, y down, z forward).
	Extrinsic se3.Transform
	// Info is the camera calibration; a zero Info is taken from the
	// first frame that has the camera.
	Info formats.CameraInfo
}

// ErrUnknownCamera is wrapped by the error for an Options.Reference that
// is not one of the cameras.
var ErrUnknownCamera = errors.New("unknown camera")

// camState is what the writer knows about one camera.
type camState struct {
	name string
	num  int // KITTI camera number: image_<num>, P<num>
	info formats.CameraInfo
	ext  se3.Transform // T_<FrameID>_<camera>
	// maps undistorts the camera's images (nil: no distortion or not
	// built yet); built for the first image size, rebuilt on a change.
	maps *undistort.Maps
}

// hasIntrinsics reports whether the camera's K (or P) is known.
func (c *camState) hasIntrinsics() bool { return c.info.K[0] != 0 || c.info.P[0] != 0 }

// Writer is a fused.Sink writing the KITTI layout. It is not safe for
// concurrent use; wrap it with parallelsink.New to encode and write frames in
// parallel (the output is the same).
type Writer struct {
	dir     *outdir.Dir
	opts    Options
	lidar   se3.Transform // T_base_velo
	imu     se3.Transform // T_base_imu
	cams    []*camState   // layout order: cams[0] is the reference (image_2)
	byName  map[string]int
	frameID string
	written int
	skipped int
	staged  map[int]bool // frame indices staged by this run
	closed  bool
}

var _ parallelsink.Staged = (*Writer)(nil)

// New opens root for writing.
func New(root string, opts Options) (*Writer, error) {
	w := &Writer{opts: opts, lidar: se3.Identity(), imu: se3.Identity(), byName: map[string]int{}, staged: map[int]bool{}}
	for _, p := range []struct {
		name string
		t    *se3.Transform
		dst  *se3.Transform
	}{{"Lidar", opts.Lidar, &w.lidar}, {"IMU", opts.IMU, &w.imu}} {
		if p.t == nil {
			continue
		}
		if err := checkTransform(*p.t); err != nil {
			return nil, fmt.Errorf("kitti: option %s: %w", p.name, err)
		}
		*p.dst = *p.t
	}
	if len(opts.Cameras) > 0 {
		cs := make([]fused.Camera, len(opts.Cameras))
		for i, c := range opts.Cameras {
			if err := checkTransform(c.Extrinsic); err != nil {
				return nil, fmt.Errorf("kitti: option Cameras: camera %q extrinsic: %w", c.Name, err)
			}
			cs[i] = fused.Camera{Name: c.Name, Info: c.Info, Extrinsic: c.Extrinsic}
		}
		if err := w.layout(cs); err != nil {
			return nil, fmt.Errorf("kitti: option Cameras: %w", err)
		}
	}
	d, err := outdir.Open(root, outdir.Options{Force: opts.Force, Resume: opts.Resume, Sync: opts.Sync})
	if err != nil {
		return nil, fmt.Errorf("kitti: %w", err)
	}
	w.dir = d
	return w, nil
}

func checkTransform(t se3.Transform) error {
	q := t.Rot
	n := q.Real*q.Real + q.Imag*q.Imag + q.Jmag*q.Jmag + q.Kmag*q.Kmag
	s := n + t.Trans.X + t.Trans.Y + t.Trans.Z
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return fmt.Errorf("not finite (%v)", t)
	}
	if math.Abs(n-1) > 1e-6 {
		return fmt.Errorf("rotation is not a unit quaternion (|q|² = %g)", n)
	}
	return nil
}

// Number returns the KITTI camera number of the i-th camera in layout
// order (0 is the reference): 2, 3, 0, 1, 4, 5, 6, ...
func Number(i int) int {
	if i < 4 {
		return [4]int{2, 3, 0, 1}[i]
	}
	return i
}

// AngleFromX is the angle in radians between a camera's optical axis (z
// of T_<FrameID>_<camera optical frame>) and FrameID's +x axis.
func AngleFromX(ext se3.Transform) float64 {
	return axisAngle(ext, r3.Vec{X: 1})
}

// axisAngle is the angle between the camera's optical axis and dir (a
// unit vector in FrameID).
func axisAngle(ext se3.Transform, dir r3.Vec) float64 {
	z := ext.Rotate(r3.Vec{Z: 1})
	return math.Acos(max(-1, min(1, r3.Dot(r3.Unit(z), dir))))
}

// order sorts cameras by the angle between their optical axis and dir,
// then the more left (larger FrameID y) first, then by name; angles and
// positions that agree to 1e-6 (rad, m) count as equal so that a
// symmetric rig's order does not depend on rounding.
func order(cs []fused.Camera, dir r3.Vec) {
	type key struct {
		angle, y int64
		name     string
	}
	q := func(x float64) int64 { return int64(math.Round(x * 1e6)) }
	keys := make(map[string]key, len(cs))
	for _, c := range cs {
		ext := c.StaticExtrinsic()
		keys[c.Name] = key{q(axisAngle(ext, dir)), -q(ext.Trans.Y), c.Name}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := keys[cs[i].Name], keys[cs[j].Name]
		if a.angle != b.angle {
			return a.angle < b.angle
		}
		if a.y != b.y {
			return a.y < b.y
		}
		return a.name < b.name
	})
}

// layout fixes the camera numbers from the first cameras the writer learns
// of: the reference (Options.Reference, or the camera nearest to +x)
// becomes image_2, the others follow by the angle between their optical
// axis and the reference's: image_3, image_0, image_1, image_4, ...
func (w *Writer) layout(cams []fused.Camera) error {
	cs := append([]fused.Camera(nil), cams...)
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	sort.Strings(names)
	for i := 1; i < len(names); i++ {
		if names[i] == names[i-1] {
			return fmt.Errorf("camera %q listed twice", names[i])
		}
	}
	ref := -1
	if w.opts.Reference != "" {
		for i, c := range cs {
			if c.Name == w.opts.Reference {
				ref = i
			}
		}
		if ref < 0 {
			return fmt.Errorf("reference camera %q: %w (the cameras are %s)", w.opts.Reference, ErrUnknownCamera, strings.Join(names, ", "))
		}
	} else {
		order(cs, r3.Vec{X: 1})
		ref = 0
	}
	cs[0], cs[ref] = cs[ref], cs[0]
	refExt := cs[0].StaticExtrinsic()
	order(cs[1:], r3.Unit(refExt.Rotate(r3.Vec{Z: 1})))
	for _, c := range cs {
		w.add(c.Name, c.Info, c.StaticExtrinsic())
	}
	return nil
}

// add appends a camera to the layout with the next camera number.
func (w *Writer) add(name string, info formats.CameraInfo, ext se3.Transform) *camState {
	st := &camState{name: name, num: Number(len(w.cams)), info: info, ext: ext}
	w.byName[name] = len(w.cams)
	w.cams = append(w.cams, st)
	return st
}

// Stats returns how many frames were written and how many skipped as
// already complete (Resume).
func (w *Writer) Stats() (written, skipped int) { return w.written, w.skipped }

// ImageDir is the folder of KITTI camera number n: image_0, image_1,
// image_2 (the reference camera), ...
func ImageDir(n int) string { return "image_" + strconv.Itoa(n) }

type manifestDoc struct {
	Index   int              `json:"index"`
	StampNs int64            `json:"stamp_ns"`
	Clock   string           `json:"clock"`
	Points  int              `json:"points"`
	Images  map[string]int64 `json:"images"`
	Notes   []string         `json:"notes,omitempty"`
}

// Write writes one frame.
func (w *Writer) Write(ctx context.Context, f *fused.Frame) error {
	return parallelsink.Write(ctx, w, f)
}

// Stage implements parallelsink.Staged: the camera table and the frame's calib
// file are made in frame order (a frame that a resumed run already has is
// skipped); the task encodes the velodyne file and images into temporary
// files; the commit renames them into place and appends the manifest line.
func (w *Writer) Stage(ctx context.Context, f *fused.Frame) (ordered.Task, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := fused.CheckFrame(f); err != nil {
		return nil, fmt.Errorf("kitti: %w", err)
	}
	if w.frameID == "" {
		w.frameID = f.FrameID
	}
	exts := make([]se3.Transform, len(f.Cameras))
	for i := range f.Cameras {
		c := &f.Cameras[i]
		// KITTI's calib is static: use the camera's static extrinsic (the
		// motion-compensated BaseCamera only when it is unset).
		exts[i] = c.StaticExtrinsic()
		if err := checkTransform(exts[i]); err != nil {
			return nil, fmt.Errorf("kitti: frame %d: camera %q extrinsic: %w", f.Index, c.Name, err)
		}
	}
	if len(w.cams) == 0 && len(f.Cameras) > 0 {
		if err := w.layout(f.Cameras); err != nil {
			return nil, fmt.Errorf("kitti: frame %d: %w", f.Index, err)
		}
	}
	sts := make([]*camState, len(f.Cameras))
	for i := range f.Cameras {
		c := &f.Cameras[i]
		if j, ok := w.byName[c.Name]; ok {
			sts[i] = w.cams[j]
		} else {
			sts[i] = w.add(c.Name, c.Info, exts[i])
		}
		if c.Info.K[0] != 0 || c.Info.P[0] != 0 || !sts[i].hasIntrinsics() {
			sts[i].info = c.Info
		}
		sts[i].ext = exts[i]
	}
	if w.staged[f.Index] {
		return nil, fmt.Errorf("kitti: frame %d written twice", f.Index)
	}
	w.staged[f.Index] = true
	if w.dir.Done(f.Index) {
		if !w.opts.Resume {
			return nil, fmt.Errorf("kitti: frame %d written twice", f.Index)
		}
		w.skipped++
		return nil, nil
	}
	calib, calibNotes, err := w.calib()
	if err != nil {
		return nil, fmt.Errorf("kitti: frame %d: calib: %w", f.Index, err)
	}
	encs := make([]func() ([]byte, string, string, error), len(f.Cameras))
	for i := range f.Cameras {
		if encs[i], err = w.image(sts[i], &f.Cameras[i]); err != nil {
			return nil, fmt.Errorf("kitti: frame %d: camera %q: %w", f.Index, f.Cameras[i].Name, err)
		}
	}
	return func() (func() error, error) {
		name := fmt.Sprintf("%06d", f.Index)
		m := manifestDoc{Index: f.Index, StampNs: f.Stamp, Clock: f.Clock, Images: map[string]int64{}, Notes: calibNotes}
		bin, err := w.velodyne(f.Lidar)
		if err != nil {
			return nil, fmt.Errorf("kitti: frame %d: %w", f.Index, err)
		}
		m.Points = len(bin) / 16
		type out struct {
			rel  string
			data []byte
		}
		outs := []out{{"velodyne/" + name + ".bin", bin}}
		for i := range f.Cameras {
			c := &f.Cameras[i]
			data, ext, note, err := encs[i]()
			if err != nil {
				return nil, fmt.Errorf("kitti: frame %d: camera %q: %w", f.Index, c.Name, err)
			}
			if note != "" {
				m.Notes = append(m.Notes, c.Name+": "+note)
			}
			if data == nil {
				continue
			}
			dir := ImageDir(sts[i].num)
			outs = append(outs, out{dir + "/" + name + ext, data})
			m.Images[dir] = c.Stamp
		}
		outs = append(outs, out{"calib/" + name + ".txt", calib})
		if f.Labels != nil {
			lab, err := w.labels(f, calib)
			if err != nil {
				return nil, fmt.Errorf("kitti: frame %d: label_2: %w", f.Index, err)
			}
			outs = append(outs, out{"label_2/" + name + ".txt", lab})
		}
		line, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("kitti: frame %d: manifest: %w", f.Index, err)
		}
		tmps := make([]string, 0, len(outs))
		drop := func() {
			for _, t := range tmps {
				os.Remove(t)
			}
		}
		for _, o := range outs {
			data := o.data
			tmp, err := w.dir.WriteTemp(o.rel, func(wr io.Writer) error { _, err := wr.Write(data); return err })
			if err != nil {
				drop()
				return nil, fmt.Errorf("kitti: frame %d: %w", f.Index, err)
			}
			tmps = append(tmps, tmp)
		}
		return func() error {
			for i, o := range outs {
				if err := w.dir.Rename(tmps[i], o.rel); err != nil {
					drop()
					return fmt.Errorf("kitti: frame %d: %w", f.Index, err)
				}
			}
			if err := w.dir.Commit(f.Index, line); err != nil {
				return fmt.Errorf("kitti: frame %d: %w", f.Index, err)
			}
			w.written++
			return nil
		}, nil
	}, nil
}

// velodyne encodes the cloud in the LiDAR frame: float32 x y z intensity.
func (w *Writer) velodyne(c *fused.Cloud) ([]byte, error) {
	if c == nil {
		return []byte{}, nil
	}
	p := &c.Points
	n := len(p.X)
	if len(p.Y) != n || len(p.Z) != n {
		return nil, fmt.Errorf("lidar: x, y, z have %d, %d, %d values", n, len(p.Y), len(p.Z))
	}
	if len(p.Intensity) != 0 && len(p.Intensity) != n {
		return nil, fmt.Errorf("lidar: intensity has %d values for %d points", len(p.Intensity), n)
	}
	inv := w.lidar.Inverse()
	R := inv.Matrix()
	t := inv.Trans
	ident := w.opts.Lidar == nil
	b := make([]byte, 16*n)
	le := binary.LittleEndian
	for i := 0; i < n; i++ {
		x, y, z := p.X[i], p.Y[i], p.Z[i]
		if !ident {
			v := r3.Vec{X: float64(x), Y: float64(y), Z: float64(z)}
			x = float32(R[0][0]*v.X + R[0][1]*v.Y + R[0][2]*v.Z + t.X)
			y = float32(R[1][0]*v.X + R[1][1]*v.Y + R[1][2]*v.Z + t.Y)
			z = float32(R[2][0]*v.X + R[2][1]*v.Y + R[2][2]*v.Z + t.Z)
		}
		r := b[16*i:]
		le.PutUint32(r[0:], math.Float32bits(x))
		le.PutUint32(r[4:], math.Float32bits(y))
		le.PutUint32(r[8:], math.Float32bits(z))
		if p.Intensity != nil {
			le.PutUint32(r[12:], math.Float32bits(p.Intensity[i]))
		}
	}
	return b, nil
}

// intrinsic returns the 3×3 camera matrix (K, or P's left block when K is
// unset).
func intrinsic(in formats.CameraInfo) [3][3]float64 {
	var k [3][3]float64
	useP := in.K[0] == 0 && in.P[0] != 0
	for r := 0; r < 3; r++ {
		for c := 0; c < 3; c++ {
			if useP {
				k[r][c] = in.P[4*r+c]
			} else {
				k[r][c] = in.K[3*r+c]
			}
		}
	}
	return k
}

// row34 returns the top three rows of T's 4×4 matrix.
func row34(t se3.Transform) [12]float64 {
	m := t.RowMajor()
	return [12]float64(m[:12])
}

// calib returns the KITTI calibration lines for the cameras known so far
// (see the package doc), and notes on what they cannot say.
func (w *Writer) calib() ([]byte, []string, error) {
	var buf bytes.Buffer
	var notes []string
	var ref *camState
	if len(w.cams) > 0 {
		ref = w.cams[0]
	} else {
		notes = append(notes, "no camera known yet: P0..P3 and Tr_velo_to_cam are zero")
	}
	Ps := map[int][12]float64{}
	last := 3
	for _, c := range w.cams {
		last = max(last, c.num)
		var P [12]float64
		if !c.hasIntrinsics() {
			notes = append(notes, fmt.Sprintf("P%d (%s): intrinsics not known yet, zero matrix", c.num, c.name))
			Ps[c.num] = P
			continue
		}
		Rt := row34(c.ext.Inverse().Mul(ref.ext)) // T_camN_ref
		K := intrinsic(c.info)
		for r := 0; r < 3; r++ {
			for k := 0; k < 4; k++ {
				P[4*r+k] = K[r][0]*Rt[k] + K[r][1]*Rt[4+k] + K[r][2]*Rt[8+k]
			}
		}
		Ps[c.num] = P
	}
	line := func(n int) {
		P, ok := Ps[n]
		if !ok && ref != nil {
			P = Ps[ref.num] // no camera with this number: repeat P2
		}
		writeLine(&buf, "P"+strconv.Itoa(n), P[:])
	}
	for n := 0; n < 4; n++ {
		line(n)
	}
	writeLine(&buf, "R0_rect", []float64{1, 0, 0, 0, 1, 0, 0, 0, 1})
	var tr [12]float64
	if ref != nil {
		tr = row34(ref.ext.Inverse().Mul(w.lidar)) // T_ref_velo
	}
	writeLine(&buf, "Tr_velo_to_cam", tr[:])
	ti := row34(w.lidar.Inverse().Mul(w.imu)) // T_velo_imu
	writeLine(&buf, "Tr_imu_to_velo", ti[:])
	// Cameras beyond four come last, so that readers taking lines by
	// position (P2 = line 2, R0_rect = line 4, Tr_velo_to_cam = line 5)
	// still find theirs.
	for n := 4; n <= last; n++ {
		line(n)
	}
	for _, v := range bytes.Fields(buf.Bytes()) {
		if bytes.Contains(v, []byte("NaN")) || bytes.Contains(v, []byte("Inf")) {
			return nil, nil, fmt.Errorf("non-finite calibration value %s", v)
		}
	}
	return buf.Bytes(), notes, nil
}

// writeLine writes "key: v v v\n" with KITTI's %.12e numbers.
func writeLine(w io.Writer, key string, v []float64) {
	var b []byte
	b = append(b, key...)
	b = append(b, ':')
	for _, x := range v {
		if x == 0 {
			x = 0 // no "-0.000000000000e+00"
		}
		b = append(b, ' ')
		b = strconv.AppendFloat(b, x, 'e', 12, 64)
	}
	b = append(b, '\n')
	w.Write(b)
}

// imageFile returns a camera image file: compressed as recorded, raw as PNG.
func imageFile(p formats.Payload) (data []byte, ext, note string, err error) {
	switch im := p.(type) {
	case *formats.CompressedImage:
		return im.Data, imagefile.Ext(im.Format), "", nil
	case *formats.Image:
		img, err := imageconv.ToImage(im)
		if err != nil {
			return nil, "", err.Error(), nil
		}
		data, err := encodePNG(img)
		return data, ".png", "", err
	case nil:
		return nil, "", "no image", nil
	}
	return nil, "", fmt.Sprintf("unsupported image payload %T", p), nil
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("png: %w", err)
	}
	return buf.Bytes(), nil
}

// image prepares, in frame order, the image file of camera c (state st)
// and returns the work of making it, which touches nothing the Writer
// changes. An image without distortion is written as imageFile does. One
// with distortion is undistorted to the ideal pinhole with the camera's K
// (what its P line describes): only its header is read here and the
// camera's undistortion maps built on its first image; the returned
// function decodes, remaps and encodes it again (JPEG as JPEG, anything
// else as PNG).
func (w *Writer) image(st *camState, c *fused.Camera) (func() (data []byte, ext, note string, err error), error) {
	if !undistort.HasDistortion(&c.Info) {
		return func() ([]byte, string, string, error) { return imageFile(c.Image) }, nil
	}
	if c.Info.K[0] == 0 {
		return nil, fmt.Errorf("distortion model %q with coefficients %v but no K: cannot undistort", c.Info.DistortionModel, c.Info.D)
	}
	l, err := imageconv.Open(c.Image)
	if err != nil {
		var he *imageconv.HeaderError
		if errors.As(err, &he) {
			return nil, fmt.Errorf("decoding %q image header (to undistort it): %w", he.Format, he.Err)
		}
		if _, raw := c.Image.(*formats.Image); raw {
			note := err.Error()
			return func() ([]byte, string, string, error) { return nil, "", note, nil }, nil
		}
		return func() ([]byte, string, string, error) { return imageFile(c.Image) }, nil
	}
	iw, ih := l.Width, l.Height
	ext := ".png"
	if l.Codec == "jpeg" {
		ext = ".jpg"
	}
	decode := l.Decode
	if st.maps == nil || st.maps.W != iw || st.maps.H != ih {
		m, err := undistort.New(&c.Info, iw, ih)
		if err != nil {
			return nil, err
		}
		st.maps = m
	}
	maps, quality := st.maps, w.opts.JPEGQuality
	if quality <= 0 {
		quality = 92
	}
	return func() ([]byte, string, string, error) {
		img, err := decode()
		if err != nil {
			return nil, "", "", err
		}
		if img, err = maps.Apply(img); err != nil {
			return nil, "", "", err
		}
		if ext == ".png" {
			data, err := encodePNG(img)
			return data, ext, "", err
		}
		data, err := imagefile.JPEG(img, quality)
		if err != nil {
			return nil, "", "", fmt.Errorf("jpeg: %w", err)
		}
		return data, ext, "", nil
	}, nil
}

// Timestamp formats ns since the UNIX epoch as KITTI raw does, in UTC:
// "2006-01-02 15:04:05.000000000".
func Timestamp(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02 15:04:05.000000000")
}

type metaCamera struct {
	Dir             string    `json:"dir"`
	P               string    `json:"P"`
	Name            string    `json:"name"`
	Reference       bool      `json:"reference"`
	AngleFromXDeg   float64   `json:"angle_from_x_deg"`
	Width           int       `json:"width"`
	Height          int       `json:"height"`
	DistortionModel string    `json:"distortion_model"`
	D               []float64 `json:"D"`
	Undistorted     bool      `json:"undistorted"`
}

type metaDoc struct {
	Format         string       `json:"format"`
	VelodyneFrame  string       `json:"velodyne_frame"`
	IMUFrame       string       `json:"imu_frame"`
	Reference      string       `json:"reference_camera"`
	Rectified      bool         `json:"rectified"`
	Cameras        []metaCamera `json:"cameras"`
	TimestampClock string       `json:"timestamp_clock"`
	Notes          []string     `json:"notes"`
}

// Close writes timestamps.txt and rigsync_kitti.json from the manifest and
// closes it.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	type entry struct {
		index int
		stamp int64
		clock string
	}
	var es []entry
	for _, l := range w.dir.Lines() {
		var m manifestDoc
		if err := json.Unmarshal(l, &m); err != nil {
			w.dir.Close()
			return fmt.Errorf("kitti: manifest line %q: %w", l, err)
		}
		es = append(es, entry{m.Index, m.StampNs, m.Clock})
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].index < es[j].index })
	var ts strings.Builder
	clock := ""
	for _, e := range es {
		ts.WriteString(Timestamp(e.stamp))
		ts.WriteByte('\n')
		clock = e.clock
	}
	meta := metaDoc{Format: "rigsync.kitti/v2", Rectified: false, TimestampClock: clock, Cameras: []metaCamera{},
		Notes: []string{
			"image_2 / P2 is the reference camera, the one Tr_velo_to_cam maps into: Tr_velo_to_cam = T_cam2_velo, R0_rect = identity, P_N = K_N [R|t] of T_camN_cam2, so P_N R0_rect Tr_velo_to_cam X_velo is the pixel of X_velo in image_N",
			"images of cameras with distortion are undistorted to an ideal pinhole with the camera's K (so P_N is exact for them); the cameras are not stereo-rectified: P_N of another camera contains its rotation relative to camera 2",
			"camera numbers: 2 = reference, then by the angle between the camera's and the reference's optical axes: 3, 0, 1, 4, 5, ...; P4 and up follow Tr_imu_to_velo; a number without a camera (fewer than four) repeats P2",
			"camera axes OpenCV (x right, y down, z forward); Tr_imu_to_velo = T_velo_imu",
			"timestamps.txt: frame reference stamps in UTC, one line per frame in index order",
		}}
	meta.VelodyneFrame = "lidar (points mapped from " + w.frameID + " with the inverse of the given LiDAR extrinsic)"
	if w.opts.Lidar == nil {
		meta.VelodyneFrame = w.frameID + " (no LiDAR extrinsic given: the velodyne files are in the fused frame)"
	}
	meta.IMUFrame = "imu (from the given IMU extrinsic)"
	if w.opts.IMU == nil {
		meta.IMUFrame = w.frameID + " (no IMU extrinsic given)"
	}
	for i, c := range w.cams {
		D := c.info.D
		if D == nil {
			D = []float64{}
		}
		if i == 0 {
			meta.Reference = c.name
		}
		meta.Cameras = append(meta.Cameras, metaCamera{Dir: ImageDir(c.num), P: "P" + strconv.Itoa(c.num), Name: c.name, Reference: i == 0,
			AngleFromXDeg: math.Round(AngleFromX(c.ext)*180/math.Pi*1e6) / 1e6,
			Width:         c.info.Width, Height: c.info.Height, DistortionModel: c.info.DistortionModel, D: D, Undistorted: undistort.HasDistortion(&c.info)})
	}
	js, err := json.MarshalIndent(meta, "", "  ")
	if err == nil {
		err = w.dir.WriteFile("rigsync_kitti.json", append(js, '\n'))
	}
	if err == nil {
		err = w.dir.WriteFile("timestamps.txt", []byte(ts.String()))
	}
	if cerr := w.dir.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("kitti: close: %w", err)
	}
	return nil
}
