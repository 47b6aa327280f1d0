package labelcheck

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats/labels"
)

// egoYaw is the yaw of T_world_base.
func egoYaw(ego se3.Transform) float64 {
	_, _, y := ego.RPY()
	return y
}

// continuity checks a box against its track's prediction: a jump to
// where another track was predicted is an id switch, another jump is
// physics.
func (c *Checker) continuity(r *BoxResult, b *labels.Box, ego se3.Transform, stamp int64) {
	t := c.tracks[b.ID]
	if t == nil || t.lastFrame < 0 || stamp <= t.lastStamp || stamp-t.lastStamp > 1e9 {
		return
	}
	w := ego.Apply(b.Center)
	pred := t.predict(stamp)
	jump := math.Hypot(w.X-pred.X, w.Y-pred.Y)
	lim := max(1.5, 0.25*b.Size.Length)
	if jump <= lim {
		// Physics: acceleration and yaw rate from the labelled velocities.
		dts := float64(stamp-t.lastStamp) * 1e-9
		if t.hasVel && b.Velocity != nil && dts > 0 {
			vw := ego.Rotate(*b.Velocity)
			acc := math.Hypot(vw.X-t.lastVel.X, vw.Y-t.lastVel.Y) / dts
			if acc > 10 {
				r.flag(Suspicious, KindPhysics, "acceleration %.0f m/s² since the previous frame", acc)
			}
		}
		if dts > 0 {
			yr := math.Abs(labels.WrapAngle(b.Yaw+egoYaw(ego)-t.lastYaw)) / dts
			// Boxes of objects seen end-on may flip by π; ignore those.
			if yr > 1.5 && math.Abs(math.Abs(labels.WrapAngle(b.Yaw+egoYaw(ego)-t.lastYaw))-math.Pi) > 0.2 {
				r.flag(Suspicious, KindPhysics, "yaw rate %.1f rad/s since the previous frame", yr)
			}
		}
		return
	}
	for _, id := range c.order {
		u := c.tracks[id]
		if id == b.ID || u.lastFrame < 0 || stamp-u.lastStamp > 1e9 || stamp <= u.lastStamp {
			continue
		}
		p := u.predict(stamp)
		if math.Hypot(w.X-p.X, w.Y-p.Y) < 1.0 {
			r.flag(Wrong, KindIDSwitch, "box jumped %.1f m to where track %s was expected: ids switched", jump, id)
			return
		}
	}
	r.flag(Suspicious, KindPhysics, "box jumped %.1f m from its track's predicted position", jump)
}

// predict is the track's world position at stamp (constant velocity).
func (t *track) predict(stamp int64) r3.Vec {
	if !t.hasVel {
		return t.lastPos
	}
	dt := float64(stamp-t.lastStamp) * 1e-9
	return r3.Add(t.lastPos, r3.Scale(dt, t.lastVel))
}

// predictMissing looks for the points of a track that has no box in this
// frame where its last box predicts it.
func (c *Checker) predictMissing(cl *cloud, t *track, ego se3.Transform, stamp int64) (BoxResult, bool) {
	p := ego.Inverse().Apply(t.predict(stamp))
	b := labels.Box{ID: t.id, Class: t.lastClass, Frame: labels.FrameBase, Center: p, Size: t.lastSize,
		Yaw: labels.WrapAngle(t.lastYaw - egoYaw(ego))}
	v := ego.Inverse().Rotate(t.lastVel)
	if !t.hasVel {
		v = r3.Vec{}
	}
	r := c.measure(cl, &b, v, 0)
	if r.Range > c.o.MaxRange || r.Points < c.o.MinPoints {
		return r, false
	}
	r.Verdict = OK
	r.Kinds, r.Reasons = nil, nil
	r.flag(Wrong, KindMissing, "no box for track %s: %d points where its last box (frame %d) predicts it", t.id, r.Points, t.lastFrame)
	return r, true
}

