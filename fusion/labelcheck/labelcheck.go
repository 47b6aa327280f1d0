package labelcheck

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/fused"
)

// Verdict is the outcome of a check: OK, Suspicious or Wrong.
type Verdict string

// The verdicts, from best to worst.
const (
	OK         Verdict = "ok"
	Suspicious Verdict = "suspicious"
	Wrong      Verdict = "wrong"
)

func (v Verdict) rank() int {
	switch v {
	case Suspicious:
		return 1
	case Wrong:
		return 2
	}
	return 0
}

// Worse returns the worse of two verdicts.
func Worse(a, b Verdict) Verdict {
	if b.rank() > a.rank() {
		return b
	}
	if a == "" {
		return OK
	}
	return a
}

// The error kinds a finding can have.
const (
	// KindShift: the box's centre is off the object's (Correction.Shift).
	KindShift = "shift"
	// KindYaw: the box's heading is off (Correction.YawDeg).
	KindYaw = "yaw"
	// KindSize: the box is larger or smaller than the object
	// (Correction.Size), or its size changes along its track.
	KindSize = "size"
	// KindTime: the box shows the moving object at another time than the
	// frame's (Correction.DtNS).
	KindTime = "time"
	// KindSpurious: the box lies in free space (LiDAR rays pass through
	// it, no point on it).
	KindSpurious = "spurious"
	// KindMissing: an object with points and no box (a track that
	// vanished while its object is still seen, or an unlabelled cluster).
	KindMissing = "missing"
	// KindIDSwitch: the box jumped to where another track was.
	KindIDSwitch = "id_switch"
	// KindClass: the box's class differs from its track's, or its size
	// does not fit its class.
	KindClass = "class"
	// KindPhysics: the track moves in a way vehicles do not (jumps,
	// acceleration, yaw rate).
	KindPhysics = "physics"
	// KindCamera: the box, projected into a camera at the camera's capture
	// time, disagrees with the image (its outline's sides are off the
	// image's edges; BoxResult.Cameras).
	KindCamera = "camera"
)

// Kinds lists the error kinds.
func Kinds() []string {
	return []string{KindShift, KindYaw, KindSize, KindTime, KindSpurious, KindMissing, KindIDSwitch, KindClass, KindPhysics, KindCamera}
}

// SizePrior is the plausible size range of a class (m).
type SizePrior struct {
	MinLength, MaxLength, MinWidth, MaxWidth, MinHeight, MaxHeight float64
}

// DefaultPriors are the size ranges of the common classes (m; typical
// passenger cars, rigid trucks and buses, street poles, people).
func DefaultPriors() map[string]SizePrior {
	return map[string]SizePrior{
		"car":        {3.0, 6.0, 1.4, 2.3, 1.2, 2.3},
		"truck":      {5.5, 20, 2.0, 3.0, 2.3, 4.5},
		"bus":        {8, 20, 2.3, 3.0, 2.5, 4.5},
		"pole":       {0.05, 1.0, 0.05, 1.0, 2.0, 15},
		"pedestrian": {0.2, 1.2, 0.2, 1.2, 0.8, 2.3},
		"bicycle":    {1.2, 2.2, 0.3, 1.0, 0.8, 2.0},
	}
}

// Options tune a Checker. The zero value uses the defaults.
type Options struct {
	// Origin is the LiDAR's origin in the frames' shared frame (rays are
	// cast from it to tell free space from occlusion; faces are seen from
	// it). Default: 0, 0, 1.9 m.
	Origin *r3.Vec
	// MaxRange bounds the boxes checked: farther boxes are counted as not
	// checked (default 60 m from Origin).
	MaxRange float64
	// MinPoints is the number of points a box needs for its fit to be
	// checked (default 12).
	MinPoints int
	// ShiftSuspicious and ShiftWrong are centre offsets in m (defaults
	// 0.12 and 0.2).
	ShiftSuspicious, ShiftWrong float64
	// YawSuspicious and YawWrong are heading errors in degrees (defaults
	// 1.5 and 2.2).
	YawSuspicious, YawWrong float64
	// SizeSuspicious and SizeWrong are relative size errors (defaults
	// 0.06 and 0.08).
	SizeSuspicious, SizeWrong float64
	// Priors are the class size ranges (DefaultPriors when nil).
	Priors map[string]SizePrior
	// ClusterRange bounds the search for unlabelled objects (default 40 m;
	// negative: no search).
	ClusterRange float64
	// KeepOK keeps the results of ok boxes in the report's Findings too;
	// without it only the boxes with findings are kept (the counts cover
	// all), and memory grows only by a few numbers per box.
	KeepOK bool
	// NoCameras skips the camera check (frames without camera images skip
	// it too).
	NoCameras bool
	// CameraEvery checks the boxes in the cameras on every CameraEvery-th
	// frame (from the first; default 5, i.e. 2 Hz at 10 Hz: decoding every
	// image would halve the check's speed).
	CameraEvery int
}

func (o *Options) defaults() {
	if o.Origin == nil {
		o.Origin = &r3.Vec{Z: 1.9}
	}
	def := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&o.MaxRange, 60)
	def(&o.ShiftSuspicious, 0.12)
	def(&o.ShiftWrong, 0.2)
	def(&o.YawSuspicious, 1.5)
	def(&o.YawWrong, 2.2)
	def(&o.SizeSuspicious, 0.06)
	def(&o.SizeWrong, 0.08)
	def(&o.ClusterRange, 40)
	if o.CameraEvery <= 0 {
		o.CameraEvery = 5
	}
	if o.MinPoints == 0 {
		o.MinPoints = 12
	}
	if o.Priors == nil {
		o.Priors = DefaultPriors()
	}
}

// maxTimeOffset bounds the time offsets a box's offset along its velocity
// is read as (ns): larger offsets are shifts (a sweep lasts about 100 ms).
const maxTimeOffset = 80e6

// Correction is the suggested fix of a box (see the package doc for the
// conventions).
type Correction struct {
	// Shift in the box's axes (x forward, y left, z up), m.
	Shift *[3]float64 `json:"shift_m,omitempty"`
	// YawDeg to add to the box's yaw.
	YawDeg *float64 `json:"yaw_deg,omitempty"`
	// Size is the measured length, width, height (m; a dimension that
	// could not be measured keeps the label's).
	Size *[3]float64 `json:"size_m,omitempty"`
	// DtNS is the time the box shows minus the frame's time (ns).
	DtNS *int64 `json:"dt_ns,omitempty"`
	// Class is the class the box's size and track suggest.
	Class string `json:"class,omitempty"`
}

