package syncapp

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/stamps"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/internal/app/losses"
	"github.com/rigsync/rigsync/sync/clock"
	"github.com/rigsync/rigsync/sync/match"
)

// Correction selects how estimated clock models are applied.
type Correction string

// Corrections.
const (
	// CorrectNone applies only unit/wrap repairs and given models.
	CorrectNone Correction = "none"
	// CorrectDrift also removes the estimated drift (the offset at the
	// first stamp is kept): safe whenever transport latency is unknown.
	CorrectDrift Correction = "drift"
	// CorrectFull maps stamps onto log time minus the minimum delay (and
	// minus a known Latency): it removes offsets too, but one-way data
	// cannot tell a clock offset from a constant transport latency.
	CorrectFull Correction = "full"
	// CorrectAuto is CorrectFull for a clock more than 1 s away from the log
	// clock (another epoch, e.g. a repaired unit error), CorrectDrift when
	// the drift is significant (more than 3 σ), CorrectNone otherwise.
	CorrectAuto Correction = "auto"
)

// Options configures Read, Group and Run.
type Options struct {
	// Topics to group, in output order; empty: every stamped channel (of
	// Sensors, when set).
	Topics []string
	// Window bounds the log times read (--start/--end), through the log's
	// index.
	Window logfile.Window
	// Sensors selects the topics read when Topics is empty (--sensors,
	// --exclude; by topic or its first path element).
	Sensors logfile.Selection
	// Policy is "exact", "approximate" or "reference".
	Policy string
	// Reference is the reference topic for the reference policy.
	Reference string
	// Tolerance is the reference policy's window |Δ − phase| ≤ Tolerance;
	// 0 uses half the reference topic's median period. Phase gives a
	// topic's expected stamp minus the reference's (e.g. a camera
	// triggered 15 ms after the LiDAR stamp), default 0.
	Tolerance time.Duration
	Phase     map[string]time.Duration
	// QueueSize for every policy; 0 picks enough for the ratio of the
	// fastest to the slowest grouped topic's rate (2·ratio + 2, at least
	// 10), so a fast topic does not overflow while a slow one is awaited,
	// or, when a grouped stream's log order is not trusted (see
	// ClockReport.Estimation), at least the message count of every grouped
	// stream.
	QueueSize int
	// MaxInterval, AgePenalty and LowerBounds (by topic) configure the
	// approximate policy (see match.ApproximateConfig).
	MaxInterval time.Duration
	AgePenalty  float64
	LowerBounds map[string]time.Duration
	// Optional topics never block the approximate policy: they join a set
	// when they have a message within OptionalTolerance of its centre
	// (default: half their median period).
	Optional          []string
	OptionalTolerance time.Duration
	// Clocks are given clock models by topic or sensor (frame id); they
	// replace estimation for that stream. Latency is a known transport
	// latency by topic or sensor, subtracted under CorrectFull/CorrectAuto.
	Clocks  map[string]clock.Model
	Latency map[string]time.Duration
	// Correct selects how estimated models are applied (default auto).
	Correct Correction
	// XCorr lists pairs of IMU/odometry topics whose relative delay is
	// measured by cross-correlating their angular rates.
	XCorr [][2]string
	// Attach lists high-rate topics (IMU) that are not grouped but cut
	// into the windows between consecutive sets: each set gets the
	// attached messages stamped in (previous set's time, this set's time],
	// where a set's time is its reference member's stamp (reference
	// policy) or its latest member's.
	Attach []string
	// OnSet, if not nil, receives every emitted set in emission order.
	// The Set is reused after OnSet returns.
	OnSet func(s *Set)
	// Progress, if not nil, is called by Read with the number of messages
	// read so far.
	Progress func(n int64)
}

// Set is one emitted set: corrected stamps per grouped topic (in
// GroupedTopics and Report.Topics order), which are present, and per attached topic (in
// Report.Attached order) the corrected stamps of its window.
type Set struct {
	Stamps   []int64
	Present  []bool
	Attached [][]int64
}

