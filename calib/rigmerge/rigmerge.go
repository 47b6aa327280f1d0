// Package rigmerge merges the calibration files of one rig — rig.yaml
// files and any file calib/calibio reads (a Kalibr camchain, an Autoware
// sensor_kit file, a ROS camera_info YAML, ...) — into one rig model
// (calib/rig) whose every item (extrinsic, intrinsics, clock) remembers
// the file it came from (rig.Sensor.Sources).
//
// Frames are named as the log names its sensors (header frame ids): a
// file frame that differs is renamed by Options.Map (FILE_FRAME=SENSOR,
// e.g. Kalibr's cam0=cam_front). Extrinsics that a file gives relative to
// another sensor (Kalibr T_cn_cnm1 chains, camera–IMU T_cam_imu, Autoware
// parent→child mounts) are composed into T_base_sensor through one
// calib/tftree of every file's transforms; a frame whose chain does not
// reach the base is reported with the missing link (Result.Unreached).
// The same item given by two files is a conflict (an error naming both
// files) unless the two agree within Tolerance.
//
// Conventions at this boundary: calibio has already turned every format
// into T_parent_child with gonum quaternions (w first), so a file's
// quaternion order (nuScenes w,x,y,z; ROS, Apollo x,y,z,w) no longer
// matters here. Autoware calibrates camera_link body frames (REP-103:
// x forward, z up): for each Autoware child "<p>camera_link" the merge
// adds its optical frame "<p>camera_optical_link" (x right, y down, z
// forward; se3.LinkToOptical), which is the frame camera images use.
// Kalibr's timeshift_cam_imu (t_imu = t_cam + shift) becomes the camera's
// clock offset −shift, taking the IMU's clock as the reference.
//
// The package is pure: the files are read by the caller (calibio, rig).
package rigmerge

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/calib/tftree"
)

// Tolerance is how far two files may disagree on an item and still be
// "identical" rather than a conflict: metres for translations, radians
// for rotations, relative for intrinsics. It absorbs the rounding of
// writing a transform as a matrix, Euler angles or a quaternion.
const Tolerance = 1e-9

// ErrConflict marks two files that give the same item differently.
var ErrConflict = errors.New("rigmerge: conflicting calibration")

// Input is one calibration file: a rig.yaml (Rig) or any other format
// (Calib), exactly one of them set.
type Input struct {
	// Name is how the file is named in item sources and errors (usually
	// its base name).
	Name string
	// Rig is the content of a rig.yaml.
	Rig *rig.Rig
	// Calib is the content of any other calibration file.
	Calib *calibio.Calibration
}

// Options are the settings of Merge.
type Options struct {
	// Base is the frame the merged extrinsics are relative to. "" takes
	// the first rig.yaml's base_frame, else "base_link" when a file names
	// it, else the single root of the merged transform tree.
	Base string
	// Map renames file frames (and camera names) to the log's sensor
	// frames: FILE_FRAME → SENSOR.
	Map map[string]string
}

// Result is the merged rig.
type Result struct {
	// Rig is the merged rig; each sensor's Sources names the file(s) of
	// each item (a composed extrinsic names every file on its chain,
	// joined by "+").
	Rig *rig.Rig
	// Unreached lists the frames whose transforms do not reach the base,
	// each with its missing link, e.g. "cam0: chain cam0 → imu0 ends at
	// imu0; missing link base_link → imu0". They have no extrinsic.
	Unreached []string
	// Notes say what the merge assumed (an optical frame added, a base
	// chosen, a redundant transform dropped, a clock offset taken).
	Notes []string
}

// ParseMap parses FILE_FRAME=SENSOR arguments (each may also be a
// comma-separated list of them).
func ParseMap(args []string) (map[string]string, error) {
	m := map[string]string{}
	for _, a := range args {
		for _, kv := range strings.Split(a, ",") {
			kv = strings.TrimSpace(kv)
			if kv == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || k == "" || v == "" {
				return nil, fmt.Errorf("rigmerge: --map %q: want FILE_FRAME=SENSOR", kv)
			}
			if old, dup := m[k]; dup && old != v {
				return nil, fmt.Errorf("rigmerge: --map %s is given twice (%s and %s)", k, old, v)
			}
			m[k] = v
		}
	}
	return m, nil
}

