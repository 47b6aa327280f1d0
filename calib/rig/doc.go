// Package rig reads and writes rig.yaml, rigsync's project file: for each
// sensor its name, topic, modality, frame, camera intrinsics, extrinsic
// T_base_sensor and clock model. FromLog drafts one from what a log holds
// (/tf_static, CameraInfo, as formats/logcalib reads them), listing under
// "missing" what it could not find.
//
// A commented example is Example; the same text documents the format.
package rig
