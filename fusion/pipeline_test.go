package fusion

import (
	"bytes"
	"context"
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/fixtures/scene"
	"github.com/rigsync/rigsync/fixtures/traj"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/sync/clock"
	"gonum.org/v1/gonum/spatial/r3"
)

// logFixture is a generated log with its truth.
type logFixture struct {
	log   []byte
	truth *fixtures.Truth
}

// collect is a Sink keeping every frame.
type collect struct {
	frames []*fused.Frame
	closed bool
}

func (c *collect) Write(_ context.Context, f *fused.Frame) error {
	c.frames = append(c.frames, f)
	return nil
}
func (c *collect) Close() error { c.closed = true; return nil }

// testRig is the minimal preset (one 15 Hz camera, one 32×512 LiDAR, IMU)
// with the true ego pose on /tf and a front radar, at 10 m/s.
func testRig(tb testing.TB, d time.Duration) fixtures.Config {
	tb.Helper()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Duration = d
	cfg.Speed = 10
	cfg.Rig.TF = true
	cfg.Rig.Cameras[0].RateHz = 15 // exposures at varying offsets from the sweeps
	cfg.Rig.Radars = []fixtures.RadarSpec{{Name: "radar_front", Mount: fixtures.Mount{X: 3.7, Z: 0.5}, HFOV: 90, VFOV: 12,
		MaxRange: 100, RateHz: 20, RangeNoise: 0.08, AzimuthNoise: 0.3, DopplerNoise: 0.05, MaxPerObject: 6, LatencyMS: 15}}
	return cfg
}

func generate(tb testing.TB, cfg fixtures.Config) *logFixture {
	tb.Helper()
	var log, truth bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &log, &truth, nil); err != nil {
		tb.Fatalf("Generate: %v", err)
	}
	tr, err := fixtures.LoadTruth(&truth)
	if err != nil {
		tb.Fatal(err)
	}
	return &logFixture{log: log.Bytes(), truth: tr}
}

var (
	baseOnce sync.Once
	baseLog  *logFixture
)

// base1s is testRig, 1 s, no faults, generated once.
func base1s(t *testing.T) *logFixture {
	t.Helper()
	baseOnce.Do(func() { baseLog = generate(t, testRig(t, time.Second)) })
	if baseLog == nil {
		t.Fatal("generation failed")
	}
	return baseLog
}

// run fuses a log with p (its Reader is set here).
func run(t testing.TB, lf *logFixture, p Pipeline) []*fused.Frame {
	t.Helper()
	r, err := mcapread.NewReader(bytes.NewReader(lf.log), int64(len(lf.log)), "drive.mcap")
	if err != nil {
		t.Fatal(err)
	}
	p.Reader = r
	var c collect
	if err := p.Run(context.Background(), &c); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return c.frames
}

// boxDist is the distance of p from the surface of a static box (∞ for
// poles and moving objects); ok false when p is farther than margin.
func boxDist(o *scene.Object, p r3.Vec) float64 {
	if o.Kind == scene.Pole || o.Velocity != (r3.Vec{}) {
		return math.Inf(1)
	}
	dx, dy := p.X-o.Center.X, p.Y-o.Center.Y
	c, s := math.Cos(o.Yaw), math.Sin(o.Yaw)
	l := [3]float64{c*dx + s*dy, -s*dx + c*dy, p.Z - o.Center.Z}
	h := [3]float64{o.Size.X / 2, o.Size.Y / 2, o.Size.Z / 2}
	var out2, in float64 = 0, math.Inf(-1)
	for i := range 3 {
		d := math.Abs(l[i]) - h[i]
		if d > 0 {
			out2 += d * d
		}
		in = math.Max(in, d)
	}
	if out2 > 0 {
		return math.Sqrt(out2)
	}
	return -in
}

// nearestBox returns the static box whose surface is nearest to p and the
// distance.
func nearestBox(sc *scene.Scene, p r3.Vec) (int, float64) {
	best, bd := -1, math.Inf(1)
	for i := range sc.Objects {
		if d := boxDist(&sc.Objects[i], p); d < bd {
			best, bd = i, d
		}
	}
	return best, bd
}

