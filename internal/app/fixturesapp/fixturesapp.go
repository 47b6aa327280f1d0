// Package fixturesapp runs "rigsync fixtures generate" and sets up
// "rigsync demo": it turns the command's flag values into a generator
// config (Flags.Config: preset, rig file, sensor options, faults), runs
// the fixture simulator into a log and its truth file, both written whole
// or not at all (Generate), and builds what the commands print. Flags,
// help text, progress bars and the choice of text or JSON are the
// command's (cmd/rigsync).
package fixturesapp

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/internal/atomicfile"
)

// FaultFlag is the command-line flag of one fault kind.
type FaultFlag struct {
	Kind  fixtures.FaultKind
	Flag  string
	Usage string
}

// FaultFlags are the fault flags in the order they are applied.
var FaultFlags = []FaultFlag{
	{fixtures.ClockOffset, "clock-offset", "NAME=DUR: add DUR to every stamp of sensor NAME (e.g. cam_front=-25ms)"},
	{fixtures.Drift, "drift", "NAME=PPM: sensor clock runs fast by PPM parts per million (e.g. lidar_top=80)"},
	{fixtures.Jitter, "jitter", "NAME=DUR: Gaussian stamp jitter with standard deviation DUR (e.g. imu=1ms)"},
	{fixtures.Dropout, "dropout", "NAME=START-END: no messages in that window (e.g. cam_back=3s-4.5s)"},
	{fixtures.Duplicate, "duplicate", "NAME=TIME: write the first message at or after TIME twice"},
	{fixtures.Reorder, "reorder", "NAME=TIME: deliver the first message at or after TIME after its successor"},
	{fixtures.Miscalibrate, "miscalibrate", "NAME=ROLL,PITCH,YAW,X,Y,Z: /tf_static extrinsic = true · Δ (deg, m)"},
	{fixtures.Knock, "knock", "NAME=TIME:ROLL,PITCH,YAW,X,Y,Z: true extrinsic becomes true · Δ at TIME"},
	{fixtures.WrongUnit, "wrong-unit", "NAME=us|ms: write stamps in µs or ms where ns belong"},
	{fixtures.Degrade, "degrade", "NAME=START-END[:MODE]: degraded data in that window: black (default) or saturated images, a near-empty LiDAR sweep, an empty radar scan (e.g. radar_front=2s-3s)"},
}

// Flags are the command-line values of "rigsync fixtures generate" as
// typed.
type Flags struct {
	Preset      string
	RigFile     string
	Duration    time.Duration
	Seed        uint64
	Output      string
	Truth       string
	Encoding    string
	Compression string
	Speed       float64
	CameraSize  string
	LidarStamp  string
	RadarCloud  bool
	RawImages   bool
	Fisheye     []string
	// RollingShutter are --rolling-shutter NAME=DUR[:DIRECTION] values
	// (fixtures.Rig.RollingShutter).
	RollingShutter []string
	SecondLidar    bool
	TF             bool
	// Faults are the fault flags' values, Faults[i] those of FaultFlags[i]
	// (missing entries: none).
	Faults [][]string
	// Labels writes the true 3D box labels beside the log (LabelsFile,
	// default DRIVE.labels.json); LabelFaults (--label-fault SPEC, see
	// fixtures.ParseLabelFault) inject label errors and imply Labels.
	Labels      bool
	LabelsFile  string
	LabelFaults []string
}

// UsageError is a flag value that is wrong (the command's exit code 2).
type UsageError struct{ Err error }

// Error is the wrapped error's text.
func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e UsageError) Unwrap() error { return e.Err }