// record updates the box's track and keeps the result when it has
// findings (or KeepOK).
func (c *Checker) record(r BoxResult, b *labels.Box, ego se3.Transform, stamp int64, v r3.Vec) {
	c.nBoxes++
	t := c.tracks[b.ID]
	if t == nil {
		t = &track{id: b.ID, classes: map[string]int{}, lastFrame: -1}
		c.tracks[b.ID] = t
		c.order = append(c.order, b.ID)
	}
	idx := -1
	if r.Verdict != OK || c.o.KeepOK {
		idx = len(c.boxes)
		c.boxes = append(c.boxes, r)
	}
	ref := trackRef{frame: r.Frame, stamp: stamp, class: b.Class, size: r.Size, res: idx}
	if r.Observed && r.TimeOffsetNS != nil && r.Speed >= 2 && r.Points >= 50 && !r.HasKind(KindIDSwitch) {
		ref.dt, ref.hasDt = *r.TimeOffsetNS, true
	}
	if r.Observed && r.TimeOffsetNS != nil && !r.HasKind(KindIDSwitch) {
		ref.dt0, ref.hasDt0 = *r.TimeOffsetNS, true
	}
	ref.offset, ref.observed = r.Offset, r.Observed
	ref.sizeBad, ref.classBad = r.HasKind(KindSize), r.HasKind(KindClass)
	if r.HasKind(KindIDSwitch) {
		t.switched = true
	}
	ref.speed, ref.points = r.Speed, r.Points
	t.refs = append(t.refs, ref)
	t.classes[b.Class]++
	w := ego.Apply(b.Center)
	if b.Velocity != nil {
		t.lastVel, t.hasVel = ego.Rotate(*b.Velocity), true
	} else if t.lastFrame >= 0 && stamp > t.lastStamp {
		dt := float64(stamp-t.lastStamp) * 1e-9
		t.lastVel, t.hasVel = r3.Scale(1/dt, r3.Sub(w, t.lastPos)), true
	}
	_ = v
	t.lastPos, t.lastStamp, t.lastFrame = w, stamp, r.Frame
	t.lastYaw = labels.WrapAngle(b.Yaw + egoYaw(ego))
	t.lastSize, t.lastClass = b.Size, b.Class
}

// ref returns the kept result of a track reference, making one when the
// box was ok and not kept.
func (c *Checker) ref(t *track, k int) *BoxResult {
	rf := &t.refs[k]
	if rf.res < 0 {
		rf.res = len(c.boxes)
		c.boxes = append(c.boxes, BoxResult{Frame: rf.frame, Stamp: rf.stamp, ID: t.id, Class: rf.class, Size: rf.size,
			Offset: rf.offset, Observed: rf.observed, Verdict: OK})
	}
	return &c.boxes[rf.res]
}

// trackChecks flags, per track, the boxes whose class is not the track's
// and whose size differs from the track's median.
func (c *Checker) trackChecks() {
	for _, id := range c.order {
		t := c.tracks[id]
		if len(t.refs) < 3 {
			continue
		}
		// The track's class: the most frequent among the boxes whose size
		// fits their class (all boxes when none does).
		major, mc := majority(t.refs, true)
		if major == "" {
			major, mc = majority(t.refs, false)
		}
		if t.switched {
			// An id switch mixes two objects in the track: its class and
			// size are not one object's.
			c.trackTime(t)
			continue
		}
		med := trackSize(t.refs)
		for k := range t.refs {
			rf := &t.refs[k]
			if rf.class != major && !rf.classBad {
				r := c.ref(t, k)
				r.flag(Wrong, KindClass, "class %s, its track is %s in %d of %d frames", rf.class, major, mc, len(t.refs))
				r.Correction.Class = major
			}
			if rf.sizeBad {
				continue
			}
			for d, name := range [3]string{"length", "width", "height"} {
				if math.Abs(rf.size[d]/med[d]-1) >= c.o.SizeWrong {
					r := c.ref(t, k)
					m := med
					r.Correction.Size = &m
					r.flag(Wrong, KindSize, "%s %.2f m, its track's is %.2f m", name, rf.size[d], med[d])
					break
				}
			}
		}
		c.trackTime(t)
	}
}

