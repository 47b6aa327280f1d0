// Package kitti writes fused frames (fusion.Frame) in the KITTI object /
// odometry layout that mmdetection3d, OpenPCDet and most KITTI loaders read:
//
//	OUT/velodyne/NNNNNN.bin     float32 x y z intensity per point, little-endian
//	OUT/image_N/NNNNNN.png|jpg  camera number N (image_2 = the reference
//	                            camera); see "Images" below
//	OUT/calib/NNNNNN.txt        P0..P3, R0_rect, Tr_velo_to_cam, Tr_imu_to_velo
//	                            (then P4, P5, ... with more than four cameras)
//	OUT/timestamps.txt          one "YYYY-MM-DD HH:MM:SS.nnnnnnnnn" UTC line per frame
//	OUT/rigsync_kitti.json      the choices below, camera numbers and distortion
//	OUT/manifest.jsonl          rigsync's resume manifest (one line per frame)
//
// NNNNNN is the frame's Index.
//
// Camera numbers: KITTI tools (the devkit, mmdetection3d, OpenPCDet) read
// image_2 and P2 as the reference camera (the front left colour camera),
// some also image_3 / P3. The reference camera is numbered 2: the camera
// named by Options.Reference, or else the camera whose optical axis is
// nearest to FrameID's +x (base_link: forward). The other cameras are
// sorted by the angle between their optical axis and the reference's and
// numbered 3, 0, 1, 4, 5, ... in that order, so image_3 is the camera
// looking most nearly the same way (a stereo partner). Equal angles (to
// 1e-6 rad) put the more left camera (larger FrameID y) first, then the
// name. The numbers are fixed when the writer first learns of the cameras
// (Options.Cameras, else the first frame with a camera); a camera first
// seen later takes the next number.
//
// Frames: KITTI wants the velodyne points in the LiDAR sensor frame, while a
// fusion.Frame has them in FrameID (base_link), and the Frame does not carry
// the LiDAR extrinsic. With Options.Lidar = T_<FrameID>_<lidar> the points
// are mapped into the LiDAR frame with its inverse; without it the
// "velodyne" frame is FrameID itself, which rigsync_kitti.json states, and
// the calibration stays consistent either way (Tr_velo_to_cam maps
// whichever frame the .bin is in).
//
// Calibration: R0_rect is the identity, Tr_velo_to_cam = T_cam2_velo
// (the reference camera's optical frame), P_N = K_N·[R|t] of T_camN_cam2,
// so P_N·R0_rect·Tr_velo_to_cam·X_velo is the pixel of X_velo in
// image_N, for every N (P2 = K_2·[I|0]). Unlike KITTI's the cameras are
// not stereo-rectified: P_N of a camera other than 2 holds its rotation
// relative to camera 2. Tr_imu_to_velo = T_velo_imu with Options.IMU =
// T_<FrameID>_imu (the identity when unset). Readers that take calib
// lines by position (P2 = line 2, R0_rect = line 4, Tr_velo_to_cam = line
// 5) find them there: P4, P5, ... of a fifth camera and on follow
// Tr_imu_to_velo. With fewer than four cameras a number without a camera
// repeats P2 (no image_N folder is written for it); a camera whose
// intrinsics are not known yet gets a zero P line and a manifest note.
//
// Images: KITTI has no distortion field and its P matrices describe ideal
// pinhole images, so the image of a camera with non-zero distortion
// coefficients is undistorted to the pinhole with the camera's K (the same
// maps as the nuScenes writer's), JPEGs re-encoded as JPEG at
// Options.JPEGQuality, other images as PNG; images without distortion are
// written as recorded (compressed) or as PNG (raw). rigsync_kitti.json
// keeps each camera's original model and coefficients and says which were
// undistorted.
//
// With 3D labels (fused.Frame.Labels, fuse --labels) each frame also gets
// label_2/NNNNNN.txt (formats/labels.WriteKITTILabels with the frame's
// calib): boxes moved into the velodyne frame, then the rectified image_2
// camera; bottom-face centre, rotation_y, h w l; 2D box from P2 clipped to
// image_2, truncated the fraction clipped off, occluded 3 (unknown).
//
// Output safety is that of package outdir (temporary names and renames,
// Force, Resume from manifest.jsonl). timestamps.txt and rigsync_kitti.json
// are written by Close from the manifest, so a resumed run ends with the same
// files as an uninterrupted one. Resume expects the same frame stream from
// its start (camera order and calibration are taken from the frames seen).
package kitti
