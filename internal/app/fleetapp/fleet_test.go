package fleetapp

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/fusion/fleet"
)

// fleetLog is one fixture log of the must-show test: how it is made and
// whether the gate must fail it.
type fleetLog struct {
	name     string
	preset   string
	dur      time.Duration
	seed     uint64
	faults   []string // fixtures flag form: KIND:NAME=VALUE
	check    bool     // analysed with --check
	truncate bool     // cut to a third after writing
	full     bool     // only without -short
}

// fleetLogs: 20 logs, clean and with every fault kind the fleet scan
// must see. Faulty logs must fail the default gate, clean ones must not.
var fleetLogs = []fleetLog{
	{name: "clean-minimal", preset: "minimal", dur: 3 * time.Second, seed: 1},
	{name: "clean-urban", preset: "urban", dur: 3 * time.Second, seed: 1},
	{name: "dropout-cam", preset: "urban", dur: 3 * time.Second, seed: 1, faults: []string{"dropout:cam_front=1s-2.5s"}},
	{name: "degrade-cam-black", preset: "urban", dur: 3 * time.Second, seed: 1, faults: []string{"degrade:cam_front_left=1s-2s"}},
	{name: "clock-offset-cam", preset: "urban", dur: 3 * time.Second, seed: 1, faults: []string{"clock_offset:cam_front=25ms"}},
	{name: "truncated", preset: "urban", dur: 3 * time.Second, seed: 2, truncate: true},

	{name: "clean-minimal-2", preset: "minimal", dur: 4 * time.Second, seed: 2, full: true},
	{name: "clean-urban-3", preset: "urban", dur: 4 * time.Second, seed: 3, full: true},
	{name: "dropout-lidar", preset: "urban", dur: 4 * time.Second, seed: 1, faults: []string{"dropout:lidar_top=1.5s-2.5s"}, full: true},
	{name: "dropout-radar", preset: "urban", dur: 4 * time.Second, seed: 4, faults: []string{"dropout:radar_front=0.5s-2s"}, full: true},
	{name: "dropout-minimal-cam", preset: "minimal", dur: 4 * time.Second, seed: 1, faults: []string{"dropout:cam_front=1s-2.2s"}, full: true},
	{name: "degrade-radar", preset: "urban", dur: 4 * time.Second, seed: 1, faults: []string{"degrade:radar_front=1s-3.5s:empty"}, full: true},
	{name: "degrade-cam-saturated", preset: "urban", dur: 4 * time.Second, seed: 5, faults: []string{"degrade:cam_back=2s-3s:saturated"}, full: true},
	{name: "degrade-lidar", preset: "minimal", dur: 4 * time.Second, seed: 1, faults: []string{"degrade:lidar_top=1s-2s"}, full: true},
	{name: "two-faults", preset: "urban", dur: 4 * time.Second, seed: 6, faults: []string{"dropout:cam_back_left=0.5s-1.5s", "degrade:lidar_top=2.5s-3.2s"}, full: true},
	{name: "clock-offset-radar", preset: "urban", dur: 4 * time.Second, seed: 1, faults: []string{"clock_offset:radar_front_left=-30ms"}, full: true},
	{name: "clock-offset-cam-40", preset: "urban", dur: 4 * time.Second, seed: 7, faults: []string{"clock_offset:cam_back_left=40ms"}, full: true},
	{name: "checked-clean", preset: "urban", dur: 8 * time.Second, seed: 1, check: true, full: true},
	{name: "checked-knock", preset: "urban", dur: 8 * time.Second, seed: 1, check: true, faults: []string{"knock:lidar_top=4s:0,2,0,0,0,0"}, full: true},
	{name: "checked-miscalibrated", preset: "urban", dur: 8 * time.Second, seed: 1, check: true, faults: []string{"miscalibrate:cam_front=0,0,2,0.05,0,0"}, full: true},
}

// faultyLog says whether the gate must fail a log.
func (l fleetLog) faulty() bool { return len(l.faults) > 0 || l.truncate }

// genFleet writes the logs (in parallel, two at a time) and returns each
// log's path and its truth.
func genFleet(t testing.TB, dir string, logs []fleetLog) ([]string, []*fixtures.Truth) {
	t.Helper()
	paths := make([]string, len(logs))
	truths := make([]*fixtures.Truth, len(logs))
	errs := make([]error, len(logs))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, l := range logs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			paths[i], truths[i], errs[i] = genLog(dir, l)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s: %v", logs[i].name, err)
		}
	}
	return paths, truths
}

func genLog(dir string, l fleetLog) (string, *fixtures.Truth, error) {
	cfg, err := fixtures.Preset(l.preset)
	if err != nil {
		return "", nil, err
	}
	cfg.Duration, cfg.Seed, cfg.Workers = l.dur, l.seed, 1
	for _, f := range l.faults {
		kind, val, _ := strings.Cut(f, ":")
		ft, err := fixtures.ParseFault(fixtures.FaultKind(kind), val)
		if err != nil {
			return "", nil, err
		}
		cfg.Faults = append(cfg.Faults, ft)
	}
	path := filepath.Join(dir, l.name+".mcap")
	var logBuf, truthBuf strings.Builder
	if err := fixtures.Generate(context.Background(), cfg, &logBuf, &truthBuf, nil); err != nil {
		return "", nil, err
	}
	data := logBuf.String()
	if l.truncate {
		data = data[:len(data)/3]
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		return "", nil, err
	}
	var tr fixtures.Truth
	if err := json.Unmarshal([]byte(truthBuf.String()), &tr); err != nil {
		return "", nil, err
	}
	return path, &tr, nil
}

