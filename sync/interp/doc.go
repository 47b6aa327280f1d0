// Package interp gives the pose of a moving frame (from IMU orientation,
// odometry or pose messages) at any time, with the semantics of tf2's
// BufferCore: linear interpolation of the translation, shortest-path slerp
// of the rotation, an error instead of extrapolation, and a bounded cache.
//
// Times are int64 nanoseconds on one clock (correct sensor clocks first).
package interp
