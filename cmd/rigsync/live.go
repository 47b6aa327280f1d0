package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/fusion/live"
	"github.com/rigsync/rigsync/internal/app/liveapp"
	"github.com/rigsync/rigsync/internal/app/losses"
)

func newLiveCommand(g *globalOptions) *cobra.Command {
	var o liveapp.Options
	var strict bool
	c := &cobra.Command{
		Use:   "live --rig rig.yaml|FILE,... [NAME=]rtsp://... [...] [--with LOG] -o OUT",
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

What the --with log's reader lost (a cut file, a damaged chunk) is printed
in a "lost:" section after the replay line; --json has it as
"replay.problems" (objects with severity, kind, file, offset, topic,
message, as every reading command's "problems"; [] for a sound log). The
top-level "problems" stay the run's own problems (strings).

Exit codes: 0 ok, 1 error, 2 usage error, 3 problems (a stream delivered
nothing, or no frame was written; with --strict also any loss of the
--with log's reader).

--with takes any log: ` + logsHelp[len("Logs: LOG is "):],
		Example: `  rigsync live --rig rig.yaml rtsp://10.0.0.21/cam/front -o live/ --duration 30s
  rigsync live --rig camchain.yaml,sensor_kit_calibration.yaml --map cam0=cam_front cam_front=rtsp://10.0.0.21/s1 -o live/
  rigsync live --rig rig.yaml cam_front=rtsp://user:pass@10.0.0.21/stream1 \
      --with drive.mcap --max-latency 300ms -o live/
  rigsync live --rig rig.yaml rtsp://cam-left/main rtsp://cam-right/main --reference cam_left --json -o live/`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runLive(cmd.Context(), g, o, args, strict) },
	}
	f := c.Flags()
	f.BoolVar(&strict, "strict", false, "exit with code 3 when the --with log's reader lost anything (a truncated or damaged log; the run still completes)")
	f.StringArrayVar(&o.Rig, "rig", nil, "rig.yaml with the cameras' intrinsics and every sensor's extrinsic (required), or calibration files of any format rigsync reads (repeatable, or comma-separated, merged)")
	f.StringArrayVar(&o.Map, "map", nil, "FILE_FRAME=SENSOR: the sensor name a frame of the --rig files is (repeatable, or comma-separated)")
	f.StringVar(&o.With, "with", "", "a log (MCAP, ROS 1 bag or rosbag2) replayed at real time as extra live streams")
	f.Float64Var(&o.Speed, "speed", 1, "replay speed factor of --with")
	f.StringVarP(&o.Out, "output", "o", "", "output folder (frames layout)")
	f.DurationVar(&o.Duration, "duration", 0, "stop after this long (0: at the end of --with, or on Ctrl-C)")
	f.DurationVar(&o.MaxLatency, "max-latency", live.DefaultMaxLatency, "write every frame at most this long after its time")
	f.DurationVar(&o.Tolerance, "tolerance", live.DefaultTolerance, "how far from the frame time a stream's message may be")
	f.StringVar(&o.Reference, "reference", "", "stream that makes frames: a sensor name or topic (default: first LiDAR, else first camera)")
	f.StringVar(&o.Transport, "transport", "", "RTSP transport: tcp, udp or empty (auto: UDP, then TCP)")
	f.StringVar(&o.CameraClock, "camera-clock", live.ClockAuto, "camera stamps: sender, host or auto (see above)")
	f.StringArrayVar(&o.Lateness, "lateness", nil, "NAME=D: stream NAME (sensor or topic) always arrives within D of its stamp, so frames need not wait for its next message (repeatable)")
	f.BoolVar(&o.ScaleIntrinsics, "scale-intrinsics", false, "scale rig.yaml intrinsics calibrated at another image size to the images (default: a size mismatch is an error)")
	f.BoolVar(&o.NoProject, "no-project", false, "do not project LiDAR points into the cameras")
	f.BoolVar(&o.Force, "force", false, "write into a non-empty output folder")
	return c
}

func runLive(ctx context.Context, g *globalOptions, o liveapp.Options, args []string, strict bool) error {
	st := liveapp.NewStatusWriter(g.stderr, g.stderrIsTerminal())
	defer st.Finish()
	o.Cameras = args
	if !g.Quiet && !g.JSON {
		o.Println = st.Println
		o.Status = st.Show
	}
	sum, err := liveapp.Run(ctx, o)
	if err != nil {
		return err
	}
	if g.JSON {
		if err := writeJSON(g.stdout, sum); err != nil {
			return err
		}
	} else {
		liveapp.WriteText(g.stdout, sum)
	}
	if len(sum.Problems) > 0 {
		return problemsError{len(sum.Problems)}
	}
	if sum.Replay != nil {
		return losses.Strict(strict, sum.Replay.Problems)
	}
	return nil
}
