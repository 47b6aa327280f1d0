package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/writers"
	"github.com/rigsync/rigsync/fusion/writers/all"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
	"github.com/rigsync/rigsync/sync/clock"
)

type fuseOptions struct {
	Format     string
	Out        string
	Frame      string
	Reference  string
	Tolerance  time.Duration
	KeyframeHz float64
	Clocks     []string
	Latencies  []string
	Rig        string
	ScaleIntr  bool
	Ego        string
	GNSSOrigin string
	ImageCheck int
	Register   bool
	Force      bool
	Resume     bool
	Workers    int
	// KITTICamera is the camera written as image_2 / P2 (--kitti-camera).
	KITTICamera string
	// URLPrefix is the Segments.ai asset URL prefix (--url-prefix).
	URLPrefix string
	Strict    bool
}

func newFuseCommand(g *globalOptions) *cobra.Command {
	var o fuseOptions
	reg := all.Formats()
	c := &cobra.Command{
		Use:   "fuse LOG.mcap [LOG2.mcap ...] -o OUT",
		Short: "Write fused, annotation-ready frames (frames, nuScenes, Foxglove MCAP, KITTI, CVAT, Segments.ai, Xtreme1)",
		Long: `fuse is rigsync's main job: a drive log in, annotation-ready multimodal
frames out. One frame per sweep of the reference LiDAR; every other sensor
joins with its nearest message within --tolerance (or is marked missing).
Per frame: every LiDAR cloud deskewed to the frame time with the ego motion
(see "Ego motion" below) and merged in the
shared frame (--frame, base_link) with a per-point source id; radar
detections in the shared frame with Doppler compensated for ego motion;
each camera at its own exposure time with its intrinsics, T_base_camera
and the LiDAR points projected into it; the ego pose; the IMU window; per
sensor its stamp, offset from the frame time and flags (missing, stale,
clock_corrected, degraded: a near-empty sweep, a radar scan with no
detections, a black, saturated or flat camera image).

Several logs of one drive (split recordings, one log per sensor group) are
merged in log-time order; a topic in several logs is one stream.

Calibration comes from the log's /tf_static and camera infos; --rig
rig.yaml overrides it item by item (extrinsics, intrinsics, clock models;
"rigsync rig init LOG.mcap > rig.yaml" drafts one). The summary says which
item came from where (rig.yaml or the topic). A camera's rig.yaml
intrinsics are used for every image: where the log's CameraInfo
disagrees with them (K, distortion, size), the summary warns once per
camera. Images of another size than the rig.yaml width × height are an
error; --scale-intrinsics instead scales the rig's K to the images (a
resize of the whole image: fx, cx by width ratio, fy, cy by height ratio,
pixel centres at integers; distortion unchanged) and says so.

Clocks: --clock NAME=OFFSET[,PPM] gives a sensor's clock model (sensor
clock reads t + OFFSET + PPM·1e-6·t). --clock auto first reads the header
stamps of every camera, LiDAR and radar and estimates each clock against
the recorder's log time the way "rigsync sync" does: unit errors (µs or
ms where ns belong) and wrap-around are repaired, a significant drift is
removed, a clock on another epoch is mapped onto log time; a constant
offset is corrected only for a sensor whose transport latency you give
with --latency NAME=D, since one-way timing cannot tell an offset from a
latency. Explicit --clock models and rig.yaml clocks win over estimates.

Ego motion (--ego): auto takes wheel odometry, else GNSS, else /tf
(odom → base_link), else none. GNSS fixes (NavSatFix) become poses in the
ENU plane (x east, y north, z up) at --gnss-origin LAT,LON,ALT or at the
first fix, position minus the antenna lever arm, heading from the fitted
course held by the IMU gyro. Deskew: the rotation within a sweep comes
from the IMU gyro when there is one (bias removed against the ego track;
"imu"), the translation from the ego source; beyond the ego track's span
the motion is extrapolated at constant velocity ("constant-velocity").
Without any ego source the IMU alone removes the rotation
("imu-rotation"), or nothing is removed ("none"); with --register each
reference sweep is also registered to the previous one (point-to-plane
ICP, ground removed) and that motion, carried by the IMU's accelerations,
deskews the next sweep (KISS-ICP's constant-velocity model;
"constant-velocity"): far better than nothing (median error 6 cm instead
of 50 cm at 10 m/s on the fixture), not as good as a pose source, and
about 10× the fusing time. The summary counts which deskew and ego source
each frame used.

Images are checked for black / saturated / flat: every --image-check-every
image of a camera is decoded (about 2 ms for 480×300), and every JPEG
that is suspiciously small for its size (a dark or blank image compresses
to almost nothing) at once.

` + formatsHelp(reg) + `
A non-empty output folder is refused unless --force; --resume continues a
killed run (every format, as its --resume line above says) without losing
or duplicating frames. The resumed output equals an uninterrupted run's,
byte for byte; give the same inputs and options. The input is never
modified.

--workers N (default: all cores) projects LiDAR points into the cameras and
encodes and writes frames on N goroutines; frames are still written,
renamed and listed in order, and the output is byte for byte the same for
any N. --workers 1 runs everything on one core.

A truncated or damaged log (a recording killed mid-write, a chunk whose
CRC or compressed bytes are bad) is fused as far as it can be read, as
"rigsync info" reads it: every complete chunk's messages are used, and the
summary's problems (--json: "problems") name the file, the byte offset,
what was lost (messages, log time range, unread bytes) and why. --strict
makes such a run exit 3.

Exit codes: 0 ok (damage is reported but does not fail the run unless
--strict), 1 error, 2 usage error, 3 an input log was damaged, with --strict.`,
		Example: `  rigsync fuse drive.mcap -o out/
  rigsync fuse drive.mcap --format nuscenes --keyframe-hz 2 -o nusc/
  rigsync fuse drive.mcap --format mcap -o fused.mcap --clock cam_front=-25ms
  rigsync fuse drive.mcap --format xtreme1 -o upload/   # zip it, upload it to Xtreme1

  # two logs of one drive (cameras recorded apart), calibration from a rig file
  rigsync rig init drive_lidar.mcap > rig.yaml   # then edit it
  rigsync fuse drive_lidar.mcap drive_cams.mcap --rig rig.yaml -o out/

  # estimate the sensor clocks first; the camera driver's latency is 30 ms
  rigsync fuse drive.mcap --clock auto --latency cam_front=30ms -o out/ --json | jq .clocks

  # GNSS as the ego source, world = ENU plane at a surveyed origin
  rigsync fuse drive.mcap --ego gnss --gnss-origin 48.137,11.575,519 -o out/

  # continue a killed nuScenes export (same inputs and options), on 4 cores
  rigsync fuse drive.mcap --format nuscenes -o nusc/ --resume --workers 4

  # fuse what a truncated log holds, but fail a pipeline on it
  rigsync fuse cut.mcap -o out/ --json --strict | jq .problems`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runFuse(cmd.Context(), g, o, args) },
	}
	f := c.Flags()
	f.StringVar(&o.Format, "format", "frames", "output format: "+writers.OneOf(reg.Names())+" (see Formats above)")
	f.StringVarP(&o.Out, "output", "o", "", "output folder (a file for --format mcap)")
	f.StringVar(&o.Frame, "frame", "base_link", "shared spatial frame of the fused point data")
	f.StringVar(&o.Reference, "reference", "", "reference LiDAR topic (default: the first LiDAR channel)")
	f.DurationVar(&o.Tolerance, "tolerance", 50*time.Millisecond, "how far from the frame time a sensor's message may be")
	f.Float64Var(&o.KeyframeHz, "keyframe-hz", 2, "nuScenes keyframe (sample) rate; frames in between are sweeps")
	f.StringArrayVar(&o.Clocks, "clock", nil, "NAME=OFFSET[,PPM]: a known clock model of sensor NAME, or auto: estimate the clocks first (repeatable)")
	f.StringArrayVar(&o.Latencies, "latency", nil, "NAME=D: known transport latency of sensor NAME; with --clock auto its offset is corrected too (repeatable)")
	f.StringVar(&o.Rig, "rig", "", "rig.yaml whose extrinsics, intrinsics and clocks override the log's")
	f.BoolVar(&o.ScaleIntr, "scale-intrinsics", false, "scale rig.yaml intrinsics calibrated at another image size to the images (default: a size mismatch is an error)")
	f.StringVar(&o.Ego, "ego", "auto", "ego-motion source: auto, odometry, gnss, tf or none")
	f.StringVar(&o.GNSSOrigin, "gnss-origin", "", "LAT,LON,ALT (deg, deg, m): origin of the ENU world frame for --ego gnss (default: the first fix)")
	f.BoolVar(&o.Register, "register", false, "without an ego source, register consecutive sweeps and deskew with that motion (constant velocity)")
	f.IntVar(&o.ImageCheck, "image-check-every", fusion.DefaultImageCheckEvery, "decode and check every Nth image of a camera for black/saturated/flat (0: never)")
	f.BoolVar(&o.Force, "force", false, "write into a non-empty output folder")
	f.BoolVar(&o.Resume, "resume", false, "continue a killed run (same inputs and options)")
	f.IntVar(&o.Workers, "workers", runtime.NumCPU(), "goroutines projecting and encoding frames (the output is the same for any number)")
	f.StringVar(&o.URLPrefix, "url-prefix", "", "--format segments: prepended to each asset's relative path to form its URL in sample.json (e.g. s3://bucket/run1/)")
	f.StringVar(&o.KITTICamera, "kitti-camera", "", "--format kitti: the camera written as image_2/P2 (default: the one looking most nearly along +x of --frame)")
	f.BoolVar(&o.Strict, "strict", false, "exit with code 3 when an input log is truncated or damaged (what could be read is still fused)")
	return c
}

