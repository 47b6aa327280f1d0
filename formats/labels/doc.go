// Package labels is rigsync's model of 3D box annotations and its readers
// and writers for the label formats of datasets and annotation tools.
//
// A Set is a labelled sequence: Frames (one per annotated LiDAR sweep:
// Index, Token, StampNS on the Set's named Clock) of Boxes. A Box has an
// instance ID (stable across frames), a Class, the coordinate Frame it is
// expressed in, its Center, its Size (Length along its x, Width along y,
// Height along z), its orientation Yaw, Pitch, Roll (T_frame_box with
// R = Rz(yaw)·Ry(pitch)·Rx(roll); box axes x forward, y left, z up,
// origin at the centre), optional Velocity (m/s, Frame's axes), optional
// TimeNS (the instant the box describes, when it is not the frame's) and
// Attributes. rigsync's own frames use base_link (FrameBase) at the
// frame's stamp. Box.Transformed re-expresses a box in another frame
// (T_parent_child), e.g. base_link → global with a frame's ego pose.
//
// Each format states its conventions where it is read and written:
//
//	rigsync labels JSON  WriteJSON / ReadJSON: everything in the model (below)
//	nuScenes             NuScenesTables / WriteNuScenes / ReadNuScenes:
//	                     sample_annotation, instance, category, attribute;
//	                     global frame, size w l h, rotation w x y z
//	KITTI                WriteKITTILabels / ReadKITTILabels (label_2, one
//	                     file per frame) and WriteKITTITracking /
//	                     ReadKITTITracking (with track ids), with the
//	                     frame's calib (ReadKITTICalib: P2, R0_rect,
//	                     Tr_velo_to_cam): rectified camera frame, bottom
//	                     centre, rotation_y about the camera's y, h w l
//	Segments.ai          WriteSegments / ReadSegments: cuboid sequence
//	                     label attributes (format 0.2), world frame
//	CVAT                 WriteCVAT / ReadCVAT: "Kitti Raw Format 1.0"
//	                     tracklet_labels.xml + frame_list.txt
//	Xtreme1              WriteXtreme1 / ReadXtreme1: one result JSON per
//	                     point cloud (3D_BOX objects)
//
// A round trip through any of them keeps ids (KITTI label_2: none, it has
// no id field), classes and geometry within 1 mm and 0.01°, and roll and
// pitch wherever the format has them (all but KITTI). Readers never
// panic; bad input is an *Error naming the file and the record (line,
// JSON path or token).
//
// # rigsync labels JSON
//
// One JSON document, version 1:
//
//	{
//	 "format": "rigsync.labels",
//	 "version": 1,
//	 "clock": "true",              // names the clock of every *_ns
//	 "frames": [
//	  {
//	   "index": 0,                  // rigsync's frame index
//	   "token": "lidar_top/0",      // optional: sample token, file name
//	   "stamp_ns": 1709294400000000000,
//	   "boxes": [
//	    {
//	     "id": "12",                // instance id, stable across frames
//	     "class": "car",
//	     "frame": "base_link",      // the frame centre and rotation are in
//	     "center": [x, y, z],       // m, the box centre
//	     "size": [l, w, h],         // m, along the box's x, y, z
//	     "yaw": 0.1,                // rad; R = Rz(yaw)·Ry(pitch)·Rx(roll)
//	     "pitch": 0, "roll": 0,     // rad, omitted when 0
//	     "velocity": [vx, vy, vz],  // m/s in the frame's axes, optional
//	     "time_ns": 0,              // optional: the instant the box shows
//	     "attributes": {"k": "v"},  // optional
//	     "cameras": [               // optional: camera-synced boxes
//	      {"camera": "cam_front",   //   the camera (sensor name)
//	       "time_ns": 1709294400021000000, // when it captured the object
//	       "center": [x, y, z], "yaw": 0.1} // the box then (same frame)
//	     ]
//	    }
//	   ]
//	  }
//	 ]
//	}
//
// Unknown keys are an error; sizes must be positive and numbers finite.
package labels