// item is one sensor's merged items while merging.
type item struct {
	frame    string
	name     string
	topic    string
	modality string
	intr     *rig.Intrinsics
	clock    *rig.Clock
	rolling  *rig.RollingShutter // from the first rig.yaml that gives one
	missing  []string
	notes    []string
	atBase   string // the rig.yaml that places this sensor at its base frame
	src      map[string]string
	order    int
}

// link is one transform of one file.
type link struct {
	parent, child string
	T             se3.Transform
	file          string
}

type merger struct {
	o       Options
	items   map[string]*item
	links   []link
	notes   []string
	mapUsed map[string]bool
	body    map[string]bool // Autoware camera_link frames (their optical twin is the sensor)
}

func (m *merger) rename(f string) string {
	if v, ok := m.o.Map[f]; ok {
		m.mapUsed[f] = true
		return v
	}
	return f
}

func (m *merger) item(frame string) *item {
	it, ok := m.items[frame]
	if !ok {
		it = &item{frame: frame, name: frame, src: map[string]string{}, order: len(m.items)}
		m.items[frame] = it
	}
	return it
}

// Merge merges the inputs into one rig (see the package doc). It fails on
// an input with neither or both of Rig and Calib, on a conflict between
// files (ErrConflict, naming both), and when no base frame can be chosen.
func Merge(in []Input, o Options) (*Result, error) {
	m := &merger{o: o, items: map[string]*item{}, mapUsed: map[string]bool{}, body: map[string]bool{}}
	base := o.Base
	for _, x := range in {
		if (x.Rig == nil) == (x.Calib == nil) {
			return nil, fmt.Errorf("rigmerge: input %q: want a rig or a calibration", x.Name)
		}
		if x.Rig != nil && base == "" {
			base = x.Rig.BaseFrame
		}
	}
	for _, x := range in {
		var err error
		if x.Rig != nil {
			err = m.addRig(x)
		} else {
			err = m.addCalib(x)
		}
		if err != nil {
			return nil, err
		}
	}
	for k := range o.Map {
		if !m.mapUsed[k] {
			m.notes = append(m.notes, fmt.Sprintf("--map %s=%s: no file names %s", k, o.Map[k], k))
		}
	}
	tree, via, err := m.tree()
	if err != nil {
		return nil, err
	}
	if base, err = chooseBase(base, tree, m); err != nil {
		return nil, err
	}
	res := &Result{Rig: &rig.Rig{Version: rig.Version, BaseFrame: base}}
	// Which frames are sensors: every item and every frame of the
	// transforms, except mounts (a frame named *base_link, such as
	// Autoware's sensor_kit_base_link, unless --map names it) and the
	// camera_link body frames whose optical frame was added.
	mapped := map[string]bool{}
	for _, v := range o.Map {
		mapped[v] = true
	}
	for _, f := range tree.Frames() {
		if f == base || m.body[f] && !mapped[f] || strings.HasSuffix(f, "base_link") && !mapped[f] {
			continue
		}
		m.item(f)
	}
	its := make([]*item, 0, len(m.items))
	for _, it := range m.items {
		its = append(its, it)
	}
	sort.Slice(its, func(i, j int) bool { return its[i].order < its[j].order })
	for _, it := range its {
		s := rig.Sensor{Name: it.name, Topic: it.topic, Modality: it.modality, Frame: it.frame, Intrinsics: it.intr, Clock: it.clock, RollingShutter: it.rolling, Missing: it.missing, Notes: it.notes}
		if s.Modality == "" {
			s.Modality = guessModality(it.frame, it.intr != nil)
		}
		src := map[string]string{}
		for k, v := range it.src {
			src[k] = v
		}
		if it.frame == base {
			if it.atBase != "" {
				s.SetT(se3.Identity())
				src["extrinsic"] = it.atBase
			}
		} else if tree.Known(it.frame) {
			T, err := tree.Lookup(base, it.frame, tftree.Latest)
			if err == nil {
				s.SetT(T)
				src["extrinsic"] = strings.Join(chainFiles(tree, via, base, it.frame), "+")
			} else {
				res.Unreached = append(res.Unreached, missingLink(tree, base, it.frame))
			}
		}
		if s.Extrinsic == nil && s.Intrinsics == nil && s.Clock == nil {
			continue
		}
		// What another file now gives is no longer missing.
		s.Missing = slices.DeleteFunc(slices.Clone(s.Missing), func(k string) bool {
			return k == "extrinsic" && s.Extrinsic != nil || k == "intrinsics" && s.Intrinsics != nil || k == "clock" && s.Clock != nil
		})
		if len(s.Missing) == 0 {
			s.Missing = nil
		}
		s.Sources = src
		res.Rig.Sensors = append(res.Rig.Sensors, s)
	}
	if err := res.Rig.Validate(); err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, s := range res.Rig.Sensors {
		for _, v := range s.Sources {
			for _, f := range strings.Split(v, "+") {
				used[f] = true
			}
		}
	}
	for _, x := range in {
		if !used[x.Name] {
			m.notes = append(m.notes, fmt.Sprintf("%s: gives no sensor's calibration here (its frames are mounts, or do not reach %s)", x.Name, base))
		}
	}
	res.Notes = m.notes
	return res, nil
}

