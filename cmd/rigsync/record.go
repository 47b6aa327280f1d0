package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rigsync/rigsync/formats/liverec"
	"github.com/rigsync/rigsync/formats/mcapwrite"
	"github.com/rigsync/rigsync/formats/rtsp"
)

type recordOptions struct {
	Out             string
	Duration        time.Duration
	Transport       string
	Names           []string
	Compression     string
	Flush           time.Duration
	DropProvisional bool
	HoldForSR       time.Duration
	StatusEvery     time.Duration
	Sync            bool
}

func newRecordCommand(g *globalOptions) *cobra.Command {
	var o recordOptions
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
			return checkRecordArgs(&o, args)
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

// checkRecordArgs validates what can be checked before connecting.
func checkRecordArgs(o *recordOptions, urls []string) error {
	bad := func(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }
	if o.Out == "" {
		return bad("record: -o OUT.mcap is required")
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, "rtsp://") && !strings.HasPrefix(u, "rtsps://") {
			return bad("record: %s is not an rtsp:// or rtsps:// URL", rtsp.Redact(u))
		}
	}
	if len(o.Names) > 0 && len(o.Names) != len(urls) {
		return bad("record: %d --name for %d URLs: give one per URL, in order, or none", len(o.Names), len(urls))
	}
	seen := map[string]bool{}
	for _, n := range o.Names {
		if n == "" || strings.ContainsAny(n, "/ \t") {
			return bad("record: --name %q: use a non-empty name without '/' or spaces", n)
		}
		if seen[n] {
			return bad("record: --name %q given twice", n)
		}
		seen[n] = true
	}
	switch o.Transport {
	case "", "tcp", "udp":
	default:
		return bad("record: --transport %q: want tcp, udp or empty (auto)", o.Transport)
	}
	switch o.Compression {
	case "zstd", "lz4", "none":
	default:
		return bad("record: --compression %q: want zstd, lz4 or none", o.Compression)
	}
	if o.Duration < 0 || o.Flush <= 0 || o.StatusEvery <= 0 {
		return bad("record: --duration must be ≥ 0, --flush and --status-every > 0")
	}
	return nil
}

func runRecord(ctx context.Context, g *globalOptions, o recordOptions, urls []string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	logf := func(format string, a ...any) {
		if !g.Quiet {
			fmt.Fprintf(g.stderr, "rigsync record: "+format+"\n", a...)
		}
	}

	// Connect every camera first: a wrong URL fails before a file exists.
	var sources []liverec.Source
	closeAll := func() {
		for _, s := range sources {
			s.Close()
		}
	}
	for i, u := range urls {
		cfg := rtsp.Config{URL: u, Transport: o.Transport, HoldForSR: o.HoldForSR}
		if len(o.Names) > 0 {
			cfg.Name = o.Names[i]
		}
		cl, err := rtsp.Dial(ctx, cfg)
		if err != nil {
			closeAll()
			return fmt.Errorf("record: %w", err)
		}
		sources = append(sources, cl)
		logf("connected to %s as %s", rtsp.Redact(u), cl.Name())
	}
	seen := map[string]string{}
	for i, s := range sources {
		if prev, ok := seen[s.Name()]; ok {
			closeAll()
			return usageError{fmt.Errorf("record: %s and %s both get the camera name %q: use --name", prev, rtsp.Redact(urls[i]), s.Name())}
		}
		seen[s.Name()] = rtsp.Redact(urls[i])
	}

	w, err := mcapwrite.Create(o.Out, mcapwrite.Options{Compression: o.Compression, FlushEvery: o.Flush,
		Library: "rigsync record", Sync: o.Sync})
	if err != nil {
		closeAll()
		return fmt.Errorf("record: %w", err)
	}
	st := newStatusPrinter(g, o.StatusEvery)
	sess, err := liverec.New(mcapwrite.NewRecorder(w), sources, liverec.Options{
		DropProvisional: o.DropProvisional, Status: st.update})
	if err != nil {
		closeAll()
		w.Close()
		return fmt.Errorf("record: %w", err)
	}
	sum, runErr := sess.Run(ctx)
	st.finish()
	closeErr := w.Close()
	ws := w.Stats() // after the last chunk and the summary
	sum.Messages, sum.Chunks, sum.FileBytes = ws.Messages, ws.Chunks, ws.Bytes
	if err := errors.Join(runErr, closeErr); err != nil {
		return fmt.Errorf("record: %s: %w", o.Out, err)
	}
	if err := printRecordSummary(g, o.Out, sum); err != nil {
		return err
	}
	var empty []string
	for _, c := range sum.Cameras {
		if c.Frames == 0 {
			empty = append(empty, c.Name)
		}
	}
	if len(empty) > 0 {
		fmt.Fprintf(g.stderr, "rigsync record: no frames from %s\n", strings.Join(empty, ", "))
		return problemsError{len(empty)}
	}
	return nil
}

