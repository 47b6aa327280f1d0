package edge

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion/fused"
	"gonum.org/v1/gonum/spatial/r3"
)

// Options tune a Checker. The zero value gives the defaults.
type Options struct {
	// MaxFrames bounds the frames kept for the search (default 40); they
	// are spread evenly through the log (every k-th usable frame, k
	// doubling when full), so memory does not grow with the log.
	MaxFrames int
	// MinGap skips a frame stamped less than MinGap after the last frame
	// scored (default 0: score every frame). Decoding and transforming
	// the image is most of the cost (about 10 ms a frame for 480×300 on
	// one core), so 200 ms halves the work at 10 Hz and still dates a
	// change to a fraction of a second.
	MinGap time.Duration
	// Window is the length of the over-time windows (default 2 s).
	Window time.Duration
	// LidarOrigin is the reference LiDAR's position in the frames' base
	// frame (the translation of T_base_lidar), from which ranges are
	// measured for the depth discontinuities. Set it: with the zero vector
	// (base origin) the ranges, and so the depth edges, are wrong enough to
	// bias the estimate (0.95° estimated for a 0.5° error on the fixture
	// rig).
	LidarOrigin r3.Vec
	// Alpha and Gamma shape the inverse distance transform of the edge
	// image (defaults 1/3 and 0.8; Levinson & Thrun use 0.98, which at
	// camera resolutions below 1000 px blurs edges too far to locate them
	// to 0.1°); PointGamma is the exponent of the discontinuity weight
	// (default 0.5).
	Alpha, Gamma, PointGamma float64
	// HighPassRadius is the half-size (pixels) of the box mean subtracted
	// from the transform (default 8; negative turns it off, giving the
	// paper's score). It removes the pull of regions dense with edges.
	HighPassRadius int
	// MinJumpM drops discontinuities whose range jump is smaller (default
	// 0.3 m); MaxJumpM caps the jump of a weight (default 5 m).
	MinJumpM, MaxJumpM float64
	// MinEdgeHeightM is the least height (z in the frames' base frame,
	// z up, 0 on the ground as in REP-103 base_link) of a point with an
	// across-ring (horizontal) depth edge (default 0.3 m; +Inf turns
	// across-ring edges off).
	MinEdgeHeightM float64
	// MinHorizontalEdges is how many across-ring (horizontal) depth-edge
	// points the frames must hold for the vertical image direction (the
	// optical roll) to be searched (default 500): ring-wise edges are
	// vertical in the image and pull points along themselves, so without
	// enough horizontal edges the vertical optimum drifts by degrees.
	MinHorizontalEdges int
	// RotationRangeDeg is the half-width of the coarse rotation grid
	// (default 1°; the refinement stays within 1.5 times it); TranslationRangeM bounds the translation search
	// (default 0.1 m); TimeRange bounds the time-offset search (default
	// 50 ms).
	RotationRangeDeg  float64
	TranslationRangeM float64
	TimeRange         time.Duration
	// SearchTranslation adds translation to the local refinement. It is
	// off by default: edge alignment constrains translation weakly (5 cm
	// moves a point 10 m away by a fraction of a pixel), and on the
	// synthetic rig the translation optimum wanders by ±10 cm and drags
	// the rotation with it. Translation errors are better found by
	// LiDAR–LiDAR ICP.
	SearchTranslation bool
	// SearchImageRotation adds the rotation about the optical axis (the
	// "yaw" of the optical frame: the image turns about its centre) to
	// the search; `rigsync calib check` turns it on. It is searched after
	// the two other rotations, on its own grid, then jointly with them
	// (see searcher.imageRotation): depth edges along LiDAR rings are
	// mostly vertical in the image, so an in-image rotation slides points
	// along them and is constrained more weakly than the others, and in a
	// joint coarse grid (or on the few frames of a subset) its optimum
	// wandered by up to 1.5°. Its σ is the score's curvature's (the
	// subsets hold it at the full set's estimate). On the urban fixture
	// logs (8 s, seeds 1–3) a 0.5° error is estimated within 0.02–0.10°
	// with σ 0.04–0.07°, and the true calibration's estimate stays within
	// 0.14° on every camera. When on, the per-window probes about the
	// optical axis count for the window verdicts.
	SearchImageRotation bool
	// Verdict thresholds on the correction (defaults: rotation 0.3° /
	// 0.4°, translation 0.03 m / 0.06 m, time 8 ms / 15 ms for suspicious /
	// miscalibrated). A correction must also be significant (more than
	// 2 σ for suspicious, 3 σ for miscalibrated) to count. The rotation
	// defaults sit above the scatter of the estimate with the true
	// calibration on the synthetic rig (480×300 camera, 32×512 LiDAR, 6 s:
	// up to 0.1° in the horizontal image direction, up to 0.3° in the
	// vertical one, which only the few horizontal depth edges constrain).
	SuspiciousDeg, MiscalibratedDeg   float64
	SuspiciousM, MiscalibratedM       float64
	SuspiciousTime, MiscalibratedTime time.Duration
	// NoOverlays skips drawing the overlay images.
	NoOverlays bool
}