// trackSize is the size of the track's object: of the groups of boxes of
// one size (within 2%), the one whose boxes' own points found the size
// wrong least often (the larger group on a tie).
func trackSize(refs []trackRef) [3]float64 {
	type group struct {
		size    [3]float64
		n, bad  int
		members int
	}
	var gs []group
	for _, rf := range refs {
		found := false
		for i := range gs {
			g := &gs[i]
			same := true
			for d := range 3 {
				if math.Abs(rf.size[d]/g.size[d]-1) > 0.02 {
					same = false
				}
			}
			if same {
				g.n++
				if rf.sizeBad {
					g.bad++
				}
				found = true
				break
			}
		}
		if !found {
			g := group{size: rf.size, n: 1}
			if rf.sizeBad {
				g.bad = 1
			}
			gs = append(gs, g)
		}
	}
	best := 0
	for i := range gs {
		fi := float64(gs[i].bad) / float64(gs[i].n)
		fb := float64(gs[best].bad) / float64(gs[best].n)
		if fi < fb-0.2 || (math.Abs(fi-fb) <= 0.2 && gs[i].n > gs[best].n) {
			best = i
		}
	}
	return gs[best].size
}

// majority is the most frequent class of the refs (only those whose size
// fits their class when fits), with its count.
func majority(refs []trackRef, fits bool) (string, int) {
	n := map[string]int{}
	for _, rf := range refs {
		if !fits || !rf.classBad {
			n[rf.class]++
		}
	}
	best, bn := "", 0
	for cl, k := range n {
		if k > bn || (k == bn && cl < best) {
			best, bn = cl, k
		}
	}
	return best, bn
}

// trackTime flags a moving track whose boxes consistently show the object
// at another time than their frames' (five or more estimates, median at
// least 15 ms): the boxes whose own estimate agrees with the median.
func (c *Checker) trackTime(t *track) {
	var dts []int64
	for _, rf := range t.refs {
		if rf.observed && rf.speed >= 2 && rf.points >= c.o.MinPoints && rf.hasDt0 {
			dts = append(dts, rf.dt0)
		}
	}
	if len(dts) < 5 {
		return
	}
	s := slices.Clone(dts)
	slices.Sort(s)
	m := s[len(s)/2]
	if m < 15e6 && m > -15e6 || m > maxTimeOffset || m < -maxTimeOffset {
		return
	}
	// The spread (median absolute deviation) must be small against it.
	dev := make([]int64, len(s))
	for i, v := range s {
		dev[i] = max(v-m, m-v)
	}
	slices.Sort(dev)
	if mad := dev[len(dev)/2]; mad*3 > max(m, -m) {
		return
	}
	for k := range t.refs {
		rf := &t.refs[k]
		if !rf.hasDt0 || rf.speed < 2 || max(rf.dt0-m, m-rf.dt0) > max(10e6, max(m, -m)/3) {
			continue
		}
		r := c.ref(t, k)
		if r.HasKind(KindTime) || r.HasKind(KindShift) {
			continue
		}
		d := m
		r.Correction.DtNS = &d
		r.flag(Suspicious, KindTime, "its track shows the object %+.0f ms from the frames' times (median of %d boxes); this box %+.0f ms", float64(m)/1e6, len(dts), float64(rf.dt0)/1e6)
	}
}

// TrackResult is the verdict of one track (box id).
type TrackResult struct {
	ID    string `json:"id"`
	Class string `json:"class"`
	// Boxes, and how many of them are suspicious or wrong.
	Boxes      int      `json:"boxes"`
	Suspicious int      `json:"suspicious,omitempty"`
	Wrong      int      `json:"wrong,omitempty"`
	Verdict    Verdict  `json:"verdict"`
	Kinds      []string `json:"kinds,omitempty"`
	// TimeOffsetNS is the median time offset of the track's moving boxes
	// with enough points (≥ 2 m/s, ≥ 50 points), TimeOffsetBoxes how many.
	TimeOffsetNS    *int64 `json:"time_offset_ns,omitempty"`
	TimeOffsetBoxes int    `json:"time_offset_boxes,omitempty"`
	// Systematic lists the kinds whose findings repeat over the track
	// (three boxes or more with a consistent correction).
	Systematic []string `json:"systematic,omitempty"`
}