// nearAnyObject: p within margin of any object (moving ones at ts too).
func nearAnyObject(sc *scene.Scene, p r3.Vec, ts, margin float64) bool {
	for i := range sc.Objects {
		o := &sc.Objects[i]
		c := o.CenterAt(ts)
		dx, dy := p.X-c.X, p.Y-c.Y
		if o.Kind == scene.Pole {
			if math.Hypot(dx, dy) < o.Size.X/2+margin && p.Z < o.Size.Z+margin {
				return true
			}
			continue
		}
		cy, sy := math.Cos(o.Yaw), math.Sin(o.Yaw)
		lx, ly := cy*dx+sy*dy, -sy*dx+cy*dy
		if math.Abs(lx) < o.Size.X/2+margin && math.Abs(ly) < o.Size.Y/2+margin && p.Z < o.Size.Z+margin {
			return true
		}
	}
	return false
}

// TestFusedCloudOnTruth: every fused cloud, put in odom with the true ego
// pose at the frame stamp, has its ground returns on z = 0 and its box
// returns on the true box surfaces (±3 cm); deskewed points match the
// truth's position of each return (true extrinsic, true pose at the
// point's own firing time) within 2 cm, where the raw sweep is off by
// decimetres at 10 m/s.
func TestFusedCloudOnTruth(t *testing.T) {
	lf := base1s(t)
	tr := lf.truth
	drive, err := tr.Drive()
	if err != nil {
		t.Fatal(err)
	}
	lid := tr.Sensor("lidar_top")
	frames := run(t, lf, Pipeline{})
	raw := run(t, lf, Pipeline{NoDeskew: true, NoProject: true})
	want := lid.Messages
	if len(frames) != want || len(raw) != want {
		t.Fatalf("%d frames (raw %d), want one per sweep: %d", len(frames), len(raw), want)
	}
	var ground, groundBad, box, boxBad, n int
	var maxErr, sumErr, rawSum float64
	var rawErrs []float64
	for k, f := range frames {
		if f.Stamp != lid.SampleTime(tr.Start, int64(k)) || f.FrameID != "base_link" || f.EgoSource != "tf" {
			t.Fatalf("frame %d: stamp %d frame %q ego %q, want %d base_link tf", k, f.Stamp, f.FrameID, f.EgoSource, lid.SampleTime(tr.Start, int64(k)))
		}
		if f.Lidar == nil || len(f.Lidar.Sources) != 1 || f.Lidar.Sources[0] != "lidar_top" {
			t.Fatalf("frame %d: no lidar_top cloud", k)
		}
		// The last sweep runs past the end of /tf: extrapolated. The
		// rotation within the sweep comes from the IMU.
		if wantDeskew := map[bool]string{true: "constant-velocity", false: "imu"}[k == len(frames)-1]; f.Lidar.Deskew != wantDeskew {
			t.Errorf("frame %d: deskew %q, want %q", k, f.Lidar.Deskew, wantDeskew)
		}
		// The ego pose is the truth's at the stamp.
		te := tr.BasePose(drive, f.Stamp)
		if d := r3.Norm(r3.Sub(f.Ego.Trans, r3.Vec{X: te.Translation[0], Y: te.Translation[1], Z: te.Translation[2]})); d > 0.005 {
			t.Errorf("frame %d: ego off the truth by %.4f m", k, d)
		}
		P := f.Lidar.Points
		R := raw[k].Lidar.Points
		if P.Len() != R.Len() || len(f.Lidar.Source) != P.Len() {
			t.Fatalf("frame %d: %d points, raw %d, %d source ids", k, P.Len(), R.Len(), len(f.Lidar.Source))
		}
		// The raw message, through the truth alone.
		for i := range P.X {
			tns := f.Stamp + P.TimeOffset[i]
			w := te.Apply(r3.Vec{X: float64(P.X[i]), Y: float64(P.Y[i]), Z: float64(P.Z[i])})
			// The truth's position of this return: undo base_link at the
			// stamp with the true pose at the firing time, recover the
			// LiDAR-frame point through the raw cloud.
			wr := te.Apply(r3.Vec{X: float64(R.X[i]), Y: float64(R.Y[i]), Z: float64(R.Z[i])})
			pl := lid.ExtrinsicAt(tns).ApplyInverse(te.ApplyInverse(wr)) // raw = ext·p_lidar at the stamp
			truthW := tr.BasePose(drive, tns).Apply(lid.ExtrinsicAt(tns).Apply(pl))
			e := r3.Norm(r3.Sub(w, truthW))
			sumErr += e
			maxErr = math.Max(maxErr, e)
			er := r3.Norm(r3.Sub(wr, truthW))
			rawSum += er
			rawErrs = append(rawErrs, er)
			n++
			ts := float64(tns-tr.Start) / 1e9
			switch {
			case w.Z < 0.5 && !nearAnyObject(tr.Scene, w, ts, 0.3):
				ground++
				if math.Abs(w.Z) > 0.03 {
					groundBad++
				}
			case w.Z > 0.1: // above the ground: on a static box?
				if _, d := nearestBox(tr.Scene, w); d < 0.3 {
					box++
					if math.Abs(d) > 0.03 {
						boxBad++
					}
				}
			}
		}
	}
	rawP50 := quantile(rawErrs, 0.5)
	t.Logf("%d frames, %d points: deskewed vs truth mean %.4f max %.4f m; raw mean %.3f p50 %.3f m; ground %d (%d beyond 3 cm), box %d (%d beyond 3 cm)",
		len(frames), n, sumErr/float64(n), maxErr, rawSum/float64(n), rawP50, ground, groundBad, box, boxBad)
	if maxErr > 0.02 {
		t.Errorf("deskewed points up to %.4f m from the truth, want ≤ 0.02", maxErr)
	}
	if rawP50 < 0.2 {
		t.Errorf("raw sweep median error %.3f m: the test cannot tell deskewing (want decimetres)", rawP50)
	}
	if ground < 10000 || float64(groundBad) > 0.01*float64(ground) {
		t.Errorf("ground: %d of %d returns beyond 3 cm of z = 0", groundBad, ground)
	}
	if box < 500 || float64(boxBad) > 0.01*float64(box) {
		t.Errorf("boxes: %d of %d returns beyond 3 cm of the true box surfaces", boxBad, box)
	}
}

