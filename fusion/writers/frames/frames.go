package frames

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats/pcd"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/ordered"
	"github.com/rigsync/rigsync/fusion/parallelsink"
	"github.com/rigsync/rigsync/fusion/writers/internal/outdir"
)

// FormatVersion names the layout in frame.json and the manifest.
const FormatVersion = "rigsync.frames/v1"

// ProjectionRecordSize is the byte size of one .proj.bin record.
const ProjectionRecordSize = 16

// Options configure a Writer.
type Options struct {
	// Force, Resume and Sync are outdir's options.
	Force, Resume, Sync bool
	// JPEGQuality is used when a raw image must be encoded (1..100;
	// 0 means 95).
	JPEGQuality int
	// NoProjections writes no .proj.bin sidecars; frame.json's camera
	// "projection" is then null (the run projected nothing).
	NoProjections bool
}

// Writer is a fused.Sink that writes the frames layout. It is not safe
// for concurrent use; wrap it with parallelsink.New to encode and write frames
// in parallel (the output is the same).
type Writer struct {
	dir     *outdir.Dir
	opts    Options
	names   *outdir.Names
	written int
	skipped int
	staged  map[int]bool // frame indices staged by this run
}

var _ parallelsink.Staged = (*Writer)(nil)

// New opens root for writing (see outdir.Open for Force and Resume).
func New(root string, opts Options) (*Writer, error) {
	if opts.JPEGQuality == 0 {
		opts.JPEGQuality = 95
	}
	if opts.JPEGQuality < 1 || opts.JPEGQuality > 100 {
		return nil, fmt.Errorf("frames: JPEGQuality %d outside 1..100", opts.JPEGQuality)
	}
	d, err := outdir.Open(root, outdir.Options{Force: opts.Force, Resume: opts.Resume, Sync: opts.Sync})
	if err != nil {
		return nil, fmt.Errorf("frames: %w", err)
	}
	return &Writer{dir: d, opts: opts, names: outdir.NewNames("lidar", "radar", "frame", "manifest"), staged: map[int]bool{}}, nil
}

// Stats returns how many frames this Writer wrote and how many it skipped
// because the manifest of a resumed run already listed them.
func (w *Writer) Stats() (written, skipped int) { return w.written, w.skipped }

// DirName is the folder name of frame index.
func DirName(index int) string { return fmt.Sprintf("%06d", index) }

// Write writes one frame. A frame whose index the manifest already lists
// (Resume) is skipped.
func (w *Writer) Write(ctx context.Context, f *fused.Frame) error {
	return parallelsink.Write(ctx, w, f)
}

// Stage implements parallelsink.Staged: it names the frame's camera files and
// skips a frame a resumed run already has (in order); the task renders the
// frame into a temporary folder (in parallel); the commit renames the
// folder into place and appends the manifest line (in order).
func (w *Writer) Stage(ctx context.Context, f *fused.Frame) (ordered.Task, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := fused.CheckFrame(f); err != nil {
		return nil, fmt.Errorf("frames: %w", err)
	}
	stems := make([]string, len(f.Cameras))
	for i, c := range f.Cameras {
		stems[i] = w.names.Get(c.Name)
	}
	if w.staged[f.Index] {
		return nil, fmt.Errorf("frames: frame %d written twice", f.Index)
	}
	w.staged[f.Index] = true
	if w.dir.Done(f.Index) {
		if !w.opts.Resume {
			return nil, fmt.Errorf("frames: frame %d written twice", f.Index)
		}
		w.skipped++
		return nil, nil
	}
	name := DirName(f.Index)
	tmp := w.dir.TempName(name)
	return func() (func() error, error) {
		files, doc, err := w.render(f, stems)
		if err != nil {
			return nil, fmt.Errorf("frames: frame %d: %w", f.Index, err)
		}
		line, err := json.Marshal(manifestLine(f, name, doc))
		if err != nil {
			return nil, fmt.Errorf("frames: frame %d: manifest: %w", f.Index, err)
		}
		if err := os.Mkdir(tmp, 0o755); err != nil {
			return nil, fmt.Errorf("frames: frame %d: %w", f.Index, err)
		}
		for _, fl := range files {
			if err := w.writeFile(filepath.Join(tmp, fl.name), fl.write); err != nil {
				os.RemoveAll(tmp)
				return nil, fmt.Errorf("frames: frame %d: %s: %w", f.Index, fl.name, err)
			}
		}
		return func() error {
			if err := w.dir.Rename(tmp, name); err != nil {
				os.RemoveAll(tmp)
				return fmt.Errorf("frames: frame %d: %w", f.Index, err)
			}
			if err := w.dir.Commit(f.Index, line); err != nil {
				return fmt.Errorf("frames: frame %d: %w", f.Index, err)
			}
			w.written++
			return nil
		}, nil
	}, nil
}

