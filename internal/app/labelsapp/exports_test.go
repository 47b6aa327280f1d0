package labelsapp

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/labelcheck"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
)

// TestCheckExports fuses a fixture drive with faulted labels (fuse
// --labels) into rigsync's KITTI, Segments.ai, CVAT and Xtreme1 layouts
// and checks each output's labels against the log: every box gets the
// verdict and kinds it gets from the rigsync labels JSON the drive was
// fused with. The drive has its true pose on /tf (so Segments' world frame
// differs from base_link), the labels a sideways shift and a yaw fault.
// KITTI label_2 has no ids (they come from association) and none of these
// formats has velocity (the checker takes each track's from its boxes'
// positions): the first box of a moving track has no velocity and its
// points are not moved to its time, which is the one difference allowed,
// and only for a track's first box.
func TestCheckExports(t *testing.T) {
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seed, cfg.Duration, cfg.Rig.TF = 2, 3*time.Second, true
	log, lp, _, _, _ := genFromConfig(t, cfg, "shift=0,0.5:1s", "yaw=5:2s")
	check := func(labelsPath, format string) *Result {
		t.Helper()
		res, err := Run(context.Background(), Options{Logs: []string{log}, Labels: labelsPath, Format: format,
			Check: labelcheck.Options{KeepOK: true, NoCameras: true}})
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		return res
	}
	ref := check(lp, "rigsync")
	type key struct {
		frame int
		id    string // the rigsync JSON's
	}
	byFrame := map[int][]*labelcheck.BoxResult{}
	for i := range ref.Findings {
		byFrame[ref.Findings[i].Frame] = append(byFrame[ref.Findings[i].Frame], &ref.Findings[i])
	}
	// keyOf finds the rigsync JSON's box at f's centre (within 2 cm).
	keyOf := func(f *labelcheck.BoxResult) key {
		for _, g := range byFrame[f.Frame] {
			if g.ID != "" && math.Hypot(g.Center[0]-f.Center[0], g.Center[1]-f.Center[1]) < 0.02 {
				return key{f.Frame, g.ID}
			}
		}
		return key{f.Frame, ""}
	}
	verdict := func(f *labelcheck.BoxResult) string {
		k := slices.Clone(f.Kinds)
		slices.Sort(k)
		return string(f.Verdict) + " " + strings.Join(k, ",")
	}
	want := map[key]string{}
	first := map[key]bool{} // a track's first box
	seen := map[string]bool{}
	for i := range ref.Findings {
		f := &ref.Findings[i]
		if f.ID == "" {
			continue
		}
		want[keyOf(f)] = verdict(f)
		if !seen[f.ID] {
			first[keyOf(f)], seen[f.ID] = true, true
		}
	}
	if ref.Wrong == 0 || ref.OK == 0 {
		t.Fatalf("rigsync JSON: %d wrong, %d ok boxes: want both", ref.Wrong, ref.OK)
	}
	dir := filepath.Dir(lp)
	for _, format := range []string{"kitti", "segments", "cvat", "xtreme1"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(dir, format)
			o := fuseapp.Options{Format: format, Out: out, Frame: "base_link", Tolerance: 50 * time.Millisecond,
				KeyframeHz: 2, Ego: "auto", ImageCheckEvery: fusion.DefaultImageCheckEvery, Workers: 1, Labels: lp}
			if _, err := fuseapp.Run(context.Background(), o, []string{log}); err != nil {
				t.Fatal(err)
			}
			for _, path := range []string{out, filepath.Join(out, map[string]string{"kitti": "label_2/000003.txt", "segments": "labels.json",
				"cvat": "tracklet_labels.xml", "xtreme1": "result/000003.json"}[format])} {
				res := check(path, "auto")
				if res.Format != format {
					t.Fatalf("%s read as %q", path, res.Format)
				}
				if res.Matched != ref.Matched || res.Boxes != ref.Boxes {
					t.Fatalf("%s: %d frames matched, %d boxes; rigsync JSON %d, %d", path, res.Matched, res.Boxes, ref.Matched, ref.Boxes)
				}
				same, differ := 0, 0
				for i := range res.Findings {
					f := &res.Findings[i]
					if f.ID == "" {
						continue
					}
					w, ok := want[keyOf(f)]
					switch {
					case !ok:
						t.Errorf("%s: frame %d box %s at %.2f %.2f: no box there in the rigsync JSON", format, f.Frame, f.ID, f.Center[0], f.Center[1])
					case w == verdict(f):
						same++
					case first[keyOf(f)]:
						differ++
					default:
						t.Errorf("%s: frame %d box %s (%s): %q, rigsync JSON %q: %v", format, f.Frame, f.ID, f.Class, verdict(f), w, f.Reasons)
					}
				}
				for k := range want {
					found := false
					for i := range res.Findings {
						found = found || keyOf(&res.Findings[i]) == k
					}
					if !found {
						t.Logf("%s: rigsync JSON box %v not found", format, k)
					}
				}
				if same+differ != len(want) {
					t.Errorf("%s: %d boxes compared, the rigsync JSON has %d", format, same+differ, len(want))
				}
				t.Logf("%s: %d boxes with the rigsync JSON's verdict, %d first boxes of a track differ; %d wrong, %d suspicious (rigsync JSON: %d, %d)",
					path, same, differ, res.Wrong, res.Suspicious, ref.Wrong, ref.Suspicious)
			}
		})
	}
}

