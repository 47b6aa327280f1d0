package syncapp

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/fixtures/shareddata"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/stamps"
)

// On the real radar recording, the header stamps' seconds field counts
// milliseconds and wraps every 2^32 ns of true time: both are detected and
// repaired, and each radar then runs at 20 Hz.
func TestRealRadar(t *testing.T) {
	dir := shareddata.Dir(t, "mcap", "real")
	r, err := mcapread.Open(filepath.Join(dir, "radar-can-vehicle_mcap2mat-data1.mcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	radars := []string{"/radar/fl", "/radar/fr", "/radar/fwd", "/radar/rl", "/radar/rr", "/radar/tracks"}
	lg, err := stamps.Read(context.Background(), r, radars, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Group(lg, Options{Topics: radars, Policy: "approximate", AgePenalty: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range rep.Topics {
		c := tr.Clock
		if !strings.Contains(c.Repair, "divide by 1000") || !strings.Contains(c.Repair, "unwrap by adding 4294967296000") || c.Wraps != 3 {
			t.Errorf("%s: repair %q (%d wraps), want unwrap 2^32·1000 ×3 then divide by 1000", tr.Topic, c.Repair, c.Wraps)
		}
		if math.Abs(tr.RateHz-20) > 0.1 {
			t.Errorf("%s: %.3f Hz after repair, want ≈ 20", tr.Topic, tr.RateHz)
		}
		if c.Applied != "full" {
			t.Errorf("%s: applied %q, want full (the repaired clock is on another epoch)", tr.Topic, c.Applied)
		}
		t.Logf("%s: %s, %.3f Hz, offset %.3f s, drift %.1f ppm, delay p50 %.2f ms, used %d/%d, unmatched %v",
			tr.Topic, c.Repair, tr.RateHz, float64(c.EstimatedOffsetNS)/1e9, c.EstimatedDriftPPM,
			float64(c.DelayP50)/1e6, tr.Used, tr.Messages, tr.Unmatched)
	}
	if rep.Sets < 280 {
		t.Errorf("%d sets from ~293 scans per radar", rep.Sets)
	}
	t.Logf("sets %d, spread %+v", rep.Sets, rep.Spread)
}
