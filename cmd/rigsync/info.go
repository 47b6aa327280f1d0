package main

import (
	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/formats/inspect"
	"github.com/rigsync/rigsync/internal/app/infoapp"
)

func newInfoCommand(g *globalOptions) *cobra.Command {
	var o infoapp.Options
	c := &cobra.Command{
		Use:   "info LOG",
		Short: "Show what sensors a log holds and how healthy their timestamps are",
		Long: `info reads a log (MCAP, ROS 1 bag, rosbag2) and reports, per channel: topic, type, encodings,
modality (camera, camera_info, lidar, radar, imu, tf, odometry, gnss, other),
frame id, message count, first/last log time and header stamp, rate,
inter-arrival jitter (p50/p99), gaps longer than 3 nominal periods, header
stamp minus log time (median/p99) and stamp anomalies (going backwards,
duplicates, a stamp clock that does not tick like the log clock — e.g. a
seconds field that counts milliseconds). Then the TF tree, the camera
calibrations, and a list of problems.

Times: "log" is the recorder clock (MCAP log_time); header stamps are on the
sensor's clock ("sensor:<frame_id>").

Counts come from the summary when it is complete. MCAP logs whose chunks
hold up to --max-scan bytes once decompressed (64 MiB by default: about a
4 s urban fixture drive, 2 s of its MCAP fused by rigsync) are read in full; larger ones
are analysed from the message index (every log time, no chunk
decompressed) plus sampled windows for header stamps (1% of the log at
its start, middle and end, at least 2 s or a twentieth of the log each),
so info takes well under 1 s per GB. Use --max-scan -1 to read every
stamp of a large log (e.g. to count every stamp that goes backwards): it
costs what decompressing every chunk costs, 2–3 s per GB of a zstd log. Of images, clouds and
other bulk messages only the header stamp and frame id are read, never the
payload (transforms, calibrations and each channel's first message are
decoded), so reading costs about what decompressing the chunks costs, in
every encoding; decode errors of bulk messages are found as far as their
stamp and frame id. A bag has no MCAP summary, chunk index, profile or
library: it is always read in full, its report has "format" ("ros1-bag",
"rosbag2") and says in "not_applicable" which fields stay empty, and
"index_counts" compares each topic's count in the bag's index with the
count read (they differ when messages were lost).

--json prints one object with a stable schema (see the README).

Exit codes: 0 ok (problems are reported but do not fail the command unless
--strict), 1 error reading the log, 2 usage error, 3 problems found with --strict.

` + selectionHelp + ` In info, a selection reports only those topics
and times, read in full ("selected_topics", "selected_start_ns",
"selected_end_ns" in --json).

` + logsHelp,
		Example: `  rigsync info drive.mcap
  rigsync info drive.mcap --json | jq '.channels[] | {topic, rate_hz}'
  rigsync info drive.mcap --strict && echo "log is healthy"
  rigsync info drive.bag --start +10s --end +20s --sensors lidar_top`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInfo(cmd, g, o, args[0])
		},
	}
	c.Flags().BoolVar(&o.Strict, "strict", false, "exit with code 3 when any problem is found")
	c.Flags().Int64Var(&o.MaxScan, "max-scan", inspect.DefaultMaxScanBytes, "read every message of logs whose chunks hold up to this many bytes decompressed (-1: always)")
	addSelectionFlags(c.Flags(), &o.Window.Start, &o.Window.End, &o.Sensors.Sensors, &o.Sensors.Exclude)
	return c
}

// runInfo inspects the log at path and prints its report (also when
// --strict fails the run on problems).
func runInfo(cmd *cobra.Command, g *globalOptions, o infoapp.Options, path string) error {
	o.Progress = func(stage, unit string, total int64) infoapp.Progress { return newUnitProgress(g, stage, unit, total) }
	rep, err := infoapp.Run(cmd.Context(), o, path)
	if rep == nil {
		return err
	}
	if g.JSON {
		if err := writeJSON(g.stdout, rep); err != nil {
			return err
		}
	} else {
		infoapp.WriteText(g.stdout, rep)
	}
	return err
}
