// Package labelcheck checks 3D box labels against the sensor data of the
// frames they label: a pure library (no file I/O) that is handed fused
// frames (fusion/fused: the merged, deskewed LiDAR cloud in base_link with
// each point's capture time) together with the labels of the same frames
// (formats/labels), and says per box, frame, track and log whether the
// labels agree with what the LiDAR saw.
//
// Conventions: boxes and points are in the frame's shared frame
// (base_link) at the frame's reference time Frame.Stamp (int64 ns on the
// frame's clock, the reference LiDAR's); a box's Velocity is over ground in
// the frame's axes (m/s). Corrections are what to add to the label:
// Shift in the box's own axes (x forward, y left, z up; metres), YawDeg
// counter-clockwise seen from above, Size the measured length, width,
// height, and DtNS the time the box actually shows minus the frame's time
// (a box that shows the object DtNS later than the frame's reference).
//
// Per box (Checker.Add), the points of the object are gathered around the
// box and moved back to the box's time with the box's velocity (an object
// seen at capture time t by a spinning LiDAR is displaced by v·(t − t_ref)
// from where it was at the frame's reference time t_ref); then:
//
//   - count: points on the box, and rays that pass through the box to
//     something behind it (a box in free space is spurious; a box with no
//     points and no rays through it is occluded or out of view, and is
//     reported as unobserved, not as an error);
//   - heading: the rectangle that fits the points best within ±12° of the
//     box's yaw (the closeness criterion of Zhang et al., "Efficient
//     L-Shape Fitting for Vehicle Detection Using Laser Scanners", IEEE IV
//     2017);
//   - centre and size: the faces the sensor sees (a face is seen when the
//     sensor is outside its plane; along an axis whose side face is seen,
//     both ends are seen) against the box's faces;
//   - time: for a moving box, the centre offset along the velocity is
//     v·Δt, so Δt = offset·v/|v|² (reported as kind "time" when the offset
//     lies along the velocity, else as a shift).
//
// Across frames (Checker.Finish) each track (box id) is followed in the
// world frame with the frames' ego poses: a box that jumps to where another
// track was predicted is an id switch; a track that vanishes while its
// predicted box still holds points is a missing box; size changes along a
// track, accelerations and yaw rates beyond what vehicles do are flagged;
// sizes are compared with class priors. Clusters of points above the ground
// that no box covers are reported as unlabelled objects (missing boxes).
//
// Verdicts are ok, suspicious or wrong, per box, frame, track and log, with
// reasons and kinds; the Report counts them per class and per kind and
// tells systematic errors (a consistent offset over many boxes of one track
// or class) from random ones, and keeps a top view (Crop) of the worst
// boxes for the HTML report.
//
// Frames without an ego-motion source (EgoSource "none": the sweep is
// deskewed in rotation only) take their ego motion from the labels
// themselves: the boxes of objects that stand still move in base_link only
// because the vehicle does (medians over the boxes, so a few wrong boxes do
// not move it); the first frame waits for the second.
//
// Times estimates, per box, the time it shows (labels sync).
//
// # Cameras
//
// When the fused frame carries camera images (fused.Frame.Cameras, with
// calibration), every observed box is also checked in each camera that
// shows it whole: the box is moved along its velocity from the time it
// shows to the camera's capture time (the camera-synced box; global
// shutter at the image's mid-exposure stamp) and projected with the
// frame's camera pose and the camera's model (fusion/boxproj). The two
// vertical box edges that make its outline's left and right sides (the
// leftmost and rightmost projected corners and their vertical partners)
// are compared with the image's luma edges: per side, the median
// horizontal luma step along the edge's middle 60% is profiled over
// horizontal shifts of up to a quarter of the box's width, and the
// significant maximum nearest the projected side is the image's edge
// (a side without one is unknown: no contrast against the background).
// A box disagrees with a camera when both sides are off by more than
// fx·0.15 m/depth (at least 2.5 px), or one side by 2.5 times that
// (KindCamera, suspicious; BoxResult.Cameras). Boxes smaller than 16×12
// px, cut by the image border or behind a nearer box of the frame are not
// checked in that camera. A box that comes with 2D labels
// (labels.Box.Labels2D) has each compared with its camera-synced box
// projected into that camera, clipped to the image: an intersection over
// union under 0.5 is a camera finding too (every frame; no image is
// decoded for it). Only every Options.CameraEvery-th frame is
// checked in the cameras (default 5: decoding every image would halve the
// check's speed). Report.Cameras counts the views checked; the report
// notes when no camera could be checked. The first frame of a log without
// an ego-motion source waits for the second (see above) without its
// images: it is not checked in the cameras.
package labelcheck
