package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapio"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/writers/foxmcap"
	"github.com/rigsync/rigsync/fusion/writers/frames"
	"github.com/rigsync/rigsync/fusion/writers/kitti"
	"github.com/rigsync/rigsync/fusion/writers/nuscenes"
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
	Ego        string
	Force      bool
	Resume     bool
}

func newFuseCommand(g *globalOptions) *cobra.Command {
	var o fuseOptions
	c := &cobra.Command{
		Use:   "fuse LOG.mcap -o OUT",
		Short: "Write fused, annotation-ready frames (frames, nuScenes, Foxglove MCAP, KITTI)",
		Long: `fuse is rigsync's main job: a drive log in, annotation-ready multimodal
frames out. One frame per sweep of the reference LiDAR; every other sensor
joins with its nearest message within --tolerance (or is marked missing).
Per frame: every LiDAR cloud deskewed to the frame time with the ego motion
(odometry, else /tf; constant velocity beyond their span) and merged in the
shared frame (--frame, base_link) with a per-point source id; radar
detections in the shared frame with Doppler compensated for ego motion;
each camera at its own exposure time with its intrinsics, T_base_camera
and the LiDAR points projected into it; the ego pose; the IMU window; per
sensor its stamp, offset from the frame time and flags (missing, stale,
clock_corrected, degraded).

Calibration comes from the log's /tf_static and camera infos (printed at
the start: which item came from which topic). Sensor clocks can be
corrected with --clock NAME=OFFSET[,PPM] (estimate them with "rigsync sync").

Formats (--format):
  frames    a folder per frame: lidar.pcd (PCD v0.7 binary), radar.pcd,
            <camera>.jpg, per-camera projection sidecars, frame.json
            (stamps, ego pose, calibration with its conventions, flags),
            and manifest.jsonl for the run
  nuscenes  the v1.0 layout: 13 tables, samples/ and sweeps/ at
            --keyframe-hz, LIDAR_TOP .pcd.bin, radar PCD, undistorted JPEGs
  mcap      Foxglove protobuf: fused PointCloud, images + CameraCalibration,
            FrameTransforms, projected points as ImageAnnotations
  kitti     velodyne/*.bin (LiDAR frame), image_0N/, calib/*.txt, timestamps

A non-empty output folder is refused unless --force; --resume continues a
killed frames or kitti run. The input is never modified.

Not yet: several input logs, --rig, --workers (the pipeline runs on one
core), IMU-based deskew.

Exit codes: 0 ok, 1 error, 2 usage error.`,
		Example: `  rigsync fuse drive.mcap -o out/
  rigsync fuse drive.mcap --format nuscenes --keyframe-hz 2 -o nusc/
  rigsync fuse drive.mcap --format mcap -o fused.mcap --clock cam_front=-25ms`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runFuse(cmd.Context(), g, o, args[0]) },
	}
	f := c.Flags()
	f.StringVar(&o.Format, "format", "frames", "output format: frames, nuscenes, mcap or kitti")
	f.StringVarP(&o.Out, "output", "o", "", "output folder (a file for --format mcap)")
	f.StringVar(&o.Frame, "frame", "base_link", "shared spatial frame of the fused point data")
	f.StringVar(&o.Reference, "reference", "", "reference LiDAR topic (default: the first LiDAR channel)")
	f.DurationVar(&o.Tolerance, "tolerance", 50*time.Millisecond, "how far from the frame time a sensor's message may be")
	f.Float64Var(&o.KeyframeHz, "keyframe-hz", 2, "nuScenes keyframe (sample) rate; frames in between are sweeps")
	f.StringArrayVar(&o.Clocks, "clock", nil, "NAME=OFFSET[,PPM]: a known clock model of sensor NAME (repeatable)")
	f.StringVar(&o.Ego, "ego", "auto", "ego-motion source: auto, odometry, tf or none")
	f.BoolVar(&o.Force, "force", false, "write into a non-empty output folder")
	f.BoolVar(&o.Resume, "resume", false, "continue a killed run (frames and kitti formats)")
	return c
}