// AttachReport describes one attached topic.
type AttachReport struct {
	Topic    string `json:"topic"`
	Messages int    `json:"messages"`
	// Windows is the number of sets that received a window, Empty how many
	// of those windows are empty, MinSamples/MedianSamples/MaxSamples the
	// window sizes.
	Windows       int `json:"windows"`
	Empty         int `json:"empty_windows"`
	MinSamples    int `json:"min_samples"`
	MedianSamples int `json:"median_samples"`
	MaxSamples    int `json:"max_samples"`
	// Unmatched counts the messages in no window, by reason.
	Unmatched map[string]int `json:"unmatched"`
	Clock     ClockReport    `json:"clock"`
}

// Spread summarises residual set spreads (max − min corrected stamp, ns).
type Spread struct {
	P50 int64 `json:"p50_ns"`
	P95 int64 `json:"p95_ns"`
	Max int64 `json:"max_ns"`
}

// Gap is a stretch where a stream has no messages: between the corrected
// stamps After and Before about Missing messages are absent.
type Gap struct {
	After   int64 `json:"after_ns"`
	Before  int64 `json:"before_ns"`
	Missing int   `json:"missing"`
}

// ClockReport is what was found and applied for one stream's clock.
type ClockReport struct {
	// Repair describes the unit/wrap repair ("none" if none); Ratio is the
	// stamp rate over the log rate before it; Wraps the wraps unwrapped.
	Repair string  `json:"repair"`
	Ratio  float64 `json:"rate_ratio"`
	Wraps  int     `json:"wraps"`
	// Jumps found after the repair; each is undone by shifting the
	// following stamps by −Step.
	Jumps []clock.Jump `json:"jumps,omitempty"`
	// Estimation is EstimationDone ("estimated") when the model was
	// estimated from the log times, EstimationSkipped ("skipped") when a
	// model was given or the correction is none (nothing is estimated
	// then), or EstimationImpossible ("impossible") when the log times
	// cannot support an estimate: fewer than 3 messages, or log times that
	// are not capture times (a converter that wrote every message in a
	// burst, log times in another order than the stamps). EstimationNote
	// says why. When the log times cannot be used, the stream is grouped
	// on its stamps as recorded (a given model applied), no unit, wrap or
	// jump repair is attempted, and its messages are taken in stamp order.
	Estimation     string `json:"estimation"`
	EstimationNote string `json:"estimation_note,omitempty"`
	// Estimated is the one-way estimate (stamp → log time minus minimum
	// delay): OffsetNS at the first stamp, DriftPPM; DelayP50/P95 the
	// delays above the envelope. All zero unless Estimation is
	// "estimated".
	EstimatedOffsetNS int64   `json:"estimated_offset_ns"`
	EstimatedDriftPPM float64 `json:"estimated_drift_ppm"`
	DriftSigmaPPM     float64 `json:"drift_sigma_ppm"`
	DelayP50          int64   `json:"delay_p50_ns"`
	DelayP95          int64   `json:"delay_p95_ns"`
	// Applied is how stamps were corrected: "none", "drift", "full" or
	// "given"; AppliedModel the model used.
	Applied      string      `json:"applied"`
	AppliedModel clock.Model `json:"applied_model"`
}

// TopicReport is the per-stream part of a Report.
type TopicReport struct {
	Topic    string `json:"topic"`
	Sensor   string `json:"sensor"`
	Messages int    `json:"messages"`
	// Used is the number of messages in emitted sets; Completeness the
	// fraction of sets that have this topic.
	Used         int     `json:"used"`
	Completeness float64 `json:"completeness"`
	// RateHz from the corrected stamps.
	RateHz float64 `json:"rate_hz"`
	// Unmatched counts the messages in no set, by reason.
	Unmatched map[string]int `json:"unmatched"`
	Clock     ClockReport    `json:"clock"`
	Gaps      []Gap          `json:"gaps,omitempty"`
}

