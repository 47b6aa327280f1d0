package edge

import (
	"bytes"
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"gonum.org/v1/gonum/spatial/r3"
)

// A Group gives every camera the results of a Checker of its own fed the
// same frames, on 1 and on 3 workers (the LiDAR depth edges found once per
// frame and shared, the cameras scored concurrently): the urban rig, six
// cameras, one of them (cam_front_left) turned by 1°, so that a verdict
// and a correction are compared, not only ok pairs.
func TestGroupMatchesCheckers(t *testing.T) {
	cfg, err := fixtures.Preset("urban")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration, cfg.Seed = 3*time.Second, 2
	cfg.Faults = append(cfg.Faults, fault(t, fixtures.Miscalibrate, "cam_front_left=0,1,0,0,0,0"))
	var log, truth bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &log, &truth, nil); err != nil {
		t.Fatal(err)
	}
	tr, err := fixtures.LoadTruth(&truth)
	if err != nil {
		t.Fatal(err)
	}
	o := tr.Sensor("lidar_top").Published.Translation
	var frames []*fused.Frame
	r, err := mcapread.NewReader(bytes.NewReader(log.Bytes()), int64(log.Len()), "drive.mcap")
	if err != nil {
		t.Fatal(err)
	}
	p := fusion.Pipeline{Reader: r, NoProject: true}
	if err := p.Run(context.Background(), sinkFunc(func(f *fused.Frame) error { frames = append(frames, f); return nil })); err != nil {
		t.Fatal(err)
	}
	opt := Options{SearchImageRotation: true, MaxFrames: 12, LidarOrigin: r3.Vec{X: o[0], Y: o[1], Z: o[2]}}
	var want []check.PairResult
	var wantOv []check.Overlay
	var names []string
	for _, c := range frames[0].Cameras {
		names = append(names, c.Name)
		ch := NewCameraChecker(c.Name, "lidar_top", opt)
		for _, f := range frames {
			if err := ch.Add(f); err != nil {
				t.Fatal(err)
			}
		}
		prs, ovs, err := ch.Results()
		if err != nil {
			t.Fatal(err)
		}
		want, wantOv = append(want, prs...), append(wantOv, ovs...)
	}
	if len(names) != 6 {
		t.Fatalf("%d cameras, want the urban rig's 6", len(names))
	}
	bad := false
	for _, pr := range want {
		if pr.Kind == check.KindLidarCamera && pr.Sensor == "cam_front_left" {
			bad = pr.Verdict != check.OK
		}
	}
	if !bad {
		t.Fatal("cam_front_left turned by 1° is ok: the comparison would not cover a correction")
	}
	for _, workers := range []int{1, 3} {
		g := NewGroup("lidar_top", opt, workers)
		for _, f := range frames {
			if err := g.Add(f); err != nil {
				t.Fatal(err)
			}
		}
		if got := g.Cameras(); !reflect.DeepEqual(got, names) {
			t.Fatalf("workers %d: cameras %v, want %v", workers, got, names)
		}
		prs, ovs, err := g.Results()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(prs, want) {
			t.Errorf("workers %d: the group's pair results differ from separate checkers'", workers)
		}
		if !reflect.DeepEqual(ovs, wantOv) {
			t.Errorf("workers %d: the group's overlays differ from separate checkers'", workers)
		}
	}
	if err := NewGroup("lidar_top", opt, 2).Add(nil); err == nil {
		t.Error("Add(nil): no error")
	}
}
