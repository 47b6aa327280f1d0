package main

import (
	"context"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/writers"
	"github.com/rigsync/rigsync/fusion/writers/all"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
	"github.com/rigsync/rigsync/internal/app/labelsapp"
)

func newFuseCommand(g *globalOptions) *cobra.Command {
	var o fuseapp.Flags
	reg := all.Formats()
	c := &cobra.Command{
		Use:   "fuse LOG [LOG2 ...] -o OUT",
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

Several logs of one drive (split recordings, one log per sensor group, in
any mix of formats: a .bag of LiDAR with an .mcap of cameras) are merged in
log-time order; a topic in several logs is one stream.

Calibration comes from the log's /tf_static and camera infos; --rig
rig.yaml overrides it item by item (extrinsics, intrinsics, clock models;
"rigsync rig init LOG.mcap > rig.yaml" drafts one). --rig also takes any
calibration file "rigsync calib show" reads (Kalibr camchain, Autoware
sensor_kit, ROS camera_info, Apollo, OpenCalib, KITTI, nuScenes, OpenCV),
or several (repeat --rig or separate with commas), merged into one rig:
frames relative to another (Kalibr T_cn_cnm1, T_cam_imu; Autoware
parent/child) are composed into --frame, an Autoware camera_link gets its
optical frame <prefix>camera_optical_link, and the same item given
differently by two files is an error naming both. File frames are matched
to the log's sensors by frame id; --map FILE_FRAME=SENSOR renames the
others (Kalibr cam0, Autoware names); what stays unmapped, or cannot reach
--frame, is listed in the warnings (and "unmapped" in --json). The summary
says which item came from where (rig.yaml, the file, or the topic). A camera's rig.yaml
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

` + fuseapp.FormatsHelp(reg) + `
Labels: --labels FILE carries 3D box labels (rigsync labels JSON, e.g.
from "fixtures generate --labels" or "labels sync", or a nuScenes folder)
into the output. A labelled frame goes to the fused frame whose stamp (the
reference LiDAR sweep's reference time) is nearest, within half the
labels' smallest frame spacing (50 ms at most); labelled frames that match
no fused frame are listed in the summary ("labels"/"unmatched_frames" in
--json) and a warning. Boxes are written in each format's own convention:
frames: frame.json "labels" (rigsync labels JSON boxes in --frame) and per
camera "labels_2d" (the 8 corners projected with the camera's calibration,
bounding rectangle clipped to the image; boxes with a corner behind the
camera skipped); nuscenes: sample_annotation, instance, category,
attribute for the keyframes (global frame, size w l h, rotation w x y z,
num_lidar_pts / num_radar_pts counted in the frame's clouds); kitti:
label_2/NNNNNN.txt (rectified image_2 camera frame, bottom centre,
rotation_y, h w l; 2D box from P2, truncated from clipping, occluded 3 =
unknown); mcap: /labels foxglove.SceneUpdate cubes in --frame (quaternion
x y z w) and /<camera>/labels ImageAnnotations rectangles; cvat, segments,
xtreme1: their cuboids. Without --labels every output is unchanged.

A non-empty output folder is refused unless --force; --resume continues a
killed run (every format, as its --resume line above says) without losing
or duplicating frames. The resumed output equals an uninterrupted run's,
byte for byte. A run records what it was started with in
OUT/.rigsync-run.json (OUT.rigsync-run.json for --format mcap) until it
completes: the SHA-256 of every log and --rig file, every option that
changes the output (not --workers) and rigsync's version. --resume
refuses (exit 2) a run whose record differs, saying what differs
("input 1 differs (log: was a.mcap sha256 …, now b.mcap sha256 …);
option --format: was "nuscenes", now "kitti""), and a partial output
without a record (a completed run); an output not started yet is started. The input is never modified, --force or not.

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
--strict), 1 error, 2 usage error, 3 an input log was damaged, with --strict.

` + selectionHelp + ` In fuse, --sensors selects the LiDARs, cameras
and radars grouped into frames; the IMU, ego-motion and camera-info topics
are read unless --exclude names them.

` + logsHelp,
		Example: `  rigsync fuse drive.mcap -o out/
  rigsync fuse lidar.bag cameras.mcap -o out/   # one drive in two logs, two formats
  rigsync fuse rosbag2_drive/ -o out/            # a rosbag2 folder (.db3 or .mcap storage)
  rigsync fuse drive.bag --start +60s --end +70s --exclude radar_front -o clip/
  rigsync fuse drive.mcap --format nuscenes --keyframe-hz 2 -o nusc/
  rigsync fuse drive.mcap --format mcap -o fused.mcap --clock cam_front=-25ms
  rigsync fuse drive.mcap --format xtreme1 -o upload/   # zip it, upload it to Xtreme1

  # two logs of one drive (cameras recorded apart), calibration from a rig file
  rigsync rig init drive_lidar.mcap > rig.yaml   # then edit it
  rigsync fuse drive_lidar.mcap drive_cams.mcap --rig rig.yaml -o out/

  # calibration from the files the calibration tools wrote
  rigsync fuse drive.mcap --rig camchain.yaml,sensor_kit_calibration.yaml --rig cam_back.yaml \
    --map cam0=cam_front --map cam1=cam_front_left -o out/

  # estimate the sensor clocks first; the camera driver's latency is 30 ms
  rigsync fuse drive.mcap --clock auto --latency cam_front=30ms -o out/ --json | jq .clocks

  # GNSS as the ego source, world = ENU plane at a surveyed origin
  rigsync fuse drive.mcap --ego gnss --gnss-origin 48.137,11.575,519 -o out/

  # continue a killed nuScenes export (same inputs and options), on 4 cores
  rigsync fuse drive.mcap --format nuscenes -o nusc/ --resume --workers 4

  # carry 3D box labels into a nuScenes export
  rigsync fixtures generate --duration 3s -o drive.mcap --labels
  rigsync fuse drive.mcap --labels drive.labels.json --format nuscenes -o nusc/

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
	f.StringArrayVar(&o.Rig, "rig", nil, "rig.yaml, or calibration files of any format rigsync reads (repeatable, or comma-separated), whose extrinsics, intrinsics and clocks override the log's")
	f.StringArrayVar(&o.Map, "map", nil, "FILE_FRAME=SENSOR: the log sensor (frame id) a frame of the --rig files is (repeatable, or comma-separated)")
	f.BoolVar(&o.ScaleIntr, "scale-intrinsics", false, "scale rig.yaml intrinsics calibrated at another image size to the images (default: a size mismatch is an error)")
	f.BoolVar(&o.NoProjections, "no-projections", false, "do not project LiDAR points into the cameras: no .proj.bin sidecars (frames), no /<camera>/lidar ImageAnnotations (mcap); --format mcap then takes about half the CPU and 60% of the file")
	f.StringVar(&o.Ego, "ego", "auto", "ego-motion source: auto, odometry, gnss, tf or none")
	f.StringVar(&o.GNSSOrigin, "gnss-origin", "", "LAT,LON,ALT (deg, deg, m): origin of the ENU world frame for --ego gnss (default: the first fix)")
	f.BoolVar(&o.Register, "register", false, "without an ego source, register consecutive sweeps and deskew with that motion (constant velocity)")
	f.IntVar(&o.ImageCheck, "image-check-every", fusion.DefaultImageCheckEvery, "decode and check every Nth image of a camera for black/saturated/flat (0: never)")
	f.BoolVar(&o.Force, "force", false, "write into a non-empty output folder")
	f.BoolVar(&o.Resume, "resume", false, "continue a killed run (refused when its inputs, options or rigsync version differ)")
	f.IntVar(&o.Workers, "workers", runtime.NumCPU(), "goroutines projecting and encoding frames, and compressing MCAP chunks for --format mcap (the output is the same for any number)")
	f.StringVar(&o.URLPrefix, "url-prefix", "", "--format segments: prepended to each asset's relative path to form its URL in sample.json (e.g. s3://bucket/run1/)")
	f.StringVar(&o.KITTICamera, "kitti-camera", "", "--format kitti: the camera written as image_2/P2 (default: the one looking most nearly along +x of --frame)")
	f.StringVar(&o.Labels, "labels", "", "3D box labels carried into the output: a rigsync labels JSON file (fixtures generate --labels, labels sync) or a nuScenes folder (see Labels above)")
	f.StringVar(&o.LabelsFormat, "labels-format", "auto", "--labels format: "+strings.Join(labelsapp.Formats, ", ")+" (auto: a folder is nuScenes, a file rigsync labels JSON)")
	f.BoolVar(&o.Strict, "strict", false, "exit with code 3 when an input log is truncated or damaged (what could be read is still fused)")
	addSelectionFlags(f, &o.Start, &o.End, &o.Sensors, &o.Exclude)
	return c
}

// runFuse runs fuse on the logs at paths and prints its summary (also
// when --strict fails the run on damaged input).
func runFuse(ctx context.Context, g *globalOptions, o fuseapp.Flags, paths []string) error {
	ao, err := o.Options()
	if err != nil {
		return err
	}
	ao.Progress = func(stage, unit string, total int64) fuseapp.Progress { return newUnitProgress(g, stage, unit, total) }
	sum, err := fuseapp.Run(ctx, ao, paths)
	if sum == nil {
		return err
	}
	if g.JSON {
		if err := writeJSON(g.stdout, sum); err != nil {
			return err
		}
	} else {
		fuseapp.WriteText(g.stdout, sum)
	}
	return err
}
