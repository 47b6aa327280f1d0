package main

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// The fused MCAP of a fixture drive, read back: every /tf message is a
// tree rooted at the world frame (no base_link→base_link edge, each child
// once) whose sensor edges are the truth's published extrinsics; the
// projected points are protobuf foxglove.ImageAnnotations (decoded with
// the protobuf runtime from the file's schema) inside their images; and
// info on the file reports the same tree and no decode errors.
func TestFuseMCAPAgainstTruth(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "drive.mcap")
	if code, _, errs := runCLI(t, "fixtures", "generate", "--duration", "1s", "--camera-size", "160x100", "-q", "-o", log); code != exitOK {
		t.Fatalf("fixtures generate: exit %d: %s", code, errs)
	}
	tf, err := os.Open(strings.TrimSuffix(log, ".mcap") + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	truth, err := fixtures.LoadTruth(tf)
	tf.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "fused.mcap")
	if code, _, errs := runCLI(t, "fuse", log, "--format", "mcap", "-o", out, "-q"); code != exitOK {
		t.Fatalf("fuse: exit %d: %s", code, errs)
	}
	r, err := mcapread.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ds decode.Decoders
	tfMsgs, annMsgs, annPoints := 0, 0, 0
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		topic := m.Channel.Topic
		switch {
		case topic == "/tf" || topic == "/tf_static":
			tfMsgs++
			msg, err := ds.Message(m.Channel.Channel, m.Channel.Schema, &m.Message)
			if err != nil {
				t.Fatal(err)
			}
			trs := msg.Payload.(*formats.Transforms).Transforms
			parent := map[string]string{}
			for _, tr := range trs {
				if tr.Parent == tr.Child {
					t.Fatalf("%s at %d: self-edge %s→%s", topic, m.LogTime, tr.Parent, tr.Child)
				}
				if p, ok := parent[tr.Child]; ok {
					t.Fatalf("%s at %d: %s has parents %s and %s", topic, m.LogTime, tr.Child, p, tr.Parent)
				}
				parent[tr.Child] = tr.Parent
			}
			for child := range parent {
				f, steps := child, 0
				for parent[f] != "" {
					if f, steps = parent[f], steps+1; steps > len(parent) {
						t.Fatalf("%s at %d: cycle through %s", topic, m.LogTime, child)
					}
				}
				if f != "world" {
					t.Fatalf("%s at %d: %s hangs from %s, not from the world frame", topic, m.LogTime, child, f)
				}
			}
			for _, tr := range trs {
				st := truth.Sensor(tr.Child)
				if st == nil || st.Kind == "camera" { // cameras carry ego motion (BaseCamera)
					continue
				}
				want := st.Published
				if tr.Parent != "base_link" {
					t.Errorf("%s: parent %s, want base_link", tr.Child, tr.Parent)
				}
				for i := 0; i < 3; i++ {
					if math.Abs([]float64{tr.Translation.X, tr.Translation.Y, tr.Translation.Z}[i]-want.Translation[i]) > 1e-6 {
						t.Errorf("%s translation %v, truth %v", tr.Child, tr.Translation, want.Translation)
						break
					}
				}
				q := want.Quat()
				if d := math.Abs(tr.Rotation.Real*q.Real + tr.Rotation.Imag*q.Imag + tr.Rotation.Jmag*q.Jmag + tr.Rotation.Kmag*q.Kmag); d < 1-1e-9 {
					t.Errorf("%s rotation %v, truth %v", tr.Child, tr.Rotation, q)
				}
			}
		case strings.HasSuffix(topic, "/lidar") && topic != "/lidar":
			annMsgs++
			cam := truth.Sensor(strings.TrimSuffix(strings.TrimPrefix(topic, "/"), "/lidar"))
			if cam == nil || cam.Camera == nil {
				t.Fatalf("%s: no camera %s in the truth", topic, strings.TrimSuffix(topic, "/lidar"))
			}
			sc := m.Channel.Schema
			if sc == nil || sc.Name != "foxglove.ImageAnnotations" || sc.Encoding != "protobuf" || m.Channel.MessageEncoding != "protobuf" {
				t.Fatalf("%s: schema %v, message encoding %s; want foxglove.ImageAnnotations protobuf", topic, sc, m.Channel.MessageEncoding)
			}
			var set descriptorpb.FileDescriptorSet
			if err := proto.Unmarshal(sc.Data, &set); err != nil {
				t.Fatal(err)
			}
			files, err := protodesc.NewFiles(&set)
			if err != nil {
				t.Fatal(err)
			}
			d, err := files.FindDescriptorByName("foxglove.ImageAnnotations")
			if err != nil {
				t.Fatal(err)
			}
			dm := dynamicpb.NewMessage(d.(protoreflect.MessageDescriptor))
			if err := proto.Unmarshal(m.Data, dm); err != nil {
				t.Fatalf("%s: %v", topic, err)
			}
			get := func(x protoreflect.Message, name string) protoreflect.Value {
				return x.Get(x.Descriptor().Fields().ByName(protoreflect.Name(name)))
			}
			anns := get(dm, "points").List()
			for i := 0; i < anns.Len(); i++ {
				pa := anns.Get(i).Message()
				pts := get(pa, "points").List()
				for k := 0; k < pts.Len(); k++ {
					p := pts.Get(k).Message()
					x, y := get(p, "x").Float(), get(p, "y").Float()
					if x < 0 || y < 0 || x > float64(cam.Camera.Width) || y > float64(cam.Camera.Height) {
						t.Errorf("%s: point (%g, %g) outside the %dx%d image", topic, x, y, cam.Camera.Width, cam.Camera.Height)
					}
					annPoints++
				}
			}
		}
	}
	if tfMsgs == 0 || annMsgs == 0 || annPoints == 0 {
		t.Fatalf("%d /tf messages, %d annotation messages, %d projected points", tfMsgs, annMsgs, annPoints)
	}
	rep := infoJSON(t, out)
	for _, e := range rep.TF {
		if e.Parent == e.Child {
			t.Errorf("info: TF edge %s→%s", e.Parent, e.Child)
		}
	}
	for _, c := range rep.Channels {
		if c.DecodeErrors != 0 || c.DecodeError != "" {
			t.Errorf("info: %s: %d decode errors: %s", c.Topic, c.DecodeErrors, c.DecodeError)
		}
	}
}