// BoxResult is the check of one box (or, for KindMissing, of an object
// without a box).
type BoxResult struct {
	// Frame is the labels' frame index; Stamp the frame's time (ns).
	Frame int   `json:"frame"`
	Stamp int64 `json:"stamp_ns"`
	// ID and Class as labelled ("" for an unlabelled cluster).
	ID    string `json:"id"`
	Class string `json:"class"`
	// Center, Size and Yaw (rad) of the box as labelled (base_link), or of
	// the missing object's predicted box or cluster.
	Center [3]float64 `json:"center"`
	Size   [3]float64 `json:"size"`
	Yaw    float64    `json:"yaw"`
	// Speed is the box's speed over ground (m/s).
	Speed float64 `json:"speed_mps"`
	// Range from the LiDAR's origin (m).
	Range float64 `json:"range_m"`
	// Points on the box (after moving them to the box's time), Through the
	// LiDAR rays that pass through the box to something behind it.
	Points  int `json:"points"`
	Through int `json:"through,omitempty"`
	// Density is Points per m² of the faces the LiDAR sees, times the
	// range squared (points per steradian·1e-4: comparable across ranges).
	Density float64 `json:"density"`
	// Observed is false when the box had too few points to check its fit
	// (occluded, out of view or beyond MaxRange): not an error.
	Observed bool `json:"observed"`
	// Offset is the object's centre minus the box's, in the box's axes (m),
	// YawErrDeg the object's heading minus the box's, Measured the object's
	// length, width, height where the points show them (0: not seen).
	Offset    [3]float64 `json:"offset_m"`
	YawErrDeg float64    `json:"yaw_err_deg"`
	Measured  [3]float64 `json:"measured_size_m"`
	// TimeOffsetNS is the box's time offset estimated from its points and
	// velocity (moving boxes only).
	TimeOffsetNS *int64 `json:"time_offset_ns,omitempty"`
	// Verdict, the error kinds and reasons in words, and the suggested
	// correction.
	Verdict    Verdict    `json:"verdict"`
	Kinds      []string   `json:"kinds,omitempty"`
	Reasons    []string   `json:"reasons,omitempty"`
	Correction Correction `json:"correction,omitzero"`
	// Cameras are the box's camera checks (the cameras whose image shows
	// it whole, large enough and not behind a nearer box).
	Cameras []CameraView `json:"cameras,omitempty"`
	// Labels2D are the checks of the box's 2D labels (labels.Label2D).
	Labels2D []Label2DCheck `json:"labels_2d,omitempty"`

	seen    [3]bool    // which faces pairs (x, y both ends) were measured
	spacing float64    // the points' spacing near the seen faces, m
	azStep  float64    // the azimuth step at the box's range, m
	meanT   float64    // the points' mean capture time relative to the box's, s
	scale   [2]float64 // object size / box size implied by the seen x and y faces (0: not both seen)
}

func (b *BoxResult) flag(v Verdict, kind, reason string, args ...any) {
	b.Verdict = Worse(b.Verdict, v)
	if !slices.Contains(b.Kinds, kind) {
		b.Kinds = append(b.Kinds, kind)
	}
	b.Reasons = append(b.Reasons, fmt.Sprintf(reason, args...))
}

// HasKind reports whether the result has the error kind.
func (b *BoxResult) HasKind(kind string) bool { return slices.Contains(b.Kinds, kind) }

// Checker checks the labels of a stream of frames. Add every frame in
// order, then Finish.
type Checker struct {
	o      Options
	tracks map[string]*track
	order  []string // track ids in first-seen order
	boxes  []BoxResult
	frames []FrameResult
	nBoxes int
	// prevEgo is the previous frame's ego pose.
	prevEgo   se3.Transform
	prevStamp int64
	havePrev  bool
	// odo is the ego motion from the labels' static boxes (logs without
	// an ego source); held the first such frame, waiting for the second.
	odo  labelOdometry
	held *heldFrame
	// crops are the worst findings' top views (MaxCrops at most).
	crops []Crop
	// azRes is the reference LiDAR's azimuth step, from the first frame.
	azRes float64
	// camModels are the cameras' models by name (nil: not usable),
	// camStats the camera check's counts, camCrops its worst overlays.
	camModels map[string]camera.Model
	camStats  CameraStats
	camCrops  []CameraCrop
	camFrame  int // frames seen by checkCameras
	// zsBuf and ptsBuf are measure's scratch buffers, cloudBuf the
	// frame cloud's, clusterBuf clusters'.
	zsBuf      []float32
	ptsBuf     []boxPoint
	cloudBuf   cloudScratch
	clusterBuf clusterScratch
	// qsBuf, xsBuf, ysBuf and endBufs are measure's too.
	qsBuf        []r3.Vec
	xsBuf, ysBuf []float64
	endBufs      [3][]float64
	headBufs     [4][]float64
}

// boxPoint is a point near a box: q in the box's frame, z the height in
// the shared frame, t its time relative to the box's (s).
type boxPoint struct {
	q    r3.Vec
	z, t float64
}

// New returns a Checker.
func New(o Options) *Checker {
	o.defaults()
	return &Checker{o: o, tracks: map[string]*track{}}
}

// FrameResult is the verdict of one frame.
type FrameResult struct {
	Frame   int     `json:"frame"`
	Stamp   int64   `json:"stamp_ns"`
	Boxes   int     `json:"boxes"`
	Verdict Verdict `json:"verdict"`
	// Counts per verdict of the frame's boxes (missing objects included).
	Suspicious int `json:"suspicious,omitempty"`
	Wrong      int `json:"wrong,omitempty"`
}

// cloud is a frame's points, indexed for box queries.
type cloud struct {
	x, y, z []float32
	t       []int64
	// grid: cells of gridCell m over ±gridHalf m; start[c]..start[c+1]
	// index idx.
	start []int32
	idx   []int32
	// covered marks points inside some box's search region.
	covered []bool
	// az bins (lazy): azStart/azIdx like the grid, by azimuth from Origin.
	azStart []int32
	azIdx   []int32
	origin  r3.Vec
	// maxSlope is the highest elevation (as a slope) of any point within
	// 60 m, topSlope the same per degree of azimuth: the top of the
	// LiDAR's field of view (which a tilted mount makes vary).
	maxSlope float64
	topSlope []float64
	// azRes is the LiDAR's azimuth step (rad), estimated from consecutive
	// points of one ring.
	azRes float64
	// u is the ego velocity (m/s, base axes) the deskew did not remove: a
	// point captured t after the frame's stamp is at p + u·t.
	u r3.Vec
	// sc holds the buffers (see cloudScratch).
	sc *cloudScratch
}

// azBin is the 1° azimuth bin of a direction.
func azBin(dx, dy float64) int {
	b := int(math.Floor((fastAtan2(dy, dx) + math.Pi) * 180 / math.Pi))
	return min(max(b, 0), 359)
}

// fastAtan2 is atan2 within about 0.0015 rad (0.09°; Rajan et al., "Efficient
// approximations for the arctangent function", IEEE Signal Processing
// Magazine 2006): enough for azimuth bins.
func fastAtan2(y, x float64) float64 {
	ax, ay := math.Abs(x), math.Abs(y)
	if ax == 0 && ay == 0 {
		return 0
	}
	var a float64
	if ax >= ay {
		r := ay / ax
		a = math.Pi/4*r - r*(r-1)*(0.2447+0.0663*r)
	} else {
		r := ax / ay
		a = math.Pi/2 - (math.Pi/4*r - r*(r-1)*(0.2447+0.0663*r))
	}
	if x < 0 {
		a = math.Pi - a
	}
	if y < 0 {
		a = -a
	}
	return a
}

