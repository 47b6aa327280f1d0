package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/formats/inspect"
	"github.com/rigsync/rigsync/internal/app/infoapp"
)

type infoOptions struct {
	Strict  bool
	MaxScan int64
}

func newInfoCommand(g *globalOptions) *cobra.Command {
	var o infoOptions
	c := &cobra.Command{
		Use:   "info LOG.mcap",
		Short: "Show what sensors a log holds and how healthy their timestamps are",
		Long: `info reads an MCAP log and reports, per channel: topic, type, encodings,
modality (camera, camera_info, lidar, radar, imu, tf, odometry, gnss, other),
frame id, message count, first/last log time and header stamp, rate,
inter-arrival jitter (p50/p99), gaps longer than 3 nominal periods, header
stamp minus log time (median/p99) and stamp anomalies (going backwards,
duplicates, a stamp clock that does not tick like the log clock — e.g. a
seconds field that counts milliseconds). Then the TF tree, the camera
calibrations, and a list of problems.

Times: "log" is the recorder clock (MCAP log_time); header stamps are on the
sensor's clock ("sensor:<frame_id>").

Counts come from the summary when it is complete. Logs up to --max-scan
bytes are read in full; larger ones are analysed from the message index
(every log time, no chunk decompressed) plus sampled windows for header
stamps, so a multi-GB log answers in about a second. Of images, clouds and
other bulk messages only the header stamp and frame id are read, never the
payload (transforms, calibrations and each channel's first message are
decoded), so reading costs about what decompressing the chunks costs, in
every encoding; decode errors of bulk messages are found as far as their
stamp and frame id.

--json prints one object with a stable schema (see the README).

Exit codes: 0 ok (problems are reported but do not fail the command unless
--strict), 1 error reading the log, 2 usage error, 3 problems found with --strict.`,
		Example: `  rigsync info drive.mcap
  rigsync info drive.mcap --json | jq '.channels[] | {topic, rate_hz}'
  rigsync info drive.mcap --strict && echo "log is healthy"`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInfo(cmd, g, o, args[0])
		},
	}
	c.Flags().BoolVar(&o.Strict, "strict", false, "exit with code 3 when any problem is found")
	c.Flags().Int64Var(&o.MaxScan, "max-scan", inspect.DefaultMaxScanBytes, "read every message of logs up to this many bytes (-1: always)")
	return c
}

// runInfo inspects the log at path and prints its report (also when
// --strict fails the run on problems).
func runInfo(cmd *cobra.Command, g *globalOptions, o infoOptions, path string) error {
	rep, err := infoapp.Run(cmd.Context(), infoapp.Options{Strict: o.Strict, MaxScan: o.MaxScan,
		Progress: func(stage, unit string, total int64) infoapp.Progress { return newUnitProgress(g, stage, unit, total) }}, path)
	if rep == nil {
		return err
	}
	if g.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printInfo(g.stdout, rep)
	}
	return err
}

func fmtNS(ns int64) string { return fmt.Sprintf("%.3f", float64(ns)/1e9) }

func printInfo(w io.Writer, rep *inspect.Report) {
	fmt.Fprintf(w, "file:      %s (%s)\n", rep.File, humanBytes(rep.SizeBytes))
	fmt.Fprintf(w, "profile:   %s   library: %s\n", orDash(rep.Profile), orDash(rep.Library))
	fmt.Fprintf(w, "messages:  %d in %d channels, %s (log time %s … %s s)\n", rep.MessageCount, len(rep.Channels),
		time.Duration(rep.DurationSec*1e9).Round(time.Millisecond), fmtNS(rep.StartLogTime), fmtNS(rep.EndLogTime))
	fmt.Fprintf(w, "summary:   complete=%v, analysis=%s\n\n", rep.SummaryComplete, rep.Mode)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tTYPE\tENC\tMODALITY\tFRAME\tCOUNT\tRATE Hz\tJITTER p50/p99 ms\tGAPS\tSTAMP−LOG med/p99 ms\tANOMALIES")
	for _, c := range rep.Channels {
		stamp := "-"
		if c.StampMinusLogMedianMs != nil {
			stamp = fmt.Sprintf("%.2f / %.2f", *c.StampMinusLogMedianMs, *c.StampMinusLogP99Ms)
		}
		var an []string
		if c.StampsBackwards > 0 {
			an = append(an, fmt.Sprintf("%d backwards", c.StampsBackwards))
		}
		if c.StampsDuplicated > 0 {
			an = append(an, fmt.Sprintf("%d dup", c.StampsDuplicated))
		}
		if c.StampUnit != "" {
			an = append(an, "unit: "+c.StampUnit)
		}
		if c.DecodeError != "" {
			an = append(an, "undecodable")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%.2f\t%.2f / %.2f\t%d\t%s\t%s\n",
			c.Topic, orDash(c.Type), c.MessageEncoding, c.Modality, orDash(c.FrameID), c.MessageCount,
			c.RateHz, c.JitterP50Ms, c.JitterP99Ms, len(c.Gaps), stamp, orDash(strings.Join(an, ", ")))
	}
	tw.Flush()

	if len(rep.TF) > 0 {
		fmt.Fprintln(w, "\nTF tree (T_parent_child; rotation quaternion w,x,y,z):")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, e := range rep.TF {
			kind := "dynamic"
			if e.Static {
				kind = "static"
			}
			fmt.Fprintf(tw, "  %s → %s\t%s\t%s\tt=[%.3f %.3f %.3f]\tq=[%.4f %.4f %.4f %.4f]\n", e.Parent, e.Child, kind, e.Topic,
				e.Translation[0], e.Translation[1], e.Translation[2], e.RotationWXYZ[0], e.RotationWXYZ[1], e.RotationWXYZ[2], e.RotationWXYZ[3])
		}
		tw.Flush()
	}
	if len(rep.Cameras) > 0 {
		fmt.Fprintln(w, "\nCamera calibrations:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, c := range rep.Cameras {
			fmt.Fprintf(tw, "  %s\t%s\t%dx%d\t%s\tfx=%.1f fy=%.1f cx=%.1f cy=%.1f\n", c.Topic, orDash(c.FrameID), c.Width, c.Height,
				orDash(c.DistortionModel), c.K[0], c.K[4], c.K[2], c.K[5])
		}
		tw.Flush()
	}
	errs, warns := rep.ProblemsBySeverity()
	if len(rep.Problems) == 0 {
		fmt.Fprintln(w, "\nNo problems found.")
		return
	}
	fmt.Fprintf(w, "\nProblems: %d error(s), %d warning(s)\n", errs, warns)
	for _, p := range rep.Problems {
		topic := ""
		if p.Topic != "" {
			topic = p.Topic + ": "
		}
		fmt.Fprintf(w, "  %-7s [%s] %s%s\n", p.Severity, p.Kind, topic, p.Message)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
