package formats

import "bytes"

// ROS1BagMagic is the first line of a ROS 1 bag in format 2.0, the only
// bag format rigsync reads (formats/rosbag1).
const ROS1BagMagic = "#ROSBAG V2.0\n"

// IsBag reports whether head, the first bytes of a file, starts a ROS 1
// bag in format 2.0. It looks at the content only, never at a file name:
// a bag is a bag whatever its extension. Other bag versions ("#ROSBAG
// V1.3", the older "#ROSRECORD V1.2") are not format 2.0 and give false.
func IsBag(head []byte) bool { return bytes.HasPrefix(head, []byte(ROS1BagMagic)) }
