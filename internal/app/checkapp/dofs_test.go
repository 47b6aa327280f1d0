package checkapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/calib/check"
)

// dofsOf builds six DOFs with the given statuses (roll, pitch, yaw, x,
// y, z), every one mattering unless listed in ignore.
func dofsOf(st [6]check.DOFStatus, ignore ...string) []check.DOF {
	out := make([]check.DOF, 6)
	for d := range 6 {
		matters := true
		for _, n := range ignore {
			if n == dofNames[d] {
				matters = false
			}
		}
		out[d] = check.NewDOF(dofNames[d], "deg", 0.01, 0.02, st[d], matters, "")
	}
	return out
}

// TestVerdictRule: per-DOF statuses → the pair's text verdict, the gate's
// verdict and the command's exit code class (0 ok, 3 suspicious, partial
// or nothing checked, 4 miscalibrated).
func TestVerdictRule(t *testing.T) {
	const O, W, U, N = check.Observed, check.Weak, check.Unobservable, check.NotSearched
	all := [6]check.DOFStatus{O, O, O, O, O, O}
	for _, tc := range []struct {
		name    string
		verdict check.Verdict
		dofs    []check.DOF
		text    string        // the pair's verdict_text
		gate    check.Verdict // "" = the gate passes
		exit    int
	}{
		{"all observed", check.OK, dofsOf(all), "ok", "", 0},
		{"no DOFs (an older report)", check.OK, nil, "ok", "", 0},
		{"yaw weak, z not searched", check.OK, dofsOf([6]check.DOFStatus{O, O, W, O, O, N}),
			"ok (partial: yaw, z not observed)", check.Partial, 3},
		{"translation not searched", check.OK, dofsOf([6]check.DOFStatus{O, O, O, N, N, N}),
			"ok (partial: x, y, z not observed)", check.Partial, 3},
		{"radar: z, roll, pitch unobservable", check.OK, dofsOf([6]check.DOFStatus{U, U, O, O, O, U}),
			"ok (partial: roll, pitch, z not observed)", check.Partial, 3},
		{"an unobserved DOF that does not matter", check.OK, dofsOf([6]check.DOFStatus{O, O, O, O, O, U}, "z"),
			"ok", "", 0},
		{"suspicious and partial", check.Suspicious, dofsOf([6]check.DOFStatus{O, O, N, O, O, O}),
			"suspicious (partial: yaw not observed)", check.Suspicious, 3},
		{"miscalibrated and partial", check.Miscalibrated, dofsOf([6]check.DOFStatus{O, O, O, N, N, N}),
			"miscalibrated (partial: x, y, z not observed)", check.Miscalibrated, 4},
		{"skipped", check.Skipped, dofsOf([6]check.DOFStatus{N, N, N, N, N, N}), "skipped", check.Unchecked, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := check.PairResult{Kind: check.KindLidarCamera, Sensor: "cam", Reference: "lidar", Verdict: tc.verdict, DOFs: tc.dofs}
			rep := &check.Report{Pairs: []check.PairResult{p}}
			finish(rep)
			if got := rep.Pairs[0].VerdictText; got != tc.text {
				t.Errorf("verdict_text %q, want %q", got, tc.text)
			}
			err := Gate(rep)
			gv := check.Verdict("")
			if ge, ok := errors.AsType[*GateError](err); ok {
				gv = ge.Verdict
			} else if err != nil {
				t.Fatalf("Gate: %v (%T)", err, err)
			}
			if gv != tc.gate {
				t.Errorf("gate %q (%v), want %q", gv, err, tc.gate)
			}
			exit := map[check.Verdict]int{"": 0, check.Suspicious: 3, check.Partial: 3, check.Unchecked: 3, check.Miscalibrated: 4}[gv]
			if exit != tc.exit {
				t.Errorf("exit %d, want %d", exit, tc.exit)
			}
			var buf bytes.Buffer
			if err := WriteText(&buf, rep); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), tc.text) {
				t.Errorf("text lacks %q:\n%s", tc.text, buf.String())
			}
			if partial := strings.Contains(tc.text, "(partial:"); partial != strings.Contains(buf.String(), "(partial: 1 pair(s)") {
				t.Errorf("summary line: partial %v:\n%s", partial, buf.String())
			}
		})
	}
}

