// Package fused is the frame model of rigsync: what a fused frame holds
// (Frame, with its LiDAR Cloud, RadarCloud, Cameras and their
// Projections, and a SensorStatus per sensor) and where frames go (Sink).
//
// It is a leaf: it imports only formats and calib/se3, so the writers
// (fusion/writers/...), the calibration checks (calib/check/edge) and the
// apps read frames without depending on the pipeline that makes them
// (package fusion, offline, and fusion/live).
//
// The Frame methods here are the small steps every producer of frames
// shares: GrowLidar and Cloud.Grow make room for a LiDAR's points,
// RadarSource registers a radar, SensorStatus.AddNote appends a note, and
// CheckFrame is what every writer checks before writing a frame.
package fused
