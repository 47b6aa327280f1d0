// Package segments writes fused frames for Segments.ai as a point cloud
// sequence sample with calibrated camera images (outputs.md §1.1):
//
//	OUT/pointcloud/NNNNNN.pcd        PCD v0.7 binary x y z intensity (F4) in
//	                                 the frame's FrameID (base_link)
//	OUT/images/<camera>/NNNNNN.jpg   camera images (compressed as recorded,
//	                                 raw images encoded to JPEG)
//	OUT/sample.json                  the sample attributes: {"frames": [...]}
//	OUT/origin.json                  the ego position subtracted from all poses
//	OUT/manifest.jsonl               rigsync's resume manifest
//
// Segments.ai reads assets by URL: upload the folder and set
// Options.URLPrefix to where it will live (e.g. "s3://bucket/run1/"); the
// URLs are URLPrefix + the relative path.
//
// Conventions, as Segments.ai defines them: timestamp in ns; ego_pose is
// the pose in the world of the sensor frame the cloud is in (the cloud is in
// FrameID, so ego_pose = Frame.Ego = T_world_<FrameID>), heading
// {qx,qy,qz,qw}; a camera's extrinsics are its pose in the cloud's frame
// (Camera.BaseCamera = T_<FrameID>_camera) with camera_convention "OpenCV"
// (Segments' default is OpenGL); intrinsic_matrix is the row-major K;
// plumb_bob distortion becomes brown-conrady {k1,k2,k3,p1,p2} and
// equidistant / kannala_brandt becomes fisheye {k1..k4}. Positions are
// re-based on the first frame's ego position (Segments warns about float32
// precision far from the origin); origin.json holds that offset.
//
// With 3D labels (fused.Frame.Labels, fuse --labels) Close also writes
// labels.json, the cuboid sequence label attributes
// (formats/labels.WriteSegments) in sample.json's world frame (ego pose,
// minus origin.json's origin), and categories.json, the categories its
// category_id values name.
//
// sample.json and origin.json are written by Close from the manifest, so a
// resumed run ends with the same files as an uninterrupted one. Output
// safety (temporary names, Force, Resume) is that of package outdir.
package segments
