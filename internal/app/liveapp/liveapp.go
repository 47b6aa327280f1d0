// Package liveapp runs "rigsync live": it checks the arguments, dials the
// RTSP cameras, replays the --with log at real time, and runs the loop
// that feeds every stream's messages to a fusion/live Fuser writing frames
// (the frames layout) as they become complete. The --with log's ego-motion
// messages (odometry, else GNSS, else /tf: fusion.ChooseEgo), IMU and
// camera infos go to the Fuser too, so its frames are deskewed and
// Doppler-compensated as offline. It reports a Summary; the command
// prints it and maps its problems and errors to exit codes.
//
// The loop reads its cameras through the Camera interface (an
// *rtsp.Client) and the log through a formats.Source (a
// *replay.Replayer), so a test drives it with in-memory streams.
package liveapp

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/replay"
	"github.com/rigsync/rigsync/formats/rtsp"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/live"
	"github.com/rigsync/rigsync/fusion/writers/frames"
	"github.com/rigsync/rigsync/internal/app/losses"
	"github.com/rigsync/rigsync/internal/app/rigfiles"
	"github.com/rigsync/rigsync/internal/outguard"
)

// Options are the settings of a live run (the flags of "rigsync live").
type Options struct {
	// Rig is the rig.yaml with the cameras' intrinsics and every sensor's
	// extrinsic (required), or calibration files of any format calibio
	// reads, merged (internal/app/rigfiles).
	Rig []string
	// Map renames the Rig files' frames to sensor names
	// (FILE_FRAME=SENSOR).
	Map []string
	// With is a log (MCAP) replayed at real time as extra live streams.
	With string
	// Speed is the replay speed factor of With.
	Speed float64
	// Out is the output folder (frames layout).
	Out string
	// Duration stops the run after this long (0: at the end of With, or
	// when ctx ends).
	Duration time.Duration
	// MaxLatency bounds how long after its time a frame is written.
	MaxLatency time.Duration
	// Tolerance is how far from the frame time a stream's message may be.
	Tolerance time.Duration
	// Reference is the stream that makes frames: a sensor name or topic
	// (empty: the first LiDAR, else the first camera).
	Reference string
	// Transport is the RTSP transport: "tcp", "udp", "auto" or empty
	// (auto).
	Transport string
	// CameraClock is the camera stamp mode: live.ClockSender, ClockHost
	// or ClockAuto.
	CameraClock string
	// NoProject disables projecting LiDAR points into the cameras.
	NoProject bool
	// Force allows writing into a non-empty output folder.
	Force bool
	// Lateness are NAME=D declarations: stream NAME always arrives
	// within D of its stamp.
	Lateness []string
	// ScaleIntrinsics scales rig intrinsics calibrated at another image
	// size to the images (otherwise a size mismatch is an error).
	ScaleIntrinsics bool
	// Cameras are the camera arguments, [NAME=]rtsp://...
	Cameras []string

	// Println receives message lines (the RTSP clients' diagnostics,
	// gaps, reconnects); nil is silent. It may be called from any
	// goroutine.
	Println func(line string)
	// Status receives the run's progress about once a second (from the
	// loop's goroutine); nil: none.
	Status func(Progress)
}

// Progress is the state of a running loop, for a status line.
type Progress struct {
	// Frames is the number of frames written so far.
	Frames int
	// Streams are the per-stream statistics now.
	Streams []live.StreamStats
	// Latency is the write − frame time percentiles so far.
	Latency live.Latency
	// DriftPPM is the clock drift of the cameras (by stream name) whose
	// first track has a drift estimate.
	DriftPPM map[string]float64
}

// UsageError marks an error as the invocation being wrong (an argument,
// a flag, a camera name).
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the error it marks.
func (e UsageError) Unwrap() error { return e.Err }

// CameraSummary is one camera of the live summary.
type CameraSummary struct {
	Name     string     `json:"name"`
	URL      string     `json:"url"`
	Topic    string     `json:"topic"`
	Clock    string     `json:"clock"`
	OffsetNS int64      `json:"clock_offset_ns"`
	RTSP     rtsp.Stats `json:"rtsp"`
	Ignored  int        `json:"ignored_frames"`
	// Video says how H.264/H.265 frames were turned into images.
	Video string `json:"video,omitempty"`
}

// ReplaySummary is the --with log of the live summary.
type ReplaySummary struct {
	Log     string         `json:"log"`
	Mapping replay.Mapping `json:"mapping"`
	Stats   replay.Stats   `json:"stats"`
	// Replaced lists the log's camera topics that were not replayed
	// because a live camera of the same sensor took their place.
	Replaced []string `json:"replaced_by_live,omitempty"`
	// Problems are what the log reader lost replaying Log (losses.Of:
	// objects with severity, kind, file, offset, topic, message, as in
	// every other command's "problems"), [] for a sound log. They live
	// here, not in Summary.Problems, which are the run's own problems (a
	// stream that delivered nothing; strings, exit code 3).
	Problems []fusion.InputProblem `json:"problems"`
}

