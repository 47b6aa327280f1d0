package nuscenes

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/ordered"
	"github.com/rigsync/rigsync/fusion/parallelsink"
	"github.com/rigsync/rigsync/fusion/writers/internal/outdir"
	"github.com/rigsync/rigsync/fusion/writers/internal/undistort"
)

// LidarChannel is the channel of the merged LiDAR cloud.
const LidarChannel = "LIDAR_TOP"

// Options configure a Writer. The zero value writes version v1.0-rigsync,
// keyframes at 2 Hz and LIDAR_TOP at the ego origin.
type Options struct {
	// Version names the table folder (default "v1.0-rigsync").
	Version string
	// LogName is the log's logfile, used in file names (default "rigsync").
	LogName, Vehicle, Location, DateCaptured string
	// SceneName and SceneDescription describe the single scene of the run.
	SceneName, SceneDescription string
	// KeyframeHz is the keyframe (sample) rate; frames in between are
	// sweeps (default 2). A frame is a keyframe when at least 1/KeyframeHz
	// has passed since the previous keyframe.
	KeyframeHz float64
	// BaseLidar is T_ego_lidar of LIDAR_TOP: the merged cloud is written in
	// this frame. Zero value: the identity (cloud in the ego frame).
	BaseLidar se3.Transform
	// BaseRadar holds T_ego_radar per radar source name (RadarCloud.Sources);
	// a radar without an entry is written in the ego frame.
	BaseRadar map[string]se3.Transform
	// Channels maps sensor names (camera names, radar sources) to nuScenes
	// channels (CAM_FRONT, RADAR_FRONT, ...). Default: the name upper-cased
	// with every character outside [A-Z0-9_] replaced by '_'.
	Channels map[string]string
	// JPEGQuality is used when an image must be (re-)encoded (default 92).
	JPEGQuality int
	// Force allows writing into a non-empty directory.
	Force bool
	// Resume continues a killed run into the same directory: the frames
	// ManifestName lists are not written again (the resumed run must see
	// the same frames; the tables are rebuilt from all of them at Close).
	Resume bool
	// EgoFrame is the frame nuScenes' ego frame stands for (default
	// "base_link"); frames whose FrameID differs are refused.
	EgoFrame string
}

// ManifestName is the run manifest in the output root: one JSON line per
// frame whose files are all in place, what Resume reads. The devkit
// ignores it.
const ManifestName = "rigsync_manifest.jsonl"

// Writer is a fused.Sink writing the nuScenes layout. It is not safe for
// concurrent use; wrap it with parallelsink.New to encode and write frames in
// parallel (the output is the same).
type Writer struct {
	dir  string
	out  *outdir.Dir
	opts Options

	logToken, sceneToken string
	lastKey              int64
	haveKey              bool

	sensors    []sensorRec
	sensorByCh map[string]int
	calibs     []calibratedSensorRec
	lastCalib  map[string]int // channel -> index into calibs
	egoPoses   []egoPoseRec
	samples    []sampleRec
	sampleData []sampleDataRec
	lastSD     map[string]int // channel -> index into sampleData
	undistort  map[string]*undistort.Maps
	names      map[string]bool // file names written
	chans      *outdir.Names   // sensor name -> its own channel
	files      []fileJob       // the staged frame's files
	labels     []labels.Frame  // the keyframes' 3D labels (nil: none)
	closed     bool
}

// fileJob is one file of a frame: its path relative to the root and how
// to encode it (in the frame's parallel task).
type fileJob struct {
	rel    string
	encode func() ([]byte, error)
}

// manifestDoc is one line of ManifestName.
type manifestDoc struct {
	Index   int      `json:"index"`
	StampNs int64    `json:"stamp_ns"`
	Files   []string `json:"files"`
}

var _ parallelsink.Staged = (*Writer)(nil)

