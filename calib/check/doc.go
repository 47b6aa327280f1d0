// Package check validates a rig's calibration on recorded data: for each
// sensor pair it scores the current extrinsic (LiDAR–camera edge alignment,
// LiDAR–LiDAR ICP, radar–LiDAR surface distance, hand-eye motion
// consistency), searches nearby extrinsics for a better one, gives a verdict
// with the suggested correction, and scores time windows so that a
// calibration that changed mid-log is found and dated.
package check