// KindSummary counts the findings of one error kind.
type KindSummary struct {
	Kind       string `json:"kind"`
	Suspicious int    `json:"suspicious"`
	Wrong      int    `json:"wrong"`
	// Tracks is the number of tracks with the kind; Systematic the number
	// whose findings repeat consistently (see TrackResult.Systematic);
	// the rest are random.
	Tracks     int `json:"tracks"`
	Systematic int `json:"systematic_tracks"`
}

// ClassSummary is the verdicts of one class, with the mean centre offset
// of its observed boxes (box axes): an offset that is large against its
// spread is systematic (every box of the class placed the same wrong way).
type ClassSummary struct {
	Class      string     `json:"class"`
	Boxes      int        `json:"boxes"`
	Observed   int        `json:"observed"`
	Suspicious int        `json:"suspicious"`
	Wrong      int        `json:"wrong"`
	MeanOffset [3]float64 `json:"mean_offset_m"`
	SpreadM    float64    `json:"offset_spread_m"`
	Systematic bool       `json:"systematic"`
}

// Report is the check of a labelled log.
type Report struct {
	// Verdict is the worst of the boxes' (ok when every box is ok).
	Verdict Verdict `json:"verdict"`
	// Frames checked, boxes in them, boxes observed (enough points to
	// check their fit), per verdict (Missing: objects without a box).
	Frames     int `json:"frames"`
	Boxes      int `json:"boxes"`
	Observed   int `json:"observed"`
	OK         int `json:"ok"`
	Suspicious int `json:"suspicious"`
	Wrong      int `json:"wrong"`
	Missing    int `json:"missing"`
	// Findings are the boxes that are not ok (all boxes with
	// Options.KeepOK), in frame order.
	Findings []BoxResult    `json:"findings"`
	Tracks   []TrackResult  `json:"tracks"`
	Classes  []ClassSummary `json:"classes"`
	Kinds    []KindSummary  `json:"kinds"`
	// FrameVerdicts are the frames that are not ok.
	FrameVerdicts []FrameResult `json:"frames_not_ok,omitempty"`
	// Notes say what was not checked and why.
	Notes []string `json:"notes,omitempty"`
	// Crops are top views of the worst findings (for the HTML report).
	Crops []Crop `json:"-"`
	// Cameras counts the camera check's work; CameraCrops are camera
	// overlays of the worst disagreeing boxes (for the HTML report).
	Cameras     CameraStats  `json:"cameras"`
	CameraCrops []CameraCrop `json:"-"`
}