// Report is the result of Group and Run.
type Report struct {
	Policy    string         `json:"policy"`
	Reference string         `json:"reference,omitempty"`
	QueueSize int            `json:"queue_size"`
	Sets      int            `json:"set_count"`
	Spread    Spread         `json:"spread"`
	Topics    []TopicReport  `json:"topics"`
	Attached  []AttachReport `json:"attached,omitempty"`
	XCorr     []XCorrReport  `json:"xcorr,omitempty"`
	// Notes explain an empty or partial result (e.g. a log with a single
	// stamped topic: nothing to group).
	Notes []string `json:"notes,omitempty"`
	// ReaderWarnings are the log reader's warnings: damage read around
	// (a truncated file, a corrupt chunk), what was lost and where.
	ReaderWarnings []string `json:"reader_warnings,omitempty"`
	// Problems are the same losses as fuse, info and calib check report
	// them (internal/app/losses): file, offset, topic, what was lost;
	// empty for a healthy log.
	Problems []fusion.InputProblem `json:"problems"`

	// Timelines holds each grouped topic's corrected stamps (Topics
	// order) and Spreads every set's spread in emission order, for plots.
	Timelines [][]int64 `json:"-"`
	Spreads   []int64   `json:"-"`
}

// XCorrReport is the delay of B's motion against A's, on corrected stamps:
// B's stamps are late by DelayNS ± SigmaNS (1 σ). The signals are each
// stream's angular rate about its most active axis; Peak is their
// normalised correlation (negative when the axes point opposite ways).
type XCorrReport struct {
	A       string  `json:"a"`
	B       string  `json:"b"`
	DelayNS int64   `json:"delay_ns"`
	SigmaNS int64   `json:"sigma_ns"`
	Peak    float64 `json:"peak"`
}

// GroupedTopics returns the topics Group groups, in its output order:
// o.Topics, or when it is empty every stamped topic of the log that is not
// attached, sorted.
func GroupedTopics(lg *stamps.Log, o Options) []string {
	if len(o.Topics) > 0 {
		return o.Topics
	}
	var topics []string
	for _, t := range lg.Stamped() {
		if !slices.Contains(o.Attach, t) {
			topics = append(topics, t)
		}
	}
	return topics
}

