// Package fuseapp runs "rigsync fuse": it opens the input logs, reads
// their calibration (overridden by a rig.yaml), estimates or takes the
// sensor clock models, opens the output format through the
// fusion/writers registry, runs the fusion.Pipeline into it and builds
// the Summary (frames, completeness, deskew and ego sources, calibration
// sources, clocks, warnings and input damage). Flags.Options parses the
// command's flag values, WriteText writes the Summary as the command's
// text and FormatsHelp lists the formats for its help; cobra flags, help
// text, progress bars and the choice of text or JSON are the command's
// (cmd/rigsync).
package fuseapp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/parallelsink"
	"github.com/rigsync/rigsync/fusion/writers"
	"github.com/rigsync/rigsync/internal/app/rigfiles"
	"github.com/rigsync/rigsync/internal/outguard"
	"github.com/rigsync/rigsync/sync/clock"
)

// Options are the settings of one fuse run (the flags of "rigsync fuse",
// parsed).
type Options struct {
	// Format is the output format's registered name (fusion/writers/all).
	Format string
	// Out is the output folder (a file for single-file formats).
	Out string
	// Frame is the shared spatial frame of the fused point data.
	Frame string
	// Reference is the reference LiDAR topic ("": the first LiDAR channel).
	Reference string
	// Tolerance is how far from the frame time a sensor's message may be.
	Tolerance time.Duration
	// KeyframeHz is the nuScenes keyframe (sample) rate.
	KeyframeHz float64
	// Clocks are given clock models by sensor name; they win over rig.yaml
	// clocks and over estimates.
	Clocks map[string]clock.Model
	// AutoClock estimates the sensor clocks before fusing.
	AutoClock bool
	// Latency is the known transport latency by sensor name (AutoClock
	// only).
	Latency map[string]time.Duration
	// Rig are the calibration files whose extrinsics, intrinsics and
	// clocks override the log's (none: the log's alone): a rig.yaml, or
	// any files calib/calibio reads, merged (internal/app/rigfiles).
	Rig []string
	// Map renames the Rig files' frames to the log's sensors
	// (FILE_FRAME=SENSOR).
	Map []string
	// ScaleIntrinsics scales Rig's intrinsics to the images' size instead
	// of refusing a size mismatch.
	ScaleIntrinsics bool
	// NoProjections skips projecting LiDAR points into the cameras
	// (--no-projections): frames then has no .proj.bin sidecars and the
	// MCAP no /<camera>/lidar ImageAnnotations; other formats store no
	// projections anyway.
	NoProjections bool
	// Ego is the ego-motion source: auto, odometry, gnss, tf or none.
	Ego string
	// GNSSOrigin is the origin of the ENU world frame (nil: the first fix).
	GNSSOrigin *fusion.Geodetic
	// ImageCheckEvery decodes and checks every Nth image of a camera (0:
	// never).
	ImageCheckEvery int
	// Register registers consecutive sweeps when there is no ego source.
	Register bool
	// Force writes into a non-empty output folder.
	Force bool
	// Resume continues a killed run.
	Resume bool
	// Workers is the number of goroutines projecting and encoding frames,
	// and compressing chunks for the mcap format (0: all cores).
	Workers int
	// KITTICamera is the camera written as image_2 / P2 (kitti only).
	KITTICamera string
	// URLPrefix is the Segments.ai asset URL prefix (segments only).
	URLPrefix string
	// Strict makes damaged input logs an error (a ProblemsError, returned
	// with the Summary).
	Strict bool
	// Window bounds the log times fused (--start/--end), read through the
	// logs' indexes; Sensors selects the LiDARs, cameras and radars fused
	// (--sensors/--exclude; see fusion.Pipeline.Sensors).
	Window  logfile.Window
	Sensors logfile.Selection
	// Progress, if not nil, starts the progress display of a stage
	// ("clocks" in msg, "fusing" in frames); total < 0 means unknown.
	Progress func(stage, unit string, total int64) Progress
	// Observe, if not nil, is called with every fused frame, in frame
	// order, before the format's writer gets it ("rigsync fleet scan"
	// collects the sensors' flags, ego poses and images with it). It must
	// not keep the frame.
	Observe func(f *fused.Frame) error
	// Labels is a labels file (rigsync labels JSON) or nuScenes folder
	// whose boxes are carried into the output (--labels; "": none), read
	// as LabelsFormat (labels.OpenFormats; "" = auto). Each labelled
	// frame goes to the fused frame of the nearest stamp within half the
	// labels' smallest frame spacing (50 ms at most); see MatchLabels.
	Labels       string
	LabelsFormat string
	// Discard drops every frame after Observe: nothing is written, Format
	// and Out are not used and no LiDAR points are projected.
	Discard bool
}

