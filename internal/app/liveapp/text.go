package liveapp

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/rigsync/rigsync/internal/app/losses"
)

// WriteText writes the summary as "rigsync live" prints it: frames and
// latency, a table of the streams, the cameras, the replay (with the
// "lost:" section of its log reader's losses), warnings and problems.
func WriteText(w io.Writer, s *Summary) {
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
		losses.WriteText(w, s.Replay.Problems)
	}
	for _, x := range s.Warnings {
		fmt.Fprintln(w, "warning:", x)
	}
	for _, p := range s.Problems {
		fmt.Fprintln(w, "problem:", p)
	}
}
