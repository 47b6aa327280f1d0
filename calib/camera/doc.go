// Package camera implements the camera models calibration files use —
// pinhole with plumb_bob / radial-tangential or rational-polynomial
// distortion, equidistant (Kannala–Brandt, OpenCV fisheye), Kalibr's
// double sphere and the enhanced unified camera model (EUCM) — with
// projection, analytic Jacobians, unprojection iterated to convergence,
// explicit validity and undistortion maps.
//
// Points are in the camera optical frame (x right, y down, z forward).
// Pixels follow OpenCV/ROS: (0,0) is the centre of the top-left pixel, u
// right, v down.
//
// Validity is explicit: Project reports ok=false for a point behind the
// camera (pinhole models: z <= 0) or outside the field of view over which
// the model is a one-to-one mapping (past the radius where the distortion
// polynomial folds back, or past the double-sphere validity cone). The
// pixel is still computed when it is defined, so callers can show it.
package camera
