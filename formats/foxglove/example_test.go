package foxglove_test

import (
	"fmt"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/foxglove"
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
)

// A writer gets the schema and encodes a payload; a reader compiles the
// channel's decoder once and decodes each message.
func Example() {
	enc, schema, err := foxglove.Schema("foxglove.FrameTransform")
	if err != nil {
		panic(err)
	}
	msg, err := foxglove.Marshal("foxglove.FrameTransform", formats.Decoded{
		Payload: &formats.Transforms{Transforms: []formats.Transform{{
			Stamp: 1_500_000_000, Parent: "base_link", Child: "lidar",
			Translation: r3.Vec{X: 1.2, Z: 1.8}, Rotation: quat.Number{Real: 1},
		}}},
	})
	if err != nil {
		panic(err)
	}

	dec, err := foxglove.NewDecoder("foxglove.FrameTransform", enc, schema, "protobuf")
	if err != nil {
		panic(err)
	}
	d, err := dec.Decode(msg)
	if err != nil {
		panic(err)
	}
	t := d.Payload.(*formats.Transforms).Transforms[0]
	fmt.Println(dec.Modality(), d.Stamp, t.Parent, "->", t.Child, t.Translation)
	// Output: tf 1500000000 base_link -> lidar {1.2 0 1.8}
}

// A 3D box label as a Foxglove scene: one cube entity in base_link,
// replacing the previous frame's entities; the quaternion is x, y, z, w.
func ExampleAppendSceneUpdate() {
	enc, schema, err := foxglove.Schema("foxglove.SceneUpdate")
	if err != nil {
		panic(err)
	}
	msg := foxglove.AppendSceneUpdate(nil, &foxglove.SceneUpdate{DeleteAll: true, DeleteStamp: 1e9,
		Entities: []foxglove.SceneEntity{{Stamp: 1e9, FrameID: "base_link", ID: "car/12",
			Metadata: [][2]string{{"id", "12"}, {"class", "car"}},
			Cubes: []foxglove.Cube{{Position: [3]float64{8, -2, 0.75}, Orientation: [4]float64{0, 0, 0, 1},
				Size: [3]float64{4.5, 1.8, 1.5}, Color: foxglove.Color{R: 1, A: 0.4}}}}}})
	fmt.Println(enc, len(schema) > 0, len(msg) > 0)
	// Output: protobuf true true
}
