// Package fleetapp runs "rigsync fleet": it analyses each log of a fleet
// (AnalyzeLog, the per-log work that "rigsync fleet scan" and the Beam
// pipeline in cmd/rigsync-beam both call), writes the fleet's outputs
// (WriteOutputs), scans a fleet on one machine (Scan) and queries its
// scenes (Find).
//
// Everything AnalyzeLog computes depends only on the log's bytes and the
// Options (never on the path order, the worker count or the wall clock),
// except Summary.Path and Provenance.Rigsync, so that any split of the
// work gives the same logs.jsonl and coverage.json.
package fleetapp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/formats/inspect"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fleet"
	"github.com/rigsync/rigsync/internal/app/checkapp"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
	"github.com/rigsync/rigsync/internal/app/losses"
	"github.com/rigsync/rigsync/internal/atomicfile"
	"github.com/rigsync/rigsync/internal/version"
)

// Options are the settings of the per-log analysis. They are plain data
// (JSON-serialisable) so that a distributed runner can ship them to its
// workers.
type Options struct {
	// Check also runs "calib check" on the log and judges its verdicts.
	Check bool `json:"check,omitempty"`
	// Fuse, when set, also fuses the log into this format (a fuse
	// --format name) below FuseDir, in a folder named after the first 16
	// hex digits of its content hash (SHA16.mcap for mcap), with
	// SHA16.provenance.json beside it (FusedProvenance); an interrupted
	// run is resumed.
	Fuse    string `json:"fuse,omitempty"`
	FuseDir string `json:"fuse_dir,omitempty"`
	// Policy is the quality gate (nil: fleet.DefaultPolicy).
	Policy *fleet.Policy `json:"policy,omitempty"`
	// Workers is how many goroutines one log's fusion uses (0: 1, so that
	// the fleet's parallelism is over logs).
	Workers int `json:"workers,omitempty"`

	// hashed is the log's content hash when the caller (Scan) already
	// computed it; Analyze then does not read the log a second time
	// for it. Not part of the options a skip compares.
	hashed *fileHash
}

// fileHash is a log's SHA-256 (hex) and size, as hashFile gives them.
type fileHash struct {
	sum  string
	size int64
}

// Details are what the analysis produced beside the Result: the per-log
// reports "fleet scan" writes to logs/SHA12/.
type Details struct {
	Info  *inspect.Report
	Check *check.Report
}

// AnalyzeLog analyses the log at path. It never fails: a log that cannot
// be read is a Result whose summary has Error set and a failed gate.
func AnalyzeLog(ctx context.Context, path string, o Options) fleet.Result {
	r, _ := Analyze(ctx, path, o)
	return r
}

// Unreadable is the Result of a log that a caller could not even hand to
// AnalyzeLog (a remote copy that failed, a panic in the analysis): a
// failed gate with err as its reason and an "unreadable" scene, as
// AnalyzeLog gives a missing file, so that every tool reports it alike.
func Unreadable(path string, err error, o Options) fleet.Result {
	policy := fleet.DefaultPolicy()
	if o.Policy != nil {
		policy = *o.Policy
	}
	return unreadable(newSummary(path), policy, err)
}

// newSummary is the summary of path before anything is known of it.
func newSummary(path string) fleet.Summary {
	return fleet.Summary{Path: path, Provenance: fleet.Provenance{Rigsync: version.FromBuildInfo(debug.ReadBuildInfo()).Version}}
}

// unreadable completes s as a log that could not be read: err is its
// Error, the gate judges it (an unreadable log always fails) and one
// "unreadable" scene says why.
func unreadable(s fleet.Summary, policy fleet.Policy, err error) fleet.Result {
	s.Error = err.Error()
	s.Gate = policy.Judge(s)
	return fleet.Result{Summary: s, Scenes: []fleet.Scene{{Log: s.Path, SHA256: s.SHA256, Kind: fleet.KindUnreadable, Tag: "unreadable: " + s.Error,
		StartNs: s.StartNs, EndNs: s.EndNs}}}
}

