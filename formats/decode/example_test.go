package decode_test

import (
	"fmt"

	"github.com/foxglove/mcap/go/mcap"
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/rosenc"
)

// Decoders turns raw MCAP messages into typed envelopes. Here a ROS 2 IMU
// message is encoded, then decoded back through the channel's schema.
func ExampleDecoders() {
	name, schema, _ := rosenc.Schema(rosenc.TypeImu)
	payload, _ := rosenc.Marshal(rosenc.TypeImu, 1_700_000_000_500_000_000, "imu_link",
		&formats.IMU{Orientation: quat.Number{Real: 1}, LinearAcceleration: r3.Vec{Z: 9.81}})

	ch := &mcap.Channel{ID: 1, Topic: "/imu", MessageEncoding: "cdr"}
	sc := &mcap.Schema{ID: 1, Name: name, Encoding: "ros2msg", Data: schema}
	var ds decode.Decoders
	msg, err := ds.Message(ch, sc, &mcap.Message{ChannelID: 1, LogTime: 1_700_000_000_510_000_000, Data: payload})
	if err != nil {
		fmt.Println(err)
		return
	}
	imu := msg.Payload.(*formats.IMU)
	fmt.Println(msg.Topic, msg.Modality, msg.FrameID, msg.StampClock)
	fmt.Printf("stamp − log time = %d ms, a_z = %.2f m/s²\n", (msg.Stamp-msg.LogTime)/1e6, imu.LinearAcceleration.Z)
	// Output:
	// /imu imu imu_link sensor:imu_link
	// stamp − log time = -10 ms, a_z = 9.81 m/s²
}
