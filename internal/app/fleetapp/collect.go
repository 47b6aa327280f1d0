package fleetapp

import (
	"fmt"
	"math"
	"sort"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fleet"
	"github.com/rigsync/rigsync/fusion/fused"
)

// Thresholds of the per-log analysis (documented in "rigsync fleet scan
// --help" and the README).
const (
	// StopSpeed (m/s): below it the ego is stopped; a stop scene lasts at
	// least StopMinS.
	StopSpeed = 0.5
	StopMinS  = 1.0
	// TurnRate and SharpTurnRate (°/s): the turn bands; a sharp turn scene
	// keeps |yaw rate| ≥ SharpTurnRate for at least SharpTurnMinS.
	TurnRate      = 5.0
	SharpTurnRate = 15.0
	SharpTurnMinS = 0.5
	// DayLuminance and NightLuminance: the mean camera luminance (0–255,
	// fusion.CheckImage over a 48×48 grid, one image per camera per
	// second; degraded images and those CheckImage calls black, saturated
	// or flat are left out: a lens cap is not night) at or above which a
	// second is day, and below which it is night; between them it is dusk.
	DayLuminance   = 60.0
	NightLuminance = 25.0
	// MinSpanFrames: a dropout or degraded span is a scene from this many
	// consecutive frames on (one missed frame is matching noise).
	MinSpanFrames = 2
	// MinRadarEmptyS: a radar's span with no detections is a scene from
	// this long on (an empty road is quiet: the fixture drives have rear
	// radars with nothing to see for up to 1.4 s).
	MinRadarEmptyS = 2.0
	// ClockSceneMs and DriftScenePPM: a sensor's estimated clock offset
	// against its peers (fleet.Clock.DeviationMs) or drift (when
	// fleet.DriftObservable) is a scene from these values on.
	ClockSceneMs  = 5.0
	DriftScenePPM = 20.0
)

// span is an open or closed range of frames where a sensor had a flag.
type span struct {
	start, end int64 // frame stamps, ns (end exclusive)
	frames     int
}

// sensorTrack follows one fused sensor's flags over the frames.
type sensorTrack struct {
	name     string
	modality formats.Modality
	present  int64 // ms
	missing  *span
	degraded *span
	dropouts []span
	degrades []span
}

// egoSample is the ego motion at one frame.
type egoSample struct {
	stamp   int64
	dtMs    int64
	speed   float64 // m/s
	yawRate float64 // °/s
}

// collector watches the fused frames of one log (fuseapp.Options.Observe)
// and keeps only what the summary needs: flag spans per sensor, one ego
// sample per frame (32 bytes: 1.2 MB for an hour at 10 Hz) and one
// luminance sum per second. It never keeps a frame, so a worker's memory
// is that of the fusion pass (bounded by fusion.Pipeline.MaxPending).
type collector struct {
	frames     int
	first      int64
	last       int64
	period     int64 // smallest frame spacing seen
	ref        string
	sensors    map[string]*sensorTrack
	order      []string
	ego        []egoSample
	egoSource  string
	prevYaw    float64
	prevPos    [3]float64
	hasPrevEgo bool
	distance   float64
	lightNext  map[string]int64
	lightBins  map[int64]*lumBin
	refGaps    []span
}

type lumBin struct {
	sum float64
	n   int
}

func newCollector() *collector {
	return &collector{sensors: map[string]*sensorTrack{}, lightNext: map[string]int64{}, lightBins: map[int64]*lumBin{}}
}

