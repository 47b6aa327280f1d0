// Package inspect builds rigsync's log health report (`rigsync info`): per
// channel rates, jitter, gaps, header-stamp versus log-time offsets and
// stamp anomalies, the TF tree and the camera calibrations a log holds, and
// a list of problems a person should look at.
//
// Log-time statistics come from the MCAP message indexes when the summary
// is complete (no chunk is decompressed), so a multi-GB log answers fast;
// header stamps need decoding, which is done for every message of logs
// whose chunks hold up to Options.MaxScanBytes decompressed and for
// sampled time windows of larger ones (decompressing chunks, not decoding,
// is what a full read costs).
// Only the stamp and frame id of a message are read
// (formats.HeaderDecoder), not its payload, except for the first message
// of each channel with a typed payload (which tells its kind, e.g. a radar
// point cloud) and for transforms and camera calibrations, whose payloads
// the report lists; so reading costs about what decompressing the chunks
// costs, whatever the encodings.
package inspect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/logcalib"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// Options control how much of the log is read.
type Options struct {
	// MaxScanBytes: logs whose full read produces up to this many bytes
	// are decoded in full: for an MCAP log with a complete summary, the
	// bytes its chunks hold once decompressed (what reading them costs,
	// see ReadBytes), else FileSize. Larger logs with a complete summary
	// are analysed from the index plus sampled windows. 0 means the
	// default (DefaultMaxScanBytes); negative means always full.
	MaxScanBytes int64
	// FileSize is the log's size in bytes (for the choice above).
	FileSize int64
	// Progress, if set, is called with the number of messages read.
	Progress func(messages int64)
	// Select, when it names topics or a log-time range, reports only
	// those topics and times: they are read in full through the log's
	// index (the summary's whole-log counts are not used).
	Select mcapread.Options
}

// DefaultMaxScanBytes is the default for Options.MaxScanBytes: 64 MiB of
// chunk content, about 0.1 s of zstd decompression on one core. Reading a
// compressed log in full costs what the mcap library's raw iteration
// costs (1.3–1.5 ns per decompressed byte: 2–3 s per GB of a zstd log,
// e.g. rigsync's own fused MCAP), far above info's budget of 1 s per GB;
// the index+sample mode reads the log times of every message and the
// header stamps of about a tenth of the log.
const DefaultMaxScanBytes = 64 << 20

// ReadBytes is what a full read of an MCAP log produces: the bytes its
// chunks hold once decompressed (from the chunk indexes of its summary),
// plus what lies outside chunks. It is the file's size when the summary
// lists no chunks.
func ReadBytes(info *mcap.Info, fileSize int64) int64 {
	if info == nil || len(info.ChunkIndexes) == 0 {
		return fileSize
	}
	n := fileSize
	for _, ci := range info.ChunkIndexes {
		n += int64(ci.UncompressedSize) - int64(ci.CompressedSize)
	}
	return max(n, fileSize)
}

// Report is the result of Inspect. Its JSON form is rigsync's stable
// `info --json` schema (documented in the README).
type Report struct {
	File      string `json:"file"`
	Profile   string `json:"profile"`
	Library   string `json:"library"`
	SizeBytes int64  `json:"size_bytes"`
	// SummaryComplete tells whether the MCAP summary could be trusted.
	SummaryComplete bool `json:"summary_complete"`
	// Mode is "full" (every message decoded) or "index+sample".
	Mode          string           `json:"mode"`
	MessageCount  uint64           `json:"message_count"`
	StartLogTime  int64            `json:"start_log_time_ns"`
	EndLogTime    int64            `json:"end_log_time_ns"`
	DurationSec   float64          `json:"duration_s"`
	Channels      []*ChannelReport `json:"channels"`
	TF            []TFEdge         `json:"tf_tree"`
	Cameras       []CameraCalib    `json:"camera_calibrations"`
	ReaderWarning []string         `json:"reader_warnings"`
	Problems      []Problem        `json:"problems"`
	// Format is the log's format for a log that is not MCAP ("ros1-bag",
	// "rosbag2"; see formats/logfile); empty for MCAP.
	Format string `json:"format,omitempty"`
	// NotApplicable says which fields are MCAP-only and empty for a bag.
	NotApplicable string `json:"not_applicable,omitempty"`
	// SelectedTopics, SelectedStart and SelectedEnd are Options.Select
	// (absent when the whole log is reported).
	SelectedTopics []string `json:"selected_topics,omitempty"`
	SelectedStart  int64    `json:"selected_start_ns,omitempty"`
	SelectedEnd    int64    `json:"selected_end_ns,omitempty"`
	// Index is, for a bag, each topic's message count as its index (ROS 1
	// connection index, rosbag2 storage) gives it, beside the count read
	// (ChannelReport.MessageCount): they differ when messages were lost.
	Index []IndexCount `json:"index_counts,omitempty"`
}