// faultWindow is where a truth fault should show, in s since the log's
// start, and the scene kind it must make.
func faultWindow(f fixtures.Fault, dur time.Duration) (kind string, start, end float64) {
	switch f.Kind {
	case fixtures.Dropout:
		return fleet.KindDropout, f.Start.Seconds(), f.End.Seconds()
	case fixtures.Degrade:
		return fleet.KindDegraded, f.Start.Seconds(), f.End.Seconds()
	case fixtures.ClockOffset:
		return fleet.KindClockOffset, 0, dur.Seconds()
	case fixtures.Knock:
		return fleet.KindCalibChange, f.At.Seconds(), dur.Seconds()
	case fixtures.Miscalibrate:
		return fleet.KindCalibration, 0, dur.Seconds()
	}
	return "", 0, 0
}

// TestFleetMustShow is issue 15's must-show on fixture logs: every
// injected fault (dropouts, degraded sensors, clock offsets, a knock and a
// miscalibration under --check; the truth files say where) is a scene
// with the right sensor and time (± 0.5 s); a clean log has no fault
// scene; the gate fails exactly the faulty logs; a truncated log fails
// with the reader's loss as the reason. -short runs 6 of the 20 logs.
func TestFleetMustShow(t *testing.T) {
	logs := fleetLogs
	if testing.Short() {
		var sub []fleetLog
		for _, l := range logs {
			if !l.full {
				sub = append(sub, l)
			}
		}
		logs = sub
	}
	// RIGSYNC_FLEET_LOGS=name,name runs only those logs (for debugging).
	if only := os.Getenv("RIGSYNC_FLEET_LOGS"); only != "" {
		var sub []fleetLog
		for _, l := range fleetLogs {
			if strings.Contains(","+only+",", ","+l.name+",") {
				sub = append(sub, l)
			}
		}
		logs = sub
	}
	dir := t.TempDir()
	paths, truths := genFleet(t, dir, logs)
	results := make([]fleet.Result, len(logs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i := range logs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = AnalyzeLog(context.Background(), paths[i], Options{Check: logs[i].check})
		})
	}
	wg.Wait()
	const slack = 0.5
	for i, l := range logs {
		r := results[i]
		s := r.Summary
		t.Logf("%-22s %s %v; scenes: %s", l.name, s.Gate.Verdict, s.Gate.Reasons, sceneTags(r.Scenes))
		if got := s.Gate.Verdict == fleet.Fail; got != l.faulty() {
			t.Errorf("%s: gate %s %v, want fail=%v", l.name, s.Gate.Verdict, s.Gate.Reasons, l.faulty())
		}
		if l.truncate {
			if len(s.ReaderWarnings) == 0 || len(s.Gate.Reasons) == 0 || !strings.HasPrefix(s.Gate.Reasons[0], "reader_loss: ") {
				t.Errorf("%s: truncated log: reasons %v, reader warnings %v; want the reader's loss first", l.name, s.Gate.Reasons, s.ReaderWarnings)
			}
			continue
		}
		if !l.faulty() {
			for _, sc := range r.Scenes {
				if fleet.IsFault(sc.Kind) {
					t.Errorf("%s: clean log has fault scene %q (%.2f–%.2f s)", l.name, sc.Tag, sc.StartS, sc.EndS)
				}
			}
			continue
		}
		// Every fault of the truth file is a scene of its sensor, at its
		// time.
		for _, f := range truths[i].Faults {
			kind, a, b := faultWindow(f, l.dur)
			found := false
			for _, sc := range r.Scenes {
				// A calibration scene is of a pair: the faulty sensor is
				// either of its two.
				right := sc.Sensor == f.Sensor || (sc.Reference == f.Sensor && (kind == fleet.KindCalibration || kind == fleet.KindCalibChange))
				if sc.Kind == kind && right && math.Abs(sc.StartS-a) <= slack && math.Abs(sc.EndS-b) <= slack {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: fault %s of %s at %.2f–%.2f s: no %s scene of it (scenes: %s)", l.name, f.Kind, f.Sensor, a, b, kind, sceneTags(r.Scenes))
			}
		}
		// And a fault scene names a faulty sensor (no collateral blame).
		for _, sc := range r.Scenes {
			if !fleet.IsFault(sc.Kind) || sc.Kind == fleet.KindCalibration || sc.Kind == fleet.KindCalibChange {
				continue
			}
			ok := false
			for _, f := range truths[i].Faults {
				ok = ok || f.Sensor == sc.Sensor
			}
			if !ok {
				t.Errorf("%s: fault scene %q names a sensor with no injected fault", l.name, sc.Tag)
			}
		}
	}
	// The outputs of the run are the same in any order (Beam's split).
	var cov, rev fleet.Coverage
	for i := range results {
		cov.Add(results[i])
		rev.Add(results[len(results)-1-i])
	}
	cj, _ := json.Marshal(cov)
	rj, _ := json.Marshal(rev)
	if string(cj) != string(rj) {
		t.Fatalf("coverage depends on the order of the logs:\n%s\n%s", cj, rj)
	}
	nFail := 0
	for _, l := range logs {
		if l.faulty() {
			nFail++
		}
	}
	if cov.Failed != nFail || cov.Logs != len(logs) {
		t.Errorf("coverage: %d of %d failed, want %d of %d", cov.Failed, cov.Logs, nFail, len(logs))
	}
}

func sceneTags(scs []fleet.Scene) string {
	var b strings.Builder
	for i, sc := range scs {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s [%.2f–%.2f]", sc.Tag, sc.StartS, sc.EndS)
	}
	return b.String()
}