// translating are the deskew methods that remove the ego translation.
var translating = []string{"imu", "odometry", "gnss", "tf"}

// azimuthStep estimates the azimuth step of a cloud: the median azimuth
// difference of consecutive points of the same ring among the first
// points (0.35° when the cloud has no rings).
func azimuthStep(P *formats.Points, o r3.Vec) float64 {
	const def = 0.35 * math.Pi / 180
	if len(P.Ring) != P.Len() {
		return def
	}
	var d []float64
	n := min(P.Len(), 20000)
	maxRing := uint16(0)
	for _, r := range P.Ring[:n] {
		maxRing = max(maxRing, r)
	}
	last := make([]float64, int(maxRing)+1)
	for i := range last {
		last[i] = math.NaN()
	}
	for i := range n {
		a := math.Atan2(float64(P.Y[i])-o.Y, float64(P.X[i])-o.X)
		if p := last[P.Ring[i]]; !math.IsNaN(p) {
			if x := math.Abs(labels.WrapAngle(a - p)); x > 1e-5 && x < 0.05 {
				d = append(d, x)
			}
		}
		last[P.Ring[i]] = a
	}
	if len(d) < 50 {
		return def
	}
	slices.Sort(d)
	return d[len(d)/2]
}

const (
	gridCell = 1.0
	gridHalf = 100.0
	gridN    = int(2 * gridHalf / gridCell)
	azBins   = 1440
)

func cellOf(x, y float32) int {
	// int of a non-negative value is its floor (NaN fails the test).
	fi, fj := (float64(x)+gridHalf)/gridCell, (float64(y)+gridHalf)/gridCell
	if !(fi >= 0 && fj >= 0) {
		return -1
	}
	i, j := int(fi), int(fj)
	if i < 0 || j < 0 || i >= gridN || j >= gridN { // i, j < 0: overflow
		return -1
	}
	return i*gridN + j
}

// cloudScratch holds a cloud's index buffers from frame to frame (a
// Checker checks one frame at a time): reusing them keeps the check's
// allocations, and the garbage collector's work, from growing with every
// frame's points.
type cloudScratch struct {
	counts, cells, idx, fill []int32
	covered                  []bool
	topSlope                 []float64
	t                        []int64
	azCounts, azIdx, azFill  []int32
	azBins                   []int16
}

// grow returns buf resized to n (its contents are the caller's to set),
// with an eighth to spare when it must grow (clouds vary in size).
func grow[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n, n+n/8)
	}
	return buf[:n]
}

// newCloud indexes a frame's cloud; azRes is the LiDAR's azimuth step
// when known (0: estimated from the cloud). The cloud's buffers are sc's
// (nil: new ones): the cloud is valid until the next newCloud with sc.
func newCloud(c *fused.Cloud, origin r3.Vec, azRes float64, sc *cloudScratch) *cloud {
	if sc == nil {
		sc = &cloudScratch{}
	}
	cl := &cloud{origin: origin, maxSlope: math.Inf(-1), azRes: 0.35 * math.Pi / 180, sc: sc}
	if c == nil {
		sc.counts = grow(sc.counts, gridN*gridN+1)
		clear(sc.counts)
		cl.start = sc.counts
		return cl
	}
	P := &c.Points
	n := P.Len()
	cl.x, cl.y, cl.z = P.X, P.Y, P.Z
	cl.t = P.TimeOffset
	if len(cl.t) != n {
		sc.t = grow(sc.t, n)
		clear(sc.t)
		cl.t = sc.t
	}
	sc.covered = grow(sc.covered, n)
	clear(sc.covered)
	cl.covered = sc.covered
	sc.topSlope = grow(sc.topSlope, 360)
	cl.topSlope = sc.topSlope
	for i := range cl.topSlope {
		cl.topSlope[i] = math.Inf(-1)
	}
	cl.azRes = azRes
	if azRes <= 0 {
		cl.azRes = azimuthStep(P, origin)
	}
	sc.counts = grow(sc.counts, gridN*gridN+1)
	counts := sc.counts
	clear(counts)
	sc.cells = grow(sc.cells, n)
	cells := sc.cells
	for i := range n {
		k := cellOf(P.X[i], P.Y[i])
		if math.IsNaN(float64(P.X[i])) || math.IsNaN(float64(P.Y[i])) || math.IsNaN(float64(P.Z[i])) {
			k = -1
		}
		cells[i] = int32(k)
		if k >= 0 {
			counts[k+1]++
			// The top of the field of view is at most a few degrees below
			// the horizon: points far below the LiDAR do not bound it.
			dx, dy := float64(P.X[i])-origin.X, float64(P.Y[i])-origin.Y
			if d2 := dx*dx + dy*dy; d2 > 4 && d2 < 3600 && float64(P.Z[i]) > origin.Z-1.5 {
				sl := (float64(P.Z[i]) - origin.Z) / math.Sqrt(d2)
				cl.maxSlope = max(cl.maxSlope, sl)
				b := azBin(dx, dy)
				cl.topSlope[b] = max(cl.topSlope[b], sl)
			}
		}
	}
	for k := 1; k < len(counts); k++ {
		counts[k] += counts[k-1]
	}
	cl.start = counts
	sc.idx = grow(sc.idx, int(counts[len(counts)-1]))
	cl.idx = sc.idx
	sc.fill = append(sc.fill[:0], counts[:len(counts)-1]...)
	fill := sc.fill
	for i, k := range cells {
		if k >= 0 {
			cl.idx[fill[k]] = int32(i)
			fill[k]++
		}
	}
	return cl
}

// each calls fn for every point whose cell overlaps the square of half
// size r around (cx, cy).
func (cl *cloud) each(cx, cy, r float64, fn func(i int32)) {
	i0 := int(math.Floor((cx - r + gridHalf) / gridCell))
	i1 := int(math.Floor((cx + r + gridHalf) / gridCell))
	j0 := int(math.Floor((cy - r + gridHalf) / gridCell))
	j1 := int(math.Floor((cy + r + gridHalf) / gridCell))
	i0, j0 = max(i0, 0), max(j0, 0)
	i1, j1 = min(i1, gridN-1), min(j1, gridN-1)
	for i := i0; i <= i1; i++ {
		a := cl.start[i*gridN+j0]
		b := cl.start[i*gridN+j1+1]
		for _, p := range cl.idx[a:b] {
			fn(p)
		}
	}
}