// Analyze is AnalyzeLog that also returns the per-log reports.
func Analyze(ctx context.Context, path string, o Options) (fleet.Result, Details) {
	var det Details
	policy := fleet.DefaultPolicy()
	if o.Policy != nil {
		policy = *o.Policy
	}
	s := newSummary(path)
	fail := func(err error) (fleet.Result, Details) {
		return unreadable(s, policy, err), det
	}
	if o.hashed != nil {
		s.SHA256, s.SizeBytes = o.hashed.sum, o.hashed.size
	} else {
		sum, size, err := hashFile(path)
		if err != nil {
			return fail(err)
		}
		s.SHA256, s.SizeBytes = sum, size
	}
	lg, err := logfile.Open(path, logfile.Options{})
	if err != nil {
		return fail(err)
	}
	rep, err := inspect.InspectLog(ctx, lg, path, inspect.Options{FileSize: lg.Size()})
	if err == nil {
		if probs := losses.Of([]*logfile.Log{lg}, []string{path}); len(probs) > 0 {
			s.ReaderProblems = probs
		}
	}
	lg.Close()
	if err != nil {
		return fail(err)
	}
	det.Info = rep
	s.Format = string(lg.Format())
	s.StartNs, s.EndNs, s.DurationS, s.Messages = rep.StartLogTime, rep.EndLogTime, rep.DurationSec, rep.MessageCount
	for _, c := range rep.Channels {
		s.Sensors = append(s.Sensors, fleet.Sensor{Name: c.FrameID, Topic: c.Topic, Modality: c.Modality, Messages: c.MessageCount, RateHz: c.RateHz})
	}
	s.ReaderWarnings = rep.ReaderWarning
	for _, p := range rep.Problems {
		s.Problems = append(s.Problems, strings.TrimSpace(fmt.Sprintf("%s %s %s: %s", p.Severity, p.Kind, p.Topic, p.Message)))
	}
	var scenes []fleet.Scene
	if hasLidar(s.Sensors) {
		scenes, err = fuseOnce(ctx, path, o, &s)
		if err != nil {
			s.Problems = append(s.Problems, "error fusion: "+err.Error())
		}
	}
	if o.Check && s.Frames > 0 {
		crep, err := checkapp.Run(ctx, checkapp.Options{Logs: []string{path}, Workers: max(1, o.Workers)}) // one log per fleet worker, as the fusion
		if err != nil {
			s.Problems = append(s.Problems, "error check: "+err.Error())
		} else {
			det.Check = crep
			s.Check = checkSummary(crep)
			scenes = append(scenes, checkScenes(&s)...)
		}
	}
	if det.Info != nil {
		s.Reports = append(s.Reports, ReportFolder(s.SHA256)+"/info.json")
	}
	if det.Check != nil {
		s.Reports = append(s.Reports, ReportFolder(s.SHA256)+"/check.json")
	}
	s.Gate = policy.Judge(s)
	if scenes == nil {
		scenes = []fleet.Scene{}
	}
	return fleet.Result{Summary: s, Scenes: scenes}, det
}

// hasLidar tells whether the log has a LiDAR to group frames on.
func hasLidar(ss []fleet.Sensor) bool {
	for _, s := range ss {
		if s.Modality == "lidar" {
			return true
		}
	}
	return false
}

// FusedFolder is the folder (below Options.FuseDir) a log with content
// hash sha is fused into.
func FusedFolder(sha string) string { return sha[:min(16, len(sha))] }

// fuseOnce runs the fusion pass (fuse --clock auto, with a tap on every
// frame) and fills the summary's flags, ego, light and clocks.
func fuseOnce(ctx context.Context, path string, o Options, s *fleet.Summary) ([]fleet.Scene, error) {
	col := newCollector()
	fo := fuseapp.Options{Frame: "base_link", Tolerance: 50 * time.Millisecond, Ego: "auto", AutoClock: true, ImageCheckEvery: fusion.DefaultImageCheckEvery, Workers: max(1, o.Workers), Observe: col.observe, Discard: true}
	name := FusedFolder(s.SHA256)
	if o.Fuse == "mcap" {
		name += ".mcap" // a single file
	}
	if o.Fuse != "" {
		dir := filepath.Join(o.FuseDir, name)
		fo.Discard, fo.Format, fo.Out = false, o.Fuse, dir
		if _, err := os.Stat(dir); err == nil {
			fo.Resume = true
		}
	}
	sum, err := fuseapp.Run(ctx, fo, []string{path})
	var ue fuseapp.UsageError
	if o.Fuse != "" && fo.Resume && errors.As(err, &ue) {
		// The format cannot resume: fuse again from scratch.
		fo.Resume, fo.Force = false, true
		col = newCollector()
		fo.Observe = col.observe
		sum, err = fuseapp.Run(ctx, fo, []string{path})
	}
	if err != nil {
		return nil, err
	}
	var cal []string
	for name, src := range sum.CalibSource {
		cal = append(cal, name+": "+src)
	}
	sort.Strings(cal)
	s.Provenance.Calibration = cal
	if o.Fuse != "" {
		s.Fused = FusedDir + "/" + name
		if err := writeFusedProvenance(filepath.Join(o.FuseDir, FusedFolder(s.SHA256)+".provenance.json"), s, o.Fuse); err != nil {
			return nil, err
		}
	}
	byName := map[string]int{}
	for i, sn := range s.Sensors {
		if _, ok := byName[sn.Name]; !ok {
			byName[sn.Name] = i
		}
	}
	for _, ce := range sum.Clocks {
		i, ok := byName[ce.Sensor]
		if !ok {
			continue
		}
		s.Sensors[i].Clock = &fleet.Clock{OffsetMs: round3(float64(ce.EstimatedOffsetNS) / 1e6), DriftPPM: round3(ce.DriftPPM),
			DriftSigmaPPM: round3(ce.DriftSigmaPPM), Applied: ce.Applied}
	}
	peerClocks(s.Sensors)
	return col.finish(s), nil
}