// New prepares dir (creating it) for a nuScenes export. It refuses a
// non-empty dir unless opts.Force or opts.Resume (see outdir.Open).
func New(dir string, opts Options) (*Writer, error) {
	if opts.Version == "" {
		opts.Version = "v1.0-rigsync"
	}
	if opts.LogName == "" {
		opts.LogName = "rigsync"
	}
	if opts.SceneName == "" {
		opts.SceneName = "scene-0001"
	}
	if opts.KeyframeHz == 0 {
		opts.KeyframeHz = 2
	}
	if !(opts.KeyframeHz > 0) || math.IsInf(opts.KeyframeHz, 0) {
		return nil, fmt.Errorf("nuscenes: keyframe rate %v Hz is not positive and finite", opts.KeyframeHz)
	}
	if opts.EgoFrame == "" {
		opts.EgoFrame = "base_link"
	}
	if opts.JPEGQuality == 0 {
		opts.JPEGQuality = 92
	}
	if opts.BaseLidar == (se3.Transform{}) {
		opts.BaseLidar = se3.Identity()
	}
	if sanitize(opts.LogName) != opts.LogName || sanitize(opts.Version) != opts.Version {
		return nil, fmt.Errorf("nuscenes: log name %q / version %q must be plain file names", opts.LogName, opts.Version)
	}
	out, err := outdir.Open(dir, outdir.Options{Force: opts.Force, Resume: opts.Resume, Manifest: ManifestName})
	if err != nil {
		return nil, fmt.Errorf("nuscenes: %w", err)
	}
	w := &Writer{
		dir: dir, out: out, opts: opts,
		sensorByCh: map[string]int{}, lastCalib: map[string]int{}, lastSD: map[string]int{},
		undistort: map[string]*undistort.Maps{}, names: map[string]bool{},
	}
	reserved := []string{LidarChannel}
	for _, ch := range opts.Channels {
		reserved = append(reserved, outdir.Element(ch))
	}
	w.chans = outdir.NewNamesFunc(func(s string) string { return outdir.Element(strings.ToUpper(s)) }, reserved...)
	w.logToken = Token("log", opts.LogName)
	w.sceneToken = Token("scene", opts.LogName, opts.SceneName)
	return w, nil
}

// Token returns the deterministic 32-hex-digit token of a record, derived
// from its kind and identifying parts.
func Token(kind string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(kind))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Write adds one frame: its LiDAR cloud, radar detections and camera images,
// each as a sample_data with an ego_pose; keyframes also get a sample.
func (w *Writer) Write(ctx context.Context, f *fused.Frame) error {
	return parallelsink.Write(ctx, w, f)
}

