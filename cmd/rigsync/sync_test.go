package main

import (
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
)

type syncJSON struct {
	Sets   []map[string]any `json:"sets"`
	Policy string           `json:"policy"`
	Topics []struct {
		Topic     string         `json:"topic"`
		Used      int            `json:"used"`
		Messages  int            `json:"messages"`
		Unmatched map[string]int `json:"unmatched"`
	} `json:"topics"`
}

// rigsync sync --json on a fixture log: the sets are listed in emission
// order as topic → corrected stamp, one per LiDAR sweep for the reference
// policy, each camera within 1 ms of the true camera–LiDAR phase.
func TestSyncFixtureJSON(t *testing.T) {
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = 4 * time.Second
	dir := t.TempDir()
	lp := filepath.Join(dir, "drive.mcap")
	lf, _ := os.Create(lp)
	tf, _ := os.Create(filepath.Join(dir, "truth.json"))
	if err := fixtures.Generate(context.Background(), cfg, lf, tf, nil); err != nil {
		t.Fatal(err)
	}
	lf.Close()
	tf.Seek(0, 0)
	tr, err := fixtures.LoadTruth(tf)
	tf.Close()
	if err != nil {
		t.Fatal(err)
	}
	cam, lidar := tr.Sensor("cam_front"), tr.Sensor("lidar_top")
	prefix := filepath.Join(dir, "plot")
	code, out, errOut := runCLI(t, "sync", lp, "--json", "-q", "--policy", "reference", "--reference", lidar.Topic,
		"--topics", cam.Topic+","+lidar.Topic, "--tolerance", "20ms", "--correct", "none", "--plot", prefix,
		"--attach", "/imu/data")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep syncJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Policy != "reference" || len(rep.Sets) != lidar.Messages {
		t.Fatalf("policy %q, %d sets; want reference, %d", rep.Policy, len(rep.Sets), lidar.Messages)
	}
	phase := cam.PhaseNS - lidar.PhaseNS
	prev := int64(0)
	imuTotal := 0
	for i, s := range rep.Sets {
		l, lok := s[lidar.Topic].(float64)
		c, cok := s[cam.Topic].(float64)
		if !lok || !cok {
			t.Fatalf("set %d %v has a missing member", i, s)
		}
		// float64 holds these stamps (≈1.7e18) to within 256 ns.
		if int64(l) <= prev {
			t.Fatalf("set %d not in emission order", i)
		}
		prev = int64(l)
		if d := int64(c) - int64(l) - phase; d < -1e6 || d > 1e6 {
			t.Errorf("set %d: camera − LiDAR = %d ns, true phase %d", i, int64(c-l), phase)
		}
		imu, _ := s["/imu/data"].([]any)
		for _, v := range imu {
			if st := int64(v.(float64)); st > int64(l)+1000 {
				t.Fatalf("set %d: IMU stamp %d after the LiDAR stamp %d", i, st, int64(l))
			}
		}
		imuTotal += len(imu)
	}
	// Every IMU sample up to the last sweep is attached exactly once.
	if imu := tr.Sensor("imu"); imuTotal < imu.Messages-int(imu.RateHz/lidar.RateHz)-1 || imuTotal > imu.Messages {
		t.Errorf("%d IMU samples attached of %d", imuTotal, imu.Messages)
	}
	for _, name := range []string{"plot-timeline.png", "plot-residuals.png"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(f); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		f.Close()
	}
}

func TestSyncUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"sync"},
		{"sync", "x.mcap", "--policy", "nearest"},
		{"sync", "x.mcap", "--policy", "reference"},
		{"sync", "x.mcap", "--queue-size", "-1"},
		{"sync", "x.mcap", "--lower-bound", "abc"},
		{"sync", "x.mcap", "--lower-bound", "/a=-1s"},
		{"sync", "x.mcap", "--clock", "cam=25"},
		{"sync", "x.mcap", "--correct", "some"},
		{"sync", "x.mcap", "--max-interval", "1parsec"},
		{"sync", "x.mcap", "--phase", "/a=1ms"},
		{"sync", "x.mcap", "--xcorr", "/a"},
		{"sync", "x.mcap", "--optional", "/a", "--policy", "exact"},
	} {
		if code, _, _ := runCLI(t, args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, _ := runCLI(t, "sync", filepath.Join(t.TempDir(), "missing.mcap")); code != exitError {
		t.Errorf("missing file: exit %d, want %d", code, exitError)
	}
}
