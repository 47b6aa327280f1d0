package syncapp_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/internal/app/syncapp"
)

const (
	camTopic   = "/cam_front/image_raw/compressed"
	imuTopic   = "/imu/data"
	lidarTopic = "/lidar_top/points"
)

// writeMinimal writes a log of the "minimal" rig (camera + camera info,
// LiDAR, IMU, /tf_static) lasting d into dir and returns its path.
func writeMinimal(dir string, d time.Duration) (string, error) {
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		return "", err
	}
	cfg.Duration = d
	p := filepath.Join(dir, "drive.mcap")
	lf, err := os.Create(p)
	if err != nil {
		return "", err
	}
	defer lf.Close()
	tf, err := os.Create(filepath.Join(dir, "drive.truth.json"))
	if err != nil {
		return "", err
	}
	defer tf.Close()
	if err := fixtures.Generate(context.Background(), cfg, lf, tf, nil); err != nil {
		return "", err
	}
	return p, lf.Close()
}

// Read reads what Group needs and names the first topic of the options
// (grouped, then attached, then cross-correlated) that the log lacks in a
// *TopicError, which the command maps to a usage error.
func TestRead(t *testing.T) {
	path, err := writeMinimal(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		path      string
		o         syncapp.Options
		stamped   []string // lg.Stamped() when no error
		topicErr  string   // the missing topic, when a *TopicError is expected
		otherErr  bool
		errString string
	}{
		{name: "every channel", path: path, stamped: []string{"/cam_front/camera_info", camTopic, imuTopic, lidarTopic}},
		{name: "named topics only", path: path, o: syncapp.Options{Topics: []string{camTopic, lidarTopic}, Attach: []string{imuTopic}},
			stamped: []string{camTopic, imuTopic, lidarTopic}},
		{name: "missing grouped topic", path: path, o: syncapp.Options{Topics: []string{camTopic, "/nope"}},
			topicErr: "/nope", errString: `topic "/nope" is not in the log`},
		{name: "missing attached topic", path: path, o: syncapp.Options{Topics: []string{camTopic, lidarTopic}, Attach: []string{"/imu/nope"}},
			topicErr: "/imu/nope"},
		{name: "missing xcorr topic", path: path, o: syncapp.Options{Topics: []string{camTopic, lidarTopic}, XCorr: [][2]string{{imuTopic, "/odom"}}},
			topicErr: "/odom"},
		{name: "no such file", path: filepath.Join(t.TempDir(), "none.mcap"), otherErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lg, err := syncapp.Read(context.Background(), tc.path, tc.o)
			te, isTopicErr := errors.AsType[*syncapp.TopicError](err)
			switch {
			case tc.topicErr != "":
				if !isTopicErr || te.Topic != tc.topicErr {
					t.Fatalf("Read: %v, want a *TopicError for %q", err, tc.topicErr)
				}
				if tc.errString != "" && err.Error() != tc.errString {
					t.Errorf("error text %q, want %q", err, tc.errString)
				}
			case tc.otherErr:
				if err == nil || isTopicErr {
					t.Fatalf("Read: %v, want an error that is not a *TopicError", err)
				}
			case err != nil:
				t.Fatal(err)
			default:
				if got := lg.Stamped(); !slices.Equal(got, tc.stamped) {
					t.Errorf("read %q, want %q", got, tc.stamped)
				}
			}
		})
	}
}

// GroupedTopics is the selection Group makes: the named topics as given,
// else every stamped topic that is not attached, sorted; Group reports
// them in that order and every set has one stamp per grouped topic.
func TestGroupedTopics(t *testing.T) {
	path, err := writeMinimal(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	lg, err := syncapp.Read(context.Background(), path, syncapp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		o    syncapp.Options
		want []string
	}{
		{"named", syncapp.Options{Topics: []string{lidarTopic, camTopic}}, []string{lidarTopic, camTopic}},
		{"every stamped topic", syncapp.Options{}, []string{"/cam_front/camera_info", camTopic, imuTopic, lidarTopic}},
		{"attached left out", syncapp.Options{Attach: []string{imuTopic}}, []string{"/cam_front/camera_info", camTopic, lidarTopic}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := syncapp.GroupedTopics(lg, tc.o)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("GroupedTopics = %q, want %q", got, tc.want)
			}
			o := tc.o
			sets := 0
			o.OnSet = func(s *syncapp.Set) {
				sets++
				if len(s.Stamps) != len(tc.want) || len(s.Attached) != len(o.Attach) {
					t.Fatalf("set with %d stamps and %d windows, want %d and %d", len(s.Stamps), len(s.Attached), len(tc.want), len(o.Attach))
				}
			}
			rep, err := syncapp.Group(lg, o)
			if err != nil {
				t.Fatal(err)
			}
			var reported []string
			for _, tr := range rep.Topics {
				reported = append(reported, tr.Topic)
			}
			if !slices.Equal(reported, tc.want) {
				t.Errorf("report topics %q, want %q", reported, tc.want)
			}
			if sets == 0 || sets != rep.Sets {
				t.Errorf("OnSet called %d times for %d sets", sets, rep.Sets)
			}
		})
	}
}
