package foxglove

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rigsync/rigsync/formats"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// fuzzSchemas are the schemas the fuzz targets pick from with their first
// argument: the built-in foxglove schemas, then the all-kinds oracle schema.
func fuzzSchemas() []string { return append(Names(), "test.AllKinds") }

type protoTarget struct {
	name string
	dec  formats.MessageDecoder
	md   protoreflect.MessageDescriptor
}

func protoTargets(tb testing.TB) []protoTarget {
	var out []protoTarget
	for _, name := range Names() {
		out = append(out, protoTarget{name, newDecoder(tb, name), loadSchemaTB(tb, name)})
	}
	files, err := protodesc.NewFiles(allKindsSet())
	if err != nil {
		tb.Fatal(err)
	}
	d, _ := files.FindDescriptorByName("test.AllKinds")
	dec, err := NewDecoder("test.AllKinds", "protobuf", allKindsSchema(tb), "protobuf")
	if err != nil {
		tb.Fatal(err)
	}
	return append(out, protoTarget{"test.AllKinds", dec, d.(protoreflect.MessageDescriptor)})
}

// checkRemarshal re-encodes a typed decode with Marshal and checks that it
// decodes to the same payload.
func checkRemarshal(t *testing.T, name string, d formats.Decoded) {
	if _, ok := d.Payload.(*formats.Generic); ok || d.Payload == nil {
		return
	}
	b, err := Marshal(name, d)
	if err != nil {
		return // not representable (e.g. covariance type outside 0..3)
	}
	back, err := newDecoder(t, name).Decode(b)
	if err != nil {
		t.Fatalf("%s: decode of Marshal output: %v", name, err)
	}
	if g, w := fmt.Sprintf("%+v", back.Payload), fmt.Sprintf("%+v", d.Payload); g != w {
		t.Fatalf("%s: re-marshal changed the payload:\ngot  %s\nwant %s", name, g, w)
	}
	if name != "foxglove.FrameTransforms" && name != "foxglove.FrameTransform" &&
		(back.HasStamp != d.HasStamp || back.Stamp != d.Stamp || back.FrameID != d.FrameID) {
		t.Fatalf("%s: re-marshal changed the header: %v %d %q, want %v %d %q",
			name, back.HasStamp, back.Stamp, back.FrameID, d.HasStamp, d.Stamp, d.FrameID)
	}
}

// FuzzProtobuf decodes arbitrary bytes with each protobuf schema. It must
// never panic; Value must equal the protobuf runtime's reading whenever the
// runtime accepts the bytes; a typed decode must survive Marshal;
// DecodeHeader must agree with Decode.
func FuzzProtobuf(f *testing.F) {
	for i, data := range protoSeeds(f) {
		f.Add(uint8(i%len(fuzzSchemas())), data)
	}
	targets := protoTargets(f)
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		tg := targets[int(which)%len(targets)]
		checkAgainstRuntime(t, tg.dec, tg.md, data)
		d, err := tg.dec.Decode(data)
		if err != nil {
			return
		}
		checkHeader(t, tg.dec, data, d)
		if _, err := tg.dec.Value(data); err != nil {
			t.Fatalf("Decode accepts but Value fails: %v", err)
		}
		checkRemarshal(t, tg.name, d)
	})
}

// FuzzJSON decodes arbitrary bytes as JSON with each foxglove schema. It
// must never panic; a typed decode must survive Marshal to protobuf and
// back; DecodeHeader must agree with Decode.
func FuzzJSON(f *testing.F) {
	for i, doc := range jsonSeeds {
		f.Add(uint8(i), []byte(doc.doc))
	}
	names := Names()
	decs := make([]formats.MessageDecoder, len(names))
	for i, n := range names {
		decs[i] = jsonDecoder(f, n)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		i := int(which) % len(names)
		d, err := decs[i].Decode(data)
		if err != nil {
			return
		}
		checkHeader(t, decs[i], data, d)
		if _, err := decs[i].Value(data); err != nil {
			t.Fatalf("Decode accepts but Value fails: %v", err)
		}
		checkRemarshal(t, names[i], d)
	})
}

