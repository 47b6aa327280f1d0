// Package rosbag2 reads rosbag2 bags (ROS 2's recorder format) as a
// formats.Source: a bag folder (metadata.yaml plus its storage files), or
// a single .db3, .db3.zstd or .mcap file without metadata.yaml. Formats
// are told by content (SQLite, MCAP and zstd magic numbers), never by the
// file name.
//
// Storage:
//
//   - SQLite (.db3), rosbag2 schema versions 1 to 4 (Dashing to Jazzy):
//     topics and messages, and where present the schema, metadata and
//     message_definitions tables. Messages are read ORDER BY timestamp, id.
//   - MCAP, read with formats/mcapread (damaged files read around the
//     damage, its warnings copied to the bag's).
//   - FILE compression: each .zstd storage file is stream-decompressed to a
//     temporary file (Options.TempDir), removed on Close. MESSAGE
//     compression: each blob is one zstd frame, from metadata.yaml's
//     compression_mode, else the newest row of the metadata table, else
//     the blob's magic number (a CDR payload never starts with it).
//   - Split bags: files in relative_file_paths order (without
//     metadata.yaml: by numeric suffix, NAME_10 after NAME_9), merged by
//     log time; topic ids are per file, so topics are joined by name.
//
// Input is never written to. A .db3 is opened read-only and immutable
// (SQLite creates no -wal or -shm beside it), unless a non-empty -wal file
// beside it holds rows not yet in the database (a killed recorder): then
// the database and its -wal are copied to the temporary folder, the copy
// is opened read-only, and a warning says rows were recovered.
//
// Message definitions, per topic, in this order: the bag's own (schema-4
// message_definitions, MCAP ros2msg schemas); rigsync's bundled ROS 2
// .msg texts (rosenc.Schemas: the common sensor types) for bags that store
// none; Options.Definitions for custom types. A stored definition that
// does not decode the topic's first message (a hand-edited stub) is
// dropped for the next one. Topic.Definition says which one is used and a
// warning names every topic decoded with a bundled definition; a type
// none of them has is reported (Definition "none", the note, a warning,
// the messages counted in Stats), never guessed.
//
// Conventions at this boundary:
//
//   - Times are int64 ns since the epoch. LogTime is the receive time on
//     the recorder's clock (messages.timestamp; MCAP log_time), as
//     formats/mcapsource gives it. SQLite stores no send time:
//     PublishTime equals LogTime there.
//   - Stamp is the header stamp as the message gives it (on the sensor's
//     clock), or LogTime for a message without a header, exactly as
//     formats/decode builds it for an MCAP channel.
//   - Payloads are the typed payloads of formats/decode (the same decoder
//     an MCAP channel with the same ros2msg schema gets), owned by the
//     message.
//   - Errors and warnings name the file and, where known, the topic and
//     the row (SQLite) or byte offset (MCAP).
//
// Damage: a storage file that cannot be opened (cut, corrupt zstd,
// missing) is skipped with a warning when the bag has others, an error
// naming it otherwise; reading that stops inside a file keeps what was
// read, with a warning; an undecodable message is skipped and counted.
//
// The SQLite driver is modernc.org/sqlite: pure Go (the binary still
// cross-compiles without cgo), as fast as the cgo driver on rosbag2 reads,
// and it handles the read-only WAL cases as SQLite does (measured; see
// docs/sources.md).
//
// Writer writes schema-4 bags (plain, per-message zstd, split) for
// fixtures and tests.
package rosbag2