// Progress is a stage's progress display, fed by Run.
type Progress interface {
	// Set reports the amount done so far.
	Set(n int64)
	// Finish ends the display.
	Finish()
}

// Summary is what fuse reports at the end (--json prints it).
type Summary struct {
	Log          string             `json:"log"`
	Logs         []string           `json:"logs"`
	Format       string             `json:"format"`
	Output       string             `json:"output"`
	Frames       int                `json:"frames"`
	Completeness map[string]float64 `json:"completeness"`
	Deskew       map[string]int     `json:"deskew"`
	EgoSource    map[string]int     `json:"ego_source"`
	CalibSource  map[string]string  `json:"calibration_source"`
	// Rig names the --rig files, joined by ",".
	Rig string `json:"rig,omitempty"`
	// Unmapped are the sensors of the --rig files that are not sensors
	// of the log (each with its items and files); only for files merged
	// from other formats or with --map.
	Unmapped []string `json:"unmapped,omitempty"`
	// Clocks are the clock models applied: estimated (--clock auto),
	// given (--clock NAME=..., rig.yaml).
	Clocks   []fusion.ClockEstimate `json:"clocks"`
	Degraded map[string]int         `json:"degraded"`
	// Warnings are what fusing found that did not stop it (a log
	// CameraInfo disagreeing with rig.yaml, once per camera; intrinsics
	// scaled to the images).
	Warnings []string `json:"warnings"`
	Seconds  float64  `json:"seconds"`
	// Problems is the damage found in the input logs (truncated files,
	// skipped chunks): what was lost, per file; empty for healthy logs.
	Problems []fusion.InputProblem `json:"problems"`
	// StartLogTime and EndLogTime are the --start/--end window in ns (0:
	// unbounded; absent without a window); Sensors and Exclude the
	// --sensors/--exclude selection.
	StartLogTime int64    `json:"start_log_time_ns,omitempty"`
	EndLogTime   int64    `json:"end_log_time_ns,omitempty"`
	Sensors      []string `json:"sensors,omitempty"`
	Exclude      []string `json:"exclude,omitempty"`
	// Labels says how the --labels boxes were matched to the frames
	// (absent without --labels).
	Labels *LabelsSummary `json:"labels,omitempty"`
}

// UsageError marks an error as the options being wrong (the command's
// exit code 2).
type UsageError struct{ Err error }

// Error is the marked error's text.
func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the error it marks.
func (e UsageError) Unwrap() error { return e.Err }

// ProblemsError means the run completed but Options.Strict fails it on N
// problems in the input logs (the command's exit code 3).
type ProblemsError struct{ N int }

// Error says how many problems were found.
func (e ProblemsError) Error() string { return fmt.Sprintf("%d problem(s) found", e.N) }

// noProgress is the display of a run without Options.Progress.
type noProgress struct{}

func (noProgress) Set(int64) {}
func (noProgress) Finish()   {}

func (o *Options) progress(stage, unit string, total int64) Progress {
	if o.Progress == nil {
		return noProgress{}
	}
	return o.Progress(stage, unit, total)
}

// check refuses options that do not fit together, before any file is
// opened.
func (o *Options) check() error {
	switch {
	case o.Out == "" && !o.Discard:
		return UsageError{errors.New("fuse: -o OUT is required")}
	case len(o.Latency) > 0 && !o.AutoClock:
		return UsageError{errors.New("fuse: --latency is used by --clock auto; add --clock auto")}
	case o.ScaleIntrinsics && len(o.Rig) == 0:
		return UsageError{errors.New("fuse: --scale-intrinsics scales the intrinsics of --rig rig.yaml; add --rig")}
	}
	switch o.Ego {
	case "auto", "odometry", "gnss", "tf", "none":
	default:
		return UsageError{fmt.Errorf("fuse: --ego %q: want auto, odometry, gnss, tf or none", o.Ego)}
	}
	if o.ImageCheckEvery < 0 {
		return UsageError{fmt.Errorf("fuse: --image-check-every %d: want N ≥ 0 (0: never)", o.ImageCheckEvery)}
	}
	if o.Discard {
		return nil
	}
	format, err := lookupFormat(o.Format)
	if err != nil {
		return err
	}
	if o.KITTICamera != "" && o.Format != "kitti" {
		return UsageError{fmt.Errorf("fuse: --kitti-camera is for --format kitti, not %q", o.Format)}
	}
	if o.URLPrefix != "" && o.Format != "segments" {
		return UsageError{fmt.Errorf("fuse: --url-prefix is for --format segments, not %q", o.Format)}
	}
	if o.Resume && format.Resume == "" {
		return UsageError{fmt.Errorf("fuse: --format %s cannot --resume", o.Format)}
	}
	return nil
}