// Group corrects the clocks of the selected streams and groups them.
func Group(lg *stamps.Log, o Options) (*Report, error) {
	topics := GroupedTopics(lg, o)
	if len(topics) < 2 && len(o.Topics) > 0 {
		return nil, fmt.Errorf("syncrun: %d topic(s) %q to group: need at least 2", len(topics), topics)
	}
	if o.Correct == "" {
		o.Correct = CorrectAuto
	}
	if o.Policy == "" {
		o.Policy = "approximate"
	}
	rep := &Report{Policy: o.Policy}
	for _, w := range lg.Warnings {
		rep.ReaderWarnings = append(rep.ReaderWarnings, w.String())
	}
	rep.Problems = losses.FromWarnings(lg.Warnings)
	streamIdx := map[*stamps.Stream]int{}
	sel := make([]*stamps.Stream, len(topics))
	corrected := make([][]int64, len(topics))
	// order[i], for a stream whose log order is not trusted, lists its
	// messages by corrected stamp; nil: log order.
	order := make([][]int32, len(topics))
	for i, t := range topics {
		s := lg.Stream(t)
		if s == nil || len(s.Stamps) == 0 {
			return nil, fmt.Errorf("syncrun: topic %q has no header stamps in the log", t)
		}
		if _, dup := streamIdx[s]; dup {
			return nil, fmt.Errorf("syncrun: topic %q listed twice", t)
		}
		streamIdx[s] = i
		sel[i] = s
		tr := TopicReport{Topic: t, Sensor: s.Sensor, Messages: len(s.Stamps), Unmatched: map[string]int{}}
		var err error
		var trusted bool
		corrected[i], tr.Clock, trusted, err = correct(s, o)
		if err != nil {
			return nil, err
		}
		if !trusted {
			order[i] = byStamp(corrected[i])
		}
		tr.RateHz, tr.Gaps = rateAndGaps(corrected[i])
		rep.Topics = append(rep.Topics, tr)
	}
	if len(topics) < 2 {
		// Auto-selected: the log has fewer than 2 stamped topics. That is
		// an empty result, not an error.
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d stamped topic(s) %q in the log: nothing to group (need at least 2)", len(topics), topics))
		for i := range rep.Topics {
			rep.Topics[i].Unmatched["single_topic"] = rep.Topics[i].Messages
		}
		if rep.Topics == nil {
			rep.Topics = []TopicReport{} // "topics": [], not null
		}
		rep.Timelines = corrected
		return rep, nil
	}

	for _, pr := range o.XCorr {
		x, err := xcorr(lg, pr, topics, corrected, o)
		if err != nil {
			return nil, err
		}
		rep.XCorr = append(rep.XCorr, x)
	}

	if o.QueueSize == 0 {
		lo, hi := int64(math.MaxInt64), int64(0)
		for _, c := range corrected {
			if p := medianStep(c); p > 0 {
				lo, hi = min(lo, p), max(hi, p)
			}
		}
		o.QueueSize = 10
		if lo > 0 && hi >= lo {
			o.QueueSize = int(min(max(10, 2*(hi+lo-1)/lo+2), 100_000))
		}
		// A stream in untrusted log order may arrive anywhere (all at the
		// end of a burst): room for every message of every stream, so the
		// sets depend on the stamps only, not on where the log put them.
		if slices.ContainsFunc(order, func(ord []int32) bool { return ord != nil }) {
			for _, c := range corrected {
				o.QueueSize = max(o.QueueSize, len(c))
			}
		}
	}
	rep.QueueSize = o.QueueSize
	k := len(topics)
	at, err := newAttacher(lg, o, rep, topics, streamIdx)
	if err != nil {
		return nil, err
	}
	refIdx := slices.Index(topics, o.Reference)
	var spreads []int64
	h := match.Handler[int32]{
		Set: func(ms []match.Member[int32]) error {
			lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
			set := at.newSet(k)
			for i, m := range ms {
				set.Stamps[i], set.Present[i] = m.Stamp, m.Present
				if m.Present {
					lo, hi = min(lo, m.Stamp), max(hi, m.Stamp)
					rep.Topics[i].Used++
				}
			}
			spreads = append(spreads, hi-lo)
			rep.Sets++
			frame := hi
			if o.Policy == "reference" && refIdx >= 0 {
				frame = ms[refIdx].Stamp
			}
			return at.set(set, frame)
		},
		Drop: func(topic int, m match.Member[int32], r match.Reason) {
			rep.Topics[topic].Unmatched[r.String()]++
		},
	}
	type pusher interface {
		Push(topic int, stamp int64, v int32) error
		Flush() error
	}
	var p pusher
	switch o.Policy {
	case "exact":
		p, err = match.NewExact(match.ExactConfig{Topics: k, QueueSize: o.QueueSize}, h)
	case "approximate", "":
		rep.Policy = "approximate"
		var lb []time.Duration
		if len(o.LowerBounds) > 0 {
			lb = make([]time.Duration, k)
			for t, d := range o.LowerBounds {
				i := slices.Index(topics, t)
				if i < 0 {
					return nil, fmt.Errorf("syncrun: lower bound for %q, which is not a grouped topic", t)
				}
				lb[i] = d
			}
		}
		var opt []bool
		tol := o.OptionalTolerance
		for _, t := range o.Optional {
			i := slices.Index(topics, t)
			if i < 0 {
				return nil, fmt.Errorf("syncrun: optional topic %q is not a grouped topic", t)
			}
			if opt == nil {
				opt = make([]bool, k)
			}
			opt[i] = true
			if o.OptionalTolerance == 0 {
				tol = max(tol, time.Duration(medianStep(corrected[i])/2))
			}
		}
		p, err = match.NewApproximate(match.ApproximateConfig{Topics: k, QueueSize: o.QueueSize,
			AgePenalty: o.AgePenalty, MaxInterval: o.MaxInterval, LowerBounds: lb,
			Optional: opt, OptionalTolerance: tol}, h)
	case "reference":
		ri := slices.Index(topics, o.Reference)
		if ri < 0 {
			return nil, fmt.Errorf("syncrun: reference topic %q is not among the grouped topics %q", o.Reference, topics)
		}
		rep.Reference = o.Reference
		tol := o.Tolerance
		if tol == 0 {
			tol = time.Duration(medianStep(corrected[ri]) / 2)
		}
		w := make([]match.Window, k)
		for i := range w {
			w[i] = match.Tolerance(tol)
			w[i].Lo += o.Phase[topics[i]]
			w[i].Hi += o.Phase[topics[i]]
		}
		for t := range o.Phase {
			if !slices.Contains(topics, t) {
				return nil, fmt.Errorf("syncrun: phase for %q, which is not a grouped topic", t)
			}
		}
		p, err = match.NewReference(match.ReferenceConfig{Topics: k, Reference: ri, Windows: w, QueueSize: o.QueueSize}, h)
	default:
		return nil, fmt.Errorf("syncrun: unknown policy %q (want exact, approximate or reference)", o.Policy)
	}
	if err != nil {
		return nil, fmt.Errorf("syncrun: %w", err)
	}
	last := make([]int64, k)
	seen := make([]bool, k)
	next := make([]int32, k)
	for _, ev := range lg.Order {
		i, ok := streamIdx[lg.Streams[ev.Stream]]
		if !ok {
			if j, ok := at.idx[lg.Streams[ev.Stream]]; ok {
				if err := at.push(j, ev.Index); err != nil {
					return nil, fmt.Errorf("syncrun: %w", err)
				}
			}
			continue
		}
		idx := ev.Index
		if order[i] != nil {
			// Untrusted log order: the stream's n-th message in log order
			// is replaced by its n-th by stamp (the interleaving with the
			// other streams stays that of the log).
			idx = order[i][next[i]]
			next[i]++
		}
		c := corrected[i][idx]
		if seen[i] && c <= last[i] {
			// Sets must not cross: a stamp at or before the previous one
			// of its topic cannot be grouped in order.
			if c == last[i] {
				rep.Topics[i].Unmatched["duplicate_stamp"]++
			} else {
				rep.Topics[i].Unmatched["out_of_order"]++
			}
			continue
		}
		last[i], seen[i] = c, true
		if err := p.Push(i, c, idx); err != nil {
			return nil, fmt.Errorf("syncrun: %w", err)
		}
	}
	if err := p.Flush(); err != nil {
		return nil, fmt.Errorf("syncrun: %w", err)
	}
	if err := at.flush(); err != nil {
		return nil, fmt.Errorf("syncrun: %w", err)
	}
	for i := range rep.Topics {
		if rep.Sets > 0 {
			rep.Topics[i].Completeness = float64(rep.Topics[i].Used) / float64(rep.Sets)
		}
	}
	rep.Timelines = corrected
	rep.Spreads = slices.Clone(spreads)
	if len(spreads) > 0 {
		slices.Sort(spreads)
		rep.Spread = Spread{P50: spreads[len(spreads)/2], P95: spreads[len(spreads)*95/100], Max: spreads[len(spreads)-1]}
	}
	return rep, nil
}

