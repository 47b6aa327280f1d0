package labelsapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/labelcheck"
	"github.com/rigsync/rigsync/internal/atomicfile"
	"github.com/rigsync/rigsync/internal/outguard"
)

// Attribute keys labels sync writes on every box.
const (
	// AttrShownTime is the time (ns, the labels' clock) the input box
	// showed its object: the frame's stamp plus the offset estimated from
	// its points and velocity.
	AttrShownTime = "rigsync.shown_time_ns"
	// AttrPointsTime is the mean capture time of the box's LiDAR points
	// (ns, the labels' clock): when the LiDAR saw the object.
	AttrPointsTime = "rigsync.points_time_ns"
	// AttrPoints is the number of LiDAR points on the box.
	AttrPoints = "rigsync.points"
)

// minSyncShift is the smallest move (m) Sync makes: a box whose time
// offset moves it less is within the fit's noise (a few cm) and stays.
const minSyncShift = 0.1

// SyncResult is what Sync did.
type SyncResult struct {
	Log    string `json:"log"`
	Labels string `json:"labels"`
	Out    string `json:"out"`
	Clock  string `json:"clock"`
	// Frames written, Boxes in them, Moved the boxes moved to the frame's
	// time (their offset along the velocity was a time), CameraBoxes the
	// camera-synced boxes written.
	Frames      int `json:"frames"`
	Boxes       int `json:"boxes"`
	Moved       int `json:"moved"`
	CameraBoxes int `json:"camera_boxes"`
	// Cameras says, per camera, how far the frame-time boxes are drawn
	// from where the camera saw their objects (camera_sync.go).
	Cameras []CameraSync `json:"cameras"`
	// Shutter says how camera capture times were taken: "global
	// (mid-exposure stamp)" for every camera, or per camera (by name)
	// which are rolling shutter with which readout (from --rig).
	Shutter string   `json:"shutter"`
	Notes   []string `json:"notes,omitempty"`
	// Problems is what the log readers could not read (internal/app/losses).
	Problems []fusion.InputProblem `json:"problems"`
}

