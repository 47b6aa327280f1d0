package fusion

import (
	"bytes"
	"fmt"
	"image"
	"math"
	"sort"
	"strings"

	"github.com/rigsync/rigsync/formats"
)

// IntrinsicsGuard keeps the camera intrinsics of a rig file in force over
// a run. A camera whose intrinsics the calibration takes from rig.yaml
// (Calibration.Source "intrinsics rig.yaml") is guarded: the log's
// CameraInfo messages never replace its intrinsics; where they disagree
// with the rig (K, distortion or image size) Warnings says so, once per
// camera. Every image of a guarded camera is measured (a raw Image's
// size, a JPEG/PNG header): an image whose size is not the size the rig
// calibrated the camera at is an error, unless Scale is set, in which case
// the rig's intrinsics are scaled to the first image's size (see
// ScaleCameraInfo) and Warnings says so. A rig camera without a size
// (width and height 0) takes the first image's, with a warning; an image
// whose size cannot be read is not checked, with a warning. Images of
// another size than the first are an error (the size changed mid-log).
// Cameras whose intrinsics come from the log are not guarded.
//
// A guard is used by one goroutine: the one reading the log.
type IntrinsicsGuard struct {
	scale bool
	cams  map[string]*guardedCamera
	// warned are the scaling and unreadable-size warnings, in the order
	// they were found.
	warned []string
}

// guardedCamera is the state of one guarded camera.
type guardedCamera struct {
	rig  formats.CameraInfo // as rig.yaml gives it
	from string             // the file that gives it ("rig.yaml", or a --rig calibration file)
	used formats.CameraInfo // in force: rig, or rig scaled to the images
	// sized: an image's size was measured and matched used (or scaled it).
	sized bool
	// logInfos are the distinct CameraInfo messages of the log (at most
	// maxLogInfos), with where they came from, compared at Warnings.
	logInfos []loggedInfo
	// unknownSize: an image's size could not be read (warned once).
	unknownSize bool
}

type loggedInfo struct {
	info  formats.CameraInfo
	where string
}

// maxLogInfos bounds the distinct CameraInfo messages kept per camera.
const maxLogInfos = 4

// NewIntrinsicsGuard guards the cameras of c whose intrinsics come from
// the rig (rig.yaml or another --rig calibration file, FromRig); scale allows scaling them to the images' size.
func NewIntrinsicsGuard(c *Calibration, scale bool) *IntrinsicsGuard {
	g := &IntrinsicsGuard{scale: scale, cams: map[string]*guardedCamera{}}
	if c == nil {
		return g
	}
	for frame, info := range c.Infos {
		if !c.FromRig(c.SourceOf(frame, "intrinsics")) {
			continue
		}
		g.cams[frame] = &guardedCamera{rig: cloneInfo(info), used: cloneInfo(info), from: c.SourceOf(frame, "intrinsics")}
	}
	return g
}

// SourceOf returns where the calibration item kind ("extrinsic",
// "intrinsics" or "clock") of frame came from ("rig.yaml", a topic, or ""
// when the calibration has none), as Source records it.
func (c *Calibration) SourceOf(frame, kind string) string {
	for _, part := range splitSource(c.Source[frame]) {
		if k, from := cutKind(part); k == kind {
			return from
		}
	}
	return ""
}

// Guards reports whether the intrinsics of camera frame come from the rig.
func (g *IntrinsicsGuard) Guards(frame string) bool {
	_, ok := g.cams[frame]
	return ok
}

// Info returns the intrinsics in force for a guarded camera (the rig's,
// or the rig's scaled to the images); ok is false for other cameras.
func (g *IntrinsicsGuard) Info(frame string) (formats.CameraInfo, bool) {
	c, ok := g.cams[frame]
	if !ok {
		return formats.CameraInfo{}, false
	}
	return c.used, true
}

// CameraInfo notes a CameraInfo message of the log for camera frame
// (where names the log and topic). It reports whether frame is guarded:
// when it is, the message must not replace the intrinsics.
func (g *IntrinsicsGuard) CameraInfo(frame, where string, ci *formats.CameraInfo) bool {
	c, ok := g.cams[frame]
	if !ok {
		return false
	}
	for _, l := range c.logInfos {
		if IntrinsicsDiff(l.info, *ci) == "" {
			return true
		}
	}
	if len(c.logInfos) < maxLogInfos {
		c.logInfos = append(c.logInfos, loggedInfo{cloneInfo(*ci), where})
	}
	return true
}

