package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/internal/app/syncapp"
	"github.com/rigsync/rigsync/internal/app/syncapp/syncplot"
	"github.com/rigsync/rigsync/sync/clock"
	"github.com/rigsync/rigsync/sync/match"
)

type syncOptions struct {
	Policy      string
	Reference   string
	Tolerance   time.Duration
	QueueSize   int
	MaxInterval time.Duration
	AgePenalty  float64
	LowerBounds []string
	Topics      []string
	Optional    []string
	OptTol      time.Duration
	Clocks      []string
	Latencies   []string
	Correct     string
	XCorr       []string
	Attach      []string
	Plot        string
	Phases      []string
}

func newSyncCommand(g *globalOptions) *cobra.Command {
	var o syncOptions
	c := &cobra.Command{
		Use:   "sync LOG.mcap",
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

Exit codes: 0 ok, 1 error reading the log, 2 usage error.`,
		Example: `  rigsync sync drive.mcap
  rigsync sync drive.mcap --policy reference --reference /lidar_top/points --tolerance 20ms
  rigsync sync drive.mcap --topics /cam_front/image_raw/compressed,/lidar_top/points --queue-size 4
  rigsync sync drive.mcap --lower-bound /lidar_top/points=90ms --json | jq '.sets | length'
  rigsync sync drive.mcap --clock cam_front=25ms --clock lidar_top=0s,80
  rigsync sync drive.mcap --attach /imu/data --xcorr /imu/data,/wheel_odom --plot out/drive`,
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
	return c
}

func parseNamed[T any](flag string, vals []string, parse func(string) (T, error)) (map[string]T, error) {
	out := map[string]T{}
	for _, v := range vals {
		name, val, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return nil, usageError{fmt.Errorf("--%s %q: want NAME=VALUE", flag, v)}
		}
		x, err := parse(val)
		if err != nil {
			return nil, usageError{fmt.Errorf("--%s %q: %w", flag, v, err)}
		}
		out[name] = x
	}
	return out, nil
}

func syncRunOptions(o syncOptions) (syncapp.Options, error) {
	ro := syncapp.Options{Topics: o.Topics, Policy: o.Policy, Reference: o.Reference, Tolerance: o.Tolerance,
		QueueSize: o.QueueSize, MaxInterval: o.MaxInterval, AgePenalty: o.AgePenalty, Correct: syncapp.Correction(o.Correct),
		Optional: o.Optional, OptionalTolerance: o.OptTol, Attach: o.Attach}
	switch o.Policy {
	case "exact", "approximate":
	case "reference":
		if o.Reference == "" {
			return ro, usageError{fmt.Errorf("--policy reference needs --reference TOPIC")}
		}
		if len(o.Topics) > 0 && !slices.Contains(o.Topics, o.Reference) {
			ro.Topics = append([]string{o.Reference}, o.Topics...)
		}
	default:
		return ro, usageError{fmt.Errorf("--policy %q: want exact, approximate or reference", o.Policy)}
	}
	switch ro.Correct {
	case syncapp.CorrectAuto, syncapp.CorrectDrift, syncapp.CorrectFull, syncapp.CorrectNone:
	default:
		return ro, usageError{fmt.Errorf("--correct %q: want auto, drift, full or none", o.Correct)}
	}
	if o.QueueSize < 0 {
		return ro, usageError{fmt.Errorf("--queue-size %d: want at least 1 (or 0 for automatic)", o.QueueSize)}
	}
	if len(o.Optional) > 0 && o.Policy != "approximate" {
		return ro, usageError{fmt.Errorf("--optional applies to --policy approximate only")}
	}
	if o.MaxInterval < 0 || o.Tolerance < 0 || o.OptTol < 0 {
		return ro, usageError{fmt.Errorf("--max-interval, --tolerance and --optional-tolerance must not be negative")}
	}
	if !(o.AgePenalty >= 0) {
		return ro, usageError{fmt.Errorf("--age-penalty %g: want ≥ 0", o.AgePenalty)}
	}
	parseDur := func(s string) (time.Duration, error) {
		d, err := time.ParseDuration(s)
		if err == nil && d < 0 {
			err = fmt.Errorf("negative duration")
		}
		return d, err
	}
	var err error
	if ro.LowerBounds, err = parseNamed("lower-bound", o.LowerBounds, parseDur); err != nil {
		return ro, err
	}
	if ro.Latency, err = parseNamed("latency", o.Latencies, parseDur); err != nil {
		return ro, err
	}
	if ro.Phase, err = parseNamed("phase", o.Phases, time.ParseDuration); err != nil {
		return ro, err
	}
	if len(ro.Phase) > 0 && o.Policy != "reference" {
		return ro, usageError{fmt.Errorf("--phase applies to --policy reference only")}
	}
	if ro.Clocks, err = parseNamed("clock", o.Clocks, clock.ParseModel); err != nil {
		return ro, err
	}
	for _, x := range o.XCorr {
		a, b, ok := strings.Cut(x, ",")
		if !ok || a == "" || b == "" || a == b {
			return ro, usageError{fmt.Errorf("--xcorr %q: want TOPIC_A,TOPIC_B (two different topics)", x)}
		}
		ro.XCorr = append(ro.XCorr, [2]string{a, b})
	}
	return ro, nil
}

func runSync(cmd *cobra.Command, g *globalOptions, o syncOptions, path string) error {
	ro, err := syncRunOptions(o)
	if err != nil {
		return err
	}
	prog := newProgress(g, "reading", -1)
	ro.Progress = func(n int64) { prog.Set(n) }
	lg, err := syncapp.Read(cmd.Context(), path, ro)
	prog.Finish()
	if _, ok := errors.AsType[*syncapp.TopicError](err); ok {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	if !g.JSON {
		rep, err := syncapp.Group(lg, ro)
		if err != nil {
			return err
		}
		printSync(g.stdout, rep)
		return writePlots(g, o.Plot, rep)
	}
	// JSON: stream the sets, then the report fields.
	w := bufio.NewWriter(g.stdout)
	var keys [][]byte
	n := 0
	for _, t := range append(slices.Clone(syncapp.GroupedTopics(lg, ro)), ro.Attach...) {
		k, _ := json.Marshal(t)
		keys = append(keys, k)
	}
	w.WriteString(`{"sets": [`)
	var buf []byte
	ro.OnSet = func(s *syncapp.Set) {
		buf = buf[:0]
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, "\n  {"...)
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = append(buf, k...)
			buf = append(buf, ": "...)
			switch {
			case i >= len(s.Stamps):
				buf = append(buf, '[')
				for j, st := range s.Attached[i-len(s.Stamps)] {
					if j > 0 {
						buf = append(buf, ", "...)
					}
					buf = strconv.AppendInt(buf, st, 10)
				}
				buf = append(buf, ']')
			case s.Present[i]:
				buf = strconv.AppendInt(buf, s.Stamps[i], 10)
			default:
				buf = append(buf, "null"...)
			}
		}
		buf = append(buf, '}')
		w.Write(buf)
		n++
	}
	rep, err := syncapp.Group(lg, ro)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	w.WriteString("\n],\n  ")
	w.Write(b[1:]) // the report's fields after "sets"
	w.WriteString("\n")
	if err := w.Flush(); err != nil {
		return err
	}
	return writePlots(g, o.Plot, rep)
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

func printSync(w io.Writer, rep *syncapp.Report) {
	ms := func(ns int64) string { return strconv.FormatFloat(float64(ns)/1e6, 'f', 3, 64) }
	fmt.Fprintf(w, "policy:  %s, queue size %d", rep.Policy, rep.QueueSize)
	if rep.Reference != "" {
		fmt.Fprintf(w, " (reference %s)", rep.Reference)
	}
	fmt.Fprintf(w, "\nsets:    %d, spread p50/p95/max %s / %s / %s ms\n\n", rep.Sets, ms(rep.Spread.P50), ms(rep.Spread.P95), ms(rep.Spread.Max))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tSENSOR\tMSGS\tUSED\tCOMPLETE\tRATE Hz\tREPAIR\tAPPLIED\tOFFSET ms\tDRIFT ppm ±1σ\tDELAY p50/p95 ms\tGAPS\tUNMATCHED")
	for _, t := range rep.Topics {
		var um []string
		for r, n := range t.Unmatched {
			um = append(um, fmt.Sprintf("%s %d", r, n))
		}
		slices.Sort(um)
		c := t.Clock
		off, drift, delay := "-", "-", "-"
		if c.Estimation == syncapp.EstimationDone {
			off, drift = ms(c.EstimatedOffsetNS), fmt.Sprintf("%.2f ± %.2f", c.EstimatedDriftPPM, c.DriftSigmaPPM)
			delay = ms(c.DelayP50) + " / " + ms(c.DelayP95)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f%%\t%.3f\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", t.Topic, orDash(t.Sensor), t.Messages, t.Used,
			100*t.Completeness, t.RateHz, c.Repair, c.Applied, off, drift, delay, len(t.Gaps), orDash(strings.Join(um, ", ")))
	}
	tw.Flush()
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	clockNote := func(topic, use string, c syncapp.ClockReport) {
		switch c.Estimation {
		case syncapp.EstimationImpossible:
			fmt.Fprintf(w, "clock: %s: cannot be estimated: %s; %s on its stamps as recorded (%s applied), in stamp order\n",
				topic, c.EstimationNote, use, c.Applied)
		case syncapp.EstimationSkipped:
			fmt.Fprintf(w, "clock: %s: not estimated (%s)\n", topic, c.EstimationNote)
		}
	}
	for _, t := range rep.Topics {
		clockNote(t.Topic, "grouped", t.Clock)
	}
	for _, a := range rep.Attached {
		clockNote(a.Topic, "attached", a.Clock)
	}
	for _, a := range rep.Attached {
		fmt.Fprintf(w, "attached: %s: %d messages in %d windows, %d empty, samples per window min/median/max %d/%d/%d\n",
			a.Topic, a.Messages, a.Windows, a.Empty, a.MinSamples, a.MedianSamples, a.MaxSamples)
	}
	for _, x := range rep.XCorr {
		fmt.Fprintf(w, "xcorr: %s is late by %s ± %s ms against %s (correlation %.3f)\n", x.B, ms(x.DelayNS), ms(x.SigmaNS), x.A, x.Peak)
	}
	for _, t := range rep.Topics {
		for _, j := range t.Clock.Jumps {
			fmt.Fprintf(w, "clock jump: %s: %s step of %s ms at log time %s s; corrected by shifting later stamps by %s ms\n",
				t.Topic, j.Kind, ms(j.Step), fmtNS(j.LogTime), ms(-j.Step))
		}
		for _, gp := range t.Gaps {
			fmt.Fprintf(w, "gap: %s: %d message(s) missing between %s and %s s\n", t.Topic, gp.Missing, fmtNS(gp.After), fmtNS(gp.Before))
		}
	}
}
