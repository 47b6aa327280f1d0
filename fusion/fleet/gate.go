package fleet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"

	"gopkg.in/yaml.v3"
)

// Policy is the quality gate: which findings fail a log, which warn. It is
// read from YAML (ParsePolicy; "rigsync fleet gate --print-default" prints
// DefaultPolicy). A Threshold of 0 never triggers; an Action is "fail",
// "warn" or "ignore". An unreadable log always fails.
type Policy struct {
	// Dropout: the longest dropout of a fused sensor (LiDAR, camera,
	// radar), in s.
	Dropout Threshold `yaml:"dropout_s" json:"dropout_s"`
	// Degraded: the longest degraded span of a camera or LiDAR (black,
	// saturated or flat images; near-empty sweeps), in s.
	Degraded Threshold `yaml:"degraded_s" json:"degraded_s"`
	// DegradedRadar: the longest span of a radar with no detections, in
	// s (an empty road is quiet: a radar gets a longer leash).
	DegradedRadar Threshold `yaml:"degraded_radar_s" json:"degraded_radar_s"`
	// ClockOffset: |estimated clock offset| of a sensor against the
	// median of the other sensors of its modality, in ms (Clock.DeviationMs;
	// only with at least MinClockPeers such sensors).
	ClockOffset Threshold `yaml:"clock_offset_ms" json:"clock_offset_ms"`
	// Drift: |estimated clock drift| of a sensor, in ppm (only when
	// DriftObservable: at least 3 sigma and DriftMinErrorMs over the log).
	Drift Threshold `yaml:"drift_ppm" json:"drift_ppm"`
	// ReaderLoss: the reader lost data (a truncated or damaged log).
	ReaderLoss string `yaml:"reader_loss" json:"reader_loss"`
	// InfoErrors: the info analysis found problems of severity "error".
	InfoErrors string `yaml:"info_errors" json:"info_errors"`
	// NoFrames: the log has sensors but fusion made no frame (no LiDAR).
	NoFrames string `yaml:"no_frames" json:"no_frames"`
	// Miscalibrated, Suspicious, CalibrationChanged: calib check verdicts
	// (with --check).
	Miscalibrated      string `yaml:"miscalibrated" json:"miscalibrated"`
	Suspicious         string `yaml:"suspicious" json:"suspicious"`
	CalibrationChanged string `yaml:"calibration_changed" json:"calibration_changed"`
}

// Threshold warns at Warn and fails at Fail (0: never).
type Threshold struct {
	Warn float64 `yaml:"warn" json:"warn"`
	Fail float64 `yaml:"fail" json:"fail"`
}

// Gate actions.
const (
	ActionFail   = "fail"
	ActionWarn   = "warn"
	ActionIgnore = "ignore"
)

// DefaultPolicy is the gate used without --gate.
func DefaultPolicy() Policy {
	return Policy{
		Dropout:            Threshold{Warn: 0.3, Fail: 1},
		Degraded:           Threshold{Warn: 0.2, Fail: 0.5},
		DegradedRadar:      Threshold{Fail: 2},
		ClockOffset:        Threshold{Warn: 10, Fail: 20},
		Drift:              Threshold{Warn: 50, Fail: 200},
		ReaderLoss:         ActionFail,
		InfoErrors:         ActionWarn,
		NoFrames:           ActionWarn,
		Miscalibrated:      ActionFail,
		Suspicious:         ActionWarn,
		CalibrationChanged: ActionFail,
	}
}

// DefaultPolicyYAML is DefaultPolicy as a commented YAML file.
const DefaultPolicyYAML = `# rigsync fleet gate policy. Thresholds: warn at "warn", fail at "fail"
# (0: never). Actions: fail, warn or ignore. An unreadable log always fails.
dropout_s: {warn: 0.3, fail: 1}          # longest dropout of a LiDAR, camera or radar
degraded_s: {warn: 0.2, fail: 0.5}       # longest degraded span of a camera or LiDAR
degraded_radar_s: {warn: 0, fail: 2}     # longest span (>= 2 s) of a radar with no detections
clock_offset_ms: {warn: 10, fail: 20}    # |sensor clock offset - its modality's median| (>= 3 sensors)
drift_ppm: {warn: 50, fail: 200}         # |estimated sensor clock drift| (>= 3 sigma, >= 2 ms over the log)
reader_loss: fail                        # truncated or damaged log
info_errors: warn                        # info problems of severity error
no_frames: warn                          # sensors but no frame (no LiDAR)
miscalibrated: fail                      # calib check (--check)
suspicious: warn
calibration_changed: fail
`

// ParsePolicy reads a YAML policy; fields it does not set keep
// DefaultPolicy's values. Unknown fields and bad actions are errors.
func ParsePolicy(data []byte) (Policy, error) {
	p := DefaultPolicy()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		return Policy{}, fmt.Errorf("gate policy: %w", err)
	}
	for name, a := range map[string]string{"reader_loss": p.ReaderLoss, "info_errors": p.InfoErrors, "no_frames": p.NoFrames,
		"miscalibrated": p.Miscalibrated, "suspicious": p.Suspicious, "calibration_changed": p.CalibrationChanged} {
		switch a {
		case ActionFail, ActionWarn, ActionIgnore:
		default:
			return Policy{}, fmt.Errorf("gate policy: %s: %q is not fail, warn or ignore", name, a)
		}
	}
	for name, t := range map[string]Threshold{"dropout_s": p.Dropout, "degraded_s": p.Degraded, "degraded_radar_s": p.DegradedRadar,
		"clock_offset_ms": p.ClockOffset, "drift_ppm": p.Drift} {
		if t.Warn < 0 || t.Fail < 0 || math.IsNaN(t.Warn) || math.IsNaN(t.Fail) {
			return Policy{}, fmt.Errorf("gate policy: %s: thresholds must be ≥ 0", name)
		}
	}
	return p, nil
}