// Stage implements parallelsink.Staged: the records of every table (tokens,
// keyframe choice, links, calibrations, file names) are made in frame
// order, also for a frame a resumed run already has; the task encodes the
// frame's files (LiDAR .pcd.bin, radar PCDs, JPEGs, undistorted when the
// camera has distortion) into temporary files; the commit renames them
// into place and appends the frame to the manifest.
func (w *Writer) Stage(ctx context.Context, f *fused.Frame) (ordered.Task, error) {
	if w.closed {
		return nil, errors.New("nuscenes: write after close")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f == nil {
		return nil, errors.New("nuscenes: nil frame")
	}
	if f.FrameID != "" && f.FrameID != w.opts.EgoFrame {
		return nil, fmt.Errorf("nuscenes: frame %d: points are in %q, not the ego frame %q", f.Index, f.FrameID, w.opts.EgoFrame)
	}
	w.files = w.files[:0]
	us := f.Stamp / 1000
	key := !w.haveKey || float64(f.Stamp-w.lastKey) >= 1e9/w.opts.KeyframeHz-0.5e6 // 0.5 ms slack for jitter
	sampleToken := ""
	if key {
		w.haveKey, w.lastKey = true, f.Stamp
		sampleToken = Token("sample", w.opts.LogName, fmt.Sprint(f.Index), fmt.Sprint(us))
		s := sampleRec{Token: sampleToken, Timestamp: us, SceneToken: w.sceneToken}
		if n := len(w.samples); n > 0 {
			s.Prev = w.samples[n-1].Token
			w.samples[n-1].Next = s.Token
		}
		w.samples = append(w.samples, s)
	}
	ego := f.Ego
	if ego == (se3.Transform{}) {
		ego = se3.Identity()
	}
	if f.Lidar != nil {
		if err := w.writeLidar(f, ego, key, sampleToken); err != nil {
			return nil, err
		}
	}
	if f.Radar != nil {
		if err := w.writeRadar(f, ego, key, sampleToken); err != nil {
			return nil, err
		}
	}
	for i := range f.Cameras {
		if err := w.writeCamera(f, &f.Cameras[i], ego, key, sampleToken); err != nil {
			return nil, err
		}
	}
	if f.Labels != nil && key {
		w.addLabels(f, ego, sampleToken)
	}
	doc := manifestDoc{Index: f.Index, StampNs: f.Stamp, Files: []string{}}
	for _, fj := range w.files {
		doc.Files = append(doc.Files, fj.rel)
	}
	line, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("nuscenes: frame %d: manifest: %w", f.Index, err)
	}
	if w.out.Done(f.Index) {
		if !w.opts.Resume {
			return nil, fmt.Errorf("nuscenes: frame %d written twice", f.Index)
		}
		return nil, w.checkResumed(f.Index, line)
	}
	files := append([]fileJob(nil), w.files...)
	return func() (func() error, error) {
		tmps := make([]string, 0, len(files))
		fail := func(err error) (func() error, error) {
			for _, t := range tmps {
				os.Remove(t)
			}
			return nil, fmt.Errorf("nuscenes: frame %d: %w", f.Index, err)
		}
		for _, fj := range files {
			data, err := fj.encode()
			if err != nil {
				return fail(err)
			}
			tmp, err := w.out.WriteTemp(filepath.FromSlash(fj.rel), func(wr io.Writer) error {
				_, err := wr.Write(data)
				return err
			})
			if err != nil {
				return fail(err)
			}
			tmps = append(tmps, tmp)
		}
		return func() error {
			for i, fj := range files {
				if err := w.out.Rename(tmps[i], filepath.FromSlash(fj.rel)); err != nil {
					_, err = fail(err)
					return err
				}
			}
			if err := w.out.Commit(f.Index, line); err != nil {
				return fmt.Errorf("nuscenes: frame %d: %w", f.Index, err)
			}
			return nil
		}, nil
	}, nil
}

// checkResumed compares a frame's manifest line with the one an earlier
// run wrote for it: a resumed run must see the same frames.
func (w *Writer) checkResumed(index int, line []byte) error {
	for _, l := range w.out.Lines() {
		var m manifestDoc
		if json.Unmarshal(l, &m) != nil || m.Index != index {
			continue
		}
		if !bytes.Equal(l, line) {
			return fmt.Errorf("nuscenes: frame %d differs from the run being resumed (%s, earlier %s): resume with the same input and options", index, line, l)
		}
		return nil
	}
	return nil
}

func (w *Writer) writeLidar(f *fused.Frame, ego se3.Transform, key bool, sampleToken string) error {
	p := &f.Lidar.Points
	n := len(p.X)
	if len(p.Y) != n || len(p.Z) != n || p.Intensity != nil && len(p.Intensity) != n || p.Ring != nil && len(p.Ring) != n {
		return fmt.Errorf("nuscenes: frame %d: LiDAR columns differ in length (x %d, y %d, z %d, intensity %d, ring %d)",
			f.Index, n, len(p.Y), len(p.Z), len(p.Intensity), len(p.Ring))
	}
	inv := w.opts.BaseLidar.Inverse()
	enc := func() ([]byte, error) {
		buf := make([]byte, 20*n)
		transformLidar(buf, p, inv)
		return buf, nil
	}
	cs := w.calibrated(LidarChannel, "lidar", w.opts.BaseLidar, nil)
	return w.addSampleData(LidarChannel, "pcd", ".pcd.bin", enc, f.Stamp, ego, cs, key, sampleToken, 0, 0)
}

