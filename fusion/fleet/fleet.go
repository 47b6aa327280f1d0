// Package fleet is the model of "rigsync fleet": a Summary per log (what
// it holds, how healthy it is, what it covers, where it came from and the
// quality gate's verdict), the Scenes found in it (time ranges tagged with
// what happened) and the Coverage that sums summaries over a fleet.
//
// Coverage is commutative and mergeable (Add in any order, Merge partial
// sums), so that "rigsync fleet scan" on one machine and the Beam pipeline
// (cmd/rigsync-beam, a combiner over many workers) give the same result.
//
// Pure: no file I/O. internal/app/fleetapp reads the logs, builds the
// summaries and writes the outputs.
//
// Conventions: times are int64 nanoseconds on the log clock (MCAP
// log_time, "log"); *_s fields are seconds since the log's first message.
package fleet

import (
	"math"

	"github.com/rigsync/rigsync/fusion"
)

// Gate verdicts.
const (
	Pass = "pass"
	Warn = "warn"
	Fail = "fail"
)

// Result is everything one log contributes to a fleet: its summary and
// its scenes. It is what a worker emits per log.
type Result struct {
	Summary Summary `json:"summary"`
	Scenes  []Scene `json:"scenes"`
}

// Summary is one line of logs.jsonl.
type Summary struct {
	// Path is the log as it was given (file, or rosbag2 folder).
	Path string `json:"path"`
	// SHA256 is the log's content hash (hex): what a rerun skips by and
	// what a dataset is traced back to.
	SHA256    string `json:"sha256"`
	SizeBytes int64  `json:"size_bytes"`
	// Format is "mcap", "ros1-bag" or "rosbag2" (empty when unreadable).
	Format string `json:"format,omitempty"`
	// Provenance: the rigsync version that made the summary and the
	// calibration sources used.
	Provenance Provenance `json:"provenance"`
	// StartNs and EndNs are the first and last log times.
	StartNs   int64   `json:"start_ns"`
	EndNs     int64   `json:"end_ns"`
	DurationS float64 `json:"duration_s"`
	Messages  uint64  `json:"messages"`
	// Sensors: one entry per sensor topic.
	Sensors []Sensor `json:"sensors"`
	// ReaderWarnings are what the reader lost and where.
	ReaderWarnings []string `json:"reader_warnings,omitempty"`
	// ReaderProblems are the same losses as objects (severity, kind,
	// file, offset, topic, lost messages and log times, message), as
	// every reading command's "problems" in --json; absent for a sound
	// log. (This summary's own Problems are the info analysis' problems,
	// as strings.)
	ReaderProblems []fusion.InputProblem `json:"reader_problems,omitempty"`
	// Problems are the info analysis' problems ("SEVERITY KIND TOPIC:
	// message"), in its order.
	Problems []string `json:"problems,omitempty"`
	// Frames is how many frames the fusion pass made (one per sweep of
	// the reference LiDAR); 0 when the log has no LiDAR.
	Frames int `json:"frames"`
	// Ego is the ego-motion statistics over the frames.
	Ego Ego `json:"ego"`
	// Light is the log's light level from camera brightness: "day",
	// "dusk", "night" ("" without cameras). See LightOf.
	Light string `json:"light,omitempty"`
	// Conditions is the recorded time per condition band, in ms.
	Conditions Conditions `json:"conditions"`
	// Check is the calibration check's verdicts (with --check only).
	Check *Check `json:"check,omitempty"`
	// Reports are the per-log reports written beside the fleet outputs,
	// relative to the fleet folder (logs/SHA12/info.json, check.json).
	Reports []string `json:"reports,omitempty"`
	// Fused is the fused output folder, relative to the fleet folder
	// (with --fuse only).
	Fused string `json:"fused,omitempty"`
	// Gate is the quality gate's verdict on this summary.
	Gate Gate `json:"gate"`
	// Error is why the log could not be analysed (the gate fails it).
	Error string `json:"error,omitempty"`
}

// Provenance says where a summary comes from.
type Provenance struct {
	// Rigsync is the version of rigsync that made the summary: the one
	// field a comparison of two runs' outputs ignores.
	Rigsync string `json:"rigsync"`
	// Calibration says where each sensor's calibration came from
	// ("SENSOR: SOURCE", sorted).
	Calibration []string `json:"calibration,omitempty"`
}

// Sensor is one sensor topic of a log.
type Sensor struct {
	Name     string  `json:"name"`
	Topic    string  `json:"topic"`
	Modality string  `json:"modality"`
	Messages uint64  `json:"messages"`
	RateHz   float64 `json:"rate_hz"`
	// Fused sensors (LiDAR, camera, radar) only: the time the sensor was
	// present in frames, missing (dropout) and degraded, in ms, and its
	// longest dropout and degraded span in ms.
	PresentMs     int64 `json:"present_ms,omitempty"`
	DropoutMs     int64 `json:"dropout_ms,omitempty"`
	DegradedMs    int64 `json:"degraded_ms,omitempty"`
	MaxDropoutMs  int64 `json:"max_dropout_ms,omitempty"`
	MaxDegradedMs int64 `json:"max_degraded_ms,omitempty"`
	// Clock is the clock analysis of the sensor's stamps (nil when not
	// estimated).
	Clock *Clock `json:"clock,omitempty"`
}

