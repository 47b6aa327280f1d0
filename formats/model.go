package formats

import (
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
)

// ClockLog names the recorder's clock: MCAP log_time.
const ClockLog = "log"

// SensorClock names the clock a sensor's own header stamps are on. Sensors
// are named by their frame id, so the clock of frame "radar_fl" is
// "sensor:radar_fl". A stamp whose frame id is empty is on "sensor:<topic>".
func SensorClock(frameID, topic string) string {
	if frameID != "" {
		return "sensor:" + frameID
	}
	return "sensor:" + topic
}

// Message is one decoded message of a log: the envelope every stage uses.
type Message struct {
	// Topic is the channel's topic.
	Topic string
	// Type is the schema name as written in the log (e.g. sensor_msgs/msg/Imu).
	Type string
	// Modality is what kind of sensor data the channel carries.
	Modality Modality
	// FrameID is the header frame id (empty when the message has none).
	FrameID string
	// Stamp is the sensor's own stamp in ns on the clock StampClock. For a
	// message without a stamp it equals LogTime and StampClock is ClockLog.
	Stamp int64
	// StampClock names the clock of Stamp.
	StampClock string
	// LogTime is the MCAP log_time in ns, on ClockLog.
	LogTime int64
	// PublishTime is the MCAP publish_time in ns.
	PublishTime int64
	// Sequence is the MCAP message sequence number.
	Sequence uint32
	// Payload is the typed content; *Generic when no typed path exists.
	Payload Payload
}

// Decoded is what a MessageDecoder extracts from one payload.
type Decoded struct {
	// HasStamp is true when the message carries its own stamp.
	HasStamp bool
	// Stamp is that stamp in ns (valid when HasStamp).
	Stamp int64
	// FrameID is the header frame id, if any.
	FrameID string
	// Payload is the typed content.
	Payload Payload
}

// MessageDecoder decodes the payloads of one channel. Implementations are
// compiled once per (schema, encoding) and are safe for sequential reuse.
// Decoded payloads may alias data: copy before reusing the buffer.
type MessageDecoder interface {
	// Decode decodes a payload into a typed message.
	Decode(data []byte) (Decoded, error)
	// Value decodes a payload generically (for display): the result is made
	// of nil, bool, int64, uint64, float64, string, []byte, []any and *Record.
	Value(data []byte) (any, error)
	// Modality is the channel's modality as far as the schema tells it.
	Modality() Modality
}

// HeaderDecoder is implemented by MessageDecoders that can read a
// message's stamp and frame id without decoding its payload: what a log
// summary (rigsync info) needs from bulk messages such as images, clouds
// and annotations.
type HeaderDecoder interface {
	// DecodeHeader returns the HasStamp, Stamp and FrameID that Decode
	// returns for data, with a nil Payload. Only the fields holding them
	// are read: the rest of the payload is skipped as far as the encoding
	// needs, not validated, so a payload that Decode rejects may pass.
	DecodeHeader(data []byte) (Decoded, error)
	// Generic reports whether Decode gives a *Generic payload for every
	// message (the schema has no typed path): a reader that only wants
	// typed payloads can then read headers from the first message on.
	Generic() bool
}

// Payload is the typed content of a Message. The set of payload types is
// closed: it is sealed by an unexported method.
type Payload interface{ isPayload() }

// CompressedImage is a compressed camera image (JPEG, PNG, ...).
type CompressedImage struct {
	// Format is the compression format as written ("jpeg", "png", or the
	// ROS form such as "rgb8; jpeg compressed bgr8").
	Format string
	// Data is the compressed bytes (may alias the message buffer).
	Data []byte
}

// CompressedVideo is one access unit of a compressed video stream, as
// foxglove.CompressedVideo carries it: H.264 or H.265 in Annex B form (NAL
// units each prefixed by a 00 00 00 01 start code), one frame per message.
type CompressedVideo struct {
	// Format is the codec: "h264" or "h265" (foxglove's names).
	Format string
	// Data is the Annex B access unit (may alias the message buffer). A
	// keyframe carries its parameter sets (SPS/PPS, and VPS for H.265)
	// in-band so that decoding can start there.
	Data []byte
	// Keyframe is true when the access unit is an IDR/IRAP picture that a
	// decoder can start from.
	Keyframe bool
}

// Image is an uncompressed camera image.
type Image struct {
	Width, Height int
	// Encoding is the pixel encoding (ROS names: rgb8, bgr8, mono8, ...).
	Encoding  string
	BigEndian bool
	// Step is the row length in bytes.
	Step int
	// Data is the pixel bytes (may alias the message buffer).
	Data []byte
}

// PointType is the numeric type of a packed point field, with the
// sensor_msgs/PointField numbering (1..8).
type PointType uint8

// Point field types, as in sensor_msgs/PointField.
const (
	PointInt8    PointType = 1
	PointUint8   PointType = 2
	PointInt16   PointType = 3
	PointUint16  PointType = 4
	PointInt32   PointType = 5
	PointUint32  PointType = 6
	PointFloat32 PointType = 7
	PointFloat64 PointType = 8
)

// Size is the byte size of one element of the type (0 when unknown).
func (t PointType) Size() int {
	switch t {
	case PointInt8, PointUint8:
		return 1
	case PointInt16, PointUint16:
		return 2
	case PointInt32, PointUint32, PointFloat32:
		return 4
	case PointFloat64:
		return 8
	}
	return 0
}

