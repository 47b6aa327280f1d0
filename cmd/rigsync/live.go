package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/replay"
	"github.com/rigsync/rigsync/formats/rtsp"
	"github.com/rigsync/rigsync/formats/videodec"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/live"
	"github.com/rigsync/rigsync/fusion/writers/frames"
)

type liveOptions struct {
	Rig         string
	With        string
	Speed       float64
	Out         string
	Duration    time.Duration
	MaxLatency  time.Duration
	Tolerance   time.Duration
	Reference   string
	Transport   string
	CameraClock string
	NoProject   bool
	Force       bool
	Lateness    []string
	ScaleIntr   bool
}

func newLiveCommand(g *globalOptions) *cobra.Command {
	var o liveOptions
	c := &cobra.Command{
		Use:   "live --rig rig.yaml [NAME=]rtsp://... [...] [--with LOG.mcap] -o OUT",
		Short: "Fuse live RTSP cameras (and a log replayed at real time) into frames as they arrive",
		Long: `live groups live camera frames with other streams as they arrive and writes
fused frames (the "frames" layout of "rigsync fuse") while it runs.

Streams:
  rtsp://...      an RTSP camera (MJPEG, H.264 or H.265 track; TCP or UDP;
                  reconnects with backoff, outages are recorded as gaps).
                  NAME=rtsp://... names it; otherwise the name comes from the
                  URL path (/cam/front gives cam_front). NAME must be a camera
                  of --rig (its name or frame): the rig gives its intrinsics
                  and T_base_camera. Its images must be the rig.yaml width ×
                  height (an error otherwise), unless --scale-intrinsics,
                  which scales the rig's K to them (fx, cx by the width
                  ratio, fy, cy by the height ratio, pixel centres at
                  integers). Credentials in URLs are never printed.
  --with LOG      a recorded log replayed at real time (--speed) as if live:
                  its LiDARs, radars and cameras are grouped too, its IMU is
                  attached to the frames. Its times are shifted onto the host
                  clock: host = start + (log time − first log time) / speed,
                  the same shift for every topic. A live camera of a sensor
                  the log also recorded takes its place: the log's images
                  of that camera are not replayed (the summary lists them
                  under replay.replaced_by_live). The rig's intrinsics win
                  over the log's CameraInfo; the summary warns once per
                  camera where they disagree.

Grouping: one frame per message of the reference stream (--reference; the
first LiDAR of --with by default, else the first camera), every other
stream's nearest message within ±--tolerance, or marked missing. A frame is
written as soon as no message that could join it can still arrive (a
watermark over every stream), and never later than --max-latency after its
time: a silent, dead or late camera does not hold the output back. A frame
normally waits for every stream's next message; --lateness NAME=D declares
that stream NAME always arrives within D of its stamp, so that its silence
for longer than D already tells (a late message is then dropped and
counted as late).

Clocks: every stamp is put on the host clock (UNIX ns). A camera is stamped
with its capture time from RTCP sender reports; --camera-clock sender keeps
it (camera synchronised to the host by NTP/PTP), host maps it with the
camera's measured clock offset (late by its minimum capture-to-receive
latency), auto (default) maps only a camera whose clock is more than 1 s off.
The offset of a mapped camera is measured over its first 5 frames (150 ms
at most) before they are stamped, and carries over a reconnect unless the
camera's clock stepped. Frames before the first sender report are stamped with their receive time
and flagged provisional. Rig clock models (clock: in rig.yaml) correct the
--with log's sensors and sender-clock cameras.

What is fused live, and what is not: cameras as received (JPEG), LiDAR
clouds and radar detections in the base frame with the rig's extrinsics,
LiDAR points projected into the cameras, the IMU window. NOT done live:
deskew and ego-motion compensation between sensor times (no ego source),
Doppler ego compensation (radial_velocity is NaN, raw_radial_velocity as
measured). H.264/H.265 cameras are decoded to JPEG by an ffmpeg subprocess
(Debian: apt-get install ffmpeg) from their first keyframe on; without
ffmpeg they are marked missing in every frame, and the summary says why
("rigsync record" keeps their video as it is).

The status line (stderr) shows per stream its rate, delivery delay and, for
cameras, clock drift; and the latency (write time − frame time) of the frames.
The run ends after --duration, at the end of --with, or on Ctrl-C; the
frames written so far are complete either way. Every argument (URLs and
camera names, the rig, --with, --lateness, --reference, the output
folder) is checked before any camera is dialled.

Exit codes: 0 ok, 1 error, 2 usage error, 3 problems (a stream delivered
nothing, or no frame was written).`,
		Example: `  rigsync live --rig rig.yaml rtsp://10.0.0.21/cam/front -o live/ --duration 30s
  rigsync live --rig rig.yaml cam_front=rtsp://user:pass@10.0.0.21/stream1 \
      --with drive.mcap --max-latency 300ms -o live/
  rigsync live --rig rig.yaml rtsp://cam-left/main rtsp://cam-right/main --reference cam_left --json -o live/`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runLive(cmd.Context(), g, o, args) },
	}
	f := c.Flags()
	f.StringVar(&o.Rig, "rig", "", "rig.yaml with the cameras' intrinsics and every sensor's extrinsic (required)")
	f.StringVar(&o.With, "with", "", "a log (MCAP) replayed at real time as extra live streams")
	f.Float64Var(&o.Speed, "speed", 1, "replay speed factor of --with")
	f.StringVarP(&o.Out, "output", "o", "", "output folder (frames layout)")
	f.DurationVar(&o.Duration, "duration", 0, "stop after this long (0: at the end of --with, or on Ctrl-C)")
	f.DurationVar(&o.MaxLatency, "max-latency", live.DefaultMaxLatency, "write every frame at most this long after its time")
	f.DurationVar(&o.Tolerance, "tolerance", live.DefaultTolerance, "how far from the frame time a stream's message may be")
	f.StringVar(&o.Reference, "reference", "", "stream that makes frames: a sensor name or topic (default: first LiDAR, else first camera)")
	f.StringVar(&o.Transport, "transport", "", "RTSP transport: tcp, udp or empty (auto: UDP, then TCP)")
	f.StringVar(&o.CameraClock, "camera-clock", live.ClockAuto, "camera stamps: sender, host or auto (see above)")
	f.StringArrayVar(&o.Lateness, "lateness", nil, "NAME=D: stream NAME (sensor or topic) always arrives within D of its stamp, so frames need not wait for its next message (repeatable)")
	f.BoolVar(&o.ScaleIntr, "scale-intrinsics", false, "scale rig.yaml intrinsics calibrated at another image size to the images (default: a size mismatch is an error)")
	f.BoolVar(&o.NoProject, "no-project", false, "do not project LiDAR points into the cameras")
	f.BoolVar(&o.Force, "force", false, "write into a non-empty output folder")
	return c
}

