// Package msgdef parses ROS message definitions: the ros1msg and ros2msg
// schema texts that MCAP files carry (the top-level .msg text, then each
// dependency after a line of 80 '=' and a "MSG: pkg/Type" line).
//
// The result is a Schema: every message type by its normalized name
// ("pkg/Type"; "pkg/msg/Type" is accepted and normalized), with fields,
// constants and default values. References are resolved (unqualified
// same-package names, Header → std_msgs/Header, ROS 2 builtin_interfaces
// Time and Duration supplied when the text omits them), and missing or
// recursive definitions are reported as errors. The wire format is not
// this package's business: see formats/ros.
package msgdef
