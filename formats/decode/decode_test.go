package decode_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/foxglove"
	"github.com/rigsync/rigsync/formats/rosenc"
)

// q is a unit quaternion that is not symmetric in its components, so a
// swapped order (x,y,z,w vs w,x,y,z) cannot pass unnoticed.
var q = quat.Number{Real: 0.8, Imag: 0.1, Jmag: -0.5, Kmag: 0.3}

func payloads() []formats.Payload {
	pts := &formats.Points{X: []float32{1, 2}, Y: []float32{3, 4}, Z: []float32{5, 6},
		Intensity: []float32{0.5, 0.25}, Ring: []uint16{7, 63}, TimeOffset: []int64{0, 99_000}}
	return []formats.Payload{
		&formats.IMU{Orientation: q, AngularVelocity: r3.Vec{X: 0.1, Y: -0.2, Z: 0.3},
			LinearAcceleration:    r3.Vec{X: 0.5, Y: 0.25, Z: 9.81},
			OrientationCovariance: [9]float64{1, 0, 0, 0, 2, 0, 0, 0, 3}},
		&formats.CompressedImage{Format: "jpeg", Data: []byte{0xff, 0xd8, 1, 2, 3}},
		&formats.Image{Width: 2, Height: 1, Encoding: "rgb8", Step: 6, Data: []byte{1, 2, 3, 4, 5, 6}},
		rosenc.PackPoints(pts, rosenc.LayoutXYZIRT),
		&formats.CameraInfo{Width: 640, Height: 400, DistortionModel: "plumb_bob", D: []float64{-0.1, 0.01, 0.001, -0.002, 0},
			K: [9]float64{500, 0, 320, 0, 501, 200, 0, 0, 1}, R: [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1},
			P: [12]float64{500, 0, 320, 0, 0, 501, 200, 0, 0, 0, 1, 0}},
		&formats.Transforms{Transforms: []formats.Transform{
			{Stamp: 1_500_000_000, Parent: "base_link", Child: "lidar_top", Translation: r3.Vec{X: 1, Y: 0, Z: 1.8}, Rotation: q},
			{Stamp: 1_500_000_001, Parent: "base_link", Child: "cam_front", Translation: r3.Vec{X: 1.5, Z: 1.5}, Rotation: quat.Number{Real: 1}},
		}},
		&formats.Odometry{ChildFrame: "base_link", Pose: formats.Pose{Position: r3.Vec{X: 10, Y: -2, Z: 0.1}, Orientation: q},
			LinearVelocity: r3.Vec{X: 9.5}, AngularVelocity: r3.Vec{Z: 0.05}},
		&formats.GNSS{Latitude: 42.3758, Longitude: -71.1474, Altitude: 12.5, CovarianceType: 2,
			PositionCovariance: [9]float64{4, 0, 0, 0, 4, 0, 0, 0, 9}},
		&formats.PoseStamped{Pose: formats.Pose{Position: r3.Vec{X: 1, Y: 2, Z: 3}, Orientation: q}},
		&formats.RadarScan{Range: []float32{10, 20.5}, Azimuth: []float32{0.1, -0.2}, Elevation: []float32{0, 0.05},
			Doppler: []float32{-3, 1.5}, RCS: []float32{5, 12}},
	}
}

// TestRoundTripROS2 encodes every typed payload with formats/rosenc and
// decodes it through the channel dispatch (formats/ros): two independent
// implementations of the same wire format must agree exactly.
func TestRoundTripROS2(t *testing.T) {
	const stamp = 1_700_000_000_123_456_789
	for _, p := range payloads() {
		typ := rosenc.TypeOf(p)
		t.Run(typ, func(t *testing.T) {
			name, schema, err := rosenc.Schema(typ)
			if err != nil {
				t.Fatal(err)
			}
			data, err := rosenc.Marshal(typ, stamp, "sensor_frame", p)
			if err != nil {
				t.Fatal(err)
			}
			ch := &mcap.Channel{ID: 1, Topic: "/x", MessageEncoding: "cdr"}
			sc := &mcap.Schema{ID: 1, Name: name, Encoding: "ros2msg", Data: schema}
			var ds decode.Decoders
			env, err := ds.Message(ch, sc, &mcap.Message{ChannelID: 1, LogTime: 5, Data: data})
			if err != nil {
				t.Fatal(err)
			}
			if _, isTF := p.(*formats.Transforms); !isTF {
				if env.Stamp != stamp || env.FrameID != "sensor_frame" || env.StampClock != "sensor:sensor_frame" {
					t.Errorf("envelope stamp/frame/clock = %d %q %q", env.Stamp, env.FrameID, env.StampClock)
				}
			}
			if !reflect.DeepEqual(env.Payload, p) {
				t.Errorf("decoded payload differs:\n got %#v\nwant %#v", env.Payload, p)
			}
		})
	}
}