func (cl *cloud) azimuthIndex() {
	if cl.azStart != nil {
		return
	}
	sc := cl.sc
	n := len(cl.x)
	sc.azCounts = grow(sc.azCounts, azBins+1)
	counts := sc.azCounts
	clear(counts)
	sc.azBins = grow(sc.azBins, n)
	bins := sc.azBins
	for i := range n {
		a := fastAtan2(float64(cl.y[i])-cl.origin.Y, float64(cl.x[i])-cl.origin.X)
		k := int((a + math.Pi) / (2 * math.Pi) * azBins)
		k = min(max(k, 0), azBins-1)
		bins[i] = int16(k)
		counts[k+1]++
	}
	for k := 1; k < len(counts); k++ {
		counts[k] += counts[k-1]
	}
	cl.azStart = counts
	sc.azIdx = grow(sc.azIdx, n)
	cl.azIdx = sc.azIdx
	sc.azFill = append(sc.azFill[:0], counts[:azBins]...)
	fill := sc.azFill
	for i, k := range bins {
		cl.azIdx[fill[k]] = int32(i)
		fill[k]++
	}
}

// track is what the Checker remembers of one box id.
type track struct {
	id      string
	classes map[string]int
	// last box in the world frame.
	lastStamp int64
	lastPos   r3.Vec // world
	lastYaw   float64
	lastVel   r3.Vec // world, m/s
	hasVel    bool
	lastSize  labels.Size
	lastClass string
	lastFrame int
	// switched: an id switch was found in the track.
	switched bool
	// refs are the track's boxes: results are appended to Checker.boxes
	// only when kept; a trackRef keeps the few fields the track checks
	// need.
	refs []trackRef
}

type trackRef struct {
	frame int
	stamp int64
	class string
	size  [3]float64
	res   int // index in Checker.boxes, or -1 when not kept (ok)
	// dt is the box's time offset estimate (hasDt: moving, enough points).
	dt    int64
	hasDt bool
	// dt0 is the estimate of any observed moving box.
	dt0      int64
	hasDt0   bool
	offset   [3]float64
	observed bool
	// sizeBad, classBad: the box's own measurement or its class prior
	// already found its size or class wrong.
	sizeBad, classBad bool
	speed             float64
	points            int
}

// Add checks the boxes of one frame against the fused frame f (its
// LiDAR cloud in base_link, deskewed to f.Stamp, with per-point times, and
// its ego pose). lf holds the frame's boxes in f's shared frame (base_link)
// at f.Stamp; a box whose TimeNS is set is taken at that time (on the
// labels' clock, lf.StampNS being f.Stamp). Add keeps neither f nor lf.
func (c *Checker) Add(f *fused.Frame, lf *labels.Frame) error {
	if f == nil || lf == nil {
		return fmt.Errorf("labelcheck: nil frame")
	}
	if f.EgoSource != "none" && f.EgoSource != "" {
		return c.add(f, lf, f.Ego, r3.Vec{}, false)
	}
	// Without an ego-motion source the labels' static boxes give it: the
	// frame's pose for the tracks, and the velocity the deskew missed.
	// The first frame waits for the second, whose motion it shares.
	if !c.odo.have {
		c.odo.step(lf, f.Stamp)
		c.held = holdFrame(f, lf)
		return nil
	}
	pose, u, ok := c.odo.step(lf, f.Stamp)
	ok = ok && f.Lidar != nil && !slices.Contains(translating, f.Lidar.Deskew)
	if h := c.held; h != nil {
		c.held = nil
		if err := c.add(h.f, &h.lf, se3.Identity(), u, ok); err != nil {
			return err
		}
	}
	return c.add(f, lf, pose, u, ok)
}

// heldFrame is a copy of a frame Add keeps until the next one.
type heldFrame struct {
	f  *fused.Frame
	lf labels.Frame
}

// holdFrame copies what add needs of a frame (the cloud's points and
// times, the stamp) and its labels.
func holdFrame(f *fused.Frame, lf *labels.Frame) *heldFrame {
	g := &fused.Frame{Index: f.Index, Stamp: f.Stamp, Clock: f.Clock, FrameID: f.FrameID, Ego: f.Ego, EgoSource: f.EgoSource}
	if f.Lidar != nil {
		P := &f.Lidar.Points
		g.Lidar = &fused.Cloud{Points: formats.Points{X: slices.Clone(P.X), Y: slices.Clone(P.Y), Z: slices.Clone(P.Z),
			Ring: slices.Clone(P.Ring), TimeOffset: slices.Clone(P.TimeOffset)}, Sources: slices.Clone(f.Lidar.Sources), Deskew: f.Lidar.Deskew}
	}
	h := &heldFrame{f: g, lf: *lf}
	h.lf.Boxes = slices.Clone(lf.Boxes)
	return h
}

// add checks one frame with its ego pose; u is the ego velocity the
// deskew missed when uOK.
func (c *Checker) add(f *fused.Frame, lf *labels.Frame, ego se3.Transform, u r3.Vec, uOK bool) error {
	cl := newCloud(f.Lidar, *c.o.Origin, c.azRes, &c.cloudBuf)
	c.azRes = cl.azRes // the LiDAR's step: estimated once
	fr := FrameResult{Frame: lf.Index, Stamp: f.Stamp, Boxes: len(lf.Boxes), Verdict: OK}
	egoFitted := false
	if uOK {
		cl.u, egoFitted = u, true
	}
	seen := map[string]bool{}
	type pending struct {
		res BoxResult
		box labels.Box
	}
	var results []pending
	for _, b := range lf.Boxes {
		if err := b.Validate(); err != nil {
			return fmt.Errorf("labelcheck: frame %d: %w", lf.Index, err)
		}
		if b.Frame != "" && f.FrameID != "" && b.Frame != f.FrameID {
			return fmt.Errorf("labelcheck: frame %d: box %s is in frame %q, the cloud in %q (transform the labels first)", lf.Index, b.ID, b.Frame, f.FrameID)
		}
		dt := int64(0)
		if b.TimeNS != 0 && lf.StampNS != 0 {
			dt = b.TimeNS - lf.StampNS
		}
		v := c.velocity(&b, ego, f.Stamp)
		r := c.measure(cl, &b, v, dt)
		r.Frame, r.Stamp = lf.Index, f.Stamp
		seen[b.ID] = true
		results = append(results, pending{r, b})
	}
	if f.Lidar != nil && !slices.Contains(translating, f.Lidar.Deskew) && !egoFitted {
		rs := make([]BoxResult, len(results))
		bs := make([]labels.Box, len(results))
		for i := range results {
			rs[i], bs[i] = results[i].res, results[i].box
		}
		if u, ok := egoResidual(rs, bs); ok {
			// Measure again with the fitted velocity removed from the
			// points, so that the boxes' regions (and the clusters left
			// outside them) are right too.
			cl.u = u
			clear(cl.covered)
			for i := range results {
				b := &results[i].box
				dt := int64(0)
				if b.TimeNS != 0 && lf.StampNS != 0 {
					dt = b.TimeNS - lf.StampNS
				}
				r := c.measure(cl, b, c.velocity(b, ego, f.Stamp), dt)
				r.Frame, r.Stamp = lf.Index, f.Stamp
				results[i].res = r
			}
		}
	}
	jobs := make([]camJob, len(results))
	for i := range results {
		b := &results[i].box
		v := c.velocity(b, ego, f.Stamp)
		c.judge(&results[i].res, b, v)
		jobs[i] = camJob{res: &results[i].res, box: b, v: v}
		if b.TimeNS != 0 && lf.StampNS != 0 {
			jobs[i].dt = b.TimeNS - lf.StampNS
		}
	}
	c.checkCameras(f, jobs)
	defer func() {
		// Crops after the continuity checks (id switches) too.
		for i := range results {
			c.keepCrop(cl, &results[i].res, &results[i].box, c.velocity(&results[i].box, ego, f.Stamp))
		}
	}()
	// Track continuity: id switches and jumps.
	for i := range results {
		c.continuity(&results[i].res, &results[i].box, ego, f.Stamp)
	}
	// Tracks that vanished while their object is still seen.
	var extra []BoxResult
	for _, id := range c.order {
		t := c.tracks[id]
		if seen[id] || t.lastFrame < 0 || f.Stamp <= t.lastStamp || f.Stamp-t.lastStamp > 3e9 {
			continue
		}
		if m, ok := c.predictMissing(cl, t, ego, f.Stamp); ok {
			m.Frame, m.Stamp = lf.Index, f.Stamp
			extra = append(extra, m)
		}
	}
	// Clusters no box covers.
	if c.o.ClusterRange > 0 {
		for _, m := range c.clusters(cl) {
			m.Frame, m.Stamp = lf.Index, f.Stamp
			// A cluster where a vanished track is predicted is that track.
			dup := false
			for _, e := range extra {
				if math.Hypot(e.Center[0]-m.Center[0], e.Center[1]-m.Center[1]) < 3 {
					dup = true
				}
			}
			if !dup {
				extra = append(extra, m)
			}
		}
	}
	// Record.
	for i := range results {
		p := &results[i]
		c.record(p.res, &p.box, ego, f.Stamp, c.velocity(&p.box, ego, f.Stamp))
		c.count(&fr, p.res.Verdict)
	}
	for _, m := range extra {
		c.boxes = append(c.boxes, m)
		c.count(&fr, m.Verdict)
	}
	c.frames = append(c.frames, fr)
	c.prevEgo, c.prevStamp, c.havePrev = ego, f.Stamp, true
	return nil
}

