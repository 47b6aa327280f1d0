package main

import (
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/internal/app/fixturesapp"
)

func newFixturesCommand(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:   "fixtures",
		Short: "Synthetic drive logs with ground truth",
		Long: `fixtures simulates a sensor rig driving through a simple world and writes
what its sensors record as an MCAP log, beside a truth file holding
everything that is true about it.`,
		// A missing or unknown subcommand is a usage error (setupContract).
	}
	root.AddCommand(newFixturesGenerateCommand(g))
	return root
}

func newFixturesGenerateCommand(g *globalOptions) *cobra.Command {
	o := fixturesapp.Flags{Faults: make([][]string, len(fixturesapp.FaultFlags))}
	c := &cobra.Command{
		Use:   "generate -o DRIVE.mcap",
		Short: "Simulate a drive: MCAP log + truth file (intrinsics, extrinsics, clocks, trajectory, faults)",
		Long: `generate simulates a vehicle driving through a world of lane markings, cars,
trucks, poles and buildings, and writes what its sensors record as an MCAP
log (chunked and indexed; ROS 2 CDR with ros2msg schemas, or Foxglove
protobuf with --encoding foxglove), plus DRIVE.truth.json beside it.

Rigs (--preset):
  urban    6 cameras (cam_front, cam_front_left, cam_front_right, cam_back,
           cam_back_left, cam_back_right; 640×400 JPEG, 10 Hz, plumb_bob
           distortion; --fisheye NAME for a fisheye), lidar_top
           (64×1024, 10 Hz), 5 radars (radar_front, radar_front_left,
           radar_front_right, radar_back_left, radar_back_right; 20 Hz),
           imu (200 Hz), wheel_odom (50 Hz), gnss (10 Hz)
  minimal  cam_front (480×300), lidar_top (32×512), imu: quick to generate
--rig FILE replaces the preset's sensors with a JSON rig (the shape of
"config.rig" in any truth file).

Sensors are named by their frame id everywhere: in the fault flags, in the
truth file, and in "rigsync info". Topics are /NAME/image_raw/compressed,
/NAME/camera_info, /NAME/points, /NAME/scan, /NAME/data, /NAME/fix,
/wheel_odom and /tf_static.

The truth file records the true intrinsics and extrinsics (T_base_link_sensor,
quaternions x,y,z,w), every sensor's clock model and sample times, the
trajectory at 100 Hz, the scene primitives and every injected fault with
the messages it touched. Fault times are since the start of the drive.

--labels also writes DRIVE.labels.json (rigsync labels JSON, --labels-file
to rename): the true 3D boxes (cars, trucks, poles within the LiDAR's range)
of every sweep of the first LiDAR, in base_link at the sweep's reference
time (its header stamp's true time), with instance ids (the scene object
ids), class, size (length, width, height), yaw and velocity over ground.
--label-fault SPEC (repeatable, implies --labels) injects a label error;
the truth file's label_faults list each with the object and frames it
changed. SPEC is KIND[=VALUE][@OBJECT][:FROM-TO]:
  shift=DX[,DY[,DZ]]  move the box (m, in its own axes: x forward, y left)
  size=SCALE          scale length, width and height
  yaw=DEG             turn the box
  time=DUR            the box where the object was DUR later (negative: earlier)
  missing             drop the box
  spurious[=CLASS]    a ghost box in free space ahead (default car)
  class_swap[=CLASS]  relabel (default car <-> truck, pole -> car)
  id_switch[=OTHER]   swap ids with OTHER (default: the nearest other vehicle)
OBJECT is a scene object id (default: chosen, a different one per fault);
FROM-TO a window since the start (default: the whole drive).

The output is deterministic: the same flags and --seed give the same bytes.`,
		Example: `  # 20 s of the urban rig
  rigsync fixtures generate --duration 20s -o drive.mcap

  # a small log for a quick try
  rigsync fixtures generate --preset minimal --duration 2s -o small.mcap

  # a camera 25 ms late, a LiDAR drifting 80 ppm, a 1.5 s radar dropout
  rigsync fixtures generate -o faulty.mcap --clock-offset cam_front=25ms \
      --drift lidar_top=80 --dropout radar_front=3s-4.5s

  # degraded sensors: cam_front black from 1 s to 2 s, radar_front with no
  # detections from 2 s to 3 s (fuse flags them "degraded")
  rigsync fixtures generate --duration 4s -o degraded.mcap \
      --degrade cam_front=1s-2s --degrade radar_front=2s-3s:empty

  # /tf_static has the front camera 1° off about its optical axis and 2 cm
  # off to its right (Δ is in the sensor's axes; camera axes are optical:
  # x right, y down, z forward); at 6 s the LiDAR gets knocked 0.5° in pitch
  rigsync fixtures generate -o miscal.mcap --miscalibrate cam_front=0,0,1,0.02,0,0 \
      --knock lidar_top=6s:0,0.5,0,0,0,0

  # true labels, one box 0.5 m off and one annotated 50 ms late from 2 s on
  rigsync fixtures generate --preset minimal --duration 4s -o lab.mcap --labels \
      --label-fault shift=0.5 --label-fault time=50ms:2s`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error { return runFixturesGenerate(cmd, g, o) },
	}
	f := c.Flags()
	f.StringVar(&o.Preset, "preset", "urban", "rig preset: "+strings.Join(fixtures.Presets(), " or "))
	f.StringVar(&o.RigFile, "rig", "", "JSON rig file replacing the preset's sensors")
	f.DurationVar(&o.Duration, "duration", 10*time.Second, "simulated length of the drive")
	f.Uint64Var(&o.Seed, "seed", 1, "random seed (same seed and flags, same bytes)")
	f.StringVarP(&o.Output, "output", "o", "", "the MCAP log to write (required)")
	f.StringVar(&o.Truth, "truth", "", "the truth file (default: the log's name with .truth.json)")
	f.StringVar(&o.Encoding, "encoding", "ros2", "message encoding: ros2 (CDR, ros2msg schemas) or foxglove (protobuf; the IMU stays ROS 2 CDR)")
	f.StringVar(&o.Compression, "compression", "zstd", "chunk compression: zstd, lz4 or none")
	f.Float64Var(&o.Speed, "speed", 10, "mean ego speed in m/s")
	f.StringVar(&o.CameraSize, "camera-size", "", "resolution of every camera, WIDTHxHEIGHT (default: the preset's)")
	f.StringVar(&o.LidarStamp, "lidar-stamp", "", "LiDAR header stamp at sweep start or end (default: the preset's, start)")
	f.BoolVar(&o.RadarCloud, "radar-pointcloud", false, "write radars as sensor_msgs/PointCloud2 instead of radar_msgs/RadarScan")
	f.BoolVar(&o.RawImages, "raw-images", false, "write sensor_msgs/Image rgb8 instead of JPEG CompressedImage")
	f.StringArrayVar(&o.Fisheye, "fisheye", nil, "NAME: make camera NAME a 190° equidistant fisheye (repeatable)")
	f.StringArrayVar(&o.RollingShutter, "rolling-shutter", nil, "NAME=DUR[:bottom_to_top]: give camera NAME a rolling shutter reading its rows out in DUR (e.g. 30ms), top to bottom unless said; the stamp is the first row's mid-exposure (repeatable)")
	f.BoolVar(&o.SecondLidar, "second-lidar", false, "add lidar_rear, a 32-beam LiDAR stamped at sweep end")
	f.BoolVar(&o.TF, "tf", false, "also publish the true odom → base_link on /tf at 50 Hz")
	f.BoolVar(&o.Labels, "labels", false, "also write the true 3D box labels (DRIVE.labels.json)")
	f.StringVar(&o.LabelsFile, "labels-file", "", "the labels file (default: the log's name with .labels.json)")
	f.StringArrayVar(&o.LabelFaults, "label-fault", nil, "KIND[=VALUE][@OBJECT][:FROM-TO]: inject a label error (see above; repeatable, implies --labels)")
	for i, ff := range fixturesapp.FaultFlags {
		f.StringArrayVar(&o.Faults[i], ff.Flag, nil, ff.Usage+" (repeatable)")
	}
	return c
}

func runFixturesGenerate(cmd *cobra.Command, g *globalOptions, o fixturesapp.Flags) error {
	gen, err := fixturesapp.Run(cmd.Context(), o, simulatingProgress(g))
	if err != nil {
		return err
	}
	if !g.JSON {
		fixturesapp.WriteText(g.stdout, gen)
		return nil
	}
	sum, err := gen.Summary()
	if err != nil {
		return err
	}
	return writeJSON(g.stdout, sum)
}

// simulatingProgress starts the progress bar of a fixture simulation.
func simulatingProgress(g *globalOptions) func(d time.Duration) fixturesapp.Progress {
	return func(d time.Duration) fixturesapp.Progress { return newSecondsProgress(g, "simulating", d) }
}
