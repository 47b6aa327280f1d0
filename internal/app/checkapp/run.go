package checkapp

import (
	"context"
	"errors"
	"fmt"
	"github.com/rigsync/rigsync/internal/app/losses"
	"github.com/rigsync/rigsync/internal/app/rigfiles"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
)

// Defaults of Options.
const (
	DefaultWindow    = 2 * time.Second
	DefaultMaxFrames = 40
)

// Kinds are the pair kinds Run knows, for Options.Kinds.
var Kinds = []string{check.KindLidarCamera, check.KindCameraTime, check.KindLidarLidar, check.KindRadarLidar, check.KindHandEye}

// Options configure Run.
type Options struct {
	// Logs are the MCAP logs of one drive to check (several logs, e.g.
	// split recordings, are merged in log-time order).
	Logs []string
	// Rig is the calibration to check; nil checks the log's own /tf_static
	// and camera infos.
	Rig *rig.Rig
	// RigPath names the rig file in the report.
	RigPath string
	// RigFiles, when set, is what Rig was loaded from (LoadRigs): its
	// warnings (sensors of the files the log does not have, frames whose
	// chain misses the base) are added to the report's.
	RigFiles *rigfiles.Loaded
	// ScaleIntrinsics scales the rig's camera intrinsics to the size of
	// the log's images when they differ (fusion.Pipeline.ScaleIntrinsics);
	// without it a size mismatch is an error. The rig's intrinsics always
	// win over the log's CameraInfo.
	ScaleIntrinsics bool
	// BaseFrame is the shared frame ("" = the rig's base frame, else
	// base_link).
	BaseFrame string
	// Ego is the ego-motion source of the fusion (fusion.Pipeline.Ego:
	// "" or "auto", "odometry", "tf" or "none").
	Ego string
	// Window is the length of the over-time windows (DefaultWindow when 0).
	Window time.Duration
	// MaxFrames is how many frames each pair scores for its estimate,
	// spread evenly through the log (DefaultMaxFrames when 0).
	MaxFrames int
	// Kinds restricts the checks to these pair kinds (check.Kind*); nil
	// runs every kind that applies.
	Kinds []string
	// Progress, when set, is called with the frames done and the frames
	// expected.
	Progress func(done, total int64)
	// Range bounds the log times checked (--start/--end), read through
	// the logs' indexes; Sensors selects the sensors fused
	// (--sensors/--exclude; fusion.Pipeline.Sensors).
	Range   logfile.Window
	Sensors logfile.Selection
	// Workers is how many goroutines score the cameras (0: all cores,
	// runtime.GOMAXPROCS); with more than 1 the camera checks also run
	// beside the fusion and the other checks. The report is the same
	// whatever the number.
	Workers int
}

func (o *Options) wants(kind string) bool { return len(o.Kinds) == 0 || slices.Contains(o.Kinds, kind) }

// checker scores one or more sensor pairs from the frames of a log.
type checker interface {
	// Add looks at one fused frame (it must not keep the frame).
	Add(f *fused.Frame) error
	// Results are the pair results once every frame has been added.
	Results() ([]check.PairResult, []check.Overlay, error)
}

// env is what checkers know about the run.
type env struct {
	base   string
	window int64 // ns
	stride int   // score every stride-th frame
	start  int64 // first frame stamp (set by the first frame)
	cal    *fusion.Calibration
	opts   *Options
	// maxFrames is Options.MaxFrames with its default.
	maxFrames int
	// workers is Options.Workers with its default.
	workers int
}

// selected reports whether frame i is one of the scored frames.
func (e *env) selected(i int) bool { return i%e.stride == e.stride/2 }

// Run checks the calibration of the sensors in the log(s): it fuses the
// logs once (several logs of one drive are merged in log-time order) with
// the calibration under test and scores every sensor pair it can (see the
// package comment). A pair that cannot be scored is reported as skipped
// with the reason. The report's Verdict is the worst verdict of the scored
// pairs, or check.Unchecked when every pair was skipped.
func Run(ctx context.Context, o Options) (*check.Report, error) {
	rep, _, err := RunWithLosses(ctx, o)
	return rep, err
}

