// Package labelsapp runs "rigsync labels check": it reads a labels file
// (formats/labels), fuses the log once (fusion.Pipeline: the deskewed
// LiDAR cloud in base_link with per-point capture times and the ego pose,
// and the camera images unless the camera check is off; radars left out),
// pairs every fused frame with the labels'
// frame of the same reference time and hands both to a labelcheck.Checker
// (Run); it writes the report's human form (WriteText) and says which exit
// code the verdict gates to (Gate). cmd/rigsync keeps the flags, the choice
// of text or JSON and the exit codes.
//
// Conventions: every time is int64 ns on the reference LiDAR's clock (the
// fused frames' clock); the labels' frames are paired with fused frames by
// stamp (within half a LiDAR period), which assumes the labels' clock is
// that clock (rigsync's own exports and the fixtures' truth labels are).
// Boxes in the global frame (nuScenes) are moved into base_link with each
// frame's ego pose, boxes in KITTI's velodyne frame with the reference
// LiDAR's extrinsic (and levelled: KITTI boxes are upright in the camera
// frame); boxes without an id (KITTI label_2) get one by association
// across frames. rigsync's KITTI, Segments.ai, CVAT and Xtreme1 exports
// are read with the sidecars of their fuse output folder
// (formats/labels.ReadExport); none carries velocity (nor does nuScenes):
// a box without one gets its track's, from the motion of its centre in the
// world frame since the track's previous box (a track's first box has
// none).
package labelsapp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/labelcheck"
	"github.com/rigsync/rigsync/internal/app/losses"
	"gonum.org/v1/gonum/spatial/r3"
)

// Formats are the label formats --format accepts ("auto" tells rigsync
// labels JSON from a nuScenes folder and from rigsync's exports).
var Formats = labels.OpenFormats

// UsageError marks an error in the command line (exit 2).
type UsageError struct{ Err error }

// Error returns the wrapped error's text.
func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e UsageError) Unwrap() error { return e.Err }

// Options configure Run.
type Options struct {
	// Logs are the logs of one drive.
	Logs []string
	// Labels is the labels file (rigsync labels JSON) or folder (nuScenes,
	// or a rigsync fuse output folder in kitti, segments, cvat, xtreme1).
	Labels string
	// Format is one of Formats ("" = auto).
	Format string
	// Rig overrides the log's calibration (nil: the log's /tf_static).
	Rig     *rig.Rig
	RigPath string
	// Ego is the ego-motion source (fusion.Pipeline.Ego).
	Ego string
	// Range and Sensors as in fuse (--start/--end, --sensors/--exclude).
	Range   logfile.Window
	Sensors logfile.Selection
	// Check tunes the checker.
	Check labelcheck.Options
	// Progress, when set, is called with the frames done and expected.
	Progress func(done, total int64)
	// WithCameras keeps the cameras in the fused frames (Sync needs their
	// stamps and calibration; Run leaves them out).
	WithCameras bool
}

// Result is the check of a log's labels.
type Result struct {
	Log    string `json:"log"`
	Labels string `json:"labels"`
	Format string `json:"format"`
	// Clock names the clock of every time (the fused frames').
	Clock string `json:"clock"`
	// LabelFrames is the number of frames in the labels, Matched how many
	// were paired with a fused frame (the others are not checked).
	LabelFrames int `json:"label_frames"`
	Matched     int `json:"matched_frames"`
	// Problems is what the log readers could not read (internal/app/losses:
	// the same list every command that reads logs gives), never nil.
	Problems []fusion.InputProblem `json:"problems"`
	*labelcheck.Report
}

// ReadLabels reads a labels file or folder in the given format ("" or
// "auto": labels.Open tells them apart); a format it cannot read is a
// UsageError.
func ReadLabels(path, format string) (*labels.Set, string, error) {
	s, f, err := labels.Open(path, format)
	if errors.Is(err, labels.ErrFormat) {
		return nil, "", UsageError{fmt.Errorf("labels: --format %q: want one of %s", format, strings.Join(Formats, ", "))}
	}
	return s, f, err
}

