package kitti

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
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
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/ordered"
	"github.com/rigsync/rigsync/fusion/sinkpool"
	"github.com/rigsync/rigsync/fusion/writers/frames"
	"github.com/rigsync/rigsync/fusion/writers/frames/outdir"
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
	// Cameras fixes the image_0N order by camera name; others follow in
	// order of appearance.
	Cameras []string
}

// camState is what the writer knows about one camera.
type camState struct {
	name string
	seen bool
	info formats.CameraInfo
	ext  se3.Transform // T_<FrameID>_<camera>
}

// Writer is a fusion.Sink writing the KITTI layout. It is not safe for
// concurrent use; wrap it with sinkpool.New to encode and write frames in
// parallel (the output is the same).
type Writer struct {
	dir     *outdir.Dir
	opts    Options
	lidar   se3.Transform // T_base_velo
	imu     se3.Transform // T_base_imu
	cams    []*camState
	byName  map[string]int
	frameID string
	written int
	skipped int
	staged  map[int]bool // frame indices staged by this run
	closed  bool
}

var _ sinkpool.Staged = (*Writer)(nil)

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
	for _, c := range opts.Cameras {
		if _, dup := w.byName[c]; dup {
			return nil, fmt.Errorf("kitti: camera %q listed twice in Cameras", c)
		}
		w.camera(c)
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

// camera returns the image_0N index of a camera name, adding it if new.
func (w *Writer) camera(name string) int {
	if i, ok := w.byName[name]; ok {
		return i
	}
	w.byName[name] = len(w.cams)
	w.cams = append(w.cams, &camState{name: name})
	return len(w.cams) - 1
}

// Stats returns how many frames were written and how many skipped as
// already complete (Resume).
func (w *Writer) Stats() (written, skipped int) { return w.written, w.skipped }

// ImageDir is the folder of camera n: image_00, image_01, ...
func ImageDir(n int) string { return fmt.Sprintf("image_%02d", n) }

type manifestDoc struct {
	Index   int              `json:"index"`
	StampNs int64            `json:"stamp_ns"`
	Clock   string           `json:"clock"`
	Points  int              `json:"points"`
	Images  map[string]int64 `json:"images"`
	Notes   []string         `json:"notes,omitempty"`
}

// Write writes one frame.
func (w *Writer) Write(ctx context.Context, f *fusion.Frame) error {
	return sinkpool.Write(ctx, w, f)
}

// Stage implements sinkpool.Staged: the camera table and the frame's calib
// file are made in frame order (a frame that a resumed run already has is
// skipped); the task encodes the velodyne file and images into temporary
// files; the commit renames them into place and appends the manifest line.
func (w *Writer) Stage(ctx context.Context, f *fusion.Frame) (ordered.Task, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := fusion.CheckFrame(f); err != nil {
		return nil, fmt.Errorf("kitti: %w", err)
	}
	if w.frameID == "" {
		w.frameID = f.FrameID
	}
	idx := make([]int, len(f.Cameras))
	for i := range f.Cameras {
		c := &f.Cameras[i]
		// KITTI's calib is static: use the camera's static extrinsic (the
		// motion-compensated BaseCamera only when it is unset).
		ext := c.StaticExtrinsic()
		if err := checkTransform(ext); err != nil {
			return nil, fmt.Errorf("kitti: frame %d: camera %q extrinsic: %w", f.Index, c.Name, err)
		}
		idx[i] = w.camera(c.Name)
		st := w.cams[idx[i]]
		st.seen, st.info, st.ext = true, c.Info, ext
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
	calib, err := w.calib()
	if err != nil {
		return nil, fmt.Errorf("kitti: frame %d: calib: %w", f.Index, err)
	}
	return func() (func() error, error) {
		name := fmt.Sprintf("%06d", f.Index)
		m := manifestDoc{Index: f.Index, StampNs: f.Stamp, Clock: f.Clock, Images: map[string]int64{}}
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
			data, ext, note, err := imageFile(c.Image)
			if err != nil {
				return nil, fmt.Errorf("kitti: frame %d: camera %q: %w", f.Index, c.Name, err)
			}
			if note != "" {
				m.Notes = append(m.Notes, c.Name+": "+note)
			}
			if data == nil {
				continue
			}
			dir := ImageDir(idx[i])
			outs = append(outs, out{dir + "/" + name + ext, data})
			m.Images[dir] = c.Stamp
		}
		outs = append(outs, out{"calib/" + name + ".txt", calib})
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
func (w *Writer) velodyne(c *fusion.Cloud) ([]byte, error) {
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

// Calib returns the KITTI calibration lines for the cameras seen so far.
func (w *Writer) calib() ([]byte, error) {
	var buf bytes.Buffer
	var cam0 *camState
	if len(w.cams) > 0 && w.cams[0].seen {
		cam0 = w.cams[0]
	}
	nP := max(4, len(w.cams))
	for i := 0; i < nP; i++ {
		var P [12]float64
		if i < len(w.cams) && w.cams[i].seen && cam0 != nil {
			T := w.cams[i].ext.Inverse().Mul(cam0.ext) // T_camN_cam0
			Rt := row34(T)
			K := intrinsic(w.cams[i].info)
			for r := 0; r < 3; r++ {
				for c := 0; c < 4; c++ {
					P[4*r+c] = K[r][0]*Rt[c] + K[r][1]*Rt[4+c] + K[r][2]*Rt[8+c]
				}
			}
		}
		writeLine(&buf, "P"+strconv.Itoa(i), P[:])
	}
	writeLine(&buf, "R0_rect", []float64{1, 0, 0, 0, 1, 0, 0, 0, 1})
	var tr [12]float64
	if cam0 != nil {
		tr = row34(cam0.ext.Inverse().Mul(w.lidar)) // T_cam0_velo
	}
	writeLine(&buf, "Tr_velo_to_cam", tr[:])
	ti := row34(w.lidar.Inverse().Mul(w.imu)) // T_velo_imu
	writeLine(&buf, "Tr_imu_to_velo", ti[:])
	for _, v := range bytes.Fields(buf.Bytes()) {
		if bytes.Contains(v, []byte("NaN")) || bytes.Contains(v, []byte("Inf")) {
			return nil, fmt.Errorf("non-finite calibration value %s", v)
		}
	}
	return buf.Bytes(), nil
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
		return im.Data, frames.CompressedExt(im.Format), "", nil
	case *formats.Image:
		img, err := frames.ToImage(im)
		if err != nil {
			return nil, "", err.Error(), nil
		}
		var buf bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
			return nil, "", "", fmt.Errorf("png: %w", err)
		}
		return buf.Bytes(), ".png", "", nil
	case nil:
		return nil, "", "no image", nil
	}
	return nil, "", fmt.Sprintf("unsupported image payload %T", p), nil
}

// Timestamp formats ns since the UNIX epoch as KITTI raw does, in UTC:
// "2006-01-02 15:04:05.000000000".
func Timestamp(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02 15:04:05.000000000")
}

type metaCamera struct {
	Dir             string    `json:"dir"`
	Name            string    `json:"name"`
	Width           int       `json:"width"`
	Height          int       `json:"height"`
	DistortionModel string    `json:"distortion_model"`
	D               []float64 `json:"D"`
}

type metaDoc struct {
	Format         string       `json:"format"`
	VelodyneFrame  string       `json:"velodyne_frame"`
	IMUFrame       string       `json:"imu_frame"`
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
	meta := metaDoc{Format: "rigsync.kitti/v1", Rectified: false, TimestampClock: clock, Cameras: []metaCamera{},
		Notes: []string{
			"R0_rect is the identity: images are as recorded, not rectified or undistorted",
			"P_N = K_N [R|t] of T_camN_cam0; Tr_velo_to_cam = T_cam0_velo; Tr_imu_to_velo = T_velo_imu; camera axes OpenCV (x right, y down, z forward)",
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
		meta.Cameras = append(meta.Cameras, metaCamera{Dir: ImageDir(i), Name: c.name, Width: c.info.Width, Height: c.info.Height, DistortionModel: c.info.DistortionModel, D: D})
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