// FusedProvenance is what fleet scan --fuse writes beside each fused
// output (fused/SHA16.provenance.json): where the frames came from.
type FusedProvenance struct {
	Log    string `json:"log"`
	SHA256 string `json:"sha256"`
	Format string `json:"format"`
	// Output is the fused output, relative to the fleet folder.
	Output      string   `json:"output"`
	Rigsync     string   `json:"rigsync"`
	Calibration []string `json:"calibration"`
}

func writeFusedProvenance(path string, s *fleet.Summary, format string) error {
	data, err := json.MarshalIndent(FusedProvenance{Log: s.Path, SHA256: s.SHA256, Format: format, Output: s.Fused,
		Rigsync: s.Provenance.Rigsync, Calibration: s.Provenance.Calibration}, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(data, '\n'))
}

// peerClocks sets each clock's Peers and DeviationMs: its offset minus
// the median offset of the sensors of its modality.
func peerClocks(ss []fleet.Sensor) {
	offs := map[string][]float64{}
	for _, sn := range ss {
		if sn.Clock != nil {
			offs[sn.Modality] = append(offs[sn.Modality], sn.Clock.OffsetMs)
		}
	}
	for i := range ss {
		c := ss[i].Clock
		if c == nil {
			continue
		}
		peers := append([]float64(nil), offs[ss[i].Modality]...)
		c.Peers = len(peers)
		if c.Peers < fleet.MinClockPeers {
			continue
		}
		sort.Float64s(peers)
		med := peers[len(peers)/2]
		if len(peers)%2 == 0 {
			med = (peers[len(peers)/2-1] + med) / 2
		}
		c.DeviationMs = round3(c.OffsetMs - med)
	}
}

// checkSummary keeps the verdicts of a calib check report.
func checkSummary(rep *check.Report) *fleet.Check {
	c := &fleet.Check{Verdict: string(rep.Verdict), Pairs: []fleet.CheckPair{}}
	for _, p := range rep.Pairs {
		cp := fleet.CheckPair{Sensor: p.Sensor, Reference: p.Reference, Kind: p.Kind, Verdict: string(p.Verdict),
			CorrectionDeg: round3(p.CorrectionRotationDeg), CorrectionM: round3(p.CorrectionTranslationM)}
		if p.ChangedAt != nil {
			cp.ChangedAtNs = *p.ChangedAt
		}
		c.Pairs = append(c.Pairs, cp)
	}
	return c
}

// checkScenes are the calibration scenes of a checked log: a
// miscalibrated pair over the whole log, a change from when it happened.
func checkScenes(s *fleet.Summary) []fleet.Scene {
	var out []fleet.Scene
	for _, p := range s.Check.Pairs {
		mk := func(kind, tag string, a int64) fleet.Scene {
			sc := fleet.Scene{Log: s.Path, SHA256: s.SHA256, Kind: kind, Sensor: p.Sensor, Reference: p.Reference, Tag: tag, StartNs: a, EndNs: s.EndNs,
				StartS: round3(float64(a-s.StartNs) / 1e9), EndS: round3(float64(s.EndNs-s.StartNs) / 1e9), Value: p.CorrectionDeg}
			sc.DurationS = round3(sc.EndS - sc.StartS)
			return sc
		}
		if p.ChangedAtNs != 0 {
			out = append(out, mk(fleet.KindCalibChange, fmt.Sprintf("%s calibration changed (vs %s)", p.Sensor, p.Reference), p.ChangedAtNs))
		} else if p.Verdict == "miscalibrated" || p.Verdict == "suspicious" {
			out = append(out, mk(fleet.KindCalibration, fmt.Sprintf("%s calibration %s vs %s (%.2f°, %.3f m)", p.Sensor, p.Verdict, p.Reference, p.CorrectionDeg, p.CorrectionM), s.StartNs))
		}
	}
	return out
}

// hashFile is the SHA-256 (hex) and size of the log at path; a rosbag2
// folder hashes its files in name order (name, size, content).
func hashFile(path string) (string, int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	if !fi.IsDir() {
		n, err := hashInto(h, path)
		return hex.EncodeToString(h.Sum(nil)), n, err
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return "", 0, err
	}
	var total int64
	for _, e := range ents { // ReadDir sorts by name
		if e.IsDir() {
			continue
		}
		fmt.Fprintf(h, "%s\x00", e.Name())
		n, err := hashInto(h, filepath.Join(path, e.Name()))
		if err != nil {
			return "", 0, err
		}
		total += n
	}
	return hex.EncodeToString(h.Sum(nil)), total, nil
}

func hashInto(h io.Writer, path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}
