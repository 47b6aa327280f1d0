package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/fusion/fleet"
	"github.com/rigsync/rigsync/fusion/writers"
	"github.com/rigsync/rigsync/fusion/writers/all"
	"github.com/rigsync/rigsync/internal/app/fleetapp"
)

func newFleetCommand(g *globalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "fleet",
		Short: "Quality gate, coverage and scene search over many logs",
		Long: `fleet works on many logs at once: a quality gate that fails logs a pipeline
must not pass on (dropouts, degraded sensors, clock offsets, damaged files,
miscalibration), a coverage view (hours by speed, turning and light; sensor
availability) and a search over what happened in them.

Subcommands:
  scan   analyse logs into a fleet folder: logs.jsonl, scenes.jsonl,
         coverage.json, report.html (exit 3 when a log fails the gate)
  find   list the scenes that match a query, with a ready fuse command
  gate   print the default gate policy (a YAML file for --gate)`,
	}
	c.AddCommand(newFleetScanCommand(g), newFleetFindCommand(g), newFleetGateCommand(g))
	return c
}

type fleetScanFlags struct {
	out     string
	workers int
	check   bool
	fuse    string
	gate    string
	force   bool
}

func newFleetScanCommand(g *globalOptions) *cobra.Command {
	var f fleetScanFlags
	c := &cobra.Command{
		Use:   "scan LOGS... -o FLEET_DIR",
		Short: "Analyse logs into a fleet folder: gate verdicts, scenes, coverage, report",
		Long: `scan analyses every log (files, folders searched recursively for *.mcap,
*.bag, *.db3 and rosbag2 folders, globs) on --workers logs at a time and
writes into FLEET_DIR:

  logs.jsonl     one summary per log: content hash, sensors, the info
                 analysis' problems, per-sensor dropout/degraded time and
                 clock estimate, ego statistics, light, conditions, the
                 gate verdict (pass, warn, fail) and its reasons
  scenes.jsonl   time ranges tagged with what happened ("cam_front dropout
                 1.5 s", "radar_front degraded 1.0 s", "stop", "night",
                 "sharp turn", "cam_front clock offset 25 ms", "calibration
                 changed"), each with the ego speed over it
  coverage.json  the fleet's totals (exact sums: any order or split of
                 the logs gives the same file)
  report.html    self-contained: totals, hours by speed band / turning /
                 light, sensor availability, worst logs, every failed gate
                 with links to the log's own reports in logs/SHA12/

Per log, one fusion pass (as "rigsync fuse --clock auto" runs it, writing
nothing) gives: dropouts (a sensor missing from ≥ 2 consecutive frames, or
frames missing altogether for the reference LiDAR) and degraded spans
(black/saturated/flat images, near-empty sweeps, radar scans with no
detections for ≥ 2 s) as time ranges; ego motion from the ego poses
(stopped below 0.5 m/s for ≥ 1 s; turn bands at 5 and 15 °/s, a sharp turn
≥ 15 °/s for ≥ 0.5 s); light from the mean luminance of one image per
camera per second (day ≥ 60, dusk 25–60, night < 25 of 255); each
sensor's clock estimate, judged against the median of the sensors of its
modality (a log does not say latencies; with fewer than 3 such sensors a
constant offset is not observable). --check also runs "calib check" on
each log (logs/SHA12/check.json): a miscalibrated or suspicious pair and a
calibration that changed mid-log are scenes and gate reasons (without
--check a knocked sensor goes unseen: /tf_static does not change when a
sensor moves). --fuse
FORMAT also writes each log's frames to FLEET_DIR/fused/SHA16/ (SHA16.mcap
for mcap; resumed when interrupted) with SHA16.provenance.json beside it
(the log, its content hash, rigsync's version, the calibration sources).

A log that cannot be read, or that is truncated, fails the gate with the
reason; it never stops the scan. A rerun skips the logs already analysed
with the same options by the same rigsync version (by content hash, not
path: FLEET_DIR/state/) unless --force. Every summary records the log's content hash, rigsync's version
and the calibration sources used.

The gate policy is a YAML file (--gate); "rigsync fleet gate" prints the
default with comments. Exit codes: 0 every log passed or warned, 1 error
(FLEET_DIR not writable), 2 usage error, 3 a log failed the gate.`,
		Example: `  rigsync fleet scan drives/ -o fleet/
  rigsync fleet scan 'drives/2024-*/*.mcap' other.bag -o fleet/ --workers 2 --check
  rigsync fleet scan drives/ -o fleet/ --gate strict.yaml --json | jq .coverage.failed
  rigsync fleet scan drives/ -o fleet/ --fuse frames   # also fuse every log
  rigsync fleet scan drives/ -o fleet/ || echo "a log failed the gate: see fleet/report.html"`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runFleetScan(cmd, g, f, args) },
	}
	fl := c.Flags()
	fl.StringVarP(&f.out, "output", "o", "", "the fleet folder (required)")
	fl.IntVar(&f.workers, "workers", 0, "logs analysed at once (default: all cores)")
	fl.BoolVar(&f.check, "check", false, `also run "calib check" on each log`)
	fl.StringVar(&f.fuse, "fuse", "", "also fuse each log into this fuse --format, below FLEET_DIR/fused/")
	fl.StringVar(&f.gate, "gate", "", `the gate policy, a YAML file (default: see "rigsync fleet gate")`)
	fl.BoolVar(&f.force, "force", false, "analyse logs again even when FLEET_DIR already has their result")
	return c
}