func (o *Options) defaults() {
	setF := func(p *float64, v float64) {
		if *p <= 0 || math.IsNaN(*p) {
			*p = v
		}
	}
	if o.MaxFrames <= 0 {
		o.MaxFrames = 40
	}
	if o.MaxFrames < 4 {
		o.MaxFrames = 4
	}
	if o.Window <= 0 {
		o.Window = 2 * time.Second
	}
	setF(&o.Alpha, 1.0/3)
	setF(&o.Gamma, 0.8)
	if o.HighPassRadius == 0 {
		o.HighPassRadius = 8
	}
	setF(&o.PointGamma, 0.5)
	setF(&o.MinJumpM, 0.3)
	setF(&o.MaxJumpM, 5)
	setF(&o.MinEdgeHeightM, 0.3)
	if o.MinHorizontalEdges <= 0 {
		o.MinHorizontalEdges = 500
	}
	setF(&o.RotationRangeDeg, 1)
	setF(&o.TranslationRangeM, 0.1)
	if o.TimeRange <= 0 {
		o.TimeRange = 50 * time.Millisecond
	}
	setF(&o.SuspiciousDeg, 0.3)
	setF(&o.MiscalibratedDeg, 0.4)
	setF(&o.SuspiciousM, 0.03)
	setF(&o.MiscalibratedM, 0.06)
	if o.SuspiciousTime <= 0 {
		o.SuspiciousTime = 8 * time.Millisecond
	}
	if o.MiscalibratedTime <= 0 {
		o.MiscalibratedTime = 15 * time.Millisecond
	}
}

// probeDeg is the rotation of the per-frame probe perturbations (about
// each optical axis, both signs) used for windows and change detection.
const probeDeg = 0.5

// maxOverlayPoints bounds the cloud kept per frame for the overlay.
const maxOverlayPoints = 6000

// frame is what a kept frame contributes to the score: the IDT of its
// image and its discontinuity points in the current camera frame.
type frame struct {
	stamp    int64 // frame (reference) stamp
	camStamp int64
	w, h     int
	idt      []uint8
	bias     float64   // subtracted from idt samples (128 when high-passed)
	pts      []float32 // x, y, z in the current optical frame
	wt       []float32
	across   int           // points with an across-ring (horizontal) edge
	ext      se3.Transform // static T_base_camera
	// vel (m/s) and omega (rad/s) are the base's twist in the base frame,
	// from the ego poses of this and the previous frame.
	vel, omega r3.Vec
	twist      bool
	// img and cloud (x, y, z in the current optical frame) are for the
	// overlay.
	img   formats.Payload
	cloud []float32
}

// summary is the per-frame score of the current calibration (j0) and of
// the probe perturbations (jn), kept for every usable frame.
type summary struct {
	stamp int64
	wsum  float64 // Σ weights of the frame's points
	pts   int     // depth-edge points in view
	// across counts the points with an across-ring (horizontal) edge
	across int
	j0     float64
	jn     [6]float64
}

// Checker checks one camera against one LiDAR. Feed it every fused frame
// in order with Add, then call Results once.
type Checker struct {
	cam, lidar string
	opt        Options
	model      camera.Model
	frames     []*frame
	every      int // keep every k-th usable frame
	seen       int // usable frames seen
	sums       []summary
	prevEgo    se3.Transform
	prevStamp  int64
	havePrev   bool
	skipped    map[string]int // reason → frames
	lastUsed   int64
	used       bool
	firstErr   error
	probes     [6]se3.Transform
	// sc holds the buffers of the image transform.
	sc scratch
	// ego counts the scored frames that had an ego-motion source (the
	// sweep motion-compensated and the camera placed at its own time).
	ego int
	// turning is set by Results when the kept frames turn enough for the
	// camera time to be observed (see minTimeRotDeg).
	turning bool
}

