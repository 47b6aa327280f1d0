package foxglove

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// TestAppendSceneUpdate decodes what AppendSceneUpdate writes with the
// FileDescriptorSet Schema("foxglove.SceneUpdate") serves (compiled on
// its own, as a viewer does) and checks every field.
func TestAppendSceneUpdate(t *testing.T) {
	tests := []struct {
		name string
		in   SceneUpdate
	}{
		{"empty", SceneUpdate{}},
		{"delete all only", SceneUpdate{DeleteAll: true, DeleteStamp: 1709294400_100000000}},
		{"two entities", SceneUpdate{DeleteAll: true, DeleteStamp: 5, Entities: []SceneEntity{
			{Stamp: 1709294400_100000000, FrameID: "base_link", ID: "car/0", Metadata: [][2]string{{"class", "car"}, {"id", "0"}},
				Cubes: []Cube{{Position: [3]float64{1, -2, 0.75}, Orientation: [4]float64{0, 0, 0.1, 0.99498743710662}, Size: [3]float64{4.5, 1.8, 1.5}, Color: Color{R: 1, A: 0.4}}}},
			{Stamp: -1, FrameID: "map", ID: "pole/1", Cubes: []Cube{{Orientation: [4]float64{0, 0, 0, 1}, Size: [3]float64{0.3, 0.3, 6}}}},
		}}},
	}
	_, raw, err := Schema("foxglove.SceneUpdate")
	if err != nil {
		t.Fatal(err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		t.Fatalf("schema does not compile on its own: %v", err)
	}
	d, err := files.FindDescriptorByName("foxglove.SceneUpdate")
	if err != nil {
		t.Fatal(err)
	}
	md := d.(protoreflect.MessageDescriptor)
	vec := func(m protoreflect.Message, names ...string) []float64 {
		var out []float64
		for _, n := range names {
			out = append(out, m.Get(m.Descriptor().Fields().ByName(protoreflect.Name(n))).Float())
		}
		return out
	}
	get := func(m protoreflect.Message, n string) protoreflect.Value {
		return m.Get(m.Descriptor().Fields().ByName(protoreflect.Name(n)))
	}
	stamp := func(m protoreflect.Message) int64 {
		return get(m, "seconds").Int()*1e9 + get(m, "nanos").Int()
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := dynamicpb.NewMessage(md)
			if err := proto.Unmarshal(AppendSceneUpdate(nil, &tc.in), m); err != nil {
				t.Fatal(err)
			}
			if len(m.GetUnknown()) != 0 {
				t.Errorf("unknown fields %x", m.GetUnknown())
			}
			dels := get(m, "deletions").List()
			if want := map[bool]int{true: 1}[tc.in.DeleteAll]; dels.Len() != want {
				t.Fatalf("%d deletions, want %d", dels.Len(), want)
			}
			if dels.Len() == 1 {
				del := dels.Get(0).Message()
				if get(del, "type").Enum() != 1 || stamp(get(del, "timestamp").Message()) != tc.in.DeleteStamp {
					t.Errorf("deletion type %d at %d, want ALL at %d", get(del, "type").Enum(), stamp(get(del, "timestamp").Message()), tc.in.DeleteStamp)
				}
			}
			ents := get(m, "entities").List()
			if ents.Len() != len(tc.in.Entities) {
				t.Fatalf("%d entities, want %d", ents.Len(), len(tc.in.Entities))
			}
			for i, want := range tc.in.Entities {
				e := ents.Get(i).Message()
				if s := stamp(get(e, "timestamp").Message()); s != want.Stamp || get(e, "frame_id").String() != want.FrameID || get(e, "id").String() != want.ID {
					t.Errorf("entity %d: %d %q %q, want %d %q %q", i, s, get(e, "frame_id").String(), get(e, "id").String(), want.Stamp, want.FrameID, want.ID)
				}
				md := get(e, "metadata").List()
				if md.Len() != len(want.Metadata) {
					t.Fatalf("entity %d: %d metadata, want %d", i, md.Len(), len(want.Metadata))
				}
				for k, kv := range want.Metadata {
					if got := md.Get(k).Message(); get(got, "key").String() != kv[0] || get(got, "value").String() != kv[1] {
						t.Errorf("entity %d metadata %d: want %v", i, k, kv)
					}
				}
				cubes := get(e, "cubes").List()
				if cubes.Len() != len(want.Cubes) {
					t.Fatalf("entity %d: %d cubes, want %d", i, cubes.Len(), len(want.Cubes))
				}
				for k, wc := range want.Cubes {
					c := cubes.Get(k).Message()
					pose := get(c, "pose").Message()
					pos := vec(get(pose, "position").Message(), "x", "y", "z")
					rot := vec(get(pose, "orientation").Message(), "x", "y", "z", "w")
					size := vec(get(c, "size").Message(), "x", "y", "z")
					col := vec(get(c, "color").Message(), "r", "g", "b", "a")
					if [3]float64(pos) != wc.Position || [4]float64(rot) != wc.Orientation || [3]float64(size) != wc.Size ||
						(Color{col[0], col[1], col[2], col[3]}) != wc.Color {
						t.Errorf("entity %d cube %d: %v %v %v %v, want %+v", i, k, pos, rot, size, col, wc)
					}
				}
			}
		})
	}
}
