// Package foxmcap writes fused frames as an MCAP file with Foxglove
// protobuf schemas, so Foxglove or Lichtblick shows the fused result with no
// configuration:
//
//	/tf                      foxglove.FrameTransforms: world→<frame> (the ego
//	                         pose), <frame>→<sensor> for the configured
//	                         extrinsics and <frame>→<camera> (BaseCamera, at
//	                         the camera's stamp); a tree: each child once,
//	                         no <frame>→<frame> self-edge
//	/lidar                   foxglove.PointCloud of the fused cloud in the
//	                         frame's shared frame: x y z intensity (float32),
//	                         ring (uint16), source (uint8)
//	/radar                   foxglove.PointCloud: x y z radial_velocity
//	                         raw_radial_velocity rcs (float32), source (uint8)
//	/<camera>/image          foxglove.CompressedImage (or RawImage)
//	/<camera>/camera_info    foxglove.CameraCalibration, the image's sibling
//	/<camera>/lidar          foxglove.ImageAnnotations: the projected LiDAR
//	                         points, one POINTS annotation per depth colour
//	                         (DepthColorBins colours up to MaxDepthColor)
//	/<camera>/labels         foxglove.ImageAnnotations (fuse --labels only):
//	                         each 3D label's projection (boxproj: 8 corners,
//	                         bounding rectangle clipped to the image) as a
//	                         LINE_LOOP rectangle in its class colour
//	/labels                  foxglove.SceneUpdate (fuse --labels only): a
//	                         deletion of every earlier entity, then per box
//	                         an entity "<class>/<id>" in the frame's shared
//	                         frame at its stamp, one CubePrimitive (centre,
//	                         orientation as quaternion x, y, z, w, size
//	                         length, width, height along the box's x, y, z),
//	                         metadata id, class and the box's attributes
//
// Images and calibrations share the camera's frame_id (its optical frame,
// x right, y down, z forward), which /tf places in the shared frame, so the
// Image panel pairs them both by sibling topic and by frame id. Log times are
// the message stamps (ns on the frame's reference clock).
//
// Every channel is protobuf with a FileDescriptorSet schema.
//
// Every frame's messages start with its /tf message, in a fixed order, and
// channels are added on first use, so the file depends only on the frames:
// the Writer implements parallelsink.Staged (messages encoded in parallel,
// written in order) and Options.Resume finishes the partial file of a
// killed run (an MCAP cannot be appended to, so its complete frames are
// copied into a new file, read back with the mcap lexer up to the first
// damaged chunk) into exactly the file an uninterrupted run writes.
package foxmcap