// Estimation values of ClockReport.
const (
	// EstimationDone: the model was estimated from the log times.
	EstimationDone = "estimated"
	// EstimationSkipped: nothing was estimated, because a model was given
	// or the correction is none.
	EstimationSkipped = "skipped"
	// EstimationImpossible: the log times cannot support an estimate (too
	// few messages, or log times that are not capture times).
	EstimationImpossible = "impossible"
)

// correct repairs and corrects one stream's stamps. trusted is false when
// the stream's log times do not follow its stamps (or are too few to
// tell): its log order then says nothing about its stamps either, and Group
// takes its messages in stamp order.
func correct(s *stamps.Stream, o Options) (out []int64, cr ClockReport, trusted bool, err error) {
	cr = ClockReport{Repair: "none", Applied: string(CorrectNone), Estimation: EstimationDone}
	out = make([]int64, len(s.Stamps))
	copy(out, s.Stamps)
	given, hasGiven := o.Clocks[s.Topic]
	if !hasGiven && s.Sensor != "" {
		given, hasGiven = o.Clocks[s.Sensor]
	}
	lat, hasLat := o.Latency[s.Topic]
	if !hasLat && s.Sensor != "" {
		lat = o.Latency[s.Sensor]
	}
	skip := ""
	switch {
	case hasGiven:
		skip = "clock model given"
	case o.Correct == CorrectNone:
		skip = "correction none"
	}
	var a clock.Analysis
	if skip != "" {
		cr.Estimation, cr.EstimationNote = EstimationSkipped, skip
		a, err = clock.DetectRepairs(s.Stamps, s.Logs, 0)
	} else {
		a, err = clock.Analyze(s.Stamps, s.Logs, 0)
	}
	if err != nil {
		if !errors.Is(err, clock.ErrTooFewPoints) && !errors.Is(err, clock.ErrUnrelatedLogTimes) {
			return nil, cr, false, fmt.Errorf("syncrun: %s: %w", s.Topic, err)
		}
		// Nothing can be learnt from the log times: the stamps are used as
		// recorded (a given model still applies).
		why := strings.TrimPrefix(err.Error(), "clock: ")
		if skip != "" {
			cr.EstimationNote = skip + "; unit, wrap and jump repairs not checked: " + why
		} else {
			cr.Estimation, cr.EstimationNote = EstimationImpossible, why
		}
		if hasGiven {
			for i := range out {
				out[i] = given.Correct(out[i])
			}
			cr.Applied, cr.AppliedModel = "given", given
		}
		return out, cr, false, nil
	}
	cr.Repair, cr.Ratio, cr.Wraps, cr.Jumps = a.Repair.String(), a.Ratio, a.Wraps, a.Jumps
	rp := clock.NewRepairer(a.Repair)
	var shift int64
	j := 0
	for i := range out {
		for j < len(a.Jumps) && a.Jumps[j].Index == i {
			shift += a.Jumps[j].Step
			j++
		}
		out[i] = rp.Fix(s.Stamps[i]) - shift
	}
	var m clock.Model
	switch {
	case hasGiven:
		m, cr.Applied = given, "given"
	case skip != "":
		return out, cr, true, nil
	default:
		// Re-estimate over the whole repaired, de-jumped stream.
		est := a.Estimate
		if len(a.Jumps) > 0 {
			if e, err := clock.EstimateOneWay(out, s.Logs); err == nil {
				est = e
			}
		}
		first := out[0]
		cr.EstimatedOffsetNS = first - est.Model.Correct(first)
		cr.EstimatedDriftPPM = est.Model.DriftPPM
		cr.DriftSigmaPPM = est.DriftSigmaPPM
		cr.DelayP50, cr.DelayP95 = est.DelayP50, est.DelayP95
		mode := o.Correct
		if mode == CorrectAuto {
			mode = CorrectDrift
			if abs(cr.EstimatedOffsetNS) > int64(time.Second) {
				mode = CorrectFull
			} else if math.Abs(est.Model.DriftPPM) <= 3*est.DriftSigmaPPM {
				mode = CorrectNone // the drift is not significant
			}
		}
		switch mode {
		case CorrectFull:
			m, cr.Applied = est.Model, string(CorrectFull)
			m.Offset += int64(lat)
		case CorrectDrift:
			m, cr.Applied = clock.Model{DriftPPM: est.Model.DriftPPM, Ref: first}, string(CorrectDrift)
		default:
			return out, cr, true, nil
		}
	}
	cr.AppliedModel = m
	for i := range out {
		out[i] = m.Correct(out[i])
	}
	return out, cr, true, nil
}