// liveCameraSummary is one camera of the live summary.
type liveCameraSummary struct {
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

// liveReplaySummary is the --with log of the live summary.
type liveReplaySummary struct {
	Log     string         `json:"log"`
	Mapping replay.Mapping `json:"mapping"`
	Stats   replay.Stats   `json:"stats"`
	// Replaced lists the log's camera topics that were not replayed
	// because a live camera of the same sensor took their place.
	Replaced []string `json:"replaced_by_live,omitempty"`
}

// liveSummary is what live reports at the end (--json prints it).
type liveSummary struct {
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
	MaxHeld  int                 `json:"max_held"`
	Streams  []live.StreamStats  `json:"streams"`
	Cameras  []liveCameraSummary `json:"cameras"`
	Replay   *liveReplaySummary  `json:"replay,omitempty"`
	Stopped  string              `json:"stopped"`
	Problems []string            `json:"problems"`
	// Warnings are what fusing found that did not stop it (a --with
	// CameraInfo disagreeing with rig.yaml, once per camera; intrinsics
	// scaled to the images).
	Warnings []string `json:"warnings"`
}

// liveCamera is one RTSP camera of a run.
type liveCamera struct {
	name, url, frame string
	client           *rtsp.Client
	mapper           *live.HostMapper
	stream           int
	topic            string
	ignored          int
	session          int
	// pending holds the frames observed while the mapper's offset estimate
	// is not settled yet (the first frames of a host-mapped camera).
	pending []liveArrival
	// video decodes an H.264/H.265 camera (set by its frame goroutine,
	// read after the loop); videoNote says why it could not.
	video     *liveVideo
	videoNote string
}

// liveArrival is one message handed to the main loop.
type liveArrival struct {
	cam         int // camera index, −1 for the replay
	msg         formats.Message
	provisional bool
	session     int
	eof         error // replay ended (io.EOF) or failed
}

func runLive(ctx context.Context, g *globalOptions, o liveOptions, args []string) error {
	if o.Rig == "" {
		return usageError{errors.New("live: --rig rig.yaml is required (camera intrinsics and extrinsics)")}
	}
	if o.Out == "" {
		return usageError{errors.New("live: -o OUT is required")}
	}
	if o.MaxLatency <= o.Tolerance {
		return usageError{fmt.Errorf("live: --max-latency %v must exceed --tolerance %v", o.MaxLatency, o.Tolerance)}
	}
	if !(o.Speed > 0) {
		return usageError{fmt.Errorf("live: --speed %g: want a factor > 0", o.Speed)}
	}
	switch o.Transport {
	case "", "tcp", "udp", "auto":
	default:
		return usageError{fmt.Errorf("live: --transport %q: want tcp, udp or auto", o.Transport)}
	}
	if o.Transport == "auto" {
		o.Transport = ""
	}
	if _, err := live.NewHostMapper(o.CameraClock); err != nil {
		return usageError{fmt.Errorf("live: --camera-clock %q: want sender, host or auto", o.CameraClock)}
	}
	type camArg struct{ name, url string }
	var camArgs []camArg
	for _, a := range args {
		name, url := "", a
		if i := strings.Index(a, "="); i > 0 && !strings.Contains(a[:i], "://") {
			name, url = a[:i], a[i+1:]
		}
		if !strings.HasPrefix(url, "rtsp://") && !strings.HasPrefix(url, "rtsps://") {
			return usageError{fmt.Errorf("live: argument %q is not an rtsp:// URL", rtsp.Redact(a))}
		}
		camArgs = append(camArgs, camArg{name, url})
	}
	rf, err := os.Open(o.Rig)
	if err != nil {
		return err
	}
	rg, err := rig.Load(rf)
	rf.Close()
	if err != nil {
		return fmt.Errorf("live: %s: %w", o.Rig, err)
	}
	cal, err := fusion.CalibrationFromRig(rg, "")
	if err != nil {
		return fmt.Errorf("live: %s: %w", o.Rig, err)
	}
	start := time.Now()
	st := newLiveStatus(g)
	defer st.finish()
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
	if o.With != "" {
		rp, err = replay.Open(o.With, replay.Options{Speed: o.Speed})
		if err != nil {
			return err
		}
		defer rp.Close()
		logCal, err = fusion.ReadCalibration(ctx, rp.Reader(), cal.Base)
		if err != nil {
			return fmt.Errorf("live: --with %s: %w", o.With, err)
		}
		if cal, err = logCal.Override(cal); err != nil {
			return fmt.Errorf("live: --with %s: %w", o.With, err)
		}
		for _, ch := range rp.Reader().Channels() {
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
			}
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
		st.println(fmt.Sprintf("live: %s of %s is not replayed: the live camera of that sensor takes its place", t, o.With))
	}
	if err := checkLiveBeforeDial(o, rg, cal, streams, urls); err != nil {
		return err
	}

	// The cameras: dial each once (a wrong URL fails here), then stream.
	var cams []*liveCamera
	defer func() {
		for _, c := range cams {
			c.client.Close()
		}
	}()
	for _, a := range camArgs {
		if a.name != "" && rigCamera(rg, a.name) == nil {
			return usageError{fmt.Errorf("live: camera %q is not a camera of %s (have %s)", a.name, o.Rig, strings.Join(rigCameraNames(rg), ", "))}
		}
	}
	for _, a := range camArgs {
		c := &liveCamera{name: a.name, url: a.url}
		cfg := rtsp.Config{URL: a.url, Name: a.name, Transport: o.Transport}
		if !g.Quiet && !g.JSON {
			cfg.Logf = func(format string, args ...any) { st.println(fmt.Sprintf("live: "+format, args...)) }
		}
		cl, err := rtsp.Dial(runCtx, cfg)
		if err != nil {
			return err
		}
		c.client = cl
		cams = append(cams, c)
		if c.name == "" {
			c.name = cl.Name()
		}
		s := rigCamera(rg, c.name)
		if s == nil {
			return usageError{fmt.Errorf("live: camera %q (%s) is not a camera of %s (have %s); name it NAME=rtsp://...",
				c.name, rtsp.Redact(a.url), o.Rig, strings.Join(rigCameraNames(rg), ", "))}
		}
		c.frame = s.Frame
		if c.frame == "" {
			c.frame = s.Name
		}
		if _, ok := cal.Extrinsics[c.frame]; !ok {
			return fmt.Errorf("live: camera %s has no extrinsic in %s", c.name, o.Rig)
		}
		c.mapper, _ = live.NewHostMapper(o.CameraClock)
		c.stream = len(streams)
		streams = append(streams, live.Stream{Name: c.frame, Topic: "/" + cl.Name() + "/image/compressed", Modality: formats.Camera})
	}
	if len(streams) < 2 {
		return usageError{fmt.Errorf("live: %d stream(s): need at least 2 (cameras, or a camera and --with)", len(streams))}
	}
	for _, spec := range o.Lateness {
		name, val, ok := strings.Cut(spec, "=")
		d, err := time.ParseDuration(val)
		if !ok || err != nil || d < 0 {
			return usageError{fmt.Errorf("live: --lateness %q: want NAME=DURATION, e.g. lidar_top=150ms", spec)}
		}
		i := slices.IndexFunc(streams, func(s live.Stream) bool { return s.Name == name || s.Topic == name })
		if i < 0 {
			return usageError{fmt.Errorf("live: --lateness %q: no stream %s (have %s)", spec, name, streamNames(streams))}
		}
		streams[i].Lateness = d
	}
	names := map[string]string{}
	for _, s := range streams {
		if t, dup := names[s.Name]; dup {
			return usageError{fmt.Errorf("live: sensor %s comes twice (%s and %s): give the live camera another rig camera's name", s.Name, t, s.Topic)}
		}
		names[s.Name] = s.Topic
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
		return usageError{fmt.Errorf("live: --reference %q is none of the streams %s", o.Reference, streamNames(streams))}
	}
	w, err := frames.New(o.Out, frames.Options{Force: o.Force})
	if err != nil {
		return err
	}
	fu, err := live.New(live.Config{Streams: streams, Reference: ref, Calibration: cal, Tolerance: o.Tolerance,
		MaxLatency: o.MaxLatency, NoProject: o.NoProject, ScaleIntrinsics: o.ScaleIntr}, w)
	if err != nil {
		w.Close()
		return err
	}
	if logCal != nil {
		for _, frame := range slices.Sorted(maps.Keys(logCal.Infos)) {
			info := logCal.Infos[frame]
			fu.CameraInfo(frame, o.With+" topic "+logCal.SourceOf(frame, "intrinsics"), &info)
		}
	}
	sum := &liveSummary{Output: o.Out, Reference: streams[ref].Topic, MaxLatencyNS: int64(o.MaxLatency),
		ToleranceNS: int64(o.Tolerance), Problems: []string{}, Warnings: []string{}}
	loopErr := liveLoop(runCtx, st, fu, cams, rp, cal, topicStream, imuTopics, sum)
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
		return err
	}
	now := time.Now().UnixNano()
	sum.Frames = fu.Frames()
	sum.Seconds = time.Since(start).Seconds()
	sum.Latency = fu.Latency()
	sum.Streams = fu.Stats(now)
	for _, c := range cams {
		off, _ := c.mapper.Offset()
		cs := liveCameraSummary{Name: c.name, URL: rtsp.Redact(c.url), Topic: streams[c.stream].Topic,
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
		sum.Replay = &liveReplaySummary{Log: o.With, Mapping: rp.Mapping(), Stats: rp.Stats(), Replaced: replaced}
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
	if g.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else {
		printLive(g.stdout, sum)
	}
	if len(sum.Problems) > 0 {
		return problemsError{len(sum.Problems)}
	}
	return nil
}

// liveLoop feeds the fuser until ctx ends or the replay does. It owns the
// fuser; the sources run on their own goroutines and hand messages over a
// bounded channel (a camera client drops frames rather than block).
func liveLoop(ctx context.Context, st *liveStatus, fu *live.Fuser, cams []*liveCamera, rp *replay.Replayer, cal *fusion.Calibration,
	topicStream map[string]int, imuTopics map[string]bool, sum *liveSummary) error {
	in := make(chan liveArrival, 256)
	events := make(chan string, 64)
	done := make(chan struct{})
	srcCtx, stopSrc := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		close(done)
		stopSrc()
		wg.Wait() // the replay goroutine must be gone before rp is read or closed
	}()
	send := func(a liveArrival) bool {
		select {
		case in <- a:
			return true
		case <-done:
			return false
		}
	}
	videoOK := videodec.Available()
	for i, c := range cams {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for {
				var fr rtsp.Frame
				var ok bool
				select {
				case fr, ok = <-c.client.Frames():
				case <-done:
					return
				}
				if !ok {
					return
				}
				a := liveArrival{cam: i, msg: fr.Msg, provisional: fr.Provisional, session: fr.Session}
				if au, isVideo := fr.Msg.Payload.(*formats.CompressedVideo); isVideo && videoOK == nil {
					if c.video == nil {
						c.video = newLiveVideo(srcCtx, i, au.Format, send)
						wg.Add(1)
						go func() {
							defer wg.Done()
							<-done
							c.video.close()
						}()
					}
					if !c.video.push(a, au) {
						return
					}
					continue
				}
				if isVideoCodec(fr.Codec) && videoOK != nil {
					c.videoNote = videoOK.Error()
				}
				if !send(a) {
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for {
				var ev rtsp.Event
				var ok bool
				select {
				case ev, ok = <-c.client.Events():
				case <-done:
					return
				}
				if !ok {
					return
				}
				var line string
				switch ev.Kind {
				case rtsp.EventGap:
					line = fmt.Sprintf("live: %s: gap of %v", c.name, time.Duration(ev.End-ev.Start).Round(time.Millisecond))
				case rtsp.EventReconnect:
					line = fmt.Sprintf("live: %s: reconnected", c.name)
				case rtsp.EventError:
					line = fmt.Sprintf("live: %s: %v", c.name, ev.Err)
				default:
					continue
				}
				select {
				case events <- line:
				case <-done:
					return
				}
			}
		}()
	}
	if rp != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, err := rp.Next(srcCtx)
				if err != nil {
					send(liveArrival{cam: -1, eof: err})
					return
				}
				if !send(liveArrival{cam: -1, msg: m}) {
					return
				}
			}
		}()
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	status := time.NewTicker(time.Second)
	defer status.Stop()
	last := time.Now().UnixNano()
	gap := func(now int64) {
		sum.MaxCallGapNS = max(sum.MaxCallGapNS, now-last)
		sum.MaxHeld = max(sum.MaxHeld, fu.Held())
		last = now
	}
	// flush stamps and pushes a camera's pending frames once its mapper
	// has settled (or at once with force), all with the same offset.
	flush := func(c *liveCamera, now int64, force bool) error {
		if len(c.pending) == 0 || !(force || c.mapper.Settled(now)) {
			return nil
		}
		for _, a := range c.pending {
			m := a.msg
			if !a.provisional {
				m.Stamp = c.mapper.Stamp(m.Stamp)
			}
			if cm, ok := cal.Clocks[c.frame]; ok && c.mapper.Mode() == live.ClockSender && !a.provisional {
				m.Stamp = cm.Correct(m.Stamp)
			}
			m.FrameID = c.frame
			if err := fu.Push(ctx, now, c.stream, live.Input{Msg: m, Provisional: a.provisional}); err != nil {
				return err
			}
		}
		clear(c.pending)
		c.pending = c.pending[:0]
		return nil
	}
	flushAll := func(now int64, force bool) error {
		for _, c := range cams {
			if err := flush(c, now, force); err != nil {
				return err
			}
		}
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			sum.Stopped = "interrupted"
			return flushAll(time.Now().UnixNano(), true)
		case <-tick.C:
			now := time.Now().UnixNano()
			gap(now)
			if err := flushAll(now, false); err != nil {
				return err
			}
			if err := fu.Advance(ctx, now); err != nil {
				return err
			}
		case <-status.C:
			st.show(fu, cams)
		case line := <-events:
			st.println(line)
		case a := <-in:
			now := time.Now().UnixNano()
			gap(now)
			if a.cam < 0 {
				if a.eof != nil {
					if errors.Is(a.eof, io.EOF) {
						sum.Stopped = "end of --with"
						return flushAll(now, true)
					}
					if ctx.Err() != nil {
						sum.Stopped = "interrupted"
						return flushAll(now, true)
					}
					return a.eof
				}
				m := a.msg
				if cm, ok := cal.Clocks[m.FrameID]; ok && m.StampClock != formats.ClockLog {
					// The rig's clock model is for the sensor's own clock:
					// apply it on the log's time base, then shift back.
					mp := rp.Mapping()
					m.Stamp = mp.Shift(cm.Correct(mp.Unshift(m.Stamp)))
				}
				if imuTopics[m.Topic] {
					fu.AddIMU(m)
					continue
				}
				if i, ok := topicStream[m.Topic]; ok {
					if err := fu.Push(ctx, now, i, live.Input{Msg: m}); err != nil {
						return err
					}
				}
				continue
			}
			c := cams[a.cam]
			m := a.msg
			if c.topic == "" {
				c.topic = m.Topic
			}
			if m.Topic != c.topic {
				c.ignored++ // a second track of the camera: one stream per camera
				continue
			}
			if a.session != c.session {
				if err := flush(c, now, true); err != nil { // stamped on the old session's evidence
					return err
				}
				c.session = a.session
				c.mapper.Reset() // a reconnected camera may have stepped its clock
			}
			// The first frames of a host-mapped camera wait (WarmTime at
			// most) for the offset estimate to settle: stamped at once, each
			// would carry its own delivery delay.
			c.mapper.Observe(m.Stamp, m.LogTime, a.provisional)
			c.pending = append(c.pending, a)
			if err := flush(c, now, false); err != nil {
				return err
			}
		}
	}
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

