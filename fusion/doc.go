// Package fusion will turn synchronized, calibrated sensor sets into fused,
// annotation-ready frames (issue 6: rigsync fuse with nuScenes, frames,
// Foxglove MCAP and KITTI writers). It holds no code yet; the stages it
// builds on are formats (ingest), sync (time alignment) and calib
// (calibration).
package fusion
