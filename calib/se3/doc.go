// Package se3 is a rigid-body transform (SE(3)) built on gonum's r3.Vec and
// quat.Number, with exact conversions to and from the parameterisations that
// calibration files use.
//
// Conventions, stated once and used at every boundary of rigsync:
//
//   - A Transform named T_a_b is the pose of frame b in frame a: it maps a
//     point expressed in b into a, p_a = R·p_b + t.
//   - Quaternions are Hamilton quaternions. gonum's quat.Number stores
//     Real=w, Imag=x, Jmag=y, Kmag=z; the constructors and accessors name
//     their order (WXYZ or XYZW) because files disagree (nuScenes writes
//     w,x,y,z; ROS, Apollo and Eigen's coeffs() write x,y,z,w).
//   - Roll-pitch-yaw is the URDF / ROS convention: fixed-axis X, then Y,
//     then Z, i.e. R = Rz(yaw)·Ry(pitch)·Rx(roll), angles in radians.
//   - Axis-angle is a rotation vector: direction = axis, norm = angle (rad).
package se3
