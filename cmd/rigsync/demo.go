package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
	"github.com/rigsync/rigsync/internal/atomicfile"
)

type demoOptions struct {
	Preset   string
	Duration time.Duration
	Seed     uint64
	Dir      string
}

func newDemoCommand(g *globalOptions) *cobra.Command {
	var o demoOptions
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

func runDemo(cmd *cobra.Command, g *globalOptions, o demoOptions) error {
	cfg, err := fixtures.Preset(o.Preset)
	if err != nil {
		return usageError{err}
	}
	cfg.Duration, cfg.Seed = o.Duration, o.Seed
	dir := o.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "rigsync-demo-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	logPath := filepath.Join(dir, "drive.mcap")
	truthPath := filepath.Join(dir, "drive.truth.json")
	if err := generateFiles(cmd, g, cfg, logPath, truthPath); err != nil {
		return err
	}
	if !g.JSON {
		fmt.Fprintf(g.stdout, "demo: simulated %s of the %q rig into %s\n\n", o.Duration, o.Preset, dir)
	}
	if g.JSON {
		// One JSON document: where the files are and the fused summaries
		// (info --json on the log is one command away).
		return runDemoJSON(cmd, g, dir, logPath, truthPath)
	}
	if err := runInfo(cmd, g, infoOptions{MaxScan: -1}, logPath); err != nil {
		return err
	}
	fmt.Fprintln(g.stdout)
	if err := runDemoFuse(cmd, g, logPath, dir); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "\nNext:\n  ls %s   # one folder per frame: lidar.pcd, radar.pcd, <camera>.jpg, frame.json\n  rigsync cat %s --limit 3\n  rigsync sync %s --plot %s\n  less %s   # the ground truth\n",
		filepath.Join(dir, "frames"), logPath, logPath, filepath.Join(dir, "sync"), truthPath)
	return nil
}

// runDemoJSON fuses the demo log like runDemoFuse and prints one JSON
// object: {"dir", "log", "truth", "fused": [the fuse summary of each
// layout]}.
func runDemoJSON(cmd *cobra.Command, g *globalOptions, dir, logPath, truthPath string) error {
	doc := struct {
		Dir   string            `json:"dir"`
		Log   string            `json:"log"`
		Truth string            `json:"truth"`
		Fused []json.RawMessage `json:"fused"`
	}{Dir: dir, Log: logPath, Truth: truthPath}
	for _, format := range []string{"frames", "nuscenes"} {
		var buf bytes.Buffer
		gf := *g
		gf.stdout = &buf
		if err := runFuse(cmd.Context(), &gf, demoFuseOptions(dir, format), []string{logPath}); err != nil {
			return err
		}
		doc.Fused = append(doc.Fused, json.RawMessage(bytes.TrimSpace(buf.Bytes())))
	}
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// demoFuseOptions are the fuse options of the demo's format layout.
func demoFuseOptions(dir, format string) fuseapp.Flags {
	return fuseapp.Flags{Format: format, Out: filepath.Join(dir, format), Frame: "base_link",
		Tolerance: 50 * time.Millisecond, KeyframeHz: 2, Ego: "auto", Force: true}
}

// runDemoFuse fuses the demo log into the frames and nuScenes layouts.
func runDemoFuse(cmd *cobra.Command, g *globalOptions, logPath, dir string) error {
	for _, format := range []string{"frames", "nuscenes"} {
		if err := runFuse(cmd.Context(), g, demoFuseOptions(dir, format), []string{logPath}); err != nil {
			return err
		}
	}
	return nil
}

// generateFiles runs the fixture generator into logPath and truthPath.
// Both are written under temporary names and moved into place only when
// the whole drive was generated: an interrupted or failed run leaves
// existing files as they were.
func generateFiles(cmd *cobra.Command, g *globalOptions, cfg fixtures.Config, logPath, truthPath string) error {
	lf, err := atomicfile.Create(logPath)
	if err != nil {
		return err
	}
	defer lf.Abort()
	tf, err := atomicfile.Create(truthPath)
	if err != nil {
		return err
	}
	defer tf.Abort()
	prog := newSecondsProgress(g, "simulating", cfg.Duration)
	err = fixtures.Generate(cmd.Context(), cfg, lf, tf, prog.SetNS)
	prog.Finish()
	if err != nil {
		return err
	}
	if err := lf.Commit(); err != nil {
		return err
	}
	return tf.Commit()
}
