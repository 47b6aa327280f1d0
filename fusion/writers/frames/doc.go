// Package frames writes fused frames (fusion.Frame) as rigsync's default
// output: one folder per frame plus a run manifest.
//
//	OUT/manifest.jsonl          one JSON line per complete frame, in order
//	OUT/000042/lidar.pcd        merged LiDAR cloud, PCD v0.7 DATA binary
//	OUT/000042/radar.pcd        radar detections, PCD v0.7 DATA binary
//	OUT/000042/<camera>.jpg     the compressed image as recorded (.png for
//	                            PNG); a raw image is encoded to JPEG
//	OUT/000042/<camera>.proj.bin  LiDAR points projected into that camera
//	OUT/000042/frame.json       stamps, ego pose, calibration, quality flags
//
// lidar.pcd has FIELDS x y z intensity t ring source with SIZE 4 4 4 4 8 2 1
// and TYPE F F F F I U U: x, y, z in metres in the frame's FrameID
// (base_link unless asked otherwise), intensity in the sensor's units, t the
// point time in ns relative to the frame stamp (signed), ring the beam index
// and source the index into frame.json's lidar.sources. radar.pcd has FIELDS
// x y z radial_velocity raw_radial_velocity rcs source (F4 ×6, U1): m, m/s
// with the ego motion removed, m/s as measured, dBsm, radar index. Columns a
// sensor does not provide are written as 0 and listed as absent in
// frame.json. Both files carry VIEWPOINT 0 0 0 1 0 0 0 (the cloud is already
// in FrameID).
//
// A .proj.bin sidecar is a headerless array of 16-byte little-endian
// records: float32 u, float32 v (pixels, OpenCV/ROS convention: (0,0) is
// the centre of the top-left pixel, u right, v down, so pixel (i,j) spans
// [i−0.5, i+0.5) × [j−0.5, j+0.5)), float32 depth (m along the optical
// axis), int32 index (the point's row in lidar.pcd).
//
// frame.json writes every convention out: transforms are T_parent_child
// (p_parent = R·p_child + t), quaternions are in w,x,y,z order, matrices
// row-major, lengths in m, times in ns on the clock the file names, camera
// axes OpenCV optical (x right, y down, z forward). A camera's
// "extrinsic" maps the camera at its own stamp into FrameID at the frame's
// stamp, with the ego motion between the two folded in (what this frame's
// cloud needs to be drawn on the image); "static_extrinsic" is the rig
// calibration T_<FrameID>_<camera> without ego motion.
//
// A frame with 3D labels (fused.Frame.Labels, fuse --labels) also gets
// frame.json "labels": its boxes as rigsync labels JSON boxes
// (formats/labels: centre, size l w h, yaw/pitch/roll, in frame_id at
// stamp_ns), and per camera "labels_2d": id, class, bbox [left, top,
// right, bottom] px and truncated, the projection of each box's 8 corners
// with the camera's extrinsic and intrinsics (fusion/boxproj:
// clipped to the image, boxes partly behind the camera skipped). Without
// labels neither key is written.
//
// Output safety is that of package outdir (fusion/writers/internal/outdir):
// a non-empty folder is refused unless Force or Resume, a frame folder is
// written under a temporary name and renamed into place before its manifest
// line is appended, and with Resume the frames the manifest lists are
// skipped. Camera names are sanitised with outdir.Sanitize.
//
// The CVAT, Segments.ai and Xtreme1 import layouts are their own writers
// (fusion/writers/cvat, segments, xtreme1); what the writers share lives
// in fusion/writers/internal (outdir, imagefile, pcdfile).
package frames
