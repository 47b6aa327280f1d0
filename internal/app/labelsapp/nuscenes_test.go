package labelsapp

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/labelcheck"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
)

// TestNuScenesLabels: labels delivered as nuScenes tables (global frame,
// no velocities) beside rigsync's own nuScenes export of the drive are
// checked like rigsync labels JSON: the shifted object is found, the
// other boxes are ok.
func TestNuScenesLabels(t *testing.T) {
	log, _, set, _, lft := genLabelled(t, "urban", 2, 2*time.Second, false, "shift=0,0.6")
	out := filepath.Join(t.TempDir(), "nus")
	if _, err := fuseapp.Run(context.Background(), fuseapp.Options{Format: "nuscenes", Out: out, Ego: "auto", Workers: 1, Frame: "base_link", KeyframeHz: 2, Tolerance: 50 * time.Millisecond}, []string{log}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var ver string
	for _, e := range entries {
		if e.IsDir() && len(e.Name()) > 4 && e.Name()[:4] == "v1.0" {
			ver = filepath.Join(out, e.Name())
		}
	}
	if ver == "" {
		t.Fatalf("no v1.0-* folder in %v", entries)
	}
	samples, err := labels.ReadNuScenesSamples(os.DirFS(ver))
	if err != nil {
		t.Fatal(err)
	}
	// The labels of the keyframes (nuScenes samples, 2 Hz) in the global
	// frame of the export.
	g := &labels.Set{Clock: set.Clock}
	byStamp := map[int64]labels.Frame{}
	for _, s := range samples {
		for _, f := range set.Frames {
			if d := f.StampNS - s.TimestampUS*1000; d > -1e6 && d < 1e6 {
				byStamp[f.StampNS] = f
				out := f
				out.Token, out.Boxes = s.Token, nil
				for _, b := range f.Boxes {
					b.Velocity = nil // nuScenes annotations carry none
					out.Boxes = append(out.Boxes, b.Transformed(s.Ego, labels.FrameGlobal))
				}
				g.Frames = append(g.Frames, out)
			}
		}
	}
	if len(g.Frames) != len(samples) || len(samples) < 3 {
		t.Fatalf("%d samples, %d matched labelled frames", len(samples), len(g.Frames))
	}
	if err := labels.WriteNuScenes(ver, g); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{Logs: []string{log}, Labels: ver, Check: labelcheck.Options{KeepOK: true}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != "nuscenes" || res.Matched != len(g.Frames) {
		t.Fatalf("format %s, %d of %d frames matched", res.Format, res.Matched, len(g.Frames))
	}
	// Instance tokens replace ids: find the shifted object's by its boxes'
	// positions in the first frame.
	var shifted, other, otherBad int
	for _, r := range res.Findings {
		if r.HasKind(labelcheck.KindMissing) {
			continue
		}
		var tb *labels.Box
		lf, ok := byStamp[r.Stamp]
		if !ok {
			t.Fatalf("a finding at %d, which is no sample's time", r.Stamp)
		}
		for i := range lf.Boxes {
			b := &lf.Boxes[i]
			if d := (b.Center.X-r.Center[0])*(b.Center.X-r.Center[0]) + (b.Center.Y-r.Center[1])*(b.Center.Y-r.Center[1]); d < 0.01 {
				tb = b
			}
		}
		if tb == nil {
			best := 1e9
			for _, b := range lf.Boxes {
				best = min(best, (b.Center.X-r.Center[0])*(b.Center.X-r.Center[0])+(b.Center.Y-r.Center[1])*(b.Center.Y-r.Center[1]))
			}
			t.Fatalf("frame %d: no labelled box at %v (nearest %.3f m)", r.Frame, r.Center, best)
		}
		if tb.ID == lft[0].ID {
			if r.HasKind(labelcheck.KindShift) {
				shifted++
			}
			continue
		}
		other++
		if r.Verdict != labelcheck.OK {
			otherBad++
			t.Logf("frame %d box %s %s: %v", r.Frame, tb.ID, r.Verdict, r.Reasons)
		}
	}
	want := 0
	for _, f := range byStamp {
		for _, b := range f.Boxes {
			if b.ID == lft[0].ID {
				want++
			}
		}
	}
	t.Logf("shifted object %s: %d of %d boxes found; %d of %d other boxes flagged", lft[0].ID, shifted, want, otherBad, other)
	if want == 0 || shifted < want*9/10 || otherBad*100 > other {
		t.Errorf("want ≥ 90%% of the shifted boxes found and ≤ 1%% of the others flagged")
	}
}
