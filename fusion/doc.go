// Package fusion turns a drive log into fused, annotation-ready frames:
// Pipeline reads logs (formats/logfile: MCAP, ROS 1 bags, rosbag2), corrects sensor
// clocks (sync/clock models), groups every sensor around the reference
// LiDAR sweep (sync/match reference policy), and per frame transforms and
// deskews every cloud into the shared frame, compensates radar Doppler for
// ego motion, places each camera at its own exposure time and projects the
// LiDAR points into it, and records what each sensor contributed. Frames go
// (package fusion/fused) to a fused.Sink; the writers live in fusion/writers.
//
// Engine is the frame assembly on its own: grouped sets in, frames out,
// fed with the ego-motion, IMU and camera-info messages. Pipeline is
// reading, clock correction and sync/match grouping in front of an
// Engine; the live Fuser (fusion/live) is watermark grouping in front of
// the same Engine, so live and offline frames are assembled alike.
//
// Inputs. Pipeline.Logs are the logs of one drive, each opened by
// formats/logfile whatever its format (Pipeline.Reader and Readers take
// MCAP readers and wrap them), with Names naming them in errors. The run
// reads them twice. First the calibration pass (ReadCalibrations):
// /tf_static, the camera infos and each sensor topic's first message,
// read through each log's index for those topics only, stopping as soon
// as it has them; a second read rather than one pass so that the plan
// (which topics are grouped, the reference LiDAR, the modalities a first
// message tells) is known before the first set is fused, with no
// buffering of the messages that come before the calibration. Then the
// fusion pass: each log's Source (only the topics the run uses decoded,
// within Pipeline.Start/End), merged in log-time order by formats.Merge (a
// streaming k-way merge, ties to the earlier log; a topic in several logs
// is one stream). The plan comes from each log's catalog
// (formats.TopicInfo: topic, type, recording order), and the damage found
// while reading from each log's warnings (InputProblems).
//
// Calibration. ReadCalibration (ReadCalibrations for several logs) reads
// /tf_static and the camera infos; CalibrationFromRig converts a rig.yaml
// (calib/rig) and Calibration.Override lays it over the log's, item by
// item. Calibration.Source records where each item came from. Camera
// intrinsics from a rig file stay in force over the log's CameraInfo
// messages and are checked against the images' size (IntrinsicsGuard,
// Pipeline.ScaleIntrinsics, ScaleCameraInfo); Pipeline.Warnings says where
// the log disagrees.
//
// Clocks. Pipeline.Clocks and Pipeline.Repairs correct sensor stamps;
// EstimateClocks is the first pass that estimates them from the log
// (sync/clock, as "rigsync sync" does).
//
// Ego motion and deskew. The ego pose comes from odometry, GNSS (ENU plane
// at Pipeline.GNSSOrigin or the first fix; position minus the antenna lever
// arm, heading from the fitted course held by the gyro), /tf, or nothing.
// Within a sweep the rotation comes from the IMU gyro when there is one
// (its bias estimated against the ego track), the translation from the ego
// track; Cloud.Deskew names what was used.
//
// Quality. Sensors are flagged degraded for a near-empty sweep, a radar
// scan with no detections, or a black, saturated or flat image
// (CheckImage, run on every Pipeline.ImageCheckEvery-th image and on every
// suspiciously small one).
package fusion
