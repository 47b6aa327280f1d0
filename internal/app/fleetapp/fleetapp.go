// Package fleetapp runs "rigsync fleet": it analyses each log of a fleet
// (AnalyzeLog, the per-log work that "rigsync fleet scan" and the Beam
// pipeline in cmd/rigsync-beam both call) and writes the fleet's outputs.
package fleetapp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/rigsync/rigsync/formats/inspect"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/fusion/fleet"
	"github.com/rigsync/rigsync/internal/version"
)

// Options are the settings of the per-log analysis.
type Options struct{}

// AnalyzeLog analyses the log at path. It never fails: a log that cannot
// be read is a Result whose summary has Error set and a failed gate.
func AnalyzeLog(ctx context.Context, path string, o Options) fleet.Result {
	s := fleet.Summary{Path: path, Provenance: fleet.Provenance{Rigsync: version.FromBuildInfo(debug.ReadBuildInfo()).Version}}
	fail := func(err error) fleet.Result {
		s.Error = err.Error()
		s.Gate = fleet.Gate{Verdict: fleet.Fail, Reasons: []string{"unreadable: " + err.Error()}}
		return fleet.Result{Summary: s}
	}
	sum, size, err := hashFile(path)
	if err != nil {
		return fail(err)
	}
	s.SHA256, s.SizeBytes = sum, size
	lg, err := logfile.Open(path, logfile.Options{})
	if err != nil {
		return fail(err)
	}
	defer lg.Close()
	rep, err := inspect.InspectLog(ctx, lg, path, inspect.Options{FileSize: lg.Size()})
	if err != nil {
		return fail(err)
	}
	s.Format = string(lg.Format())
	s.StartNs, s.EndNs, s.DurationS, s.Messages = rep.StartLogTime, rep.EndLogTime, rep.DurationSec, rep.MessageCount
	for _, c := range rep.Channels {
		s.Sensors = append(s.Sensors, fleet.Sensor{Name: c.FrameID, Topic: c.Topic, Modality: c.Modality, Messages: c.MessageCount, RateHz: c.RateHz})
	}
	s.ReaderWarnings = rep.ReaderWarning
	s.Gate = fleet.Gate{Verdict: fleet.Pass}
	if len(s.ReaderWarnings) > 0 {
		s.Gate = fleet.Gate{Verdict: fleet.Fail, Reasons: []string{fmt.Sprintf("reader lost data: %s", s.ReaderWarnings[0])}}
	}
	return fleet.Result{Summary: s}
}

// hashFile is the SHA-256 (hex) and size of the file at path.
func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