func (w *Writer) writeRadar(f *fused.Frame, ego se3.Transform, key bool, sampleToken string) error {
	r := f.Radar
	n := len(r.X)
	for _, c := range [][]float32{r.Y, r.Z, r.RadialVelocity, r.RawRadialVelocity, r.RCS} {
		if c != nil && len(c) != n {
			return fmt.Errorf("nuscenes: frame %d: radar columns differ in length (x %d, other %d)", f.Index, n, len(c))
		}
	}
	if r.Y == nil || r.Z == nil {
		if n > 0 {
			return fmt.Errorf("nuscenes: frame %d: radar has x but no y or z", f.Index)
		}
	}
	if r.Source != nil && len(r.Source) != n {
		return fmt.Errorf("nuscenes: frame %d: radar source column has %d entries for %d detections", f.Index, len(r.Source), n)
	}
	sources := r.Sources
	if len(sources) == 0 {
		sources = []string{"radar"}
	}
	if len(r.Ego) > len(sources) {
		return fmt.Errorf("nuscenes: frame %d: radar has %d ego poses for %d sources", f.Index, len(r.Ego), len(sources))
	}
	// Per radar: its T_ego_radar, its ego pose at its own stamp, and the
	// map of the frame's detections (in FrameID at f.Stamp) back into the
	// radar frame at that stamp, where the devkit places them with that
	// ego pose.
	calibs := make([]se3.Transform, len(sources))
	egos := make([]se3.Transform, len(sources))
	toRadar := make([]se3.Transform, len(sources))
	for s, name := range sources {
		T, ok := w.opts.BaseRadar[name]
		if !ok {
			T = se3.Identity()
		}
		egoR := ego
		if s < len(r.Ego) && r.Ego[s].Rot != (quat.Number{}) {
			egoR = r.Ego[s]
		}
		calibs[s], egos[s] = T, egoR
		toRadar[s] = T.Inverse().Mul(egoR.Inverse()).Mul(ego)
	}
	per := make([][]RadarPoint, len(sources))
	for i := 0; i < n; i++ {
		s := 0
		if r.Source != nil {
			s = int(r.Source[i])
		}
		if s >= len(sources) {
			return fmt.Errorf("nuscenes: frame %d: radar detection %d has source %d of %d", f.Index, i, s, len(sources))
		}
		q := toRadar[s].Apply(r3.Vec{X: float64(r.X[i]), Y: float64(r.Y[i]), Z: float64(r.Z[i])})
		p := RadarPoint{X: float32(q.X), Y: float32(q.Y), Z: float32(q.Z), ID: int16(len(per[s])),
			IsQualityValid: 1, AmbigState: 3, Pdh0: 1}
		if r.RCS != nil {
			p.RCS = r.RCS[i]
		}
		// Radial speeds split along the line of sight in the radar's xy plane.
		if d := math.Hypot(q.X, q.Y); d > 0 {
			ux, uy := q.X/d, q.Y/d
			if r.RawRadialVelocity != nil {
				v := float64(r.RawRadialVelocity[i])
				p.VX, p.VY = float32(v*ux), float32(v*uy)
			}
			if r.RadialVelocity != nil {
				v := float64(r.RadialVelocity[i])
				p.VXComp, p.VYComp = float32(v*ux), float32(v*uy)
				if math.Abs(v) < 0.5 {
					p.DynProp = 1 // stationary
				}
			}
		}
		per[s] = append(per[s], p)
	}
	for s, name := range sources {
		ch := w.channel(name)
		stamp := f.Stamp
		for _, st := range f.Sensors {
			if st.Name == name && !st.Missing && st.Stamp != 0 {
				stamp = st.Stamp
			}
		}
		cs := w.calibrated(ch, "radar", calibs[s], nil)
		pts := per[s]
		enc := func() ([]byte, error) { return AppendRadarPCD(nil, pts), nil }
		if err := w.addSampleData(ch, "pcd", ".pcd", enc, stamp, egos[s], cs, key, sampleToken, 0, 0); err != nil {
			return err
		}
	}
	return nil
}

