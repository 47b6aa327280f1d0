package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/internal/app/losses"
	"github.com/rigsync/rigsync/internal/app/syncapp"
	"github.com/rigsync/rigsync/internal/app/syncapp/syncplot"
	"github.com/rigsync/rigsync/sync/match"
)

func newSyncCommand(g *globalOptions) *cobra.Command {
	var o syncapp.Flags
	c := &cobra.Command{
		Use:   "sync LOG",
		Short: "Correct sensor clocks and group messages into synchronized sets",
		Long: `sync puts the header stamps of a log's sensors on one time base and groups
them into sets, then reports how good the alignment is.

Clocks. For every channel with header stamps, sync detects and repairs unit
errors (a seconds field that counts milliseconds), counter wrap-around and
clock jumps, then estimates the clock against the log clock with a robust
one-way method (the lower envelope of log time vs stamp, immune to queueing
delays). --correct chooses what is applied:
  auto   (default) full for a clock on another epoch (more than 1 s away from
         the log clock), drift when the drift is significant (> 3σ), else
         repairs only
  drift  remove the estimated drift only
  full   map stamps onto log time minus the minimum delay (minus --latency):
         removes offsets, but a one-way estimate cannot tell a clock offset
         from a constant transport latency, so give --latency when known
  none   repairs only
--clock NAME=OFFSET[,PPM] gives a known model instead (NAME is a topic or a
sensor frame id; the sensor clock reads t + OFFSET + PPM·1e-6·t). With a
given model or --correct none nothing is estimated (report: "estimation":
"skipped"). A channel whose clock cannot be estimated - fewer than 3
messages, or log times that are not capture times (a converter that wrote
everything in a burst, log times in another order than the stamps) - is
reported as such ("estimation": "impossible" and why; a "clock:" line) and
grouped on its stamps as recorded, taken in stamp order, without repairs.
A log with fewer than 2 stamped topics gives no sets (and a note), not an
error.

Grouping uses the corrected header stamps, never the log time:
  approximate  ROS message_filters ApproximateTime, exactly: minimal-spread
               sets, --queue-size, --max-interval, --age-penalty,
               --lower-bound TOPIC=D (lets a set out before the next message);
               --optional topics never block output: they join a set when
               within --optional-tolerance of its centre
  exact        identical stamps (message_filters ExactTime)
  reference    one set per --reference message with the nearest message of
               every other topic within --tolerance (default half the
               reference period) of its expected --phase TOPIC=D (default 0;
               e.g. a camera triggered 15 ms after the LiDAR stamp), or an
               explicit missing entry
High-rate streams are not grouped but attached: --attach TOPIC gives every
set the TOPIC messages stamped since the previous set (up to the set's
reference stamp, or its latest member's).
--xcorr A,B measures the delay of topic B's motion against topic A's (IMU
gyro vs another IMU or vs odometry) by cross-correlating their angular rates
about their most active axes, with sub-sample refinement and a 1-σ
uncertainty from 4 blocks; it needs rotation that varies.

Every message that ends up in no set is counted with its reason
(queue_overflow, max_interval, pivot_dropped, superseded, outside_window,
duplicate, out_of_order, duplicate_stamp, end_of_input, single_topic).

Durations take Go syntax: 100ns, 15ms, 1.5s.

The report: sets emitted, per topic the completeness, rate, unmatched
messages by reason, the clock found and applied, and gaps; the residual
spread of the sets (p50/p95/max). --json prints one object: "sets" lists
every set in emission order as {"TOPIC": corrected stamp in ns, ...}
(null for a missing member; an --attach topic maps to the array of its
stamps in the set's window), followed by the report fields.

--plot PREFIX writes PREFIX-timeline.png (every sensor's messages on the
corrected time base, gaps in red) and PREFIX-residuals.png (histogram of the
set spreads).

What the log reader could not read (a truncated file, a chunk whose CRC or
compressed bytes are bad, repeated messages skipped) is listed in a "lost:"
section naming the file, the byte offset and the topic where known
(--json: "problems", as in info, fuse and calib check; "reader_warnings"
has the same as plain lines). --strict makes a run with any such problem
exit 3 (after printing the report).

Exit codes: 0 ok, 1 error reading the log, 2 usage error, 3 a problem
reading the log, with --strict.

` + selectionHelp + `

` + logsHelp,
		Example: `  rigsync sync drive.mcap
  rigsync sync drive.mcap --policy reference --reference /lidar_top/points --tolerance 20ms
  rigsync sync drive.mcap --topics /cam_front/image_raw/compressed,/lidar_top/points --queue-size 4
  rigsync sync drive.mcap --lower-bound /lidar_top/points=90ms --json | jq '.sets | length'
  rigsync sync drive.mcap --clock cam_front=25ms --clock lidar_top=0s,80
  rigsync sync drive.mcap --attach /imu/data --xcorr /imu/data,/wheel_odom --plot out/drive
  rigsync sync drive.bag --start +10s --end +20s --exclude radar_front`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSync(cmd, g, o, args[0])
		},
	}
	f := c.Flags()
	f.StringVar(&o.Policy, "policy", "approximate", "grouping policy: exact, approximate or reference")
	f.StringVar(&o.Reference, "reference", "", "reference topic (policy reference)")
	f.DurationVar(&o.Tolerance, "tolerance", 0, "reference policy: largest |Δt − phase| to the reference (0: half its period)")
	f.StringArrayVar(&o.Phases, "phase", nil, "reference policy: TOPIC=D, expected stamp of TOPIC minus the reference's (repeatable)")
	f.IntVar(&o.QueueSize, "queue-size", 0, "messages per topic waiting for a set (0: 2× the fastest/slowest rate ratio + 2, at least 10; every message when a clock cannot be estimated)")
	f.DurationVar(&o.MaxInterval, "max-interval", 0, "approximate: largest span of a set (0: unlimited)")
	f.Float64Var(&o.AgePenalty, "age-penalty", match.DefaultAgePenalty, "approximate: age penalty")
	f.StringArrayVar(&o.LowerBounds, "lower-bound", nil, "approximate: TOPIC=D, minimum interval between the topic's stamps (repeatable)")
	f.StringSliceVar(&o.Topics, "topics", nil, "topics to group (default: every channel with header stamps)")
	f.StringSliceVar(&o.Optional, "optional", nil, "approximate: topics that never block output (null when absent from a set)")
	f.DurationVar(&o.OptTol, "optional-tolerance", 0, "approximate: largest |Δt| of an optional member to its set's centre (0: half its period)")
	f.StringArrayVar(&o.Clocks, "clock", nil, "NAME=OFFSET[,PPM]: a known clock model for a topic or sensor (repeatable)")
	f.StringArrayVar(&o.Latencies, "latency", nil, "NAME=D: known transport latency of a topic or sensor (repeatable)")
	f.StringVar(&o.Correct, "correct", "auto", "apply estimated clocks: auto, drift, full or none")
	f.StringVar(&o.Plot, "plot", "", "write PREFIX-timeline.png (messages per sensor, gaps marked) and PREFIX-residuals.png (set spread histogram)")
	f.StringSliceVar(&o.Attach, "attach", nil, "high-rate topics (IMU) attached to each set as the window since the previous set")
	f.StringArrayVar(&o.XCorr, "xcorr", nil, "A,B: delay of IMU/odometry topic B's motion against A's by cross-correlating angular rates (repeatable)")
	f.BoolVar(&o.Strict, "strict", false, "exit with code 3 when the log reader lost anything (a truncated or damaged log; the report is still printed)")
	addSelectionFlags(f, &o.Start, &o.End, &o.Sensors, &o.Exclude)
	return c
}

