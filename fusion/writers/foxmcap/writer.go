package foxmcap

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/foxglove"
	"github.com/rigsync/rigsync/formats/mcapwrite"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/ordered"
	"github.com/rigsync/rigsync/fusion/parallelsink"
	"github.com/rigsync/rigsync/fusion/writers/internal/outdir"
)

// Topic names of the shared channels.
const (
	TopicTF    = "/tf"
	TopicLidar = "/lidar"
	TopicRadar = "/radar"
)

// Options configure a Writer. The zero value is usable.
type Options struct {
	// NoProjections writes no /<camera>/lidar ImageAnnotations (the run
	// projected no LiDAR points into the cameras).
	NoProjections bool
	// WorldFrame is the parent of the ego pose transform (default "world").
	WorldFrame string
	// Extrinsics are T_<FrameID>_<sensor> for sensors other than cameras
	// (LiDARs, radars, IMU), written on /tf with every frame so the 3D
	// panel can place them.
	Extrinsics map[string]se3.Transform
	// Compression is the chunk compression: "zstd" (default), "lz4" or
	// "none".
	Compression string
	// ChunkSize is the MCAP chunk size in bytes (default 4 MiB).
	ChunkSize int64
	// Workers is the number of goroutines compressing chunks while the
	// next one fills (0 or 1: compressed as they close, in the writing
	// goroutine; at most MaxCompressWorkers are used); the file is the
	// same for any number (mcapwrite.IndexedOptions.Workers).
	Workers int
	// Resume is the partial MCAP of a killed run of the same frames (its
	// chunks up to the first damaged one are read; see Recover). Its
	// complete frames are copied message by message instead of being
	// encoded again, so the finished file is byte for byte the one an
	// uninterrupted run writes. A frame whose stamp or /tf message differs
	// from what this writer encodes (other input, calibration or rigsync
	// version) is an error; non-protobuf channels (an older version's JSON
	// annotations) end what is copied.
	Resume io.ReadSeeker
}

// MaxCompressWorkers bounds Options.Workers. Each compression worker holds
// a zstd window (8 MiB) and a chunk in flight (about 10 MiB with its
// compressed copy), so the writer's memory must not grow with the cores of
// a big machine (fuse's --workers defaults to all of them); at zstd's
// fastest level (~300 MB/s a core here) four workers compress faster than
// the fusion pipeline produces chunks.
const MaxCompressWorkers = 4

// Writer is a fused.Sink writing a Foxglove MCAP. It is not safe for
// concurrent use. Close finishes the MCAP (summary and footer) and flushes
// but does not close the underlying io.Writer.
type Writer struct {
	opts     Options
	mw       *mcapwrite.Indexed
	channels map[string]uint16 // topic NUL schema → channel id
	topics   *outdir.Names     // camera name → its own topic segment
	closed   bool
	resume   *recovered
}

var _ parallelsink.Staged = (*Writer)(nil)

// rawMsg is one encoded message and where it goes.
type rawMsg struct {
	topic, schema string
	t             uint64
	data          []byte
	pooled        bool // data came from getBuf: putBuf it once written
}

// New starts an MCAP on w.
func New(w io.Writer, opts Options) (*Writer, error) {
	if opts.WorldFrame == "" {
		opts.WorldFrame = "world"
	}
	if opts.ChunkSize == 0 {
		opts.ChunkSize = 4 << 20
	}
	compression := opts.Compression
	if compression == "" {
		compression = "zstd"
	}
	mw, err := mcapwrite.NewIndexed(w, mcapwrite.IndexedOptions{Compression: compression, ChunkSize: opts.ChunkSize,
		Library: "rigsync foxmcap", Workers: min(opts.Workers, MaxCompressWorkers)})
	if err != nil {
		return nil, fmt.Errorf("foxmcap: %w", err)
	}
	fw := &Writer{opts: opts, mw: mw, channels: map[string]uint16{}, topics: outdir.NewNamesFunc(topicSafe)}
	if opts.Resume != nil {
		rec, err := recoverFrames(opts.Resume)
		if err != nil {
			return nil, err
		}
		fw.resume = rec
	}
	return fw, nil
}

// channel returns the id of topic's channel, writing schema and channel on
// first use.
func (w *Writer) channel(topic, schema string) (uint16, error) {
	key := topic + "\x00" + schema
	if id, ok := w.channels[key]; ok {
		return id, nil
	}
	enc, data, err := foxglove.Schema(schema)
	if err != nil {
		return 0, fmt.Errorf("foxmcap: schema %s: %w", schema, err)
	}
	sid, err := w.mw.Schema(schema, enc, data)
	if err != nil {
		return 0, fmt.Errorf("foxmcap: %w", err)
	}
	id, err := w.mw.Channel(topic, sid, "protobuf", nil)
	if err != nil {
		return 0, fmt.Errorf("foxmcap: %w", err)
	}
	w.channels[key] = id
	return id, nil
}