func (m *merger) addRig(x Input) error {
	rg := x.Rig
	for i := range rg.Sensors {
		s := &rg.Sensors[i]
		frame := s.Frame
		if frame == "" {
			frame = s.Name
		}
		frame = m.rename(frame)
		it := m.item(frame)
		if it.name == it.frame && s.Name != "" {
			it.name = s.Name
		}
		if it.topic == "" {
			it.topic = s.Topic
		}
		if it.modality == "" {
			it.modality = s.Modality
		}
		if it.missing == nil {
			it.missing = s.Missing
		}
		if it.rolling == nil && s.RollingShutter != nil {
			rs := *s.RollingShutter
			it.rolling = &rs
		}
		it.notes = append(it.notes, s.Notes...)
		if s.Intrinsics != nil {
			if err := m.setIntrinsics(it, s.Intrinsics, x.Name); err != nil {
				return err
			}
		}
		if s.Clock != nil {
			if err := m.setClock(it, s.Clock, x.Name); err != nil {
				return err
			}
		}
		if s.Extrinsic != nil {
			T, err := s.T()
			if err != nil {
				return fmt.Errorf("rigmerge: %s: %w", x.Name, err)
			}
			if frame != m.rename(rg.BaseFrame) {
				m.links = append(m.links, link{parent: m.rename(rg.BaseFrame), child: frame, T: T, file: x.Name})
			} else if it.atBase == "" {
				it.atBase = x.Name
			}
		}
	}
	return nil
}

func (m *merger) addCalib(x Input) error {
	c := x.Calib
	for _, cam := range c.Cameras {
		f := cam.Frame
		if f == "" {
			f = cam.Name
		}
		if f == "" {
			return fmt.Errorf("rigmerge: %s: a camera without a name or frame", x.Name)
		}
		if _, ok := m.o.Map[f]; !ok && cam.Name != "" {
			if _, ok := m.o.Map[cam.Name]; ok {
				f = cam.Name
			}
		}
		it := m.item(m.rename(f))
		it.modality = "camera"
		if it.topic == "" {
			it.topic = cam.Topic
		}
		if err := m.setIntrinsics(it, rig.IntrinsicsFrom(cam), x.Name); err != nil {
			return err
		}
		if shift, ok := c.Scalars[cam.Name+".timeshift_cam_imu"]; ok && shift != 0 {
			ck := &rig.Clock{OffsetNs: int64(math.Round(-shift * 1e9))}
			if err := m.setClock(it, ck, x.Name); err != nil {
				return err
			}
			m.notes = append(m.notes, fmt.Sprintf("%s: %s.timeshift_cam_imu %g s taken as clock offset %d ns of %s (t_imu = t_cam + shift; the IMU's clock is the reference)", x.Name, cam.Name, shift, ck.OffsetNs, it.frame))
		}
	}
	for _, e := range c.Extrinsics {
		m.links = append(m.links, link{parent: m.rename(e.Parent), child: m.rename(e.Child), T: e.T, file: x.Name})
		if c.Format == calibio.Autoware && strings.HasSuffix(e.Child, "camera_link") {
			opt := strings.TrimSuffix(e.Child, "camera_link") + "camera_optical_link"
			m.links = append(m.links, link{parent: m.rename(e.Child), child: m.rename(opt), T: se3.LinkToOptical, file: x.Name})
			m.body[m.rename(e.Child)] = true
			m.notes = append(m.notes, fmt.Sprintf("%s: %s is a body frame (Autoware); its optical frame %s added (rpy −π/2, 0, −π/2)", x.Name, e.Child, opt))
		}
	}
	return nil
}

