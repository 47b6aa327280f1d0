package foxglove

import (
	"testing"

	"github.com/rigsync/rigsync/formats"
)

// checkHeader fails unless DecodeHeader gives the stamp and frame id that
// Decode gave (d) for data, and no payload.
func checkHeader(t *testing.T, dec formats.MessageDecoder, data []byte, d formats.Decoded) {
	t.Helper()
	hd, ok := dec.(formats.HeaderDecoder)
	if !ok {
		t.Fatalf("%T is not a formats.HeaderDecoder", dec)
	}
	h, err := hd.DecodeHeader(data)
	if err != nil {
		t.Fatalf("Decode accepts %q but DecodeHeader fails: %v", data, err)
	}
	if h.HasStamp != d.HasStamp || h.Stamp != d.Stamp || h.FrameID != d.FrameID || h.Payload != nil {
		t.Fatalf("DecodeHeader = %v %d %q %T, Decode = %v %d %q", h.HasStamp, h.Stamp, h.FrameID, h.Payload, d.HasStamp, d.Stamp, d.FrameID)
	}
}

// TestDecodeHeader checks DecodeHeader against Decode on a message of
// every schema in both encodings, and on JSON documents that make the
// member scanner work: escapes, brackets inside strings, repeated keys,
// the stamp after bulky members, white space, RFC 3339 stamps.
func TestDecodeHeader(t *testing.T) {
	for i, data := range protoSeeds(t) {
		name := Names()[i]
		t.Run("protobuf/"+name, func(t *testing.T) {
			dec := newDecoder(t, name)
			d, err := dec.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			checkHeader(t, dec, data, d)
		})
	}
	ann := AppendImageAnnotations(nil, &ImageAnnotations{Points: []PointsAnnotation{{Stamp: 7, Type: PointsPoints,
		Points: []Point2{{1, 2}, {3, 4}}, OutlineColor: Color{1, 0, 0, 1}}}})
	annDec, err := NewDecoder("foxglove.ImageAnnotations", EncodingProtobuf, mustSchema(t, "foxglove.ImageAnnotations"), EncodingProtobuf)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := annDec.Decode(ann); err != nil {
		t.Fatal(err)
	} else {
		checkHeader(t, annDec, ann, d)
	}

	docs := []struct{ name, doc string }{
		{"foxglove.CompressedImage", ` { "data" : "/9j/4A==" , "format":"jpeg", "frame_id" : "cam" ,"timestamp":{"sec":1,"nsec":2} } `},
		{"foxglove.CompressedImage", `{"format":"a \"}]{[ b","fr\u0061me_id":"c\"am\\","timestamp":{"nsec":5,"sec":7},"data":"AQ=="}`},
		{"foxglove.CompressedImage", `{"format":"x\\","frame_id":"c\\\"d\\","data":"","timestamp":{"sec":1,"nsec":2}}`},
		{"foxglove.ImageAnnotations", `{"texts":[{"text":"}\\"},{"text":"\\\"]"}],"timestamp":{"sec":1,"nsec":2},"frame_id":"f"}`},
		{"foxglove.CompressedImage", `{"frame_id":"first","timestamp":{"sec":1,"nsec":0},"frame_id":"last","data":"","format":"png"}`},
		{"foxglove.CompressedImage", `{"timestamp":"2024-03-01T12:00:00.123456789Z","frame_id":"cam","data":"","format":"png"}`},
		{"foxglove.PointCloud", `{"fields":[{"name":"x","offset":0,"type":7},{"name":"y","offset":4,"type":7},{"name":"z","offset":8,"type":7}],"point_stride":12,"data":"AACAPwAAAEAAAEBA","pose":{"position":{"x":0,"y":0,"z":0},"orientation":{"x":0,"y":0,"z":0,"w":1}},"timestamp":{"sec":3,"nsec":4},"frame_id":"lidar"}`},
		{"foxglove.FrameTransform", `{"child_frame_id":"imu","parent_frame_id":"world","timestamp":{"sec":1,"nsec":0},"translation":{"x":0.5,"y":0,"z":1},"rotation":{"x":0,"y":0,"z":0,"w":1}}`},
		{"foxglove.FrameTransforms", `{"transforms":[{"timestamp":{"sec":1,"nsec":0},"parent_frame_id":"a","child_frame_id":"b","translation":{"x":1,"y":2,"z":3},"rotation":{"x":0,"y":0,"z":0,"w":1}}]}`},
		{"foxglove.ImageAnnotations", `{"timestamp":{"sec":1,"nsec":2},"circles":[],"texts":[],"points":[{"timestamp":{"sec":1,"nsec":2},"type":1,"points":[{"x":1.5,"y":2.5},{"x":3,"y":4}],"outline_colors":[{"r":1,"g":0,"b":0,"a":1}]}]}`},
		{"foxglove.ImageAnnotations", `{"points":[],"frame_id":null}`},
		{"foxglove.ImageAnnotations", `{}`},
	}
	for _, c := range docs {
		t.Run("json/"+c.name, func(t *testing.T) {
			dec := jsonDecoder(t, c.name)
			d, err := dec.Decode([]byte(c.doc))
			if err != nil {
				t.Fatal(err)
			}
			checkHeader(t, dec, []byte(c.doc), d)
		})
	}
	for i, s := range jsonSeeds {
		dec := jsonDecoder(t, s.name)
		d, err := dec.Decode([]byte(s.doc))
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		checkHeader(t, dec, []byte(s.doc), d)
	}

	// Malformed documents are errors, not panics or hangs; a frame id of
	// the wrong kind is an error of a typed schema, as in Decode.
	bad := []struct{ name, doc string }{
		{"foxglove.CompressedImage", ``},
		{"foxglove.CompressedImage", `[1,2]`},
		{"foxglove.CompressedImage", `{"data":"abc`},
		{"foxglove.CompressedImage", `{"data":[1,2}`},
		{"foxglove.CompressedImage", `{"data":[1,2]`},
		{"foxglove.CompressedImage", `{"data" 1}`},
		{"foxglove.CompressedImage", `{"data":}`},
		{"foxglove.CompressedImage", `{"data":1} x`},
		{"foxglove.CompressedImage", `{"frame_id":7,"data":"","format":""}`},
		{"foxglove.CompressedImage", `{"timestamp":{"sec":"x"}}`},
	}
	for _, c := range bad {
		dec := jsonDecoder(t, c.name).(formats.HeaderDecoder)
		if _, err := dec.DecodeHeader([]byte(c.doc)); err == nil {
			t.Errorf("%s %q: DecodeHeader accepted it", c.name, c.doc)
		}
	}
}