func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[int(q*float64(len(s)-1))]
}

// boxImageRegion returns the convex hull (pixels) of a static box seen by
// the true camera model at true time tc, from points sampled along its 12
// edges; ok is false when part of the box is behind the camera.
func boxImageRegion(tr *fixtures.Truth, drive *traj.Trajectory, cam *fixtures.SensorTruth, o *scene.Object, tc int64) ([][2]float64, bool) {
	cs := o.Corners(float64(tc-tr.Start) / 1e9)
	edges := [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 0}, {4, 5}, {5, 6}, {6, 7}, {7, 4}, {0, 4}, {1, 5}, {2, 6}, {3, 7}}
	pose, ext := tr.BasePose(drive, tc), cam.ExtrinsicAt(tc)
	var pts [][2]float64
	for _, e := range edges {
		for k := 0; k <= 32; k++ {
			w := r3.Add(cs[e[0]], r3.Scale(float64(k)/32, r3.Sub(cs[e[1]], cs[e[0]])))
			pc := ext.ApplyInverse(pose.ApplyInverse(w))
			if pc.Z < 0.2 {
				return nil, false
			}
			u, v, ok := cam.Camera.Project(pc)
			if !ok {
				return nil, false
			}
			pts = append(pts, [2]float64{u, v})
		}
	}
	return convexHull(pts), true
}

// convexHull is Andrew's monotone chain, counter-clockwise in (u, v).
func convexHull(p [][2]float64) [][2]float64 {
	sort.Slice(p, func(i, j int) bool { return p[i][0] < p[j][0] || p[i][0] == p[j][0] && p[i][1] < p[j][1] })
	cross := func(o, a, b [2]float64) float64 {
		return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
	}
	var h [][2]float64
	for pass := 0; pass < 2; pass++ {
		start := len(h)
		for _, q := range p {
			for len(h) >= start+2 && cross(h[len(h)-2], h[len(h)-1], q) <= 0 {
				h = h[:len(h)-1]
			}
			h = append(h, q)
		}
		h = h[:len(h)-1]
		for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
			p[i], p[j] = p[j], p[i]
		}
	}
	return h
}

// inHull: (u, v) inside the counter-clockwise hull or within margin px of it.
func inHull(h [][2]float64, u, v, margin float64) bool {
	for i := range h {
		a, b := h[i], h[(i+1)%len(h)]
		ex, ey := b[0]-a[0], b[1]-a[1]
		l := math.Hypot(ex, ey)
		if l == 0 {
			continue
		}
		if (ex*(v-a[1])-ey*(u-a[0]))/l < -margin {
			return false
		}
	}
	return true
}

