// Package match groups time-stamped messages of several topics into sets.
//
// Every policy is a synchronous, deterministic state machine: feed messages
// with Push (per topic in stamp order), receive emitted sets and unmatched
// messages through a Handler, and call Flush at the end of the input. Stamps
// are int64 nanoseconds on one clock (translate sensor clocks first, see
// package clock). Memory is bounded by the configured queue sizes.
//
// Policies:
//   - Approximate: the ROS message_filters ApproximateTime algorithm, with
//     the same queue size, age penalty, maximum interval, inter-message lower
//     bounds and tie-breaking, for any number of topics.
//   - Exact: sets of messages with identical stamps (message_filters
//     ExactTime semantics).
//   - Reference: one message per reference-topic message, the nearest of
//     each other topic inside a window around it, or an explicit "missing".
//   - Attach: high-rate streams (IMU) are not grouped but cut into the
//     windows between consecutive frames.
//
// Unlike message_filters, no message is dropped silently: every message that
// does not end up in a set is handed to Handler.Drop with a Reason.
//
// A Handler's Set (an AttachHandler's Window) returns an error: the first
// error stops the policy, comes back from the Push or Flush that produced
// the set, and every later call returns it again, so a caller writing sets
// to a sink needs no error parked beside the policy.
package match
