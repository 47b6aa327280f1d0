package labelcheck

import (
	"fmt"
	"image"
	"math"
	"slices"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/imageconv"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/boxproj"
	"github.com/rigsync/rigsync/fusion/fused"
)

// Camera check parameters (see the package doc, "Cameras").
const (
	// camMinWidth and camMinHeight are the least size (px) of a projected
	// box the camera check looks at: a smaller one has too few pixels on
	// its edges.
	camMinWidth, camMinHeight = 16, 12
	// camTolPx is the least disagreement (px) between a projected side and
	// the image's edge that counts: JPEG blur and the edge's pixel grid
	// move a found edge by about a pixel.
	camTolPx = 2.5
	// camTolM is the disagreement that counts at the box's depth (m):
	// fx·camTolM/depth px.
	camTolM = 0.15
	// camOneSide: one side alone disagrees when it is off by this many
	// tolerances (the other side found; a box seen from its end shifted
	// sideways moves one outline edge of the image much, the other little).
	camOneSide = 2.5
	// camEdgeContrast is the least mean luma step (0..255) of an image
	// edge, and camEdgeRatio how much above the search window's median
	// profile it must stand, for the edge to count as found.
	camEdgeContrast, camEdgeRatio = 6, 2.5
	// maxImagePixels bounds the images decoded (a corrupt header must not
	// make the checker allocate gigabytes).
	maxImagePixels = 32 << 20
)

// CameraView is the check of one box in one camera image: the box at the
// camera's capture time (moved along its velocity from the time it shows
// to the camera's stamp: the camera-synced box) projected with the frame's
// camera pose and the camera's model (boxproj), its two vertical outline
// edges (the leftmost and rightmost corners' vertical box edges) compared
// with the strongest nearby luma edges of the image.
type CameraView struct {
	Camera string `json:"camera"`
	// Stamp is the camera's capture time (ns, the frame's clock).
	Stamp int64 `json:"stamp_ns"`
	// Rect is the projected box: left, top, right, bottom (px, pixel
	// centres at integers).
	Rect [4]float64 `json:"rect_px"`
	// LeftPx and RightPx are where the image's edges are found minus where
	// the projected box puts them (px, + to the right); nil: no edge found
	// (low contrast against the background).
	LeftPx  *float64 `json:"left_px,omitempty"`
	RightPx *float64 `json:"right_px,omitempty"`
	// Disagrees is set when both edges are found and both are off by more
	// than the tolerance (TolPx), or one by more than 2.5 tolerances.
	Disagrees bool    `json:"disagrees,omitempty"`
	TolPx     float64 `json:"tol_px"`
}

// CameraCrop is a camera overlay of a box whose projection disagrees with
// the image (for the HTML report): the image region around the box as luma
// (Gray, W×H, row-major) with the projected box and the edges found, in
// region pixels.
type CameraCrop struct {
	Finding BoxResult
	View    CameraView
	// Left, Top are the region's origin in the image (px); W, H its size.
	Left, Top, W, H int
	Gray            []byte
	// Box is the projected rectangle (l, t, r, b) and Fixed the one the
	// image's edges suggest (sides without an edge kept), in region px.
	Box, Fixed [4]float64
}

// CameraStats counts the camera check's work over a run.
type CameraStats struct {
	// Cameras is the number of cameras seen with usable calibration.
	Cameras int `json:"cameras"`
	// Views is the number of (box, camera) pairs checked (box in view,
	// large enough, not hidden behind a nearer box); Found how many had
	// both edges found; Disagree how many disagreed.
	Views    int `json:"views"`
	Found    int `json:"found"`
	Disagree int `json:"disagree"`
	// Images is the number of images decoded, Failed how many could not be.
	Images int `json:"images"`
	Failed int `json:"failed,omitempty"`
	// Labels2D is the number of 2D labels compared with their box's
	// projection, Labels2DDisagree how many overlap it by less than IoU
	// 0.5.
	Labels2D         int `json:"labels_2d,omitempty"`
	Labels2DDisagree int `json:"labels_2d_disagree,omitempty"`
}