// IndexCount is a topic's message count from a bag's index and as read.
type IndexCount struct {
	Topic   string `json:"topic"`
	Indexed int64  `json:"indexed"`
	Read    uint64 `json:"read"`
}

// indexCounts compares a bag's catalog counts with the counts read.
func indexCounts(r *logfile.Log, byTopic map[string]*ChannelReport) []IndexCount {
	var out []IndexCount
	for _, t := range r.Catalog() {
		ic := IndexCount{Topic: t.Topic, Indexed: t.Count}
		if cr := byTopic[t.Topic]; cr != nil {
			ic.Read = uint64(cr.acc.count)
		}
		out = append(out, ic)
	}
	return out
}

// ChannelReport is the health of one channel.
type ChannelReport struct {
	Topic           string `json:"topic"`
	Type            string `json:"type"`
	SchemaEncoding  string `json:"schema_encoding"`
	MessageEncoding string `json:"message_encoding"`
	Modality        string `json:"modality"`
	FrameID         string `json:"frame_id"`
	MessageCount    uint64 `json:"message_count"`
	// Log-time (recorder clock) range in ns.
	FirstLogTime int64 `json:"first_log_time_ns"`
	LastLogTime  int64 `json:"last_log_time_ns"`
	// Header-stamp range in ns on the sensor's clock; absent when the
	// messages carry no stamp.
	StampClock string `json:"stamp_clock,omitempty"`
	FirstStamp *int64 `json:"first_stamp_ns,omitempty"`
	LastStamp  *int64 `json:"last_stamp_ns,omitempty"`
	// RateHz is 1 / the median inter-arrival (log time).
	RateHz float64 `json:"rate_hz"`
	// PeriodP50Ms and PeriodP99Ms are inter-arrival quantiles (log time).
	PeriodP50Ms float64 `json:"period_p50_ms"`
	PeriodP99Ms float64 `json:"period_p99_ms"`
	// JitterP50Ms and JitterP99Ms: |inter-arrival − median| quantiles.
	JitterP50Ms float64 `json:"jitter_p50_ms"`
	JitterP99Ms float64 `json:"jitter_p99_ms"`
	// GapCount is the number of inter-arrivals longer than 3 nominal
	// periods; Gaps lists the first maxGapsListed of them.
	GapCount      int     `json:"gap_count"`
	LongestGapSec float64 `json:"longest_gap_s"`
	Gaps          []Gap   `json:"gaps"`
	// StampMinusLog: header stamp − log time in ms, its median and the
	// 99th percentile of its absolute value.
	StampMinusLogMedianMs *float64 `json:"stamp_minus_log_median_ms,omitempty"`
	StampMinusLogP99Ms    *float64 `json:"stamp_minus_log_p99_ms,omitempty"`
	// StampRateRatio is the median of d(stamp)/d(log time) over
	// consecutive messages (1 when the stamp clock ticks like the log clock).
	StampRateRatio *float64 `json:"stamp_rate_ratio,omitempty"`
	// Anomalies of the header stamps.
	StampsBackwards int64 `json:"stamps_backwards"`
	// StampWrap, when set, is the modulus (in stamp ns) of a counter that
	// wraps: every backward jump has this size.
	StampWrap        *int64 `json:"stamp_wrap_ns,omitempty"`
	StampsDuplicated int64  `json:"stamps_duplicated"`
	StampUnit        string `json:"stamp_unit_suspect,omitempty"`
	// DecodeErrors counts messages that could not be decoded: in full for
	// the first message of a channel with a typed payload and for
	// transforms and camera calibrations, as far as the stamp and frame id
	// for the others.
	DecodeErrors int64  `json:"decode_errors"`
	DecodeError  string `json:"decode_error,omitempty"`
	// Sampled is true when stamps were read from sampled windows only.
	Sampled bool `json:"stamps_sampled"`

	acc *channelAcc
}