// Config turns the flags into a generator config (validated).
func (o *Flags) Config() (fixtures.Config, error) {
	cfg, err := fixtures.Preset(o.Preset)
	if err != nil {
		return cfg, err
	}
	if o.RigFile != "" {
		f, err := os.Open(o.RigFile)
		if err != nil {
			return cfg, err
		}
		rig, err := fixtures.LoadRig(f)
		f.Close()
		if err != nil {
			return cfg, err
		}
		cfg.Rig = rig
	}
	cfg.Duration, cfg.Seed, cfg.Encoding, cfg.Compression, cfg.Speed = o.Duration, o.Seed, o.Encoding, o.Compression, o.Speed
	if o.CameraSize != "" {
		var w, h int
		if _, err := fmt.Sscanf(o.CameraSize, "%dx%d", &w, &h); err != nil {
			return cfg, fmt.Errorf("--camera-size %q: want WIDTHxHEIGHT, e.g. 640x400", o.CameraSize)
		}
		cfg.Rig.SetCameraSize(w, h)
	}
	for i := range cfg.Rig.Lidars {
		if o.LidarStamp != "" {
			cfg.Rig.Lidars[i].StampAt = o.LidarStamp
		}
	}
	for i := range cfg.Rig.Radars {
		cfg.Rig.Radars[i].PointCloud = cfg.Rig.Radars[i].PointCloud || o.RadarCloud
	}
	for i := range cfg.Rig.Cameras {
		cfg.Rig.Cameras[i].Raw = cfg.Rig.Cameras[i].Raw || o.RawImages
	}
	for _, name := range o.Fisheye {
		if err := cfg.Rig.Fisheye(name); err != nil {
			return cfg, fmt.Errorf("--fisheye: %w", err)
		}
	}
	for _, spec := range o.RollingShutter {
		if err := cfg.Rig.RollingShutter(spec); err != nil {
			return cfg, fmt.Errorf("--rolling-shutter: %w", err)
		}
	}
	cfg.Rig.TF = cfg.Rig.TF || o.TF
	if o.SecondLidar {
		cfg.Rig.AddSecondLidar()
	}
	for i, ff := range FaultFlags {
		if i >= len(o.Faults) {
			break
		}
		for _, s := range o.Faults[i] {
			fault, err := fixtures.ParseFault(ff.Kind, s)
			if err != nil {
				return cfg, fmt.Errorf("--%s: %w", ff.Flag, err)
			}
			cfg.Faults = append(cfg.Faults, fault)
		}
	}
	cfg.Labels = o.Labels || len(o.LabelFaults) > 0
	for _, s := range o.LabelFaults {
		lf, err := fixtures.ParseLabelFault(s)
		if err != nil {
			return cfg, fmt.Errorf("--label-fault: %w", err)
		}
		cfg.LabelFaults = append(cfg.LabelFaults, lf)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	if len(cfg.LabelFaults) > 0 {
		// A fault on an object the scene does not label, or in a window
		// with no sweep, is the flag's fault: find out before simulating.
		if _, _, err := fixtures.Labels(cfg); err != nil {
			return cfg, fmt.Errorf("--label-fault: %w", err)
		}
	}
	return cfg, nil
}

// Progress is the display of a simulation's progress.
type Progress interface {
	// SetNS reports done of total simulated nanoseconds.
	SetNS(done, total int64)
	// Finish ends the display.
	Finish()
}

// Generate runs the fixture generator for cfg into logPath and
// truthPath. Both are written under temporary names and moved into place
// only when the whole drive was generated: an interrupted or failed run
// leaves existing files as they were. newProgress, if not nil, starts
// the progress display of simulating cfg.Duration.
func Generate(ctx context.Context, cfg fixtures.Config, logPath, truthPath string, newProgress func(d time.Duration) Progress) error {
	return GenerateWithLabels(ctx, cfg, logPath, truthPath, "", newProgress)
}

// GenerateWithLabels is Generate that also writes, when cfg.Labels, the
// labels (fixtures.WriteLabels: rigsync labels JSON) to labelsPath, under
// the same whole-or-nothing rule.
func GenerateWithLabels(ctx context.Context, cfg fixtures.Config, logPath, truthPath, labelsPath string, newProgress func(d time.Duration) Progress) error {
	var labels *atomicfile.File
	if cfg.Labels {
		if labelsPath == "" {
			return fmt.Errorf("fixtures generate: labels on but no labels file")
		}
		var err error
		if labels, err = atomicfile.Create(labelsPath); err != nil {
			return err
		}
		defer labels.Abort()
		if err := fixtures.WriteLabels(cfg, labels); err != nil {
			return err
		}
	}
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
	var progress func(done, total int64)
	var prog Progress
	if newProgress != nil {
		prog = newProgress(cfg.Duration)
		progress = prog.SetNS
	}
	err = fixtures.Generate(ctx, cfg, lf, tf, progress)
	if prog != nil {
		prog.Finish()
	}
	if err != nil {
		return err
	}
	if err := lf.Commit(); err != nil {
		return err
	}
	if err := tf.Commit(); err != nil {
		return err
	}
	if labels != nil {
		return labels.Commit()
	}
	return nil
}

// Generated is a log "fixtures generate" wrote.
type Generated struct {
	// Log and Truth are the paths of the log and its truth file; Labels
	// that of the labels file ("" without labels).
	Log, Truth, Labels string
	// Bytes is the log's size.
	Bytes int64
	// Config is what generated it.
	Config fixtures.Config
}

// Run generates the log of the flags o (-o required; the truth file
// beside it unless o.Truth). Wrong flag values are UsageErrors.
func Run(ctx context.Context, o Flags, newProgress func(d time.Duration) Progress) (*Generated, error) {
	if o.Output == "" {
		return nil, UsageError{fmt.Errorf("fixtures generate: -o DRIVE.mcap is required")}
	}
	cfg, err := o.Config()
	if err != nil {
		return nil, UsageError{err}
	}
	truth := o.Truth
	if truth == "" {
		truth = strings.TrimSuffix(o.Output, ".mcap") + ".truth.json"
	}
	labels := ""
	if cfg.Labels {
		labels = o.LabelsFile
		if labels == "" {
			labels = strings.TrimSuffix(o.Output, ".mcap") + ".labels.json"
		}
	}
	if err := GenerateWithLabels(ctx, cfg, o.Output, truth, labels, newProgress); err != nil {
		return nil, err
	}
	st, err := os.Stat(o.Output)
	if err != nil {
		return nil, err
	}
	return &Generated{Log: o.Output, Truth: truth, Labels: labels, Bytes: st.Size(), Config: cfg}, nil
}

// WriteText writes the line "fixtures generate" prints.
func WriteText(w io.Writer, g *Generated) {
	fmt.Fprintf(w, "wrote %s (%.1f MiB, %s of the %q rig, seed %d) and %s\n",
		g.Log, float64(g.Bytes)/(1<<20), g.Config.Duration, g.Config.Preset, g.Config.Seed, g.Truth)
	if g.Labels != "" {
		fmt.Fprintf(w, "wrote %s (true 3D boxes of every %s sweep, %d label faults)\n", g.Labels, g.Config.Rig.Lidars[0].Name, len(g.Config.LabelFaults))
	}
}

// SensorSummary is one sensor of a Summary.
type SensorSummary struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Topic    string `json:"topic"`
	Messages int    `json:"messages"`
}