// Image measures an image (a raw Image or a JPEG/PNG CompressedImage) of
// camera frame; where names the log, topic and message for errors. For a
// guarded camera, an image whose size differs from the intrinsics' is an
// error unless scaling is allowed and no image was measured before: then
// the rig's intrinsics are scaled to it. Other cameras pass.
func (g *IntrinsicsGuard) Image(frame, where string, p formats.Payload) error {
	c, ok := g.cams[frame]
	if !ok {
		return nil
	}
	switch p.(type) {
	case *formats.Image, *formats.CompressedImage:
	default:
		return nil // not an image (the fusion says so)
	}
	w, h, ok := ImageSize(p)
	if !ok {
		if !c.unknownSize {
			c.unknownSize = true
			g.warned = append(g.warned, fmt.Sprintf("%s: the size of the images (%s) cannot be read, so it is not checked against the %d×%d %s calibrated the camera at",
				frame, where, c.rig.Width, c.rig.Height, c.from))
		}
		return nil
	}
	if w == c.used.Width && h == c.used.Height {
		c.sized = true
		return nil
	}
	if !c.sized && (c.rig.Width <= 0 || c.rig.Height <= 0) {
		// The rig does not say what size it calibrated at: nothing to
		// check or scale against.
		c.used.Width, c.used.Height, c.sized = w, h, true
		g.warned = append(g.warned, fmt.Sprintf("%s: %s gives no image size for the intrinsics; taken to be the %d×%d of the images (%s), unchecked",
			frame, c.from, w, h, where))
		return nil
	}
	if c.sized {
		return fmt.Errorf("fusion: %s: a %d×%d image, but camera %s's earlier images are %d×%d (the image size changed mid-log; %s calibrated the camera at %d×%d)",
			where, w, h, frame, c.used.Width, c.used.Height, c.from, c.rig.Width, c.rig.Height)
	}
	if !g.scale {
		return fmt.Errorf("fusion: %s: a %d×%d image, but %s calibrated camera %s at %d×%d: calibrate the camera at this size, or scale the intrinsics explicitly (--scale-intrinsics)",
			where, w, h, c.from, frame, c.rig.Width, c.rig.Height)
	}
	c.used = ScaleCameraInfo(c.rig, w, h)
	c.sized = true
	note := ""
	if r0, r1 := float64(c.rig.Width)/float64(c.rig.Height), float64(w)/float64(h); math.Abs(r1/r0-1) > 0.01 {
		note = fmt.Sprintf("; the aspect ratio changes (%.3f to %.3f): if the images were cropped, scaling is wrong", r0, r1)
	}
	g.warned = append(g.warned, fmt.Sprintf("%s: %s intrinsics (%d×%d) scaled to the %d×%d images (%s): fx %.6g, fy %.6g, cx %.6g, cy %.6g%s",
		frame, c.from, c.rig.Width, c.rig.Height, w, h, where, c.used.K[0], c.used.K[4], c.used.K[2], c.used.K[5], note))
	return nil
}

// Warnings returns what the guard found, one line per item, in a stable
// order: intrinsics scaled or sizes unreadable (in the order found), then
// for every guarded camera whose log CameraInfo disagrees with the
// intrinsics used, one line naming the differences.
func (g *IntrinsicsGuard) Warnings() []string {
	out := append([]string(nil), g.warned...)
	frames := make([]string, 0, len(g.cams))
	for f := range g.cams {
		frames = append(frames, f)
	}
	sort.Strings(frames)
	for _, f := range frames {
		c := g.cams[f]
		for _, l := range c.logInfos {
			if d := IntrinsicsDiff(l.info, c.used); d != "" {
				out = append(out, fmt.Sprintf("%s: the log's CameraInfo (%s) disagrees with %s, whose intrinsics are used (log vs %s): %s", f, l.where, c.from, c.from, d))
				break
			}
		}
	}
	return out
}

