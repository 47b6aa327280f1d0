// Package tftree is a transform tree in the manner of ROS tf2: named frames
// joined by static and time-varying transforms T_parent_child, and lookups
// of T_target_source at a time with interpolation (linear in translation,
// slerp in rotation).
//
// Every frame has at most one parent. A lookup fails with a typed error
// that names the frames and times involved: an unknown frame
// (ErrUnknownFrame), two frames in different trees (ErrDisconnected), a
// time outside a dynamic transform's samples (ErrExtrapolation). Adding an
// edge that would close a cycle or give a frame a second parent is refused
// when the edge is added.
package tftree
