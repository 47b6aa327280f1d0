package foxglove

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rigsync/rigsync/formats"
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
)

// protobufjsWant are the values testdata/protobufjs/vectors.js encodes.
var protobufjsWant = map[string]formats.Decoded{
	"foxglove.PointCloud": {HasStamp: true, Stamp: 1700000000123456789, FrameID: "LIDAR_TOP",
		Payload: &formats.PointCloud{Width: 2, Height: 1, PointStep: 13, RowStep: 26,
			Fields: []formats.PointField{
				{Name: "x", Offset: 0, Type: formats.PointFloat32, Count: 1},
				{Name: "y", Offset: 4, Type: formats.PointFloat32, Count: 1},
				{Name: "z", Offset: 8, Type: formats.PointFloat32, Count: 1},
				{Name: "intensity", Offset: 12, Type: formats.PointUint8, Count: 1}},
			Data: append(append(f32le(1.5, -2, 3), 200), append(f32le(4, 5.25, -6), 7)...)}},
	"foxglove.CompressedImage": {HasStamp: true, Stamp: 1_000_000_002, FrameID: "CAM_FRONT",
		Payload: &formats.CompressedImage{Format: "jpeg", Data: []byte{0xff, 0xd8, 0xff, 0xd9}}},
	"foxglove.RawImage": {HasStamp: true, Stamp: 5_000_000_006, FrameID: "cam",
		Payload: &formats.Image{Width: 2, Height: 1, Encoding: "rgb8", Step: 6, Data: []byte{1, 2, 3, 4, 5, 6}}},
	"foxglove.FrameTransform": {HasStamp: true, Stamp: 7_000_000_008, FrameID: "map",
		Payload: &formats.Transforms{Transforms: []formats.Transform{{Stamp: 7_000_000_008, Parent: "map", Child: "base_link",
			Translation: r3.Vec{X: 1, Y: 2, Z: 3}, Rotation: quat.Number{Real: math.Sqrt2 / 2, Kmag: math.Sqrt2 / 2}}}}},
	"foxglove.FrameTransforms": {Payload: &formats.Transforms{Transforms: []formats.Transform{
		{Stamp: 9e9, Parent: "base_link", Child: "CAM_FRONT", Translation: r3.Vec{X: 1.7, Z: 1.5},
			Rotation: quat.Number{Real: 0.5, Imag: -0.5, Jmag: 0.5, Kmag: -0.5}},
		{Stamp: 9e9 + 1, Parent: "base_link", Child: "RADAR_FRONT", Translation: r3.Vec{X: 3.4, Z: 0.5},
			Rotation: quat.Number{Real: 1}}}}},
	"foxglove.CameraCalibration": {HasStamp: true, Stamp: 10_000_000_011, FrameID: "CAM_FRONT",
		Payload: &formats.CameraInfo{Width: 1600, Height: 900, DistortionModel: "plumb_bob", D: []float64{0, 0, 0, 0, 0},
			K: [9]float64{1266.417, 0, 816.267, 0, 1266.417, 491.507, 0, 0, 1},
			R: [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1},
			P: [12]float64{1266.417, 0, 816.267, 0, 0, 1266.417, 491.507, 0, 0, 0, 1, 0}}},
	// heading (10) and metadata (9) are not in rigsync's schema: skipped.
	"foxglove.LocationFix": {HasStamp: true, Stamp: 12_000_000_013, FrameID: "gps",
		Payload: &formats.GNSS{Latitude: 42.3758, Longitude: -71.1474, Altitude: 10.5,
			PositionCovariance: [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 4}, CovarianceType: 2}},
	"foxglove.PoseInFrame": {HasStamp: true, Stamp: 14_000_000_015, FrameID: "map",
		Payload: &formats.PoseStamped{Pose: formats.Pose{Position: r3.Vec{X: 10, Y: -20, Z: 0.5}, Orientation: quat.Number{Kmag: 1}}}},
}

// TestProtobufjsVectors decodes messages encoded by protobufjs from the
// .proto files of @foxglove/schemas (an encoder and a schema source
// independent of this package) with the descriptors of Schema.
func TestProtobufjsVectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "protobufjs", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vecs []struct{ Name, Hex string }
	if err := json.Unmarshal(raw, &vecs); err != nil {
		t.Fatal(err)
	}
	if len(vecs) != len(Names()) {
		t.Fatalf("%d vectors, want one per schema (%d)", len(vecs), len(Names()))
	}
	for _, v := range vecs {
		msg, err := hex.DecodeString(v.Hex)
		if err != nil {
			t.Fatal(err)
		}
		dec := newDecoder(t, v.Name)
		if !checkAgainstRuntime(t, dec, loadSchemaTB(t, v.Name), msg) {
			t.Errorf("%s: the protobuf runtime rejects the vector", v.Name)
		}
		d, err := dec.Decode(msg)
		if err != nil {
			t.Errorf("%s: %v", v.Name, err)
			continue
		}
		if v.Name == "foxglove.CompressedVideo" {
			cv, ok := d.Payload.(*formats.CompressedVideo)
			if !ok {
				t.Fatalf("%s: payload %T", v.Name, d.Payload)
			}
			// The vector holds a lone SPS: not a keyframe.
			if got := fmt.Sprintf("%v %v %v %d %s", cv.Data, cv.Format, cv.Keyframe, d.Stamp, d.FrameID); got != "[0 0 0 1 103] h264 false 3000000004 cam" {
				t.Errorf("%s: %s", v.Name, got)
			}
			continue
		}
		if want := protobufjsWant[v.Name]; !reflect.DeepEqual(d, want) {
			t.Errorf("%s:\ngot  %+v %+v\nwant %+v %+v", v.Name, d, d.Payload, want, want.Payload)
		}
	}
}