// Finish runs the checks across frames and returns the report. The
// Checker must not be used afterwards.
func (c *Checker) Finish() *Report {
	if h := c.held; h != nil {
		// A single frame without ego motion: the velocity the deskew missed
		// is fitted from its boxes (add's fallback).
		c.held = nil
		_ = c.add(h.f, &h.lf, se3.Identity(), r3.Vec{}, false)
	}
	c.trackChecks()
	rep := &Report{Verdict: OK, Frames: len(c.frames), Boxes: c.nBoxes, Cameras: c.camStats, CameraCrops: c.camCrops}
	switch cs := c.camStats; {
	case c.o.NoCameras:
		rep.Notes = append(rep.Notes, "camera consistency not checked (asked not to: boxes are checked against the LiDAR only)")
	case cs.Cameras == 0:
		rep.Notes = append(rep.Notes, "camera consistency not checked (no calibrated camera image in the frames: boxes are checked against the LiDAR only)")
	default:
		rep.Notes = append(rep.Notes, fmt.Sprintf("camera consistency: %d box views in %d cameras checked against the images, %d with both outline edges found, %d disagree",
			cs.Views, cs.Cameras, cs.Found, cs.Disagree))
		if cs.Labels2D > 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("2D labels: %d compared with their box's projection, %d overlap it by IoU < 0.5", cs.Labels2D, cs.Labels2DDisagree))
		}
		if cs.Failed > 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%d of %d camera images could not be decoded and were not checked", cs.Failed, cs.Images))
		}
	}
	// Frame verdicts again: track checks may have flagged more boxes.
	frameIdx := map[int]int{}
	for i, f := range c.frames {
		frameIdx[f.Frame] = i
		c.frames[i].Verdict, c.frames[i].Suspicious, c.frames[i].Wrong = OK, 0, 0
	}
	slices.SortStableFunc(c.boxes, func(a, b BoxResult) int {
		if a.Frame != b.Frame {
			return a.Frame - b.Frame
		}
		return strings.Compare(a.ID, b.ID)
	})
	kinds := map[string]*KindSummary{}
	for _, k := range Kinds() {
		kinds[k] = &KindSummary{Kind: k}
	}
	classes := map[string]*ClassSummary{}
	classOf := func(name string) *ClassSummary {
		cs := classes[name]
		if cs == nil {
			cs = &ClassSummary{Class: name}
			classes[name] = cs
		}
		return cs
	}
	for i := range c.boxes {
		b := &c.boxes[i]
		if b.Verdict != OK || c.o.KeepOK {
			rep.Findings = append(rep.Findings, *b)
		}
		if j, ok := frameIdx[b.Frame]; ok {
			c.count(&c.frames[j], b.Verdict)
		}
		rep.Verdict = Worse(rep.Verdict, b.Verdict)
		if b.HasKind(KindMissing) {
			rep.Missing++
		}
		for _, k := range b.Kinds {
			if ks := kinds[k]; ks != nil {
				switch b.Verdict {
				case Suspicious:
					ks.Suspicious++
				case Wrong:
					ks.Wrong++
				}
			}
		}
		if b.HasKind(KindMissing) {
			continue
		}
		cs := classOf(b.Class)
		switch b.Verdict {
		case Suspicious:
			rep.Suspicious++
			cs.Suspicious++
		case Wrong:
			rep.Wrong++
			cs.Wrong++
		}
	}
	rep.OK = rep.Boxes - rep.Suspicious - rep.Wrong
	for _, f := range c.frames {
		if f.Verdict != OK {
			rep.FrameVerdicts = append(rep.FrameVerdicts, f)
		}
	}
	// Tracks and classes.
	type acc struct{ n, sx, sy, sz, ss float64 }
	offs := map[string]*acc{}
	for _, id := range c.order {
		t := c.tracks[id]
		tr := TrackResult{ID: id, Boxes: len(t.refs), Verdict: OK}
		mc := -1
		for cl, n := range t.classes {
			if n > mc || (n == mc && cl < tr.Class) {
				tr.Class, mc = cl, n
			}
		}
		var dts []int64
		perKind := map[string][][3]float64{}
		for k := range t.refs {
			rf := &t.refs[k]
			cs := classOf(rf.class)
			cs.Boxes++
			if rf.hasDt {
				dts = append(dts, rf.dt)
			}
			if rf.observed {
				cs.Observed++
				a := offs[rf.class]
				if a == nil {
					a = &acc{}
					offs[rf.class] = a
				}
				a.n++
				a.sx += rf.offset[0]
				a.sy += rf.offset[1]
				a.sz += rf.offset[2]
				a.ss += rf.offset[0]*rf.offset[0] + rf.offset[1]*rf.offset[1]
			}
			if rf.res < 0 {
				continue
			}
			b := &c.boxes[rf.res]
			switch b.Verdict {
			case Suspicious:
				tr.Suspicious++
			case Wrong:
				tr.Wrong++
			}
			tr.Verdict = Worse(tr.Verdict, b.Verdict)
			for _, kd := range b.Kinds {
				if !slices.Contains(tr.Kinds, kd) {
					tr.Kinds = append(tr.Kinds, kd)
				}
				perKind[kd] = append(perKind[kd], correctionVec(b))
			}
		}
		if len(dts) > 0 {
			slices.Sort(dts)
			m := dts[len(dts)/2]
			tr.TimeOffsetNS, tr.TimeOffsetBoxes = &m, len(dts)
		}
		slices.Sort(tr.Kinds)
		for _, kd := range tr.Kinds {
			ks := kinds[kd]
			if ks == nil {
				continue
			}
			ks.Tracks++
			if consistent(perKind[kd]) {
				tr.Systematic = append(tr.Systematic, kd)
				ks.Systematic++
			}
		}
		rep.Tracks = append(rep.Tracks, tr)
	}
	// Missing objects' tracks count too.
	for _, b := range rep.Findings {
		if b.HasKind(KindMissing) {
			classOf(b.Class)
		}
	}
	names := make([]string, 0, len(classes))
	for k := range classes {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		cs := classes[k]
		if a := offs[k]; a != nil && a.n > 0 {
			cs.MeanOffset = [3]float64{a.sx / a.n, a.sy / a.n, a.sz / a.n}
			mean2 := cs.MeanOffset[0]*cs.MeanOffset[0] + cs.MeanOffset[1]*cs.MeanOffset[1]
			cs.SpreadM = math.Sqrt(max(0, a.ss/a.n-mean2))
			cs.Systematic = a.n >= 5 && math.Sqrt(mean2) >= c.o.ShiftSuspicious && math.Sqrt(mean2) > cs.SpreadM
		}
		if k == "" {
			continue
		}
		rep.Classes = append(rep.Classes, *cs)
	}
	for _, k := range Kinds() {
		rep.Kinds = append(rep.Kinds, *kinds[k])
	}
	for _, b := range c.boxes {
		if b.Observed {
			rep.Observed++
		}
	}
	if !c.o.KeepOK {
		// Only kept boxes are counted above; the observed count of ok boxes
		// not kept comes from the tracks.
		rep.Observed = 0
		for _, id := range c.order {
			for _, rf := range c.tracks[id].refs {
				if rf.observed {
					rep.Observed++
				}
			}
		}
	}
	if rep.Findings == nil {
		rep.Findings = []BoxResult{}
	}
	rep.Crops = c.crops
	return rep
}