// fuseSummary is what fuse reports at the end (--json prints it).
type fuseSummary struct {
	Log          string             `json:"log"`
	Format       string             `json:"format"`
	Output       string             `json:"output"`
	Frames       int                `json:"frames"`
	Completeness map[string]float64 `json:"completeness"`
	Deskew       map[string]int     `json:"deskew"`
	EgoSource    map[string]int     `json:"ego_source"`
	CalibSource  map[string]string  `json:"calibration_source"`
	Seconds      float64            `json:"seconds"`
}

// countingSink passes frames on and keeps the summary's statistics.
type countingSink struct {
	fusion.Sink
	sum     *fuseSummary
	present map[string]int
	prog    *progress
}

func (s *countingSink) Write(ctx context.Context, f *fusion.Frame) error {
	s.sum.Frames++
	for _, st := range f.Sensors {
		if !st.Missing {
			s.present[st.Name]++
		} else if _, ok := s.present[st.Name]; !ok {
			s.present[st.Name] = 0
		}
	}
	if f.Lidar != nil {
		s.sum.Deskew[f.Lidar.Deskew]++
	}
	s.sum.EgoSource[f.EgoSource]++
	s.prog.Set(int64(s.sum.Frames))
	return s.Sink.Write(ctx, f)
}

func parseClocks(specs []string) (map[string]clock.Model, error) {
	out := map[string]clock.Model{}
	for _, s := range specs {
		name, val, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return nil, usageError{fmt.Errorf("--clock %q: want NAME=OFFSET[,PPM]", s)}
		}
		m, err := clock.ParseModel(val)
		if err != nil {
			return nil, usageError{fmt.Errorf("--clock %q: %w", s, err)}
		}
		out[name] = m
	}
	return out, nil
}

func runFuse(ctx context.Context, g *globalOptions, o fuseOptions, path string) error {
	if o.Out == "" {
		return usageError{errors.New("fuse: -o OUT is required")}
	}
	clocks, err := parseClocks(o.Clocks)
	if err != nil {
		return err
	}
	switch o.Ego {
	case "auto", "odometry", "tf", "none":
	default:
		return usageError{fmt.Errorf("fuse: --ego %q: want auto, odometry, tf or none", o.Ego)}
	}
	start := time.Now()
	r, err := mcapio.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	cal, err := fusion.ReadCalibration(ctx, r, o.Frame)
	if err != nil {
		return err
	}
	sink, closeOut, err := openFuseSink(o, cal)
	if err != nil {
		return err
	}
	sum := &fuseSummary{Log: path, Format: o.Format, Output: o.Out, Completeness: map[string]float64{},
		Deskew: map[string]int{}, EgoSource: map[string]int{}, CalibSource: cal.Source}
	cs := &countingSink{Sink: sink, sum: sum, present: map[string]int{}, prog: newProgress(g, "fusing", -1)}
	p := &fusion.Pipeline{Reader: r, BaseFrame: o.Frame, Reference: o.Reference, Tolerance: o.Tolerance,
		Clocks: clocks, Ego: o.Ego, Calibration: cal}
	runErr := p.Run(ctx, cs)
	cs.prog.Finish()
	closeErr := sink.Close()
	if closeOut != nil {
		closeErr = errors.Join(closeErr, closeOut(runErr == nil && closeErr == nil))
	}
	if err := errors.Join(runErr, closeErr); err != nil {
		return err
	}
	for name, n := range cs.present {
		if sum.Frames > 0 {
			sum.Completeness[name] = float64(n) / float64(sum.Frames)
		}
	}
	sum.Seconds = time.Since(start).Seconds()
	if g.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	printFuse(g, sum)
	return nil
}