func (w *Writer) writeCamera(f *fused.Frame, c *fused.Camera, ego se3.Transform, key bool, sampleToken string) error {
	ch := w.channel(c.Name)
	width, height, enc, err := w.jpeg(ch, c)
	if err != nil {
		return fmt.Errorf("nuscenes: frame %d camera %s: %w", f.Index, c.Name, err)
	}
	encode := func() ([]byte, error) {
		b, err := enc()
		if err != nil {
			return nil, fmt.Errorf("camera %s: %w", c.Name, err)
		}
		return b, nil
	}
	K := c.Info.K
	intr := [][3]float64{{K[0], K[1], K[2]}, {K[3], K[4], K[5]}, {K[6], K[7], K[8]}}
	// calibrated_sensor holds the static extrinsic; the ego motion to the
	// camera's time is in the camera's own ego pose.
	cs := w.calibrated(ch, "camera", c.StaticExtrinsic(), intr)
	stamp := c.Stamp
	if stamp == 0 {
		stamp = f.Stamp
	}
	return w.addSampleData(ch, "jpg", ".jpg", encode, stamp, cameraEgo(ego, c), cs, key, sampleToken, width, height)
}

// cameraEgo is T_world_base at the camera's Stamp: the frame's ego pose
// (at Frame.Stamp) times the camera's motion-folded extrinsic times the
// inverse of its static one,
//
//	T_world_base(t_cam) = T_world_base(S) · BaseCamera · StaticExtrinsic⁻¹,
//
// since BaseCamera = T_base(S)_base(t_cam) · StaticExtrinsic. It is the
// pose the frames output's extrinsic and the frame's projections were made
// with (the ego source's pose at the camera's stamp), so the devkit's
// map_pointcloud_to_image chain reproduces rigsync's projection. Without
// ego motion (BaseCamera equal to the static extrinsic, or unset) it is
// exactly the frame's ego pose.
func cameraEgo(ego se3.Transform, c *fused.Camera) se3.Transform {
	if c.BaseCamera.Rot == (quat.Number{}) || c.BaseCamera == c.StaticExtrinsic() {
		return ego
	}
	return ego.Mul(c.BaseCamera).Mul(c.StaticExtrinsic().Inverse())
}

// calibrated returns the calibrated_sensor token of a channel, adding the
// sensor on first use and a new calibrated_sensor when the extrinsics or
// intrinsics change.
func (w *Writer) calibrated(ch, modality string, T se3.Transform, intr [][3]float64) string {
	si, ok := w.sensorByCh[ch]
	if !ok {
		si = len(w.sensors)
		w.sensorByCh[ch] = si
		w.sensors = append(w.sensors, sensorRec{Token: Token("sensor", ch), Channel: ch, Modality: modality})
	}
	if intr == nil {
		intr = [][3]float64{}
	}
	rec := calibratedSensorRec{
		SensorToken: w.sensors[si].Token,
		Translation: [3]float64{T.Trans.X, T.Trans.Y, T.Trans.Z},
		Rotation:    T.QuatWXYZ(),
		// nuScenes order: w, x, y, z.
		CameraIntrinsic: intr,
	}
	if i, ok := w.lastCalib[ch]; ok && sameCalib(w.calibs[i], rec) {
		return w.calibs[i].Token
	}
	rec.Token = Token("calibrated_sensor", ch, fmt.Sprint(len(w.calibs)))
	w.lastCalib[ch] = len(w.calibs)
	w.calibs = append(w.calibs, rec)
	return rec.Token
}

