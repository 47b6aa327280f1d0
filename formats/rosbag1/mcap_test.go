package rosbag1_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rigsync/rigsync/fixtures/shareddata"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapsource"
	"github.com/rigsync/rigsync/formats/rosbag1"
)

// drain reads a source to the end.
func drain(t testing.TB, s formats.Source) []formats.Message {
	t.Helper()
	var out []formats.Message
	for {
		m, err := s.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
}

// TestSameAsMCAP: the two robot_localization bags (bz2) and their ROS 1
// MCAP conversions in ../shared/data/mcap/real give the same messages
// through rosbag1.Source and mcapsource.Source: topic, type, modality,
// frame id, stamp and its clock, log and publish time, and the typed
// payload, message by message in the same order (all but Sequence).
func TestSameAsMCAP(t *testing.T) {
	bags := shareddata.Dir(t, "rosbag", "ros1", "robot_localization")
	mcaps := shareddata.Dir(t, "mcap", "real")
	for bag, mc := range map[string]string{
		"test1.bag": "husky-imu-odom-gps_robot-localization-test1.ros1.mcap",
		"test2.bag": "jackal-imu-odom_robot-localization-test2.ros1.mcap",
	} {
		t.Run(bag, func(t *testing.T) {
			bs, err := rosbag1.OpenSource(filepath.Join(bags, bag), rosbag1.SourceOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer bs.Close()
			ms, err := mcapsource.Open(filepath.Join(mcaps, mc), mcapsource.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer ms.Close()
			got, want := drain(t, bs), drain(t, ms)
			if len(got) != len(want) || len(got) == 0 {
				t.Fatalf("%d messages from the bag, %d from the MCAP", len(got), len(want))
			}
			typed := 0
			for i := range got {
				g, w := got[i], want[i]
				gp, wp := g.Payload, w.Payload
				g.Payload, w.Payload = nil, nil
				// A bag record has no sequence number (Sequence is 0); the
				// MCAP converter numbered the messages in time order.
				if g.Sequence != 0 || w.Sequence != uint32(i) {
					t.Fatalf("message %d: sequence %d in the bag, %d in the MCAP", i, g.Sequence, w.Sequence)
				}
				g.Sequence = w.Sequence
				if g != w {
					t.Fatalf("message %d: bag %+v\nMCAP %+v", i, g, w)
				}
				if !reflect.DeepEqual(gp, wp) {
					t.Fatalf("message %d (%s): payloads differ: %#v vs %#v", i, g.Topic, gp, wp)
				}
				if _, ok := gp.(*formats.Generic); !ok {
					typed++
				}
			}
			if typed != len(got) {
				t.Errorf("%d of %d payloads typed", typed, len(got))
			}
			// The stream lists agree too.
			mch := ms.Reader().Channels()
			bch := bs.Reader().Channels()
			if len(mch) != len(bch) {
				t.Fatalf("%d channels vs %d", len(bch), len(mch))
			}
			for i := range bch {
				if bch[i].Topic != mch[i].Topic || bch[i].MessageEncoding != mch[i].MessageEncoding ||
					bch[i].Schema.Name != mch[i].Schema.Name || bch[i].Schema.Encoding != mch[i].Schema.Encoding {
					t.Errorf("channel %d: %s %s %s/%s vs %s %s %s/%s", i, bch[i].Topic, bch[i].MessageEncoding, bch[i].Schema.Name,
						bch[i].Schema.Encoding, mch[i].Topic, mch[i].MessageEncoding, mch[i].Schema.Name, mch[i].Schema.Encoding)
				}
			}
			bst, mst := bs.Reader().Statistics(), ms.Reader().Statistics()
			if bst.MessageCount != mst.MessageCount || bst.MessageStartTime != mst.MessageStartTime || bst.MessageEndTime != mst.MessageEndTime {
				t.Errorf("statistics %+v vs %+v", bst, mst)
			}
		})
	}
}