// minTimeRotDeg is the least rotation (degrees) that a camera time error
// of Options.MiscalibratedTime must cause at the frames' mean turn rate
// for the time to be searched. A time error shows as the rotation ω·Δt
// and as a forward translation v·Δt; the translation is weakly observed
// by edge alignment (see Options.SearchTranslation) and on a straight
// drive its score drifts steadily with the shift, so without turns the
// time is not checked and not searched jointly with the rotation. On the
// synthetic rig 3 s logs turn at 1–2°/s (15 ms: 0.02–0.03°), 6 s logs at
// about 7°/s (0.1°).
const minTimeRotDeg = 0.05

// meanTurnRate is the mean |ω| (rad/s) of the frames with ego motion.
func meanTurnRate(frames []*frame) float64 {
	s, n := 0.0, 0
	for _, fr := range frames {
		if fr.twist {
			s += math.Sqrt(fr.omega.X*fr.omega.X + fr.omega.Y*fr.omega.Y + fr.omega.Z*fr.omega.Z)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

// NewCameraChecker returns a checker of camera cam (its frame id, as in
// fused.Camera.Name) against the LiDAR named lidar (its frame id, as in
// fused.Cloud.Sources).
func NewCameraChecker(cam, lidar string, opt Options) *Checker {
	opt.defaults()
	c := &Checker{cam: cam, lidar: lidar, opt: opt, every: 1, skipped: map[string]int{}}
	for k := range 6 {
		var rpy [3]float64
		rpy[k/2] = probeDeg * float64(1-2*(k%2))
		c.probes[k] = correction(rpy, [3]float64{})
	}
	return c
}

// correction builds C from roll, pitch, yaw (degrees, R = Rz·Ry·Rx) and a
// translation (m).
func correction(rpy, t [3]float64) se3.Transform {
	d := math.Pi / 180
	T, err := se3.FromRPY(rpy[0]*d, rpy[1]*d, rpy[2]*d, r3.Vec{X: t[0], Y: t[1], Z: t[2]})
	if err != nil {
		return se3.Identity()
	}
	return T
}

// Add scores one fused frame. Frames without this camera, without the
// LiDAR or with an undecodable image are skipped (and counted for the
// result's note); Add returns an error only for a nil frame.
func (c *Checker) Add(f *fused.Frame) error {
	if f == nil {
		return errors.New("edge: nil frame")
	}
	c.add(f, c.advance(f), nil)
	return nil
}

// motion is the base's twist at a frame (see frame.vel, frame.omega).
type motion struct {
	vel, omega r3.Vec
	twist      bool
}

// advance takes the frame's ego pose (the frames must come in order) and
// returns the base's twist from the previous frame's.
func (c *Checker) advance(f *fused.Frame) motion {
	var m motion
	if f.EgoSource != "none" && f.EgoSource != "" {
		if c.havePrev && f.Stamp > c.prevStamp {
			dt := float64(f.Stamp-c.prevStamp) / 1e9
			M := c.prevEgo.Inverse().Mul(f.Ego)
			m = motion{r3.Scale(1/dt, M.Trans), r3.Scale(1/dt, M.AxisAngle()), dt < 1}
		}
		c.prevEgo, c.prevStamp, c.havePrev = f.Ego, f.Stamp, true
	}
	return m
}

// lidarSource is the index of the checker's LiDAR in the frame's cloud,
// or -1.
func (c *Checker) lidarSource(f *fused.Frame) int {
	if f.Lidar == nil {
		return -1
	}
	src := -1
	for i, s := range f.Lidar.Sources {
		if s == c.lidar {
			src = i
		}
	}
	return src
}

// edgeParams are the discontinuity settings for a frame with motion m.
func (c *Checker) edgeParams(m motion) edgeParams {
	ep := edgeParams{origin: c.opt.LidarOrigin, minJump: c.opt.MinJumpM, maxJump: c.opt.MaxJumpM,
		pointGamma: c.opt.PointGamma, minHeight: c.opt.MinEdgeHeightM, vertical: c.opt.MinEdgeHeightM < math.Inf(1)}
	if m.twist {
		// The origin's velocity: v + ω × o.
		ep.vel = r3.Add(m.vel, r3.Cross(m.omega, c.opt.LidarOrigin))
	}
	return ep
}

// add is Add after advance: everything but the ego-pose bookkeeping,
// with the frame's depth discontinuities from shared (found afresh when
// nil).
func (c *Checker) add(f *fused.Frame, m motion, shared *frameEdges) {
	vel, omega, twist := m.vel, m.omega, m.twist
	var cam *fused.Camera
	for i := range f.Cameras {
		if f.Cameras[i].Name == c.cam {
			cam = &f.Cameras[i]
			break
		}
	}
	if cam == nil {
		c.skip("camera missing")
		return
	}
	src := c.lidarSource(f)
	if src < 0 {
		c.skip("LiDAR missing")
		return
	}
	if c.used && c.opt.MinGap > 0 && f.Stamp-c.lastUsed < int64(c.opt.MinGap) {
		return // thinned out (Options.MinGap), not a problem
	}
	if c.model == nil {
		if cam.Info.K[0] == 0 || cam.Info.Width <= 0 || cam.Info.Height <= 0 {
			c.skip("no camera info")
			return
		}
		in := camera.Intrinsics{Fx: cam.Info.K[0], Fy: cam.Info.K[4], Cx: cam.Info.K[2], Cy: cam.Info.K[5],
			Width: cam.Info.Width, Height: cam.Info.Height}
		m, err := camera.New(cam.Info.DistortionModel, in, cam.Info.D)
		if err != nil {
			c.fail(fmt.Errorf("edge: camera %s: %w", c.cam, err))
			c.skip("bad camera info")
			return
		}
		c.model = m
	}
	in := c.model.Intrinsics()
	img, err := decodeImage(cam.Image, in.Width, in.Height)
	if err != nil {
		c.fail(fmt.Errorf("edge: camera %s (topic %s) image stamped %d (frame %d): %w", c.cam, cam.Topic, cam.Stamp, f.Index, err))
		c.skip("undecodable image")
		return
	}
	sc := &c.sc
	g, w, h := grayInto(sc.gray, img)
	sc.gray = g
	if len(f.Lidar.Points.Ring) != len(f.Lidar.Points.X) {
		c.skip("LiDAR points without rings")
		return
	}
	fr := &frame{stamp: f.Stamp, camStamp: cam.Stamp, w: w, h: h, ext: cam.StaticExtrinsic(),
		vel: vel, omega: omega, twist: twist, img: cam.Image}
	// The transform kept with the frame goes to a buffer of its own (the
	// last frame's when that was not kept); the intermediates to scratch.
	sc.edge = edgesInto(sc.edge, g, w, h)
	if c.opt.HighPassRadius > 0 {
		sc.low = idtInto(sc.low, sc.edge, w, h, c.opt.Alpha, c.opt.Gamma, sc)
		fr.idt, fr.bias = highPassInto(sc.spare, sc.low, w, h, c.opt.HighPassRadius, sc), 128
	} else {
		fr.idt = idtInto(sc.spare, sc.edge, w, h, c.opt.Alpha, c.opt.Gamma, sc)
	}
	sc.spare = nil
	kept := false
	defer func() {
		if !kept {
			sc.spare = fr.idt
		}
	}()
	inv := cam.BaseCamera.Inverse()
	marginU, marginV := 0.1*float64(w), 0.1*float64(h)
	keep := func(p r3.Vec) bool {
		if p.Z <= 0.5 {
			return false
		}
		u, v, ok := c.model.Project(p)
		return ok && u > -marginU && v > -marginV && u < float64(w)+marginU && v < float64(h)+marginV
	}
	for _, d := range shared.get(f.Lidar, uint8(src), c.edgeParams(m)) {
		p := inv.Apply(d.P)
		if !keep(p) {
			continue
		}
		fr.pts = append(fr.pts, float32(p.X), float32(p.Y), float32(p.Z))
		fr.wt = append(fr.wt, float32(d.W))
		if d.Across {
			fr.across++
		}
	}
	if len(fr.wt) < 10 {
		c.skip("too few depth edges in view")
		return
	}
	s := summary{stamp: f.Stamp, pts: len(fr.wt), across: fr.across, j0: c.frameScore(fr, se3.Identity(), 0)}
	for _, w := range fr.wt {
		s.wsum += float64(w)
	}
	for k, P := range c.probes {
		s.jn[k] = c.frameScore(fr, P, 0)
	}
	c.sums = append(c.sums, s)
	if f.EgoSource != "none" && f.EgoSource != "" {
		c.ego++
	}
	c.lastUsed, c.used = f.Stamp, true
	c.seen++
	if (c.seen-1)%c.every != 0 {
		return
	}
	if !c.opt.NoOverlays {
		fr.cloud = overlayCloud(f.Lidar, inv, keep)
	}
	c.frames = append(c.frames, fr)
	kept = true
	if len(c.frames) >= c.opt.MaxFrames {
		// Keep every other frame and halve the rate from now on.
		k := 0
		for i := 0; i < len(c.frames); i += 2 {
			c.frames[k] = c.frames[i]
			k++
		}
		clear(c.frames[k:])
		c.frames = c.frames[:k]
		c.every *= 2
	}
	return
}

func (c *Checker) skip(reason string) { c.skipped[reason]++ }

func (c *Checker) fail(err error) {
	if c.firstErr == nil {
		c.firstErr = err
	}
}

// overlayCloud returns the cloud's points in view (optical frame),
// decimated to at most maxOverlayPoints.
func overlayCloud(cl *fused.Cloud, inv se3.Transform, keep func(r3.Vec) bool) []float32 {
	P := &cl.Points
	var in []float32
	for i := range P.X {
		p := inv.Apply(r3.Vec{X: float64(P.X[i]), Y: float64(P.Y[i]), Z: float64(P.Z[i])})
		if keep(p) {
			in = append(in, float32(p.X), float32(p.Y), float32(p.Z))
		}
	}
	n := len(in) / 3
	if n <= maxOverlayPoints {
		return in
	}
	out := make([]float32, 0, 3*maxOverlayPoints)
	for k := range maxOverlayPoints {
		i := k * n / maxOverlayPoints
		out = append(out, in[3*i:3*i+3]...)
	}
	return out
}

// shifted returns the transform from current optical coordinates to the
// candidate's: C⁻¹ for a correction C, with the camera time shifted by
// dt ns folded in (ext⁻¹ · M(dt)⁻¹ · ext, M the base motion over dt).
func (fr *frame) shifted(C se3.Transform, dt int64) se3.Transform {
	Ci := C.Inverse()
	if dt == 0 || !fr.twist {
		return Ci
	}
	s := float64(dt) / 1e9
	M := se3.Exp([6]float64{fr.vel.X * s, fr.vel.Y * s, fr.vel.Z * s, fr.omega.X * s, fr.omega.Y * s, fr.omega.Z * s})
	return Ci.Mul(fr.ext.Inverse()).Mul(M.Inverse()).Mul(fr.ext)
}

// frameScore is one frame's J for correction C and time shift dt.
func (c *Checker) frameScore(fr *frame, C se3.Transform, dt int64) float64 {
	T := fr.shifted(C, dt)
	m := T.Matrix()
	t := T.Trans
	sum := 0.0
	for i, w := range fr.wt {
		x, y, z := float64(fr.pts[3*i]), float64(fr.pts[3*i+1]), float64(fr.pts[3*i+2])
		p := r3.Vec{
			X: m[0][0]*x + m[0][1]*y + m[0][2]*z + t.X,
			Y: m[1][0]*x + m[1][1]*y + m[1][2]*z + t.Y,
			Z: m[2][0]*x + m[2][1]*y + m[2][2]*z + t.Z,
		}
		if p.Z <= 0.1 {
			continue
		}
		u, v, ok := c.model.Project(p)
		if !ok {
			continue
		}
		if d, ok := sample(fr.idt, fr.w, fr.h, u, v); ok {
			sum += float64(w) * (d - fr.bias)
		}
	}
	return sum
}

// score is J summed over frames.
func (c *Checker) score(frames []*frame, C se3.Transform, dt int64) float64 {
	s := 0.0
	for _, fr := range frames {
		s += c.frameScore(fr, C, dt)
	}
	return s
}

func vec3(p []float32) r3.Vec { return r3.Vec{X: float64(p[0]), Y: float64(p[1]), Z: float64(p[2])} }