// Sync writes time-aligned labels to out (rigsync labels JSON): every box
// of a fused frame moved to the frame's reference time (by −v·Δt, Δt the
// time it showed, estimated from its points' capture times and its
// velocity; TimeNS set to the frame's stamp; AttrShownTime and
// AttrPointsTime say when the input box and the LiDAR saw the object),
// and per camera whose image shows the box's centre a camera-synced box:
// where the object was at the camera's capture time, in base_link at the
// frame's time, so that projecting it with the frame's camera pose lines
// up with the image. The capture time is the image's mid-exposure stamp
// (global shutter), or, for a camera with a rolling_shutter in o.Rig,
// the time the row of the object's projected centre was exposed (see
// captureOf).
// A box is moved only when the move is at least 10 cm (below that its
// offset is the fit's noise). Boxes stay in base_link; labels frames that match no fused frame are
// written unchanged.
func Sync(ctx context.Context, o Options, out string) (*SyncResult, error) {
	if out == "" {
		return nil, UsageError{errors.New("labels sync: -o OUT is required")}
	}
	if len(o.Logs) == 0 {
		return nil, UsageError{errors.New("labels sync: no log given")}
	}
	if err := outguard.Check(out, append([]string{o.Labels}, o.Logs...)); err != nil {
		return nil, UsageError{fmt.Errorf("labels sync: %w", err)}
	}
	set, _, err := ReadLabels(o.Labels, o.Format)
	if err != nil {
		return nil, err
	}
	o.WithCameras = true
	res := &SyncResult{Log: o.Logs[0], Labels: o.Labels, Out: out}
	shutters := map[string]*rig.RollingShutter{}
	// The ego motion over the last fused frame spacing (T_base(prev)_base(cur))
	// carries the camera along its rolling-shutter readout.
	var prevEgo se3.Transform
	var prevStamp int64
	var egoStep se3.Transform
	var egoStepNS int64
	var pending []pendingCamera
	var views []cameraView
	addCamera := func(b *labels.Box, pc pendingCamera) {
		at, cc, inView := captureOf(&pc.cam, pc.m, pc.rs, pc.center, pc.v, pc.frameNS, egoStep, egoStepNS)
		if !inView {
			return
		}
		views = append(views, cameraView{frame: pc.frame, box: pc.box, k: len(b.Cameras), camera: pc.cam.Name, toCam: pc.cam.BaseCamera.Inverse(), m: pc.m})
		b.Cameras = append(b.Cameras, labels.CameraBox{Camera: pc.cam.Name, TimeNS: pc.labelsNS + (at - pc.frameNS), Center: cc, Yaw: pc.yaw})
		res.CameraBoxes++
	}
	done := map[int]labels.Frame{}
	models := map[string]camera.Model{}
	var chk *labelcheck.Checker
	var timed []syncBox
	res.Problems, err = Frames(ctx, o, set, func(f *fused.Frame, lf *labels.Frame, origin r3.Vec) error {
		res.Clock = f.Clock
		if prevStamp != 0 && f.Stamp > prevStamp {
			egoStep, egoStepNS = prevEgo.Inverse().Mul(f.Ego), f.Stamp-prevStamp
		}
		prevEgo, prevStamp = f.Ego, f.Stamp
		if egoStepNS > 0 {
			for _, pc := range pending {
				addCamera(&done[pc.frame].Boxes[pc.box], pc)
			}
			pending = pending[:0]
		}
		if lf == nil {
			return nil
		}
		// With a rolling shutter the camera moves along the readout: a
		// frame before the ego step is known waits for the next one.
		defer_ := egoStepNS == 0 && rigHasRolling(o.Rig)
		if chk == nil {
			co := o.Check
			if co.Origin == nil {
				co.Origin = &origin
			}
			chk = labelcheck.New(co)
		}
		times, err := chk.Times(f, lf)
		if err != nil {
			return err
		}
		outF := *lf
		outF.Boxes = make([]labels.Box, len(lf.Boxes))
		for i, b := range lf.Boxes {
			bt := times[i]
			v := bt.Velocity
			timed = append(timed, syncBox{frame: lf.Index, box: i, id: b.ID, stamp: lf.StampNS, bt: bt})
			b.TimeNS = lf.StampNS
			b.Attributes = cloneMap(b.Attributes)
			b.Attributes[AttrPoints] = strconv.Itoa(bt.Points)
			if bt.Observed {
				b.Attributes[AttrPointsTime] = strconv.FormatInt(lf.StampNS+bt.PointsNS, 10)
			}
			// Camera-synced boxes about the unmoved centre: the move to the
			// frame's time is added once the track's times are known.
			b.Cameras = nil
			for ci := range f.Cameras {
				cam := &f.Cameras[ci]
				if cam.Stamp == 0 {
					continue
				}
				m := cameraModel(models, cam)
				if m == nil {
					continue
				}
				rs, ok := shutters[cam.Name]
				if !ok {
					rs = rollingShutterOf(o.Rig, cam)
					shutters[cam.Name] = rs
				}
				pc := pendingCamera{frame: lf.Index, box: i, labelsNS: lf.StampNS, frameNS: f.Stamp, m: m, rs: rs, center: b.Center, v: v, yaw: b.Yaw}
				pc.cam = *cam
				pc.cam.Image, pc.cam.Projected = nil, nil
				if defer_ {
					pending = append(pending, pc)
					continue
				}
				addCamera(&b, pc)
			}
			outF.Boxes[i] = b
			res.Boxes++
		}
		done[lf.Index] = outF
		res.Frames++
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, pc := range pending { // a log of one frame: no ego step
		addCamera(&done[pc.frame].Boxes[pc.box], pc)
	}
	if res.Frames == 0 {
		return nil, fmt.Errorf("labels sync: %s: no labelled frame matches a fused frame of %s", o.Labels, res.Log)
	}
	// Move every box to the frame's time by the time its track shows.
	for _, sb := range trackTimes(timed) {
		b := &done[sb.frame].Boxes[sb.box]
		v := sb.bt.Velocity
		b.Attributes[AttrShownTime] = strconv.FormatInt(sb.stamp+sb.dt, 10)
		if sb.dt == 0 {
			continue
		}
		d := r3.Scale(-float64(sb.dt)*1e-9, v)
		b.Center = r3.Add(b.Center, d)
		for k := range b.Cameras {
			b.Cameras[k].Center = r3.Add(b.Cameras[k].Center, d)
		}
		res.Moved++
	}
	res.Cameras = cameraSync(views, done)
	res.Shutter = shutterText(shutters)
	outSet := &labels.Set{Clock: set.Clock, Frames: make([]labels.Frame, len(set.Frames))}
	for i, f := range set.Frames {
		if g, ok := done[f.Index]; ok {
			f = g
		} else {
			res.Notes = append(res.Notes, fmt.Sprintf("frame %d matches no fused frame: written unchanged", f.Index))
		}
		outSet.Frames[i] = f
	}
	var buf bytes.Buffer
	if err := labels.WriteJSON(&buf, outSet); err != nil {
		return nil, fmt.Errorf("labels sync: %w", err)
	}
	if err := atomicfile.WriteFile(out, buf.Bytes()); err != nil {
		return nil, fmt.Errorf("labels sync: %w", err)
	}
	return res, nil
}

func cameraModel(models map[string]camera.Model, c *fused.Camera) camera.Model {
	if m, ok := models[c.Name]; ok {
		return m
	}
	var m camera.Model
	if c.Info.K[0] != 0 && c.Info.Width > 0 && c.Info.Height > 0 {
		in := camera.Intrinsics{Fx: c.Info.K[0], Fy: c.Info.K[4], Cx: c.Info.K[2], Cy: c.Info.K[5], Width: c.Info.Width, Height: c.Info.Height}
		if mm, err := camera.New(c.Info.DistortionModel, in, c.Info.D); err == nil {
			m = mm
		}
	}
	models[c.Name] = m
	return m
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+2)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// rollingShutterOf is the readout o.Rig gives camera c (matched by frame,
// name or topic), nil for none or a global shutter.
func rollingShutterOf(rg *rig.Rig, c *fused.Camera) *rig.RollingShutter {
	if rg == nil {
		return nil
	}
	for i := range rg.Sensors {
		s := &rg.Sensors[i]
		if s.Frame == c.Name || s.Name == c.Name || (s.Topic != "" && s.Topic == c.Topic) {
			if s.RollingShutter != nil && s.RollingShutter.ReadoutNs > 0 {
				return s.RollingShutter
			}
			return nil
		}
	}
	return nil
}

// rollingIterations is how many fixed-point steps captureOf takes: the
// row moves by (object and ego image speed)·readout/H per step, a
// contraction by far (3 steps leave well under 0.01 px on a car at 30 m/s).
const rollingIterations = 3

// captureOf finds when camera c captured the object whose centre is
// center at the frame's stamp frameNS (base_link at the frame's time,
// moving with velocity v over ground): the global shutter's stamp, or
// for a rolling shutter the time t = stamp + RowOffsetNs(y(t)) at which the
// row y of its projected centre was exposed, solved by fixed-point
// iteration from the stamp. It returns that time, the object's centre
// then (in base_link at the frame's time, moved so that projecting it with
// c.BaseCamera, the camera pose at the stamp, gives the pixel where the
// image shows it: the ego motion over the readout, from egoStep over
// egoStepNS, T_base(prev)_base(cur) of the last frame spacing, is folded
// in) and whether the centre is in the image.
func captureOf(c *fused.Camera, m camera.Model, rs *rig.RollingShutter, center, v r3.Vec, frameNS int64, egoStep se3.Transform, egoStepNS int64) (int64, r3.Vec, bool) {
	in := m.Intrinsics()
	ext := c.StaticExtrinsic()
	// camAt is T_base(frame)_camera(t).
	camAt := func(t int64) se3.Transform {
		if t == c.Stamp || egoStepNS == 0 {
			return c.BaseCamera
		}
		d := se3.Interpolate(se3.Identity(), egoStep, float64(t-c.Stamp)/float64(egoStepNS))
		return c.BaseCamera.Mul(ext.Inverse()).Mul(d).Mul(ext)
	}
	t := c.Stamp
	var p r3.Vec
	var cc r3.Vec
	var toCam se3.Transform
	for it := 0; ; it++ {
		cc = r3.Add(center, r3.Scale(float64(t-frameNS)*1e-9, v))
		toCam = camAt(t).Inverse()
		p = toCam.Apply(cc)
		if p.Z <= 0.1 {
			return 0, r3.Vec{}, false
		}
		u, y, ok := m.Project(p)
		if !ok || u < 0 || y < 0 || u >= float64(in.Width) || y >= float64(in.Height) {
			return 0, r3.Vec{}, false
		}
		if rs == nil || it == rollingIterations {
			break
		}
		t = c.Stamp + rs.RowOffsetNs(y, in.Height)
	}
	if t == c.Stamp {
		return t, cc, true
	}
	// Where c.BaseCamera must see it to put it on that pixel.
	return t, c.BaseCamera.Apply(p), true
}

// shutterText says which shutter model each camera was taken with.
func shutterText(shutters map[string]*rig.RollingShutter) string {
	var rolling []string
	for name, rs := range shutters {
		if rs == nil {
			continue
		}
		dir := rs.Direction
		if dir == "" {
			dir = rig.TopToBottom
		}
		rolling = append(rolling, fmt.Sprintf("%s rolling (%s readout %s, rows at stamp + y/H·readout)", name, time.Duration(rs.ReadoutNs), dir))
	}
	if len(rolling) == 0 {
		return "global (mid-exposure stamp; no rolling-shutter readout in the rig)"
	}
	slices.Sort(rolling)
	return strings.Join(rolling, "; ") + "; others global (mid-exposure stamp)"
}

// pendingCamera is one box seen by one camera, waiting for its
// camera-synced box.
type pendingCamera struct {
	frame, box        int
	labelsNS, frameNS int64 // the labels frame's and the fused frame's stamps
	cam               fused.Camera
	m                 camera.Model
	rs                *rig.RollingShutter
	center, v         r3.Vec
	yaw               float64
}

// rigHasRolling reports whether rg gives any camera a rolling shutter.
func rigHasRolling(rg *rig.Rig) bool {
	if rg == nil {
		return false
	}
	for i := range rg.Sensors {
		if rs := rg.Sensors[i].RollingShutter; rs != nil && rs.ReadoutNs > 0 {
			return true
		}
	}
	return false
}
