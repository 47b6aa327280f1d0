// Package mcapread is rigsync's robust MCAP reading layer: it opens a log,
// decides whether its summary can be trusted, and yields messages in
// log-time order with bounded memory, surviving the damage real logs
// carry (a recording killed mid-write, chunks whose CRC does not match,
// length fields that point past the end of the file).
//
// # Two paths, one merger
//
// A log is cut into segments: its chunks, and runs of at most
// [LooseSegmentBytes] of messages written outside chunks. When the summary
// is complete enough to trust (statistics, channels, schemas and one
// chunk index per chunk, all consistent; see [Reader.Summary]) the
// segments come from the chunk indexes and opening costs a few reads at
// the end of the file. Otherwise (no summary, a truncated file, or a
// summary missing Statistics or repeated Channel/Schema records, which
// makes the mcap library's indexed reader return no messages without an
// error; see docs/sources.md) [Open] scans the data section once,
// decompressing one chunk at a time, to find channels, schemas, segment
// time ranges and counts, and to note every damaged record.
//
// Either way [Reader.Messages] merges the segments by log time: segments
// are sorted by their first log time, a segment is decompressed only when
// the merge reaches that time, each segment's messages are sorted stably
// on load, and a segment's buffers are released as soon as its last
// message is yielded. The memory bound is therefore the set of segments
// whose time ranges overlap the current time (for a log written in time
// order: one or two chunks), never the whole file. Ties are broken by file
// order.
//
// # Damage
//
// Nothing read from the file is trusted for an allocation: every length is
// checked against the bytes remaining in the file before anything is read
// or allocated, decompression grows its output only as data actually comes
// out of the decompressor, and a chunk's declared uncompressed size must
// match what it decompresses to. Damage becomes a [Warning] naming the
// byte offset and, where the message indexes tell, how many messages were
// lost; reading goes on with the next intact segment. A Reader is not safe
// for concurrent use.
//
// [ReadRecords] is the record-level view (every record in file order,
// chunks expanded inline), used for the MCAP conformance suite.
package mcapread