// PointField describes one field of a packed point layout.
type PointField struct {
	Name   string
	Offset int
	Type   PointType
	Count  int
}

// PointCloud is a point cloud in its packed (array-of-structs) wire layout,
// kept without copying; Points converts it to struct-of-arrays.
type PointCloud struct {
	Width, Height int
	Fields        []PointField
	BigEndian     bool
	PointStep     int
	RowStep       int
	Dense         bool
	// Data is the packed point bytes (may alias the message buffer).
	Data []byte
}

// Len is the number of points.
func (p *PointCloud) Len() int { return p.Width * p.Height }

// Field returns the field with the given name, or false.
func (p *PointCloud) Field(name string) (PointField, bool) {
	for _, f := range p.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return PointField{}, false
}

// Points is a point cloud as struct-of-arrays. X, Y and Z are always set;
// the other columns are nil when the source has no such field.
type Points struct {
	X, Y, Z []float32
	// Intensity is the return intensity (sensor units).
	Intensity []float32
	// Ring is the laser (beam) index.
	Ring []uint16
	// TimeOffset is each point's time relative to the message stamp, in ns.
	TimeOffset []int64
}

// Len is the number of points.
func (p *Points) Len() int { return len(p.X) }

// RadarScan is one scan of radar detections as struct-of-arrays. Either the
// polar columns (Range, Azimuth, Elevation) or the Cartesian ones (X, Y, Z)
// are set, or both; Doppler and RCS are optional.
type RadarScan struct {
	// Range in m, Azimuth and Elevation in rad (sensor frame, REP-103).
	Range, Azimuth, Elevation []float32
	// X, Y, Z in m in the sensor frame.
	X, Y, Z []float32
	// Doppler is the radial velocity in m/s (positive = moving away).
	Doppler []float32
	// RCS is the radar cross section in dBsm (or the sensor's amplitude).
	RCS []float32
}

// Len is the number of detections.
func (r *RadarScan) Len() int {
	if len(r.Range) > 0 {
		return len(r.Range)
	}
	return len(r.X)
}

// RadarTrack is one tracked object of a radar tracker.
type RadarTrack struct {
	ID           string
	Position     r3.Vec
	Velocity     r3.Vec
	Acceleration r3.Vec
	Size         r3.Vec
	Class        uint16
}

// RadarTracks is a list of tracked objects.
type RadarTracks struct {
	Tracks []RadarTrack
}

// IMU is one inertial measurement.
type IMU struct {
	// Orientation is valid unless OrientationCovariance[0] == -1 (ROS rule).
	Orientation           quat.Number
	OrientationCovariance [9]float64
	// AngularVelocity in rad/s.
	AngularVelocity           r3.Vec
	AngularVelocityCovariance [9]float64
	// LinearAcceleration in m/s², gravity included.
	LinearAcceleration           r3.Vec
	LinearAccelerationCovariance [9]float64
}

// Transform is one rigid transform T_parent_child at a time.
type Transform struct {
	// Stamp in ns on the sensor clock of the publisher.
	Stamp       int64
	Parent      string
	Child       string
	Translation r3.Vec
	Rotation    quat.Number
}

// Transforms is a set of transforms (a TFMessage). Static is true for
// /tf_static style channels.
type Transforms struct {
	Transforms []Transform
	Static     bool
}

// CameraInfo is a camera calibration as ROS CameraInfo / foxglove
// CameraCalibration carry it. Matrices are row-major.
type CameraInfo struct {
	Width, Height int
	// DistortionModel is the model name (plumb_bob, rational_polynomial,
	// equidistant, kannala_brandt, fisheye62, ...).
	DistortionModel string
	D               []float64
	K               [9]float64
	R               [9]float64
	P               [12]float64
	BinningX        int
	BinningY        int
}

// Pose is a position and orientation.
type Pose struct {
	Position    r3.Vec
	Orientation quat.Number
}

// PoseStamped is a pose in the frame of the message's FrameID.
type PoseStamped struct {
	Pose Pose
}

// Odometry is an odometry estimate: the pose of ChildFrame in the message
// frame, the twist in ChildFrame.
type Odometry struct {
	ChildFrame      string
	Pose            Pose
	PoseCovariance  [36]float64
	LinearVelocity  r3.Vec
	AngularVelocity r3.Vec
	TwistCovariance [36]float64
}

// GNSS is a satellite navigation fix.
type GNSS struct {
	// Latitude and Longitude in degrees, Altitude in m above the WGS-84 ellipsoid.
	Latitude, Longitude, Altitude float64
	PositionCovariance            [9]float64
	// CovarianceType: 0 unknown, 1 approximated, 2 diagonal known, 3 known.
	CovarianceType int
	// Status: -1 no fix, 0 fix, 1 SBAS, 2 GBAS.
	Status int
}

// Generic is a message rigsync has no typed path for, decoded generically.
type Generic struct {
	Value any
}

func (*CompressedImage) isPayload() {}
func (*CompressedVideo) isPayload() {}
func (*Image) isPayload()           {}
func (*PointCloud) isPayload()      {}
func (*RadarScan) isPayload()       {}
func (*RadarTracks) isPayload()     {}
func (*IMU) isPayload()             {}
func (*Transforms) isPayload()      {}
func (*CameraInfo) isPayload()      {}
func (*PoseStamped) isPayload()     {}
func (*Odometry) isPayload()        {}
func (*GNSS) isPayload()            {}
func (*Generic) isPayload()         {}