// marshal encodes one protobuf message (it only reads w.opts).
func marshal(msgs []rawMsg, topic, schema string, stamp int64, frameID string, p formats.Payload) ([]rawMsg, error) {
	// The buffer is sized for the payload's bulk bytes up front: growing
	// it by append copied a cloud's megabytes twice.
	size := 256
	switch p := p.(type) {
	case *formats.PointCloud:
		size += len(p.Data) + 64*len(p.Fields)
	case *formats.CompressedImage:
		size += len(p.Data)
	case *formats.Image:
		size += len(p.Data)
	}
	data, err := foxglove.AppendMarshal(getBuf(size), schema, formats.Decoded{HasStamp: true, Stamp: stamp, FrameID: frameID, Payload: p})
	if err != nil {
		return nil, fmt.Errorf("foxmcap: %s: %w", topic, err)
	}
	return append(msgs, rawMsg{topic: topic, schema: schema, t: uint64(max(stamp, 0)), data: data, pooled: true}), nil
}

// emit writes one encoded message, adding its schema and channel on first
// use.
func (w *Writer) emit(m rawMsg) error {
	id, err := w.channel(m.topic, m.schema)
	if err != nil {
		return err
	}
	if err := w.mw.Write(id, m.t, m.data); err != nil {
		return fmt.Errorf("foxmcap: %s: %w", m.topic, err)
	}
	return nil
}

// Write adds one frame's transforms, clouds, images and calibrations.
func (w *Writer) Write(ctx context.Context, f *fused.Frame) error {
	return parallelsink.Write(ctx, w, f)
}