// ScaleCameraInfo returns ci (calibrated at ci.Width×ci.Height) for the
// same camera delivering w×h images (a resize of the full sensor image):
// fx and cx scale by sx = w/Width, fy and cy by sy = h/Height, with pixel
// centres at integer coordinates (OpenCV/ROS) so that
// cx' = (cx + 0.5)·sx − 0.5 and cy' = (cy + 0.5)·sy − 0.5. P scales the
// same way (its Tx, Ty with fx, fy). Distortion coefficients act on
// normalised coordinates and are unchanged. A crop is not a resize:
// scaling cannot undo it.
func ScaleCameraInfo(ci formats.CameraInfo, w, h int) formats.CameraInfo {
	out := cloneInfo(ci)
	if ci.Width <= 0 || ci.Height <= 0 {
		return out
	}
	sx, sy := float64(w)/float64(ci.Width), float64(h)/float64(ci.Height)
	out.Width, out.Height = w, h
	K := &out.K
	K[0], K[1], K[2] = ci.K[0]*sx, ci.K[1]*sx, (ci.K[2]+0.5)*sx-0.5
	K[4], K[5] = ci.K[4]*sy, (ci.K[5]+0.5)*sy-0.5
	P := &out.P
	P[0], P[1], P[2], P[3] = ci.P[0]*sx, ci.P[1]*sx, (ci.P[2]+0.5)*sx-0.5, ci.P[3]*sx
	P[5], P[6], P[7] = ci.P[5]*sy, (ci.P[6]+0.5)*sy-0.5, ci.P[7]*sy
	return out
}

// ImageSize returns the width and height in pixels of a raw Image, or of
// a JPEG or PNG CompressedImage from its header (nothing is decoded); ok
// is false when the size cannot be read.
func ImageSize(p formats.Payload) (w, h int, ok bool) {
	switch im := p.(type) {
	case *formats.Image:
		return im.Width, im.Height, im.Width > 0 && im.Height > 0
	case *formats.CompressedImage:
		cfg, _, err := image.DecodeConfig(bytes.NewReader(im.Data))
		if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
			return 0, 0, false
		}
		return cfg.Width, cfg.Height, true
	}
	return 0, 0, false
}

// IntrinsicsDiff describes how camera info b differs from a — image size,
// distortion model, K (fx, fy, cx, cy, skew; relative tolerance 1e-6) and
// distortion coefficients (absolute tolerance 1e-9, missing trailing ones
// are 0) — as "fx 457.007 vs 400, ..." (a's value first); "" when they
// agree.
func IntrinsicsDiff(a, b formats.CameraInfo) string {
	var d []string
	if a.Width != b.Width || a.Height != b.Height {
		d = append(d, fmt.Sprintf("image size %d×%d vs %d×%d", a.Width, a.Height, b.Width, b.Height))
	}
	if ma, mb := canonicalModel(a.DistortionModel), canonicalModel(b.DistortionModel); ma != mb {
		d = append(d, fmt.Sprintf("distortion model %q vs %q", a.DistortionModel, b.DistortionModel))
	}
	for _, k := range []struct {
		name string
		i    int
	}{{"fx", 0}, {"fy", 4}, {"cx", 2}, {"cy", 5}, {"skew", 1}} {
		x, y := a.K[k.i], b.K[k.i]
		if math.Abs(x-y) > 1e-6*math.Max(1, math.Max(math.Abs(x), math.Abs(y))) {
			d = append(d, fmt.Sprintf("%s %.6g vs %.6g", k.name, x, y))
		}
	}
	n := max(len(a.D), len(b.D))
	for i := range n {
		var x, y float64
		if i < len(a.D) {
			x = a.D[i]
		}
		if i < len(b.D) {
			y = b.D[i]
		}
		if math.Abs(x-y) > 1e-9 {
			d = append(d, fmt.Sprintf("distortion %v vs %v", a.D, b.D))
			break
		}
	}
	return strings.Join(d, ", ")
}

// canonicalModel maps the aliases camera.New accepts to one name.
func canonicalModel(m string) string {
	switch m = strings.ToLower(m); m {
	case "radtan", "radial-tangential", "pinhole", "none", "":
		return "plumb_bob"
	case "fisheye", "kannala_brandt", "equi":
		return "equidistant"
	case "ds":
		return "double_sphere"
	}
	return m
}

func cloneInfo(ci formats.CameraInfo) formats.CameraInfo {
	ci.D = append([]float64(nil), ci.D...)
	return ci
}
