// Package xtreme1 writes fused frames as an Xtreme1 / BasicAI point-cloud
// upload folder (zip it to upload):
//
//	OUT/lidar_point_cloud_0/NNNNNN.pcd  PCD v0.7 binary, x y z intensity (F4),
//	                                    in the frame's FrameID (base_link)
//	OUT/camera_image_N/NNNNNN.jpg|png   camera N, compressed as recorded, raw
//	                                    images encoded to JPEG
//	OUT/camera_config/NNNNNN.json       array indexed by camera N
//	OUT/manifest.jsonl                  rigsync's resume manifest
//
// Files of one frame share the base name NNNNNN (the frame Index), which is
// how Xtreme1 ties them together. Each camera_config element is
// {"camera_internal": {fx, fy, cx, cy}, "camera_external": 16 numbers,
// "width", "height", "rowMajor": true}, where camera_external is the 4×4
// row-major lidar→camera matrix T_camera_<FrameID> (the inverse of
// Camera.BaseCamera) with OpenCV camera axes, as Xtreme1's pc-tool expects.
// Xtreme1 has no distortion model: distorted images are written as
// recorded. Cameras are numbered by Options.Cameras, then in order of first
// appearance; a camera absent from a frame keeps its last calibration in
// that frame's camera_config (a camera never seen yet has an all-zero
// element when a later camera needs its slot, and none otherwise).
//
// With 3D labels (fused.Frame.Labels, fuse --labels) each frame also gets
// result/NNNNNN.json, the Xtreme1 annotation result of its cloud
// (formats/labels.WriteXtreme1: 3D_BOX objects in the cloud's frame).
//
// Output safety (temporary names, Force, Resume) is that of package outdir.
package xtreme1