// Summary is what live reports at the end (--json prints it).
type Summary struct {
	Output       string       `json:"output"`
	Frames       int          `json:"frames"`
	Seconds      float64      `json:"seconds"`
	Reference    string       `json:"reference"`
	MaxLatencyNS int64        `json:"max_latency_ns"`
	ToleranceNS  int64        `json:"tolerance_ns"`
	Latency      live.Latency `json:"latency"`
	// MaxCallGapNS is the longest the loop went without advancing the
	// grouper (a starved or overloaded host): the latency bound holds up
	// to it.
	MaxCallGapNS int64 `json:"max_call_gap_ns"`
	// MaxHeld is the most messages that ever waited for the watermark
	// (memory is bounded by the latency window, not the run length).
	MaxHeld  int                `json:"max_held"`
	Streams  []live.StreamStats `json:"streams"`
	Cameras  []CameraSummary    `json:"cameras"`
	Replay   *ReplaySummary     `json:"replay,omitempty"`
	Stopped  string             `json:"stopped"`
	Problems []string           `json:"problems"`
	// Warnings are what fusing found that did not stop it (a --with
	// CameraInfo disagreeing with rig.yaml, once per camera; intrinsics
	// scaled to the images).
	Warnings []string `json:"warnings"`
}

// Run checks o, dials the cameras, and fuses until ctx ends, o.Duration
// passes or the --with log ends. Errors of the invocation are
// UsageErrors; a run that ends but finds problems (a stream delivered
// nothing, no frame was written) returns its Summary with Problems and a
// nil error.
func Run(ctx context.Context, o Options) (*Summary, error) {
	if len(rigfiles.Split(o.Rig)) == 0 {
		return nil, UsageError{errors.New("live: --rig rig.yaml is required (camera intrinsics and extrinsics)")}
	}
	if o.Out == "" {
		return nil, UsageError{errors.New("live: -o OUT is required")}
	}
	inputs := rigfiles.Split(o.Rig)
	if o.With != "" {
		inputs = append(inputs, o.With)
	}
	if err := outguard.Check(o.Out, inputs); err != nil {
		return nil, UsageError{fmt.Errorf("live: %w", err)}
	}
	if o.MaxLatency <= o.Tolerance {
		return nil, UsageError{fmt.Errorf("live: --max-latency %v must exceed --tolerance %v", o.MaxLatency, o.Tolerance)}
	}
	if !(o.Speed > 0) {
		return nil, UsageError{fmt.Errorf("live: --speed %g: want a factor > 0", o.Speed)}
	}
	switch o.Transport {
	case "", "tcp", "udp", "auto":
	default:
		return nil, UsageError{fmt.Errorf("live: --transport %q: want tcp, udp or auto", o.Transport)}
	}
	if o.Transport == "auto" {
		o.Transport = ""
	}
	if _, err := live.NewHostMapper(o.CameraClock); err != nil {
		return nil, UsageError{fmt.Errorf("live: --camera-clock %q: want sender, host or auto", o.CameraClock)}
	}
	say := func(line string) {
		if o.Println != nil {
			o.Println(line)
		}
	}
	type camArg struct{ name, url string }
	var camArgs []camArg
	for _, a := range o.Cameras {
		name, url := "", a
		if i := strings.Index(a, "="); i > 0 && !strings.Contains(a[:i], "://") {
			name, url = a[:i], a[i+1:]
		}
		if !strings.HasPrefix(url, "rtsp://") && !strings.HasPrefix(url, "rtsps://") {
			return nil, UsageError{fmt.Errorf("live: argument %q is not an rtsp:// URL", rtsp.Redact(a))}
		}
		camArgs = append(camArgs, camArg{name, url})
	}
	loaded, err := rigfiles.Load(o.Rig, o.Map, "")
	if rigfiles.IsUsage(err) {
		return nil, UsageError{fmt.Errorf("live: %w", err)}
	}
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	rg := loaded.Rig
	cal, err := fusion.CalibrationFromRig(rg, "")
	if err != nil {
		return nil, fmt.Errorf("live: %s: %w", loaded.Label(), err)
	}
	start := time.Now()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.Duration > 0 {
		var c2 context.CancelFunc
		runCtx, c2 = context.WithTimeout(runCtx, o.Duration)
		defer c2()
	}

	// The --with log: its calibration fills what the rig lacks.
	var rp *replay.Replayer
	var logCal *fusion.Calibration // the --with log's own
	var streams []live.Stream
	topicStream := map[string]int{}
	imuTopics := map[string]bool{}
	egoTopics := map[string]bool{}
	var egos fusion.EgoTopics
	ego := "none"
	if o.With != "" {
		rp, err = replay.Open(o.With, replay.Options{Speed: o.Speed})
		if err != nil {
			return nil, err
		}
		defer rp.Close()
		logCal, err = fusion.ReadLogCalibration(ctx, rp.Log(), cal.Base)
		if err != nil {
			return nil, fmt.Errorf("live: --with %s: %w", o.With, err)
		}
		if cal, err = logCal.Override(cal); err != nil {
			return nil, fmt.Errorf("live: --with %s: %w", o.With, err)
		}
		for _, ch := range rp.Log().Channels() {
			schema := ""
			if ch.Schema != nil {
				schema = ch.Schema.Name
			}
			ts, known := cal.Sensors[ch.Topic]
			mod := formats.ModalityOfType(schema)
			if known && ts.Modality != formats.Other {
				mod = ts.Modality
			}
			name := ts.Name
			if name == "" {
				name = ch.Topic
			}
			switch mod {
			case formats.Lidar, formats.Radar, formats.Camera:
				topicStream[ch.Topic] = len(streams)
				streams = append(streams, live.Stream{Name: name, Topic: ch.Topic, Modality: mod})
			case formats.IMUModality:
				imuTopics[ch.Topic] = true
			default:
				egos.Add(ch.Topic, mod)
			}
		}
		// The log's ego motion (odometry, else GNSS, else /tf) deskews
		// and compensates the frames as offline; "auto" never fails.
		var topics []string
		ego, topics, _ = fusion.ChooseEgo("auto", egos)
		for _, t := range topics {
			egoTopics[t] = true
		}
	}

	// Every argument is checked before a camera is dialled.
	urls := make([][2]string, len(camArgs))
	for i, a := range camArgs {
		urls[i] = [2]string{a.name, a.url}
	}
	// A live camera of a sensor that the --with log also recorded takes
	// the log's place: the log's images of it are not replayed.
	streams, replaced := replaceLoggedCameras(rg, streams, topicStream, urls)
	for _, t := range replaced {
		say(fmt.Sprintf("live: %s of %s is not replayed: the live camera of that sensor takes its place", t, o.With))
	}
	plan, err := checkBeforeDial(o, rg, cal, streams, urls)
	if err != nil {
		return nil, err
	}

	// The cameras: dial each once (a wrong URL fails here), then stream.
	var cams []*camera
	defer func() {
		for _, c := range cams {
			c.client.Close()
		}
	}()
	// Every check was made before dialling (checkBeforeDial): the names,
	// frames, stream count, duplicates and --lateness specs are valid.
	for i, a := range camArgs {
		c := &camera{name: plan[i].name, url: a.url, frame: plan[i].frame}
		cfg := rtsp.Config{URL: a.url, Name: a.name, Transport: o.Transport}
		if o.Println != nil {
			cfg.Logf = func(format string, args ...any) { say(fmt.Sprintf("live: "+format, args...)) }
		}
		cl, err := rtsp.Dial(runCtx, cfg)
		if err != nil {
			return nil, err
		}
		c.client = cl
		cams = append(cams, c)
		c.mapper, _ = live.NewHostMapper(o.CameraClock)
		c.stream = len(streams)
		streams = append(streams, live.Stream{Name: c.frame, Topic: "/" + cl.Name() + "/image/compressed", Modality: formats.Camera})
	}
	for _, spec := range o.Lateness {
		name, val, _ := strings.Cut(spec, "=")
		d, _ := time.ParseDuration(val)
		streams[slices.IndexFunc(streams, func(s live.Stream) bool { return s.Name == name || s.Topic == name })].Lateness = d
	}
	ref := -1
	for i, s := range streams {
		if o.Reference != "" && (s.Name == o.Reference || s.Topic == o.Reference || (s.Modality == formats.Camera && cameraNamed(cams, i, o.Reference))) {
			ref = i
			break
		}
	}
	if o.Reference == "" {
		ref = slices.IndexFunc(streams, func(s live.Stream) bool { return s.Modality == formats.Lidar })
		if ref < 0 {
			ref = slices.IndexFunc(streams, func(s live.Stream) bool { return s.Modality == formats.Camera })
		}
	}
	if ref < 0 {
		return nil, UsageError{fmt.Errorf("live: --reference %q is none of the streams %s", o.Reference, streamNames(streams))}
	}
	w, err := frames.New(o.Out, frames.Options{Force: o.Force})
	if err != nil {
		return nil, err
	}
	fu, err := live.New(live.Config{Streams: streams, Reference: ref, Calibration: cal, Tolerance: o.Tolerance,
		MaxLatency: o.MaxLatency, NoProject: o.NoProject, ScaleIntrinsics: o.ScaleIntrinsics, Ego: ego}, w)
	if err != nil {
		w.Close()
		return nil, err
	}
	if logCal != nil {
		for _, frame := range slices.Sorted(maps.Keys(logCal.Infos)) {
			info := logCal.Infos[frame]
			fu.CameraInfo(frame, o.With+" topic "+logCal.SourceOf(frame, "intrinsics"), &info)
		}
	}
	known := runFrames(plan, streams, logCal)
	logWarnings, err := loaded.CheckLog(logCal, known)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("live: %s: %w", o.With, err)
	}
	sum := &Summary{Output: o.Out, Reference: streams[ref].Topic, MaxLatencyNS: int64(o.MaxLatency),
		ToleranceNS: int64(o.Tolerance), Problems: []string{}, Warnings: append(append([]string{}, loaded.Warnings(known)...), logWarnings...)}
	lp := &loop{fu: fu, cams: cams, cal: cal, topicStream: topicStream, imuTopics: imuTopics, egoTopics: egoTopics,
		with: o.With, say: say, status: o.Status, sum: sum}
	if rp != nil {
		lp.replay = rp
	}
	loopErr := lp.run(runCtx)
	if loopErr == nil && ctx.Err() == nil && runCtx.Err() != nil {
		sum.Stopped = "duration"
	}
	flushErr := fu.Flush(context.WithoutCancel(ctx), time.Now().UnixNano())
	if loopErr != nil && errors.Is(loopErr, flushErr) {
		flushErr = nil // the sink error that stopped the loop, which a stopped Fuser returns again
	}
	closeErr := w.Close()
	for _, c := range cams {
		c.client.Close()
	}
	if err := errors.Join(loopErr, flushErr, closeErr); err != nil {
		return nil, err
	}
	now := time.Now().UnixNano()
	sum.Frames = fu.Frames()
	sum.Seconds = time.Since(start).Seconds()
	sum.Latency = fu.Latency()
	sum.Streams = fu.Stats(now)
	for _, c := range cams {
		off, _ := c.mapper.Offset()
		cs := CameraSummary{Name: c.name, URL: rtsp.Redact(c.url), Topic: streams[c.stream].Topic,
			Clock: c.mapper.Mode(), OffsetNS: off, RTSP: c.client.Stats(), Ignored: c.ignored, Video: c.videoNote}
		if c.video != nil {
			cs.Video = c.video.summary()
		}
		if c.topic != "" {
			cs.Topic = c.topic
		}
		sum.Cameras = append(sum.Cameras, cs)
	}
	if rp != nil {
		sum.Replay = &ReplaySummary{Log: o.With, Mapping: rp.Mapping(), Stats: rp.Stats(), Replaced: replaced,
			Problems: losses.Of([]*logfile.Log{rp.Log()}, []string{o.With})}
	}
	for _, s := range sum.Streams {
		if s.Received == 0 {
			sum.Problems = append(sum.Problems, fmt.Sprintf("%s (%s) delivered nothing", s.Name, s.Topic))
		}
	}
	if sum.Frames == 0 {
		sum.Problems = append(sum.Problems, "no frame was written")
	}
	sum.Warnings = append(sum.Warnings, fu.Warnings()...)
	return sum, nil
}