func (m *merger) setIntrinsics(it *item, in *rig.Intrinsics, file string) error {
	if it.intr != nil {
		if !sameIntrinsics(it.intr, in) {
			return fmt.Errorf("%w: %s intrinsics: %s gives %s, %s gives %s", ErrConflict, it.frame, it.src["intrinsics"], describe(it.intr), file, describe(in))
		}
		return nil
	}
	it.intr, it.src["intrinsics"] = in, file
	return nil
}

func (m *merger) setClock(it *item, ck *rig.Clock, file string) error {
	if it.clock != nil {
		if *it.clock != *ck {
			return fmt.Errorf("%w: %s clock: %s gives offset %d ns drift %g ppm, %s gives offset %d ns drift %g ppm", ErrConflict, it.frame,
				it.src["clock"], it.clock.OffsetNs, it.clock.DriftPPM, file, ck.OffsetNs, ck.DriftPPM)
		}
		return nil
	}
	c := *ck
	it.clock, it.src["clock"] = &c, file
	return nil
}

// tree builds one transform tree of every file's links. A link whose
// child already has a parent, or that closes a loop, is redundant: it
// must agree with the tree where both are known (else ErrConflict names
// both files); within one file a redundant link is dropped silently
// (Kalibr's T_cn_cnm1 beside T_cam_imu). via names the file of each
// frame's parent link.
func (m *merger) tree() (*tftree.Tree, map[string]string, error) {
	tr := tftree.New()
	via := map[string]string{}
	var redundant []link
	for _, l := range m.links {
		if l.parent == l.child {
			continue
		}
		if _, has := tr.Parent(l.child); has {
			redundant = append(redundant, l) // a second parent, or the same link again
			continue
		}
		if err := tr.SetStatic(l.parent, l.child, l.T); err != nil {
			redundant = append(redundant, l) // closes a loop
			continue
		}
		via[l.child] = l.file
	}
	for _, l := range redundant {
		have, err := tr.Lookup(l.parent, l.child, tftree.Latest)
		if err != nil {
			continue // unreachable either way: nothing to compare
		}
		angle, dist := se3.Diff(have, l.T)
		if angle <= Tolerance && dist <= Tolerance {
			continue
		}
		files := chainFiles(tr, via, l.parent, l.child)
		if len(files) == 1 && files[0] == l.file {
			m.notes = append(m.notes, fmt.Sprintf("%s: %s→%s differs from the chain through the file's other transforms by %.3g rad, %.3g m; the chain is used", l.file, l.parent, l.child, angle, dist))
			continue
		}
		return nil, nil, fmt.Errorf("%w: transform %s→%s: %s gives %v, %s gives %v (%.3g rad, %.3g m apart)", ErrConflict,
			l.parent, l.child, strings.Join(files, "+"), have, l.file, l.T, angle, dist)
	}
	return tr, via, nil
}

// chainFiles lists the files of the links on the path between a and b.
func chainFiles(tr *tftree.Tree, via map[string]string, a, b string) []string {
	up := func(f string) []string {
		out := []string{f}
		for {
			p, ok := tr.Parent(f)
			if !ok || len(out) > len(via)+1 {
				return out
			}
			out = append(out, p)
			f = p
		}
	}
	ca, cb := up(a), up(b)
	var anc string
	for _, f := range cb {
		if slices.Contains(ca, f) {
			anc = f
			break
		}
	}
	var files []string
	for _, c := range [][]string{ca, cb} {
		for _, f := range c {
			if f == anc {
				break
			}
			if v := via[f]; v != "" && !slices.Contains(files, v) {
				files = append(files, v)
			}
		}
	}
	sort.Strings(files)
	return files
}

