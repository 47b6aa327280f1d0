package fusion

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/stamps"
	"github.com/rigsync/rigsync/sync/clock"
)

// ClockOptions configure EstimateClocks.
type ClockOptions struct {
	// Latency is a known transport latency (stamp to recorder) by sensor
	// name or topic. With it the sensor's clock offset is corrected too
	// (stamps mapped onto log time minus the minimum delay, plus the
	// latency); without it only what one-way timing can tell is: drift,
	// unit errors, wrap-around and a clock on another epoch.
	Latency map[string]time.Duration
	// Given are known models by sensor name or topic; they are reported
	// and not estimated.
	Given map[string]clock.Model
	// Progress, if not nil, is called with the messages read so far.
	Progress func(int64)
	// Start and End bound the log times read (ns, 0 unbounded), as
	// Pipeline.Start and End.
	Start, End int64
}

// ClockEstimate is what EstimateClocks found and chose for one sensor.
type ClockEstimate struct {
	Sensor string `json:"sensor"`
	Topic  string `json:"topic"`
	// Messages is the number of stamped messages the estimate used.
	Messages int `json:"messages"`
	// Repair is the unit/wrap repair ("none" if none); Jumps the clock
	// jumps found (not corrected by fuse: it says so in Note).
	Repair string `json:"repair"`
	Jumps  int    `json:"jumps,omitempty"`
	// EstimatedOffsetNS is the stamp minus (log time − minimum delay) at
	// the first stamp: clock offset minus transport latency.
	EstimatedOffsetNS int64   `json:"estimated_offset_ns"`
	DriftPPM          float64 `json:"drift_ppm"`
	DriftSigmaPPM     float64 `json:"drift_sigma_ppm"`
	// Applied is "none", "drift", "full" (offset and drift; with a known
	// latency or a clock on another epoch) or "given".
	Applied string      `json:"applied"`
	Model   clock.Model `json:"model"`
	Note    string      `json:"note,omitempty"`

	repair clock.Repair
}

// ClockModels returns the models and repairs to set on a Pipeline (Clocks,
// Repairs) for the estimates that change anything.
func ClockModels(est []ClockEstimate) (map[string]clock.Model, map[string]clock.Repair) {
	models, repairs := map[string]clock.Model{}, map[string]clock.Repair{}
	for _, e := range est {
		if e.Applied != "none" {
			models[e.Sensor] = e.Model
		}
		if !e.repair.Identity() {
			repairs[e.Sensor] = e.repair
		}
	}
	return models, repairs
}

// EstimateClocks is fuse's first pass: it reads the header stamps of the
// camera, LiDAR and radar topics of the logs (stamps.Read: 24 bytes
// per message, the IMU and other high-rate topics are not read) and
// estimates each sensor's clock against the recorder's log time the way
// "rigsync sync --correct auto" does (package clock: unit and wrap
// repair, jump detection, lower-envelope one-way fit), applying full
// correction where a latency is known. The estimates come sorted by
// sensor name.
func EstimateClocks(ctx context.Context, rs []*logfile.Log, o ClockOptions) ([]ClockEstimate, error) {
	type stream struct {
		topic, sensor string
		stamps, logs  []int64
	}
	streams := map[string]*stream{}
	var done int64
	for i, r := range rs {
		var topics []string
		for _, ch := range r.Channels() {
			if ch.Schema == nil {
				continue
			}
			switch formats.ModalityOfType(ch.Schema.Name) {
			case formats.Camera, formats.Lidar, formats.Radar:
				topics = append(topics, ch.Topic)
			}
		}
		if len(topics) == 0 {
			continue
		}
		var prog func(int64)
		if o.Progress != nil {
			base := done
			prog = func(n int64) { o.Progress(base + n) }
		}
		lg, err := stamps.ReadLog(ctx, r, mcapread.Options{Topics: topics, Start: o.Start, End: o.End}, prog)
		if err != nil {
			return nil, fmt.Errorf("fusion: clocks: log %d: %w", i+1, err)
		}
		for _, s := range lg.Streams {
			done += int64(len(s.Stamps))
			st := streams[s.Topic]
			if st == nil {
				st = &stream{topic: s.Topic, sensor: s.Sensor}
				streams[s.Topic] = st
			}
			st.stamps = append(st.stamps, s.Stamps...)
			st.logs = append(st.logs, s.Logs...)
		}
	}
	var out []ClockEstimate
	for _, st := range streams {
		if len(st.stamps) == 0 {
			continue
		}
		// Several logs: back into log-time order.
		idx := make([]int, len(st.logs))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return st.logs[idx[a]] < st.logs[idx[b]] })
		stamps, logs := make([]int64, len(idx)), make([]int64, len(idx))
		for k, i := range idx {
			stamps[k], logs[k] = st.stamps[i], st.logs[i]
		}
		out = append(out, estimateOne(st.topic, st.sensor, stamps, logs, o))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Sensor != out[j].Sensor {
			return out[i].Sensor < out[j].Sensor
		}
		return out[i].Topic < out[j].Topic
	})
	return out, nil
}

func lookup[T any](m map[string]T, sensor, topic string) (T, bool) {
	if v, ok := m[topic]; ok {
		return v, true
	}
	v, ok := m[sensor]
	return v, ok
}

// estimateOne mirrors syncapp's auto correction for one stream.
func estimateOne(topic, sensor string, stamps, logs []int64, o ClockOptions) ClockEstimate {
	e := ClockEstimate{Sensor: sensor, Topic: topic, Messages: len(stamps), Repair: "none", Applied: "none"}
	if e.Sensor == "" {
		e.Sensor = topic
	}
	if g, ok := lookup(o.Given, sensor, topic); ok {
		e.Applied, e.Model = "given", g
		return e
	}
	if len(stamps) < 3 {
		e.Note = "too few messages to estimate"
		return e
	}
	a, err := clock.Analyze(stamps, logs, 0)
	if err != nil {
		e.Note = err.Error()
		return e
	}
	e.repair, e.Repair, e.Jumps = a.Repair, a.Repair.String(), len(a.Jumps)
	if e.Jumps > 0 {
		e.Note = fmt.Sprintf("%d clock jumps found and not corrected (the model fits the longest stretch between them)", e.Jumps)
	}
	est := a.Estimate
	rp := clock.NewRepairer(a.Repair)
	first := rp.Fix(stamps[0])
	e.EstimatedOffsetNS = first - est.Model.Correct(first)
	e.DriftPPM, e.DriftSigmaPPM = est.Model.DriftPPM, est.DriftSigmaPPM
	lat, hasLat := lookup(o.Latency, sensor, topic)
	drift := math.Abs(est.Model.DriftPPM) > 3*est.DriftSigmaPPM // significant
	switch {
	case hasLat || absNS(e.EstimatedOffsetNS) > int64(time.Second):
		e.Applied = "full"
		if drift {
			e.Model = est.Model
			e.Model.Offset += int64(lat)
		} else {
			// Offset only: a drift within its noise would grow into an
			// error over a long log.
			e.Model = clock.Model{Offset: e.EstimatedOffsetNS + int64(lat), Ref: first}
		}
	case drift:
		e.Applied, e.Model = "drift", clock.Model{DriftPPM: est.Model.DriftPPM, Ref: first}
	}
	return e
}

func absNS(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