// projectionScore counts the LiDAR points of static boxes projected into
// cam_front that fall inside the box's image region rendered from the
// truth (true pose and extrinsic at the camera's true exposure time).
//
// pixErr holds, for the same points, the distance between the pipeline's
// pixel and the truth's pixel of the point's true world position.
func projectionScore(t *testing.T, lf *logFixture, frames []*fused.Frame) (inside, total int, pixErr []float64) {
	t.Helper()
	tr := lf.truth
	drive, err := tr.Drive()
	if err != nil {
		t.Fatal(err)
	}
	cam := tr.Sensor("cam_front")
	for _, f := range frames {
		te := tr.BasePose(drive, f.Stamp)
		for _, c := range f.Cameras {
			if c.Name != cam.Name {
				continue
			}
			// The true exposure time: the sample nearest the stamp (clock
			// faults here are far below a period).
			k := (c.Stamp - tr.Start - cam.PhaseNS + cam.PeriodNS/2) / cam.PeriodNS
			tc := cam.SampleTime(tr.Start, k)
			regions := map[int][][2]float64{}
			for _, pr := range c.Projected {
				i := pr.Index
				P := f.Lidar.Points
				w := te.Apply(r3.Vec{X: float64(P.X[i]), Y: float64(P.Y[i]), Z: float64(P.Z[i])})
				if w.Z < 0.1 {
					continue
				}
				b, d := nearestBox(tr.Scene, w)
				if b < 0 || math.Abs(d) > 0.05 {
					continue
				}
				h, seen := regions[b]
				if !seen {
					var ok bool
					if h, ok = boxImageRegion(tr, drive, cam, &tr.Scene.Objects[b], tc); !ok {
						h = nil
					}
					regions[b] = h
				}
				if h == nil {
					continue
				}
				pose, ext := tr.BasePose(drive, tc), cam.ExtrinsicAt(tc)
				if u, v, ok := cam.Camera.Project(ext.ApplyInverse(pose.ApplyInverse(w))); ok {
					pixErr = append(pixErr, math.Hypot(u-float64(pr.U), v-float64(pr.V)))
				}
				total++
				if inHull(h, float64(pr.U), float64(pr.V), 1.5) {
					inside++
				}
			}
		}
	}
	return inside, total, pixErr
}

// TestProjectionInsideBoxes: LiDAR points of static boxes projected into
// the camera (ego motion compensated between LiDAR and camera time) fall
// inside the box's true image region for ≥ 98%; the projected pixels are
// inside the image with positive depth.
func TestProjectionInsideBoxes(t *testing.T) {
	lf := base1s(t)
	frames := run(t, lf, Pipeline{})
	for _, f := range frames {
		if len(f.Cameras) != 1 {
			t.Fatalf("frame %d: %d cameras", f.Index, len(f.Cameras))
		}
		c := f.Cameras[0]
		if c.Info.Width != 480 || c.Info.Height != 300 || c.Info.K[0] == 0 {
			t.Fatalf("frame %d: camera info %+v", f.Index, c.Info)
		}
		for _, p := range c.Projected {
			if p.Depth <= 0 || p.U < -0.5 || p.V < -0.5 || p.U > 479.5 || p.V > 299.5 || int(p.Index) >= f.Lidar.Points.Len() {
				t.Fatalf("frame %d: bad projection %+v", f.Index, p)
			}
		}
	}
	// The 15 Hz camera exposes up to 33 ms away from the 10 Hz sweep
	// start, so the projection needs the ego motion between the two times.
	var maxOff int64
	for _, f := range frames {
		maxOff = max(maxOff, abs64(f.Cameras[0].Stamp-f.Stamp))
	}
	t.Logf("camera exposures up to %.1f ms from the LiDAR stamp (%.2f m of travel)", float64(maxOff)/1e6, 10*float64(maxOff)/1e9)
	if maxOff < int64(20*time.Millisecond) {
		t.Fatalf("camera at most %d ns from the LiDAR stamp: the test cannot see ego compensation", maxOff)
	}
	in, total, pe := projectionScore(t, lf, frames)
	t.Logf("%d of %d box points inside their box's image region (%.2f%%); pixel error vs truth p50 %.3f p99 %.3f px",
		in, total, 100*float64(in)/float64(max(total, 1)), quantile(pe, 0.5), quantile(pe, 0.99))
	if p99 := quantile(pe, 0.99); !(p99 < 0.5) {
		t.Errorf("pixel error vs truth p99 %.3f px, want < 0.5", p99)
	}
	if total < 300 || float64(in) < 0.98*float64(total) {
		t.Errorf("%d of %d box points inside their box's image region, want ≥ 98%%", in, total)
	}
}