func (c *Checker) count(fr *FrameResult, v Verdict) {
	fr.Verdict = Worse(fr.Verdict, v)
	switch v {
	case Suspicious:
		fr.Suspicious++
	case Wrong:
		fr.Wrong++
	}
}

// velocity is the box's velocity over ground in base axes: its own, else
// its track's.
func (c *Checker) velocity(b *labels.Box, ego se3.Transform, stamp int64) r3.Vec {
	if b.Velocity != nil {
		return *b.Velocity
	}
	if t := c.tracks[b.ID]; t != nil && t.hasVel {
		return ego.Inverse().Rotate(t.lastVel)
	}
	return r3.Vec{}
}

// measure gathers the box's points and fits the box to them.
func (c *Checker) measure(cl *cloud, b *labels.Box, v r3.Vec, dt int64) BoxResult {
	r := BoxResult{ID: b.ID, Class: b.Class, Center: [3]float64{b.Center.X, b.Center.Y, b.Center.Z},
		Size: [3]float64{b.Size.Length, b.Size.Width, b.Size.Height}, Yaw: b.Yaw, Verdict: OK}
	r.Speed = math.Hypot(v.X, v.Y)
	o := *c.o.Origin
	r.Range = math.Hypot(b.Center.X-o.X, b.Center.Y-o.Y)
	T := b.Pose()
	Ti := T.Inverse()
	L, W, H := b.Size.Length, b.Size.Width, b.Size.Height
	const margin = 0.6
	reach := math.Hypot(L, W)/2 + margin + r3.Norm(v)*0.15 + 2
	// Ground near the box: a low percentile of the heights around it.
	// Scratch buffers, reused from box to box.
	zs := c.zsBuf[:0]
	pts := c.ptsBuf[:0]
	defer func() { c.zsBuf, c.ptsBuf = zs[:0], pts[:0] }()
	cl.each(b.Center.X, b.Center.Y, reach, func(i int32) {
		tt := float64(cl.t[i]-dt) * 1e-9
		te := float64(cl.t[i]) * 1e-9
		p := r3.Vec{X: float64(cl.x[i]) - v.X*tt + cl.u.X*te, Y: float64(cl.y[i]) - v.Y*tt + cl.u.Y*te, Z: float64(cl.z[i]) - v.Z*tt}
		q := Ti.Apply(p)
		zs = append(zs, cl.z[i])
		if math.Abs(q.X) <= L/2+margin && math.Abs(q.Y) <= W/2+margin && q.Z <= H/2+0.5 && q.Z >= -H/2-margin {
			cl.covered[i] = true
			pts = append(pts, boxPoint{q, p.Z, tt})
		}
	})
	// The ground: the second lowest point around the box, when at least 5
	// points lie within 0.3 m of it (else the object hides the ground and
	// its bottom is not checked).
	ground := math.Inf(-1)
	groundSeen := false
	if len(zs) >= 5 {
		lo1, lo2 := float32(math.Inf(1)), float32(math.Inf(1))
		for _, z := range zs {
			if z < lo1 {
				lo1, lo2 = z, lo1
			} else if z < lo2 {
				lo2 = z
			}
		}
		ground = float64(lo2)
		n := 0
		for _, z := range zs {
			if float64(z) < ground+0.3 {
				n++
			}
		}
		groundSeen = n >= 6
	}
	qs := c.qsBuf[:0]
	defer func() { c.qsBuf = qs[:0] }()
	for _, p := range pts {
		if p.z > ground+0.2 {
			qs = append(qs, p.q)
		}
	}
	r.Points = len(qs)
	s := Ti.Apply(o)
	// Density: points per m² of the seen faces, times range².
	area := 0.0
	if math.Abs(s.X) > L/2 {
		area += W * H
	}
	if math.Abs(s.Y) > W/2 {
		area += L * H
	}
	if area > 0 && r.Range > 0 {
		r.Density = float64(len(qs)) / area * r.Range * r.Range / 1e4
	}
	if len(qs) < c.o.MinPoints || r.Range > c.o.MaxRange {
		if len(qs) < 3 && r.Range <= c.o.MaxRange {
			r.Through = c.through(cl, b, v, dt)
		}
		return r
	}
	r.Observed = true
	// Heading.
	theta := 0.0
	if b.Size.Length >= 1.3*b.Size.Width && len(qs) >= 20 {
		theta = fitHeading(qs, 12*math.Pi/180, &c.headBufs)
	}
	r.YawErrDeg = theta * 180 / math.Pi
	ct, st := math.Cos(theta), math.Sin(theta)
	c.xsBuf, c.ysBuf = grow(c.xsBuf, len(qs)), grow(c.ysBuf, len(qs))
	xs, ys := c.xsBuf, c.ysBuf
	maxZ := math.Inf(-1)
	for _, p := range pts {
		if p.z > ground+0.2 {
			r.meanT += p.t
		}
	}
	r.meanT /= float64(len(qs))
	for i, q := range qs {
		xs[i] = ct*q.X + st*q.Y
		ys[i] = -st*q.X + ct*q.Y
		maxZ = max(maxZ, q.Z)
	}
	sx := ct*s.X + st*s.Y
	sy := -st*s.X + ct*s.Y
	offX, lenX, gX, dirX, bothX, okX := axisFit(xs, ys, sx, sy, L, W, &c.endBufs)
	offY, lenY, gY, dirY, bothY, okY := axisFit(ys, xs, sy, sx, W, L, &c.endBufs)
	r.spacing = max(gX, gY)
	r.azStep = r.Range * cl.azRes
	if min(L, W) < 1 {
		// A thin object (a pole) shows few columns: its faces are only as
		// sure as the azimuth step.
		r.spacing = max(r.spacing, r.Range*cl.azRes)
	}
	// A box grown or shrunk about its centre moves every seen face the
	// same way relative to the object: the object's size implied by each
	// seen face, as a scale of the box.
	if okX && okY && dirX != 0 && dirY != 0 {
		kx := (L + 2*offX*float64(dirX)) / L
		ky := (W + 2*offY*float64(dirY)) / W
		r.scale = [2]float64{kx, ky}
	}
	// Back to the box's axes.
	if okX || okY {
		r.Offset[0] = ct*offX - st*offY
		r.Offset[1] = st*offX + ct*offY
	}
	r.seen = [3]bool{bothX, bothY, false}
	if bothX {
		r.Measured[0] = lenX
	}
	if bothY {
		r.Measured[1] = lenY
	}
	// Height: the box's bottom against the ground, its top against the
	// highest point.
	if groundSeen {
		r.Measured[2] = maxZ - (ground - b.Center.Z)
		bottom := b.Center.Z - H/2
		r.Offset[2] = ground - bottom
	}
	setTimeOffset(&r, b, v)
	return r
}