// Close closes the manifest.
func (w *Writer) Close() error {
	if err := w.dir.Close(); err != nil {
		return fmt.Errorf("frames: %w", err)
	}
	return nil
}

type file struct {
	name  string
	write func(io.Writer) error
}

func (w *Writer) writeFile(path string, fn func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	err = fn(f)
	if err == nil && w.opts.Sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func bytesFile(name string, b []byte) file {
	return file{name, func(w io.Writer) error { _, err := w.Write(b); return err }}
}

// render builds the frame's files and its frame.json document.
func (w *Writer) render(f *fused.Frame, stems []string) ([]file, *frameDoc, error) {
	doc := newFrameDoc(f)
	ego := f.Ego
	if ego == (se3.Transform{}) { // an unset pose: the identity
		ego = se3.Identity()
	}
	egoT, err := transformJSON("world", f.FrameID, ego)
	if err != nil {
		return nil, nil, fmt.Errorf("ego pose: %w", err)
	}
	doc.Ego = egoDoc{Source: f.EgoSource, transformDoc: egoT}
	var files []file
	if f.Lidar != nil {
		b, meta, err := lidarPCD(f.Lidar, f.FrameID)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, bytesFile("lidar.pcd", b))
		doc.Lidar = meta
	}
	if f.Radar != nil {
		b, meta, err := radarPCD(f.Radar, f.FrameID)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, bytesFile("radar.pcd", b))
		doc.Radar = meta
	}
	nPoints := 0
	if f.Lidar != nil {
		nPoints = f.Lidar.Points.Len()
	}
	for i, c := range f.Cameras {
		cd, err := newCameraDoc(f, &c, stems[i])
		if err != nil {
			return nil, nil, fmt.Errorf("camera %q: %w", c.Name, err)
		}
		img, ext, note, err := ImageBytes(c.Image, w.opts.JPEGQuality)
		if err != nil {
			return nil, nil, fmt.Errorf("camera %q: %w", c.Name, err)
		}
		if img != nil {
			cd.Image = stems[i] + ext
			files = append(files, bytesFile(cd.Image, img))
		}
		cd.ImageNote = note
		if !w.opts.NoProjections {
			proj, err := projectionBytes(c.Projected, nPoints)
			if err != nil {
				return nil, nil, fmt.Errorf("camera %q: %w", c.Name, err)
			}
			cd.Projection = &projDoc{File: stems[i] + ".proj.bin", Count: len(c.Projected), Record: projRecordDoc}
			files = append(files, bytesFile(cd.Projection.File, proj))
		}
		if f.Labels != nil {
			cd.Labels2D = labels2D(f, &c)
		}
		doc.Cameras = append(doc.Cameras, cd)
	}
	if f.Labels != nil {
		if doc.Labels, err = labelsJSON(f); err != nil {
			return nil, nil, err
		}
	}
	js, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("frame.json: %w", err)
	}
	files = append(files, bytesFile("frame.json", append(js, '\n')))
	return files, doc, nil
}

// checkLen reports a column whose length is neither 0 nor n.
func checkLen(what string, got, n int) error {
	if got != 0 && got != n {
		return fmt.Errorf("%s has %d values for %d points", what, got, n)
	}
	return nil
}

// lidarHeader is the PCD header of lidar.pcd for n points.
func lidarHeader(n int, frameID string) string {
	return string(pcd.AppendHeader(nil, "rigsync lidar: x y z m in "+safeComment(frameID)+
		", intensity sensor units, t ns from frame stamp, ring beam, source lidar index (frame.json)", lidarFields, n, "binary"))
}

// lidarFields is the field layout of lidar.pcd.
var lidarFields = []pcd.Field{pcd.NewField("x", 'F', 4), pcd.NewField("y", 'F', 4), pcd.NewField("z", 'F', 4), pcd.NewField("intensity", 'F', 4),
	pcd.NewField("t", 'I', 8), pcd.NewField("ring", 'U', 2), pcd.NewField("source", 'U', 1)}