// rigCamera finds a camera of the rig by name or frame.
func rigCamera(rg *rig.Rig, name string) *rig.Sensor {
	for i := range rg.Sensors {
		s := &rg.Sensors[i]
		if s.Modality == "camera" && (s.Name == name || s.Frame == name) {
			return s
		}
	}
	return nil
}

func rigCameraNames(rg *rig.Rig) []string {
	var out []string
	for _, s := range rg.Sensors {
		if s.Modality == "camera" {
			out = append(out, s.Name)
		}
	}
	if len(out) == 0 {
		return []string{"no camera"}
	}
	return out
}

func cameraNamed(cams []*camera, stream int, name string) bool {
	for _, c := range cams {
		if c.stream == stream && c.name == name {
			return true
		}
	}
	return false
}

func streamNames(ss []live.Stream) string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return strings.Join(out, ", ")
}

// runFrames reports whether a frame is a sensor of the run: a live
// camera, a stream of the --with log or a frame its calibration knows
// (for the rig files' unmapped list).
func runFrames(plan []cameraPlan, streams []live.Stream, logCal *fusion.Calibration) func(string) bool {
	known := map[string]bool{}
	for _, p := range plan {
		known[p.frame], known[p.name] = true, true
	}
	for _, s := range streams {
		known[s.Name] = true
	}
	inLog := func(string) bool { return false }
	if logCal != nil {
		inLog = rigfiles.LogFrames(logCal)
	}
	return func(f string) bool { return known[f] || inLog(f) }
}
