// Package ros decodes ROS messages as MCAP carries them: ROS 2 CDR
// (schema encoding ros2msg, message encoding cdr) and ROS 1 (ros1msg,
// ros1), driven by the message definition in the schema.
//
// NewDecoder compiles the schema once into a decoding plan. Value decodes
// any message generically into a *formats.Record tree. Decode returns a
// typed payload for the types rigsync understands (sensor_msgs Image,
// CompressedImage, PointCloud2, Imu, CameraInfo, NavSatFix; tf2_msgs
// TFMessage and ROS 1 tf/tfMessage; nav_msgs Odometry; geometry_msgs
// PoseStamped, PoseWithCovarianceStamped and TransformStamped; radar_msgs
// RadarScan and RadarTracks). Typed paths find
// their fields by name in the schema, never by fixed offsets, so
// vendor-extended definitions still decode; when expected fields are
// missing the message falls back to *formats.Generic. Imu, Odometry and
// NavSatFix channels whose schema is exactly the upstream field list (ROS 2
// or ROS 1) decode with straight-line reads (fixed.go), falling back to the typed path for any payload that is not
// plainly well formed, so that both give the same result.
//
// Wire rules (CDR): a 4-byte encapsulation header (plain XCDR1 or XCDR2,
// either endianness; parameter-list and delimited kinds are rejected),
// alignment relative to the byte after the header (8-byte primitives align
// to 4 in XCDR2), strings with a NUL-inclusive uint32 length, sequences
// with a uint32 count, fixed arrays without prefix, an empty struct as one
// dummy byte, and up to 3 trailing pad bytes. A wstring is read as a uint32
// count of 16-bit units (the common implementation; the reference readers
// reject it). ROS 1: little-endian, no alignment, no header, strings
// without NUL, time/duration builtins (generic values: a Record "time" or
// "duration" with sec and nsec). Services recorded as events
// (pkg/srv/X_Event with the .srv text) decode as info, request[<=1],
// response[<=1].
//
// Counts are checked against the bytes left before anything is allocated,
// and every error names the field path and byte offset involved.
package ros
