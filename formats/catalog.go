package formats

// TopicInfo is what a log says about one of its topics before any message
// is read: the catalog entry of a Source that reads a file (an MCAP log, a
// ROS 1 bag, a rosbag2 bag).
type TopicInfo struct {
	// Topic is the topic name.
	Topic string
	// Type is the message type or schema name as the log stores it
	// ("sensor_msgs/msg/Image", "sensor_msgs/Image", "foxglove.PointCloud").
	Type string
	// Encoding is the message encoding: "cdr" (ROS 2), "ros1", "protobuf",
	// "json".
	Encoding string
	// Count is the number of messages on the topic, or -1 when the log
	// does not say without reading it.
	Count int64
	// Order is the topic's recording order: the lowest MCAP channel id,
	// ROS 1 connection id or rosbag2 topic rank (first seen) of the topic;
	// a smaller Order was recorded (announced) earlier.
	Order int
	// Modality is ModalityOfType(Type).
	Modality Modality
}

// Catalog is implemented by a Source that knows its topics before reading
// them (formats/mcapsource, formats/rosbag1, formats/rosbag2).
type Catalog interface {
	// Catalog returns one entry per topic, sorted by topic name.
	Catalog() []TopicInfo
}
