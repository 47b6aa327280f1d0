// Package nuscenes writes fused frames in the nuScenes v1.0 dataset layout,
// as the nuScenes devkit loads it:
//
//	<dir>/<version>/{attribute,calibrated_sensor,category,ego_pose,instance,
//	                 log,map,sample,sample_annotation,sample_data,scene,
//	                 sensor,visibility}.json
//	<dir>/samples/<CHANNEL>/<log>__<CHANNEL>__<µs>.{pcd.bin,pcd,jpg}  (keyframes)
//	<dir>/sweeps/<CHANNEL>/...                                      (sweeps)
//	<dir>/maps/<token>.png                                          (blank mask)
//
// Conventions (nuScenes', not rigsync's): quaternions are [w, x, y, z];
// calibrated_sensor is the sensor pose in the ego frame (T_ego_sensor) and
// ego_pose the ego pose in the global frame (T_world_ego); timestamps are µs;
// LiDAR points are stored in the LiDAR frame as 5 little-endian float32 per
// point (x y z intensity ring); radar detections in the radar frame as an
// 18-field binary PCD v0.7; cameras as undistorted JPEGs in the optical frame
// (x right, y down, z forward) with a 3×3 camera_intrinsic.
//
// The Frame's shared frame (Frame.FrameID) is taken as the ego frame. Sensor
// extrinsics T_ego_sensor for LiDARs and radars come from Options (the Frame
// holds their data already in the ego frame, so the writer transforms back);
// camera extrinsics come from Camera.Extrinsic (the static calibration;
// Camera.BaseCamera when it is unset), and the motion to the camera's time
// from the ego pose at the camera's stamp.
//
// Every sample_data gets its own ego_pose record (same token) at that
// sensor's own stamp, from the frame's ego source (odometry, GNSS or /tf),
// the same pose the frames output and rigsync's projections use: the
// LiDAR's is Frame.Ego (the cloud is deskewed to Frame.Stamp); a camera's
// is Frame.Ego · Camera.BaseCamera · Camera.Extrinsic⁻¹, the pose
// BaseCamera folds in; a radar's is RadarCloud.Ego of that radar, and its
// detections are written in the radar frame at its own stamp (the frame's
// motion compensation undone), so the devkit's chain (sensor → ego at the
// sensor's time → global → ego at the camera's time → camera) lands every
// point where rigsync's own projection does. Without an ego source every
// ego_pose is Frame.Ego.
//
// With 3D labels (fused.Frame.Labels, fuse --labels) the keyframes'
// boxes fill sample_annotation, instance, category and attribute
// (formats/labels.NuScenesTables): global frame by the keyframe's ego
// pose, size w l h, rotation w x y z, num_lidar_pts and num_radar_pts
// counted in the frame's fused cloud and radar detections; the sweeps'
// labels are not written (nuScenes annotates samples only) and
// visibility stays empty.
//
// Files are written under a temporary name and renamed; tables are written
// by Close. A non-empty output directory is refused unless Options.Force or
// Options.Resume. Once every file of a frame is in place the frame is
// appended to rigsync_manifest.jsonl; a resumed run (same frames) rebuilds
// every record in memory, writes only the frames the manifest does not
// list, and writes the tables at Close, so its output equals an
// uninterrupted run's. The Writer implements parallelsink.Staged: records are
// made in frame order, files encoded (JPEG undistortion included) in
// parallel.
package nuscenes
