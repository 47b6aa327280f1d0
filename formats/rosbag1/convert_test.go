package rosbag1_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/mcapsource"
	"github.com/rigsync/rigsync/formats/msgdef"
	"github.com/rigsync/rigsync/formats/rosbag1"
)

// TestMD5SumReal: MD5Sum of every connection's definition in the real
// bags equals the md5sum its recorder wrote (18 types, among them
// Header, Imu, Odometry, NavSatFix, tf/tfMessage, rosgraph_msgs/Log with
// constants, turtlesim types).
func TestMD5SumReal(t *testing.T) {
	dir, ok := sharedROS1()
	if !ok {
		t.Skip("shared data absent (set RIGSYNC_SHARED_DATA)")
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*", "*.bag"))
	types := map[string]bool{}
	for _, p := range paths {
		r, err := rosbag1.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range r.Connections() {
			s, err := msgdef.Parse(c.Type, []byte(c.MessageDefinition), msgdef.ROS1)
			if err != nil {
				t.Errorf("%s: %s: %v", p, c.Type, err)
				continue
			}
			got, err := rosbag1.MD5Sum(s)
			if err != nil || got != c.MD5Sum {
				t.Errorf("%s: %s: md5sum %s (%v), the bag says %s", filepath.Base(p), c.Type, got, err, c.MD5Sum)
			}
			types[c.Type] = true
		}
		r.Close()
	}
	if len(types) < 5 {
		t.Errorf("only %d types checked", len(types))
	}
	t.Logf("%d types: %v", len(types), types)
}

// fixtureDrive writes a synthetic drive (fixtures, ROS 2 CDR) of the given
// preset and duration (small: 160×96 cameras), and the same drive converted to a bag with
// FromMCAP; it returns both paths.
func fixtureDrive(tb testing.TB, preset string, d time.Duration, small bool, compression string) (string, string) {
	tb.Helper()
	cfg, err := fixtures.Preset(preset)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Duration = d
	if small {
		cfg.Rig.SetCameraSize(160, 96)
	}
	dir := tb.TempDir()
	mc := filepath.Join(dir, "drive.mcap")
	f, err := os.Create(mc)
	if err != nil {
		tb.Fatal(err)
	}
	if err := fixtures.Generate(context.Background(), cfg, f, io.Discard, nil); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	r, err := mcapread.Open(mc)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	bag := filepath.Join(dir, "drive-"+compression+".bag")
	bf, err := os.Create(bag)
	if err != nil {
		tb.Fatal(err)
	}
	defer bf.Close()
	w, err := rosbag1.NewWriter(bf, rosbag1.WriterOptions{Compression: compression})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := rosbag1.FromMCAP(r, w); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return mc, bag
}

// TestFixtureAsBag: a synthetic drive (six cameras with CameraInfo, a
// LiDAR, radars, IMU, odometry, GNSS, /tf_static) written as MCAP and
// converted to a ROS 1 bag (none and lz4) reads back as the same
// messages: topics, log times, frame ids, stamps and their clocks,
// modalities and typed payloads, message by message; only the type names
// (ROS 1 "pkg/Type") and sequence numbers differ.
func TestFixtureAsBag(t *testing.T) {
	for _, comp := range []string{rosbag1.CompressionLZ4, rosbag1.CompressionNone} {
		t.Run(comp, func(t *testing.T) {
			mc, bag := fixtureDrive(t, "urban", time.Second, true, comp)
			ms, err := mcapsource.Open(mc, mcapsource.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer ms.Close()
			bs, err := rosbag1.OpenSource(bag, rosbag1.SourceOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer bs.Close()
			want, got := drain(t, ms), drain(t, bs)
			if len(got) != len(want) || len(got) < 100 {
				t.Fatalf("%d messages from the bag, %d from the MCAP", len(got), len(want))
			}
			perTopic := map[string]int{}
			for i := range got {
				g, w := got[i], want[i]
				if g.Type != strings.Replace(w.Type, "/msg/", "/", 1) {
					t.Fatalf("message %d: type %s, MCAP %s", i, g.Type, w.Type)
				}
				gp, wp := g.Payload, w.Payload
				g.Payload, w.Payload, g.Type, w.Type, g.Sequence, w.Sequence = nil, nil, "", "", 0, 0
				if g != w {
					t.Fatalf("message %d: bag %+v\nMCAP %+v", i, g, w)
				}
				if !reflect.DeepEqual(gp, wp) {
					t.Fatalf("message %d (%s): payloads differ:\n%#v\n%#v", i, g.Topic, gp, wp)
				}
				if _, generic := gp.(*formats.Generic); generic {
					t.Errorf("message %d (%s): generic payload", i, g.Topic)
				}
				perTopic[g.Topic]++
			}
			topics := bs.Reader().Topics()
			for _, tp := range topics {
				if int(tp.Count) != perTopic[tp.Name] {
					t.Errorf("%s: index counts %d, %d read", tp.Name, tp.Count, perTopic[tp.Name])
				}
			}
			if len(topics) != len(perTopic) || len(bs.Reader().Warnings()) != 0 {
				t.Errorf("%d topics listed, %d read; warnings %v", len(topics), len(perTopic), bs.Reader().Warnings())
			}
			t.Logf("%d messages on %d topics", len(got), len(topics))
		})
	}
}
