// Package syncapp runs "rigsync sync": it reads every header stamp of the
// selected channels from an MCAP file (Read, package formats/stamps),
// analyses and corrects each sensor clock (package clock), groups the
// corrected stamps with a policy (package match) and reports the quality
// of the alignment (Group): sets, completeness per sensor, residual
// spread, unmatched messages and why, clock models, gaps. Run does both.
// Flags.Options checks the command's flag values; WriteText and WriteJSON
// write the report as the command prints it.
// Its subpackage syncplot draws the report's pictures.
//
// Logs it did not write are taken as they are: a channel whose clock cannot
// be estimated (fewer than 3 messages, or log times that are not capture
// times, e.g. a converter that wrote every message in one burst) is
// reported with ClockReport.Estimation "impossible" and grouped on its
// stamps as recorded, in stamp order; a given clock model or CorrectNone
// estimates nothing ("skipped"); a log with fewer than 2 stamped topics
// gives an empty Report with a note, not an error.
//
// Only the stamps (int64 ns) are kept in memory, 24 bytes per message; the
// grouping itself runs in bounded memory.
//
// Its errors keep the prefix "syncrun:" of the package it was moved from,
// so that the command's error texts did not change.
package syncapp
