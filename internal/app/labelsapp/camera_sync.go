package labelsapp

import (
	"math"
	"slices"
	"strings"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats/labels"
)

// CameraSync is, for one camera, how far labels drawn at the frame's time
// are from the object the camera captured: the centre of each box moved
// to the frame's time and the centre of its camera-synced box, projected
// with the frame's camera pose and the camera's model. This is the error a
// 2D projection of the frame-time box carries into that camera's image,
// and what the camera-synced boxes remove. Only box centres are compared:
// no 2D labels nor image content are checked.
type CameraSync struct {
	Camera string `json:"camera"`
	// Boxes is the camera-synced boxes written for the camera.
	Boxes int `json:"boxes"`
	// Over5Px counts the boxes whose frame-time centre projects more than
	// 5 px from the camera-synced one; MedianPx and WorstPx are the
	// offsets' median and largest (px).
	Over5Px  int     `json:"over_5px"`
	MedianPx float64 `json:"median_px"`
	WorstPx  float64 `json:"worst_px"`
}

// cameraView is one camera-synced box and what projects it.
type cameraView struct {
	frame, box, k int
	camera        string
	toCam         se3.Transform // base_link at the frame's time → camera
	m             camera.Model
}

// cameraSync measures, per camera in order of name, the offset between
// the frame-time and the camera-synced centre of every camera box of
// done (the boxes as written).
func cameraSync(views []cameraView, done map[int]labels.Frame) []CameraSync {
	offs := map[string][]float64{}
	for _, v := range views {
		b := &done[v.frame].Boxes[v.box]
		cb := b.Cameras[v.k]
		pf, pc := v.toCam.Apply(b.Center), v.toCam.Apply(cb.Center)
		if pf.Z <= 0.1 || pc.Z <= 0.1 {
			continue
		}
		fu, fv, ok1 := v.m.Project(pf)
		cu, cv, ok2 := v.m.Project(pc)
		if !ok1 || !ok2 {
			continue
		}
		offs[v.camera] = append(offs[v.camera], math.Hypot(fu-cu, fv-cv))
	}
	var out []CameraSync
	for name, o := range offs {
		slices.Sort(o)
		cs := CameraSync{Camera: name, Boxes: len(o), MedianPx: o[len(o)/2], WorstPx: o[len(o)-1]}
		for _, d := range o {
			if d > 5 {
				cs.Over5Px++
			}
		}
		out = append(out, cs)
	}
	slices.SortFunc(out, func(a, b CameraSync) int { return strings.Compare(a.Camera, b.Camera) })
	return out
}
