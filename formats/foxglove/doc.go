// Package foxglove decodes and encodes Foxglove schema messages
// (foxglove.PointCloud, foxglove.CompressedImage, ...) as MCAP carries them:
// message encoding "protobuf" with a FileDescriptorSet schema, or message
// encoding "json" with a JSON Schema (or no schema).
//
// NewDecoder compiles a channel's schema once and returns a
// formats.MessageDecoder. Protobuf payloads are read with protowire, guided
// by the field numbers and kinds of the schema's descriptor (loaded with
// protodesc), so bytes fields such as PointCloud.data and
// CompressedImage.data alias the input without copying. The typed paths
// look fields up by name, so the same code serves protobuf and JSON.
//
// The writer side (Schema, SchemaJSON, Marshal) builds the schemas in Go
// with the official field numbers and types of foxglove-sdk's
// schemas/proto/foxglove/*.proto and encodes typed payloads into them.
//
// Wire conventions handled at this boundary: quaternions are x,y,z,w on the
// wire and gonum quat.Number{Real: w, Imag: x, Jmag: y, Kmag: z} in rigsync;
// PackedElementField types use foxglove's NumericType numbering
// (UINT8=1, INT8=2, ...), which differs from sensor_msgs/PointField's and is
// converted; timestamps are google.protobuf.Timestamp (seconds, nanos) in
// protobuf and {"sec", "nsec"} in JSON, and become int64 nanoseconds.
package foxglove
