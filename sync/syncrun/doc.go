// Package syncrun connects the time-alignment packages to a log: it reads
// every header stamp of the selected channels from an MCAP file, analyses
// and corrects each sensor clock (package clock), groups the corrected
// stamps with a policy (package match) and reports the quality of the
// alignment: sets, completeness per sensor, residual spread, unmatched
// messages and why, clock models, gaps.
//
// Only the stamps (int64 ns) are kept in memory, 24 bytes per message; the
// grouping itself runs in bounded memory.
package syncrun
