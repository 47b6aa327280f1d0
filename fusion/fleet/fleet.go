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
	// Gate is the quality gate's verdict on this summary.
	Gate Gate `json:"gate"`
	// Error is why the log could not be analysed (the gate fails it).
	Error string `json:"error,omitempty"`
}

// Provenance says where a summary comes from.
type Provenance struct {
	Rigsync     string   `json:"rigsync"`
	Calibration []string `json:"calibration,omitempty"`
}

// Sensor is one sensor topic of a log.
type Sensor struct {
	Name     string  `json:"name"`
	Topic    string  `json:"topic"`
	Modality string  `json:"modality"`
	Messages uint64  `json:"messages"`
	RateHz   float64 `json:"rate_hz"`
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
	Tag    string `json:"tag"`
	// StartNs and EndNs on the log clock; StartS and EndS since the log's
	// first message.
	StartNs int64   `json:"start_ns"`
	EndNs   int64   `json:"end_ns"`
	StartS  float64 `json:"start_s"`
	EndS    float64 `json:"end_s"`
}