// missingLink says where frame's chain ends and which link to base is
// missing.
func missingLink(tr *tftree.Tree, base, frame string) string {
	chain := []string{frame}
	for f := frame; ; {
		p, ok := tr.Parent(f)
		if !ok || len(chain) > 64 {
			break
		}
		chain = append(chain, p)
		f = p
	}
	root := chain[len(chain)-1]
	return fmt.Sprintf("%s: chain %s ends at %s; missing link %s → %s (a file with that transform, or --map %s=<a frame the log or a file places>)",
		frame, strings.Join(chain, " → "), root, base, root, root)
}

// chooseBase picks the base frame (see Options.Base).
func chooseBase(base string, tr *tftree.Tree, m *merger) (string, error) {
	if base != "" {
		return base, nil
	}
	if tr.Known("base_link") {
		return "base_link", nil
	}
	var roots []string
	for _, f := range tr.Frames() {
		if _, ok := tr.Parent(f); !ok {
			roots = append(roots, f)
		}
	}
	switch len(roots) {
	case 0:
		if len(m.items) > 0 {
			m.notes = append(m.notes, "no transforms: base frame base_link")
		}
		return "base_link", nil
	case 1:
		m.notes = append(m.notes, fmt.Sprintf("base frame %s: the root of every transform (no rig.yaml, no base_link)", roots[0]))
		return roots[0], nil
	}
	return "", fmt.Errorf("rigmerge: the transforms have %d roots (%s) and none is base_link; name the base (--map ROOT=base_link)", len(roots), strings.Join(roots, ", "))
}

func sameIntrinsics(a, b *rig.Intrinsics) bool {
	if a.Model != b.Model || a.Width != b.Width || a.Height != b.Height || !near(a.Fx, b.Fx) || !near(a.Fy, b.Fy) || !near(a.Cx, b.Cx) || !near(a.Cy, b.Cy) {
		return false
	}
	n := max(len(a.Distortion), len(b.Distortion))
	for i := range n {
		var x, y float64
		if i < len(a.Distortion) {
			x = a.Distortion[i]
		}
		if i < len(b.Distortion) {
			y = b.Distortion[i]
		}
		if !near(x, y) {
			return false
		}
	}
	return true
}

func near(a, b float64) bool { return math.Abs(a-b) <= Tolerance*max(1, math.Abs(a), math.Abs(b)) }

func describe(in *rig.Intrinsics) string {
	return fmt.Sprintf("%s %dx%d fx %g fy %g cx %g cy %g D %v", in.Model, in.Width, in.Height, in.Fx, in.Fy, in.Cx, in.Cy, in.Distortion)
}

// guessModality names a frame's modality from its name (rig.yaml needs
// one); "other" when the name does not tell.
func guessModality(frame string, intrinsics bool) string {
	f := strings.ToLower(frame)
	switch {
	case intrinsics || strings.Contains(f, "cam"):
		return "camera"
	case strings.Contains(f, "lidar") || strings.Contains(f, "velo") || strings.Contains(f, "ouster") ||
		strings.Contains(f, "hesai") || strings.Contains(f, "livox") || strings.Contains(f, "pandar"):
		return "lidar"
	case strings.Contains(f, "radar"):
		return "radar"
	case strings.Contains(f, "imu"):
		return "imu"
	case strings.Contains(f, "gnss") || strings.Contains(f, "gps") || strings.Contains(f, "novatel"):
		return "gnss"
	}
	return "other"
}

// Unmapped lists the merged sensors whose frame is not a sensor of the
// log (known reports the log's frames), each with the items and files it
// brings: what a --map is probably missing.
func (r *Result) Unmapped(known func(frame string) bool) []string {
	var out []string
	for _, s := range r.Rig.Sensors {
		if known(s.Frame) {
			continue
		}
		var from []string
		for _, k := range []string{"extrinsic", "intrinsics", "clock"} {
			if v, ok := s.Sources[k]; ok {
				from = append(from, k+" "+v)
			}
		}
		out = append(out, fmt.Sprintf("%s (%s)", s.Frame, strings.Join(from, "; ")))
	}
	return out
}