// Stage implements parallelsink.Staged: the task encodes the frame's messages
// (in parallel), the commit writes them (in order; channels are added on
// first use, so ids and sequence numbers do not depend on the workers). A
// frame the resumed partial file has complete is copied from it instead.
func (w *Writer) Stage(ctx context.Context, f *fused.Frame) (ordered.Task, error) {
	if w.closed {
		return nil, errors.New("foxmcap: write after close")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f == nil {
		return nil, errors.New("foxmcap: nil frame")
	}
	// Topic segments are handed out here, in frame order, not in the
	// parallel task: a name's topic does not depend on the workers.
	segs := make([]string, len(f.Cameras))
	for i := range f.Cameras {
		segs[i] = w.topics.Get(f.Cameras[i].Name)
	}
	if w.resume != nil && f.Index < w.resume.frames {
		return func() (func() error, error) {
			tf, err := w.encodeTF(f)
			if err != nil {
				return nil, err
			}
			return func() error { return w.resume.copyFrame(f, tf, w.emit) }, nil
		}, nil
	}
	return func() (func() error, error) {
		msgs, err := w.encode(f, segs)
		if err != nil {
			return nil, err
		}
		return func() error {
			// The chunk writer copies each message: its buffer is free
			// once written (on failure too: nothing keeps it).
			defer func() {
				for _, m := range msgs {
					if m.pooled {
						putBuf(m.data)
					}
				}
			}()
			for _, m := range msgs {
				if err := w.emit(m); err != nil {
					return err
				}
			}
			return nil
		}, nil
	}, nil
}

// encode marshals every message of a frame, in the order they are written;
// segs are the cameras' topic segments.
func (w *Writer) encode(f *fused.Frame, segs []string) ([]rawMsg, error) {
	tf, err := w.encodeTF(f)
	if err != nil {
		return nil, err
	}
	base := frameOf(f)
	msgs := []rawMsg{tf}
	if f.Lidar != nil {
		pc, err := lidarCloud(f.Lidar)
		if err != nil {
			return nil, fmt.Errorf("foxmcap: frame %d: %w", f.Index, err)
		}
		msgs, err = marshal(msgs, TopicLidar, "foxglove.PointCloud", f.Stamp, base, pc)
		putBuf(pc.Data) // marshal copied the points
		if err != nil {
			return nil, err
		}
	}
	if f.Radar != nil {
		pc, err := radarCloud(f.Radar)
		if err != nil {
			return nil, fmt.Errorf("foxmcap: frame %d: %w", f.Index, err)
		}
		if msgs, err = marshal(msgs, TopicRadar, "foxglove.PointCloud", f.Stamp, base, pc); err != nil {
			return nil, err
		}
	}
	for i := range f.Cameras {
		c := &f.Cameras[i]
		ns := "/" + segs[i]
		switch img := c.Image.(type) {
		case *formats.CompressedImage:
			format := img.Format
			switch {
			case containsFold(format, "jpeg"), containsFold(format, "jpg"):
				format = "jpeg"
			case containsFold(format, "png"):
				format = "png"
			}
			if msgs, err = marshal(msgs, ns+"/image", "foxglove.CompressedImage", c.Stamp, c.Name,
				&formats.CompressedImage{Format: format, Data: img.Data}); err != nil {
				return nil, err
			}
		case *formats.Image:
			if msgs, err = marshal(msgs, ns+"/image", "foxglove.RawImage", c.Stamp, c.Name, img); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("foxmcap: frame %d camera %s: unsupported image payload %T", f.Index, c.Name, c.Image)
		}
		info := c.Info
		info.DistortionModel = foxgloveModel(info.DistortionModel)
		info.BinningX, info.BinningY = 0, 0
		if msgs, err = marshal(msgs, ns+"/camera_info", "foxglove.CameraCalibration", c.Stamp, c.Name, &info); err != nil {
			return nil, err
		}
		if f.Lidar != nil && !w.opts.NoProjections {
			msgs = append(msgs, rawMsg{topic: ns + "/lidar", schema: annotationsSchemaName, t: uint64(max(c.Stamp, 0)),
				data: appendProjections(getBuf(projectionsSize(c)), c), pooled: true})
		}
		if f.Labels != nil {
			msgs = append(msgs, rawMsg{topic: ns + "/labels", schema: annotationsSchemaName, t: uint64(max(c.Stamp, 0)),
				data: appendLabels2D(nil, f, c)})
		}
	}
	if f.Labels != nil {
		msgs = append(msgs, rawMsg{topic: TopicLabels, schema: sceneUpdateSchemaName, t: uint64(max(f.Stamp, 0)), data: appendLabels(nil, f)})
	}
	return msgs, nil
}

// frameOf is the frame's shared frame (base_link when unset).
func frameOf(f *fused.Frame) string {
	if f.FrameID == "" {
		return "base_link"
	}
	return f.FrameID
}

// encodeTF marshals a frame's /tf message.
func (w *Writer) encodeTF(f *fused.Frame) (rawMsg, error) {
	ego := f.Ego
	if ego == (se3.Transform{}) {
		ego = se3.Identity()
	}
	msgs, err := marshal(nil, TopicTF, "foxglove.FrameTransforms", f.Stamp, "", w.transforms(f, frameOf(f), ego))
	if err != nil {
		return rawMsg{}, err
	}
	return msgs[0], nil
}

// transforms returns a frame's /tf edges, which form a tree rooted at the
// world frame: world→base (the ego pose), then base→<sensor> for every
// extrinsic (sorted by name) and base→<camera> (BaseCamera, at the
// camera's stamp) for the frame's cameras. Every child appears once: a
// camera of the frame takes its motion-compensated BaseCamera instead of
// its static extrinsic, and names that are the base or the world frame
// themselves (the calibration holds T_base_base = identity) are left out,
// as they would make a self-edge or a cycle.
func (w *Writer) transforms(f *fused.Frame, base string, ego se3.Transform) *formats.Transforms {
	world := w.opts.WorldFrame
	var out []formats.Transform
	if base != world {
		out = append(out, tf(f.Stamp, world, base, ego))
	}
	// The children already placed; the root and the base are never
	// children of the base.
	taken := map[string]bool{world: true, base: true, "": true}
	cams := make([]formats.Transform, 0, len(f.Cameras))
	for i := range f.Cameras {
		c := &f.Cameras[i]
		if taken[c.Name] {
			continue
		}
		taken[c.Name] = true
		cams = append(cams, tf(c.Stamp, base, c.Name, c.BaseCamera))
	}
	names := make([]string, 0, len(w.opts.Extrinsics))
	for n := range w.opts.Extrinsics {
		if !taken[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, tf(f.Stamp, base, n, w.opts.Extrinsics[n]))
	}
	return &formats.Transforms{Transforms: append(out, cams...)}
}

// Close writes the MCAP summary and footer and flushes.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if err := w.mw.Close(); err != nil {
		return fmt.Errorf("foxmcap: %w", err)
	}
	return nil
}

func tf(stamp int64, parent, child string, T se3.Transform) formats.Transform {
	if T == (se3.Transform{}) {
		T = se3.Identity()
	}
	return formats.Transform{Stamp: stamp, Parent: parent, Child: child, Translation: T.Trans, Rotation: T.Rot}
}

