package recordapp

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rigsync/rigsync/formats/liverec"
)

// WriteText writes the report as "rigsync record" prints it: the file's
// size, a table of the cameras, their gaps and the write latencies.
func WriteText(w io.Writer, r *Report) error {
	s := r.Summary
	fmt.Fprintf(w, "%s: %d messages in %d chunks, %.1f MB, %s\n", r.File, s.Messages, s.Chunks,
		float64(s.FileBytes)/1e6, hms(s.Seconds))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
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
			fmt.Fprintf(w, "gap: %s %.3f s from %s\n", c.Name, gp.Seconds, time.Unix(0, gp.StartNs).UTC().Format(time.RFC3339Nano))
		}
	}
	fmt.Fprintf(w, "latency receive→written p50 %.1f ms p99 %.1f ms; capture→written p50 %.1f ms p99 %.1f ms (includes the camera−host clock offset)\n",
		s.WriteLatencyP50Ms, s.WriteLatencyP99Ms, s.CaptureLatencyP50Ms, s.CaptureLatencyP99Ms)
	return nil
}

// statusWriter shows the running state: one rewritten line on a
// terminal, a line per camera every interval otherwise, nothing without a
// writer.
type statusWriter struct {
	w        io.Writer
	tty      bool
	every    time.Duration
	last     time.Time
	wroteTTY bool
}

func (p *statusWriter) update(s liverec.Summary) {
	if p.w == nil {
		return
	}
	if p.tty {
		var parts []string
		for _, c := range s.Cameras {
			parts = append(parts, cameraStatus(c, true))
		}
		fmt.Fprintf(p.w, "\r\033[K%s %s", hms(s.Seconds), strings.Join(parts, " | "))
		p.wroteTTY = true
		return
	}
	if time.Since(p.last) < p.every {
		return
	}
	p.last = time.Now()
	for _, c := range s.Cameras {
		fmt.Fprintf(p.w, "rigsync record: %s %s\n", hms(s.Seconds), cameraStatus(c, false))
	}
}

// finish clears the terminal's status line.
func (p *statusWriter) finish() {
	if p.wroteTTY {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// hms is s seconds as HH:MM:SS.
func hms(s float64) string {
	d := time.Duration(s * float64(time.Second)).Round(time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}

// cameraStatus is a camera's status: short for the terminal line, else
// the full form of the status lines.
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