// observe takes one frame.
func (c *collector) observe(f *fused.Frame) error {
	var dt int64
	if c.frames == 0 {
		c.first = f.Stamp
	} else {
		dt = f.Stamp - c.last
		if dt > 0 && (c.period == 0 || dt < c.period) {
			c.period = dt
		}
	}
	c.frames++
	// The reference sensor: the LiDAR whose stamp is the frame's.
	for _, st := range f.Sensors {
		if st.Modality == formats.Lidar && !st.Missing && st.Offset == 0 && c.ref == "" {
			c.ref = st.Name
		}
	}
	// A gap in the frames is a dropout of the reference LiDAR.
	if c.frames > 1 && c.period > 0 && dt > c.period*5/2 {
		gap := span{start: c.last + c.period, end: f.Stamp, frames: int(dt/c.period) - 1}
		c.refGaps = append(c.refGaps, gap)
		// Nothing is known of the other sensors in the gap: their open
		// spans end where it starts.
		for _, t := range c.sensors {
			if t.missing != nil {
				t.missing, t.dropouts = track(t.missing, t.dropouts, false, gap.start)
			}
			if t.degraded != nil {
				t.degraded, t.degrades = track(t.degraded, t.degrades, false, gap.start)
			}
		}
	}
	dtMs := min(dt, int64(1e9)) / 1e6
	for _, st := range f.Sensors {
		if st.Modality != formats.Lidar && st.Modality != formats.Camera && st.Modality != formats.Radar {
			continue
		}
		t := c.sensors[st.Name]
		if t == nil {
			t = &sensorTrack{name: st.Name, modality: st.Modality}
			c.sensors[st.Name] = t
			c.order = append(c.order, st.Name)
		}
		if !st.Missing {
			t.present += dtMs
		}
		t.missing, t.dropouts = track(t.missing, t.dropouts, st.Missing, f.Stamp)
		t.degraded, t.degrades = track(t.degraded, t.degrades, st.Degraded && !st.Missing, f.Stamp)
	}
	c.observeEgo(f, dt)
	c.observeLight(f)
	c.last = f.Stamp
	return nil
}

// track extends or closes a flag span at a frame.
func track(open *span, done []span, flag bool, stamp int64) (*span, []span) {
	switch {
	case flag && open == nil:
		return &span{start: stamp, end: stamp, frames: 1}, done
	case flag:
		open.end = stamp
		open.frames++
		return open, done
	case open != nil:
		open.end = stamp
		return nil, append(done, *open)
	}
	return nil, done
}

func (c *collector) observeEgo(f *fused.Frame, dt int64) {
	if f.EgoSource == "" || f.EgoSource == "none" {
		c.hasPrevEgo = false
		return
	}
	c.egoSource = f.EgoSource
	_, _, yaw := f.Ego.RPY()
	pos := [3]float64{f.Ego.Trans.X, f.Ego.Trans.Y, f.Ego.Trans.Z}
	if c.hasPrevEgo && dt > 0 {
		d := math.Hypot(pos[0]-c.prevPos[0], pos[1]-c.prevPos[1])
		dy := math.Remainder(yaw-c.prevYaw, 2*math.Pi)
		s := float64(dt) / 1e9
		c.distance += d
		c.ego = append(c.ego, egoSample{stamp: f.Stamp, dtMs: min(dt, int64(1e9)) / 1e6, speed: d / s, yawRate: dy / s * 180 / math.Pi})
	}
	c.prevYaw, c.prevPos, c.hasPrevEgo = yaw, pos, true
}

func (c *collector) observeLight(f *fused.Frame) {
	for _, cam := range f.Cameras {
		if f.Stamp < c.lightNext[cam.Name] || cam.Image == nil {
			continue
		}
		degraded := false
		for _, st := range f.Sensors {
			if st.Name == cam.Name && st.Degraded {
				degraded = true
			}
		}
		if degraded {
			continue
		}
		chk, err := fusion.CheckImage(cam.Image)
		if err != nil || chk.Verdict != fusion.ImageOK {
			continue
		}
		c.lightNext[cam.Name] = f.Stamp + 1e9
		sec := (f.Stamp - c.first) / 1e9
		b := c.lightBins[sec]
		if b == nil {
			b = &lumBin{}
			c.lightBins[sec] = b
		}
		b.sum += chk.Mean
		b.n++
	}
}

// LightOf classifies a mean camera luminance (0–255): "day" at or above
// DayLuminance, "night" below NightLuminance, "dusk" between.
func LightOf(mean float64) string {
	switch {
	case mean >= DayLuminance:
		return "day"
	case mean < NightLuminance:
		return "night"
	}
	return "dusk"
}

