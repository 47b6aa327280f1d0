package labelsapp

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/labelcheck"
)

// tally counts, per fault kind, the faulted boxes (or events) and how many
// the check found.
type tally struct {
	n, found, kindOK int
	// dtErr are the time-offset errors (ms) of the moving boxes of time
	// faults with enough points.
	dtErr []float64
	// unobserved counts the faulted boxes with too few points to check.
	unobserved int
	// missed describes the first misses.
	missed []string
}

type accuracy struct {
	kinds       map[string]*tally
	boxes, fa   int // boxes of correct labels and false alarms among them
	faFindings  []string
	runs        int
	clusterFA   int
	trackDtErrs []float64
}

func newAccuracy() *accuracy { return &accuracy{kinds: map[string]*tally{}} }

func (a *accuracy) k(kind string) *tally {
	t := a.kinds[kind]
	if t == nil {
		t = &tally{}
		a.kinds[kind] = t
	}
	return t
}

// scenario runs the check on one fixture drive with faults and scores it
// against the truth.
func (a *accuracy) scenario(t *testing.T, preset string, seed uint64, d time.Duration, faults ...string) {
	t.Helper()
	log, lp, set, truth, lft := genLabelled(t, preset, seed, d, false, faults...)
	res, err := Run(context.Background(), Options{Logs: []string{log}, Labels: lp, Check: labelcheck.Options{KeepOK: true}})
	if err != nil {
		t.Fatal(err)
	}
	a.runs++
	// Boxes by (frame, id).
	type key struct {
		frame int
		id    string
	}
	got := map[key]*labelcheck.BoxResult{}
	var missing []labelcheck.BoxResult
	for i := range res.Findings {
		f := &res.Findings[i]
		if f.HasKind(labelcheck.KindMissing) {
			missing = append(missing, *f)
			continue
		}
		got[key{f.Frame, f.ID}] = f
	}
	faulted := map[key]bool{}
	speedOf := map[key]float64{}
	trueBox := map[key]labels.Box{}
	for _, fr := range truth.Frames {
		for _, b := range fr.Boxes {
			k := key{fr.Index, b.ID}
			trueBox[k] = b
			if b.Velocity != nil {
				speedOf[k] = math.Hypot(b.Velocity.X, b.Velocity.Y)
			}
		}
	}
	for _, f := range lft {
		for _, fi := range f.Frames {
			faulted[key{fi, f.ID}] = true
			if f.OtherID != "" {
				faulted[key{fi, f.OtherID}] = true
			}
		}
		kind := string(f.Kind)
		switch f.Kind {
		case fixtures.LabelShift, fixtures.LabelYaw, fixtures.LabelSize, fixtures.LabelTime, fixtures.LabelSpurious, fixtures.LabelClassSwap:
			for _, fi := range f.Frames {
				k := key{fi, f.ID}
				if f.Kind == fixtures.LabelTime && speedOf[k] < 5 {
					continue
				}
				tl := a.k(kind)
				r := got[k]
				// A fit needs points: a box with too few (far, occluded) can
				// not be checked against them and is counted apart.
				if r != nil && !r.Observed && f.Kind != fixtures.LabelSpurious && f.Kind != fixtures.LabelClassSwap {
					tl.unobserved++
					continue
				}
				tl.n++
				if r != nil && r.Verdict != labelcheck.OK {
					tl.found++
					want := map[fixtures.LabelFaultKind]string{fixtures.LabelShift: labelcheck.KindShift, fixtures.LabelYaw: labelcheck.KindYaw,
						fixtures.LabelSize: labelcheck.KindSize, fixtures.LabelTime: labelcheck.KindTime, fixtures.LabelSpurious: labelcheck.KindSpurious,
						fixtures.LabelClassSwap: labelcheck.KindClass}[f.Kind]
					if r.HasKind(want) {
						tl.kindOK++
					}
				}
				if r == nil || r.Verdict == labelcheck.OK {
					desc := fmt.Sprintf("%s seed %d frame %d box %s speed %.1f", preset, seed, fi, f.ID, speedOf[k])
					if r != nil {
						desc += fmt.Sprintf(" pts %d range %.0f off %.2f,%.2f yaw %.1f", r.Points, r.Range, r.Offset[0], r.Offset[1], r.YawErrDeg)
					}
					tl.missed = append(tl.missed, desc)
				}
				if f.Kind == fixtures.LabelTime && r != nil && r.TimeOffsetNS != nil && r.Points >= 50 {
					tl.dtErr = append(tl.dtErr, (float64(*r.TimeOffsetNS)-float64(f.Dt))/1e6)
				}
			}
			if f.Kind == fixtures.LabelTime {
				for _, tr := range res.Tracks {
					if tr.ID == f.ID && tr.TimeOffsetNS != nil {
						a.trackDtErrs = append(a.trackDtErrs, (float64(*tr.TimeOffsetNS)-float64(f.Dt))/1e6)
					}
				}
			}
		case fixtures.LabelMissing:
			for _, fi := range f.Frames {
				tb, ok := trueBox[key{fi, f.ID}]
				if !ok {
					continue
				}
				tl := a.k(kind)
				tl.n++
				hit := false
				for _, m := range missing {
					if m.Frame == fi && math.Hypot(m.Center[0]-tb.Center.X, m.Center[1]-tb.Center.Y) < 3 {
						tl.found++
						tl.kindOK++
						hit = true
						break
					}
				}
				if !hit {
					tl.missed = append(tl.missed, fmt.Sprintf("%s seed %d frame %d object %s at %.1f,%.1f", preset, seed, fi, f.ID, tb.Center.X, tb.Center.Y))
				}
			}
		case fixtures.LabelIDSwitch:
			// The event: a switch where the window begins (and ends, when it
			// ends inside the drive).
			tl := a.k(kind)
			tl.n++
			for _, fi := range f.Frames {
				for _, id := range []string{f.ID, f.OtherID} {
					if r := got[key{fi, id}]; r != nil && r.HasKind(labelcheck.KindIDSwitch) {
						tl.found, tl.kindOK = tl.found+1, tl.kindOK+1
						goto next
					}
				}
			}
			tl.missed = append(tl.missed, fmt.Sprintf("%s seed %d objects %s/%s frames %v", preset, seed, f.ID, f.OtherID, f.Frames))
		next:
		}
	}
	// False alarms: flagged boxes that no fault touched, and unlabelled
	// clusters away from any faulted object.
	for _, fr := range set.Frames {
		for _, b := range fr.Boxes {
			k := key{fr.Index, b.ID}
			if faulted[k] {
				continue
			}
			a.boxes++
			if r := got[k]; r != nil && r.Verdict != labelcheck.OK {
				a.fa++
				a.faFindings = append(a.faFindings, fmt.Sprintf("%s seed %d frame %d box %s %s: %v (pts %d, range %.0f)", preset, seed, fr.Index, b.ID, b.Class, r.Reasons, r.Points, r.Range))
			}
		}
	}
	for _, m := range missing {
		if m.ID != "" {
			if faulted[key{m.Frame, m.ID}] {
				continue
			}
		} else {
			near := false
			for _, f := range lft {
				if tb, ok := trueBox[key{m.Frame, f.ID}]; ok && slices.Contains(f.Frames, m.Frame) && math.Hypot(m.Center[0]-tb.Center.X, m.Center[1]-tb.Center.Y) < 3 {
					near = true
				}
			}
			if near {
				continue
			}
		}
		a.fa++
		a.clusterFA++
		a.faFindings = append(a.faFindings, fmt.Sprintf("%s seed %d frame %d missing at %.1f,%.1f: %v", preset, seed, m.Frame, m.Center[0], m.Center[1], m.Reasons))
	}
}