// TestProjectionClockOffset: with the camera clock 40 ms off, projection
// with the clock corrected (the truth's clock.Model) stays ≥ 98% inside
// the boxes and is flagged clock_corrected; uncorrected it is worse.
func TestProjectionClockOffset(t *testing.T) {
	cfg := testRig(t, time.Second)
	const off = -40 * time.Millisecond
	cfg.Faults = []fixtures.Fault{{Kind: fixtures.ClockOffset, Sensor: "cam_front", Offset: off}}
	lf := generate(t, cfg)
	if got := lf.truth.Sensor("cam_front").Clock.OffsetNS; got != int64(off) {
		t.Fatalf("truth clock offset %d", got)
	}
	tol := 100 * time.Millisecond
	good := run(t, lf, Pipeline{Tolerance: tol, Clocks: map[string]clock.Model{"cam_front": {Offset: int64(off)}}})
	bad := run(t, lf, Pipeline{Tolerance: tol})
	for _, f := range good {
		for _, s := range f.Sensors {
			if s.Name == "cam_front" && !s.Missing && !s.ClockCorrected {
				t.Errorf("frame %d: cam_front not flagged clock_corrected", f.Index)
			}
		}
	}
	gi, gt, ge := projectionScore(t, lf, good)
	bi, bt, be := projectionScore(t, lf, bad)
	t.Logf("corrected: %d of %d inside (%.2f%%), pixel error p50 %.3f px; uncorrected: %d of %d (%.2f%%), p50 %.3f px",
		gi, gt, 100*float64(gi)/float64(max(gt, 1)), quantile(ge, 0.5), bi, bt, 100*float64(bi)/float64(max(bt, 1)), quantile(be, 0.5))
	if p99 := quantile(ge, 0.99); !(p99 < 0.5) {
		t.Errorf("corrected: pixel error vs truth p99 %.3f px, want < 0.5", p99)
	}
	if p50 := quantile(be, 0.5); !(p50 > 2) {
		t.Errorf("uncorrected: pixel error p50 %.3f px; the test cannot tell a 40 ms clock error", p50)
	}
	if gt < 300 || float64(gi) < 0.98*float64(gt) {
		t.Errorf("corrected: %d of %d inside, want ≥ 98%%", gi, gt)
	}
	if float64(bi)/float64(max(bt, 1)) >= float64(gi)/float64(max(gt, 1)) {
		t.Errorf("uncorrected clock does no worse (%d/%d vs %d/%d): the test cannot tell", bi, bt, gi, gt)
	}
}

// TestRadarEgoCompensated: radar detections land on the true (static or
// moving) objects in base_link, and with the ego motion removed the radial
// velocity of detections on static objects is ≈ 0 while the raw Doppler
// is not.
func TestRadarEgoCompensated(t *testing.T) {
	lf := base1s(t)
	tr := lf.truth
	drive, err := tr.Drive()
	if err != nil {
		t.Fatal(err)
	}
	frames := run(t, lf, Pipeline{NoProject: true})
	var n, all, near int
	var comp2, raw2 float64
	for _, f := range frames {
		rc := f.Radar
		if rc == nil {
			t.Fatalf("frame %d: no radar", f.Index)
		}
		if len(rc.Sources) != 1 || rc.Sources[0] != "radar_front" || len(rc.Source) != len(rc.X) || len(rc.RadialVelocity) != len(rc.X) {
			t.Fatalf("frame %d: radar columns inconsistent", f.Index)
		}
		te := tr.BasePose(drive, f.Stamp)
		for i := range rc.X {
			w := te.Apply(r3.Vec{X: float64(rc.X[i]), Y: float64(rc.Y[i]), Z: float64(rc.Z[i])})
			all++
			if nearAnyObject(tr.Scene, w, float64(f.Stamp-tr.Start)/1e9, 0.5) {
				near++
			}
			b, d := nearestBox(tr.Scene, w)
			if b < 0 || math.Abs(d) > 0.5 {
				continue // moving object or pole
			}
			n++
			comp2 += float64(rc.RadialVelocity[i]) * float64(rc.RadialVelocity[i])
			raw2 += float64(rc.RawRadialVelocity[i]) * float64(rc.RawRadialVelocity[i])
		}
	}
	if n == 0 {
		t.Fatal("no radar detections on static boxes")
	}
	t.Logf("%d of %d detections within 0.5 m of a true object", near, all)
	if float64(near) < 0.95*float64(all) {
		t.Errorf("only %d of %d radar detections within 0.5 m of a true object in base_link", near, all)
	}
	rmsC, rmsR := math.Sqrt(comp2/float64(n)), math.Sqrt(raw2/float64(n))
	t.Logf("%d detections on static boxes: radial velocity RMS %.3f m/s compensated, %.3f raw", n, rmsC, rmsR)
	if n < 20 || rmsC > 0.15 || rmsR < 2 {
		t.Errorf("%d static detections: compensated RMS %.3f m/s (want ≤ 0.15), raw %.3f (want ≥ 2)", n, rmsC, rmsR)
	}
}