// TestDOFJSONShape: the per-DOF fields are additive: every field a
// report had before is still there, with the new ones beside it.
func TestDOFJSONShape(t *testing.T) {
	p := check.PairResult{Kind: check.KindLidarCamera, Sensor: "cam_front", Reference: "lidar_top", ScoreName: "edge_alignment",
		Verdict: check.OK, DOFFrame: "optical", DOFs: dofsOf([6]check.DOFStatus{check.Observed, check.Observed, check.Observed,
			check.NotSearched, check.NotSearched, check.NotSearched})}
	p.DOFs[3] = check.NewDOF("x", "m", math.NaN(), math.NaN(), check.NotSearched, true, "")
	rep := &check.Report{Log: "drive.mcap", Clock: "log", Pairs: []check.PairResult{p}}
	finish(rep)
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(js, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"log", "clock", "start_ns", "end_ns", "pairs", "verdict", "checked_pairs", "skipped_pairs", "partial_pairs"} {
		if _, ok := got[k]; !ok {
			t.Errorf("report lacks %q: %s", k, js)
		}
	}
	if got["verdict"] != "ok" || got["partial_pairs"] != 1.0 {
		t.Errorf("verdict %v, partial_pairs %v; want ok, 1", got["verdict"], got["partial_pairs"])
	}
	pair := got["pairs"].([]any)[0].(map[string]any)
	for _, k := range []string{"kind", "sensor", "reference", "score", "score_name", "best_score", "verdict", "correction",
		"correction_rotation_deg", "correction_translation_m", "uncertainty", "windows", "dof_frame", "dofs", "not_observed", "verdict_text"} {
		if _, ok := pair[k]; !ok {
			t.Errorf("pair lacks %q: %s", k, js)
		}
	}
	if pair["verdict"] != "ok" || pair["verdict_text"] != "ok (partial: x, y, z not observed)" {
		t.Errorf("pair verdict %v / %v", pair["verdict"], pair["verdict_text"])
	}
	dofs := pair["dofs"].([]any)
	if len(dofs) != 6 {
		t.Fatalf("%d dofs, want 6", len(dofs))
	}
	roll := dofs[0].(map[string]any)
	for _, k := range []string{"name", "unit", "estimate", "sigma", "status", "matters"} {
		if _, ok := roll[k]; !ok {
			t.Errorf("dof lacks %q: %v", k, roll)
		}
	}
	x := dofs[3].(map[string]any)
	if _, ok := x["estimate"]; ok || x["status"] != "not searched" {
		t.Errorf("x: %v, want no estimate and status \"not searched\"", x)
	}
}

// TestSignificantDOFs: an observed DOF is significant beyond k σ and the
// floor (either alone is not enough); weak, unobservable and unknown DOFs
// never are.
func TestSignificantDOFs(t *testing.T) {
	nan := math.NaN()
	dof := func(d int, est, sigma float64, st check.DOFStatus) check.DOF {
		unit := "deg"
		if d >= 3 {
			unit = "m"
		}
		return check.NewDOF(dofNames[d], unit, est, sigma, st, true, "")
	}
	un := func(d int) check.DOF { return dof(d, nan, nan, check.Unobservable) }
	cases := []struct {
		name string
		yaw  check.DOF
		x    check.DOF
		want string
	}{
		{"radar yaw 0.39° ± 0.085° (urban seed 1, yaw +0.5°)", dof(2, -0.39, 0.085, check.Observed), dof(3, 0, 0.009, check.Observed), "yaw"},
		{"radar x 5 cm ± 0.9 cm", dof(2, 0.01, 0.085, check.Observed), dof(3, -0.051, 0.0087, check.Observed), "x"},
		{"both", dof(2, 0.5, 0.1, check.Observed), dof(3, 0.05, 0.01, check.Observed), "yaw,x"},
		{"correct rig: yaw 0.11° ± 0.085° (1.3 σ)", dof(2, 0.11, 0.085, check.Observed), dof(3, -0.002, 0.016, check.Observed), ""},
		{"beyond 3 σ but under the floor", dof(2, 0.15, 0.01, check.Observed), dof(3, 0.015, 0.001, check.Observed), ""},
		{"beyond the floor but within 3 σ", dof(2, 0.3, 0.11, check.Observed), dof(3, 0.05, 0.02, check.Observed), ""},
		{"weak is never significant", dof(2, 0.9, 0.2, check.Weak), dof(3, 0.2, 0.05, check.Weak), ""},
		{"unobservable", un(2), un(3), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dofs := []check.DOF{un(0), un(1), c.yaw, c.x, dof(4, 0, 0.02, check.Observed), un(5)}
			got := strings.Join(significantDOFs(dofs, radarSignificance, radarFloorDeg, radarFloorM), ",")
			if got != c.want {
				t.Errorf("significant = %q, want %q", got, c.want)
			}
		})
	}
}