// Gap is a hole in a channel's log times.
type Gap struct {
	StartLogTime int64   `json:"start_log_time_ns"`
	EndLogTime   int64   `json:"end_log_time_ns"`
	DurationSec  float64 `json:"duration_s"`
}

// TFEdge is one transform found in the log.
type TFEdge struct {
	Parent string `json:"parent"`
	Child  string `json:"child"`
	Static bool   `json:"static"`
	Topic  string `json:"topic"`
	Count  int64  `json:"count"`
	// Translation (m) and rotation (quaternion, order w,x,y,z) of the
	// first T_parent_child seen.
	Translation  [3]float64 `json:"translation_m"`
	RotationWXYZ [4]float64 `json:"rotation_wxyz"`
}

// CameraCalib is one camera calibration found in the log.
type CameraCalib struct {
	Topic           string     `json:"topic"`
	FrameID         string     `json:"frame_id"`
	Width           int        `json:"width"`
	Height          int        `json:"height"`
	DistortionModel string     `json:"distortion_model"`
	K               [9]float64 `json:"k"`
	D               []float64  `json:"d"`
}

// Problem is something a person should look at.
type Problem struct {
	// Severity is "error" or "warning".
	Severity string `json:"severity"`
	Topic    string `json:"topic,omitempty"`
	// Kind is a stable identifier (gap, stamp_backwards, stamp_unit, ...).
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

type channelAcc struct {
	count       int64
	firstLog    int64
	lastLog     int64
	prevLog     int64
	havePrevLog bool
	periods     reservoir
	gapCand     []Gap
	meanPeriod  float64

	haveStamp    bool
	firstStamp   int64
	lastStamp    int64
	firstStampLT int64
	lastStampLT  int64
	prevStamp    int64
	prevStampLT  int64
	lastStep     int64
	stampMinus   reservoir
	absMinus     reservoir
	ratios       reservoir
	jumps        []int64
	backwards    int64
	duplicated   int64
	decodeErrs   int64
	firstErr     string

	// payload tells how the channel's messages are read: payloadUnknown
	// until one decodes in full, then payloadNeeded for transforms and
	// camera calibrations (the TF tree and calibration list need them) and
	// payloadSkipped for every other kind (header only); payloadSkipped
	// from the start for schemas without a typed payload.
	payload payloadNeed
}

type payloadNeed uint8

const (
	payloadUnknown payloadNeed = iota
	payloadNeeded
	payloadSkipped
)

const (
	maxGapCandidates = 1 << 16
	maxGapsListed    = 100
	maxJumps         = 256
)

func (a *channelAcc) addLogTime(lt int64) {
	if a.count == 0 {
		a.firstLog = lt
	}
	a.count++
	a.lastLog = lt
	if a.havePrevLog {
		dt := float64(lt - a.prevLog)
		a.periods.add(dt)
		n := float64(a.periods.seen)
		a.meanPeriod += (dt - a.meanPeriod) / n
		if n > 4 && dt > 1.5*a.meanPeriod && len(a.gapCand) < maxGapCandidates {
			a.gapCand = append(a.gapCand, Gap{StartLogTime: a.prevLog, EndLogTime: lt})
		}
	}
	a.prevLog, a.havePrevLog = lt, true
}

func (a *channelAcc) addStamp(stamp, lt int64) {
	if !a.haveStamp {
		a.firstStamp, a.firstStampLT = stamp, lt
		a.haveStamp = true
	} else {
		ds, dl := stamp-a.prevStamp, lt-a.prevStampLT
		switch {
		case ds < 0:
			a.backwards++
			if len(a.jumps) < maxJumps {
				// The size of the jump, had the stamp advanced as before.
				a.jumps = append(a.jumps, a.prevStamp+a.lastStep-stamp)
			}
		case ds == 0:
			a.duplicated++
		default:
			a.lastStep = ds
			if dl > 0 {
				a.ratios.add(float64(ds) / float64(dl))
			}
		}
	}
	a.prevStamp, a.prevStampLT = stamp, lt
	a.lastStamp, a.lastStampLT = stamp, lt
	a.stampMinus.add(float64(stamp - lt))
	a.absMinus.add(math.Abs(float64(stamp - lt)))
}

// Inspect reads the MCAP log behind r and builds its report.
func Inspect(ctx context.Context, r *mcapread.Reader, name string, opts Options) (*Report, error) {
	return InspectLog(ctx, logfile.FromMCAP(r, name), name, opts)
}

// notMCAP says which report fields a bag does not have.
const notMCAP = "profile, library, summary_complete and the index+sample mode are MCAP's (header, summary section, chunk indexes): a %s has none, so they are empty and the log is read in full"

// InspectLog reads a log in any format formats/logfile opens and builds
// its report. A bag has no MCAP header, summary or chunk index: its
// report has Format set and says so in NotApplicable; it is read in full;
// a topic published by several connections is one channel.
func InspectLog(ctx context.Context, r *logfile.Log, name string, opts Options) (*Report, error) {
	rep := &Report{File: name, SizeBytes: opts.FileSize}
	mc := r.MCAP()
	var info *mcap.Info
	complete := false
	if mc != nil {
		if h := mc.Header(); h != nil {
			rep.Profile, rep.Library = h.Profile, h.Library
		}
		info, complete = mc.Summary()
	} else {
		rep.Format = string(r.Format())
		rep.NotApplicable = fmt.Sprintf(notMCAP, r.Format().Describe())
	}
	rep.SummaryComplete = complete
	maxScan := opts.MaxScanBytes
	if maxScan == 0 {
		maxScan = DefaultMaxScanBytes
	}
	sel := opts.Select
	selected := len(sel.Topics) > 0 || sel.Start > 0 || sel.End > 0
	rep.SelectedTopics, rep.SelectedStart, rep.SelectedEnd = sel.Topics, sel.Start, sel.End
	full := !complete || maxScan < 0 || ReadBytes(info, opts.FileSize) <= maxScan || selected

	chans := r.Channels()
	if len(sel.Topics) > 0 {
		chans = slices.DeleteFunc(chans, func(ch mcapread.Channel) bool { return !slices.Contains(sel.Topics, ch.Topic) })
	}
	byTopic := map[string]*ChannelReport{}
	var decs decode.Decoders
	for _, ch := range chans {
		if mc == nil && byTopic[ch.Topic] != nil {
			continue // another connection of the topic
		}
		cr := &ChannelReport{Topic: ch.Topic, MessageEncoding: ch.MessageEncoding, acc: &channelAcc{}}
		if ch.Schema != nil {
			cr.Type, cr.SchemaEncoding = ch.Schema.Name, ch.Schema.Encoding
		}
		if d, err := decs.Decoder(ch.Channel, ch.Schema); err != nil {
			cr.DecodeError = err.Error()
		} else if hd, ok := d.(formats.HeaderDecoder); ok && hd.Generic() {
			cr.acc.payload = payloadSkipped // no typed payload to look at
		}
		cr.Modality = decs.Modality(ch.Channel, ch.Schema).String()
		rep.Channels = append(rep.Channels, cr)
		byTopic[ch.Topic] = cr
	}
	var col logcalib.Collector // the TF tree and camera calibrations

	handle := func(m *mcapread.Message) {
		cr := byTopic[m.Channel.Topic]
		if cr == nil {
			return
		}
		if full {
			cr.acc.addLogTime(int64(m.LogTime))
		}
		if cr.DecodeError != "" {
			return
		}
		// Bulk payloads (images, clouds, annotations, ...) are not decoded:
		// the first message of a typed channel is, to know its kind, and
		// then only the stamp and frame id of the others are read.
		var msg formats.Message
		var err error
		if cr.acc.payload == payloadSkipped {
			msg, err = decs.Header(m.Channel.Channel, m.Channel.Schema, &m.Message)
		} else {
			msg, err = decs.Message(m.Channel.Channel, m.Channel.Schema, &m.Message)
			if err == nil {
				switch msg.Payload.(type) {
				case *formats.Transforms, *formats.CameraInfo:
					cr.acc.payload = payloadNeeded
				default:
					cr.acc.payload = payloadSkipped
				}
			}
		}
		if err != nil {
			cr.acc.decodeErrs++
			if cr.acc.firstErr == "" {
				cr.acc.firstErr = err.Error()
			}
			return
		}
		if cr.FrameID == "" && msg.FrameID != "" {
			cr.FrameID = msg.FrameID
		}
		if msg.StampClock != formats.ClockLog {
			cr.StampClock = msg.StampClock
			cr.acc.addStamp(msg.Stamp, msg.LogTime)
		}
		cr.Modality = msg.Modality.String()
		// A static transform with an invalid rotation is still listed as
		// read; the report does not need its conversion.
		_ = col.Add(msg)
	}

	read := func(o mcapread.Options) error {
		it, err := r.Messages(o)
		if err != nil {
			return err
		}
		var n int64
		done := ctx.Done()
		for {
			// Every message: a fused log's messages are large, and
			// Ctrl-C must stop the reading within a second.
			select {
			case <-done:
				return ctx.Err()
			default:
			}
			if n%4096 == 0 && opts.Progress != nil {
				opts.Progress(n)
			}
			m, err := it.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			n++
			handle(m)
		}
	}

	if full {
		rep.Mode = "full"
		if err := read(mcapread.Options{Topics: sel.Topics, Start: sel.Start, End: sel.End, ReadAhead: true}); err != nil {
			return nil, fmt.Errorf("inspect: %s: %w", name, err)
		}
	} else {
		rep.Mode = "index+sample"
		for _, ch := range chans {
			cr := byTopic[ch.Topic]
			times, err := mc.IndexedTimes(ch.ID)
			if err != nil {
				return nil, fmt.Errorf("inspect: %s: %s: %w", name, ch.Topic, err)
			}
			for _, t := range times {
				cr.acc.addLogTime(int64(t))
			}
		}
		// Header stamps from three windows: start, middle and end. They
		// never overlap (a message read twice would look like a stamp going
		// backwards); a short log is read as one window.
		if info != nil && info.Statistics != nil {
			for _, win := range sampleWindows(int64(info.Statistics.MessageStartTime), int64(info.Statistics.MessageEndTime)) {
				if err := read(mcapread.Options{Start: win[0], End: win[1], ReadAhead: true}); err != nil {
					return nil, fmt.Errorf("inspect: %s: %w", name, err)
				}
			}
		}
		for _, cr := range rep.Channels {
			cr.Sampled = true
		}
	}
	if info != nil && info.Statistics != nil && complete && !selected {
		for _, ch := range chans {
			if n, ok := info.Statistics.ChannelMessageCounts[ch.ID]; ok {
				byTopic[ch.Topic].MessageCount = n
			}
		}
	}
	if mc == nil && !selected {
		rep.Index = indexCounts(r, byTopic)
	}
	for _, w := range r.Warnings() {
		rep.ReaderWarning = append(rep.ReaderWarning, w.String())
		sev := "error"
		if mc == nil && w.LostMessages == 0 && !w.Stopped {
			sev = "warning" // a bag's note that loses nothing (no metadata.yaml, a bundled definition)
		}
		rep.Problems = append(rep.Problems, Problem{Severity: sev, Topic: w.Topic, Kind: "read", Message: w.String()})
	}
	for _, cr := range rep.Channels {
		finish(rep, cr)
	}
	lc := col.Calibration()
	for _, e := range lc.Edges { // sorted by parent, child
		t := e.First
		rep.TF = append(rep.TF, TFEdge{Parent: e.Parent, Child: e.Child, Static: e.Static, Topic: e.Topic, Count: e.Count,
			Translation:  [3]float64{t.Translation.X, t.Translation.Y, t.Translation.Z},
			RotationWXYZ: [4]float64{t.Rotation.Real, t.Rotation.Imag, t.Rotation.Jmag, t.Rotation.Kmag}})
	}
	for _, c := range lc.Infos {
		p := c.Info
		rep.Cameras = append(rep.Cameras, CameraCalib{Topic: c.Topic, FrameID: c.Frame, Width: p.Width, Height: p.Height,
			DistortionModel: p.DistortionModel, K: p.K, D: p.D})
	}
	sort.Slice(rep.Cameras, func(i, j int) bool { return rep.Cameras[i].Topic < rep.Cameras[j].Topic })
	rep.TF = nonNil(rep.TF)
	rep.Cameras = nonNil(rep.Cameras)
	rep.Problems = nonNil(rep.Problems)
	rep.ReaderWarning = nonNil(rep.ReaderWarning)
	return rep, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// finish turns a channel's accumulators into report fields and problems.
func finish(rep *Report, cr *ChannelReport) {
	a := cr.acc
	if cr.MessageCount == 0 {
		cr.MessageCount = uint64(a.count)
	}
	rep.MessageCount += cr.MessageCount
	if a.count > 0 {
		cr.FirstLogTime, cr.LastLogTime = a.firstLog, a.lastLog
		if rep.StartLogTime == 0 || a.firstLog < rep.StartLogTime {
			rep.StartLogTime = a.firstLog
		}
		rep.EndLogTime = max(rep.EndLogTime, a.lastLog)
		rep.DurationSec = float64(rep.EndLogTime-rep.StartLogTime) / 1e9
	}
	cr.Gaps = []Gap{}
	if q := a.periods.quantiles(0.5, 0.99); !math.IsNaN(q[0]) {
		cr.PeriodP50Ms, cr.PeriodP99Ms = q[0]/1e6, q[1]/1e6
		if q[0] > 0 {
			cr.RateHz = 1e9 / q[0]
		}
		var jit reservoir
		for _, v := range a.periods.vals {
			jit.add(math.Abs(v - q[0]))
		}
		j := jit.quantiles(0.5, 0.99)
		cr.JitterP50Ms, cr.JitterP99Ms = j[0]/1e6, j[1]/1e6
		var longest Gap
		for _, g := range a.gapCand {
			if d := float64(g.EndLogTime - g.StartLogTime); q[0] > 0 && d > 3*q[0] {
				g.DurationSec = d / 1e9
				cr.GapCount++
				if len(cr.Gaps) < maxGapsListed {
					cr.Gaps = append(cr.Gaps, g)
				}
				if g.DurationSec > longest.DurationSec {
					longest = g
				}
			}
		}
		cr.LongestGapSec = longest.DurationSec
		if cr.GapCount > 0 {
			rep.Problems = append(rep.Problems, Problem{Severity: "warning", Topic: cr.Topic, Kind: "gap",
				Message: fmt.Sprintf("%d gap(s) longer than 3 nominal periods (%.3g ms); the longest: no message for %.3f s from log time %.3f s",
					cr.GapCount, cr.PeriodP50Ms, longest.DurationSec, float64(longest.StartLogTime)/1e9)})
		}
	}
	if a.haveStamp {
		fs, ls := a.firstStamp, a.lastStamp
		cr.FirstStamp, cr.LastStamp = &fs, &ls
		q := a.stampMinus.quantiles(0.5)
		med := q[0] / 1e6
		cr.StampMinusLogMedianMs = &med
		p99 := a.absMinus.quantiles(0.99)[0] / 1e6
		cr.StampMinusLogP99Ms = &p99
		scale := 1.0 // the stamp unit factor, 1000 for ms counted as s
		if r := a.ratios.quantiles(0.5)[0]; !math.IsNaN(r) {
			ratio := r
			cr.StampRateRatio = &ratio
			if unit, fix, f := stampUnit(ratio); unit != "" {
				scale = f
				cr.StampUnit = unit
				rep.Problems = append(rep.Problems, Problem{Severity: "error", Topic: cr.Topic, Kind: "stamp_unit",
					Message: fmt.Sprintf("header stamps advance %.4g× faster than log time: %s; correction: %s", ratio, unit, fix)})
			}
		}
		if math.Abs(med) > 1000 && cr.StampUnit == "" {
			rep.Problems = append(rep.Problems, Problem{Severity: "warning", Topic: cr.Topic, Kind: "stamp_clock",
				Message: fmt.Sprintf("header stamps are %.3f s from log time (median): the sensor clock is not the recorder clock; estimate an offset before syncing", med/1e3)})
		}
		cr.StampsBackwards, cr.StampsDuplicated = a.backwards, a.duplicated
		if m, ok := wrapModulus(a.jumps); ok && a.backwards == int64(len(a.jumps)) {
			cr.StampWrap = &m
			rep.Problems = append(rep.Problems, Problem{Severity: "error", Topic: cr.Topic, Kind: "stamp_wrap",
				Message: fmt.Sprintf("header stamps wrap around %d times, each time by %.6f s of stamp (%s of true time): a counter that overflows; unwrap by adding %d ns per wrap",
					a.backwards, float64(m)/1e9, describeModulus(float64(m)/scale), m)})
		} else if a.backwards > 0 {
			rep.Problems = append(rep.Problems, Problem{Severity: "error", Topic: cr.Topic, Kind: "stamp_backwards",
				Message: fmt.Sprintf("%d header stamps go backwards", a.backwards)})
		}
		if a.duplicated > 0 {
			rep.Problems = append(rep.Problems, Problem{Severity: "warning", Topic: cr.Topic, Kind: "stamp_duplicate",
				Message: fmt.Sprintf("%d header stamps repeat the previous one", a.duplicated)})
		}
	}
	cr.DecodeErrors = a.decodeErrs
	if cr.DecodeError == "" && a.firstErr != "" {
		cr.DecodeError = a.firstErr
	}
	if cr.DecodeError != "" {
		rep.Problems = append(rep.Problems, Problem{Severity: "error", Topic: cr.Topic, Kind: "decode",
			Message: fmt.Sprintf("%d message(s) could not be decoded: %s", a.decodeErrs, cr.DecodeError)})
	}
	if cr.MessageCount == 0 {
		rep.Problems = append(rep.Problems, Problem{Severity: "warning", Topic: cr.Topic, Kind: "empty", Message: "channel has no messages"})
	}
}

// stampUnit recognises a stamp clock that ticks a power of 1000 faster or
// slower than the log clock (e.g. a seconds field that counts
// milliseconds), returning a description, the correction and the factor.
func stampUnit(ratio float64) (string, string, float64) {
	if ratio <= 0 {
		return "", "", 1
	}
	l := math.Log10(ratio)
	k := math.Round(l / 3)
	if k == 0 || math.Abs(l-3*k) > 0.05 {
		return "", "", 1
	}
	f := math.Pow(1000, k)
	units := map[float64]string{1: "milliseconds", 2: "microseconds", 3: "nanoseconds"}
	if u, ok := units[k]; ok {
		return fmt.Sprintf("the seconds field counts %s", u), fmt.Sprintf("divide stamps by %g", f), f
	}
	return fmt.Sprintf("stamps tick 1000^%d times as fast as the log clock", int(k)), fmt.Sprintf("multiply stamps by %g", 1/f), f
}

// sampleWindows returns the log-time windows [start, end) read for header
// stamps in index mode: 1% of the log at its start, middle and end, but
// at least 2 s or a twentieth of the log, whichever is less (so at most
// 15% of a log shorter than 40 s is read), disjoint and in order; the
// whole log when it is shorter than three windows.
func sampleWindows(s, e int64) [][2]int64 {
	w := max((e-s)/100, min(int64(2e9), (e-s)/20))
	if w == 0 || e-s < 3*w {
		return [][2]int64{{s, e + 1}}
	}
	mid := s + (e-s)/2 - w/2
	return [][2]int64{{s, s + w}, {mid, mid + w}, {e + 1 - w, e + 1}}
}

// wrapModulus tells whether all backward jumps have the same size (within
// 0.1%), as a wrapping counter makes them, and returns that size.
func wrapModulus(jumps []int64) (int64, bool) {
	if len(jumps) == 0 {
		return 0, false
	}
	s := slices.Clone(jumps)
	slices.Sort(s)
	med := s[len(s)/2]
	if med <= 0 {
		return 0, false
	}
	for _, j := range s {
		if math.Abs(float64(j-med)) > 1e-3*float64(med) {
			return 0, false
		}
	}
	return med, true
}

// describeModulus names a wrap period given in true nanoseconds, spotting
// power-of-two counters (2^32 ns, 2^32 µs, ...).
func describeModulus(ns float64) string {
	out := fmt.Sprintf("%.6f s", ns/1e9)
	for _, u := range []struct {
		name string
		ns   float64
	}{{"ns", 1}, {"µs", 1e3}, {"ms", 1e6}} {
		ticks := ns / u.ns
		if ticks < 2 {
			continue
		}
		k := math.Round(math.Log2(ticks))
		if math.Abs(ticks/math.Pow(2, k)-1) < 2e-3 {
			return fmt.Sprintf("%s = 2^%d %s, a %d-bit %s counter", out, int(k), u.name, int(k), u.name)
		}
	}
	return out
}

// Table-friendly helpers.

// ProblemsBySeverity counts errors and warnings.
func (r *Report) ProblemsBySeverity() (errs, warns int) {
	for _, p := range r.Problems {
		if strings.EqualFold(p.Severity, "error") {
			errs++
		} else {
			warns++
		}
	}
	return
}
