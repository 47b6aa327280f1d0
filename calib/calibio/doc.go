// Package calibio reads and writes calibration files in the formats robot
// teams already have, converting each once to one representation:
// cameras (model, intrinsics, distortion) and extrinsics T_parent_child.
//
// Supported (read and write; Read detects the format from the content):
//
//	ros_camera_info   camera_calibration_parsers YAML (image_width, camera_matrix{rows,cols,data}, ...)
//	ros_camerainfo_msg a sensor_msgs/CameraInfo dumped as YAML (height, width, D, K, R, P); Apollo intrinsics
//	kalibr            Kalibr camchain / camchain-imucam YAML (T_cam_imu, T_cn_cnm1, timeshift_cam_imu)
//	kalibr_imu        Kalibr imu.yaml (noise densities, random walks, update rate)
//	kitti_raw         KITTI raw calib_cam_to_cam.txt (K_xx, D_xx, R_xx, T_xx, R_rect_xx, P_rect_xx)
//	kitti_rigid       KITTI raw calib_velo_to_cam.txt / calib_imu_to_velo.txt (R, T)
//	kitti_odometry    KITTI odometry calib.txt (P0..P3, Tr, optional Tr_imu; OpenCalib's D)
//	nuscenes          nuScenes calibrated_sensor.json (rotation w,x,y,z; T_ego_sensor)
//	nuscenes_sensor   nuScenes sensor.json (token, channel, modality); see NuScenesJoin
//	opencv            OpenCV FileStorage YAML (%YAML:1.0, !!opencv-matrix)
//	autoware          Autoware sensor_kit_calibration.yaml / sensors_calibration.yaml (x,y,z,roll,pitch,yaw)
//	apollo_extrinsics Apollo *_extrinsics.yaml (TransformStamped, rotation x,y,z,w)
//	opencalib         OpenCalib JSON (intrinsic cam_K/cam_dist, "A-to-B" extrinsic sensor_calib)
//
// Conventions are converted at the boundary and each one is tested: Kalibr
// T_cam_imu maps IMU points into the camera (stored as T_imu_cam = its
// inverse, with imu as parent); KITTI Tr_velo_to_cam is T_cam_velo;
// nuScenes records are T_ego_sensor with a w,x,y,z quaternion; OpenCalib
// "A-to-B" is T_B_A; Autoware and Apollo are T_parent_child (Autoware's
// children are camera_link body frames, not optical frames).
//
// It also reads the numeric tables calibration tools exchange as CSV:
// points (x,y,z), pixel correspondences (X,Y,Z,u,v) and pose tracks
// (x,y,z,qx,qy,qz,qw) with ReadRows, ReadPointsFile and ReadPosesFile.
package calibio
