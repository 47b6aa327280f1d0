// Package formats is rigsync's sensor data model: the typed messages every
// stage (ingest, sync, calibration, fusion, writers) shares.
//
// Conventions, stated once and used everywhere:
//
//   - Times are int64 nanoseconds. Every time carries the name of its clock:
//     [ClockLog] is the recorder's clock (MCAP log_time), a sensor's own
//     header stamp is on the clock named by [SensorClock].
//   - Transforms are T_parent_child: they map points expressed in the child
//     frame into the parent frame (p_parent = T_parent_child * p_child).
//   - Quaternions are gonum quat.Number, so the order is explicit:
//     Real = w, Imag = x, Jmag = y, Kmag = z. Wire formats that store
//     x,y,z,w (ROS, Foxglove) are converted at the decoder boundary.
//   - Vectors are gonum r3.Vec in metres (positions), m/s, rad/s or m/s².
//
// A [Source] is a stream of decoded messages in log-time order, io.EOF at
// the end; [Merge] joins several into one. The adapters live next to the
// codecs: formats/mcapsource (an MCAP log), formats/replay (a log played
// back at real time).
//
// The codecs live in sub-packages (formats/mcapread, formats/ros,
// formats/foxglove, formats/decode); this package has no dependencies on
// them, in the way image is independent of image/png.
package formats
