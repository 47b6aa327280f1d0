// Package kitti writes fused frames (fusion.Frame) in the KITTI object /
// odometry layout that mmdetection3d, OpenPCDet and most KITTI loaders read:
//
//	OUT/velodyne/NNNNNN.bin     float32 x y z intensity per point, little-endian
//	OUT/image_0N/NNNNNN.png|jpg camera N (compressed images as recorded,
//	                            raw images encoded to PNG)
//	OUT/calib/NNNNNN.txt        P0..P3, R0_rect, Tr_velo_to_cam, Tr_imu_to_velo
//	OUT/timestamps.txt          one "YYYY-MM-DD HH:MM:SS.nnnnnnnnn" UTC line per frame
//	OUT/rigsync_kitti.json      the choices below, camera order and distortion
//	OUT/manifest.jsonl          rigsync's resume manifest (one line per frame)
//
// NNNNNN is the frame's Index. Camera N is the N-th name of
// Options.Cameras, or else the order in which cameras first appear.
//
// Frames: KITTI wants the velodyne points in the LiDAR sensor frame, while a
// fusion.Frame has them in FrameID (base_link), and the Frame does not carry
// the LiDAR extrinsic. With Options.Lidar = T_<FrameID>_<lidar> the points
// are mapped into the LiDAR frame with its inverse; without it the
// "velodyne" frame is FrameID itself, which rigsync_kitti.json states, and
// the calibration stays consistent either way (Tr_velo_to_cam maps
// whichever frame the .bin is in).
//
// Calibration: camera 0 is the reference. R0_rect is the identity (images
// are not rectified), Tr_velo_to_cam = T_cam0_velo, P_N = K_N·[R|t] of
// T_camN_cam0, so P_N·R0_rect·Tr_velo_to_cam·X_velo projects into image N
// as in KITTI. Tr_imu_to_velo = T_velo_imu with Options.IMU = T_<FrameID>_imu
// (the identity when unset). KITTI has no distortion field: distorted images
// are written as recorded and their coefficients go to rigsync_kitti.json.
// More than four cameras give P4, P5, ... lines after P3.
//
// Output safety is that of package outdir (temporary names and renames,
// Force, Resume from manifest.jsonl). timestamps.txt and rigsync_kitti.json
// are written by Close from the manifest, so a resumed run ends with the same
// files as an uninterrupted one. Resume expects the same frame stream from
// its start (camera order and calibration are taken from the frames seen).
package kitti