// lumaImage is a decoded image's luma plane.
type lumaImage struct {
	w, h, stride int
	y            []byte
}

func (l *lumaImage) at(u, v int) int { return int(l.y[v*l.stride+u]) }

// decodeLuma decodes a camera payload (JPEG or PNG CompressedImage, raw
// 8-bit Image) into its luma plane.
func decodeLuma(p formats.Payload) (*lumaImage, error) {
	switch im := p.(type) {
	case *formats.CompressedImage:
		img, err := imageconv.DecodeCompressed(im, maxImagePixels)
		if err != nil {
			return nil, err
		}
		b := img.Bounds()
		switch m := img.(type) {
		case *image.YCbCr:
			return &lumaImage{w: b.Dx(), h: b.Dy(), stride: m.YStride, y: m.Y[m.YOffset(b.Min.X, b.Min.Y):]}, nil
		case *image.Gray:
			return &lumaImage{w: b.Dx(), h: b.Dy(), stride: m.Stride, y: m.Pix[m.PixOffset(b.Min.X, b.Min.Y):]}, nil
		}
		l := &lumaImage{w: b.Dx(), h: b.Dy(), stride: b.Dx(), y: make([]byte, b.Dx()*b.Dy())}
		for v := range l.h {
			for u := range l.w {
				r, g, bl, _ := img.At(b.Min.X+u, b.Min.Y+v).RGBA()
				l.y[v*l.w+u] = uint8((19595*r + 38470*g + 7471*bl + 1<<15) >> 24)
			}
		}
		return l, nil
	case *formats.Image:
		enc, err := imageconv.Layout(im)
		if err != nil {
			return nil, err
		}
		if enc.Depth != 1 {
			return nil, fmt.Errorf("encoding %q: only 8-bit channels", im.Encoding)
		}
		ch, step := enc.Channels, im.Step
		if step <= 0 {
			step = im.Width * ch
		}
		l := &lumaImage{w: im.Width, h: im.Height, stride: im.Width, y: make([]byte, im.Width*im.Height)}
		for v := range l.h {
			row := im.Data[v*step:]
			for u := range l.w {
				o := u * ch
				if ch < 3 {
					l.y[v*l.w+u] = row[o]
					continue
				}
				// R and B in either order: the luma of an edge barely changes.
				l.y[v*l.w+u] = uint8((299*int(row[o]) + 587*int(row[o+1]) + 114*int(row[o+2]) + 500) / 1000)
			}
		}
		return l, nil
	}
	return nil, fmt.Errorf("payload %T is not an image", p)
}

// camBox is one box's projection into one camera.
type camBox struct {
	i     int // index into the frame's boxes
	rect  [4]float64
	depth float64 // of the box centre along the optical axis (m)
	// left, right are the outline's vertical edges: two image points each
	// (the projections of a corner and its vertical partner).
	left, right [2][2]float64
}

// projectCam projects box b (its camera-synced copy) into camera cam with
// model m: ok only when all of it lies in the image with margin px to
// spare on the left and right.
func projectCam(b *labels.Box, cam *fused.Camera, m camera.Model) (camBox, bool) {
	b2, ok := boxproj.ProjectBox(b, cam, m)
	if !ok || b2.Truncated > 0 {
		return camBox{}, false
	}
	T := cam.BaseCamera.Inverse()
	cs := b.Corners()
	var uv [8][2]float64
	for k, p := range cs {
		u, v, _ := m.Project(T.Apply(p)) // ProjectBox projected them all
		uv[k] = [2]float64{u, v}
	}
	lk, rk := 0, 0
	for k := 1; k < 8; k++ {
		if uv[k][0] < uv[lk][0] {
			lk = k
		}
		if uv[k][0] > uv[rk][0] {
			rk = k
		}
	}
	partner := func(k int) int { return (k + 4) % 8 }
	return camBox{rect: [4]float64{b2.Left, b2.Top, b2.Right, b2.Bottom}, depth: T.Apply(b.Center).Z,
		left: [2][2]float64{uv[lk], uv[partner(lk)]}, right: [2][2]float64{uv[rk], uv[partner(rk)]}}, true
}