// byStamp returns the indices of ts sorted by stamp (stable).
func byStamp(ts []int64) []int32 {
	idx := make([]int32, len(ts))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return cmp.Compare(ts[a], ts[b]) })
	return idx
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func medianStep(ts []int64) int64 {
	var d []int64
	for i := 1; i < len(ts); i++ {
		if ts[i] > ts[i-1] {
			d = append(d, ts[i]-ts[i-1])
		}
	}
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// rateAndGaps returns the mean rate of stamps and the gaps longer than 1.5
// median periods.
func rateAndGaps(ts []int64) (float64, []Gap) {
	if len(ts) < 2 {
		return 0, nil
	}
	s := slices.Clone(ts)
	slices.Sort(s)
	var hz float64
	if span := s[len(s)-1] - s[0]; span > 0 {
		hz = float64(len(s)-1) / (float64(span) / 1e9)
	}
	p := medianStep(s)
	var gaps []Gap
	if p <= 0 {
		return hz, nil
	}
	for i := 1; i < len(s); i++ {
		if d := s[i] - s[i-1]; 2*d > 3*p {
			gaps = append(gaps, Gap{After: s[i-1], Before: s[i], Missing: int(math.Round(float64(d)/float64(p))) - 1})
		}
	}
	return hz, gaps
}

func dominantAxis(w [][3]float64) int {
	var m, v [3]float64
	for _, x := range w {
		for k := range m {
			m[k] += x[k]
		}
	}
	for k := range m {
		m[k] /= float64(len(w))
	}
	for _, x := range w {
		for k := range v {
			v[k] += (x[k] - m[k]) * (x[k] - m[k])
		}
	}
	best := 0
	for k := range v {
		if v[k] > v[best] {
			best = k
		}
	}
	return best
}

// xcorr cross-correlates the angular rates of a pair of streams on their
// corrected stamps (corrected here when not among the grouped topics).
func xcorr(lg *stamps.Log, pr [2]string, topics []string, corrected [][]int64, o Options) (XCorrReport, error) {
	var ser [2]clock.Series
	var minStep int64 = math.MaxInt64
	for j, t := range pr {
		s := lg.Stream(t)
		if s == nil || len(s.Rates) != len(s.Stamps) || len(s.Rates) == 0 {
			return XCorrReport{}, fmt.Errorf("syncrun: xcorr: %q is not an IMU or odometry topic with header stamps", t)
		}
		var ts []int64
		if i := slices.Index(topics, t); i >= 0 {
			ts = corrected[i]
		} else {
			var err error
			if ts, _, _, err = correct(s, o); err != nil {
				return XCorrReport{}, err
			}
		}
		// The axis that moves most (the yaw axis of a ground vehicle),
		// signed: magnitudes have kinks at zero that blur the peak.
		ax := dominantAxis(s.Rates)
		var last int64
		for i, v := range s.Rates {
			if i == 0 || ts[i] > last { // strictly increasing stamps only
				ser[j].T = append(ser[j].T, ts[i])
				ser[j].V = append(ser[j].V, v[ax])
				last = ts[i]
			}
		}
		minStep = min(minStep, medianStep(ser[j].T))
	}
	step := max(minStep/2, 1_000_000)
	lag, err := clock.CrossCorrelate(ser[0], ser[1], step, max(500_000_000, 4*step))
	if err != nil {
		return XCorrReport{}, fmt.Errorf("syncrun: xcorr %s vs %s: %w", pr[0], pr[1], err)
	}
	return XCorrReport{A: pr[0], B: pr[1], DelayNS: lag.Delay, SigmaNS: lag.Sigma, Peak: lag.Peak}, nil
}
