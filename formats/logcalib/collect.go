package logcalib

import (
	"fmt"
	"slices"
	"sort"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/formats"
)

// Edge is one transform T_parent_child found in a log, static or not.
type Edge struct {
	Parent, Child string
	// Static and Topic are those of the first message that carried it.
	Static bool
	Topic  string
	// Count is how many times it was read.
	Count int64
	// First is the first T_parent_child read.
	First formats.Transform
}

// CameraInfo is the first camera calibration of a channel, as decoded.
type CameraInfo struct {
	Topic, Frame string
	Info         formats.CameraInfo
}

// Collector builds a Calibration from the decoded messages of a log, fed
// in read order by whichever pass reads the log (Read, the `info`
// report's pass). Only transforms and camera calibrations are looked at.
// The zero value is ready to use.
type Collector struct {
	c       Calibration
	edges   map[[2]string]*Edge
	camSeen map[string]bool
}

// Add records the transforms or camera calibration m carries; other
// payloads are ignored. It returns an error, after recording what it
// could, when a static transform has an invalid rotation (such a message
// adds nothing to Static).
func (k *Collector) Add(m formats.Message) error {
	switch p := m.Payload.(type) {
	case *formats.Transforms:
		if k.edges == nil {
			k.edges = map[[2]string]*Edge{}
		}
		for _, t := range p.Transforms {
			key := [2]string{t.Parent, t.Child}
			e := k.edges[key]
			if e == nil {
				e = &Edge{Parent: t.Parent, Child: t.Child, Static: p.Static, Topic: m.Topic, First: t}
				k.edges[key] = e
			}
			e.Count++
		}
		if p.Static {
			x, err := calibio.FromTransforms(*p)
			if err != nil {
				return fmt.Errorf("logcalib: %s: %w", m.Topic, err)
			}
			k.c.Static = append(k.c.Static, x...)
		}
	case *formats.CameraInfo:
		if k.camSeen == nil {
			k.camSeen = map[string]bool{}
		}
		if !k.camSeen[m.Topic] {
			k.camSeen[m.Topic] = true
			info := *p
			info.D = slices.Clone(p.D)
			k.c.Infos = append(k.c.Infos, CameraInfo{Topic: m.Topic, Frame: m.FrameID, Info: info})
			if c, err := calibio.FromCameraInfo(m.Topic, m.FrameID, *p); err == nil {
				k.c.Cameras = append(k.c.Cameras, c)
			}
		}
	}
	return nil
}

// Calibration returns what was collected so far (Sensors is left empty),
// with Edges sorted by parent then child.
func (k *Collector) Calibration() *Calibration {
	c := k.c
	c.Static = append([]calibio.Extrinsic(nil), c.Static...)
	c.Cameras = append([]calibio.Camera(nil), c.Cameras...)
	c.Infos = append([]CameraInfo(nil), c.Infos...)
	c.Edges = make([]Edge, 0, len(k.edges))
	for _, e := range k.edges {
		c.Edges = append(c.Edges, *e)
	}
	sort.Slice(c.Edges, func(i, j int) bool {
		if c.Edges[i].Parent != c.Edges[j].Parent {
			return c.Edges[i].Parent < c.Edges[j].Parent
		}
		return c.Edges[i].Child < c.Edges[j].Child
	})
	return &c
}