// TestRoundTripFoxglove does the same through the Foxglove protobuf path.
func TestRoundTripFoxglove(t *testing.T) {
	cases := []struct {
		name string
		p    formats.Payload
	}{
		{"foxglove.CompressedImage", &formats.CompressedImage{Format: "jpeg", Data: []byte{0xff, 0xd8, 9}}},
		{"foxglove.CameraCalibration", payloads()[4]},
		{"foxglove.LocationFix", &formats.GNSS{Latitude: 42.3758, Longitude: -71.1474, Altitude: 12.5, CovarianceType: 2,
			PositionCovariance: [9]float64{4, 0, 0, 0, 4, 0, 0, 0, 9}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc, schema, err := foxglove.Schema(c.name)
			if err != nil {
				t.Fatal(err)
			}
			data, err := foxglove.Marshal(c.name, formats.Decoded{HasStamp: true, Stamp: 1_000_000_007, FrameID: "cam", Payload: c.p})
			if err != nil {
				t.Fatal(err)
			}
			ch := &mcap.Channel{ID: 1, Topic: "/x", MessageEncoding: "protobuf"}
			sc := &mcap.Schema{ID: 1, Name: c.name, Encoding: enc, Data: schema}
			var ds decode.Decoders
			env, err := ds.Message(ch, sc, &mcap.Message{ChannelID: 1, Data: data})
			if err != nil {
				t.Fatal(err)
			}
			if env.Stamp != 1_000_000_007 || env.FrameID != "cam" {
				t.Errorf("stamp/frame = %d %q", env.Stamp, env.FrameID)
			}
			if !reflect.DeepEqual(env.Payload, c.p) {
				t.Errorf("decoded payload differs:\n got %#v\nwant %#v", env.Payload, c.p)
			}
		})
	}
}

func TestChannelErrors(t *testing.T) {
	var ds decode.Decoders
	ch := &mcap.Channel{ID: 3, Topic: "/weird", MessageEncoding: "wrong_format"}
	sc := &mcap.Schema{ID: 1, Name: "test_msgs/msg/BasicTypes", Encoding: "ros2msg", Data: []byte("bool b\n")}
	_, err := ds.Message(ch, sc, &mcap.Message{Data: []byte{0, 1, 0, 0, 1}})
	var ce *decode.ChannelError
	if !errors.As(err, &ce) || ce.Topic != "/weird" || ce.Encoding != "wrong_format" {
		t.Fatalf("got %v, want a ChannelError naming /weird and wrong_format", err)
	}
	// Schemaless JSON decodes generically.
	js := &mcap.Channel{ID: 4, Topic: "/json", MessageEncoding: "json"}
	env, err := ds.Message(js, nil, &mcap.Message{Data: []byte(`{"a": 1, "b": [true]}`)})
	if err != nil {
		t.Fatal(err)
	}
	g, ok := env.Payload.(*formats.Generic)
	if !ok || !reflect.DeepEqual(g.Value, map[string]any{"a": 1.0, "b": []any{true}}) {
		t.Errorf("schemaless JSON: %#v", env.Payload)
	}
}

// TestStampClockPerMessage: the stamp clock follows each message's frame
// id on one channel (the clock is cached per channel for the common case of
// one frame id), and falls back to the topic for a message without one.
func TestStampClockPerMessage(t *testing.T) {
	name, data, err := rosenc.Schema(rosenc.TypeImu)
	if err != nil {
		t.Fatal(err)
	}
	ch := &mcap.Channel{ID: 1, Topic: "/imu", MessageEncoding: "cdr"}
	sc := &mcap.Schema{ID: 1, Name: name, Encoding: "ros2msg", Data: data}
	var ds decode.Decoders
	for i, c := range []struct{ frame, want string }{
		{"imu_a", "sensor:imu_a"},
		{"imu_a", "sensor:imu_a"},
		{"imu_b", "sensor:imu_b"},
		{"", "sensor:/imu"},
		{"imu_a", "sensor:imu_a"},
	} {
		b, err := rosenc.Marshal(rosenc.TypeImu, int64(i+1)*1e9, c.frame, &formats.IMU{Orientation: q})
		if err != nil {
			t.Fatal(err)
		}
		for _, header := range []bool{false, true} {
			get := ds.Message
			if header {
				get = ds.Header
			}
			m, err := get(ch, sc, &mcap.Message{ChannelID: 1, LogTime: uint64(i), Data: b})
			if err != nil {
				t.Fatal(err)
			}
			if m.StampClock != c.want || m.Stamp != int64(i+1)*1e9 {
				t.Errorf("message %d (header only %v), frame %q: clock %q stamp %d, want %q %d", i, header, c.frame, m.StampClock, m.Stamp, c.want, int64(i+1)*1e9)
			}
		}
	}
}