// parseClocks reads --clock values: NAME=OFFSET[,PPM] models, and "auto".
func parseClocks(specs []string) (map[string]clock.Model, bool, error) {
	out := map[string]clock.Model{}
	auto := false
	for _, s := range specs {
		if s == "auto" {
			auto = true
			continue
		}
		name, val, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return nil, false, usageError{fmt.Errorf("--clock %q: want NAME=OFFSET[,PPM] or auto", s)}
		}
		m, err := clock.ParseModel(val)
		if err != nil {
			return nil, false, usageError{fmt.Errorf("--clock %q: %w", s, err)}
		}
		out[name] = m
	}
	return out, auto, nil
}

// parseLatencies reads --latency NAME=D values.
func parseLatencies(specs []string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for _, s := range specs {
		name, val, ok := strings.Cut(s, "=")
		d, err := time.ParseDuration(val)
		if !ok || name == "" || err != nil || d < 0 {
			return nil, usageError{fmt.Errorf("--latency %q: want NAME=DURATION (e.g. cam_front=30ms)", s)}
		}
		out[name] = d
	}
	return out, nil
}

// parseOrigin reads --gnss-origin LAT,LON,ALT.
func parseOrigin(s string) (*fusion.Geodetic, error) {
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
		return nil, usageError{fmt.Errorf("--gnss-origin %q: want LAT,LON,ALT in degrees, degrees and metres", s)}
	}
	return &fusion.Geodetic{Lat: v[0], Lon: v[1], Alt: v[2]}, nil
}