// protoSeeds are valid messages for the schemas, in fuzzSchemas order where
// possible.
func protoSeeds(tb testing.TB) [][]byte {
	var out [][]byte
	byName := map[string][]byte{}
	for _, c := range roundTrips {
		b, err := Marshal(c.name, c.in)
		if err != nil {
			tb.Fatal(err)
		}
		byName[c.name] = b
	}
	for _, n := range Names() {
		out = append(out, byName[n])
	}
	return out
}

// jsonSeeds are documents indexed like Names().
var jsonSeeds = []struct{ name, doc string }{
	{"foxglove.CameraCalibration", `{"timestamp":{"sec":0,"nsec":1},"frame_id":"c","width":640,"height":480,"distortion_model":"plumb_bob","D":[0.1,0.2,0,0,0.3],"K":[500,0,320,0,500,240,0,0,1],"R":[1,0,0,0,1,0,0,0,1],"P":[500,0,320,0,0,500,240,0,0,0,1,0]}`},
	{"foxglove.CompressedImage", `{"timestamp":{"sec":1,"nsec":2},"frame_id":"cam","data":"/9j/4A==","format":"jpeg"}`},
	{"foxglove.CompressedVideo", `{"timestamp":{"sec":1,"nsec":2},"frame_id":"cam","data":"AAAAAWc=","format":"h264"}`},
	{"foxglove.FrameTransform", `{"timestamp":{"sec":1,"nsec":0},"parent_frame_id":"world","child_frame_id":"imu","translation":{"x":0.5,"y":0,"z":1},"rotation":{"x":0,"y":0,"z":0,"w":1}}`},
	{"foxglove.FrameTransforms", `{"transforms":[{"timestamp":{"sec":1,"nsec":0},"parent_frame_id":"a","child_frame_id":"b","translation":{"x":1,"y":2,"z":3},"rotation":{"x":0,"y":0,"z":0.7071,"w":0.7071}}]}`},
	{"foxglove.LocationFix", `{"timestamp":{"sec":1727090000,"nsec":250000000},"frame_id":"gps","latitude":40.4168,"longitude":-3.7038,"altitude":667,"position_covariance":[1,0,0,0,1,0,0,0,4],"position_covariance_type":2}`},
	{"foxglove.PointCloud", `{"timestamp":{"sec":3,"nsec":4},"frame_id":"lidar","pose":{"position":{"x":0,"y":0,"z":0},"orientation":{"x":0,"y":0,"z":0,"w":1}},"point_stride":12,"fields":[{"name":"x","offset":0,"type":7},{"name":"y","offset":4,"type":7},{"name":"z","offset":8,"type":7}],"data":"AACAPwAAAEAAAEBA"}`},
	{"foxglove.PoseInFrame", `{"timestamp":{"sec":5,"nsec":6},"frame_id":"map","pose":{"position":{"x":1,"y":2,"z":3},"orientation":{"x":0,"y":0,"z":0,"w":1}}}`},
	{"foxglove.RawImage", `{"timestamp":{"sec":1,"nsec":0},"frame_id":"cam","width":2,"height":1,"encoding":"mono8","step":2,"data":"AQI="}`},
}

// TestWriteSeedCorpus regenerates testdata/fuzz/Fuzz{Protobuf,JSON}/seed-*
// when FOXGLOVE_WRITE_CORPUS=1; otherwise it checks the seeds are indexed
// as documented.
func TestWriteSeedCorpus(t *testing.T) {
	for i, s := range jsonSeeds {
		if Names()[i] != s.name {
			t.Fatalf("jsonSeeds[%d] is %s, want %s", i, s.name, Names()[i])
		}
	}
	if os.Getenv("FOXGLOVE_WRITE_CORPUS") != "1" {
		t.Skip("set FOXGLOVE_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	write := func(target string, i int, which int, data []byte) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf("go test fuzz v1\nbyte(%s)\n[]byte(%s)\n", strconv.QuoteRune(rune(which)), strconv.Quote(string(data)))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, b := range protoSeeds(t) {
		write("FuzzProtobuf", i, i, b)
	}
	allKinds := len(Names())
	write("FuzzProtobuf", 90, allKinds, []byte{0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 0x12, 0x03, 1, 2, 0x7f})
	for i, s := range jsonSeeds {
		write("FuzzJSON", i, i, []byte(s.doc))
	}
}
