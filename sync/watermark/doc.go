// Package watermark groups live streams into sets with a bounded latency.
//
// A live source delivers each stream in stamp order, but the streams
// arrive with different delays: a camera frame reaches the host 30 ms
// after its exposure, a replayed LiDAR sweep 100 ms after its first
// firing. The offline policies of package match decide from stamps alone
// when a set is complete; live, that would either wait forever for a dead
// stream or emit a set before a late stream's message has arrived. A
// Grouper adds the missing notion of time: the watermark.
//
// # Watermark
//
// All stamps and times are int64 ns on one clock (the host clock, UNIX
// epoch, for rigsync live: translate sensor clocks first). The watermark
// W is the time before which no more messages will be accepted: every
// message with a stamp below W has been handed to the grouping policy, and
// a message that arrives later with a stamp below W is dropped as Late.
// At host time now, with per-stream newest stamp n_i and expected
// lateness L_i (the largest arrival − stamp of that stream; 0 = unknown),
//
//	W_i = max(n_i + 1, now − L_i)   (only the first term when L_i = 0)
//	W   = max(W_prev, min_i W_i, now − MaxLatency + H)
//
// where H is the largest window end of the non-reference streams. The
// first term keeps W monotone; min_i W_i says every stream has delivered
// (or, by its lateness, can no longer deliver) everything before W; the
// last term is the latency bound: a stream that is silent, dead or late
// beyond MaxLatency does not hold the output back, its member is simply
// missing.
//
// # Sets
//
// Messages held below W are released in stamp order (ties: stream order)
// into a match.Reference policy: one set per message of the reference
// stream, with, for every other stream, its nearest message inside the
// stream's window, or a member with Present false. A set whose reference
// stamp is s is emitted once W ≥ s + H, i.e. as soon as nothing that could
// join it can still arrive, and never later than the first call to Push,
// Advance or Flush at or after now = s + MaxLatency. So:
//
//   - latency: emit time − s ≤ MaxLatency + the interval between calls
//     (call Advance on a ticker);
//   - no set is emitted before its watermark (W ≥ s + H at emission);
//   - no message is lost: each is in exactly one set or handed to
//     Handler.Drop with a Reason (match's reasons plus Late and
//     OutOfOrder);
//   - order is preserved: sets in reference-stamp order, each stream's
//     members in stamp order across sets;
//   - memory is bounded: at most MaxHeld messages per stream wait for the
//     watermark (beyond that the watermark is pushed past the oldest) and
//     QueueSize per stream inside the policy.
//
// With every message on time (arrival − stamp ≤ min(L_i, MaxLatency −
// H)) the sets are exactly those of match.Reference run offline on the
// whole input.
//
// Handler.Set returns an error (a sink that cannot write): the first one
// stops the grouper and comes back from the Push, Advance or Flush that
// emitted the set, and from every later call.
//
// The grouper is a synchronous state machine and not safe for concurrent
// use: one goroutine pushes, advances and receives the sets.
package watermark