// edgeOffset searches for the image edge nearest the segment seg (a
// projected vertical box edge) shifted horizontally by up to ±d px: the
// median horizontal luma step along the segment's middle 60% per shift, the
// significant maximum nearest zero shift (at least 30% of the strongest),
// refined to a sub-pixel position. ok is false when no shift stands out.
func edgeOffset(im *lumaImage, seg [2][2]float64, d int) (float64, bool) {
	u0, v0, u1, v1 := seg[0][0], seg[0][1], seg[1][0], seg[1][1]
	if v1 < v0 {
		u0, v0, u1, v1 = u1, v1, u0, v0
	}
	va, vb := int(math.Ceil(v0+0.2*(v1-v0))), int(math.Floor(v1-0.2*(v1-v0)))
	va, vb = max(va, 0), min(vb, im.h-1)
	if vb-va < 3 {
		return 0, false
	}
	prof := make([]float64, 2*d+1)
	gs := make([]int, 0, vb-va+1)
	for s := -d; s <= d; s++ {
		gs = gs[:0]
		for v := va; v <= vb; v++ {
			u := int(math.Round(u0+(u1-u0)*(float64(v)-v0)/math.Max(v1-v0, 1e-9))) + s
			if u < 1 || u >= im.w-1 {
				continue
			}
			gs = append(gs, abs(im.at(u+1, v)-im.at(u-1, v)))
		}
		if len(gs) > 0 {
			// The median: an outline edge runs along the whole segment,
			// texture (markings, tiles) crosses it on a few rows.
			slices.Sort(gs)
			prof[s+d] = float64(gs[len(gs)/2]) / 2
		}
	}
	sorted := slices.Clone(prof)
	slices.Sort(sorted)
	med, top := sorted[len(sorted)/2], sorted[len(sorted)-1]
	if top < camEdgeContrast || top < camEdgeRatio*med {
		return 0, false
	}
	best := -1
	for i := range prof {
		if prof[i] < 0.3*top || prof[i] < camEdgeRatio*med || prof[i] < camEdgeContrast {
			continue
		}
		if i > 0 && prof[i-1] > prof[i] || i < len(prof)-1 && prof[i+1] > prof[i] {
			continue // not a local maximum
		}
		if best < 0 || abs(i-d) < abs(best-d) {
			best = i
		}
	}
	if best < 0 {
		return 0, false
	}
	off := float64(best - d)
	if best > 0 && best < len(prof)-1 {
		a, b, c := prof[best-1], prof[best], prof[best+1]
		if den := a - 2*b + c; den < 0 {
			off += 0.5 * (a - c) / den
		}
	}
	return off, true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// camJob is one box of a frame for checkCameras.
type camJob struct {
	res *BoxResult
	box *labels.Box
	v   r3.Vec // the box's velocity (base axes, m/s)
	dt  int64  // the time the box shows minus the frame's (ns)
}

// checkCameras checks the frame's boxes against its camera images (see
// the package doc, "Cameras") and flags the disagreeing ones KindCamera.
func (c *Checker) checkCameras(f *fused.Frame, jobs []camJob) {
	k := c.camFrame
	c.camFrame++
	if c.o.NoCameras {
		return
	}
	images := k%c.o.CameraEvery == 0
	for ci := range f.Cameras {
		cam := &f.Cameras[ci]
		if cam.Stamp == 0 || cam.Image == nil {
			continue
		}
		m := c.cameraModel(cam)
		if m == nil {
			continue
		}
		c.check2D(f, cam, m, jobs)
		if !images {
			continue
		}
		var views []camBox
		for i, j := range jobs {
			cb := camSynced(f, cam, j)
			p, ok := projectCam(&cb, cam, m)
			if !ok {
				continue
			}
			p.i = i
			views = append(views, p)
		}
		var im *lumaImage
		decoded := false
		for _, p := range views {
			j := jobs[p.i]
			w, h := p.rect[2]-p.rect[0], p.rect[3]-p.rect[1]
			if !j.res.Observed || w < camMinWidth || h < camMinHeight {
				continue
			}
			d := int(math.Ceil(max(6, 0.25*w)))
			if p.rect[0]-float64(d) < 1 || p.rect[2]+float64(d) > float64(cam.Info.Width-2) {
				continue
			}
			if occluded(p, views, float64(d)) {
				continue
			}
			if !decoded {
				decoded = true
				var err error
				if im, err = decodeLuma(cam.Image); err != nil || im.w != cam.Info.Width || im.h != cam.Info.Height {
					c.camStats.Failed++
					im = nil
				}
				c.camStats.Images++
			}
			if im == nil {
				break
			}
			cv := CameraView{Camera: cam.Name, Stamp: cam.Stamp, Rect: p.rect, TolPx: max(camTolPx, cam.Info.K[0]*camTolM/p.depth)}
			if e, ok := edgeOffset(im, p.left, d); ok {
				cv.LeftPx = &e
			}
			if e, ok := edgeOffset(im, p.right, d); ok {
				cv.RightPx = &e
			}
			c.camStats.Views++
			if cv.LeftPx != nil && cv.RightPx != nil {
				c.camStats.Found++
				l, r := math.Abs(*cv.LeftPx), math.Abs(*cv.RightPx)
				if min(l, r) > cv.TolPx || max(l, r) > camOneSide*cv.TolPx {
					cv.Disagrees = true
					c.camStats.Disagree++
				}
			}
			j.res.Cameras = append(j.res.Cameras, cv)
			if cv.Disagrees {
				j.res.flag(Suspicious, KindCamera, "in %s the projected box's sides are %+.1f px (left) and %+.1f px (right) from the image's edges (tolerance %.1f px)",
					cam.Name, *cv.LeftPx, *cv.RightPx, cv.TolPx)
				c.keepCameraCrop(im, j.res, cv)
			}
		}
	}
}

// camSynced is job j's box moved along its velocity from the time it
// shows to camera cam's capture time.
func camSynced(f *fused.Frame, cam *fused.Camera, j camJob) labels.Box {
	cb := *j.box
	dt := float64(cam.Stamp-f.Stamp-j.dt) * 1e-9
	cb.Center = r3.Add(cb.Center, r3.Scale(dt, j.v))
	return cb
}

// camMinIoU is the least overlap (intersection over union) of a box's 2D
// label with its projection.
const camMinIoU = 0.5

// Label2DCheck is the check of one of a box's 2D labels (labels.Label2D)
// against the box projected into its camera (camera-synced, clipped to
// the image: fusion/boxproj).
type Label2DCheck struct {
	Camera string `json:"camera"`
	// Label and Projected are left, top, right, bottom (px).
	Label     [4]float64 `json:"label_px"`
	Projected [4]float64 `json:"projected_px"`
	IoU       float64    `json:"iou"`
}

// check2D compares the 2D labels of the frame's boxes in camera cam with
// the boxes' projections: an IoU under camMinIoU is a camera finding. A
// box that does not project into the image (behind the camera, outside
// it) while its 2D label is there has IoU 0.
func (c *Checker) check2D(f *fused.Frame, cam *fused.Camera, m camera.Model, jobs []camJob) {
	for _, j := range jobs {
		for _, l := range j.box.Labels2D {
			if l.Camera != cam.Name {
				continue
			}
			cb := camSynced(f, cam, j)
			lc := Label2DCheck{Camera: cam.Name, Label: [4]float64{l.Left, l.Top, l.Right, l.Bottom}}
			if b2, ok := boxproj.ProjectBox(&cb, cam, m); ok {
				lc.Projected = [4]float64{b2.Left, b2.Top, b2.Right, b2.Bottom}
				lc.IoU = iou(lc.Label, lc.Projected)
			}
			c.camStats.Labels2D++
			j.res.Labels2D = append(j.res.Labels2D, lc)
			if lc.IoU < camMinIoU {
				c.camStats.Labels2DDisagree++
				j.res.flag(Suspicious, KindCamera, "its 2D label in %s overlaps the projected box by IoU %.2f (< %.1f)", cam.Name, lc.IoU, camMinIoU)
			}
		}
	}
}

// iou is the intersection over union of two rectangles (l, t, r, b).
func iou(a, b [4]float64) float64 {
	w := min(a[2], b[2]) - max(a[0], b[0])
	h := min(a[3], b[3]) - max(a[1], b[1])
	if w <= 0 || h <= 0 {
		return 0
	}
	in := w * h
	u := (a[2]-a[0])*(a[3]-a[1]) + (b[2]-b[0])*(b[3]-b[1]) - in
	if u <= 0 {
		return 0
	}
	return in / u
}

// occluded reports whether a box nearer to the camera than p covers p's
// rectangle grown by d px on the left and right.
func occluded(p camBox, views []camBox, d float64) bool {
	for _, q := range views {
		if q.i == p.i || q.depth >= p.depth {
			continue
		}
		if q.rect[0] < p.rect[2]+d && q.rect[2] > p.rect[0]-d && q.rect[1] < p.rect[3] && q.rect[3] > p.rect[1] {
			return true
		}
	}
	return false
}

// cameraModel returns camera cam's model (built once per camera name).
func (c *Checker) cameraModel(cam *fused.Camera) camera.Model {
	if m, ok := c.camModels[cam.Name]; ok {
		return m
	}
	if c.camModels == nil {
		c.camModels = map[string]camera.Model{}
	}
	m := boxproj.Model(cam)
	c.camModels[cam.Name] = m
	if m != nil {
		c.camStats.Cameras++
	}
	return m
}

// keepCameraCrop keeps the camera overlay of a disagreeing view among the
// MaxCrops worst (by the smaller side disagreement in px).
func (c *Checker) keepCameraCrop(im *lumaImage, r *BoxResult, cv CameraView) {
	sev := func(v CameraView) float64 { return math.Min(math.Abs(*v.LeftPx), math.Abs(*v.RightPx)) }
	s := sev(cv)
	if len(c.camCrops) >= MaxCrops {
		worst := 0
		for i := range c.camCrops {
			if sev(c.camCrops[i].View) < sev(c.camCrops[worst].View) {
				worst = i
			}
		}
		if sev(c.camCrops[worst].View) >= s {
			return
		}
		c.camCrops = slices.Delete(c.camCrops, worst, worst+1)
	}
	rc := cv.Rect
	w, h := rc[2]-rc[0], rc[3]-rc[1]
	mx, my := max(12, 0.4*w), max(12, 0.3*h)
	l, t := max(0, int(rc[0]-mx)), max(0, int(rc[1]-my))
	rr, bb := min(im.w, int(math.Ceil(rc[2]+mx))), min(im.h, int(math.Ceil(rc[3]+my)))
	cc := CameraCrop{Finding: *r, View: cv, Left: l, Top: t, W: rr - l, H: bb - t}
	cc.Gray = make([]byte, cc.W*cc.H)
	for v := range cc.H {
		copy(cc.Gray[v*cc.W:(v+1)*cc.W], im.y[(t+v)*im.stride+l:])
	}
	cc.Box = [4]float64{rc[0] - float64(l), rc[1] - float64(t), rc[2] - float64(l), rc[3] - float64(t)}
	cc.Fixed = cc.Box
	cc.Fixed[0] += *cv.LeftPx
	cc.Fixed[2] += *cv.RightPx
	cc.Finding.Cameras = slices.Clone(r.Cameras)
	c.camCrops = append(c.camCrops, cc)
}