// finish closes the open spans and fills the summary and the scenes.
func (c *collector) finish(s *fleet.Summary) []fleet.Scene {
	s.Frames = c.frames
	var scenes []fleet.Scene
	end := c.last + c.period
	add := func(kind, sensor, tag string, a, b int64, value float64) {
		sc := fleet.Scene{Log: s.Path, SHA256: s.SHA256, Kind: kind, Sensor: sensor, Tag: tag, StartNs: a, EndNs: b,
			StartS: round3(float64(a-s.StartNs) / 1e9), EndS: round3(float64(b-s.StartNs) / 1e9), Value: round3(value)}
		sc.DurationS = round3(sc.EndS - sc.StartS)
		sc.SpeedMin, sc.SpeedMean, sc.SpeedMax = c.speedStats(a, b)
		scenes = append(scenes, sc)
	}
	byName := map[string]int{}
	for i, sn := range s.Sensors {
		if _, ok := byName[sn.Name]; !ok {
			byName[sn.Name] = i
		}
	}
	for _, name := range c.order {
		t := c.sensors[name]
		if t.missing != nil {
			t.missing.end = end
			t.dropouts = append(t.dropouts, *t.missing)
		}
		if t.degraded != nil {
			t.degraded.end = end
			t.degrades = append(t.degrades, *t.degraded)
		}
		if name == c.ref {
			t.dropouts = append(t.dropouts, c.refGaps...)
			sort.Slice(t.dropouts, func(i, j int) bool { return t.dropouts[i].start < t.dropouts[j].start })
		}
		i, ok := byName[name]
		if !ok {
			s.Sensors = append(s.Sensors, fleet.Sensor{Name: name, Modality: t.modality.String()})
			i = len(s.Sensors) - 1
			byName[name] = i
		}
		sn := &s.Sensors[i]
		sn.PresentMs = t.present
		for _, d := range t.dropouts {
			ms := (d.end - d.start) / 1e6
			sn.DropoutMs += ms
			if d.frames < MinSpanFrames && name != c.ref {
				continue
			}
			sn.MaxDropoutMs = max(sn.MaxDropoutMs, ms)
			add(fleet.KindDropout, name, fmt.Sprintf("%s dropout %.1f s", name, float64(ms)/1000), d.start, d.end, 0)
		}
		for _, d := range t.degrades {
			ms := (d.end - d.start) / 1e6
			sn.DegradedMs += ms
			if d.frames < MinSpanFrames || (t.modality == formats.Radar && float64(ms)/1000 < MinRadarEmptyS) {
				continue
			}
			sn.MaxDegradedMs = max(sn.MaxDegradedMs, ms)
			add(fleet.KindDegraded, name, fmt.Sprintf("%s degraded %.1f s", name, float64(ms)/1000), d.start, d.end, 0)
		}
	}
	// Clocks: a scene over the whole log.
	for _, sn := range s.Sensors {
		if sn.Clock == nil || c.frames == 0 {
			continue
		}
		if sn.Clock.Peers >= fleet.MinClockPeers && math.Abs(sn.Clock.DeviationMs) >= ClockSceneMs {
			add(fleet.KindClockOffset, sn.Name, fmt.Sprintf("%s clock offset %.0f ms", sn.Name, sn.Clock.DeviationMs), s.StartNs, s.EndNs, sn.Clock.DeviationMs)
		}
		if d := sn.Clock.DriftPPM; math.Abs(d) >= DriftScenePPM && fleet.DriftObservable(sn.Clock, s.DurationS) {
			add(fleet.KindDrift, sn.Name, fmt.Sprintf("%s drift %.0f ppm", sn.Name, d), s.StartNs, s.EndNs, d)
		}
	}
	// Ego: statistics, bands, stops and sharp turns.
	s.Ego.Source = "none"
	if c.egoSource != "" {
		s.Ego.Source = c.egoSource
	}
	s.Ego.DistanceM = round3(c.distance)
	var sumMs int64
	var sumSpeed float64
	for _, e := range c.ego {
		sumMs += e.dtMs
		sumSpeed += e.speed * float64(e.dtMs)
		s.Ego.MaxSpeedMS = max(s.Ego.MaxSpeedMS, e.speed)
		s.Ego.MaxYawRateDS = max(s.Ego.MaxYawRateDS, math.Abs(e.yawRate))
		band := SpeedBand(e.speed)
		if band == "stopped" {
			s.Ego.StoppedMs += e.dtMs
		}
		addMs(&s.Conditions.Speed, band, e.dtMs)
		addMs(&s.Conditions.Turn, TurnBand(e.yawRate), e.dtMs)
	}
	if sumMs > 0 {
		s.Ego.MeanSpeedMS = round3(sumSpeed / float64(sumMs))
	}
	s.Ego.MaxSpeedMS, s.Ego.MaxYawRateDS = round3(s.Ego.MaxSpeedMS), round3(s.Ego.MaxYawRateDS)
	c.runs(func(e egoSample) bool { return e.speed < StopSpeed }, StopMinS, func(a, b int64, _ float64) {
		add(fleet.KindStop, "", fmt.Sprintf("stop %.1f s", float64(b-a)/1e9), a, b, 0)
	})
	c.runs(func(e egoSample) bool { return math.Abs(e.yawRate) >= SharpTurnRate }, SharpTurnMinS, func(a, b int64, peak float64) {
		add(fleet.KindSharpTurn, "", fmt.Sprintf("sharp turn %.0f °/s", peak), a, b, peak)
	})
	// Light: per second, the mean luminance over the cameras.
	if len(c.lightBins) > 0 {
		secs := make([]int64, 0, len(c.lightBins))
		for k := range c.lightBins {
			secs = append(secs, k)
		}
		sort.Slice(secs, func(i, j int) bool { return secs[i] < secs[j] })
		var all float64
		counts := map[string]int{}
		var runClass string
		var runStart, runEnd int64
		flush := func() {
			if runClass == "night" || runClass == "dusk" {
				add(runClass, "", runClass, runStart, runEnd, 0)
			}
		}
		for _, sec := range secs {
			b := c.lightBins[sec]
			mean := b.sum / float64(b.n)
			all += mean
			cls := LightOf(mean)
			counts[cls]++
			a := c.first + sec*1e9
			bEnd := min(a+1e9, end)
			addMs(&s.Conditions.Light, cls, (bEnd-a)/1e6)
			if cls != runClass || a != runEnd {
				flush()
				runClass, runStart = cls, a
			}
			runEnd = bEnd
		}
		flush()
		s.Light = LightOf(all / float64(len(secs)))
	}
	sort.SliceStable(scenes, func(i, j int) bool {
		a, b := scenes[i], scenes[j]
		if a.StartNs != b.StartNs {
			return a.StartNs < b.StartNs
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Sensor < b.Sensor
	})
	return scenes
}

// runs calls found for every run of consecutive ego samples where ok
// holds that lasts at least minS, with the peak |yaw rate| of the run.
func (c *collector) runs(ok func(egoSample) bool, minS float64, found func(a, b int64, peak float64)) {
	start := -1
	var peak float64
	flush := func(i int) {
		if start < 0 {
			return
		}
		a := c.ego[start].stamp - c.ego[start].dtMs*1e6
		b := c.ego[i-1].stamp
		if float64(b-a)/1e9 >= minS {
			found(a, b, round3(peak))
		}
		start = -1
	}
	for i, e := range c.ego {
		if ok(e) {
			if start < 0 {
				start, peak = i, 0
			}
			peak = max(peak, math.Abs(e.yawRate))
			continue
		}
		flush(i)
	}
	flush(len(c.ego))
}

// speedStats is the ego speed's min, mean and max over (a, b] (0s
// without ego samples there).
func (c *collector) speedStats(a, b int64) (lo, mean, hi float64) {
	n := 0
	for _, e := range c.ego {
		// A sample is the motion over (stamp − dt, stamp].
		if e.stamp <= a || e.stamp > b {
			continue
		}
		if n == 0 || e.speed < lo {
			lo = e.speed
		}
		hi = max(hi, e.speed)
		mean += e.speed
		n++
	}
	if n == 0 {
		return 0, 0, 0
	}
	return round3(lo), round3(mean / float64(n)), round3(hi)
}

// SpeedBand names the speed band of a speed in m/s: "stopped" (below
// StopSpeed), "0.5-5", "5-15", "15+".
func SpeedBand(v float64) string {
	switch {
	case v < StopSpeed:
		return "stopped"
	case v < 5:
		return "0.5-5"
	case v < 15:
		return "5-15"
	}
	return "15+"
}

// TurnBand names the turn band of a yaw rate in °/s: "straight" (below
// TurnRate), "turn", "sharp turn" (SharpTurnRate and above).
func TurnBand(r float64) string {
	switch r = math.Abs(r); {
	case r < TurnRate:
		return "straight"
	case r < SharpTurnRate:
		return "turn"
	}
	return "sharp turn"
}

func addMs(m *map[string]int64, k string, v int64) {
	if *m == nil {
		*m = map[string]int64{}
	}
	(*m)[k] += v
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