// TestCheckFrames2D fuses a fixture drive with faulted labels into the
// frames output and checks the labels of its frame.json files: every box
// gets the rigsync labels JSON's verdict (frame.json keeps velocities),
// and each 2D label (labels_2d, the 3D box projected at the frame's time)
// overlaps the camera-synced box's projection (IoU ≥ 0.5). A 2D label
// moved 60 px sideways in one frame.json makes its box a camera finding.
func TestCheckFrames2D(t *testing.T) {
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seed, cfg.Duration, cfg.Rig.TF = 2, 3*time.Second, true
	log, lp, _, _, _ := genFromConfig(t, cfg, "shift=0,0.5:1s")
	out := filepath.Join(filepath.Dir(lp), "frames")
	o := fuseapp.Options{Format: "frames", Out: out, Frame: "base_link", Tolerance: 50 * time.Millisecond,
		KeyframeHz: 2, Ego: "auto", ImageCheckEvery: fusion.DefaultImageCheckEvery, Workers: 1, Labels: lp}
	if _, err := fuseapp.Run(context.Background(), o, []string{log}); err != nil {
		t.Fatal(err)
	}
	check := func(labelsPath string) *Result {
		t.Helper()
		// The image check on the first frame only: this test is about 2D labels.
		res, err := Run(context.Background(), Options{Logs: []string{log}, Labels: labelsPath,
			Check: labelcheck.Options{KeepOK: true, CameraEvery: 1 << 20}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	verdicts := func(r *Result) map[string]string {
		m := map[string]string{}
		for _, f := range r.Findings {
			k := slices.Clone(f.Kinds)
			slices.Sort(k)
			m[fmt.Sprintf("%d/%s", f.Frame, f.ID)] = string(f.Verdict) + " " + strings.Join(k, ",")
		}
		return m
	}
	ref, got := check(lp), check(out)
	if got.Format != "frames" {
		t.Fatalf("read as %q", got.Format)
	}
	if got.Cameras.Labels2D < 20 || got.Cameras.Labels2DDisagree != 0 {
		t.Fatalf("2D labels: %d compared, %d disagree; want 20 or more, none", got.Cameras.Labels2D, got.Cameras.Labels2DDisagree)
	}
	worst := 1.0
	for _, f := range got.Findings {
		for _, l := range f.Labels2D {
			worst = min(worst, l.IoU)
		}
	}
	if rv, gv := verdicts(ref), verdicts(got); !maps.Equal(rv, gv) {
		t.Errorf("verdicts differ from the rigsync JSON's:\n%v\n%v", rv, gv)
	}
	t.Logf("%d 2D labels, least IoU %.3f; %d wrong boxes as with the rigsync JSON (%d)", got.Cameras.Labels2D, worst, got.Wrong, ref.Wrong)

	// Move one 2D label 60 px to the right.
	var moved string
	for _, f := range got.Findings {
		if len(f.Labels2D) > 0 && f.Labels2D[0].Label[2]-f.Labels2D[0].Label[0] < 50 && f.Frame > 0 {
			moved = fmt.Sprintf("%d/%s", f.Frame, f.ID)
			path := filepath.Join(out, fmt.Sprintf("%06d", f.Frame), "frame.json")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			for _, c := range doc["cameras"].([]any) {
				for _, l := range c.(map[string]any)["labels_2d"].([]any) {
					lm := l.(map[string]any)
					if lm["id"] == f.ID {
						bb := lm["bbox"].([]any)
						bb[0], bb[2] = bb[0].(float64)+60, bb[2].(float64)+60
					}
				}
			}
			data, _ = json.Marshal(doc)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if moved == "" {
		t.Fatal("no box with a 2D label under 50 px wide")
	}
	tampered := verdicts(check(out))
	for k, v := range verdicts(got) {
		w := tampered[k]
		switch {
		case k == moved && !strings.Contains(w, labelcheck.KindCamera):
			t.Errorf("box %s with its 2D label moved 60 px: %q, want a camera finding", k, w)
		case k != moved && w != v:
			t.Errorf("box %s: %q, was %q", k, w, v)
		}
	}
}
