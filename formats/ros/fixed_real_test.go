package ros_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/fixtures/shareddata"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/ros"
	"github.com/rigsync/rigsync/formats/rosbag1"
	"github.com/rigsync/rigsync/formats/rosbag2"
)

// payloadText prints a decoded envelope with its payload dereferenced,
// floats by their bits' %v (NaN equals NaN, -0 differs from 0).
func payloadText(d formats.Decoded) string {
	var p any = d.Payload
	switch x := d.Payload.(type) {
	case *formats.IMU:
		p = *x
	case *formats.Odometry:
		p = *x
	case *formats.GNSS:
		p = *x
	}
	return fmt.Sprintf("%v %d %q %T %#v", d.HasStamp, d.Stamp, d.FrameID, d.Payload, p)
}

// fixedCount is what compareFixed found on one topic.
type fixedCount struct {
	typ                 string
	fast, declined, all int
}

// compareFixed decodes every message of the log at path whose channel has
// a fixed-layout fast path with both paths and fails on any difference; it
// returns the counts per topic.
func compareFixed(t *testing.T, path string) map[string]*fixedCount {
	t.Helper()
	l, err := logfile.Open(path, logfile.Options{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer l.Close()
	it, err := l.Messages(mcapread.Options{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	decs := map[*mcapread.Channel]*ros.Decoder{}
	counts := map[string]*fixedCount{}
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		ch, sc := m.Channel, m.Channel.Schema
		if sc == nil || (ch.MessageEncoding != "cdr" && ch.MessageEncoding != "ros1") {
			continue
		}
		d, ok := decs[ch]
		if !ok {
			d, err = ros.New(sc.Name, sc.Encoding, sc.Data, ch.MessageEncoding)
			if err != nil {
				d = nil
			}
			decs[ch] = d
		}
		if d == nil || !d.HasFixed() {
			continue
		}
		c := counts[ch.Topic]
		if c == nil {
			c = &fixedCount{typ: d.TypeName()}
			counts[ch.Topic] = c
		}
		c.all++
		want, werr := d.DecodeTyped(m.Data)
		got, ok := d.DecodeFixed(m.Data)
		if !ok {
			c.declined++
			continue
		}
		c.fast++
		if werr != nil {
			t.Fatalf("%s %s at %d: the fast path decoded what the typed path rejects: %v", path, ch.Topic, m.LogTime, werr)
		}
		if g, w := payloadText(got), payloadText(want); g != w {
			t.Fatalf("%s %s at %d:\nfast  %s\ntyped %s", path, ch.Topic, m.LogTime, g, w)
		}
		// DecodeHeader (no payload built) gives the same envelope.
		if h, err := d.DecodeHeader(m.Data); err != nil || h.Payload != nil || h.HasStamp != want.HasStamp || h.Stamp != want.Stamp || h.FrameID != want.FrameID {
			t.Fatalf("%s %s at %d: DecodeHeader = %+v, %v", path, ch.Topic, m.LogTime, h, err)
		}
		// Decode itself (fast path first) agrees too.
		if all, err := d.Decode(m.Data); err != nil || payloadText(all) != payloadText(want) {
			t.Fatalf("%s %s at %d: Decode = %s, %v", path, ch.Topic, m.LogTime, payloadText(all), err)
		}
	}
	return counts
}

// TestFixedMatchesTyped decodes every Imu, Odometry and NavSatFix message
// of the real logs (MCAP, ROS 1 bags, rosbag2 SQLite and MCAP storage) and
// of a fixture drive (written as MCAP, ROS 1 bag and rosbag2) with the
// fixed-layout fast path and with the typed path, and requires identical
// envelopes and payloads. The counts are those of ../shared/data's
// expected.json and SOURCES.md (every message takes the fast path: the
// real logs use the upstream layouts) and of the fixture truth. These are
// all the logs under ../shared/data (conformance suite aside) that hold
// one of the three types.
func TestFixedMatchesTyped(t *testing.T) {
	mcapDir := shareddata.Dir(t, "mcap")
	bagDir := shareddata.Dir(t, "rosbag")
	want := map[string]map[string]int{
		filepath.Join(mcapDir, "real", "husky-imu-odom-gps_robot-localization-test1.ros1.mcap"): {"/imu/data": 11865, "/husky_velocity_controller/odom": 3952, "/fix": 989},
		filepath.Join(mcapDir, "real", "jackal-imu-odom_robot-localization-test2.ros1.mcap"):    {"/imu/data": 3061, "/jackal_velocity_controller/odom": 3060},
		// Its /fix channel (sensor_msgs/NavSatFix) has no messages.
		filepath.Join(mcapDir, "real", "radar-can-vehicle_mcap2mat-data1.mcap"): {},
		filepath.Join(bagDir, "ros1", "robot_localization", "test1.bag"):        {"/imu/data": 11865, "/husky_velocity_controller/odom": 3952, "/fix": 989},
		filepath.Join(bagDir, "ros1", "robot_localization", "test2.bag"):        {"/imu/data": 3061, "/jackal_velocity_controller/odom": 3060},
		filepath.Join(bagDir, "rosbag2", "mcap", "test_bag_mcap"):               {"/test/sensor_msgs/imu": 2, "/test/nav_msgs/odometry": 2, "/test/sensor_msgs/nav_sat_fix": 2},
		filepath.Join(bagDir, "rosbag2", "sqlite3", "test_bag_sqlite3"):         {"/test/sensor_msgs/imu": 2, "/test/nav_msgs/odometry": 2, "/test/sensor_msgs/nav_sat_fix": 2},
	}
	// The fixture urban rig: IMU, wheel odometry and GNSS, as MCAP, ROS 1
	// bag and rosbag2 SQLite.
	dir := t.TempDir()
	cfg, err := fixtures.Preset("urban")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = time.Second
	var log, truth bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &log, &truth, nil); err != nil {
		t.Fatal(err)
	}
	tr, err := fixtures.LoadTruth(&truth)
	if err != nil {
		t.Fatal(err)
	}
	fx := map[string]int{}
	for _, s := range tr.Sensors {
		if s.Kind == "imu" || s.Kind == "odometry" || s.Kind == "gnss" {
			fx[s.Topic] = s.Messages
		}
	}
	if len(fx) != 3 {
		t.Fatalf("fixture sensors %v, want imu, odometry and gnss", fx)
	}
	mc := filepath.Join(dir, "urban.mcap")
	if err := os.WriteFile(mc, log.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := mcapread.Open(mc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := logfile.WriteROS1(r, filepath.Join(dir, "urban.bag"), rosbag1.WriterOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := logfile.WriteROS2(r, filepath.Join(dir, "urban_db3"), rosbag2.WriterOptions{}); err != nil {
		t.Fatal(err)
	}
	r.Close()
	for _, p := range []string{mc, filepath.Join(dir, "urban.bag"), filepath.Join(dir, "urban_db3")} {
		want[p] = fx
	}
	for path, topics := range want {
		got := compareFixed(t, path)
		for topic, n := range topics {
			c := got[topic]
			if c == nil || c.fast != n || c.declined != 0 {
				t.Errorf("%s %s: %+v, want %d messages all on the fast path", filepath.Base(path), topic, c, n)
			}
		}
		for topic, c := range got {
			if _, ok := topics[topic]; !ok {
				t.Errorf("%s %s: unexpected fast-path topic %+v", filepath.Base(path), topic, c)
			}
		}
		t.Logf("%s: %d topics compared", filepath.Base(path), len(got))
	}
}
