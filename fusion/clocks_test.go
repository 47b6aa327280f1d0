package fusion

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion/fused"
)

// TestEstimateClocks: the camera's clock is 25 ms off and the radar
// writes its stamps in µs. The first pass repairs the radar's unit,
// estimates the camera's clock offset (given its transport latency)
// within 1 ms of the truth and leaves the healthy LiDAR alone; fused with
// those models the LiDAR points projected into the camera fall inside the
// boxes (≥ 98%) at sub-pixel error, the radar joins the frames, both are
// flagged clock_corrected; without them the projection is off by pixels
// and the radar never joins.
func TestEstimateClocks(t *testing.T) {
	cfg := testRig(t, 2*time.Second)
	const off = 25 * time.Millisecond
	cfg.Faults = []fixtures.Fault{
		{Kind: fixtures.ClockOffset, Sensor: "cam_front", Offset: off},
		{Kind: fixtures.WrongUnit, Sensor: "radar_front", Unit: "us"},
	}
	lf := generate(t, cfg)
	tr := lf.truth
	cam := tr.Sensor("cam_front")
	r, err := mcapread.NewReader(bytes.NewReader(lf.log), int64(len(lf.log)), "drive.mcap")
	if err != nil {
		t.Fatal(err)
	}
	lat := map[string]time.Duration{"cam_front": time.Duration(cam.LatencyNS)}
	est, err := EstimateClocks(context.Background(), []*logfile.Log{logfile.FromMCAP(r, "")}, ClockOptions{Latency: lat})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ClockEstimate{}
	for _, e := range est {
		got[e.Sensor] = e
		t.Logf("%s (%s): %d msgs, repair %s, estimated offset %.3f ms, drift %.2f±%.2f ppm, applied %s %v %s",
			e.Sensor, e.Topic, e.Messages, e.Repair, float64(e.EstimatedOffsetNS)/1e6, e.DriftPPM, e.DriftSigmaPPM, e.Applied, e.Model, e.Note)
	}
	if len(got) != 3 {
		t.Fatalf("estimates for %d sensors, want cam_front, lidar_top, radar_front", len(got))
	}
	c := got["cam_front"]
	if c.Applied != "full" || c.Messages != cam.Messages {
		t.Errorf("cam_front: applied %q, %d messages", c.Applied, c.Messages)
	}
	// The corrected stamp of sample k is its true time (±1 ms).
	for k := int64(0); k < 5; k++ {
		ts := cam.SampleTime(tr.Start, k)
		if d := c.Model.Correct(ts+int64(off)) - ts; d < -1e6 || d > 1e6 {
			t.Errorf("cam_front sample %d: corrected stamp %.3f ms off the truth", k, float64(d)/1e6)
		}
	}
	if l := got["lidar_top"]; l.Applied != "none" {
		t.Errorf("lidar_top: applied %q %v, want none", l.Applied, l.Model)
	}
	// µs stamps ×1000 are back on the true clock: no model needed.
	if rd := got["radar_front"]; rd.Repair != "multiply by 1000" || rd.Applied != "none" {
		t.Errorf("radar_front: repair %q applied %q, want multiply by 1000 and none", rd.Repair, rd.Applied)
	}
	// Without the latency the offset cannot be told from it.
	r2, _ := mcapread.NewReader(bytes.NewReader(lf.log), int64(len(lf.log)), "drive.mcap")
	est2, err := EstimateClocks(context.Background(), []*logfile.Log{logfile.FromMCAP(r2, "")}, ClockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range est2 {
		if e.Sensor == "cam_front" {
			want := int64(off) - cam.LatencyNS
			if e.Applied != "none" || absNS(e.EstimatedOffsetNS-want) > 1e6 {
				t.Errorf("cam_front without latency: applied %q, estimated offset %d, want none and %d (offset − latency)", e.Applied, e.EstimatedOffsetNS, want)
			}
		}
	}

	models, repairs := ClockModels(est)
	tol := 100 * time.Millisecond
	good := run(t, lf, Pipeline{Tolerance: tol, Clocks: models, Repairs: repairs})
	bad := run(t, lf, Pipeline{Tolerance: tol})
	radarIn := func(frames []*fused.Frame) (n int) {
		for _, f := range frames {
			for _, s := range f.Sensors {
				if s.Name == "radar_front" && !s.Missing {
					n++
					if !s.ClockCorrected && len(repairs) > 0 && &frames[0] == &good[0] {
						t.Errorf("frame %d: radar not flagged clock_corrected", f.Index)
					}
				}
				if s.Name == "cam_front" && !s.Missing && &frames[0] == &good[0] && !s.ClockCorrected {
					t.Errorf("frame %d: cam_front not flagged clock_corrected", f.Index)
				}
			}
		}
		return n
	}
	gr, br := radarIn(good), radarIn(bad)
	gi, gt, ge := projectionScore(t, lf, good)
	bi, bt, be := projectionScore(t, lf, bad)
	t.Logf("pixel error vs truth: estimated clocks p50 %.3f p99 %.3f px; uncorrected p50 %.3f px", quantile(ge, 0.5), quantile(ge, 0.99), quantile(be, 0.5))
	if p99, p50 := quantile(ge, 0.99), quantile(be, 0.5); !(p99 < 0.5) || !(p50 > 1) {
		t.Errorf("pixel error p99 %.3f px with estimated clocks (want < 0.5), p50 %.3f px without (want > 1)", p99, p50)
	}
	t.Logf("estimated clocks: %d of %d inside (%.2f%%), radar in %d of %d frames; uncorrected: %d of %d (%.2f%%), radar in %d",
		gi, gt, 100*float64(gi)/float64(max(gt, 1)), gr, len(good), bi, bt, 100*float64(bi)/float64(max(bt, 1)), br)
	if gt < 300 || float64(gi) < 0.98*float64(gt) {
		t.Errorf("estimated clocks: %d of %d inside, want ≥ 98%%", gi, gt)
	}
	if float64(bi)/float64(max(bt, 1)) >= float64(gi)/float64(max(gt, 1)) {
		t.Errorf("uncorrected no worse (%d/%d vs %d/%d): the test cannot tell", bi, bt, gi, gt)
	}
	if gr < len(good)-2 || br != 0 {
		t.Errorf("radar in %d of %d frames with the repair (want all but the edges), %d without (want 0)", gr, len(good), br)
	}
}