// TestFramesEgoIMUFlags: ego pose source, the IMU window (every IMU
// message in exactly one frame, stamped in (previous stamp, stamp]) and the
// per-sensor status, with a camera dropout flagged missing and no ego
// source giving the identity.
func TestFramesEgoIMUFlags(t *testing.T) {
	cfg := testRig(t, time.Second)
	cfg.Faults = []fixtures.Fault{{Kind: fixtures.Dropout, Sensor: "cam_front", Start: 300 * time.Millisecond, End: 600 * time.Millisecond}}
	lf := generate(t, cfg)
	tr := lf.truth
	frames := run(t, lf, Pipeline{NoProject: true})
	imu := tr.Sensor("imu")
	cam := tr.Sensor("cam_front")
	prev := int64(math.MinInt64)
	total := 0
	for _, f := range frames {
		for _, m := range f.IMU {
			if m.Stamp <= prev || m.Stamp > f.Stamp {
				t.Errorf("frame %d: IMU stamp %d outside (%d, %d]", f.Index, m.Stamp, prev, f.Stamp)
			}
		}
		total += len(f.IMU)
		prev = f.Stamp
		want := map[string]bool{"lidar_top": false, "cam_front": false, "radar_front": false, "imu": false}
		// cam_front samples have no message within 50 ms of the stamp
		// when every sample near it is in the dropout.
		camMissing := true
		for k := int64(0); k*cam.PeriodNS < int64(time.Second); k++ {
			ts := cam.SampleTime(tr.Start, k)
			inDrop := ts-tr.Start >= int64(300*time.Millisecond) && ts-tr.Start < int64(600*time.Millisecond)
			if !inDrop && abs64(ts-f.Stamp) <= int64(DefaultTolerance) {
				camMissing = false
			}
		}
		want["cam_front"] = camMissing
		for _, s := range f.Sensors {
			w, ok := want[s.Name]
			if !ok {
				t.Errorf("frame %d: unexpected sensor %q", f.Index, s.Name)
				continue
			}
			if s.Missing != w {
				t.Errorf("frame %d: %s missing %v, want %v (%s)", f.Index, s.Name, s.Missing, w, s.Note)
			}
			if !s.Missing && s.Offset != s.Stamp-f.Stamp {
				t.Errorf("frame %d: %s offset %d, stamp %d", f.Index, s.Name, s.Offset, s.Stamp)
			}
			delete(want, s.Name)
		}
		if len(want) != 0 {
			t.Errorf("frame %d: no status for %v", f.Index, want)
		}
		if (len(f.Cameras) == 0) != camMissing {
			t.Errorf("frame %d: %d cameras, missing %v", f.Index, len(f.Cameras), camMissing)
		}
	}
	wantIMU := 0
	for k := int64(0); ; k++ {
		ts := imu.SampleTime(tr.Start, k)
		if ts > prev || ts-tr.Start >= int64(time.Second) {
			break
		}
		wantIMU++
	}
	if total != wantIMU {
		t.Errorf("%d IMU messages in frames, want %d (every one stamped up to the last frame)", total, wantIMU)
	}
	missing := 0
	for _, f := range frames {
		if len(f.Cameras) == 0 {
			missing++
		}
	}
	if missing < 2 {
		t.Errorf("only %d frames without camera during a 300 ms dropout", missing)
	}
	// No ego source (sweep registration is opt-in): identity pose, "none",
	// no deskew (rotation only, from the IMU, when there is one).
	for _, noIMU := range []bool{false, true} {
		want := map[bool]string{false: "imu-rotation", true: "none"}[noIMU]
		for _, f := range run(t, lf, Pipeline{Ego: "none", NoProject: true, NoIMU: noIMU}) {
			if f.EgoSource != "none" || f.Ego.Trans != (r3.Vec{}) || f.Ego.Rot.Real != 1 || f.Lidar.Deskew != want {
				t.Fatalf("frame %d with Ego none (NoIMU %v): source %q pose %v deskew %q, want %q", f.Index, noIMU, f.EgoSource, f.Ego, f.Lidar.Deskew, want)
			}
		}
	}
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// surfaceStats counts, per LiDAR source, the fused returns on the ground
// (|z| ≤ 3 cm wanted) and on static boxes (≤ 3 cm from the true surface
// wanted), with the true ego pose at each frame's stamp.
type surfaceStats struct{ ground, groundBad, box, boxBad int }

func surfaces(t *testing.T, lf *logFixture, frames []*fused.Frame) map[string]*surfaceStats {
	t.Helper()
	tr := lf.truth
	drive, err := tr.Drive()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*surfaceStats{}
	for _, f := range frames {
		te := tr.BasePose(drive, f.Stamp)
		P := f.Lidar.Points
		for i := range P.X {
			name := f.Lidar.Sources[f.Lidar.Source[i]]
			st := out[name]
			if st == nil {
				st = &surfaceStats{}
				out[name] = st
			}
			w := te.Apply(r3.Vec{X: float64(P.X[i]), Y: float64(P.Y[i]), Z: float64(P.Z[i])})
			ts := float64(f.Stamp+P.TimeOffset[i]-tr.Start) / 1e9
			switch {
			case w.Z < 0.5 && !nearAnyObject(tr.Scene, w, ts, 0.3):
				st.ground++
				if math.Abs(w.Z) > 0.03 {
					st.groundBad++
				}
			case w.Z > 0.1:
				if _, d := nearestBox(tr.Scene, w); d < 0.3 {
					st.box++
					if math.Abs(d) > 0.03 {
						st.boxBad++
					}
				}
			}
		}
	}
	return out
}

// TestTwoLidarsMerged: a second LiDAR (lidar_rear, stamped at sweep end
// with float times ≤ 0) is merged into the reference sweep's frame with
// its own source id; both sources' returns lie on the true ground and box
// surfaces (±3 cm), and without deskewing they do not.
func TestTwoLidarsMerged(t *testing.T) {
	cfg := testRig(t, time.Second)
	cfg.Rig.Radars = nil
	cfg.Rig.AddSecondLidar()
	lf := generate(t, cfg)
	frames := run(t, lf, Pipeline{NoProject: true})
	both := 0
	for _, f := range frames {
		if f.Lidar == nil || len(f.Lidar.Sources) == 0 || f.Lidar.Sources[0] != "lidar_top" {
			t.Fatalf("frame %d: reference LiDAR not first", f.Index)
		}
		if len(f.Lidar.Sources) == 2 {
			both++
		}
		checkFrame(t, f)
	}
	if both < len(frames)-2 {
		t.Errorf("only %d of %d frames merge both LiDARs", both, len(frames))
	}
	st := surfaces(t, lf, frames)
	for _, name := range []string{"lidar_top", "lidar_rear"} {
		s := st[name]
		if s == nil {
			t.Fatalf("no %s returns", name)
		}
		t.Logf("%s: ground %d (%d beyond 3 cm), box %d (%d beyond 3 cm)", name, s.ground, s.groundBad, s.box, s.boxBad)
		if s.ground < 5000 || float64(s.groundBad) > 0.01*float64(s.ground) || s.box < 200 || float64(s.boxBad) > 0.01*float64(s.box) {
			t.Errorf("%s: ground %d/%d and box %d/%d beyond 3 cm", name, s.groundBad, s.ground, s.boxBad, s.box)
		}
	}
	rawSt := surfaces(t, lf, run(t, lf, Pipeline{NoProject: true, NoDeskew: true}))
	for name, s := range rawSt {
		t.Logf("raw %s: box %d (%d beyond 3 cm)", name, s.box, s.boxBad)
		if float64(s.boxBad) < 0.05*float64(s.box) {
			t.Errorf("raw %s: only %d of %d box returns beyond 3 cm; the check cannot tell deskewing", name, s.boxBad, s.box)
		}
	}
}

// TestOdometryEgo: with wheel odometry in the log (1% speed scale error)
// the ego source is odometry, clouds are deskewed with it and still lie on
// the true surfaces (±3 cm).
func TestOdometryEgo(t *testing.T) {
	cfg := testRig(t, time.Second)
	cfg.Rig.Radars = nil
	cfg.Rig.Odometry = &fixtures.OdomSpec{Name: "wheel_odom", RateHz: 50, SpeedScale: 1.01, LatencyMS: 5}
	lf := generate(t, cfg)
	frames := run(t, lf, Pipeline{NoProject: true, NoIMU: true})
	for k, f := range frames {
		if f.EgoSource != "odometry" {
			t.Fatalf("frame %d: ego source %q, want odometry (auto prefers it to /tf)", k, f.EgoSource)
		}
		if k < len(frames)-1 && f.Lidar.Deskew != "odometry" {
			t.Errorf("frame %d: deskew %q, want odometry", k, f.Lidar.Deskew)
		}
	}
	s := surfaces(t, lf, frames)["lidar_top"]
	t.Logf("odometry deskew: ground %d (%d beyond 3 cm), box %d (%d beyond 3 cm)", s.ground, s.groundBad, s.box, s.boxBad)
	if s.ground < 10000 || float64(s.groundBad) > 0.01*float64(s.ground) || s.box < 500 || float64(s.boxBad) > 0.01*float64(s.box) {
		t.Errorf("odometry deskew: ground %d/%d, box %d/%d beyond 3 cm", s.groundBad, s.ground, s.boxBad, s.box)
	}
	if tf := run(t, lf, Pipeline{NoProject: true, Ego: "tf"}); tf[0].EgoSource != "tf" {
		t.Errorf("Ego tf: source %q", tf[0].EgoSource)
	}
}

// TestReadCalibration: the extrinsics composed from /tf_static equal the
// truth's published extrinsics and the camera intrinsics its model; every
// item says where it came from.
func TestReadCalibration(t *testing.T) {
	lf := base1s(t)
	r, err := mcapread.NewReader(bytes.NewReader(lf.log), int64(len(lf.log)), "drive.mcap")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := ReadCalibration(context.Background(), r, "base_link")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range lf.truth.Sensors {
		if s.Kind == "tf" {
			continue
		}
		got, ok := cal.Extrinsics[s.Name]
		if !ok {
			t.Errorf("%s: no extrinsic (sources %v)", s.Name, cal.Source)
			continue
		}
		p := s.Published
		q := got.QuatXYZW()
		w := p.Quat()
		if d := r3.Norm(r3.Sub(got.Trans, r3.Vec{X: p.Translation[0], Y: p.Translation[1], Z: p.Translation[2]})); d > 1e-9 ||
			math.Abs(math.Abs(q[0]*w.Imag+q[1]*w.Jmag+q[2]*w.Kmag+q[3]*w.Real)-1) > 1e-9 {
			t.Errorf("%s: extrinsic %v, truth %+v", s.Name, got, p)
		}
		if src := cal.Source[s.Name]; src == "" {
			t.Errorf("%s: no calibration source", s.Name)
		}
		if s.Camera != nil {
			in, ok := cal.Infos[s.Name]
			if !ok || in.K[0] != s.Camera.Fx || in.K[4] != s.Camera.Fy || in.K[2] != s.Camera.Cx || in.K[5] != s.Camera.Cy ||
				in.Width != s.Camera.Width || in.DistortionModel != s.Camera.Model {
				t.Errorf("%s: camera info %+v, truth %+v", s.Name, in, s.Camera)
			}
		}
		if ts, ok := cal.Sensors[s.Topic]; !ok || ts.Name != s.Name {
			t.Errorf("%s: topic %s sensor %+v", s.Name, s.Topic, ts)
		}
	}
	if rs := lf.truth.Sensor("radar_front"); cal.Sensors[rs.Topic].Modality != formats.Radar {
		t.Errorf("radar_front: modality %v", cal.Sensors[rs.Topic].Modality)
	}
}

// TestPipelineErrors: bad configurations are errors that name the field.
func TestPipelineErrors(t *testing.T) {
	lf := base1s(t)
	for _, tc := range []struct {
		name string
		p    Pipeline
		want string
	}{
		{"unknown reference", Pipeline{Reference: "/nope"}, `fusion: reference LiDAR topic "/nope" not in the log`},
		{"no odometry", Pipeline{Ego: "odometry"}, "fusion: ego source odometry: no odometry topic in the log"},
		{"bad ego", Pipeline{Ego: "gps"}, `fusion: unknown ego source "gps" (want auto, odometry, gnss, tf or none)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := mcapread.NewReader(bytes.NewReader(lf.log), int64(len(lf.log)), "drive.mcap")
			if err != nil {
				t.Fatal(err)
			}
			tc.p.Reader = r
			if err := tc.p.Run(context.Background(), &collect{}); err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	if err := (&Pipeline{}).Run(context.Background(), &collect{}); err == nil {
		t.Error("nil Reader: no error")
	}
}
