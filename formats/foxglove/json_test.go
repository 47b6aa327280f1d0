package foxglove

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/formats"
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
)

func jsonDecoder(t testing.TB, name string) formats.MessageDecoder {
	t.Helper()
	d, err := NewDecoder(name, "jsonschema", []byte(`{"type":"object"}`), "json")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDecodeJSON(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want formats.Decoded
	}{
		{"foxglove.LocationFix",
			// As foxglove SDK JSON writes it (cf. foxglove/tutorials rosconesp24 LocationFix).
			`{"timestamp":{"sec":1727090000,"nsec":250000000},"frame_id":"gps","latitude":40.4168,"longitude":-3.7038,
			  "altitude":667,"position_covariance":[1,0,0,0,1,0,0,0,4],"position_covariance_type":2}`,
			formats.Decoded{HasStamp: true, Stamp: 1727090000250000000, FrameID: "gps",
				Payload: &formats.GNSS{Latitude: 40.4168, Longitude: -3.7038, Altitude: 667,
					PositionCovariance: [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 4}, CovarianceType: 2}}},
		{"foxglove.PoseInFrame", `{"timestamp":{"sec":9223372036,"nsec":854775807}}`,
			formats.Decoded{HasStamp: true, Stamp: math.MaxInt64, Payload: &formats.PoseStamped{Pose: formats.Pose{Orientation: quat.Number{Real: 1}}}}},
		{"foxglove.CompressedImage", `{"data":[255,216,0],"format":"jpeg"}`,
			formats.Decoded{Payload: &formats.CompressedImage{Format: "jpeg", Data: []byte{255, 216, 0}}}},
		{"foxglove.LocationFix", `{"latitude":1,"longitude":2,"position_covariance_type":"KNOWN"}`,
			formats.Decoded{Payload: &formats.GNSS{Latitude: 1, Longitude: 2, CovarianceType: 3}}},
		{"foxglove.CompressedImage", `{"timestamp":"2024-01-02T03:04:05.000000006Z","frame_id":"cam","data":"/9j/4A==","format":"jpeg"}`,
			formats.Decoded{HasStamp: true, Stamp: 1704164645000000006, FrameID: "cam",
				Payload: &formats.CompressedImage{Format: "jpeg", Data: []byte{0xff, 0xd8, 0xff, 0xe0}}}},
		{"foxglove.PointCloud",
			`{"timestamp":{"sec":3,"nsec":4},"frame_id":"lidar","pose":{"position":{"x":0,"y":0,"z":0},"orientation":{"x":0,"y":0,"z":0,"w":1}},
			  "point_stride":12,"fields":[{"name":"x","offset":0,"type":7},{"name":"y","offset":4,"type":"FLOAT32"},{"name":"z","offset":8,"type":7}],
			  "data":"AACAPwAAAEAAAEBA"}`,
			formats.Decoded{HasStamp: true, Stamp: 3_000_000_004, FrameID: "lidar",
				Payload: &formats.PointCloud{Width: 1, Height: 1, PointStep: 12, RowStep: 12,
					Fields: []formats.PointField{{Name: "x", Type: 7, Count: 1}, {Name: "y", Offset: 4, Type: 7, Count: 1}, {Name: "z", Offset: 8, Type: 7, Count: 1}},
					Data:   f32le(1, 2, 3)}}},
		{"foxglove.FrameTransform",
			`{"timestamp":{"sec":1,"nsec":0},"parent_frame_id":"world","child_frame_id":"imu","translation":{"x":0.5,"y":0,"z":1e-3},"rotation":{"x":1,"y":0,"z":0,"w":0}}`,
			formats.Decoded{HasStamp: true, Stamp: 1e9, FrameID: "world",
				Payload: &formats.Transforms{Transforms: []formats.Transform{{Stamp: 1e9, Parent: "world", Child: "imu",
					Translation: r3.Vec{X: 0.5, Z: 1e-3}, Rotation: quat.Number{Imag: 1}}}}}},
		{"foxglove.CameraCalibration",
			`{"timestamp":{"sec":0,"nsec":1},"frame_id":"c","width":640,"height":480,"distortion_model":"kannala_brandt","D":[0.1,0.2,0.3,0.4],
			  "K":[500,0,320,0,500,240,0,0,1],"R":[1,0,0,0,1,0,0,0,1],"P":[500,0,320,0,0,500,240,0,0,0,1,0]}`,
			formats.Decoded{HasStamp: true, Stamp: 1, FrameID: "c",
				Payload: &formats.CameraInfo{Width: 640, Height: 480, DistortionModel: "kannala_brandt", D: []float64{0.1, 0.2, 0.3, 0.4},
					K: [9]float64{500, 0, 320, 0, 500, 240, 0, 0, 1}, R: [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1},
					P: [12]float64{500, 0, 320, 0, 0, 500, 240, 0, 0, 0, 1, 0}}}},
		{"foxglove.PoseInFrame", `{"frame_id":"map","pose":{"position":{"x":1,"y":2,"z":3},"orientation":{"w":1}}}`,
			formats.Decoded{FrameID: "map", Payload: &formats.PoseStamped{Pose: formats.Pose{Position: r3.Vec{X: 1, Y: 2, Z: 3}, Orientation: quat.Number{Real: 1}}}}},
	}
	for _, c := range cases {
		got, err := jsonDecoder(t, c.name).Decode([]byte(c.doc))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\ngot  %#v %+v\nwant %#v %+v", c.name, got, got.Payload, c.want, c.want.Payload)
		}
	}
}

