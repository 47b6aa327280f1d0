package labels

import (
	"bytes"
	"strings"
	"testing"
	"testing/fstest"
)

// seedFiles are the test set written in every format: the fuzzers start
// from valid files.
func seedFiles(f *testing.F) map[string][]byte {
	f.Helper()
	out := map[string][]byte{}
	var b bytes.Buffer
	s := testSet(true)
	if err := WriteJSON(&b, s); err != nil {
		f.Fatal(err)
	}
	out["json"] = bytes.Clone(b.Bytes())
	tables, err := NuScenesTables(withFrame(s, FrameGlobal))
	if err != nil {
		f.Fatal(err)
	}
	out["nuscenes"] = tables["sample_annotation.json"]
	out["nuscenes_instance"] = tables["instance.json"]
	out["nuscenes_category"] = tables["category.json"]
	b.Reset()
	if err := WriteKITTILabels(&b, testSet(false).Frames[0].Boxes, kittiTestCalib(), 1280, 720); err != nil {
		f.Fatal(err)
	}
	out["kitti"] = bytes.Clone(b.Bytes())
	b.Reset()
	if _, err := WriteSegments(&b, withFrame(s, FrameWorld), nil); err != nil {
		f.Fatal(err)
	}
	out["segments"] = bytes.Clone(b.Bytes())
	b.Reset()
	if err := WriteCVAT(&b, nil, s); err != nil {
		f.Fatal(err)
	}
	out["cvat"] = bytes.Clone(b.Bytes())
	b.Reset()
	if err := WriteXtreme1(&b, &s.Frames[0]); err != nil {
		f.Fatal(err)
	}
	out["xtreme1"] = bytes.Clone(b.Bytes())
	return out
}

func checkBoxes(t *testing.T, boxes []Box) {
	t.Helper()
	for i := range boxes {
		if err := boxes[i].Validate(); err != nil {
			t.Errorf("accepted an invalid box: %v", err)
		}
	}
}

func checkSet(t *testing.T, s *Set) {
	t.Helper()
	for _, f := range s.Frames {
		checkBoxes(t, f.Boxes)
	}
}