func cameraNamed(cams []*liveCamera, stream int, name string) bool {
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

// liveStatus writes the status line and messages to stderr, from any
// goroutine (the RTSP clients log from theirs).
type liveStatus struct {
	mu    sync.Mutex
	g     *globalOptions
	tty   bool
	shown bool
	last  time.Time
}

func newLiveStatus(g *globalOptions) *liveStatus {
	f, ok := g.stderr.(*os.File)
	return &liveStatus{g: g, tty: ok && term.IsTerminal(int(f.Fd()))}
}

// println prints a message line (clearing the status line on a terminal).
func (s *liveStatus) println(line string) {
	if s.g.Quiet || s.g.JSON {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown {
		fmt.Fprint(s.g.stderr, "\r\033[K")
		s.shown = false
	}
	fmt.Fprintln(s.g.stderr, line)
}

func (s *liveStatus) show(fu *live.Fuser, cams []*liveCamera) {
	if s.g.Quiet || s.g.JSON {
		return
	}
	// Off a terminal (a log file) one line every 10 s is enough.
	if !s.tty && time.Since(s.last) < 10*time.Second {
		return
	}
	s.last = time.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "frames %d", fu.Frames())
	drift := map[string]string{}
	for _, c := range cams {
		for _, t := range c.client.Stats().Tracks {
			if t.DriftOK {
				drift[c.frame] = fmt.Sprintf(" drift %+.1fppm", t.DriftPPM)
			}
			break
		}
	}
	for _, st := range fu.Stats(time.Now().UnixNano()) {
		fmt.Fprintf(&b, " | %s %.1ffps delay %v%s", st.Name, st.FPS, time.Duration(st.Delay).Round(time.Millisecond), drift[st.Name])
	}
	l := fu.Latency()
	fmt.Fprintf(&b, " | latency p50 %v max %v", time.Duration(l.P50).Round(time.Millisecond), time.Duration(l.Max).Round(time.Millisecond))
	if !s.tty {
		s.println("live: " + b.String())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.g.stderr, "\r\033[K%s", b.String())
	s.shown = true
}

func (s *liveStatus) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown {
		fmt.Fprint(s.g.stderr, "\r\033[K")
		s.shown = false
	}
}