func sameCalib(a, b calibratedSensorRec) bool {
	const eps = 1e-9
	for i := range a.Translation {
		if math.Abs(a.Translation[i]-b.Translation[i]) > eps {
			return false
		}
	}
	for i := range a.Rotation {
		if math.Abs(a.Rotation[i]-b.Rotation[i]) > eps {
			return false
		}
	}
	if len(a.CameraIntrinsic) != len(b.CameraIntrinsic) {
		return false
	}
	for i := range a.CameraIntrinsic {
		if a.CameraIntrinsic[i] != b.CameraIntrinsic[i] {
			return false
		}
	}
	return true
}

func (w *Writer) addSampleData(ch, format, ext string, encode func() ([]byte, error), stampNs int64, ego se3.Transform,
	cs string, key bool, sampleToken string, width, height int) error {
	us := stampNs / 1000
	folder := "sweeps"
	if key {
		folder = "samples"
	}
	base := fmt.Sprintf("%s__%s__%d", w.opts.LogName, ch, us)
	name := base + ext
	for k := 1; w.names[name]; k++ { // two messages in one µs: keep both
		name = fmt.Sprintf("%s-%d%s", base, k, ext)
	}
	rel := folder + "/" + ch + "/" + name
	w.files = append(w.files, fileJob{rel: rel, encode: encode})
	w.names[name] = true
	tok := Token("sample_data", ch, rel)
	q := ego.QuatWXYZ()
	w.egoPoses = append(w.egoPoses, egoPoseRec{Token: tok, Timestamp: us, Rotation: q,
		Translation: [3]float64{ego.Trans.X, ego.Trans.Y, ego.Trans.Z}})
	sd := sampleDataRec{Token: tok, SampleToken: sampleToken, EgoPoseToken: tok, CalibratedSensorToken: cs,
		Timestamp: us, FileFormat: format, IsKeyFrame: key, Width: width, Height: height, Filename: rel}
	if i, ok := w.lastSD[ch]; ok {
		sd.Prev = w.sampleData[i].Token
		w.sampleData[i].Next = tok
	}
	w.lastSD[ch] = len(w.sampleData)
	w.sampleData = append(w.sampleData, sd)
	return nil
}

// channel is the nuScenes channel of a sensor: its Options.Channels entry,
// else its upper-cased name, made a safe path element of at most
// outdir.MaxNameLen bytes by the writers' one sanitiser; two sensors whose
// names sanitise alike ("cam/front", "cam_front") get two channels, and
// none gets LIDAR_TOP or a channel named in Options.Channels.
func (w *Writer) channel(name string) string {
	if ch, ok := w.opts.Channels[name]; ok && ch != "" {
		return outdir.Element(ch)
	}
	return w.chans.Get(name)
}

// sanitize makes a name safe as one path element (outdir.Element).
func sanitize(s string) string { return outdir.Element(s) }