// Run checks the labels of the log(s) (see the package doc).
func Run(ctx context.Context, o Options) (*Result, error) {
	if len(o.Logs) == 0 {
		return nil, UsageError{errors.New("labels check: no log given")}
	}
	if o.Labels == "" {
		return nil, UsageError{errors.New("labels check: --labels FILE is required")}
	}
	set, format, err := ReadLabels(o.Labels, o.Format)
	if err != nil {
		return nil, err
	}
	res := &Result{Log: strings.Join(o.Logs, ", "), Labels: o.Labels, Format: format, LabelFrames: len(set.Frames)}
	// The camera check needs the images (labelcheck decodes them).
	o.WithCameras = o.WithCameras || !o.Check.NoCameras
	var chk *labelcheck.Checker
	res.Problems, err = Frames(ctx, o, set, func(f *fused.Frame, lf *labels.Frame, origin r3.Vec) error {
		if chk == nil {
			co := o.Check
			if co.Origin == nil {
				co.Origin = &origin
			}
			chk = labelcheck.New(co)
		}
		res.Clock = f.Clock
		if lf == nil {
			return nil
		}
		res.Matched++
		return chk.Add(f, lf)
	})
	if err != nil {
		return nil, err
	}
	if chk == nil || res.Matched == 0 {
		return nil, fmt.Errorf("labels check: %s: no labelled frame matches a fused frame of %s (labels clock %q; are they of this log?)", o.Labels, res.Log, set.Clock)
	}
	res.Report = chk.Finish()
	if n := res.LabelFrames - res.Matched; n > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d labelled frames match no fused frame and were not checked", n))
	}
	return res, nil
}

// Frames fuses the logs and calls fn with every fused frame, the labels'
// frame of the same reference time (nil when none; its boxes moved into
// the fused frame's shared frame) and the reference LiDAR's origin in that
// frame. It returns what the log readers lost (losses.Of; never nil when
// the logs were read).
func Frames(ctx context.Context, o Options, set *labels.Set, fn func(f *fused.Frame, lf *labels.Frame, origin r3.Vec) error) ([]fusion.InputProblem, error) {
	var rs []*logfile.Log
	defer func() {
		for _, r := range rs {
			r.Close()
		}
	}()
	for _, path := range o.Logs {
		r, err := logfile.Open(path, logfile.Options{})
		if err != nil {
			return nil, fmt.Errorf("labels: %w", err)
		}
		rs = append(rs, r)
	}
	name := strings.Join(o.Logs, ", ")
	base := "base_link"
	if o.Rig != nil && o.Rig.BaseFrame != "" {
		base = o.Rig.BaseFrame
	}
	cal, err := fusion.ReadCalibrations(ctx, rs, base)
	if err != nil {
		return nil, fmt.Errorf("labels: %s: %w", name, err)
	}
	if o.Rig != nil {
		rc, err := fusion.CalibrationFromRig(o.Rig, base)
		if err != nil {
			return nil, fmt.Errorf("labels: rig %s: %w", o.RigPath, err)
		}
		if cal, err = cal.Override(rc); err != nil {
			return nil, fmt.Errorf("labels: rig %s: %w", o.RigPath, err)
		}
	}
	start, end, err := o.Range.Resolve(rs)
	if err != nil {
		return nil, UsageError{fmt.Errorf("labels: %w", err)}
	}
	sel := o.Sensors
	if unknown := sel.Unknown(rs, func(t string) string { return cal.Sensors[t].Name }); len(unknown) > 0 {
		return nil, UsageError{fmt.Errorf("labels: --sensors/--exclude %s: not a topic or sensor of %s", strings.Join(unknown, ", "), name)}
	}
	// The LiDARs are needed, the cameras for the camera check and Sync:
	// leave radars (and cameras, when not needed) out.
	var topics []string
	for t := range cal.Sensors {
		topics = append(topics, t)
	}
	slices.Sort(topics)
	for _, t := range topics {
		if m := cal.Sensors[t].Modality; (m == formats.Camera && !o.WithCameras) || m == formats.Radar {
			sel.Exclude = append(sel.Exclude, t)
		}
	}
	// Workers 2: the frames reach fn on a goroutine of their own, so that
	// reading and fusing the log overlaps checking (no points are
	// projected: NoProject).
	p := &fusion.Pipeline{Logs: rs, Names: o.Logs, BaseFrame: base, Ego: o.Ego, Calibration: cal, Clocks: cal.Clocks,
		Start: start, End: end, Sensors: sel, NoProject: true, ImageCheckEvery: -1, Workers: 2}
	m := newMatcher(set, base)
	total := int64(len(set.Frames))
	s := &frameSink{fn: func(f *fused.Frame) error {
		origin := r3.Vec{}
		lidar := se3.Identity()
		if f.Lidar != nil && len(f.Lidar.Sources) > 0 {
			lidar = cal.Extrinsics[f.Lidar.Sources[0]]
			origin = lidar.Trans
		}
		lf := m.match(f, lidar)
		if o.Progress != nil {
			o.Progress(int64(f.Index+1), total)
		}
		return fn(f, lf, origin)
	}}
	if err := p.Run(ctx, s); err != nil {
		return nil, fmt.Errorf("labels: %s: %w", name, err)
	}
	return losses.Of(rs, o.Logs), nil
}

