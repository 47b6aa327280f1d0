package labels

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rigsync/rigsync/calib/se3"
	"gonum.org/v1/gonum/num/quat"
)

// nuScenes table records (the fields the labels use; see the nuScenes
// schema, docs/schema_nuscenes.md of the devkit).
type nusCategory struct {
	Token       string `json:"token"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

type nusAttribute struct {
	Token       string `json:"token"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

type nusInstance struct {
	Token                string `json:"token"`
	CategoryToken        string `json:"category_token"`
	NbrAnnotations       int    `json:"nbr_annotations"`
	FirstAnnotationToken string `json:"first_annotation_token"`
	LastAnnotationToken  string `json:"last_annotation_token"`
}

type nusAnnotation struct {
	Token           string     `json:"token"`
	SampleToken     string     `json:"sample_token"`
	InstanceToken   string     `json:"instance_token"`
	VisibilityToken string     `json:"visibility_token"`
	AttributeTokens []string   `json:"attribute_tokens"`
	Translation     [3]float64 `json:"translation"`
	Size            [3]float64 `json:"size"`
	Rotation        [4]float64 `json:"rotation"`
	Prev            string     `json:"prev"`
	Next            string     `json:"next"`
	NumLidarPts     int        `json:"num_lidar_pts"`
	NumRadarPts     int        `json:"num_radar_pts"`
}

type nusSample struct {
	Token     string `json:"token"`
	Timestamp int64  `json:"timestamp"`
}

// nuScenes attributes a Box carries in Attributes under these keys.
const (
	// AttrNumLidarPts and AttrNumRadarPts are nuScenes' num_lidar_pts and
	// num_radar_pts (decimal); 0 when absent.
	AttrNumLidarPts = "num_lidar_pts"
	AttrNumRadarPts = "num_radar_pts"
	// AttrVisibility is nuScenes' visibility_token.
	AttrVisibility = "visibility_token"
)

func token(parts ...string) string {
	h := sha1.Sum([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}

// NuScenesTables returns the nuScenes annotation tables of s, file name →
// JSON: category.json, attribute.json, instance.json and
// sample_annotation.json. Every frame's Token must be the nuScenes sample
// token it annotates and every box be in the global frame (FrameGlobal;
// convert with Transformed and the sample's ego pose). Conventions at this
// boundary (nuScenes'): translation is the box centre in the global frame,
// size is [width, length, height] (wlh), rotation the quaternion
// [w, x, y, z] of T_global_box. The instance token is the box ID (so ids
// survive a round trip), category and annotation tokens are derived from
// names. A box attribute k=v becomes the nuScenes attribute "k.v"
// (AttrNumLidarPts, AttrNumRadarPts and AttrVisibility fill their fields).
// nuScenes has no velocity or per-box time: they are not written.
func NuScenesTables(s *Set) (map[string][]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	type ann struct {
		frame int
		rec   nusAnnotation
	}
	var anns []*ann
	cats := map[string]string{}  // name -> token
	attrs := map[string]string{} // name -> token
	inst := map[string]*nusInstance{}
	var instOrder []string
	byInst := map[string][]*ann{}
	frames := slices.Clone(s.Frames)
	slices.SortStableFunc(frames, func(a, b Frame) int { return a.Index - b.Index })
	for _, f := range frames {
		if f.Token == "" {
			return nil, fmt.Errorf("labels: nuscenes: frame %d has no sample token", f.Index)
		}
		seen := map[string]bool{}
		for _, b := range f.Boxes {
			if b.Frame != FrameGlobal {
				return nil, fmt.Errorf("labels: nuscenes: frame %d box %s is in %q, want %q", f.Index, b.ID, b.Frame, FrameGlobal)
			}
			if seen[b.ID] {
				return nil, fmt.Errorf("labels: nuscenes: frame %d has box %s twice", f.Index, b.ID)
			}
			seen[b.ID] = true
			if _, ok := cats[b.Class]; !ok {
				cats[b.Class] = token("category", b.Class)
			}
			q := b.Pose().Rot
			a := &ann{frame: f.Index, rec: nusAnnotation{Token: token("sample_annotation", f.Token, b.ID), SampleToken: f.Token,
				InstanceToken: b.ID, AttributeTokens: []string{},
				Translation: [3]float64{b.Center.X, b.Center.Y, b.Center.Z},
				Size:        [3]float64{b.Size.Width, b.Size.Length, b.Size.Height},
				Rotation:    [4]float64{q.Real, q.Imag, q.Jmag, q.Kmag}}}
			keys := make([]string, 0, len(b.Attributes))
			for k := range b.Attributes {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				v := b.Attributes[k]
				switch k {
				case AttrNumLidarPts, AttrNumRadarPts:
					n, err := strconv.Atoi(v)
					if err != nil {
						return nil, fmt.Errorf("labels: nuscenes: frame %d box %s: %s %q is not an integer", f.Index, b.ID, k, v)
					}
					if k == AttrNumLidarPts {
						a.rec.NumLidarPts = n
					} else {
						a.rec.NumRadarPts = n
					}
				case AttrVisibility:
					a.rec.VisibilityToken = v
				default:
					name := k + "." + v
					if _, ok := attrs[name]; !ok {
						attrs[name] = token("attribute", name)
					}
					a.rec.AttributeTokens = append(a.rec.AttributeTokens, attrs[name])
				}
			}
			anns = append(anns, a)
			in, ok := inst[b.ID]
			if !ok {
				in = &nusInstance{Token: b.ID, CategoryToken: cats[b.Class]}
				inst[b.ID] = in
				instOrder = append(instOrder, b.ID)
			}
			byInst[b.ID] = append(byInst[b.ID], a)
		}
	}
	for _, id := range instOrder {
		as := byInst[id]
		in := inst[id]
		in.NbrAnnotations = len(as)
		in.FirstAnnotationToken, in.LastAnnotationToken = as[0].rec.Token, as[len(as)-1].rec.Token
		for i, a := range as {
			if i > 0 {
				a.rec.Prev = as[i-1].rec.Token
			}
			if i+1 < len(as) {
				a.rec.Next = as[i+1].rec.Token
			}
		}
	}
	catRecs := make([]nusCategory, 0, len(cats))
	for name, tok := range cats {
		catRecs = append(catRecs, nusCategory{Token: tok, Name: name, Description: ""})
	}
	slices.SortFunc(catRecs, func(a, b nusCategory) int { return strings.Compare(a.Name, b.Name) })
	attrRecs := make([]nusAttribute, 0, len(attrs))
	for name, tok := range attrs {
		attrRecs = append(attrRecs, nusAttribute{Token: tok, Name: name, Description: ""})
	}
	slices.SortFunc(attrRecs, func(a, b nusAttribute) int { return strings.Compare(a.Name, b.Name) })
	instRecs := make([]nusInstance, 0, len(instOrder))
	for _, id := range instOrder {
		instRecs = append(instRecs, *inst[id])
	}
	annRecs := make([]nusAnnotation, len(anns))
	for i, a := range anns {
		annRecs[i] = a.rec
	}
	out := map[string][]byte{}
	for name, v := range map[string]any{"category.json": catRecs, "attribute.json": attrRecs, "instance.json": instRecs,
		"sample_annotation.json": annRecs} {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("labels: nuscenes: %w", err)
		}
		out[name] = append(b, '\n')
	}
	return out, nil
}

// WriteNuScenes writes NuScenesTables(s) into dir, the version folder of
// a nuScenes layout (e.g. OUT/v1.0-trainval), replacing those four tables.
func WriteNuScenes(dir string, s *Set) error {
	tables, err := NuScenesTables(s)
	if err != nil {
		return err
	}
	for _, name := range []string{"category.json", "attribute.json", "instance.json", "sample_annotation.json"} {
		if err := writeFileAtomic(filepath.Join(dir, name), tables[name]); err != nil {
			return err
		}
	}
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func readTable[T any](fsys fs.FS, name string, optional bool) ([]T, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		if optional && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, &Error{File: name, Err: err}
	}
	var out []T
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, &Error{File: name, Record: offsetOf(data, err), Err: err}
	}
	return out, nil
}

// ReadNuScenes reads the annotations of a nuScenes version folder (fsys
// is rooted at it, e.g. os.DirFS("OUT/v1.0-trainval")):
// sample_annotation.json, instance.json and category.json, with
// attribute.json and sample.json when present. One Frame per annotated
// sample, ordered by sample.json's timestamp (µs, StampNS = µs·1000; the
// order of first appearance without it), Token the sample token; boxes in
// FrameGlobal, ID the instance token, Class the category name, sizes and
// rotations converted as NuScenesTables describes.
func ReadNuScenes(fsys fs.FS) (*Set, error) {
	anns, err := readTable[nusAnnotation](fsys, "sample_annotation.json", false)
	if err != nil {
		return nil, err
	}
	insts, err := readTable[nusInstance](fsys, "instance.json", false)
	if err != nil {
		return nil, err
	}
	cats, err := readTable[nusCategory](fsys, "category.json", false)
	if err != nil {
		return nil, err
	}
	attrs, err := readTable[nusAttribute](fsys, "attribute.json", true)
	if err != nil {
		return nil, err
	}
	samples, err := readTable[nusSample](fsys, "sample.json", true)
	if err != nil {
		return nil, err
	}
	catName := map[string]string{}
	for _, c := range cats {
		catName[c.Token] = c.Name
	}
	attrName := map[string]string{}
	for _, a := range attrs {
		attrName[a.Token] = a.Name
	}
	instCat := map[string]string{}
	for i, in := range insts {
		name, ok := catName[in.CategoryToken]
		if !ok {
			return nil, errf("instance.json", fmt.Sprintf("record %d (token %s)", i, in.Token), "unknown category_token %q", in.CategoryToken)
		}
		instCat[in.Token] = name
	}
	stamp := map[string]int64{}
	for _, s := range samples {
		stamp[s.Token] = s.Timestamp
	}
	idx := map[string]int{}
	set := &Set{}
	for i, a := range anns {
		rec := fmt.Sprintf("record %d (token %s)", i, a.Token)
		class, ok := instCat[a.InstanceToken]
		if !ok {
			return nil, errf("sample_annotation.json", rec, "unknown instance_token %q", a.InstanceToken)
		}
		q := quat.Number{Real: a.Rotation[0], Imag: a.Rotation[1], Jmag: a.Rotation[2], Kmag: a.Rotation[3]}
		T, err := se3.FromQuatWXYZ(q.Real, q.Imag, q.Jmag, q.Kmag, vec3(a.Translation))
		if err != nil {
			return nil, errf("sample_annotation.json", rec, "rotation %v: %v", a.Rotation, err)
		}
		b := Box{ID: a.InstanceToken, Class: class, Frame: FrameGlobal, Size: Size{Length: a.Size[1], Width: a.Size[0], Height: a.Size[2]}}
		b.SetPose(T)
		if a.NumLidarPts != 0 || a.NumRadarPts != 0 {
			b.Attributes = map[string]string{AttrNumLidarPts: strconv.Itoa(a.NumLidarPts), AttrNumRadarPts: strconv.Itoa(a.NumRadarPts)}
		}
		if a.VisibilityToken != "" {
			if b.Attributes == nil {
				b.Attributes = map[string]string{}
			}
			b.Attributes[AttrVisibility] = a.VisibilityToken
		}
		for _, t := range a.AttributeTokens {
			name, ok := attrName[t]
			if !ok {
				return nil, errf("sample_annotation.json", rec, "unknown attribute token %q", t)
			}
			k, v, _ := strings.Cut(name, ".")
			if b.Attributes == nil {
				b.Attributes = map[string]string{}
			}
			b.Attributes[k] = v
		}
		if err := b.Validate(); err != nil {
			return nil, errf("sample_annotation.json", rec, "%v", err)
		}
		fi, ok := idx[a.SampleToken]
		if !ok {
			fi = len(set.Frames)
			idx[a.SampleToken] = fi
			set.Frames = append(set.Frames, Frame{Token: a.SampleToken, StampNS: stamp[a.SampleToken] * 1000})
		}
		set.Frames[fi].Boxes = append(set.Frames[fi].Boxes, b)
	}
	if samples != nil {
		slices.SortStableFunc(set.Frames, func(a, b Frame) int {
			switch {
			case a.StampNS < b.StampNS:
				return -1
			case a.StampNS > b.StampNS:
				return 1
			}
			return 0
		})
	}
	for i := range set.Frames {
		set.Frames[i].Index = i
	}
	return set, nil
}
