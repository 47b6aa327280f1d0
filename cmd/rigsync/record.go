package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/internal/app/recordapp"
)

func newRecordCommand(g *globalOptions) *cobra.Command {
	var o recordapp.Options
	c := &cobra.Command{
		Use:   "record rtsp://CAMERA [rtsp://CAMERA ...] -o OUT.mcap",
		Short: "Record live RTSP cameras into an MCAP log with capture timestamps",
		Long: `record connects to one or more RTSP cameras (MJPEG, H.264, H.265 video tracks)
and writes every frame into one MCAP file, until --duration has passed or you
press Ctrl-C (SIGINT) or send SIGTERM.

What is written, per camera NAME (from --name, or from the URL path):
  /NAME/image/compressed   foxglove.CompressedImage (MJPEG, format "jpeg")
  /NAME/video              foxglove.CompressedVideo (H.264/H.265 access units,
                           Annex B; every keyframe carries its SPS/PPS(/VPS))
  /rigsync/events          JSON: connected, reconnect, error, gap (an outage)
                           and provisional (frames without capture time)
  metadata "rigsync.record" at the end: cameras, URLs, gaps, provisional runs

Times (int64 ns, UNIX epoch):
  message timestamp and MCAP publish_time = capture time on the camera's
      clock ("sensor:NAME"), from the camera's RTCP sender reports (RFC 3550
      NTP), so cameras synced by NTP/PTP line up with each other and the rig
  MCAP log_time = when this host received the frame (clock "log")
  Frames that arrive before the camera's first sender report have no capture
  time yet: they are held (up to --hold-for-sr, default 11 s, which covers
  servers that send their first report 10 s into the stream; at most 128 MiB
  per camera) and stamped from the report when it comes. Frames still
  without one after that are written with the receive time as timestamp and
  listed as "provisional" events (or left out with --drop-provisional).

The file is written in chunks that are closed at least every --flush, so a
recording that is killed (even with SIGKILL, or a power cut with --sync)
loses only about the last --flush of frames; rigsync info/cat read such a
file. SIGINT and SIGTERM finish the file properly (summary and index).

While running it prints per camera: fps, bitrate, clock drift (ppm) and
offset against this host, gaps, dropped frames. On a terminal that is one
status line; otherwise a line every --status-every. At the end a summary
(--json: one JSON object). Credentials in URLs are never printed.

Exit codes: 0 recorded, 1 error (a camera could not be reached at start, the
file could not be written), 2 usage error, 3 finished but a camera delivered
no frames.`,
		Example: `  # two cameras for one minute
  rigsync record rtsp://10.0.0.11/stream1 rtsp://10.0.0.12/stream1 -o cams.mcap --duration 1m

  # named cameras over TCP, credentials in the URL (never printed)
  rigsync record rtsp://user:secret@10.0.0.11/live --name front -o front.mcap --transport tcp

  # record until Ctrl-C, then look at what was recorded
  rigsync record rtsp://cam.local:8554/cam -o cam.mcap && rigsync info cam.mcap

  # summary as JSON
  rigsync record rtsp://cam.local:8554/cam -o cam.mcap --duration 10s --json | jq '.cameras[].fps'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := minArgs(1)(cmd, args); err != nil {
				return err
			}
			return o.Check(args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRecord(cmd.Context(), g, o, args)
		},
	}
	f := c.Flags()
	f.StringVarP(&o.Out, "out", "o", "", "output MCAP file (required)")
	f.DurationVar(&o.Duration, "duration", 0, "stop after this long (e.g. 30s, 5m); 0 = until Ctrl-C/SIGTERM")
	f.StringVar(&o.Transport, "transport", "", "RTP transport: tcp, udp, or empty = try UDP then TCP")
	f.StringArrayVar(&o.Names, "name", nil, "camera name, once per URL in order (default: from the URL path)")
	f.StringVar(&o.Compression, "compression", "zstd", "chunk compression: zstd, lz4 or none")
	f.DurationVar(&o.Flush, "flush", time.Second, "close and write the open chunk at least this often (what a crash can lose)")
	f.BoolVar(&o.DropProvisional, "drop-provisional", false, "leave out frames received before the camera's first sender report")
	f.DurationVar(&o.HoldForSR, "hold-for-sr", 11*time.Second, "how long to hold a camera's first frames waiting for its first sender report (negative: never)")
	f.DurationVar(&o.StatusEvery, "status-every", 10*time.Second, "interval of status lines when stderr is not a terminal")
	f.BoolVar(&o.Sync, "sync", false, "fsync after every chunk (survives a power cut, costs disk flushes)")
	return c
}

func runRecord(ctx context.Context, g *globalOptions, o recordapp.Options, urls []string) error {
	if !g.Quiet {
		o.Log = g.stderr
	}
	if !g.Quiet && !g.JSON {
		o.Status, o.StatusTTY = g.stderr, g.stderrIsTerminal()
	}
	rep, err := recordapp.Run(ctx, o, urls)
	if err != nil {
		return err
	}
	if g.JSON {
		err = writeJSON(g.stdout, rep)
	} else {
		err = recordapp.WriteText(g.stdout, rep)
	}
	if err != nil {
		return err
	}
	if empty := rep.NoFrames(); len(empty) > 0 {
		fmt.Fprintf(g.stderr, "rigsync record: no frames from %s\n", strings.Join(empty, ", "))
		return problemsError{len(empty)}
	}
	return nil
}
