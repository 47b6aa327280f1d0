// Package checkapp runs "rigsync calib check": it opens the log(s), streams
// them once through fusion.Pipeline with the calibration under test (the
// log's /tf_static and camera infos, or a rig file), hands every fused frame
// to per-pair checkers (LiDAR–camera edge alignment from package edge,
// LiDAR–LiDAR ICP, radar–LiDAR surface distance, LiDAR hand-eye motion
// consistency) and gathers their results into a check.Report (Run). It then
// writes what the command was asked for besides the report: the HTML page,
// the overlay pictures and a corrected rig (WriteOutputs; Fix applies a
// report's corrections to a rig). Around the run it checks a command line's
// settings (Validate), writes the report's human form (WriteText, with its
// verdict line Summary) and tells whether a gate may pass the report (Gate:
// miscalibrated, suspicious, partial — every scored pair ok but some degree
// of freedom that matters not observed, see check.PairResult.Cover — or
// nothing checked).
// cmd/rigsync keeps the flags, the choice of text or JSON and the exit
// codes.
//
// Conventions: every time is int64 ns on the reference LiDAR's clock (the
// report's Clock); every correction C is in the checked sensor's own frame,
// T_base_sensor(fixed) = T_base_sensor(current)·C (see check.PairResult).
//
// Errors keep the "checkrun: " prefix of the package this one was moved
// from (issue 13), so that the command's error texts are unchanged.
package checkapp
