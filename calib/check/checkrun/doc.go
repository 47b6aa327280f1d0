// Package checkrun runs the calibration check of a log: it streams the log
// once through fusion.Pipeline with the calibration under test (the log's
// /tf_static and camera infos, or a rig file), hands every fused frame to
// per-pair checkers (LiDAR–camera edge alignment from package edge,
// LiDAR–LiDAR ICP, radar–LiDAR surface distance, LiDAR hand-eye motion
// consistency) and gathers their results into a check.Report. Fix applies
// a report's corrections to a rig.
//
// Conventions: every time is int64 ns on the reference LiDAR's clock (the
// report's Clock); every correction C is in the checked sensor's own frame,
// T_base_sensor(fixed) = T_base_sensor(current)·C (see check.PairResult).
package checkrun
