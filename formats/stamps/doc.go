// Package stamps reads what clock estimation and grouping need from a log:
// per channel, the header stamp, the log time and (IMU, odometry) the
// angular rate of every stamped message, and the order of all stamped
// messages in the log. Only these are kept in memory, 24 bytes per
// message (stamp, log time, order entry) plus 24 per angular rate.
//
// It is the input of "rigsync sync" (internal/app/syncapp) and of fuse's
// clock pass (fusion.EstimateClocks).
package stamps