// FuzzReadJSON: ReadJSON never panics; what it accepts is valid and
// survives a write and read unchanged.
func FuzzReadJSON(f *testing.F) {
	f.Add(seedFiles(f)["json"])
	f.Add([]byte(`{"format":"rigsync.labels","version":1,"frames":[{"boxes":[{"id":"a","class":"c","size":[1,1,1]}]}]}`))
	f.Add([]byte(`{"format":"rigsync.labels","version":1,"frames":[{"boxes":[{"id":"a","class":"c","size":[1,1,1],"cameras":[{"camera":"cam_front","time_ns":5,"center":[1,2,3],"yaw":0.5}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadJSON(bytes.NewReader(data), "f.json")
		if err != nil {
			return
		}
		checkSet(t, s)
		var b bytes.Buffer
		if err := WriteJSON(&b, s); err != nil {
			t.Fatalf("accepted but cannot write: %v", err)
		}
		if _, err := ReadJSON(&b, "again.json"); err != nil {
			t.Fatalf("written but not read back: %v", err)
		}
	})
}

// FuzzReadNuScenes: ReadNuScenes never panics on any sample_annotation,
// instance and category tables.
func FuzzReadNuScenes(f *testing.F) {
	sf := seedFiles(f)
	f.Add(sf["nuscenes"], sf["nuscenes_instance"], sf["nuscenes_category"])
	f.Fuzz(func(t *testing.T, ann, inst, cat []byte) {
		s, err := ReadNuScenes(fstest.MapFS{"sample_annotation.json": {Data: ann}, "instance.json": {Data: inst}, "category.json": {Data: cat}})
		if err == nil {
			checkSet(t, s)
		}
	})
}

// FuzzReadKITTI: the label and calib readers never panic.
func FuzzReadKITTI(f *testing.F) {
	f.Add(seedFiles(f)["kitti"], []byte("P2: 700 0 640 0 0 700 360 0 0 0 1 0\nR0_rect: 1 0 0 0 1 0 0 0 1\nTr_velo_to_cam: 0 -1 0 0 0 0 -1 1.5 1 0 0 -1.6\n"))
	f.Add([]byte("0 3 Car 0 0 0 1 2 3 4 1.5 1.8 4 1 1.6 10 0.5\n"), []byte("P2: 1"))
	f.Fuzz(func(t *testing.T, label, calib []byte) {
		c, err := ReadKITTICalib(bytes.NewReader(calib), "calib.txt")
		if err != nil {
			c = kittiTestCalib()
		}
		boxes, err := ReadKITTILabels(bytes.NewReader(label), "label.txt", c, FrameBase)
		if err == nil {
			checkBoxes(t, boxes)
		}
		if s, err := ReadKITTITracking(bytes.NewReader(label), "tracking.txt", c, FrameBase); err == nil {
			checkSet(t, s)
		}
	})
}

// FuzzReadSegments: ReadSegments never panics.
func FuzzReadSegments(f *testing.F) {
	f.Add(seedFiles(f)["segments"])
	f.Fuzz(func(t *testing.T, data []byte) {
		cats := []SegmentsCategory{{1, "car"}, {2, "truck"}, {3, "pole"}, {4, "building"}, {5, "pedestrian"}}
		if s, err := ReadSegments(bytes.NewReader(data), "label.json", cats); err == nil {
			checkSet(t, s)
		}
	})
}

// FuzzReadCVAT: ReadCVAT never panics.
func FuzzReadCVAT(f *testing.F) {
	f.Add(seedFiles(f)["cvat"], []byte("0 a\n1 b\n"))
	f.Fuzz(func(t *testing.T, data, list []byte) {
		if s, err := ReadCVAT(bytes.NewReader(data), "tracklet_labels.xml", bytes.NewReader(list), FrameBase); err == nil {
			checkSet(t, s)
		}
	})
}

// FuzzReadXtreme1: ReadXtreme1 never panics.
func FuzzReadXtreme1(f *testing.F) {
	f.Add(seedFiles(f)["xtreme1"])
	f.Add([]byte(`{"objects":[{"type":"3D_BOX","className":"car","contour":{"size3D":{"x":1,"y":1,"z":1}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		boxes, err := ReadXtreme1(bytes.NewReader(data), "r.json", FrameBase)
		if err == nil {
			checkBoxes(t, boxes)
			for _, b := range boxes {
				if strings.TrimSpace(b.ID) == "" && b.ID != "" {
					t.Errorf("blank id %q", b.ID)
				}
			}
		}
	})
}

// FuzzReadNuScenesSamples: ReadNuScenesSamples never panics on any
// sample, sample_data, ego_pose, calibrated_sensor and sensor tables.
func FuzzReadNuScenesSamples(f *testing.F) {
	f.Add([]byte(`[{"token":"s","timestamp":1}]`),
		[]byte(`[{"token":"d","sample_token":"s","ego_pose_token":"e","calibrated_sensor_token":"c","is_key_frame":true}]`),
		[]byte(`[{"token":"e","translation":[1,2,3],"rotation":[1,0,0,0]}]`),
		[]byte(`[{"token":"c","sensor_token":"l"}]`),
		[]byte(`[{"token":"l","channel":"LIDAR_TOP","modality":"lidar"}]`))
	f.Fuzz(func(t *testing.T, sample, sd, ego, cal, sensor []byte) {
		ss, err := ReadNuScenesSamples(fstest.MapFS{"sample.json": {Data: sample}, "sample_data.json": {Data: sd},
			"ego_pose.json": {Data: ego}, "calibrated_sensor.json": {Data: cal}, "sensor.json": {Data: sensor}})
		if err != nil {
			return
		}
		for _, s := range ss {
			if !finite(s.Ego.Trans.X, s.Ego.Trans.Y, s.Ego.Trans.Z, s.Ego.Rot.Real) {
				t.Errorf("sample %s: ego %v not finite", s.Token, s.Ego)
			}
		}
	})
}

// FuzzReadExport: ReadExport never panics on any manifest (with one
// Xtreme1 result) nor on any Segments.ai sample.json (with one labels.json
// frame); every stamp it returns is positive.
func FuzzReadExport(f *testing.F) {
	f.Add([]byte(`{"index":0,"stamp_ns":1709294400000000000,"clock":"sensor:lidar_top"}`+"\n"),
		[]byte(`{"frames":[{"ego_pose":{"position":{"x":1,"y":2,"z":0},"heading":{"qx":0,"qy":0,"qz":0,"qw":1}}}]}`))
	result := []byte(`{"objects":[{"type":"3D_BOX","className":"car","trackId":"3","contour":{"center3D":{"x":5,"y":1,"z":0.7},"size3D":{"x":4,"y":2,"z":1.5}}}]}`)
	segLabels := []byte(`{"format_version":"0.2","frames":[{"format_version":"0.2","timestamp":1709294400000000000,"annotations":[` +
		`{"id":1,"category_id":1,"type":"cuboid","position":{"x":5,"y":1,"z":0.7},"dimensions":{"x":4,"y":2,"z":1.5},"yaw":0.1,"track_id":1}]}]}`)
	f.Fuzz(func(t *testing.T, manifest, sample []byte) {
		sets := []*Set{}
		if s, err := ReadExport(fstest.MapFS{"manifest.jsonl": {Data: manifest}, "result/000000.json": {Data: result}}, "xtreme1"); err == nil {
			sets = append(sets, s)
		}
		if s, err := ReadExport(fstest.MapFS{"categories.json": {Data: []byte(`[{"id":1,"name":"car"}]`)}, "labels.json": {Data: segLabels},
			"sample.json": {Data: sample}}, "segments"); err == nil {
			sets = append(sets, s)
		}
		for _, s := range sets {
			for _, fr := range s.Frames {
				if fr.StampNS <= 0 {
					t.Errorf("frame %d: stamp %d", fr.Index, fr.StampNS)
				}
				checkBoxes(t, fr.Boxes)
			}
		}
	})
}
