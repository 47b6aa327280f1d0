package fuseapp

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/sync/clock"
)

// Flags are the command-line values of "rigsync fuse" as typed; Options
// parses and checks them.
type Flags struct {
	Format     string
	Out        string
	Frame      string
	Reference  string
	Tolerance  time.Duration
	KeyframeHz float64
	// Clocks are --clock values (ParseClocks), Latencies --latency values
	// (ParseLatencies), GNSSOrigin the --gnss-origin value (ParseOrigin).
	Clocks    []string
	Latencies []string
	// Rig are --rig values (files, repeated or comma-separated), Map
	// --map FILE_FRAME=SENSOR values.
	Rig       []string
	Map       []string
	ScaleIntr bool
	// NoProjections is --no-projections.
	NoProjections bool
	Ego           string
	GNSSOrigin    string
	ImageCheck    int
	Register      bool
	Force         bool
	Resume        bool
	Workers       int
	// KITTICamera is the camera written as image_2 / P2 (--kitti-camera).
	KITTICamera string
	// URLPrefix is the Segments.ai asset URL prefix (--url-prefix).
	URLPrefix string
	Strict    bool
	// Start and End are --start/--end (logfile.ParseTime); Sensors and
	// Exclude --sensors/--exclude (logfile.Selection).
	Start, End       string
	Sensors, Exclude []string
	// Labels and LabelsFormat are --labels and --labels-format.
	Labels, LabelsFormat string
}

// Options converts the flags to the run's Options (without Progress):
// the --clock, --latency and --gnss-origin values parsed. Bad ones are
// UsageErrors, in the order fuse has always checked them.
func (o Flags) Options() (Options, error) {
	if o.Out == "" {
		return Options{}, UsageError{errors.New("fuse: -o OUT is required")}
	}
	clocks, autoClock, err := ParseClocks(o.Clocks)
	if err != nil {
		return Options{}, err
	}
	latency, err := ParseLatencies(o.Latencies)
	if err != nil {
		return Options{}, err
	}
	if len(latency) > 0 && !autoClock {
		return Options{}, UsageError{errors.New("fuse: --latency is used by --clock auto; add --clock auto")}
	}
	if o.ScaleIntr && len(o.Rig) == 0 {
		return Options{}, UsageError{errors.New("fuse: --scale-intrinsics scales the intrinsics of --rig rig.yaml; add --rig")}
	}
	origin, err := ParseOrigin(o.GNSSOrigin)
	if err != nil {
		return Options{}, err
	}
	return Options{Format: o.Format, Out: o.Out, Frame: o.Frame, Reference: o.Reference, Tolerance: o.Tolerance,
		KeyframeHz: o.KeyframeHz, Clocks: clocks, AutoClock: autoClock, Latency: latency, Rig: o.Rig, Map: o.Map, ScaleIntrinsics: o.ScaleIntr, NoProjections: o.NoProjections,
		Ego: o.Ego, GNSSOrigin: origin, ImageCheckEvery: o.ImageCheck, Register: o.Register, Force: o.Force, Resume: o.Resume,
		Workers: o.Workers, KITTICamera: o.KITTICamera, URLPrefix: o.URLPrefix, Strict: o.Strict,
		Window: logfile.Window{Start: o.Start, End: o.End}, Sensors: logfile.Selection{Sensors: o.Sensors, Exclude: o.Exclude},
		Labels: o.Labels, LabelsFormat: o.LabelsFormat}, nil
}

// ParseClocks reads --clock values: NAME=OFFSET[,PPM] models
// (clock.ParseModel) by name, and "auto" (the bool). A bad value is a
// UsageError.
func ParseClocks(specs []string) (map[string]clock.Model, bool, error) {
	out := map[string]clock.Model{}
	auto := false
	for _, s := range specs {
		if s == "auto" {
			auto = true
			continue
		}
		name, val, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return nil, false, UsageError{fmt.Errorf("--clock %q: want NAME=OFFSET[,PPM] or auto", s)}
		}
		m, err := clock.ParseModel(val)
		if err != nil {
			return nil, false, UsageError{fmt.Errorf("--clock %q: %w", s, err)}
		}
		out[name] = m
	}
	return out, auto, nil
}

// ParseLatencies reads --latency NAME=D values (D ≥ 0, Go duration
// syntax); a bad value is a UsageError.
func ParseLatencies(specs []string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for _, s := range specs {
		name, val, ok := strings.Cut(s, "=")
		d, err := time.ParseDuration(val)
		if !ok || name == "" || err != nil || d < 0 {
			return nil, UsageError{fmt.Errorf("--latency %q: want NAME=DURATION (e.g. cam_front=30ms)", s)}
		}
		out[name] = d
	}
	return out, nil
}

// ParseOrigin reads --gnss-origin LAT,LON,ALT (degrees, degrees,
// metres); "" is nil, a bad value a UsageError.
func ParseOrigin(s string) (*fusion.Geodetic, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	var v [3]float64
	ok := len(parts) == 3
	for i := 0; ok && i < 3; i++ {
		var err error
		v[i], err = strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
		ok = err == nil && !math.IsNaN(v[i]) && !math.IsInf(v[i], 0)
	}
	if !ok || math.Abs(v[0]) > 90 || math.Abs(v[1]) > 180 {
		return nil, UsageError{fmt.Errorf("--gnss-origin %q: want LAT,LON,ALT in degrees, degrees and metres", s)}
	}
	return &fusion.Geodetic{Lat: v[0], Lon: v[1], Alt: v[2]}, nil
}