// Summary is the --json output of "fixtures generate".
type Summary struct {
	Log        string          `json:"log"`
	Truth      string          `json:"truth"`
	Bytes      int64           `json:"bytes"`
	Preset     string          `json:"preset"`
	DurationNS int64           `json:"duration_ns"`
	Seed       uint64          `json:"seed"`
	Sensors    []SensorSummary `json:"sensors"`
	Faults     int             `json:"faults"`
	Events     int             `json:"fault_events"`
	// Labels is the labels file (with --labels), LabelFrames and
	// LabelBoxes what it holds, LabelFaults the label faults injected.
	Labels      string `json:"labels,omitempty"`
	LabelFrames int    `json:"label_frames,omitempty"`
	LabelBoxes  int    `json:"label_boxes,omitempty"`
	LabelFaults int    `json:"label_faults,omitempty"`
}

// Summary reads the truth file back and summarises the log: its sensors
// and message counts, its faults.
func (g *Generated) Summary() (*Summary, error) {
	tf, err := os.Open(g.Truth)
	if err != nil {
		return nil, err
	}
	t, err := fixtures.LoadTruth(tf)
	tf.Close()
	if err != nil {
		return nil, err
	}
	out := &Summary{Log: g.Log, Truth: g.Truth, Bytes: g.Bytes, Preset: g.Config.Preset, DurationNS: int64(g.Config.Duration),
		Seed: g.Config.Seed, Faults: len(t.Faults), Events: len(t.Events)}
	for _, s := range t.Sensors {
		out.Sensors = append(out.Sensors, SensorSummary{s.Name, s.Kind, s.Topic, s.Messages})
	}
	if g.Labels != "" {
		lf, err := os.Open(g.Labels)
		if err != nil {
			return nil, err
		}
		set, err := labels.ReadJSON(lf, g.Labels)
		lf.Close()
		if err != nil {
			return nil, err
		}
		out.Labels, out.LabelFrames, out.LabelBoxes, out.LabelFaults = g.Labels, len(set.Frames), set.Count(), len(t.LabelFaults)
	}
	return out, nil
}

// Demo is the folder of a demo drive and its files.
type Demo struct {
	Dir   string `json:"dir"`
	Log   string `json:"log"`
	Truth string `json:"truth"`
}

// DemoOptions are the settings of "rigsync demo".
type DemoOptions struct {
	// Preset is the rig preset (urban, minimal).
	Preset string
	// Duration is the simulated length of the drive.
	Duration time.Duration
	// Seed is the random seed.
	Seed uint64
	// Dir is the folder for the log ("": a new temporary folder).
	Dir string
}

// NewDemo generates the demo drive: drive.mcap and drive.truth.json in
// o.Dir (created), or in a new temporary folder. An unknown preset is a
// UsageError.
func NewDemo(ctx context.Context, o DemoOptions, newProgress func(d time.Duration) Progress) (*Demo, error) {
	cfg, err := fixtures.Preset(o.Preset)
	if err != nil {
		return nil, UsageError{err}
	}
	cfg.Duration, cfg.Seed = o.Duration, o.Seed
	dir := o.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "rigsync-demo-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	d := &Demo{Dir: dir, Log: filepath.Join(dir, "drive.mcap"), Truth: filepath.Join(dir, "drive.truth.json")}
	if err := Generate(ctx, cfg, d.Log, d.Truth, newProgress); err != nil {
		return nil, err
	}
	return d, nil
}

// WriteDemoNext writes the demo's closing lines: what to try next.
func WriteDemoNext(w io.Writer, d *Demo) {
	fmt.Fprintf(w, "\nNext:\n  ls %s   # one folder per frame: lidar.pcd, radar.pcd, <camera>.jpg, frame.json\n  rigsync cat %s --limit 3\n  rigsync sync %s --plot %s\n  less %s   # the ground truth\n",
		filepath.Join(d.Dir, "frames"), d.Log, d.Log, filepath.Join(d.Dir, "sync"), d.Truth)
}
