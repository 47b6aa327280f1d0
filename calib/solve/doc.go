// Package solve estimates extrinsics from correspondences: 3-D–3-D rigid
// alignment (Kabsch / Umeyama, with RANSAC), PnP for any camera model (DLT
// initialisation, Levenberg–Marquardt refinement), hand–eye calibration
// AX = XB (Park–Martin, then nonlinear refinement) and point-to-plane ICP
// with a k-d tree.
//
// Every solver returns a Result: the estimate T (which maps source
// coordinates into the target frame, so T is T_target_source), per-item
// residuals, their RMS, and a 6×6 covariance of the estimate from the
// Gauss–Newton approximation σ²(JᵀJ)⁻¹ at the solution, with σ² estimated
// from the residuals. The covariance is of a left perturbation
// T ← exp(δ)·T with δ = (tx, ty, tz, rx, ry, rz) in metres and radians.
package solve
