package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/internal/app/fixturesapp"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
	"github.com/rigsync/rigsync/internal/app/infoapp"
)

func newDemoCommand(g *globalOptions) *cobra.Command {
	var o fixturesapp.DemoOptions
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole main job on a synthetic drive log (no files needed)",
		Long: `demo is the zero-setup tour: it simulates a drive with the built-in rig
(fixtures: cameras, LiDAR, radars, IMU, odometry, GNSS, /tf_static, all with
known ground truth), writes drive.mcap and drive.truth.json into a folder
(a new temporary one unless -o is given), runs "rigsync info" on the log,
and fuses it into the frames and nuScenes layouts (frames/, nuscenes/).

The folder is kept, so you can go on with the printed commands.

--json prints one object: {"dir", "log", "truth", "fused": [the "fuse
--json" summary of frames/ and of nuscenes/]}.`,
		Example: `  rigsync demo
  rigsync demo --preset minimal --duration 2s
  rigsync demo -o ./demo --json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error { return runDemo(cmd, g, o) },
	}
	f := c.Flags()
	f.StringVar(&o.Preset, "preset", "urban", "rig preset: urban or minimal")
	f.DurationVar(&o.Duration, "duration", 4*time.Second, "simulated length of the drive")
	f.Uint64Var(&o.Seed, "seed", 1, "random seed (same seed, same bytes)")
	f.StringVarP(&o.Dir, "output", "o", "", "folder for the log (default: a new temporary folder)")
	return c
}

func runDemo(cmd *cobra.Command, g *globalOptions, o fixturesapp.DemoOptions) error {
	d, err := fixturesapp.NewDemo(cmd.Context(), o, simulatingProgress(g))
	if err != nil {
		return err
	}
	if g.JSON {
		// One JSON document: where the files are and the fused summaries
		// (info --json on the log is one command away).
		return runDemoJSON(cmd, d, g)
	}
	fmt.Fprintf(g.stdout, "demo: simulated %s of the %q rig into %s\n\n", o.Duration, o.Preset, d.Dir)
	if err := runInfo(cmd, g, infoapp.Options{MaxScan: -1}, d.Log); err != nil {
		return err
	}
	fmt.Fprintln(g.stdout)
	for _, format := range []string{"frames", "nuscenes"} {
		if err := runFuse(cmd.Context(), g, demoFuseOptions(d.Dir, format), []string{d.Log}); err != nil {
			return err
		}
	}
	fixturesapp.WriteDemoNext(g.stdout, d)
	return nil
}

// runDemoJSON fuses the demo log into the frames and nuScenes layouts and
// prints one JSON object: {"dir", "log", "truth", "fused": [the fuse
// summary of each layout]}.
func runDemoJSON(cmd *cobra.Command, d *fixturesapp.Demo, g *globalOptions) error {
	doc := struct {
		*fixturesapp.Demo
		Fused []*fuseapp.Summary `json:"fused"`
	}{Demo: d}
	for _, format := range []string{"frames", "nuscenes"} {
		o, err := demoFuseOptions(d.Dir, format).Options()
		if err != nil {
			return err
		}
		sum, err := fuseapp.Run(cmd.Context(), o, []string{d.Log})
		if err != nil {
			return err
		}
		doc.Fused = append(doc.Fused, sum)
	}
	return writeJSON(g.stdout, doc)
}

// demoFuseOptions are the fuse options of the demo's format layout.
func demoFuseOptions(dir, format string) fuseapp.Flags {
	return fuseapp.Flags{Format: format, Out: filepath.Join(dir, format), Frame: "base_link",
		Tolerance: 50 * time.Millisecond, KeyframeHz: 2, Ego: "auto", Force: true}
}