func printLive(w io.Writer, s *liveSummary) {
	fmt.Fprintf(w, "wrote %d fused frames to %s in %.1f s (stopped: %s); reference %s\n", s.Frames, s.Output, s.Seconds, s.Stopped, s.Reference)
	fmt.Fprintf(w, "latency (write − frame time): p50 %v  p99 %v  max %v  (bound %v)\n",
		time.Duration(s.Latency.P50).Round(time.Millisecond), time.Duration(s.Latency.P99).Round(time.Millisecond),
		time.Duration(s.Latency.Max).Round(time.Millisecond), time.Duration(s.MaxLatencyNS))
	fmt.Fprintf(w, "%-24s %8s %6s %8s %7s %9s  %s\n", "stream", "received", "used", "missing", "fps", "delay", "dropped")
	for _, st := range s.Streams {
		var drops []string
		for r, n := range st.Dropped {
			drops = append(drops, fmt.Sprintf("%s %d", r, n))
		}
		sort.Strings(drops)
		fmt.Fprintf(w, "%-24s %8d %6d %8d %7.1f %9v  %s\n", st.Name, st.Received, st.Used, st.Missing, st.FPS,
			time.Duration(st.Delay).Round(time.Millisecond), strings.Join(drops, ", "))
	}
	for _, c := range s.Cameras {
		fmt.Fprintf(w, "camera %s (%s): clock %s, offset %v, sessions %d, gaps %d", c.Name, c.URL, c.Clock,
			time.Duration(c.OffsetNS).Round(time.Microsecond), c.RTSP.Sessions, c.RTSP.Gaps)
		for _, t := range c.RTSP.Tracks {
			fmt.Fprintf(w, "; %s %s %.1f fps %.0f kbit/s dropped %d provisional %d", t.Topic, t.Codec, t.FPS, t.Bitrate/1e3, t.DroppedFrames, t.Provisional)
			if t.DriftOK {
				fmt.Fprintf(w, " drift %+.2f ppm", t.DriftPPM)
			}
		}
		fmt.Fprintln(w)
		if c.Video != "" {
			fmt.Fprintf(w, "  video: %s\n", c.Video)
		}
	}
	if s.Replay != nil {
		fmt.Fprintf(w, "replayed %s: %d messages at %gx, host clock = log clock %+.3f s (max %v behind)\n", s.Replay.Log, s.Replay.Stats.Messages,
			s.Replay.Mapping.Speed, float64(s.Replay.Mapping.HostStart-s.Replay.Mapping.LogStart)/1e9, time.Duration(s.Replay.Stats.MaxBehind).Round(time.Millisecond))
	}
	for _, x := range s.Warnings {
		fmt.Fprintln(w, "warning:", x)
	}
	for _, p := range s.Problems {
		fmt.Fprintln(w, "problem:", p)
	}
}
