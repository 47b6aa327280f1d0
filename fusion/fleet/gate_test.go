package fleet

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestDefaultPolicyYAML: the printed default is DefaultPolicy.
func TestDefaultPolicyYAML(t *testing.T) {
	p, err := ParsePolicy([]byte(DefaultPolicyYAML))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, DefaultPolicy()) {
		t.Fatalf("DefaultPolicyYAML = %+v, DefaultPolicy = %+v", p, DefaultPolicy())
	}
}

// TestParsePolicy: fields left out keep the default; unknown fields, bad
// actions and negative thresholds are errors.
func TestParsePolicy(t *testing.T) {
	p, err := ParsePolicy([]byte("dropout_s: {warn: 0, fail: 3}\nsuspicious: fail\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Dropout != (Threshold{Fail: 3}) || p.Suspicious != ActionFail || p.Degraded != DefaultPolicy().Degraded {
		t.Fatalf("%+v", p)
	}
	if p, err := ParsePolicy(nil); err != nil || !reflect.DeepEqual(p, DefaultPolicy()) {
		t.Fatalf("empty policy: %+v %v", p, err)
	}
	for _, bad := range []string{"dropout: {fail: 1}", "reader_loss: maybe", "degraded_s: {warn: -1}", "dropout_s: [1, 2]", "::"} {
		if _, err := ParsePolicy([]byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "gate policy: ") {
			t.Errorf("%q: error %v", bad, err)
		}
	}
}

// TestJudge: each rule at, below and above its thresholds.
func TestJudge(t *testing.T) {
	p := DefaultPolicy()
	sensor := func(mod string, drop, deg int64) Sensor {
		return Sensor{Name: "s_" + mod, Modality: mod, MaxDropoutMs: drop, MaxDegradedMs: deg}
	}
	clk := func(dev float64, peers int) Sensor {
		return Sensor{Name: "cam", Modality: "camera", Clock: &Clock{DeviationMs: dev, Peers: peers}}
	}
	for _, tc := range []struct {
		name    string
		s       Summary
		verdict string
		rule    string
	}{
		{"clean", Summary{Frames: 10, Sensors: []Sensor{sensor("camera", 0, 0)}}, Pass, ""},
		{"dropout 1 s", Summary{Frames: 10, Sensors: []Sensor{sensor("camera", 1000, 0)}}, Fail, "dropout_s"},
		{"dropout 0.5 s", Summary{Frames: 10, Sensors: []Sensor{sensor("lidar", 500, 0)}}, Warn, "dropout_s"},
		{"dropout 0.2 s", Summary{Frames: 10, Sensors: []Sensor{sensor("lidar", 200, 0)}}, Pass, ""},
		{"camera degraded 0.5 s", Summary{Frames: 10, Sensors: []Sensor{sensor("camera", 0, 500)}}, Fail, "degraded_s"},
		{"radar empty 0.5 s", Summary{Frames: 10, Sensors: []Sensor{sensor("radar", 0, 500)}}, Pass, ""},
		{"radar empty 2.5 s", Summary{Frames: 10, Sensors: []Sensor{sensor("radar", 0, 2500)}}, Fail, "degraded_radar_s"},
		{"radar empty 1.5 s", Summary{Frames: 10, Sensors: []Sensor{sensor("radar", 0, 1500)}}, Pass, ""},
		{"clock 25 ms", Summary{Frames: 10, Sensors: []Sensor{clk(25, 6)}}, Fail, "clock_offset_ms"},
		{"clock -12 ms", Summary{Frames: 10, Sensors: []Sensor{clk(-12, 6)}}, Warn, "clock_offset_ms"},
		{"clock 25 ms, 2 peers", Summary{Frames: 10, Sensors: []Sensor{clk(25, 2)}}, Pass, ""},
		{"drift 300 ppm over 10 s", Summary{Frames: 10, DurationS: 10, Sensors: []Sensor{{Name: "cam", Clock: &Clock{DriftPPM: 300, DriftSigmaPPM: 20}}}}, Fail, "drift_ppm"},
		{"drift 300 ppm over 4 s (1.2 ms)", Summary{Frames: 10, DurationS: 4, Sensors: []Sensor{{Name: "cam", Clock: &Clock{DriftPPM: 300, DriftSigmaPPM: 20}}}}, Pass, ""},
		{"drift 300 ppm ± 150", Summary{Frames: 10, DurationS: 100, Sensors: []Sensor{{Name: "cam", Clock: &Clock{DriftPPM: 300, DriftSigmaPPM: 150}}}}, Pass, ""},
		{"reader loss", Summary{Frames: 10, ReaderWarnings: []string{"cut"}}, Fail, "reader_loss"},
		{"unreadable", Summary{Error: "no such file"}, Fail, "unreadable"},
		{"no frames", Summary{Sensors: []Sensor{{Name: "imu", Modality: "imu"}}}, Warn, "no_frames"},
		{"miscalibrated", Summary{Frames: 10, Check: &Check{Pairs: []CheckPair{{Sensor: "cam", Reference: "lidar", Verdict: "miscalibrated"}}}}, Fail, "miscalibrated"},
		{"suspicious", Summary{Frames: 10, Check: &Check{Pairs: []CheckPair{{Sensor: "cam", Reference: "lidar", Verdict: "suspicious"}}}}, Warn, "suspicious"},
		{"changed", Summary{Frames: 10, Check: &Check{Pairs: []CheckPair{{Sensor: "cam", Verdict: "ok", ChangedAtNs: 5e9}}}}, Fail, "calibration_changed"},
		{"info error", Summary{Frames: 10, Problems: []string{"error stamp_unit /x: ms"}}, Warn, "info_errors"},
	} {
		g := p.Judge(tc.s)
		if g.Verdict != tc.verdict {
			t.Errorf("%s: %s %v, want %s", tc.name, g.Verdict, g.Reasons, tc.verdict)
			continue
		}
		if tc.rule != "" && (len(g.Reasons) == 0 || !strings.HasPrefix(g.Reasons[0], tc.rule+": ")) {
			t.Errorf("%s: reasons %v, want the rule %s first", tc.name, g.Reasons, tc.rule)
		}
	}
	// A policy that ignores reader loss passes a truncated log.
	p.ReaderLoss = ActionIgnore
	if g := p.Judge(Summary{Frames: 10, ReaderWarnings: []string{"cut"}}); g.Verdict != Pass {
		t.Errorf("ignored reader loss: %+v", g)
	}
}

// TestCoverageOrder: Add in any order and Merge of any split give the
// same bytes (the Beam combiner's contract), with exact integer sums.
func TestCoverageOrder(t *testing.T) {
	var rs []Result
	for i := range 13 {
		v := []string{Pass, Warn, Fail}[i%3]
		rs = append(rs, Result{
			Summary: Summary{Path: string(rune('a' + i)), SHA256: string(rune('z' - i)), DurationS: 0.1 + float64(i)/3, Gate: Gate{Verdict: v, Reasons: []string{"dropout_s: x"}[:i%2]},
				Ego: Ego{DistanceM: 0.1 * float64(i)}, Conditions: Conditions{Speed: map[string]int64{"5-15": int64(i * 100)}},
				Sensors: []Sensor{{Name: "cam", PresentMs: int64(i), DropoutMs: 1}}},
			Scenes: []Scene{{Kind: KindStop}},
		})
	}
	var fwd, back, a, b Coverage
	for i := range rs {
		fwd.Add(rs[i])
		back.Add(rs[len(rs)-1-i])
		if i%2 == 0 {
			a.Add(rs[i])
		} else {
			b.Add(rs[i])
		}
	}
	b.Merge(a)
	j1, _ := json.Marshal(fwd)
	j2, _ := json.Marshal(back)
	j3, _ := json.Marshal(b)
	if string(j1) != string(j2) || string(j1) != string(j3) {
		t.Fatalf("coverage depends on order or split:\n%s\n%s\n%s", j1, j2, j3)
	}
	if fwd.Logs != 13 || fwd.Passed != 5 || fwd.Warned != 4 || fwd.Failed != 4 || fwd.Scenes[KindStop] != 13 || len(fwd.Worst) != WorstLogs {
		t.Fatalf("%+v", fwd)
	}
	if fwd.Worst[0].Verdict != Fail || fwd.Sensors["cam"].Logs != 13 || fwd.Sensors["cam"].DropoutMs != 13 {
		t.Fatalf("worst %+v sensors %+v", fwd.Worst[0], fwd.Sensors)
	}
}

// FuzzParsePolicy: a policy file never panics the parser, and a policy
// it accepts judges without panicking.
func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(DefaultPolicyYAML))
	f.Add([]byte("dropout_s: {warn: 1, fail: 2}\nreader_loss: warn\n"))
	f.Add([]byte("degraded_s: [1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		if err != nil {
			return
		}
		p.Judge(Summary{Frames: 1, Sensors: []Sensor{{Name: "a", Modality: "radar", MaxDegradedMs: 1500, Clock: &Clock{Peers: 3, DeviationMs: 30, DriftPPM: 900, DriftSigmaPPM: 10}}}})
	})
}