// judge collects reasons with their actions.
type judge struct {
	fails, warns []string
}

func (j *judge) act(action, reason string) {
	switch action {
	case ActionFail:
		j.fails = append(j.fails, reason)
	case ActionWarn:
		j.warns = append(j.warns, reason)
	}
}

func (j *judge) threshold(t Threshold, v float64, reason string) {
	switch {
	case t.Fail > 0 && v >= t.Fail:
		j.fails = append(j.fails, fmt.Sprintf("%s ≥ %g", reason, t.Fail))
	case t.Warn > 0 && v >= t.Warn:
		j.warns = append(j.warns, fmt.Sprintf("%s ≥ %g", reason, t.Warn))
	}
}

// Judge is the policy's verdict on a summary: fail when any rule fails,
// else warn when any warns, else pass. Reasons start with the rule's
// name ("dropout_s: cam_front 1.5 s ≥ 1"); failing ones come first.
func (p Policy) Judge(s Summary) Gate {
	var j judge
	if s.Error != "" {
		return Gate{Verdict: Fail, Reasons: []string{"unreadable: " + s.Error}}
	}
	if len(s.ReaderWarnings) > 0 {
		j.act(p.ReaderLoss, "reader_loss: "+s.ReaderWarnings[0])
	}
	nErr := 0
	for _, pr := range s.Problems {
		if len(pr) >= 6 && pr[:6] == "error " {
			nErr++
		}
	}
	if nErr > 0 {
		j.act(p.InfoErrors, fmt.Sprintf("info_errors: %d error problem(s), first: %s", nErr, firstError(s.Problems)))
	}
	if s.Frames == 0 && len(s.Sensors) > 0 {
		j.act(p.NoFrames, "no_frames: fusion made no frame (no LiDAR to group on?)")
	}
	sensors := append([]Sensor(nil), s.Sensors...)
	sort.SliceStable(sensors, func(a, b int) bool { return sensors[a].Name < sensors[b].Name })
	for _, sn := range sensors {
		if sn.MaxDropoutMs > 0 {
			j.threshold(p.Dropout, float64(sn.MaxDropoutMs)/1000, fmt.Sprintf("dropout_s: %s dropout %.1f s", sn.Name, float64(sn.MaxDropoutMs)/1000))
		}
		if sn.MaxDegradedMs > 0 {
			t, rule := p.Degraded, "degraded_s"
			if sn.Modality == "radar" {
				t, rule = p.DegradedRadar, "degraded_radar_s"
			}
			j.threshold(t, float64(sn.MaxDegradedMs)/1000, fmt.Sprintf("%s: %s degraded %.1f s", rule, sn.Name, float64(sn.MaxDegradedMs)/1000))
		}
		if c := sn.Clock; c != nil {
			if c.Peers >= MinClockPeers {
				j.threshold(p.ClockOffset, math.Abs(c.DeviationMs), fmt.Sprintf("clock_offset_ms: %s clock %.1f ms off its %d peers", sn.Name, c.DeviationMs, c.Peers-1))
			}
			if DriftObservable(c, s.DurationS) {
				j.threshold(p.Drift, math.Abs(c.DriftPPM), fmt.Sprintf("drift_ppm: %s drift %.0f ppm", sn.Name, c.DriftPPM))
			}
		}
	}
	if s.Check != nil {
		for _, pr := range s.Check.Pairs {
			switch pr.Verdict {
			case "miscalibrated":
				j.act(p.Miscalibrated, fmt.Sprintf("miscalibrated: %s–%s %s (%.2f°, %.3f m)", pr.Sensor, pr.Reference, pr.Kind, pr.CorrectionDeg, pr.CorrectionM))
			case "suspicious":
				j.act(p.Suspicious, fmt.Sprintf("suspicious: %s–%s %s", pr.Sensor, pr.Reference, pr.Kind))
			}
			if pr.ChangedAtNs != 0 {
				j.act(p.CalibrationChanged, fmt.Sprintf("calibration_changed: %s–%s at %.1f s", pr.Sensor, pr.Reference, float64(pr.ChangedAtNs-s.StartNs)/1e9))
			}
		}
	}
	switch {
	case len(j.fails) > 0:
		return Gate{Verdict: Fail, Reasons: append(j.fails, j.warns...)}
	case len(j.warns) > 0:
		return Gate{Verdict: Warn, Reasons: j.warns}
	}
	return Gate{Verdict: Pass}
}

func firstError(probs []string) string {
	for _, p := range probs {
		if len(p) >= 6 && p[:6] == "error " {
			return p[6:]
		}
	}
	return ""
}