type frameSink struct {
	fn func(f *fused.Frame) error
}

func (s *frameSink) Write(_ context.Context, f *fused.Frame) error { return s.fn(f) }
func (s *frameSink) Close() error                                  { return nil }

// matcher pairs fused frames with the labels' frames by stamp.
type matcher struct {
	frames []labels.Frame // by stamp
	base   string
	tol    int64
	next   int
	// ids gives boxes without an id (KITTI label_2) one by association.
	ids associator
	// last is each track's last centre (velocities).
	last map[string]lastPos
}

func newMatcher(set *labels.Set, base string) *matcher {
	fr, tol := labels.ByStamp(set.Frames)
	return &matcher{frames: fr, base: base, tol: tol}
}

// match returns the labels' frame of f (boxes in f's shared frame), or
// nil; lidar is the reference LiDAR's extrinsic T_base_lidar (the frame
// of KITTI's velodyne boxes).
func (m *matcher) match(f *fused.Frame, lidar se3.Transform) *labels.Frame {
	for m.next < len(m.frames) && m.frames[m.next].StampNS < f.Stamp-m.tol {
		m.next++
	}
	if m.next >= len(m.frames) {
		return nil
	}
	lf := m.frames[m.next]
	if d := lf.StampNS - f.Stamp; d > m.tol || d < -m.tol {
		return nil
	}
	m.next++
	out := lf
	out.Boxes = make([]labels.Box, 0, len(lf.Boxes))
	for _, b := range lf.Boxes {
		switch b.Frame {
		case labels.FrameGlobal, labels.FrameWorld:
			b = b.Transformed(f.Ego.Inverse(), f.FrameID)
		case labels.FrameVelodyne:
			// KITTI boxes are upright in the camera frame: level them in
			// base_link (the heading of the box's x axis, no roll or pitch).
			b = b.Transformed(lidar, f.FrameID)
			fwd := b.Pose().Rotate(r3.Vec{X: 1})
			b.Roll, b.Pitch, b.Yaw = 0, 0, math.Atan2(fwd.Y, fwd.X)
		case "":
			b.Frame = f.FrameID
		}
		out.Boxes = append(out.Boxes, b)
	}
	m.ids.assign(out.Boxes, f.Ego, f.Stamp)
	m.velocities(out.Boxes, f.Ego, f.Stamp)
	return &out
}