// appOptions converts the flags to the fuse run's options: the --clock,
// --latency and --gnss-origin values parsed (bad ones are usage errors, in
// the order fuse has always checked them).
func (o fuseOptions) appOptions(g *globalOptions) (fuseapp.Options, error) {
	if o.Out == "" {
		return fuseapp.Options{}, usageError{errors.New("fuse: -o OUT is required")}
	}
	clocks, autoClock, err := parseClocks(o.Clocks)
	if err != nil {
		return fuseapp.Options{}, err
	}
	latency, err := parseLatencies(o.Latencies)
	if err != nil {
		return fuseapp.Options{}, err
	}
	if len(latency) > 0 && !autoClock {
		return fuseapp.Options{}, usageError{errors.New("fuse: --latency is used by --clock auto; add --clock auto")}
	}
	if o.ScaleIntr && o.Rig == "" {
		return fuseapp.Options{}, usageError{errors.New("fuse: --scale-intrinsics scales the intrinsics of --rig rig.yaml; add --rig")}
	}
	origin, err := parseOrigin(o.GNSSOrigin)
	if err != nil {
		return fuseapp.Options{}, err
	}
	return fuseapp.Options{Format: o.Format, Out: o.Out, Frame: o.Frame, Reference: o.Reference, Tolerance: o.Tolerance,
		KeyframeHz: o.KeyframeHz, Clocks: clocks, AutoClock: autoClock, Latency: latency, Rig: o.Rig, ScaleIntrinsics: o.ScaleIntr,
		Ego: o.Ego, GNSSOrigin: origin, ImageCheckEvery: o.ImageCheck, Register: o.Register, Force: o.Force, Resume: o.Resume,
		Workers: o.Workers, KITTICamera: o.KITTICamera, URLPrefix: o.URLPrefix, Strict: o.Strict,
		Progress: func(stage, unit string, total int64) fuseapp.Progress { return newUnitProgress(g, stage, unit, total) }}, nil
}

