// Package edge checks a LiDAR–camera extrinsic on recorded data by edge
// alignment (Levinson & Thrun, "Automatic Online Calibration of Cameras and
// Lasers", RSS 2013): image edges, spread by an inverse distance transform
// D, should coincide with the projections of LiDAR depth discontinuities.
// The score
//
//	J(C) = Σ_frames Σ_points X_p · D(π(C⁻¹ · p))
//
// is evaluated for the current calibration (C = I) and for perturbed ones
// (a coarse rotation grid of ±1°, then a pattern search with shrinking
// steps bounded to ±1.5°), which gives a verdict, the suggested correction
// and its uncertainty (the spread of the optima of interleaved frame
// subsets, each searched over the whole range like the full set). An
// optimum on the bound is a trend of the score (a facade's periodic
// stripes, a scene-wide slope), not an estimate: the optimum nearest the
// current calibration is reported instead, and one that still lies on
// the bound is at most suspicious. The same score against shifted camera
// times (the ego motion between the frames folded into the camera pose)
// checks the camera clock when the vehicle turns enough for a clock error
// to show as a rotation (see minTimeRotDeg; on a straight drive it is a
// forward translation, weakly observed, and is not searched), and
// per-frame scores of ±0.5° probes find and date a calibration that
// changed mid-log (a knocked camera).
//
// Departures from the paper, each found necessary on the synthetic rig
// (fixtures) to reach a 0.1° estimate: the discontinuity is the second
// difference of range along a ring (the paper's one-sided jump flags walls
// seen at grazing angles), points are moved half a firing towards the far
// side (the silhouette lies between the two firings), ranges are measured
// from the LiDAR's position at each firing (it moves 1 m in a sweep at
// 10 m/s), depth edges across rings are added (object tops; they fix the
// vertical image position), the transform decays faster (γ = 0.8) and a
// local mean is subtracted from it (regions dense with edges no longer
// pull points in). Translation and the rotation about the optical axis are
// weakly observed and not searched by default (Options); the rotation
// about the optical axis is searched on its own after the two others when
// Options.SearchImageRotation is set (as calib check does).
//
// Each result lists its degrees of freedom (check.DOF: roll, pitch, yaw
// about the optical x, y, z axes, then x, y, z) with the estimate, a 1σ
// and a status from the score's curvature around the optimum: the
// per-frame scores at ± half the miscalibrated threshold give the summed
// curvature and the spread of the per-frame slopes, whose ratio is a
// sandwich (M-estimator) σ; observed when the threshold is 3σ, weak when
// 1σ. The pitch and the rotation about the optical axis then carry the
// optical roll's uncertainty along the score's ridge (turning the image
// about its centre moves one-sided horizontal edges like a roll; a roll
// on the search bound counts as uncertain up to the miscalibrated
// threshold), a rotation on the search bound is unobservable, and the
// optical-axis σ is at least imageRotationFloorDeg, the score's per-scene
// bias about that axis (see ridgeSigmas). Translation is
// searched only with Options.SearchTranslation;
// otherwise its DOFs are "not searched", with the σ the curvature would
// allow (which, frames being correlated, is optimistic).
//
// Conventions: points are kept in the camera's optical frame (x right,
// y down, z forward) of the current calibration; a correction C is in that
// frame, applied on the right (T_base_camera(fixed) = T_base_camera · C,
// see check.PairResult), as a row-major 4×4 matrix; perturbation angles
// are [roll, pitch, yaw] in degrees about the optical x, y, z axes with
// R = Rz·Ry·Rx. Times are int64 ns on the fused frames' reference clock;
// a camera-time TimeOffsetNs is to be added to the camera's stamps.
//
// Without an ego-motion source (odometry or /tf) the sweeps are not
// motion-compensated and the camera is not moved to the sweep's time, so
// both results are skipped with that reason.
//
// Memory is bounded: at most Options.MaxFrames frames (the transform of the
// image at full resolution as bytes, the discontinuity points and a
// decimated cloud for the overlay) plus a few numbers per frame.
package edge