// velocities gives boxes without a velocity (every format but rigsync
// labels JSON) their track's: the motion of the track's centre in the
// world frame (the frames' ego poses) between consecutive boxes (within
// 1 s), the component-wise median of the last three such motions (so
// that one wrong box, a jump, does not make the track accelerate), in the
// boxes' axes. A track's first box keeps none.
func (m *matcher) velocities(boxes []labels.Box, ego se3.Transform, stamp int64) {
	if m.last == nil {
		m.last = map[string]lastPos{}
	}
	for i := range boxes {
		b := &boxes[i]
		if b.ID == "" {
			continue
		}
		w := ego.Apply(b.Center)
		p, ok := m.last[b.ID]
		if !ok || stamp <= p.stamp || stamp-p.stamp > 1e9 {
			p.vels = nil
		} else {
			p.vels = append(p.vels, r3.Scale(1/(float64(stamp-p.stamp)*1e-9), r3.Sub(w, p.pos)))
			if len(p.vels) > 3 {
				p.vels = p.vels[len(p.vels)-3:]
			}
		}
		if n := len(p.vels); n > 0 && b.Velocity == nil {
			vw := p.vels[n-1]
			if n == 3 {
				med := func(a, b, c float64) float64 { return max(min(a, b), min(max(a, b), c)) }
				vw = r3.Vec{X: med(p.vels[0].X, p.vels[1].X, p.vels[2].X), Y: med(p.vels[0].Y, p.vels[1].Y, p.vels[2].Y), Z: med(p.vels[0].Z, p.vels[1].Z, p.vels[2].Z)}
			}
			v := ego.Inverse().Rotate(vw)
			b.Velocity = &v
		}
		m.last[b.ID] = lastPos{pos: w, stamp: stamp, vels: p.vels}
	}
}

// lastPos is a track's last centre in the world frame, its time and the
// track's last motions (m/s, world).
type lastPos struct {
	pos   r3.Vec
	stamp int64
	vels  []r3.Vec
}

// associator gives boxes without an id (KITTI label_2 has none) the id of
// the track whose predicted position (constant velocity, world frame: the
// frames' ego poses) is nearest, within max(1.5 m, a quarter of the box's
// length) and of the same class, else a new id "kN"; the nearest pairs are
// taken first.
type associator struct {
	tracks []assocTrack
	n      int
}

type assocTrack struct {
	id, class string
	pos, vel  r3.Vec // world (m, m/s)
	hasVel    bool
	stamp     int64
}

func (a *associator) assign(boxes []labels.Box, ego se3.Transform, stamp int64) {
	type pair struct {
		b, t int
		d    float64
	}
	var pairs []pair
	var todo []int
	for i := range boxes {
		if boxes[i].ID != "" {
			continue
		}
		todo = append(todo, i)
		w := ego.Apply(boxes[i].Center)
		for k, t := range a.tracks {
			if t.class != boxes[i].Class || stamp <= t.stamp || stamp-t.stamp > 1e9 {
				continue
			}
			p := t.pos
			if t.hasVel {
				p = r3.Add(p, r3.Scale(float64(stamp-t.stamp)*1e-9, t.vel))
			}
			if d := math.Hypot(w.X-p.X, w.Y-p.Y); d <= max(1.5, 0.25*boxes[i].Size.Length) {
				pairs = append(pairs, pair{i, k, d})
			}
		}
	}
	if len(todo) == 0 {
		return
	}
	slices.SortFunc(pairs, func(x, y pair) int { return cmp.Compare(x.d, y.d) })
	usedB, usedT := map[int]bool{}, map[int]bool{}
	for _, p := range pairs {
		if usedB[p.b] || usedT[p.t] {
			continue
		}
		usedB[p.b], usedT[p.t] = true, true
		t := &a.tracks[p.t]
		w := ego.Apply(boxes[p.b].Center)
		t.vel, t.hasVel = r3.Scale(1/(float64(stamp-t.stamp)*1e-9), r3.Sub(w, t.pos)), true
		t.pos, t.stamp = w, stamp
		boxes[p.b].ID = t.id
	}
	for _, i := range todo {
		if usedB[i] {
			continue
		}
		a.n++
		id := "k" + strconv.Itoa(a.n)
		boxes[i].ID = id
		a.tracks = append(a.tracks, assocTrack{id: id, class: boxes[i].Class, pos: ego.Apply(boxes[i].Center), stamp: stamp})
	}
}