func (a *accuracy) report(t *testing.T) {
	names := make([]string, 0, len(a.kinds))
	for k := range a.kinds {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		tl := a.kinds[k]
		line := fmt.Sprintf("%-11s recall %5.1f%% (%d/%d), right kind %5.1f%%", k, 100*float64(tl.found)/float64(max(1, tl.n)), tl.found, tl.n, 100*float64(tl.kindOK)/float64(max(1, tl.n)))
		if tl.unobserved > 0 {
			line += fmt.Sprintf(" (+%d faulted boxes with too few points to check)", tl.unobserved)
		}
		if len(tl.dtErr) > 0 {
			line += fmt.Sprintf(", per-box time error |median| %.1f ms, 90%% within %.1f ms (%d boxes ≥ 50 points)", math.Abs(median(tl.dtErr)), pct(tl.dtErr, 0.9), len(tl.dtErr))
		}
		t.Log(line)
		for i, m := range tl.missed {
			if i == 6 {
				break
			}
			t.Log("    missed: " + m)
		}
	}
	if len(a.trackDtErrs) > 0 {
		t.Logf("per-track time offset errors (ms): %v", roundAll(a.trackDtErrs))
	}
	t.Logf("false alarms: %d of %d correct boxes (%.2f%%; %d unlabelled-cluster findings) over %d runs", a.fa, a.boxes, 100*float64(a.fa)/float64(max(1, a.boxes)), a.clusterFA, a.runs)
	for i, s := range a.faFindings {
		if i == 15 {
			break
		}
		t.Log("  false alarm: " + s)
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func pct(v []float64, p float64) float64 {
	s := make([]float64, len(v))
	for i, x := range v {
		s[i] = math.Abs(x)
	}
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func roundAll(v []float64) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = strconv.FormatFloat(x, 'f', 1, 64)
	}
	return out
}

// faultSets are the label faults each seed gets, a few at a time (a short
// drive has few cars and each fault takes its own object).
var faultSets = [][]string{
	{"shift=0.3", "yaw=3:1s", "size=1.1:0.5s"},
	{"time=30ms", "missing:1s-2s", "spurious:1s"},
	{"shift=0,0.3", "id_switch:1.5s", "time=-40ms"},
	{"size=0.9", "yaw=-4", "class_swap:1s"},
}

func runAccuracy(t *testing.T, presets []string, seeds []uint64, d time.Duration) *accuracy {
	a := newAccuracy()
	for _, p := range presets {
		for _, s := range seeds {
			for _, fs := range faultSets {
				a.scenario(t, p, s, d, fs...)
			}
		}
	}
	return a
}

// TestAccuracy checks injected label faults on fixture drives of both
// presets against the truth: recall of each fault kind, false alarms on the
// boxes no fault touched, time offsets of moving objects. LABELS_MATRIX=1
// runs the longer matrix (5 seeds).
func TestAccuracy(t *testing.T) {
	seeds := []uint64{1, 2}
	d := 3 * time.Second
	if os.Getenv("LABELS_MATRIX") != "" {
		seeds = []uint64{1, 2, 3, 4, 5}
		d = 4 * time.Second
	} else if testing.Short() {
		seeds = []uint64{1}
	}
	for _, preset := range []string{"urban", "minimal"} {
		t.Run(preset, func(t *testing.T) {
			a := runAccuracy(t, []string{preset}, seeds, d)
			a.report(t)
			a.require(t, preset)
		})
	}
}

// require fails the test where the measured accuracy misses the targets
// (recall ≥ 95% per fault kind over the boxes with enough points to check,
// false alarms ≤ 1% of the correct boxes).
func (a *accuracy) require(t *testing.T, preset string) {
	minRecall, maxFA := 0.95, 0.01
	for k, tl := range a.kinds {
		if tl.n == 0 {
			continue
		}
		if r := float64(tl.found) / float64(tl.n); r < minRecall {
			t.Errorf("%s: recall of %s %.1f%% < %.0f%%", preset, k, 100*r, 100*minRecall)
		}
	}
	if fa := float64(a.fa) / float64(max(1, a.boxes)); fa > maxFA {
		t.Errorf("%s: false alarms %.2f%% > %.0f%%", preset, 100*fa, 100*maxFA)
	}
}

// TestOccludedEndNotAFace: the urban drive of seed 2 passes a parked car
// (object 9) whose rear, facing the LiDAR, is hidden by a nearer object
// for six sweeps: its side face's points stop at the occlusion edge, about
// 0.9 m into the box. The true labels must pass: that edge is not the
// car's end (the check flagged the box as 0.4–0.9 m off before).
func TestOccludedEndNotAFace(t *testing.T) {
	log, lp, _, _, _ := genLabelled(t, "urban", 2, 4*time.Second, false)
	res, err := Run(context.Background(), Options{Logs: []string{log}, Labels: lp})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		t.Errorf("frame %d box %s (%s): %s %v", f.Frame, f.ID, f.Class, f.Verdict, f.Reasons)
	}
	if res.Boxes == 0 {
		t.Fatal("no box checked")
	}
}