// Run fuses the logs at paths (one drive, merged in log-time order) into
// o.Format at o.Out and returns the run's Summary. With o.Strict and
// damaged input it returns the Summary and an error wrapping a
// ProblemsError; any other error comes without a Summary.
func Run(ctx context.Context, o Options, paths []string) (_ *Summary, err error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	// Never write over an input (a log, a --rig file), --force or not.
	if !o.Discard {
		ins := append(slices.Clone(paths), rigfiles.Split(o.Rig)...)
		if o.Labels != "" {
			ins = append(ins, o.Labels)
		}
		if err := outguard.Check(o.Out, ins); err != nil {
			return nil, UsageError{fmt.Errorf("fuse: %w", err)}
		}
	}
	var labelSet *labels.Set
	var labelFormat string
	if o.Labels != "" {
		var err error
		if labelSet, labelFormat, err = labels.Open(o.Labels, o.LabelsFormat); err != nil {
			if errors.Is(err, labels.ErrFormat) {
				return nil, UsageError{fmt.Errorf("fuse: --labels-format %q: want one of %s", o.LabelsFormat, strings.Join(labels.OpenFormats, ", "))}
			}
			return nil, fmt.Errorf("fuse: --labels: %w", err)
		}
		if err := labelSet.Validate(); err != nil {
			return nil, fmt.Errorf("fuse: --labels %s: %w", o.Labels, err)
		}
		if err := checkLabelFrames(labelSet, o.Frame); err != nil {
			return nil, fmt.Errorf("fuse: --labels %s: %w", o.Labels, err)
		}
	}
	start := time.Now()
	// What the run is started with, hashed while the logs are read: a
	// --resume must have been started with the same (RunRecord).
	type recorded struct {
		rec *RunRecord
		err error
	}
	recDone := make(chan recorded, 1)
	hashCtx, stopHash := context.WithCancel(ctx)
	ro := o // the hashing goroutine's copy: Run goes on to change o (Workers)
	go func() {
		if ro.Discard {
			recDone <- recorded{}
			return
		}
		rec, err := NewRunRecord(hashCtx, ro, paths)
		recDone <- recorded{rec, err}
	}()
	recWait := func() (*RunRecord, error) {
		r := <-recDone
		recDone <- r
		return r.rec, r.err
	}
	defer func() {
		stopHash()
		recWait() // no hashing goroutine outlives Run
	}()
	var readers []*logfile.Log
	defer func() {
		for _, r := range readers {
			r.Close()
		}
	}()
	// A run that fails on a damaged log says so: the damage is often why
	// (no LiDAR topic in a log cut after its header).
	defer func() {
		var pe ProblemsError
		if err != nil && !errors.As(err, &pe) {
			err = withInputDamage(err, readers, paths)
		}
	}()
	for _, path := range paths {
		r, err := logfile.Open(path, logfile.Options{})
		if err != nil {
			return nil, err
		}
		readers = append(readers, r)
	}
	cal, err := fusion.ReadCalibrations(ctx, readers, o.Frame)
	if err != nil {
		return nil, err
	}
	winStart, winEnd, err := o.Window.Resolve(readers)
	if err != nil {
		return nil, UsageError{fmt.Errorf("fuse: %w", err)}
	}
	if unknown := o.Sensors.Unknown(readers, func(t string) string { return cal.Sensors[t].Name }); len(unknown) > 0 {
		return nil, UsageError{fmt.Errorf("fuse: --sensors/--exclude %s: not a topic or sensor of the logs", strings.Join(unknown, ", "))}
	}
	rigFiles, err := rigfiles.Load(o.Rig, o.Map, o.Frame)
	if err != nil {
		if rigfiles.IsUsage(err) {
			return nil, UsageError{fmt.Errorf("fuse: %w", err)}
		}
		return nil, fmt.Errorf("fuse: %w", err)
	}
	var rigWarnings, unmapped []string
	if rigFiles != nil {
		known := rigfiles.LogFrames(cal)
		rigWarnings, unmapped = rigFiles.Warnings(known), rigFiles.Unmapped(known)
		logWarnings, err := rigFiles.CheckLog(cal, known)
		if err != nil {
			return nil, fmt.Errorf("fuse: %s: %w", rigFiles.Label(), err)
		}
		rigWarnings = append(rigWarnings, logWarnings...)
		rc, err := fusion.CalibrationFromRig(rigFiles.Rig, o.Frame)
		if err != nil {
			return nil, fmt.Errorf("fuse: %s: %w", rigFiles.Label(), err)
		}
		if cal, err = cal.Override(rc); err != nil {
			return nil, err
		}
	}
	// Clock models: estimated, then rig.yaml's, then o.Clocks.
	var clockRep []fusion.ClockEstimate
	given := map[string]clock.Model{}
	for k, v := range cal.Clocks {
		given[k] = v
	}
	for k, v := range o.Clocks {
		given[k] = v
	}
	models := map[string]clock.Model{}
	var repairs map[string]clock.Repair
	if o.AutoClock {
		prog := o.progress("clocks", "msg", -1)
		clockRep, err = fusion.EstimateClocks(ctx, readers, fusion.ClockOptions{Latency: o.Latency, Given: given, Progress: prog.Set,
			Start: winStart, End: winEnd})
		prog.Finish()
		if err != nil {
			return nil, err
		}
		models, repairs = fusion.ClockModels(clockRep)
	} else {
		for name, m := range given {
			clockRep = append(clockRep, fusion.ClockEstimate{Sensor: name, Applied: "given", Model: m})
		}
		sort.Slice(clockRep, func(i, j int) bool { return clockRep[i].Sensor < clockRep[j].Sensor })
	}
	for k, v := range given {
		models[k] = v
	}
	switch {
	case o.Workers < 0:
		return nil, UsageError{fmt.Errorf("fuse: --workers %d: want at least 1", o.Workers)}
	case o.Workers == 0: // not set
		o.Workers = runtime.NumCPU()
	}
	// A run that writes nothing (Discard: fleet scan's analysis pass)
	// keeps no run record and has nothing to resume.
	var sink fused.Sink = discardSink{}
	var closeOut func(bool) error
	if !o.Discard {
		rec, err := recWait()
		if err != nil {
			return nil, err
		}
		if o.Resume {
			was, err := readRunRecord(o.Out)
			if err != nil {
				return nil, err
			}
			// Without a record: nothing there yet starts afresh, as --resume
			// always did; a complete file is the writer's to refuse; anything
			// else (a completed folder, a run of a rigsync that kept no
			// record) cannot be checked.
			if was == nil && partialOutput(o.Out) {
				return nil, UsageError{&ResumeError{Out: o.Out, Diffs: []string{fmt.Sprintf(
					"it holds no run record (%s): the run completed, or was started by a rigsync that kept none", RunRecordName)}}}
			}
			if was != nil {
				if diffs := rec.Compare(was); len(diffs) > 0 {
					return nil, UsageError{&ResumeError{Out: o.Out, Diffs: diffs}}
				}
			}
		}
		if sink, closeOut, err = OpenSink(o, cal); err != nil {
			return nil, err
		}
		if err := WriteRunRecord(o.Out, rec); err != nil {
			sink.Close()
			if closeOut != nil {
				closeOut(false)
			}
			return nil, err
		}
	}
	if st, ok := sink.(parallelsink.Staged); ok {
		sink = parallelsink.New(st, o.Workers)
	}
	sum := &Summary{Log: paths[0], Logs: paths, Format: o.Format, Output: o.Out, Completeness: map[string]float64{},
		Deskew: map[string]int{}, EgoSource: map[string]int{}, CalibSource: cal.Source, Rig: rigFiles.Label(),
		Unmapped: unmapped, Clocks: clockRep, Degraded: map[string]int{}, Warnings: append([]string{}, rigWarnings...)}
	if sum.Clocks == nil {
		sum.Clocks = []fusion.ClockEstimate{}
	}
	sum.StartLogTime, sum.EndLogTime, sum.Sensors, sum.Exclude = winStart, winEnd, o.Sensors.Sensors, o.Sensors.Exclude
	total := FrameEstimate(readers, cal, o.Reference)
	if winStart > 0 || winEnd > 0 || !o.Sensors.Empty() {
		total = -1 // the counts are the whole logs'
	}
	cs := &countingSink{Sink: sink, sum: sum, present: map[string]int{}, prog: o.progress("fusing", "frames", total), observe: o.Observe}
	if labelSet != nil {
		cs.labels = NewLabelMatcher(labelSet)
		sum.Labels = &LabelsSummary{File: o.Labels, Format: labelFormat, Clock: labelSet.Clock, ToleranceNS: cs.labels.Tolerance(),
			LabelFrames: len(labelSet.Frames), LabelBoxes: labelSet.Count()}
	}
	imageCheck := o.ImageCheckEvery
	if imageCheck == 0 {
		imageCheck = -1
	}
	// Projections are computed only for a format that writes them.
	format := writers.Format{}
	if !o.Discard {
		if format, err = lookupFormat(o.Format); err != nil {
			return nil, err
		}
	}
	p := &fusion.Pipeline{Logs: readers, Names: paths, BaseFrame: o.Frame, Reference: o.Reference, Tolerance: o.Tolerance,
		Clocks: models, Repairs: repairs, Ego: o.Ego, GNSSOrigin: o.GNSSOrigin, Calibration: cal, ImageCheckEvery: imageCheck,
		Register: o.Register, Workers: o.Workers, ScaleIntrinsics: o.ScaleIntrinsics, NoProject: !format.Projections || o.NoProjections,
		Start: winStart, End: winEnd, Sensors: o.Sensors}
	runErr := p.Run(ctx, cs)
	cs.prog.Finish()
	closeErr := sink.Close()
	if closeOut != nil {
		closeErr = errors.Join(closeErr, closeOut(runErr == nil && closeErr == nil))
	}
	if err := errors.Join(runErr, closeErr); err != nil {
		if closeOut != nil && !exists(o.Out+".tmp") && !exists(o.Out+".partial") {
			os.Remove(runRecordPath(o.Out)) // nothing left to resume
		}
		return nil, err
	}
	// The output is complete: it holds what an uninterrupted run writes.
	if !o.Discard {
		if err := os.Remove(runRecordPath(o.Out)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("fuse: remove run record: %w", err)
		}
	}
	for name, n := range cs.present {
		if sum.Frames > 0 {
			sum.Completeness[name] = float64(n) / float64(sum.Frames)
		}
	}
	sum.Warnings = append(sum.Warnings, p.Warnings()...)
	if cs.labels != nil {
		sum.Labels.Unmatched = cs.labels.Unmatched()
		if n := len(sum.Labels.Unmatched); n > 0 {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("labels: %d of %d labelled frames match no fused frame (within %v); their boxes are in no output",
				n, sum.Labels.LabelFrames, time.Duration(sum.Labels.ToleranceNS)))
		}
	}
	sum.Problems = fusion.InputProblems(readers, paths)
	if sum.Problems == nil {
		sum.Problems = []fusion.InputProblem{}
	}
	sum.Seconds = time.Since(start).Seconds()
	if o.Strict && len(sum.Problems) > 0 {
		return sum, fmt.Errorf("%s: %w", damagedLogs(sum.Problems), ProblemsError{len(sum.Problems)})
	}
	return sum, nil
}

// withInputDamage adds to err the damage found in the input logs, if any.
func withInputDamage(err error, readers []*logfile.Log, paths []string) error {
	probs := fusion.InputProblems(readers, paths)
	if len(probs) == 0 {
		return err
	}
	msgs := make([]string, len(probs))
	for i, p := range probs {
		msgs[i] = p.Message
	}
	return fmt.Errorf("%w\n(damaged input: %s)", err, strings.Join(msgs, "; "))
}

// damagedLogs names the damaged logs of probs for the Strict error.
func damagedLogs(probs []fusion.InputProblem) string {
	var files []string
	for _, p := range probs {
		if !slices.Contains(files, p.File) {
			files = append(files, p.File)
		}
	}
	return "damaged input: " + strings.Join(files, ", ")
}

// exists reports whether something is at path.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// partialOutput reports whether out holds what a run left: a non-empty
// folder, or a single-file format's OUT.tmp or OUT.partial.
func partialOutput(out string) bool {
	if ents, err := os.ReadDir(out); err == nil {
		return len(ents) > 0
	}
	return exists(out+".tmp") || exists(out+".partial")
}
