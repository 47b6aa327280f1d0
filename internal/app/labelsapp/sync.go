package labelsapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/camera"
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
	// Shutter says how camera capture times were taken.
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
// where the object was at the camera's capture time (global shutter: the
// image's mid-exposure stamp; rigsync's rigs and fixtures give no
// rolling-shutter readout), in base_link at the frame's time, so that
// projecting it with the frame's camera pose lines up with the image.
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
	res := &SyncResult{Log: o.Logs[0], Labels: o.Labels, Out: out, Shutter: "global (mid-exposure stamp; no rolling-shutter readout in the rig)"}
	done := map[int]labels.Frame{}
	models := map[string]camera.Model{}
	var chk *labelcheck.Checker
	var timed []syncBox
	var views []cameraView
	res.Problems, err = Frames(ctx, o, set, func(f *fused.Frame, lf *labels.Frame, origin r3.Vec) error {
		res.Clock = f.Clock
		if lf == nil {
			return nil
		}
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
				dt := float64(cam.Stamp-f.Stamp) * 1e-9
				cc := r3.Add(b.Center, r3.Scale(dt, v))
				p := cam.BaseCamera.Inverse().Apply(cc)
				if p.Z <= 0.1 {
					continue
				}
				u, w, ok := m.Project(p)
				in := m.Intrinsics()
				if !ok || u < 0 || w < 0 || u >= float64(in.Width) || w >= float64(in.Height) {
					continue
				}
				views = append(views, cameraView{frame: lf.Index, box: i, k: len(b.Cameras), camera: cam.Name, toCam: cam.BaseCamera.Inverse(), m: m})
				b.Cameras = append(b.Cameras, labels.CameraBox{Camera: cam.Name, TimeNS: lf.StampNS + (cam.Stamp - f.Stamp), Center: cc, Yaw: b.Yaw})
				res.CameraBoxes++
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
