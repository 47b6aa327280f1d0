// Package rosbag1 reads and writes ROS 1 bags (format 2.0, the file
// starts with "#ROSBAG V2.0\n"; see [formats.IsBag]) and reads a bag as a
// [formats.Source] of decoded messages.
//
// # Reading
//
// [Open] reads the bag header and, when the bag is indexed, its index
// section (connection and chunk info records at index_pos): a few small
// reads. A bag that is not indexed (index_pos 0: the recorder was killed,
// or the bag was never reindexed), whose index lies past the end of the
// file (a cut copy) or cannot be read is read by a scan of its chunks, as
// rosbag reindex does: the chunks and the index data records after each
// give the counts and time ranges; only the chunks where a connection
// first appears (and those without sound index data) are decompressed
// while opening. [Reader.Messages] then merges the chunks by record time
// (chunks may overlap or lie out of order in the file; inside a chunk the
// records are in write order): a chunk is decompressed when the merge
// reaches its start time and released after its last message, and the
// next few compressed chunks are decompressed ahead on other goroutines
// (bz2 decodes at about 5 MB/s; chunks are independent).
// Chunks are "none", "bz2" (compress/bzip2) or "lz4" (the LZ4 frame
// format, as roslz4 writes it).
//
// # Damage
//
// Nothing read from the file is trusted for an allocation: every length
// is checked against the bytes left in the file, decompression grows its
// output only as data comes out, and a chunk must decompress to exactly
// its declared size. A truncated or damaged bag yields every complete
// chunk's messages (and the complete records of a cut or unterminated
// uncompressed chunk); what was lost is a [Warning] (mcapread's type)
// naming the file, the byte offset of the record concerned and, where the
// index tells, how many messages of which time range. Bad input never
// panics or hangs. Encrypted bags (an "encryptor" in the bag header) and
// the older formats (1.2, 1.3) are refused with an error naming them.
//
// # Conventions at the boundary
//
//   - Times: a bag record's time is the recorder's receive time, a ROS
//     time (u32 sec, u32 nsec); it becomes int64 ns since the epoch (or
//     since the start of simulation time) on the recorder's clock:
//     Message.LogTime, formats.ClockLog. A bag has no publish time and no
//     sequence number: the Source sets PublishTime = LogTime (as MCAP
//     conversions of bags do) and Sequence = 0.
//   - Header stamps are as the message gives them: the Source decodes
//     with formats/decode exactly as it decodes a ROS 1 MCAP channel
//     (message encoding "ros1", schema encoding "ros1msg", schema name the
//     connection's type, schema data its message_definition), so Stamp,
//     StampClock, FrameID, Modality and the typed payloads are those of
//     the same log converted to MCAP.
//   - Topics: a connection's topic is the connection record's own topic
//     (the topic stored in the bag), not the publisher's connection
//     header topic. Several connections on one topic (one per publishing
//     node) are one stream of that topic: the messages are merged in
//     time order; each connection decodes with its own definition.
//   - Channels: [Reader.Channels] and [Reader.Statistics] give the
//     connections in the shapes mcapread gives an MCAP log's channels
//     and statistics (one channel per connection), for callers written
//     against MCAP.
//
// # Writing
//
// [Writer] writes bags as rosbag record does (chunks of 768 KiB by
// default, uncompressed or lz4, index data after each chunk, the index at
// Close); python3-rosbag reads them.
package rosbag1