// setTimeOffset sets the box's time offset from its offset along the
// velocity (moving boxes, ≥ 1 m/s).
func setTimeOffset(r *BoxResult, b *labels.Box, v r3.Vec) {
	r.TimeOffsetNS = nil
	spd := math.Hypot(v.X, v.Y)
	if spd >= 1 && r.Observed {
		d := b.Pose().Rotate(r3.Vec{X: r.Offset[0], Y: r.Offset[1]})
		along := (d.X*v.X + d.Y*v.Y) / spd
		dtEst := int64(math.Round(-along / spd * 1e9))
		r.TimeOffsetNS = &dtEst
	}
}

// egoResidual removes, when the frame's deskew had no translation source
// (imu-rotation, constant-velocity, none), the ego translation the deskew
// missed: every point of a sweep is then displaced by −u·t (u the ego
// velocity error, t its capture time), so each box's offset in base axes
// is −u·t̄ (t̄ its points' mean time) besides its own error. u is fitted by
// least squares over the frame's observed boxes, twice dropping boxes
// whose residual exceeds 0.15 m (a wrong box does not pull it), and
// removed from every box. It returns u (m/s, base axes) and whether it was
// fitted (three boxes or more).
func egoResidual(rs []BoxResult, bs []labels.Box) (r3.Vec, bool) {
	use := make([]bool, len(rs))
	for i := range rs {
		use[i] = rs[i].Observed && math.Abs(rs[i].meanT) > 0.005
	}
	var u r3.Vec
	for iter := range 3 {
		var sx, sy, st, n float64
		for i := range rs {
			if !use[i] {
				continue
			}
			d := bs[i].Pose().Rotate(r3.Vec{X: rs[i].Offset[0], Y: rs[i].Offset[1]})
			t := rs[i].meanT
			sx += d.X * t
			sy += d.Y * t
			st += t * t
			n++
		}
		if n < 3 || st == 0 {
			return r3.Vec{}, false
		}
		u = r3.Vec{X: -sx / st, Y: -sy / st}
		if iter == 2 {
			break
		}
		for i := range rs {
			if !use[i] {
				continue
			}
			d := bs[i].Pose().Rotate(r3.Vec{X: rs[i].Offset[0], Y: rs[i].Offset[1]})
			t := rs[i].meanT
			if math.Hypot(d.X+u.X*t, d.Y+u.Y*t) > 0.15 {
				use[i] = false
			}
		}
	}
	for i := range rs {
		if !rs[i].Observed {
			continue
		}
		Ri := bs[i].Pose().Inverse()
		c := Ri.Rotate(r3.Scale(rs[i].meanT, u))
		rs[i].Offset[0] += c.X
		rs[i].Offset[1] += c.Y
	}
	return u, true
}

// axisFit estimates the object's centre offset and extent along one box
// axis from the points' coordinates c along it: s is the sensor's
// coordinate along the axis and so its coordinate along the other axis,
// size the box's extent along the axis and other the other extent. Both
// ends are seen when the sensor sees the side face along the axis (|so| >
// other/2); else only the end facing the sensor. bufs are scratch buffers
// (reused from call to call).
func axisFit(c, co []float64, s, so, size, other float64, bufs *[3][]float64) (off, length, spacing float64, dir int, both, ok bool) {
	if len(c) < 3 {
		return 0, 0, 0, 0, false, false
	}
	// The k lowest and k highest coordinates, in order (the only ones
	// read: a sort of all of them costs more than the rest of the fit).
	k := min(len(c), 12)
	low, high := lowest(c, k, bufs[0]), highest(c, k, bufs[1])
	defer func() { bufs[0], bufs[1] = low, high }()
	// Robust ends: the second point from each end.
	lo, hi := low[1], high[len(high)-2]
	// A face is seen when the points near its end spread across it (else
	// the end is an occlusion edge or the far corner of the side face).
	face := func(end float64) bool {
		if other < 1 {
			return true // thin objects: no face to speak of
		}
		a, b := math.Inf(1), math.Inf(-1)
		for i, v := range c {
			if math.Abs(v-end) <= 0.1 {
				a, b = min(a, co[i]), max(b, co[i])
			}
		}
		return b-a >= min(0.5, 0.4*other)
	}
	// Spacing of the points near each end (half of it is the expected
	// shortfall of the outermost point from the edge).
	gap := func(vals []float64) float64 {
		if len(vals) < 2 {
			return 0
		}
		g := make([]float64, 0, len(vals)-1)
		for i := 1; i < len(vals); i++ {
			g = append(g, vals[i]-vals[i-1])
		}
		slices.Sort(g)
		return g[len(g)/2]
	}
	gLo := gap(low)
	gHi := gap(high)
	// Both ends are seen on the side face (at a grazing angle the far end
	// falls short: only a length longer than the box is sure).
	if math.Abs(so) > other/2 && hi-lo > 0.5*size {
		both = true
		length = hi + gHi/2 - (lo - gLo/2)
	}
	// The end facing the sensor, seen well off its plane, that shows no
	// face is hidden by something nearer (its points stop at an occlusion
	// edge on the side face): the side face's extent then says nothing of
	// the centre (urban seed 2, car 9: a rear end hidden, read as 0.9 m
	// off).
	nearHidden := math.Abs(s)-size/2 >= 0.3*(math.Abs(so)-other/2) &&
		(s > size/2 && !face(hi) || s < -size/2 && !face(lo))
	// The face's position: the median of the points on it (within 10 cm
	// of its end, away from the side faces), not its outermost points,
	// which range noise pushes out by about two standard deviations (1-2
	// cm: 5-10 ms at 2 m/s along the velocity); end when there are fewer
	// than 8.
	facePos := func(end float64) float64 {
		vs := bufs[2][:0]
		defer func() { bufs[2] = vs[:0] }()
		for i, v := range c {
			if math.Abs(v-end) <= 0.1 && math.Abs(co[i]) < other/2-0.15 {
				vs = append(vs, v)
			}
		}
		if len(vs) < 8 {
			return end
		}
		return nth(vs, len(vs)/2)
	}
	// The centre from the face the sensor sees, which is sampled densely.
	switch {
	case s > size/2 && face(hi):
		return facePos(hi) - size/2, length, gHi, 1, both, true
	case s < -size/2 && face(lo):
		return facePos(lo) + size/2, length, gLo, -1, both, true
	case both && !nearHidden:
		return (lo - gLo/2 + hi + gHi/2) / 2, length, max(gLo, gHi), 0, both, true
	}
	return 0, length, 0, 0, both, false
}