// openFuseSink opens the writer of o.Format. For a single-file output it
// also returns a finish function that moves the temporary file into place
// when the run succeeded (ok) and removes it otherwise.
func openFuseSink(o fuseOptions, cal *fusion.Calibration) (fusion.Sink, func(ok bool) error, error) {
	// The reference LiDAR's extrinsic, for formats that store clouds in the
	// sensor frame.
	var lidar *se3.Transform
	var imu *se3.Transform
	radars := map[string]se3.Transform{}
	topics := make([]string, 0, len(cal.Sensors))
	for t := range cal.Sensors {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	for _, topic := range topics {
		s := cal.Sensors[topic]
		T, ok := cal.Extrinsics[s.Name]
		if !ok {
			continue
		}
		switch s.Modality {
		case formats.Lidar:
			if lidar == nil && (o.Reference == "" || o.Reference == topic) {
				t := T
				lidar = &t
			}
		case formats.IMUModality:
			if imu == nil {
				t := T
				imu = &t
			}
		case formats.Radar:
			radars[s.Name] = T
		}
	}
	switch o.Format {
	case "frames":
		w, err := frames.New(o.Out, frames.Options{Force: o.Force, Resume: o.Resume})
		return w, nil, err
	case "kitti":
		w, err := kitti.New(o.Out, kitti.Options{Force: o.Force, Resume: o.Resume, Lidar: lidar, IMU: imu})
		return w, nil, err
	case "nuscenes":
		if o.Resume {
			return nil, nil, usageError{errors.New("fuse: --resume is not supported for nuscenes yet")}
		}
		opts := nuscenes.Options{KeyframeHz: o.KeyframeHz, BaseRadar: radars, Force: o.Force, EgoFrame: o.Frame}
		if lidar != nil {
			opts.BaseLidar = *lidar
		} else {
			opts.BaseLidar = se3.Identity()
		}
		w, err := nuscenes.New(o.Out, opts)
		return w, nil, err
	case "mcap":
		if o.Resume {
			return nil, nil, usageError{errors.New("fuse: --resume is not supported for mcap")}
		}
		if _, err := os.Stat(o.Out); err == nil && !o.Force {
			return nil, nil, fmt.Errorf("fuse: %s exists (use --force to overwrite)", o.Out)
		}
		tmp := o.Out + ".tmp"
		f, err := os.Create(tmp)
		if err != nil {
			return nil, nil, err
		}
		w, err := foxmcap.New(f, foxmcap.Options{Extrinsics: cal.Extrinsics})
		if err != nil {
			f.Close()
			os.Remove(tmp)
			return nil, nil, err
		}
		return w, func(ok bool) error {
			err := f.Close()
			if !ok || err != nil {
				return errors.Join(err, os.Remove(tmp))
			}
			return os.Rename(tmp, o.Out)
		}, nil
	}
	return nil, nil, usageError{fmt.Errorf("fuse: --format %q: want frames, nuscenes, mcap or kitti", o.Format)}
}

func printFuse(g *globalOptions, s *fuseSummary) {
	fmt.Fprintf(g.stdout, "fused %d frames of %s into %s (%s) in %.1f s\n", s.Frames, s.Log, s.Output, s.Format, s.Seconds)
	names := make([]string, 0, len(s.Completeness))
	for n := range s.Completeness {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(g.stdout, "completeness:")
	for _, n := range names {
		fmt.Fprintf(g.stdout, "  %-24s %6.1f%%\n", n, 100*s.Completeness[n])
	}
	fmt.Fprintf(g.stdout, "deskew: %v   ego: %v\n", s.Deskew, s.EgoSource)
	if len(s.CalibSource) > 0 {
		keys := make([]string, 0, len(s.CalibSource))
		for k := range s.CalibSource {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintln(g.stdout, "calibration (from the log):")
		for _, k := range keys {
			fmt.Fprintf(g.stdout, "  %-24s %s\n", k, s.CalibSource[k])
		}
	}
}