// LidarPointSize is the byte size of one lidar.pcd point.
const LidarPointSize = 4*4 + 8 + 2 + 1

// RadarPointSize is the byte size of one radar.pcd point.
const RadarPointSize = 6*4 + 1

// safeComment keeps a name from breaking the one-line header comment.
func safeComment(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, s)
}

func lidarPCD(c *fused.Cloud, frameID string) ([]byte, *cloudDoc, error) {
	p := &c.Points
	n := len(p.X)
	if len(p.Y) != n || len(p.Z) != n {
		return nil, nil, fmt.Errorf("lidar: x, y, z have %d, %d, %d values", n, len(p.Y), len(p.Z))
	}
	for _, e := range []error{
		checkLen("lidar intensity", len(p.Intensity), n),
		checkLen("lidar time offset", len(p.TimeOffset), n),
		checkLen("lidar ring", len(p.Ring), n),
		checkLen("lidar source", len(c.Source), n),
	} {
		if e != nil {
			return nil, nil, e
		}
	}
	for i, s := range c.Source {
		if int(s) >= len(c.Sources) {
			return nil, nil, fmt.Errorf("lidar: point %d has source %d, only %d sources", i, s, len(c.Sources))
		}
	}
	h := lidarHeader(n, frameID)
	b := make([]byte, len(h)+n*LidarPointSize)
	copy(b, h)
	d := b[len(h):]
	le := binary.LittleEndian
	for i := 0; i < n; i++ {
		r := d[i*LidarPointSize : (i+1)*LidarPointSize]
		le.PutUint32(r[0:], math.Float32bits(p.X[i]))
		le.PutUint32(r[4:], math.Float32bits(p.Y[i]))
		le.PutUint32(r[8:], math.Float32bits(p.Z[i]))
		if p.Intensity != nil {
			le.PutUint32(r[12:], math.Float32bits(p.Intensity[i]))
		}
		if p.TimeOffset != nil {
			le.PutUint64(r[16:], uint64(p.TimeOffset[i]))
		}
		if p.Ring != nil {
			le.PutUint16(r[24:], p.Ring[i])
		}
		if c.Source != nil {
			r[26] = c.Source[i]
		}
	}
	meta := &cloudDoc{
		File: "lidar.pcd", Points: n, Frame: frameID, Sources: nonNil(c.Sources), Deskew: c.Deskew,
		Fields: []fieldDoc{
			{"x", "F4", "m", true}, {"y", "F4", "m", true}, {"z", "F4", "m", true},
			{"intensity", "F4", "sensor units", p.Intensity != nil},
			{"t", "I8", "ns relative to frame stamp", p.TimeOffset != nil},
			{"ring", "U2", "beam index", p.Ring != nil},
			{"source", "U1", "index into sources", c.Source != nil},
		},
	}
	return b, meta, nil
}

// radarHeader is the PCD header of radar.pcd for n points.
func radarHeader(n int, frameID string) string {
	return string(pcd.AppendHeader(nil, "rigsync radar: x y z m in "+safeComment(frameID)+
		", radial_velocity m/s ego-compensated, raw_radial_velocity m/s, rcs dBsm, source radar index (frame.json)", radarFields, n, "binary"))
}

// radarFields is the field layout of radar.pcd.
var radarFields = []pcd.Field{pcd.NewField("x", 'F', 4), pcd.NewField("y", 'F', 4), pcd.NewField("z", 'F', 4), pcd.NewField("radial_velocity", 'F', 4),
	pcd.NewField("raw_radial_velocity", 'F', 4), pcd.NewField("rcs", 'F', 4), pcd.NewField("source", 'U', 1)}