// lowest returns the k lowest values of c in ascending order, in buf
// (grown to k when too small): what slices.Sort(c)[:k] holds, in O(k·n).
func lowest(c []float64, k int, buf []float64) []float64 {
	out := buf[:0]
	if cap(out) < k {
		out = make([]float64, 0, k)
	}
	for _, v := range c {
		if len(out) == k {
			if v >= out[k-1] {
				continue
			}
			out = out[:k-1]
		}
		j, _ := slices.BinarySearch(out, v)
		out = slices.Insert(out, j, v)
	}
	return out
}

// highest returns the k highest values of c in ascending order, in buf:
// what slices.Sort(c)[len(c)-k:] holds.
func highest(c []float64, k int, buf []float64) []float64 {
	out := buf[:0]
	if cap(out) < k {
		out = make([]float64, 0, k)
	}
	for _, v := range c {
		if len(out) == k {
			if v <= out[0] {
				continue
			}
			out = append(out[:0], out[1:]...)
		}
		j, _ := slices.BinarySearch(out, v)
		out = slices.Insert(out, j, v)
	}
	return out
}

// nth returns the value that slices.Sort would put at index i of vs
// (quickselect; vs is reordered, it holds no NaN).
func nth(vs []float64, i int) float64 {
	lo, hi := 0, len(vs)-1
	for lo < hi {
		p := vs[lo+(hi-lo)/2]
		a, b := lo, hi
		for a <= b {
			for vs[a] < p {
				a++
			}
			for vs[b] > p {
				b--
			}
			if a <= b {
				vs[a], vs[b] = vs[b], vs[a]
				a++
				b--
			}
		}
		switch {
		case i <= b:
			hi = b
		case i >= a:
			lo = a
		default:
			return vs[i]
		}
	}
	return vs[i]
}

// fitHeading returns the rotation (rad, within ±span) of the 2D
// rectangle that fits the points best by the closeness criterion of Zhang
// et al. (IV 2017): coarse 1° steps, then 0.1°. bufs are scratch buffers
// (reused from call to call).
func fitHeading(qs []r3.Vec, span float64, bufs *[4][]float64) float64 {
	// At most 400 points, evenly.
	step := max(1, len(qs)/400)
	px, py := bufs[0][:0], bufs[1][:0]
	for i := 0; i < len(qs); i += step {
		px = append(px, qs[i].X)
		py = append(py, qs[i].Y)
	}
	n := len(px)
	c1, c2 := grow(bufs[2], n), grow(bufs[3], n)
	*bufs = [4][]float64{px, py, c1, c2}
	score := func(th float64) float64 {
		ct, st := math.Cos(th), math.Sin(th)
		min1, max1, min2, max2 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for i := range n {
			c1[i] = ct*px[i] + st*py[i]
			c2[i] = -st*px[i] + ct*py[i]
			min1, max1 = min(min1, c1[i]), max(max1, c1[i])
			min2, max2 = min(min2, c2[i]), max(max2, c2[i])
		}
		const d0 = 0.01
		sum := 0.0
		for i := range n {
			d1 := min(max1-c1[i], c1[i]-min1)
			d2 := min(max2-c2[i], c2[i]-min2)
			sum += 1 / max(min(d1, d2), d0)
		}
		return sum
	}
	best, bs := 0.0, math.Inf(-1)
	deg := math.Pi / 180
	for th := -span; th <= span+1e-9; th += deg {
		if s := score(th); s > bs {
			best, bs = th, s
		}
	}
	c := best
	for th := c - deg; th <= c+deg+1e-9; th += 0.1 * deg {
		if s := score(th); s > bs {
			best, bs = th, s
		}
	}
	return best
}

// through counts the LiDAR rays that pass through the box (shrunk by 0.1
// m, moved with the object to each ray's time) and end behind it.
func (c *Checker) through(cl *cloud, b *labels.Box, v r3.Vec, dt int64) int {
	if len(cl.x) == 0 {
		return 0
	}
	cl.azimuthIndex()
	o := cl.origin
	corners := b.Corners()
	// Azimuth interval of the box seen from the origin.
	a0 := math.Atan2(b.Center.Y-o.Y, b.Center.X-o.X)
	lo, hi := 0.0, 0.0
	for _, p := range corners {
		d := labels.WrapAngle(math.Atan2(p.Y-o.Y, p.X-o.X) - a0)
		lo, hi = min(lo, d), max(hi, d)
	}
	T := b.Pose()
	Ti := T.Inverse()
	hl, hw, hh := b.Size.Length/2-0.1, b.Size.Width/2-0.1, b.Size.Height/2-0.1
	if hl <= 0 || hw <= 0 || hh <= 0 {
		return 0
	}
	n := 0
	k0 := int(math.Floor((a0 + lo + math.Pi) / (2 * math.Pi) * azBins))
	k1 := int(math.Floor((a0 + hi + math.Pi) / (2 * math.Pi) * azBins))
	for k := k0; k <= k1; k++ {
		kk := ((k % azBins) + azBins) % azBins
		for _, i := range cl.azIdx[cl.azStart[kk]:cl.azStart[kk+1]] {
			tt := float64(cl.t[i]-dt) * 1e-9
			te := float64(cl.t[i]) * 1e-9
			shift := r3.Vec{X: v.X * tt, Y: v.Y * tt, Z: v.Z * tt}
			raw := r3.Vec{X: float64(cl.x[i]) + cl.u.X*te, Y: float64(cl.y[i]) + cl.u.Y*te, Z: float64(cl.z[i])}
			p := Ti.Apply(r3.Sub(raw, shift))
			q := Ti.Apply(r3.Sub(o, shift))
			if segmentThrough(q, p, hl, hw, hh) {
				n++
			}
		}
	}
	return n
}