// Close resolves the sweeps' sample tokens and writes the 13 tables, the
// map mask and nothing else; it is safe to call twice.
func (w *Writer) Close() (err error) {
	if w.closed {
		return nil
	}
	w.closed = true
	defer func() {
		if cerr := w.out.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("nuscenes: %w", cerr)
		}
	}()
	// A sweep belongs to the next keyframe's sample (the last one after
	// the final keyframe).
	for i := range w.sampleData {
		sd := &w.sampleData[i]
		if sd.SampleToken != "" {
			continue
		}
		if len(w.samples) > 0 {
			j := sort.Search(len(w.samples), func(k int) bool { return w.samples[k].Timestamp >= sd.Timestamp })
			if j == len(w.samples) {
				j--
			}
			sd.SampleToken = w.samples[j].Token
		}
	}
	mapTok := Token("map", w.opts.LogName)
	mapFile := "maps/" + mapTok + ".png"
	var png bytes.Buffer
	if err := pngEncode(&png); err != nil {
		return err
	}
	if err := w.writeFile(mapFile, png.Bytes()); err != nil {
		return err
	}
	var scenes []sceneRec
	if len(w.samples) > 0 {
		scenes = append(scenes, sceneRec{Token: w.sceneToken, LogToken: w.logToken, NbrSamples: len(w.samples),
			FirstSampleToken: w.samples[0].Token, LastSampleToken: w.samples[len(w.samples)-1].Token,
			Name: w.opts.SceneName, Description: w.opts.SceneDescription})
	}
	tables := map[string]any{
		"attribute": []struct{}{}, "category": []struct{}{}, "instance": []struct{}{},
		"sample_annotation": []struct{}{}, "visibility": []struct{}{},
		"calibrated_sensor": nonNil(w.calibs), "ego_pose": nonNil(w.egoPoses),
		"log": []logRec{{Token: w.logToken, Logfile: w.opts.LogName, Vehicle: w.opts.Vehicle,
			DateCaptured: w.opts.DateCaptured, Location: w.opts.Location}},
		"map":         []mapRec{{Token: mapTok, LogTokens: []string{w.logToken}, Category: "semantic_prior", Filename: mapFile}},
		"sample":      nonNil(w.samples),
		"sample_data": nonNil(w.sampleData),
		"scene":       nonNil(scenes),
		"sensor":      nonNil(w.sensors),
	}
	if w.labels != nil {
		lt, err := w.labelTables()
		if err != nil {
			return fmt.Errorf("nuscenes: labels: %w", err)
		}
		for name, t := range lt {
			tables[name] = t
		}
	}
	for _, name := range tableNames {
		b, err := json.MarshalIndent(tables[name], "", "  ")
		if err != nil {
			return fmt.Errorf("nuscenes: table %s: %w", name, err)
		}
		if err := w.writeFile(w.opts.Version+"/"+name+".json", append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// pngEncode writes the blank 1×1 map mask the devkit's MapMask opens.
func pngEncode(buf *bytes.Buffer) error {
	img := image.NewGray(image.Rect(0, 0, 1, 1))
	img.SetGray(0, 0, color.Gray{})
	if err := png.Encode(buf, img); err != nil {
		return fmt.Errorf("nuscenes: map mask: %w", err)
	}
	return nil
}

// writeFile writes data to rel (slash-separated, relative to the root)
// through a temporary file and a rename, so a reader never sees a partial
// file.
func (w *Writer) writeFile(rel string, data []byte) error {
	if err := w.out.WriteFile(filepath.FromSlash(rel), data); err != nil {
		return fmt.Errorf("nuscenes: %w", err)
	}
	return nil
}

// transformLidar writes the points p, mapped by T, as .pcd.bin records into
// buf (20 bytes per point).
func transformLidar(buf []byte, p *formats.Points, T se3.Transform) {
	m := T.Matrix()
	t := T.Trans
	le := binary.LittleEndian
	for i := range p.X {
		x, y, z := float64(p.X[i]), float64(p.Y[i]), float64(p.Z[i])
		d := buf[20*i : 20*i+20]
		le.PutUint32(d[0:], math.Float32bits(float32(m[0][0]*x+m[0][1]*y+m[0][2]*z+t.X)))
		le.PutUint32(d[4:], math.Float32bits(float32(m[1][0]*x+m[1][1]*y+m[1][2]*z+t.Y)))
		le.PutUint32(d[8:], math.Float32bits(float32(m[2][0]*x+m[2][1]*y+m[2][2]*z+t.Z)))
		var in, ring float32
		if p.Intensity != nil {
			in = p.Intensity[i]
		}
		if p.Ring != nil {
			ring = float32(p.Ring[i])
		}
		le.PutUint32(d[12:], math.Float32bits(in))
		le.PutUint32(d[16:], math.Float32bits(ring))
	}
}