// statusPrinter shows the running state: one rewritten line on a terminal,
// a line per camera every interval otherwise, nothing with --quiet/--json.
type statusPrinter struct {
	w        io.Writer
	tty      bool
	off      bool
	every    time.Duration
	last     time.Time
	wroteTTY bool
}

func newStatusPrinter(g *globalOptions, every time.Duration) *statusPrinter {
	p := &statusPrinter{w: g.stderr, every: every, off: g.Quiet || g.JSON, last: time.Now()}
	if f, ok := g.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

func (p *statusPrinter) update(s liverec.Summary) {
	if p.off {
		return
	}
	if p.tty {
		var parts []string
		for _, c := range s.Cameras {
			parts = append(parts, cameraStatus(c, true))
		}
		fmt.Fprintf(p.w, "\r\033[K%s %s", fmtDuration(s.Seconds), strings.Join(parts, " | "))
		p.wroteTTY = true
		return
	}
	if time.Since(p.last) < p.every {
		return
	}
	p.last = time.Now()
	for _, c := range s.Cameras {
		fmt.Fprintf(p.w, "rigsync record: %s %s\n", fmtDuration(s.Seconds), cameraStatus(c, false))
	}
}

func (p *statusPrinter) finish() {
	if p.wroteTTY {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func fmtDuration(s float64) string {
	d := time.Duration(s * float64(time.Second)).Round(time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}

func cameraStatus(c liverec.CameraSummary, short bool) string {
	drift := "drift ?"
	if c.DriftPPM != nil {
		drift = fmt.Sprintf("drift %+.1f ppm offset %+.1f ms", *c.DriftPPM, *c.OffsetMs)
		if short {
			drift = fmt.Sprintf("%+.1f ppm", *c.DriftPPM)
		}
	}
	state := ""
	if !c.Connected {
		state = " DISCONNECTED"
	}
	if short {
		return fmt.Sprintf("%s %.1f fps %.1f Mb/s %s gaps %d%s", c.Name, c.FPS, c.BitrateBps/1e6, drift, len(c.Gaps), state)
	}
	return fmt.Sprintf("%s: %d frames, %.1f fps, %.2f Mbit/s, %s, gaps %d, dropped %d, provisional %d%s",
		c.Name, c.Frames, c.FPS, c.BitrateBps/1e6, drift, len(c.Gaps), c.DroppedFrames, c.Provisional+c.ProvisionalDropped, state)
}

// recordReport is the --json summary.
type recordReport struct {
	File string `json:"file"`
	liverec.Summary
}

func printRecordSummary(g *globalOptions, out string, s liverec.Summary) error {
	if g.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(recordReport{File: out, Summary: s})
	}
	fmt.Fprintf(g.stdout, "%s: %d messages in %d chunks, %.1f MB, %s\n", out, s.Messages, s.Chunks,
		float64(s.FileBytes)/1e6, fmtDuration(s.Seconds))
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CAMERA\tFRAMES\tFPS\tMBIT/S\tDRIFT PPM\tOFFSET MS\tGAPS\tRECONNECTS\tDROPPED\tPROVISIONAL\tURL")
	for _, c := range s.Cameras {
		drift, off := "-", "-"
		if c.DriftPPM != nil {
			drift, off = fmt.Sprintf("%+.1f", *c.DriftPPM), fmt.Sprintf("%+.1f", *c.OffsetMs)
		}
		fps := 0.0
		if s.Seconds > 0 {
			fps = float64(c.Frames) / s.Seconds
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.2f\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", c.Name, c.Frames, fps,
			float64(c.Bytes)*8/1e6/max(s.Seconds, 1e-9), drift, off, len(c.Gaps), c.Reconnects, c.DroppedFrames,
			c.Provisional+c.ProvisionalDropped, c.URL)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range s.Cameras {
		for _, gp := range c.Gaps {
			fmt.Fprintf(g.stdout, "gap: %s %.3f s from %s\n", c.Name, gp.Seconds, time.Unix(0, gp.StartNs).UTC().Format(time.RFC3339Nano))
		}
	}
	fmt.Fprintf(g.stdout, "latency receive→written p50 %.1f ms p99 %.1f ms; capture→written p50 %.1f ms p99 %.1f ms (includes the camera−host clock offset)\n",
		s.WriteLatencyP50Ms, s.WriteLatencyP99Ms, s.CaptureLatencyP50Ms, s.CaptureLatencyP99Ms)
	return nil
}