// TestJSONValue checks the generic record: document order, number kinds,
// nesting, and a repeated key keeping its first position and last value.
func TestJSONValue(t *testing.T) {
	d, err := NewDecoder("foxglove.Battery", "", nil, "json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := d.Value([]byte(`{"z":1,"a":-2,"big":18446744073709551615,"f":1.5,"s":"x","n":null,"b":true,
		"l":[1,"two",{"k":3}],"o":{"y":{}},"z":7}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &formats.Record{Type: "foxglove.Battery", Names: []string{"z", "a", "big", "f", "s", "n", "b", "l", "o"},
		Values: []any{int64(7), int64(-2), uint64(math.MaxUint64), 1.5, "x", nil, true,
			[]any{int64(1), "two", &formats.Record{Names: []string{"k"}, Values: []any{int64(3)}}},
			&formats.Record{Names: []string{"y"}, Values: []any{&formats.Record{}}}}}
	if !reflect.DeepEqual(v, want) {
		got, _ := json.Marshal(v)
		t.Errorf("Value = %s", got)
	}
	// Unknown schema → Generic, with the JSON stamp still read.
	dd, err := d.Decode([]byte(`{"timestamp":{"sec":2,"nsec":5},"frame_id":"bat","voltage":12.1}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := dd.Payload.(*formats.Generic); !ok || dd.Stamp != 2_000_000_005 || dd.FrameID != "bat" || d.Modality() != formats.Other {
		t.Errorf("generic decode = %#v", dd)
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	cases := []struct {
		name, doc, want string
	}{
		{"foxglove.PointCloud", `{"point_stride":"12"}`, "point_stride: got string, want integer"},
		{"foxglove.PointCloud", `{"point_stride":-1}`, "out of range"},
		{"foxglove.PointCloud", `{"point_stride":1.5}`, "not an integer"},
		{"foxglove.PointCloud", `{"data":5}`, "data: got int64, want bytes"},
		{"foxglove.PointCloud", `{"data":"%%%"}`, "base64"},
		{"foxglove.PointCloud", `{"data":[1,256]}`, "data: [1]: 256 is not a byte"},
		{"foxglove.PointCloud", `{"data":[1.5]}`, "is not a byte"},
		{"foxglove.PointCloud", `{"point_stride":4,"data":"AAAAAAA="}`, "not a multiple"},
		{"foxglove.PointCloud", `{"fields":[{"name":"x","type":9}]}`, "is not UINT8..FLOAT64"},
		{"foxglove.PointCloud", `{"fields":[{"name":"x","type":"DOUBLE"}]}`, "is not UINT8..FLOAT64"},
		{"foxglove.PointCloud", `{"fields":{"name":"x"}}`, "want list"},
		{"foxglove.PointCloud", `{"fields":[3]}`, "fields[0]"},
		{"foxglove.PointCloud", `{"timestamp":{"sec":"1"}}`, "timestamp.sec"},
		{"foxglove.PointCloud", `{"timestamp":{"sec":1e300}}`, "not an integer"},
		{"foxglove.PointCloud", `{"timestamp":"yesterday"}`, "timestamp"},
		{"foxglove.PointCloud", `{"timestamp":{"sec":9223372036,"nsec":854775808}}`, "overflows"},
		{"foxglove.PointCloud", `{"timestamp":{"sec":9223372037,"nsec":0}}`, "out of range"},
		{"foxglove.PointCloud", `{"timestamp":[1,2]}`, "want object"},
		{"foxglove.CameraCalibration", `{"K":[1,2,3]}`, "K: has 3 elements, want 9"},
		{"foxglove.CameraCalibration", `{"D":[1,"a"]}`, "D: [1]"},
		{"foxglove.CameraCalibration", `{"width":4294967296}`, "out of range"},
		{"foxglove.LocationFix", `{"latitude":"north"}`, "latitude: got string"},
		{"foxglove.RawImage", `{"width":2,"height":2,"step":2,"data":"AAEC"}`, "data: has 3 bytes, step 2 × height 2 needs 4"},
		{"foxglove.RawImage", `{"width":1,"height":4294967295,"step":4294967295}`, "needs 18446744065119617025"},
		{"foxglove.LocationFix", `{"position_covariance_type":"SOMETIMES"}`, "unknown value"},
		{"foxglove.FrameTransform", `{"rotation":{"w":"1"}}`, "rotation.w"},
		{"foxglove.FrameTransforms", `{"transforms":[{"parent_frame_id":7}]}`, "transforms[0].parent_frame_id"},
		{"foxglove.CompressedImage", `[1,2]`, "want an object"},
		{"foxglove.CompressedImage", `{"data":"AA=="} {}`, "data after the message"},
		{"foxglove.CompressedImage", `{"data":"AA=="`, "json"},
		{"foxglove.CompressedImage", `{"a":1e999}`, "number"},
		{"foxglove.CompressedImage", ``, "json"},
		{"foxglove.CompressedImage", strings.Repeat(`{"a":`, 200) + strings.Repeat(`}`, 200), "nesting"},
		{"foxglove.CompressedImage", `{"a":` + strings.Repeat(`[`, 200) + strings.Repeat(`]`, 200) + `}`, "nesting"},
	}
	for _, c := range cases {
		_, err := jsonDecoder(t, c.name).Decode([]byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "foxglove: ") {
			t.Errorf("%s %s: error %v, want %q", c.name, c.doc, err, c.want)
		}
	}
	_, err := jsonDecoder(t, "foxglove.PointCloud").Decode([]byte(`{"pose":{"position":{"x":0,"y":0,"z":2}}}`))
	if !errors.Is(err, ErrCloudPose) {
		t.Errorf("non-identity JSON pose: %v", err)
	}
}

// TestDecodeFirstError checks that a message with several bad fields fails
// on the first one in reading order (header, then payload fields in schema
// order, list elements in order), with the whole message; and that a
// generic message reads a bad stamp or frame id as absent, each on its own.
func TestDecodeFirstError(t *testing.T) {
	cases := []struct{ name, doc, want string }{
		{"foxglove.RawImage", `{"width":"a","height":"b"}`,
			"foxglove: foxglove.RawImage.width: got string, want integer"},
		{"foxglove.RawImage", `{"width":1,"height":4,"step":1,"data":"AA==","encoding":5}`,
			"foxglove: foxglove.RawImage.encoding: got int64, want string"},
		{"foxglove.CompressedImage", `{"frame_id":7,"format":8,"timestamp":{"sec":"1"}}`,
			"foxglove: foxglove.CompressedImage.timestamp.sec: got string, want integer"},
		{"foxglove.CompressedImage", `{"format":8,"frame_id":7}`,
			"foxglove: foxglove.CompressedImage.frame_id: got int64, want string"},
		{"foxglove.PointCloud", `{"point_stride":"x","pose":{"position":{"x":1}}}`,
			"foxglove: point cloud pose is not identity: foxglove.PointCloud.pose position {1 0 0} orientation (1+0i+0j+0k)"},
		{"foxglove.PointCloud", `{"fields":[{"name":"x","type":9},{"name":7}]}`,
			"foxglove: foxglove.PointCloud.fields[0].type: numeric type 9 of field \"x\" is not UINT8..FLOAT64 (1..8)"},
		{"foxglove.PointCloud", `{"fields":[3,{"name":7}]}`,
			"foxglove: foxglove.PointCloud.fields[0]: got int64, want object"},
		{"foxglove.PointCloud", `{"fields":[{"name":"x","type":7},{"name":7,"offset":-1}]}`,
			"foxglove: foxglove.PointCloud.fields[1].name: got int64, want string"},
		{"foxglove.FrameTransforms", `{"transforms":[{"parent_frame_id":7},{"child_frame_id":8}]}`,
			"foxglove: foxglove.FrameTransforms.transforms[0].parent_frame_id: got int64, want string"},
		{"foxglove.FrameTransform", `{"translation":{"y":"1"},"rotation":{"x":"2"}}`,
			"foxglove: foxglove.FrameTransform.translation.y: got string, want number"},
		{"foxglove.CameraCalibration", `{"K":[1],"R":[2],"D":[1,"a"]}`,
			"foxglove: foxglove.CameraCalibration.D: [1]: got string, want number"},
		{"foxglove.LocationFix", `{"longitude":"e","latitude":"n"}`,
			"foxglove: foxglove.LocationFix.latitude: got string, want number"},
	}
	for _, c := range cases {
		_, err := jsonDecoder(t, c.name).Decode([]byte(c.doc))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s %s: error %v\nwant %s", c.name, c.doc, err, c.want)
		}
	}
	generic := []struct {
		doc     string
		want    int64
		has     bool
		frameID string
	}{
		{`{"timestamp":"yesterday","frame_id":"f"}`, 0, false, "f"},
		{`{"timestamp":{"sec":"1"},"frame_id":"f"}`, 0, false, "f"},
		{`{"timestamp":{"sec":1,"nsec":2},"frame_id":7}`, 1_000_000_002, true, ""},
	}
	dec := jsonDecoder(t, "x.Unknown")
	for _, g := range generic {
		d, err := dec.Decode([]byte(g.doc))
		if err != nil {
			t.Errorf("generic %s: %v", g.doc, err)
			continue
		}
		if _, ok := d.Payload.(*formats.Generic); !ok || d.Stamp != g.want || d.HasStamp != g.has || d.FrameID != g.frameID {
			t.Errorf("generic %s = %v %d %q %T, want %v %d %q", g.doc, d.HasStamp, d.Stamp, d.FrameID, d.Payload, g.has, g.want, g.frameID)
		}
	}
}

// TestMarshalJSONRoundTrip writes every typed payload with MarshalJSON and
// reads it back with the JSON decoder.
func TestMarshalJSONRoundTrip(t *testing.T) {
	for _, c := range roundTrips {
		b, err := MarshalJSON(c.name, c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := jsonDecoder(t, c.name).Decode(b)
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.name, err, b)
		}
		want := c.want
		if want.Payload == nil {
			want = c.in
		}
		if g, ok := want.Payload.(*formats.Generic); ok {
			// Generic JSON comes back in JSON form: compare the text.
			wb, _ := json.Marshal(jsonForm(g.Value))
			gb, _ := json.Marshal(got.Payload.(*formats.Generic).Value)
			if string(gb) != string(wb) {
				t.Errorf("%s: got %s, want %s", c.name, gb, wb)
			}
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\ngot  %+v %+v\nwant %+v %+v\n%s", c.name, got, got.Payload, want, want.Payload, b)
		}
	}
	if _, err := MarshalJSON("foxglove.LocationFix", formats.Decoded{Payload: &formats.GNSS{Latitude: math.NaN()}}); err == nil {
		t.Error("NaN latitude written to JSON")
	}
}

func TestSchemaJSON(t *testing.T) {
	enc, data, err := SchemaJSON("foxglove.PointCloud")
	if err != nil || enc != "jsonschema" {
		t.Fatal(enc, err)
	}
	var s struct {
		Title      string
		Properties map[string]struct {
			Type            string
			ContentEncoding string
			Items           struct{ Properties map[string]json.RawMessage }
			Properties      map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	p := s.Properties
	if s.Title != "foxglove.PointCloud" || len(p) != 6 || p["data"].ContentEncoding != "base64" ||
		p["point_stride"].Type != "integer" || p["fields"].Type != "array" || len(p["fields"].Items.Properties) != 3 ||
		p["timestamp"].Properties["sec"] == nil || p["timestamp"].Properties["nsec"] == nil {
		t.Errorf("schema = %s", data)
	}
	for _, n := range Names() {
		if _, d, err := SchemaJSON(n); err != nil || !json.Valid(d) {
			t.Errorf("SchemaJSON(%s): %v", n, err)
		}
		if _, err := NewDecoder(n, "jsonschema", mustSchemaJSON(t, n), "json"); err != nil {
			t.Errorf("NewDecoder on SchemaJSON(%s): %v", n, err)
		}
	}
	if _, _, err := SchemaJSON("foxglove.Nope"); err == nil {
		t.Error("SchemaJSON of unknown name")
	}
}

func mustSchemaJSON(t *testing.T, name string) []byte {
	_, d, err := SchemaJSON(name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
