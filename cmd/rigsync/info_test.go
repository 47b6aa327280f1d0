package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/fixtures/shareddata"
	"github.com/rigsync/rigsync/formats/inspect"
)

// groundTruth counts messages per topic and their log-time range with the
// mcap library's own linear scan, independently of rigsync's reader.
func groundTruth(t *testing.T, path string) map[string][3]uint64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := mcap.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	it, err := r.Messages(mcap.UsingIndex(false))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][3]uint64{}
	var m mcap.Message
	for {
		_, ch, msg, err := it.NextInto(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		v := out[ch.Topic]
		if v[0] == 0 || msg.LogTime < v[1] {
			v[1] = msg.LogTime
		}
		v[2] = max(v[2], msg.LogTime)
		v[0]++
		out[ch.Topic] = v
	}
	return out
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func infoJSON(t *testing.T, path string, extra ...string) *inspect.Report {
	t.Helper()
	code, out, errs := runCLI(t, append([]string{"info", "--json", path}, extra...)...)
	if code != exitOK {
		t.Fatalf("info exit %d: %s", code, errs)
	}
	var rep inspect.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("info --json is not JSON: %v\n%s", err, out)
	}
	return &rep
}

func TestInfoRealLogs(t *testing.T) {
	dir := shareddata.Dir(t, "mcap", "real")
	files, _ := filepath.Glob(filepath.Join(dir, "*.mcap"))
	if len(files) == 0 {
		t.Skip("no real logs")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			truth := groundTruth(t, path)
			for _, mode := range []string{"-1", "1"} { // full decode, and index+sample
				rep := infoJSON(t, path, "--max-scan", mode)
				seen := 0
				for _, c := range rep.Channels {
					if c.MessageCount > 0 {
						seen++
					}
					want := truth[c.Topic]
					if c.MessageCount != want[0] || uint64(c.FirstLogTime) != want[1] || uint64(c.LastLogTime) != want[2] {
						t.Errorf("max-scan %s: %s: count/first/last = %d/%d/%d, want %v", mode, c.Topic, c.MessageCount, c.FirstLogTime, c.LastLogTime, want)
					}
					if c.DecodeErrors != 0 || c.DecodeError != "" {
						t.Errorf("%s: %d decode errors: %s", c.Topic, c.DecodeErrors, c.DecodeError)
					}
				}
				if seen != len(truth) {
					t.Errorf("max-scan %s: %d channels with messages, want %d", mode, seen, len(truth))
				}
			}
		})
	}
}

func channel(rep *inspect.Report, topic string) *inspect.ChannelReport {
	for _, c := range rep.Channels {
		if c.Topic == topic {
			return c
		}
	}
	return nil
}

// The real radar log's header.stamp.sec counts milliseconds (SOURCES.md):
// info must say so, per radar topic, with the factor 1000.
func TestInfoRadarStampUnit(t *testing.T) {
	path := filepath.Join(shareddata.Dir(t, "mcap", "real"), "radar-can-vehicle_mcap2mat-data1.mcap")
	rep := infoJSON(t, path)
	for _, topic := range []string{"/radar/fl", "/radar/fr", "/radar/rl", "/radar/rr", "/radar/fwd"} {
		c := channel(rep, topic)
		if c == nil {
			t.Fatalf("%s missing", topic)
		}
		if c.Modality != "radar" {
			t.Errorf("%s modality %s, want radar", topic, c.Modality)
		}
		if c.StampRateRatio == nil || math.Abs(*c.StampRateRatio/1000-1) > 0.02 {
			t.Errorf("%s: stamp rate ratio %v, want ≈1000", topic, c.StampRateRatio)
		}
		if !strings.Contains(c.StampUnit, "milliseconds") {
			t.Errorf("%s: stamp unit %q, want milliseconds", topic, c.StampUnit)
		}
		// The counter behind the stamps wraps every 2^32 ns of true time:
		// 4294.967296 "s" of stamp with the ms-for-s unit error.
		if c.StampWrap == nil || math.Abs(float64(*c.StampWrap)/1e9-4294.967296) > 0.01 {
			t.Errorf("%s: stamp wrap %v, want 4294.967296 s", topic, c.StampWrap)
		}
		if c.RateHz < 15 || c.RateHz > 25 {
			t.Errorf("%s: rate %.2f Hz, want about 20", topic, c.RateHz)
		}
	}
	found := false
	for _, p := range rep.Problems {
		if p.Kind == "stamp_unit" && p.Topic == "/radar/fwd" {
			found = true
		}
	}
	if !found {
		t.Error("no stamp_unit problem reported for /radar/fwd")
	}
}

// The Husky IMU's header stamps are about 36 ms before log time (SOURCES.md).
func TestInfoHuskyIMUOffset(t *testing.T) {
	path := filepath.Join(shareddata.Dir(t, "mcap", "real"), "husky-imu-odom-gps_robot-localization-test1.ros1.mcap")
	rep := infoJSON(t, path)
	c := channel(rep, "/imu/data")
	if c == nil || c.StampMinusLogMedianMs == nil {
		t.Fatalf("/imu/data missing or without stamps: %+v", c)
	}
	// Measured during development (Python over the decoded stamps): median −25.2 ms,
	// extreme −36.3 ms (the "about 36 ms" of SOURCES.md).
	if med := *c.StampMinusLogMedianMs; med > -24 || med < -27 {
		t.Errorf("IMU stamp − log median = %.2f ms, want about −25.2", med)
	}
	if p99 := *c.StampMinusLogP99Ms; p99 < 30 || p99 > 37 {
		t.Errorf("IMU |stamp − log| p99 = %.2f ms, want ≤ 36.3 and > 30", p99)
	}
	if c.Modality != "imu" || c.RateHz < 25 || c.RateHz > 35 {
		t.Errorf("IMU modality %s rate %.2f, want imu ≈30 Hz", c.Modality, c.RateHz)
	}
	if g := channel(rep, "/fix"); g == nil || g.Modality != "gnss" {
		t.Errorf("/fix: %+v, want gnss", g)
	}
}

func TestUsageErrors(t *testing.T) {
	if code, _, _ := runCLI(t, "info"); code != exitUsage {
		t.Errorf("info without a file: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := runCLI(t, "info", "--no-such-flag", "x"); code != exitUsage {
		t.Errorf("unknown flag: exit %d, want %d", code, exitUsage)
	}
	if code, _, errs := runCLI(t, "info", filepath.Join(t.TempDir(), "missing.mcap")); code != exitError || !strings.Contains(errs, "missing.mcap") {
		t.Errorf("missing file: exit %d (%s), want %d naming the file", code, errs, exitError)
	}
}