// RunWithLosses is Run that also returns what the log readers lost
// (internal/app/losses: truncated or damaged logs, repeated messages
// skipped; never nil with a report), the "problems" of calib check.
func RunWithLosses(ctx context.Context, o Options) (*check.Report, []fusion.InputProblem, error) {
	if len(o.Logs) == 0 {
		return nil, nil, errors.New("checkrun: no log given")
	}
	for _, k := range o.Kinds {
		if !slices.Contains(Kinds, k) {
			return nil, nil, fmt.Errorf("checkrun: unknown check kind %q (want %s)", k, strings.Join(Kinds, ", "))
		}
	}
	var rs []*logfile.Log
	defer func() {
		for _, r := range rs {
			r.Close()
		}
	}()
	for _, path := range o.Logs {
		r, err := logfile.Open(path, logfile.Options{})
		if err != nil {
			return nil, nil, fmt.Errorf("checkrun: %w", err)
		}
		rs = append(rs, r)
	}
	rep, err := run(ctx, rs, o)
	if err != nil {
		return nil, nil, err
	}
	return rep, losses.Of(rs, o.Logs), nil
}

// run is Run on open readers.
func run(ctx context.Context, rs []*logfile.Log, o Options) (*check.Report, error) {
	name := strings.Join(o.Logs, ", ")
	base := o.BaseFrame
	if base == "" && o.Rig != nil {
		base = o.Rig.BaseFrame
	}
	if base == "" {
		base = "base_link"
	}
	cal, err := fusion.ReadCalibrations(ctx, rs, base)
	if err != nil {
		return nil, fmt.Errorf("checkrun: %s: %w", name, err)
	}
	var rigWarnings []string
	if o.RigFiles != nil {
		rigWarnings = o.RigFiles.Warnings(rigfiles.LogFrames(cal))
		logWarnings, err := o.RigFiles.CheckLog(cal, rigfiles.LogFrames(cal))
		if err != nil {
			return nil, fmt.Errorf("checkrun: %s: %w", o.RigFiles.Label(), err)
		}
		rigWarnings = append(rigWarnings, logWarnings...)
	}
	if o.Rig != nil {
		rc, err := fusion.CalibrationFromRig(o.Rig, base)
		if err != nil {
			return nil, fmt.Errorf("checkrun: rig %s: %w", o.RigPath, err)
		}
		if cal, err = cal.Override(rc); err != nil {
			return nil, fmt.Errorf("checkrun: rig %s: %w", o.RigPath, err)
		}
	}
	start, end, err := o.Range.Resolve(rs)
	if err != nil {
		return nil, UsageError{fmt.Errorf("checkrun: %w", err)}
	}
	if unknown := o.Sensors.Unknown(rs, func(t string) string { return cal.Sensors[t].Name }); len(unknown) > 0 {
		return nil, UsageError{fmt.Errorf("checkrun: --sensors/--exclude %s: not a topic or sensor of %s", strings.Join(unknown, ", "), name)}
	}
	// No check looks at the LiDAR points projected into the cameras or
	// at the image quality flags: neither is computed.
	p := &fusion.Pipeline{Logs: rs, Names: o.Logs, BaseFrame: base, Ego: o.Ego, Calibration: cal, Clocks: cal.Clocks,
		ScaleIntrinsics: o.ScaleIntrinsics, Start: start, End: end, Sensors: o.Sensors,
		NoProject: true, ImageCheckEvery: -1}
	w := o.Window
	if w <= 0 {
		w = DefaultWindow
	}
	maxFrames := o.MaxFrames
	if maxFrames <= 0 {
		maxFrames = DefaultMaxFrames
	}
	total := windowShare(rs, expectedFrames(rs, cal), start, end)
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	e := &env{base: base, window: int64(w), stride: 1, cal: cal, opts: &o, maxFrames: maxFrames, workers: workers}
	if total > int64(maxFrames) {
		e.stride = int(total / int64(maxFrames))
	}
	checkers := newCheckers(e)
	defer func() {
		for _, c := range checkers {
			if s, ok := c.(interface{ stop() }); ok {
				s.stop()
			}
		}
	}()
	s := &sink{env: e, checkers: checkers, total: total, progress: o.Progress, first: true}
	if err := p.Run(ctx, s); err != nil {
		return nil, fmt.Errorf("checkrun: %s: %w", name, err)
	}
	if s.frames == 0 {
		return nil, fmt.Errorf("checkrun: %s: no frame could be fused (no reference LiDAR sweeps?)", name)
	}
	rep := &check.Report{Log: name, Rig: o.RigPath, Clock: s.clock, Start: s.start, End: s.end, Warnings: append(rigWarnings, p.Warnings()...)}
	res, err := results(s.checkers, workers)
	if err != nil {
		return nil, fmt.Errorf("checkrun: %s: %w", name, err)
	}
	for _, r := range res {
		rep.Pairs = append(rep.Pairs, r.prs...)
		rep.Overlays = append(rep.Overlays, r.ovs...)
	}
	finish(rep)
	if o.Progress != nil {
		o.Progress(int64(s.frames), int64(s.frames))
	}
	return rep, nil
}