// GateError says the labels are not all ok: Verdict suspicious (exit 3)
// or wrong (exit 4).
type GateError struct {
	Verdict labelcheck.Verdict
	Boxes   int
}

// Error says how many boxes are how bad.
func (e *GateError) Error() string {
	return fmt.Sprintf("labels check: %d box(es) %s or worse", e.Boxes, e.Verdict)
}

// Gate returns nil when every box is ok, else a *GateError.
func Gate(r *Result) error {
	if r.Verdict == labelcheck.OK {
		return nil
	}
	return &GateError{Verdict: r.Verdict, Boxes: r.Suspicious + r.Wrong + r.Missing}
}

// WriteText writes the result for people: the verdict line, the counts per
// kind and class, the tracks and the worst findings.
func WriteText(w io.Writer, r *Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "labels %s (%s) on %s: %s\n", r.Labels, r.Format, r.Log, r.Report.String())
	fmt.Fprintf(&b, "  %d of %d labelled frames checked; %d boxes observed (enough LiDAR points to fit), clock %s\n", r.Matched, r.LabelFrames, r.Observed, r.Clock)
	b.WriteString("  kinds:")
	any := false
	for _, k := range r.Kinds {
		if k.Suspicious+k.Wrong == 0 {
			continue
		}
		any = true
		fmt.Fprintf(&b, " %s %d wrong, %d suspicious (%d tracks, %d systematic);", k.Kind, k.Wrong, k.Suspicious, k.Tracks, k.Systematic)
	}
	if !any {
		b.WriteString(" none")
	}
	b.WriteString("\n")
	for _, c := range r.Classes {
		sys := ""
		if c.Systematic {
			sys = " SYSTEMATIC"
		}
		fmt.Fprintf(&b, "  class %-10s %5d boxes, %4d suspicious, %4d wrong, mean offset %+.2f %+.2f %+.2f m (spread %.2f)%s\n",
			c.Class, c.Boxes, c.Suspicious, c.Wrong, c.MeanOffset[0], c.MeanOffset[1], c.MeanOffset[2], c.SpreadM, sys)
	}
	for _, t := range r.Tracks {
		if t.Verdict == labelcheck.OK {
			continue
		}
		fmt.Fprintf(&b, "  track %s (%s): %s, %d of %d boxes flagged: %s", t.ID, t.Class, t.Verdict, t.Suspicious+t.Wrong, t.Boxes, strings.Join(t.Kinds, ", "))
		if len(t.Systematic) > 0 {
			fmt.Fprintf(&b, " (systematic: %s)", strings.Join(t.Systematic, ", "))
		}
		if t.TimeOffsetNS != nil {
			fmt.Fprintf(&b, ", time offset %+.1f ms", float64(*t.TimeOffsetNS)/1e6)
		}
		b.WriteString("\n")
	}
	const maxLines = 30
	for i, f := range r.Findings {
		if i == maxLines {
			fmt.Fprintf(&b, "  ... %d more findings (--json lists them all)\n", len(r.Findings)-maxLines)
			break
		}
		id := f.ID
		if id == "" {
			id = "(no box)"
		}
		fmt.Fprintf(&b, "  frame %d box %s %s: %s: %s\n", f.Frame, id, f.Class, f.Verdict, strings.Join(f.Reasons, "; "))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	losses.WriteText(&b, r.Problems)
	_, err := io.WriteString(w, b.String())
	return err
}
