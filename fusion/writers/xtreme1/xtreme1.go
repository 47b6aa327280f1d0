package xtreme1

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/writers/internal/imagefile"
	"github.com/rigsync/rigsync/fusion/writers/internal/outdir"
	"github.com/rigsync/rigsync/fusion/writers/internal/pcdfile"
)

// Options configure a Writer.
type Options struct {
	// Force, Resume and Sync are outdir's options.
	Force, Resume, Sync bool
	// Cameras fixes the camera_image_N order by camera name.
	Cameras []string
}

// Internal is a camera's pinhole intrinsics in pixels.
type Internal struct {
	FX float64 `json:"fx"`
	FY float64 `json:"fy"`
	CX float64 `json:"cx"`
	CY float64 `json:"cy"`
}

// CameraConfig is one element of a camera_config file.
type CameraConfig struct {
	Internal Internal    `json:"camera_internal"`
	External [16]float64 `json:"camera_external"`
	Width    int         `json:"width"`
	Height   int         `json:"height"`
	RowMajor bool        `json:"rowMajor"`
}

// Writer is a fused.Sink writing the Xtreme1 layout. It is not safe for
// concurrent use.
type Writer struct {
	dir     *outdir.Dir
	cams    []*CameraConfig
	byName  map[string]int
	resume  bool
	written int
	skipped int
}

var _ fused.Sink = (*Writer)(nil)

// New opens root for writing.
func New(root string, opts Options) (*Writer, error) {
	w := &Writer{byName: map[string]int{}, resume: opts.Resume}
	for _, c := range opts.Cameras {
		if _, dup := w.byName[c]; dup {
			return nil, fmt.Errorf("xtreme1: camera %q listed twice in Cameras", c)
		}
		w.byName[c] = len(w.cams)
		w.cams = append(w.cams, nil)
	}
	d, err := outdir.Open(root, outdir.Options{Force: opts.Force, Resume: opts.Resume, Sync: opts.Sync})
	if err != nil {
		return nil, fmt.Errorf("xtreme1: %w", err)
	}
	w.dir = d
	return w, nil
}

// Stats returns how many frames were written and how many skipped (Resume).
func (w *Writer) Stats() (written, skipped int) { return w.written, w.skipped }

// Config returns the camera_config element of a camera.
func Config(c *fused.Camera) (*CameraConfig, error) {
	T := c.BaseCamera
	q := T.Rot
	n := q.Real*q.Real + q.Imag*q.Imag + q.Jmag*q.Jmag + q.Kmag*q.Kmag
	if s := n + T.Trans.X + T.Trans.Y + T.Trans.Z; math.IsNaN(s) || math.IsInf(s, 0) || math.Abs(n-1) > 1e-6 {
		return nil, fmt.Errorf("extrinsic %v is not a finite rigid transform", T)
	}
	K := c.Info.K
	if K[0] == 0 && c.Info.P[0] != 0 {
		K = [9]float64{c.Info.P[0], c.Info.P[1], c.Info.P[2], c.Info.P[4], c.Info.P[5], c.Info.P[6], 0, 0, 1}
	}
	for _, v := range K {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("intrinsic %v is not finite", v)
		}
	}
	cfg := &CameraConfig{Internal: Internal{FX: K[0], FY: K[4], CX: K[2], CY: K[5]}, Width: c.Info.Width, Height: c.Info.Height, RowMajor: true}
	if im, ok := c.Image.(*formats.Image); ok && cfg.Width == 0 && cfg.Height == 0 {
		cfg.Width, cfg.Height = im.Width, im.Height
	}
	m := T.Inverse().Matrix4()
	for r := 0; r < 4; r++ {
		for k := 0; k < 4; k++ {
			v := m[r][k]
			if v == 0 {
				v = 0 // no -0 in the JSON
			}
			cfg.External[4*r+k] = v
		}
	}
	return cfg, nil
}

// Write writes one frame.
func (w *Writer) Write(ctx context.Context, f *fused.Frame) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := fused.CheckFrame(f); err != nil {
		return fmt.Errorf("xtreme1: %w", err)
	}
	idx := make([]int, len(f.Cameras))
	for i := range f.Cameras {
		c := &f.Cameras[i]
		cfg, err := Config(c)
		if err != nil {
			return fmt.Errorf("xtreme1: frame %d: camera %q: %w", f.Index, c.Name, err)
		}
		n, ok := w.byName[c.Name]
		if !ok {
			n = len(w.cams)
			w.byName[c.Name] = n
			w.cams = append(w.cams, nil)
		}
		w.cams[n], idx[i] = cfg, n
	}
	if w.dir.Done(f.Index) {
		if !w.resume {
			return fmt.Errorf("xtreme1: frame %d written twice", f.Index)
		}
		w.skipped++
		return nil
	}
	name := fmt.Sprintf("%06d", f.Index)
	pcd, err := pcdfile.XYZI(f.Lidar)
	if err != nil {
		return fmt.Errorf("xtreme1: frame %d: %w", f.Index, err)
	}
	if err := w.dir.WriteFile("lidar_point_cloud_0/"+name+".pcd", pcd); err != nil {
		return fmt.Errorf("xtreme1: frame %d: %w", f.Index, err)
	}
	for i := range f.Cameras {
		data, ext, _, err := imagefile.Bytes(f.Cameras[i].Image, 95)
		if err != nil {
			return fmt.Errorf("xtreme1: frame %d: camera %q: %w", f.Index, f.Cameras[i].Name, err)
		}
		if data == nil {
			continue
		}
		if err := w.dir.WriteFile(fmt.Sprintf("camera_image_%d/%s%s", idx[i], name, ext), data); err != nil {
			return fmt.Errorf("xtreme1: frame %d: %w", f.Index, err)
		}
	}
	last := -1
	for i, c := range w.cams {
		if c != nil {
			last = i
		}
	}
	cfgs := []*CameraConfig{}
	for _, c := range w.cams[:last+1] {
		if c == nil { // listed in Options.Cameras, not seen yet
			c = &CameraConfig{RowMajor: true}
		}
		cfgs = append(cfgs, c)
	}
	js, err := json.MarshalIndent(cfgs, "", "  ")
	if err != nil {
		return fmt.Errorf("xtreme1: frame %d: camera_config: %w", f.Index, err)
	}
	if err := w.dir.WriteFile("camera_config/"+name+".json", append(js, '\n')); err != nil {
		return fmt.Errorf("xtreme1: frame %d: %w", f.Index, err)
	}
	if f.Labels != nil {
		var buf bytes.Buffer
		if err := labels.WriteXtreme1(&buf, &labels.Frame{Index: f.Index, Token: name, StampNS: f.Stamp, Boxes: f.Labels}); err != nil {
			return fmt.Errorf("xtreme1: frame %d: %w", f.Index, err)
		}
		if err := w.dir.WriteFile("result/"+name+".json", buf.Bytes()); err != nil {
			return fmt.Errorf("xtreme1: frame %d: %w", f.Index, err)
		}
	}
	line, _ := json.Marshal(struct {
		Index   int   `json:"index"`
		StampNs int64 `json:"stamp_ns"`
	}{f.Index, f.Stamp})
	if err := w.dir.Commit(f.Index, line); err != nil {
		return fmt.Errorf("xtreme1: frame %d: %w", f.Index, err)
	}
	w.written++
	return nil
}

// Close closes the manifest.
func (w *Writer) Close() error {
	if err := w.dir.Close(); err != nil {
		return fmt.Errorf("xtreme1: %w", err)
	}
	return nil
}