// segmentThrough reports whether the segment a→b enters the axis-aligned
// box of half sizes h and ends beyond it (slab test).
func segmentThrough(a, b r3.Vec, hx, hy, hz float64) bool {
	if math.Abs(b.X) <= hx && math.Abs(b.Y) <= hy && math.Abs(b.Z) <= hz {
		return false
	}
	t0, t1 := 0.0, 1.0
	d := r3.Sub(b, a)
	for _, ax := range [3][3]float64{{a.X, d.X, hx}, {a.Y, d.Y, hy}, {a.Z, d.Z, hz}} {
		p, dd, h := ax[0], ax[1], ax[2]
		if math.Abs(dd) < 1e-12 {
			if math.Abs(p) > h {
				return false
			}
			continue
		}
		ta, tb := (-h-p)/dd, (h-p)/dd
		if ta > tb {
			ta, tb = tb, ta
		}
		t0, t1 = max(t0, ta), min(t1, tb)
		if t0 > t1 {
			return false
		}
	}
	return t1 < 1
}

// judge turns a box's measurements into its verdict, kinds and correction.
func (c *Checker) judge(r *BoxResult, b *labels.Box, v r3.Vec) {
	o := &c.o
	if pr, ok := o.Priors[strings.ToLower(b.Class)]; ok {
		sz := b.Size
		if sz.Length < pr.MinLength || sz.Length > pr.MaxLength || sz.Width < pr.MinWidth || sz.Width > pr.MaxWidth ||
			sz.Height < pr.MinHeight || sz.Height > pr.MaxHeight {
			r.flag(Wrong, KindClass, "size %.2f×%.2f×%.2f m is not a %s's", sz.Length, sz.Width, sz.Height, b.Class)
			if cl := c.classFor(sz); cl != "" {
				r.Correction.Class = cl
			}
		}
	}
	if !r.Observed {
		if r.Points < 3 && r.Range <= o.MaxRange && r.Through >= 15 {
			r.flag(Wrong, KindSpurious, "no point on the box, %d LiDAR rays pass through it", r.Through)
		}
		return
	}
	// Size: a box too short (points beyond both its ends), or a box grown
	// or shrunk about its centre (every seen face off the same way, by
	// the same scale).
	dims := [3]float64{b.Size.Length, b.Size.Width, b.Size.Height}
	names := [3]string{"length", "width", "height"}
	sizeBad := false
	meas := dims
	if kx, ky := r.scale[0], r.scale[1]; kx > 0 && ky > 0 {
		k := (kx + ky) / 2
		if math.Abs(kx-ky) < 0.035 && math.Abs(k-1) >= o.SizeWrong*0.6 && math.Abs(k-1)*b.Size.Width/2 >= max(0.06, r.spacing/2) {
			sizeBad = true
			meas = [3]float64{dims[0] * k, dims[1] * k, dims[2] * k}
			r.flag(Wrong, KindSize, "every seen face is off by the same scale: the object is %.0f%% of the box (%.2f×%.2f m against %.2f×%.2f m)",
				k*100, meas[0], meas[1], dims[0], dims[1])
		}
	}
	for i := range 2 {
		if sizeBad || !r.seen[i] || r.Measured[i] <= 0 {
			continue
		}
		if abs := r.Measured[i] - dims[i]; abs > max(0.1+r.spacing, o.SizeWrong*dims[i]) {
			meas[i] = r.Measured[i]
			sizeBad = true
			r.flag(Wrong, KindSize, "%s %.2f m, the points span %.2f m", names[i], dims[i], r.Measured[i])
		}
	}
	if sizeBad {
		r.Correction.Size = &meas
	}
	// Centre (not when the size explains the offsets).
	off := r.Offset
	horiz := math.Hypot(off[0], off[1])
	if sizeBad {
		horiz = 0
	}
	// The points' spacing bounds how sure a face is: along it (the gaps
	// of its points) and across the azimuth steps at the box's range.
	susp := max(o.ShiftSuspicious, 0.75*r.spacing, 0.5*r.azStep)
	wrong := max(o.ShiftWrong, 1.25*r.spacing, 0.8*r.azStep)
	if min(b.Size.Length, b.Size.Width) < 1 {
		susp, wrong = max(o.ShiftSuspicious, r.spacing), max(o.ShiftWrong, 1.5*r.spacing)
	}
	if math.Abs(r.YawErrDeg) >= o.YawSuspicious {
		vd := Suspicious
		if math.Abs(r.YawErrDeg) >= o.YawWrong {
			vd = Wrong
		}
		y := r.YawErrDeg
		r.Correction.YawDeg = &y
		r.flag(vd, KindYaw, "heading off by %.1f°", r.YawErrDeg)
	}
	if horiz >= susp || math.Abs(off[2]) >= 0.3 {
		vd := Suspicious
		if horiz >= wrong || math.Abs(off[2]) >= 0.3 {
			vd = Wrong
		}
		sh := off
		if math.Abs(off[2]) < 0.3 {
			sh[2] = 0
		}
		r.Correction.Shift = &sh
		kind := KindShift
		spd := math.Hypot(v.X, v.Y)
		if spd >= 1 && r.TimeOffsetNS != nil && math.Abs(off[2]) < 0.3 {
			// Along the velocity?
			T := b.Pose()
			d := T.Rotate(r3.Vec{X: off[0], Y: off[1]})
			along := (d.X*v.X + d.Y*v.Y) / spd
			perp := math.Sqrt(max(0, d.X*d.X+d.Y*d.Y-along*along))
			dtv := *r.TimeOffsetNS
			if perp < 0.35*math.Abs(along) && math.Abs(float64(dtv)) <= maxTimeOffset {
				kind = KindTime
				r.Correction.DtNS = &dtv
			}
		}
		if kind == KindTime {
			r.flag(vd, kind, "box %.2f m off along the velocity: it shows the object %+.0f ms from the frame's time", horiz, float64(*r.TimeOffsetNS)/1e6)
		} else {
			r.flag(vd, kind, "centre off by %.2f m (x %+.2f, y %+.2f, z %+.2f in the box's axes)", math.Hypot(horiz, off[2]), off[0], off[1], off[2])
		}
	}
}

// classFor is the class whose prior the size fits, or "".
func (c *Checker) classFor(sz labels.Size) string {
	names := make([]string, 0, len(c.o.Priors))
	for k := range c.o.Priors {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		pr := c.o.Priors[k]
		if sz.Length >= pr.MinLength && sz.Length <= pr.MaxLength && sz.Width >= pr.MinWidth && sz.Width <= pr.MaxWidth &&
			sz.Height >= pr.MinHeight && sz.Height <= pr.MaxHeight {
			return k
		}
	}
	return ""
}