func radarPCD(c *fused.RadarCloud, frameID string) ([]byte, *cloudDoc, error) {
	n := len(c.X)
	if len(c.Y) != n || len(c.Z) != n {
		return nil, nil, fmt.Errorf("radar: x, y, z have %d, %d, %d values", n, len(c.Y), len(c.Z))
	}
	for _, e := range []error{
		checkLen("radar radial velocity", len(c.RadialVelocity), n),
		checkLen("radar raw radial velocity", len(c.RawRadialVelocity), n),
		checkLen("radar rcs", len(c.RCS), n),
		checkLen("radar source", len(c.Source), n),
	} {
		if e != nil {
			return nil, nil, e
		}
	}
	for i, s := range c.Source {
		if int(s) >= len(c.Sources) {
			return nil, nil, fmt.Errorf("radar: detection %d has source %d, only %d sources", i, s, len(c.Sources))
		}
	}
	h := radarHeader(n, frameID)
	b := make([]byte, len(h)+n*RadarPointSize)
	copy(b, h)
	d := b[len(h):]
	le := binary.LittleEndian
	cols := [][]float32{c.X, c.Y, c.Z, c.RadialVelocity, c.RawRadialVelocity, c.RCS}
	for i := 0; i < n; i++ {
		r := d[i*RadarPointSize : (i+1)*RadarPointSize]
		for k, col := range cols {
			if col != nil {
				le.PutUint32(r[4*k:], math.Float32bits(col[i]))
			}
		}
		if c.Source != nil {
			r[24] = c.Source[i]
		}
	}
	meta := &cloudDoc{
		File: "radar.pcd", Points: n, Frame: frameID, Sources: nonNil(c.Sources),
		Fields: []fieldDoc{
			{"x", "F4", "m", true}, {"y", "F4", "m", true}, {"z", "F4", "m", true},
			{"radial_velocity", "F4", "m/s, ego motion removed, positive away", c.RadialVelocity != nil},
			{"raw_radial_velocity", "F4", "m/s as measured, positive away", c.RawRadialVelocity != nil},
			{"rcs", "F4", "dBsm", c.RCS != nil},
			{"source", "U1", "index into sources", c.Source != nil},
		},
	}
	return b, meta, nil
}

// projectionBytes encodes a projection sidecar; indices must address one
// of the n LiDAR points.
func projectionBytes(ps []fused.Projection, n int) ([]byte, error) {
	b := make([]byte, len(ps)*ProjectionRecordSize)
	le := binary.LittleEndian
	for i, p := range ps {
		if p.Index < 0 || int(p.Index) >= n {
			return nil, fmt.Errorf("projection %d: point index %d outside the %d lidar points", i, p.Index, n)
		}
		r := b[i*ProjectionRecordSize:]
		le.PutUint32(r[0:], math.Float32bits(p.U))
		le.PutUint32(r[4:], math.Float32bits(p.V))
		le.PutUint32(r[8:], math.Float32bits(p.Depth))
		le.PutUint32(r[12:], uint32(p.Index))
	}
	return b, nil
}

// ReadProjections decodes a .proj.bin sidecar.
func ReadProjections(b []byte) ([]fused.Projection, error) {
	if len(b)%ProjectionRecordSize != 0 {
		return nil, fmt.Errorf("frames: projection sidecar of %d bytes is not a multiple of %d", len(b), ProjectionRecordSize)
	}
	out := make([]fused.Projection, len(b)/ProjectionRecordSize)
	le := binary.LittleEndian
	for i := range out {
		r := b[i*ProjectionRecordSize:]
		out[i] = fused.Projection{
			U:     math.Float32frombits(le.Uint32(r[0:])),
			V:     math.Float32frombits(le.Uint32(r[4:])),
			Depth: math.Float32frombits(le.Uint32(r[8:])),
			Index: int32(le.Uint32(r[12:])),
		}
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// transformJSON writes T_parent_child with its conventions.
func transformJSON(parent, child string, t se3.Transform) (*transformDoc, error) {
	q := t.QuatWXYZ()
	for _, v := range []float64{q[0], q[1], q[2], q[3], t.Trans.X, t.Trans.Y, t.Trans.Z} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("T_%s_%s is not finite (%v)", parent, child, t)
		}
	}
	if n := q[0]*q[0] + q[1]*q[1] + q[2]*q[2] + q[3]*q[3]; math.Abs(n-1) > 1e-6 {
		return nil, fmt.Errorf("T_%s_%s rotation is not a unit quaternion (|q|² = %g)", parent, child, n)
	}
	return &transformDoc{
		Name: "T_" + parent + "_" + child, Parent: parent, Child: child,
		Translation:  [3]float64{t.Trans.X, t.Trans.Y, t.Trans.Z},
		RotationWXYZ: q, Matrix: t.Matrix4(),
	}, nil
}
