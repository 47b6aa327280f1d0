// Package rosenc writes ROS 2 messages: CDR payloads (MCAP message
// encoding "cdr") and their ros2msg schemas (MCAP schema encoding
// "ros2msg"), for the standard sensor types rigsync produces.
//
// Three parts:
//
//   - [Encoder] is a plain CDR writer (XCDR1, little endian, encapsulation
//     header 00 01 00 00; every primitive is aligned to its own size
//     relative to the first byte after the header). It reuses its buffer,
//     so encoding in a loop does not allocate.
//   - [Schema] returns the ros2msg schema of a type, built from the exact
//     upstream .msg texts embedded under schemas/ with rosbag2's
//     concatenation rule (see [SchemaFS]).
//   - [Marshal] (and [Encoder.Encode]) encodes a formats payload as a
//     given ROS 2 type, with the fields in exactly the order of the .msg
//     texts. [PackPoints] and [PackRadar] build the packed
//     sensor_msgs/PointCloud2 layouts rigsync writes.
//
// Conventions at this boundary:
//
//   - Stamps are int64 ns. They are written as builtin_interfaces/Time
//     {int32 sec, uint32 nanosec} with floor semantics, so -1 ns is
//     {sec: -1, nanosec: 999999999}. A stamp whose second does not fit
//     an int32 is an error.
//   - Quaternions come in as gonum quat.Number{Real: w, Imag: x, Jmag: y,
//     Kmag: z} and go on the wire in ROS order x, y, z, w.
//   - Point clouds are written as they are packed: the encoder does not
//     reorder or convert their bytes.
//
// The byte layouts were cross-checked during development against the
// reference TypeScript implementation (see marshal_test.go); the Go tests
// hold the resulting golden bytes and need no Node.
package rosenc