func runFleetScan(cmd *cobra.Command, g *globalOptions, f fleetScanFlags, args []string) error {
	if f.out == "" {
		return usageError{errors.New("fleet scan: -o FLEET_DIR is required")}
	}
	if f.workers < 0 {
		return usageError{fmt.Errorf("fleet scan: --workers %d: want at least 1", f.workers)}
	}
	o := fleetapp.ScanOptions{Out: f.out, Workers: f.workers, Force: f.force, Analysis: fleetapp.Options{Check: f.check, Fuse: f.fuse}}
	if f.gate != "" {
		data, err := os.ReadFile(f.gate)
		if err != nil {
			return usageError{fmt.Errorf("fleet scan: --gate: %w", err)}
		}
		p, err := fleet.ParsePolicy(data)
		if err != nil {
			return usageError{fmt.Errorf("fleet scan: --gate %s: %w", f.gate, err)}
		}
		o.Analysis.Policy = &p
	}
	if f.fuse != "" {
		if err := checkFuseFormat(f.fuse); err != nil {
			return err
		}
	}
	if err := fleetapp.CheckOutput(f.out, args); err != nil {
		return err
	}
	logs, err := fleetapp.ExpandLogs(args)
	if err != nil {
		return err
	}
	bar := newUnitProgress(g, "scanning", "logs", int64(len(logs)))
	o.Progress = func(done, total int) { bar.Set(int64(done)) }
	sum, err := fleetapp.Scan(cmd.Context(), o, logs)
	bar.Finish()
	if sum == nil {
		return err
	}
	if g.JSON {
		if jerr := writeJSON(g.stdout, sum); jerr != nil {
			return jerr
		}
	} else {
		fleetapp.WriteText(g.stdout, sum)
	}
	return err // a GateError (exit 3) or nil
}

func newFleetFindCommand(g *globalOptions) *cobra.Command {
	var where string
	c := &cobra.Command{
		Use:   "find FLEET_DIR [QUERY]",
		Short: "List the scenes of a fleet that match a query",
		Long: `find reads FLEET_DIR/scenes.jsonl (written by "rigsync fleet scan") and lists
the scenes that match QUERY (or --where QUERY): log, time range (seconds
since the log's first message), tag, mean ego speed, and a ready
"rigsync fuse LOG --start +S --end +E" line for that range.

The query language:
  words        a scene kind: dropout, degraded, night, dusk, stop,
               sharp_turn, clock_offset, drift, calibration,
               calibration_changed, unreadable; "fault" (any of dropout,
               degraded, clock_offset, drift, calibration,
               calibration_changed, unreadable); a sensor name, globs
               allowed (radar_*); any word of the scene's tag (turn)
  comparisons  speed (mean ego speed over the scene, m/s), speed_min,
               speed_max, duration (s), start, end (s since the log's
               first message), value (the offset in ms, ppm, °...)
               with > >= < <= = != and a number
  combine      and, or, not, parentheses; words side by side mean "and"

Exit codes: 0 ok (also when nothing matches), 1 FLEET_DIR unreadable, 2
usage error (a bad query says where it went wrong).`,
		Example: `  rigsync fleet find fleet/ 'radar_front degraded and speed > 10'
  rigsync fleet find fleet/ --where 'dropout and duration >= 1'
  rigsync fleet find fleet/ '(night or dusk) and not stop' --json | jq -r '.[].fuse'
  rigsync fleet find fleet/ 'fault and cam_*'`,
		Args: rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := where
			switch {
			case len(args) == 2 && where != "":
				return usageError{errors.New("fleet find: give the query as an argument or with --where, not both")}
			case len(args) == 2:
				q = args[1]
			case where == "":
				return usageError{errors.New("fleet find: no query (see --help)")}
			}
			ms, err := fleetapp.Find(args[0], q)
			if err != nil {
				var ue fleetapp.UsageError
				if errors.As(err, &ue) {
					return usageError{err}
				}
				return err
			}
			if g.JSON {
				return writeJSON(g.stdout, ms)
			}
			fleetapp.WriteMatches(g.stdout, ms)
			return nil
		},
	}
	c.Flags().StringVar(&where, "where", "", "the query (instead of the QUERY argument)")
	return c
}

func newFleetGateCommand(g *globalOptions) *cobra.Command {
	var printDefault bool
	c := &cobra.Command{
		Use:   "gate --print-default",
		Short: "Print the default gate policy of fleet scan (a YAML file for --gate)",
		Long: `gate prints the default quality gate of "rigsync fleet scan" as a commented
YAML file: copy it, change what you need, pass it with --gate. Fields you
leave out keep their default; unknown fields are an error.

` + fleet.DefaultPolicyYAML,
		Example: `  rigsync fleet gate --print-default > gate.yaml
  rigsync fleet scan drives/ -o fleet/ --gate gate.yaml`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !printDefault {
				return usageError{errors.New("fleet gate: nothing to do: add --print-default")}
			}
			_, err := fmt.Fprint(g.stdout, fleet.DefaultPolicyYAML)
			return err
		},
	}
	c.Flags().BoolVar(&printDefault, "print-default", false, "print the default policy")
	return c
}

// rangeArgs accepts between lo and hi positional arguments.
func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return usageError{fmt.Errorf("%s: expected %d to %d arguments, got %d (see --help)", cmd.CommandPath(), lo, hi, len(args))}
		}
		return nil
	}
}

// checkFuseFormat refuses a --fuse value that is not a fuse --format.
func checkFuseFormat(name string) error {
	reg := all.Formats()
	if _, err := reg.Lookup(name); err != nil {
		return usageError{fmt.Errorf("fleet scan: --fuse %q: want %s", name, writers.OneOf(reg.Names()))}
	}
	return nil
}