// correctionVec is a finding's correction as a vector for the
// consistency test: the shift, else the yaw, size or time.
func correctionVec(b *BoxResult) [3]float64 {
	cr := &b.Correction
	switch {
	case cr.DtNS != nil:
		return [3]float64{float64(*cr.DtNS) * 1e-9}
	case cr.Shift != nil:
		return *cr.Shift
	case cr.YawDeg != nil:
		return [3]float64{*cr.YawDeg}
	case cr.Size != nil:
		return [3]float64{cr.Size[0] - b.Size[0], cr.Size[1] - b.Size[1], cr.Size[2] - b.Size[2]}
	}
	return [3]float64{1}
}

// consistent reports whether at least three corrections agree: their mean
// is larger than their spread.
func consistent(vs [][3]float64) bool {
	if len(vs) < 3 {
		return false
	}
	var m [3]float64
	for _, v := range vs {
		for i := range 3 {
			m[i] += v[i] / float64(len(vs))
		}
	}
	var s float64
	for _, v := range vs {
		for i := range 3 {
			s += (v[i] - m[i]) * (v[i] - m[i])
		}
	}
	s = math.Sqrt(s / float64(len(vs)))
	return math.Sqrt(m[0]*m[0]+m[1]*m[1]+m[2]*m[2]) > 2*s
}

// String is the verdict line of the report.
func (r *Report) String() string {
	return fmt.Sprintf("%s: %d boxes in %d frames, %d ok, %d suspicious, %d wrong, %d missing", r.Verdict, r.Boxes, r.Frames, r.OK, r.Suspicious, r.Wrong, r.Missing)
}
