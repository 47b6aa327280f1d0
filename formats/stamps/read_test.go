package stamps_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/stamps"
)

// minimalLog writes a 1 s log of the "minimal" rig (10 Hz camera and
// camera info, 10 Hz LiDAR, 200 Hz IMU, one /tf_static) and returns its
// path.
func minimalLog(t *testing.T) string {
	t.Helper()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = time.Second
	dir := t.TempDir()
	p := filepath.Join(dir, "drive.mcap")
	lf, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	tf, err := os.Create(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := fixtures.Generate(context.Background(), cfg, lf, tf, nil); err != nil {
		t.Fatal(err)
	}
	if err := lf.Close(); err != nil {
		t.Fatal(err)
	}
	tf.Close()
	return p
}

// Read keeps, per channel read, one stamp and one log time per stamped
// message (and an angular rate for IMU), and Order walks every stamped
// message once, stream by stream in index order, in log-time order.
func TestRead(t *testing.T) {
	path := minimalLog(t)
	const cam, imu, lidar = "/cam_front/image_raw/compressed", "/imu/data", "/lidar_top/points"
	for _, tc := range []struct {
		name    string
		topics  []string
		streams []string // Stamped(), sorted
		rates   []string // streams with angular rates
	}{
		{"every channel", nil, []string{"/cam_front/camera_info", cam, imu, lidar}, []string{imu}},
		{"two topics", []string{lidar, imu}, []string{imu, lidar}, []string{imu}},
		{"one topic", []string{cam}, []string{cam}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := mcapread.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var progress []int64
			lg, err := stamps.Read(context.Background(), r, tc.topics, func(n int64) { progress = append(progress, n) })
			if err != nil {
				t.Fatal(err)
			}
			if got := lg.Stamped(); !slices.Equal(got, tc.streams) {
				t.Errorf("Stamped() = %q, want %q", got, tc.streams)
			}
			var stamped, all int
			for _, s := range lg.Streams {
				if len(s.Logs) != len(s.Stamps) {
					t.Errorf("%s: %d log times for %d stamps", s.Topic, len(s.Logs), len(s.Stamps))
				}
				if wantRates := slices.Contains(tc.rates, s.Topic); wantRates != (len(s.Rates) == len(s.Stamps) && len(s.Rates) > 0) || !wantRates && s.Rates != nil {
					t.Errorf("%s: %d rates for %d stamps (want rates: %v)", s.Topic, len(s.Rates), len(s.Stamps), wantRates)
				}
				if len(s.Stamps) > 0 && s.Sensor == "" {
					t.Errorf("%s: no sensor frame id", s.Topic)
				}
				stamped += len(s.Stamps)
				all += len(s.Stamps) + s.Unstamped + s.Undecodable
			}
			if len(lg.Order) != stamped {
				t.Fatalf("Order has %d events for %d stamped messages", len(lg.Order), stamped)
			}
			next := make([]int32, len(lg.Streams))
			var last int64
			for k, ev := range lg.Order {
				if ev.Index != next[ev.Stream] {
					t.Fatalf("event %d: stream %d index %d, want %d", k, ev.Stream, ev.Index, next[ev.Stream])
				}
				next[ev.Stream]++
				lt := lg.Streams[ev.Stream].Logs[ev.Index]
				if lt < last {
					t.Fatalf("event %d: log time %d before %d", k, lt, last)
				}
				last = lt
			}
			if len(progress) == 0 || progress[len(progress)-1] != int64(all) {
				t.Errorf("progress %v, want to end at %d messages", progress, all)
			}
			if lg.Stream("/no/such/topic") != nil {
				t.Error(`Stream("/no/such/topic") != nil`)
			}
		})
	}
}