// checkerResults are one checker's results.
type checkerResults struct {
	prs []check.PairResult
	ovs []check.Overlay
}

// results are the checkers' results, in the checkers' order. With more
// than one worker the camera checks' searches run beside the others (the
// other checkers, which may read each other's state, run one after the
// other).
func results(cs []checker, workers int) ([]checkerResults, error) {
	out := make([]checkerResults, len(cs))
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		get := func() {
			var r checkerResults
			r.prs, r.ovs, errs[i] = c.Results()
			out[i] = r
		}
		if _, ok := c.(*cameras); ok && workers > 1 {
			wg.Go(get)
			continue
		}
		get()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// finish sorts the pairs (kind, sensor, reference), sets each pair's
// coverage (check.PairResult.Cover), the verdict and the counts of checked,
// skipped and partial pairs.
func finish(rep *check.Report) {
	for i := range rep.Pairs {
		rep.Pairs[i].Cover()
	}
	slices.SortStableFunc(rep.Pairs, func(a, b check.PairResult) int {
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		if c := strings.Compare(a.Sensor, b.Sensor); c != 0 {
			return c
		}
		return strings.Compare(a.Reference, b.Reference)
	})
	rep.Verdict = Worst(rep.Pairs)
	rep.CheckedPairs, rep.SkippedPairs = check.CountChecked(rep.Pairs)
	rep.PartialPairs = check.CountPartial(rep.Pairs)
}

// Worst is the worst verdict of the pairs, skipped pairs ignored, or
// check.Unchecked when no pair was scored (see check.Overall).
func Worst(pairs []check.PairResult) check.Verdict { return check.Overall(pairs) }

// rank orders verdicts from best to worst; skipped counts as ok.
func rank(v check.Verdict) int {
	switch v {
	case check.Suspicious:
		return 1
	case check.Miscalibrated:
		return 2
	}
	return 0
}

// windowShare scales a count over the whole logs to the window [start,
// end) by its share of the logs' time span (statistics), at least 1 when
// total > 0.
func windowShare(rs []*logfile.Log, total, start, end int64) int64 {
	if total <= 0 || start <= 0 && end <= 0 {
		return total
	}
	var lo, hi int64
	for i, r := range rs {
		st := r.Statistics()
		if st == nil || st.MessageCount == 0 {
			continue
		}
		if i == 0 || int64(st.MessageStartTime) < lo || lo == 0 {
			lo = int64(st.MessageStartTime)
		}
		hi = max(hi, int64(st.MessageEndTime))
	}
	if hi <= lo {
		return total
	}
	a, b := max(start, lo), hi
	if end > 0 {
		b = min(end, hi)
	}
	if b <= a {
		return 1
	}
	return max(1, int64(float64(total)*float64(b-a)/float64(hi-lo)+0.5))
}

// expectedFrames is the number of reference LiDAR sweeps in the logs
// (from the summaries' statistics), or 0 when unknown.
func expectedFrames(rs []*logfile.Log, cal *fusion.Calibration) int64 {
	// The pipeline's reference is the LiDAR channel with the lowest id
	// (of the first log that has one).
	for _, r := range rs {
		st := r.Statistics()
		var best *mcapread.Channel
		for _, ch := range r.Channels() {
			if ts, ok := cal.Sensors[ch.Topic]; ok && ts.Modality == formats.Lidar {
				if best == nil || ch.ID < best.ID {
					c := ch
					best = &c
				}
			}
		}
		if best == nil {
			continue
		}
		if st == nil {
			return 0
		}
		return int64(st.ChannelMessageCounts[best.ID])
	}
	return 0
}

// sink hands frames to the checkers.
type sink struct {
	env      *env
	checkers []checker
	frames   int
	total    int64
	progress func(done, total int64)
	first    bool
	start    int64
	end      int64
	clock    string
}

func (s *sink) Write(_ context.Context, f *fused.Frame) error {
	if s.first {
		s.first = false
		s.start, s.clock = f.Stamp, f.Clock
		s.env.start = f.Stamp
	}
	s.end = f.Stamp
	s.frames++
	for _, c := range s.checkers {
		if err := c.Add(f); err != nil {
			return err
		}
	}
	if s.progress != nil {
		t := s.total
		if int64(s.frames) > t {
			t = int64(s.frames)
		}
		s.progress(int64(s.frames), t)
	}
	return nil
}

func (s *sink) Close() error { return nil }