func runSync(cmd *cobra.Command, g *globalOptions, o syncapp.Flags, path string) error {
	ro, err := o.Options()
	if err != nil {
		return err
	}
	prog := newProgress(g, "reading", -1)
	ro.Progress = func(n int64) { prog.Set(n) }
	lg, err := syncapp.Read(cmd.Context(), path, ro)
	prog.Finish()
	if err != nil {
		return err
	}
	var rep *syncapp.Report
	if g.JSON {
		// The sets are streamed, then the report fields.
		rep, err = syncapp.WriteJSON(g.stdout, lg, ro)
	} else if rep, err = syncapp.Group(lg, ro); err == nil {
		syncapp.WriteText(g.stdout, rep)
	}
	if err != nil {
		return err
	}
	if err := writePlots(g, o.Plot, rep); err != nil {
		return err
	}
	return losses.Strict(o.Strict, rep.Problems)
}

func writePlots(g *globalOptions, prefix string, rep *syncapp.Report) error {
	if prefix == "" {
		return nil
	}
	// "--plot out/drive" creates out/; each picture appears whole or not at all.
	if err := os.MkdirAll(filepath.Dir(prefix), 0o755); err != nil {
		return fmt.Errorf("--plot %s: %w", prefix, err)
	}
	if err := syncplot.Write(prefix, rep); err != nil {
		return err
	}
	if !g.Quiet && !g.JSON {
		fmt.Fprintf(g.stderr, "wrote %s-timeline.png and %s-residuals.png\n", prefix, prefix)
	}
	return nil
}
