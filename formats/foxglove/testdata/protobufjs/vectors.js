// Encodes sample foxglove messages with protobufjs from the .proto files that
// @foxglove/schemas@2.1.0 generates (generateProto), for rigsync's decoder tests.
const fs = require("fs");
const path = require("path");
const protobuf = require("protobufjs");
const root = new protobuf.Root();
root.resolvePath = (origin, target) => {
  if (target.startsWith("google/protobuf/")) return target; // bundled common types
  return path.join(__dirname, "proto", target);
};
const names = ["PointCloud", "CompressedImage", "CompressedVideo", "RawImage", "FrameTransform",
  "FrameTransforms", "CameraCalibration", "LocationFix", "PoseInFrame"];
root.loadSync(names.map((n) => `foxglove/${n}.proto`), { keepCase: true });
root.resolveAll();
const f32 = (...v) => Buffer.from(new Float32Array(v).buffer);
const ts = (seconds, nanos) => ({ seconds, nanos });
const samples = {
  PointCloud: {
    timestamp: ts(1700000000, 123456789), frame_id: "LIDAR_TOP",
    pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
    point_stride: 13,
    fields: [{ name: "x", offset: 0, type: 7 }, { name: "y", offset: 4, type: 7 }, { name: "z", offset: 8, type: 7 },
      { name: "intensity", offset: 12, type: 1 }],
    data: Buffer.concat([f32(1.5, -2, 3), Buffer.from([200]), f32(4, 5.25, -6), Buffer.from([7])]),
  },
  CompressedImage: { timestamp: ts(1, 2), frame_id: "CAM_FRONT", data: Buffer.from([0xff, 0xd8, 0xff, 0xd9]), format: "jpeg" },
  CompressedVideo: { timestamp: ts(3, 4), frame_id: "cam", data: Buffer.from([0, 0, 0, 1, 0x67]), format: "h264" },
  RawImage: { timestamp: ts(5, 6), frame_id: "cam", width: 2, height: 1, encoding: "rgb8", step: 6, data: Buffer.from([1, 2, 3, 4, 5, 6]) },
  FrameTransform: { timestamp: ts(7, 8), parent_frame_id: "map", child_frame_id: "base_link",
    translation: { x: 1, y: 2, z: 3 }, rotation: { x: 0, y: 0, z: Math.SQRT1_2, w: Math.SQRT1_2 } },
  FrameTransforms: { transforms: [
    { timestamp: ts(9, 0), parent_frame_id: "base_link", child_frame_id: "CAM_FRONT", translation: { x: 1.7, y: 0, z: 1.5 },
      rotation: { x: -0.5, y: 0.5, z: -0.5, w: 0.5 } },
    { timestamp: ts(9, 1), parent_frame_id: "base_link", child_frame_id: "RADAR_FRONT", translation: { x: 3.4, y: 0, z: 0.5 },
      rotation: { x: 0, y: 0, z: 0, w: 1 } }] },
  CameraCalibration: { timestamp: ts(10, 11), frame_id: "CAM_FRONT", width: 1600, height: 900, distortion_model: "plumb_bob",
    D: [0, 0, 0, 0, 0], K: [1266.417, 0, 816.267, 0, 1266.417, 491.507, 0, 0, 1], R: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    P: [1266.417, 0, 816.267, 0, 0, 1266.417, 491.507, 0, 0, 0, 1, 0] },
  LocationFix: { timestamp: ts(12, 13), frame_id: "gps", latitude: 42.3758, longitude: -71.1474, altitude: 10.5,
    position_covariance: [1, 0, 0, 0, 1, 0, 0, 0, 4], position_covariance_type: 2,
    heading: 1.25, metadata: [{ key: "k", value: "v" }] },
  PoseInFrame: { timestamp: ts(14, 15), frame_id: "map",
    pose: { position: { x: 10, y: -20, z: 0.5 }, orientation: { x: 0, y: 0, z: 1, w: 0 } } },
};
const out = [];
for (const n of names) {
  const T = root.lookupType(`foxglove.${n}`);
  const err = T.verify(samples[n]);
  if (err) throw new Error(`${n}: ${err}`);
  out.push({ name: `foxglove.${n}`, hex: Buffer.from(T.encode(T.fromObject(samples[n])).finish()).toString("hex") });
}
fs.writeFileSync(process.argv[2], JSON.stringify(out, null, 1) + "\n");
// The FileDescriptorSet protobufjs derives from the same files, for a dev-time check.
const descriptor = require("protobufjs/ext/descriptor");
const set = root.toDescriptor("proto3");
fs.writeFileSync(process.argv[3], descriptor.FileDescriptorSet.encode(set).finish());
