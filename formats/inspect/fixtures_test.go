package inspect_test

import (
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/inspect"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// TestInspectFindsInjectedFaults generates a fixture log with known faults
// and checks that the report finds each one where the truth says.
func TestInspectFindsInjectedFaults(t *testing.T) {
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = 3 * time.Second
	cfg.Seed = 7
	cfg.Faults = []fixtures.Fault{
		{Kind: fixtures.Dropout, Sensor: "lidar_top", Start: 1000 * time.Millisecond, End: 1600 * time.Millisecond},
		{Kind: fixtures.Duplicate, Sensor: "imu", At: time.Second},
		{Kind: fixtures.Reorder, Sensor: "cam_front", At: 2 * time.Second},
		{Kind: fixtures.ClockOffset, Sensor: "cam_front", Offset: 250 * time.Millisecond},
	}
	path := filepath.Join(t.TempDir(), "faults.mcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var truthBuf bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, f, &truthBuf, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	truth, err := fixtures.LoadTruth(&truthBuf)
	if err != nil {
		t.Fatal(err)
	}
	// A clean twin of the log, to compare stamp offsets against.
	clean := cfg
	clean.Faults = nil
	cleanPath := filepath.Join(t.TempDir(), "clean.mcap")
	cf, _ := os.Create(cleanPath)
	if err := fixtures.Generate(context.Background(), clean, cf, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	cf.Close()

	rep := inspectFile(t, path)
	cleanRep := inspectFile(t, cleanPath)
	start := truth.Start

	lidar := find(t, rep, "/lidar_top/points")
	if lidar.GapCount != 1 {
		t.Fatalf("lidar gaps = %d (%+v), want 1", lidar.GapCount, lidar.Gaps)
	}
	g := lidar.Gaps[0]
	// The dropout removes sweeps whose time is in [1.0 s, 1.6 s): the gap
	// in log time spans it, at most one period (100 ms) wider each side.
	gs, ge := float64(g.StartLogTime-start)/1e9, float64(g.EndLogTime-start)/1e9
	if gs < 0.85 || gs > 1.05 || ge < 1.55 || ge > 1.75 {
		t.Errorf("lidar gap %.3f–%.3f s after start, want about 0.9–1.7", gs, ge)
	}
	if imu := find(t, rep, "/imu/data"); imu.StampsDuplicated != 1 || imu.StampsBackwards != 0 {
		t.Errorf("imu duplicated/backwards = %d/%d, want 1/0", imu.StampsDuplicated, imu.StampsBackwards)
	}
	cam := find(t, rep, "/cam_front/image_raw/compressed")
	if cam.StampsBackwards != 1 {
		t.Errorf("camera stamps backwards = %d, want 1 (one reordered message)", cam.StampsBackwards)
	}
	cleanCam := find(t, cleanRep, "/cam_front/image_raw/compressed")
	if d := *cam.StampMinusLogMedianMs - *cleanCam.StampMinusLogMedianMs; math.Abs(d-250) > 1 {
		t.Errorf("camera stamp − log moved by %.3f ms with a 250 ms clock offset", d)
	}
	if n := find(t, cleanRep, "/lidar_top/points").GapCount; n != 0 {
		t.Errorf("clean log: %d lidar gaps", n)
	}
	for _, c := range cleanRep.Channels {
		if c.StampsBackwards+c.StampsDuplicated != 0 {
			t.Errorf("clean log: %s has %d backwards, %d duplicated stamps", c.Topic, c.StampsBackwards, c.StampsDuplicated)
		}
	}
}

func inspectFile(t *testing.T, path string) *inspect.Report {
	t.Helper()
	r, err := mcapread.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rep, err := inspect.Inspect(context.Background(), r, path, inspect.Options{MaxScanBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func find(t *testing.T, rep *inspect.Report, topic string) *inspect.ChannelReport {
	t.Helper()
	for _, c := range rep.Channels {
		if c.Topic == topic {
			return c
		}
	}
	t.Fatalf("topic %s not in report", topic)
	return nil
}