// foxgloveModel maps rigsync/ROS distortion model names to the ones
// foxglove.CameraCalibration knows.
func foxgloveModel(m string) string {
	switch m {
	case "equidistant", "fisheye", "equi":
		return "kannala_brandt"
	case "", "none", "pinhole", "radtan":
		return "plumb_bob"
	}
	return m
}

func lidarCloud(c *fused.Cloud) (*formats.PointCloud, error) {
	p := &c.Points
	n := len(p.X)
	if len(p.Y) != n || len(p.Z) != n || p.Intensity != nil && len(p.Intensity) != n ||
		p.Ring != nil && len(p.Ring) != n || c.Source != nil && len(c.Source) != n {
		return nil, fmt.Errorf("LiDAR columns differ in length (x %d, y %d, z %d, intensity %d, ring %d, source %d)",
			n, len(p.Y), len(p.Z), len(p.Intensity), len(p.Ring), len(c.Source))
	}
	const step = 19
	data := getBuf(n * step)[:n*step]
	if p.Intensity == nil || p.Ring == nil || c.Source == nil {
		clear(data) // absent columns are zero
	}
	for i := 0; i < n; i++ {
		d := data[i*step:]
		le := binary.LittleEndian
		le.PutUint32(d[0:], math.Float32bits(p.X[i]))
		le.PutUint32(d[4:], math.Float32bits(p.Y[i]))
		le.PutUint32(d[8:], math.Float32bits(p.Z[i]))
		if p.Intensity != nil {
			le.PutUint32(d[12:], math.Float32bits(p.Intensity[i]))
		}
		if p.Ring != nil {
			le.PutUint16(d[16:], p.Ring[i])
		}
		if c.Source != nil {
			d[18] = c.Source[i]
		}
	}
	return &formats.PointCloud{Width: n, Height: 1, PointStep: step, RowStep: n * step, Data: data,
		Fields: []formats.PointField{
			{Name: "x", Offset: 0, Type: formats.PointFloat32, Count: 1},
			{Name: "y", Offset: 4, Type: formats.PointFloat32, Count: 1},
			{Name: "z", Offset: 8, Type: formats.PointFloat32, Count: 1},
			{Name: "intensity", Offset: 12, Type: formats.PointFloat32, Count: 1},
			{Name: "ring", Offset: 16, Type: formats.PointUint16, Count: 1},
			{Name: "source", Offset: 18, Type: formats.PointUint8, Count: 1},
		}}, nil
}

func radarCloud(r *fused.RadarCloud) (*formats.PointCloud, error) {
	n := len(r.X)
	cols := [][]float32{r.X, r.Y, r.Z, r.RadialVelocity, r.RawRadialVelocity, r.RCS}
	for _, c := range cols[1:] {
		if c != nil && len(c) != n {
			return nil, fmt.Errorf("radar columns differ in length (x %d, other %d)", n, len(c))
		}
	}
	if n > 0 && (r.Y == nil || r.Z == nil) {
		return nil, errors.New("radar has x but no y or z")
	}
	if r.Source != nil && len(r.Source) != n {
		return nil, fmt.Errorf("radar source column has %d entries for %d detections", len(r.Source), n)
	}
	const step = 25
	data := make([]byte, n*step)
	for i := 0; i < n; i++ {
		d := data[i*step:]
		for k, c := range cols {
			if c != nil {
				binary.LittleEndian.PutUint32(d[4*k:], math.Float32bits(c[i]))
			}
		}
		if r.Source != nil {
			d[24] = r.Source[i]
		}
	}
	names := []string{"x", "y", "z", "radial_velocity", "raw_radial_velocity", "rcs"}
	fields := make([]formats.PointField, 0, 7)
	for k, nm := range names {
		fields = append(fields, formats.PointField{Name: nm, Offset: 4 * k, Type: formats.PointFloat32, Count: 1})
	}
	fields = append(fields, formats.PointField{Name: "source", Offset: 24, Type: formats.PointUint8, Count: 1})
	return &formats.PointCloud{Width: n, Height: 1, PointStep: step, RowStep: n * step, Data: data, Fields: fields}, nil
}

func containsFold(s, sub string) bool { return strings.Contains(strings.ToLower(s), sub) }

// topicSafe makes a sensor name safe as a topic segment: bytes outside
// [A-Za-z0-9_.-] become '_' (a leading '.' is kept), cut to
// outdir.MaxNameLen bytes as outdir.Element cuts.
func topicSafe(s string) string {
	e := outdir.Element(s)
	if len(s) > 0 && s[0] == '.' && len(s) <= outdir.MaxNameLen {
		return "." + e[1:]
	}
	return e
}