// Clock is a sensor clock's estimate against the log (recorder) clock, as
// fuse --clock auto estimates it: OffsetMs is the header stamp minus the
// log time less the smallest transport delay seen (clock offset minus
// latency), DriftPPM how fast the clock runs (± DriftSigmaPPM).
//
// A log does not say a sensor's latency, so an offset is judged against
// its peers: Peers is how many sensors of its modality the log has (itself
// included), DeviationMs its OffsetMs minus their median. With fewer than
// MinClockPeers peers the deviation is not observable and stays 0.
type Clock struct {
	OffsetMs      float64 `json:"offset_ms"`
	Peers         int     `json:"peers"`
	DeviationMs   float64 `json:"deviation_ms"`
	DriftPPM      float64 `json:"drift_ppm"`
	DriftSigmaPPM float64 `json:"drift_sigma_ppm"`
	Applied       string  `json:"applied"`
}

// MinClockPeers is how many sensors of one modality it takes to judge a
// clock offset against their median.
const MinClockPeers = 3

// DriftMinErrorMs is how much stamp error a drift must add up to over a
// log before it is judged: a 4 s log cannot tell 80 ppm (0.3 ms) from
// the millisecond jitter of transport latency.
const DriftMinErrorMs = 2.0

// DriftObservable reports whether a clock's drift estimate is worth
// judging on a log of durS seconds: at least 3σ, and adding up to at least
// DriftMinErrorMs over the log.
func DriftObservable(c *Clock, durS float64) bool {
	d := math.Abs(c.DriftPPM)
	return c.DriftSigmaPPM > 0 && d >= 3*c.DriftSigmaPPM && d*1e-6*durS*1000 >= DriftMinErrorMs
}

// Ego is a log's ego-motion statistics, from the fusion's ego poses
// (T_world_base per frame; Source is the ego source, "none" without one).
type Ego struct {
	Source       string  `json:"source"`
	DistanceM    float64 `json:"distance_m"`
	MeanSpeedMS  float64 `json:"mean_speed_mps"`
	MaxSpeedMS   float64 `json:"max_speed_mps"`
	MaxYawRateDS float64 `json:"max_yaw_rate_dps"`
	// StoppedMs is the time spent stopped (speed below StopSpeed).
	StoppedMs int64 `json:"stopped_ms"`
}

// Conditions is recorded time in ms per band: speed band (SpeedBand),
// turning ("straight", "turn", "sharp turn") and light ("day", "dusk",
// "night", "unknown"). Only frames with an ego source count for speed and
// turn.
type Conditions struct {
	Speed map[string]int64 `json:"speed_ms,omitempty"`
	Turn  map[string]int64 `json:"turn_ms,omitempty"`
	Light map[string]int64 `json:"light_ms,omitempty"`
}

// Check is the calibration check of a log (rigsync calib check).
type Check struct {
	Verdict string      `json:"verdict"`
	Pairs   []CheckPair `json:"pairs"`
}

// CheckPair is one checked sensor pair.
type CheckPair struct {
	Sensor    string `json:"sensor"`
	Reference string `json:"reference"`
	Kind      string `json:"kind"`
	Verdict   string `json:"verdict"`
	// CorrectionDeg and CorrectionM are the size of the correction found.
	CorrectionDeg float64 `json:"correction_deg"`
	CorrectionM   float64 `json:"correction_m"`
	// ChangedAtNs is when the calibration changed mid-log (0: no change).
	ChangedAtNs int64 `json:"changed_at_ns,omitempty"`
}

// Gate is a verdict (Pass, Warn, Fail) with its reasons.
type Gate struct {
	Verdict string   `json:"verdict"`
	Reasons []string `json:"reasons,omitempty"`
}

// Scene is one line of scenes.jsonl: a time range of a log tagged with
// what happened in it.
type Scene struct {
	Log    string `json:"log"`
	SHA256 string `json:"sha256"`
	// Kind is a stable identifier (dropout, degraded, night, stop, ...);
	// Sensor the sensor it concerns, if any; Tag the words a person reads
	// ("cam_left dropout 3.2 s").
	Kind   string `json:"kind"`
	Sensor string `json:"sensor,omitempty"`
	// Reference is the other sensor of a calibration scene's pair.
	Reference string `json:"reference,omitempty"`
	Tag       string `json:"tag"`
	// StartNs and EndNs on the log clock; StartS and EndS since the log's
	// first message.
	StartNs int64   `json:"start_ns"`
	EndNs   int64   `json:"end_ns"`
	StartS  float64 `json:"start_s"`
	EndS    float64 `json:"end_s"`
	// DurationS is EndS − StartS.
	DurationS float64 `json:"duration_s"`
	// Value is the scene's measure where it has one: the offset in ms of
	// a clock_offset, the ppm of a drift, the correction in degrees of a
	// calibration scene, the peak yaw rate in °/s of a sharp turn.
	Value float64 `json:"value,omitempty"`
	// Speed statistics of the ego over the range (m/s); NaN-free: 0 when
	// there is no ego source.
	SpeedMin  float64 `json:"speed_min"`
	SpeedMean float64 `json:"speed_mean"`
	SpeedMax  float64 `json:"speed_max"`
}

// Scene kinds.
const (
	KindDropout     = "dropout"
	KindDegraded    = "degraded"
	KindNight       = "night"
	KindDusk        = "dusk"
	KindStop        = "stop"
	KindSharpTurn   = "sharp_turn"
	KindClockOffset = "clock_offset"
	KindDrift       = "drift"
	KindCalibration = "calibration"
	KindCalibChange = "calibration_changed"
	KindUnreadable  = "unreadable"
)

// FaultKinds are the scene kinds that say something is wrong with the
// log (the others describe the drive).
var FaultKinds = []string{KindDropout, KindDegraded, KindClockOffset, KindDrift, KindCalibration, KindCalibChange, KindUnreadable}

// IsFault reports whether a scene kind says something is wrong.
func IsFault(kind string) bool {
	for _, k := range FaultKinds {
		if k == kind {
			return true
		}
	}
	return false
}
