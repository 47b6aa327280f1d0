// Package cvat writes fused frames as a CVAT 3D task data folder
// (outputs.md §1.5), the "pointcloud + related_images" layout:
//
//	OUT/pointcloud/NNNNNN.pcd                  PCD v0.7 binary x y z intensity
//	                                           (F4) in the frame's FrameID
//	OUT/related_images/NNNNNN_pcd/<cam>.jpg    context images (compressed as
//	                                           recorded, raw ones as JPEG)
//	OUT/rigsync_manifest.jsonl                 rigsync's resume manifest
//
// CVAT consumes no calibration (context images are only displayed), so none
// is written here; the frames layout has it. PCD is used rather than .bin
// because CVAT drops the intensity of .bin input. The manifest is not named
// manifest.jsonl, which CVAT reads as its own media manifest; leave it out
// of the task zip (zip -r task.zip pointcloud related_images).
//
// With 3D labels (fused.Frame.Labels, fuse --labels) Close also writes
// tracklet_labels.xml and frame_list.txt, CVAT's "Kitti Raw Format 1.0"
// annotations (formats/labels.WriteCVAT), boxes in the clouds' frame: zip
// the two and import them into the task.
//
// Output safety (temporary names, Force, Resume) is that of package outdir.
package cvat