// runFuse runs fuse on the logs at paths and prints its summary (also
// when --strict fails the run on damaged input).
func runFuse(ctx context.Context, g *globalOptions, o fuseOptions, paths []string) error {
	ao, err := o.appOptions(g)
	if err != nil {
		return err
	}
	sum, err := fuseapp.Run(ctx, ao, paths)
	if sum == nil {
		return err
	}
	if g.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else {
		printFuse(g, sum)
	}
	return err
}

// formatsHelp lists the formats of reg for fuse --help: per format its
// name and doc, then how --resume continues it, wrapped at 76 columns.
func formatsHelp(reg *writers.Registry) string {
	var b strings.Builder
	b.WriteString("Formats (--format):\n")
	for _, f := range reg.Formats() {
		text := f.Doc
		if f.Resume != "" {
			text += "\n--resume: " + f.Resume
		}
		first := true
		for para := range strings.SplitSeq(text, "\n") {
			line := ""
			for _, word := range strings.Fields(para) {
				if line != "" && 12+utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > 76 {
					writeHelpLine(&b, f.Name, line, &first)
					line = ""
				}
				if line != "" {
					line += " "
				}
				line += word
			}
			writeHelpLine(&b, f.Name, line, &first)
		}
	}
	return b.String()
}

func writeHelpLine(b *strings.Builder, name, line string, first *bool) {
	if *first {
		fmt.Fprintf(b, "  %-9s %s\n", name, line)
		*first = false
		return
	}
	fmt.Fprintf(b, "%12s%s\n", "", line)
}

func printFuse(g *globalOptions, s *fuseapp.Summary) {
	fmt.Fprintf(g.stdout, "fused %d frames of %s into %s (%s) in %.1f s\n", s.Frames, strings.Join(s.Logs, " + "), s.Output, s.Format, s.Seconds)
	names := make([]string, 0, len(s.Completeness))
	for n := range s.Completeness {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(g.stdout, "completeness:")
	for _, n := range names {
		fmt.Fprintf(g.stdout, "  %-24s %6.1f%%\n", n, 100*s.Completeness[n])
	}
	fmt.Fprintf(g.stdout, "deskew (frames): %s\nego pose (frames): %s\n", countList(s.Deskew), countList(s.EgoSource))
	if len(s.Degraded) > 0 {
		fmt.Fprintf(g.stdout, "degraded (frames): %s\n", countList(s.Degraded))
	}
	if len(s.Clocks) > 0 {
		fmt.Fprintln(g.stdout, "clocks:")
		for _, c := range s.Clocks {
			line := fmt.Sprintf("  %-24s %-6s %s", c.Sensor, c.Applied, c.Model)
			if c.Repair != "" && c.Repair != "none" {
				line += ", stamps repaired: " + c.Repair
			}
			if c.Applied != "given" {
				line += fmt.Sprintf(" (stamp − log time at the minimum delay %.3f ms, drift %.2f ± %.2f ppm)", float64(c.EstimatedOffsetNS)/1e6, c.DriftPPM, c.DriftSigmaPPM)
			}
			if c.Note != "" {
				line += "; " + c.Note
			}
			fmt.Fprintln(g.stdout, line)
		}
	}
	if len(s.Problems) > 0 {
		fmt.Fprintf(g.stdout, "problems: %d (damaged input; the frames hold what could be read)\n", len(s.Problems))
		for _, p := range s.Problems {
			fmt.Fprintf(g.stdout, "  %-7s [%s] %s\n", p.Severity, p.Kind, p.Message)
		}
	}
	if len(s.CalibSource) > 0 {
		keys := make([]string, 0, len(s.CalibSource))
		for k := range s.CalibSource {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		from := "the log"
		if s.Rig != "" {
			from = "the log and " + s.Rig
		}
		fmt.Fprintf(g.stdout, "calibration (from %s):\n", from)
		for _, k := range keys {
			fmt.Fprintf(g.stdout, "  %-24s %s\n", k, s.CalibSource[k])
		}
	}
	if len(s.Warnings) > 0 {
		fmt.Fprintln(g.stdout, "warnings:")
		for _, w := range s.Warnings {
			fmt.Fprintf(g.stdout, "  %s\n", w)
		}
	}
}

// countList prints a name → count map as "a 3, b 1", most frequent first.
func countList(m map[string]int) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if m[names[i]] != m[names[j]] {
			return m[names[i]] > m[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %d", n, m[n])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
