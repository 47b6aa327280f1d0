package fuseapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/logcalib"
	"github.com/rigsync/rigsync/internal/app/calibapp"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
	"github.com/rigsync/rigsync/internal/app/rigfiles"
)

// rigTol is how closely the files' calibration must give the log's: the
// chains compose a few float64 products and Autoware stores roll, pitch,
// yaw, so they agree to rounding, far below 1e-9 m / rad.
const rigTol = 1e-9

// toolFiles writes the calibration of truth (the fixture rig, as "rig
// init" reads it from the log) the way calibration tools would hand it
// over: a Kalibr camchain of every camera but one (cam0 hangs from the
// IMU by T_cam_imu, each next camera from the previous by T_cn_cnm1), an
// Autoware sensor_kit file placing the IMU, LiDAR, radars, GNSS and the
// last camera's camera_link (a body frame) in base_link, and a ROS
// camera_info YAML of that last camera. It returns the paths and the
// --map that names the files' frames as the log does.
func toolFiles(t *testing.T, dir string, truth *rig.Rig) (paths, maps []string) {
	t.Helper()
	var cams []rig.Sensor
	var imu *rig.Sensor
	for i := range truth.Sensors {
		s := &truth.Sensors[i]
		switch {
		case s.Modality == "camera":
			cams = append(cams, *s)
		case s.Modality == "imu":
			imu = s
		}
	}
	if len(cams) < 3 || imu == nil {
		t.Fatalf("fixture rig has %d cameras, imu %v", len(cams), imu)
	}
	T := func(s *rig.Sensor) se3.Transform {
		T, err := s.T()
		if err != nil {
			t.Fatal(err)
		}
		return T
	}
	calCam := func(s rig.Sensor) calibio.Camera {
		in := s.Intrinsics
		return calibio.Camera{Name: s.Frame, Frame: s.Frame, Topic: s.Topic, Model: in.Model,
			Intrinsics: camera.Intrinsics{Fx: in.Fx, Fy: in.Fy, Cx: in.Cx, Cy: in.Cy, Width: in.Width, Height: in.Height},
			Params:     append([]float64(nil), in.Distortion...)}
	}
	chain, last := cams[:len(cams)-1], cams[len(cams)-1]
	kal := &calibio.Calibration{}
	for i, c := range chain {
		kal.Cameras = append(kal.Cameras, calCam(c))
		if i == 0 {
			kal.Extrinsics = append(kal.Extrinsics, calibio.Extrinsic{Parent: calibio.KalibrIMUFrame, Child: c.Frame, T: T(imu).Inverse().Mul(T(&chain[0]))})
		} else {
			kal.Extrinsics = append(kal.Extrinsics, calibio.Extrinsic{Parent: chain[i-1].Frame, Child: c.Frame, T: T(&chain[i-1]).Inverse().Mul(T(&chain[i]))})
		}
		maps = append(maps, fmt.Sprintf("cam%d=%s", i, c.Frame))
	}
	aw := &calibio.Calibration{}
	for i := range truth.Sensors {
		s := &truth.Sensors[i]
		if s.Extrinsic == nil || s.Modality == "camera" {
			continue
		}
		aw.Extrinsics = append(aw.Extrinsics, calibio.Extrinsic{Parent: truth.BaseFrame, Child: s.Frame, T: T(s)})
	}
	body := last.Frame + "/camera_link"
	aw.Extrinsics = append(aw.Extrinsics, calibio.Extrinsic{Parent: truth.BaseFrame, Child: body, T: T(&last).Mul(se3.LinkToOptical.Inverse())})
	maps = append(maps, "imu0="+imu.Frame, last.Frame+"/camera_optical_link="+last.Frame)
	ci := &calibio.Calibration{Cameras: []calibio.Camera{calCam(last)}}
	for _, f := range []struct {
		name string
		c    *calibio.Calibration
		f    calibio.Format
	}{{"camchain.yaml", kal, calibio.Kalibr}, {"sensor_kit_calibration.yaml", aw, calibio.Autoware}, {last.Frame + ".yaml", ci, calibio.ROSCameraInfo}} {
		var buf bytes.Buffer
		if err := calibio.Write(&buf, f.c, f.f); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths, maps
}

// TestFuseRigFromToolFiles is the must-show: a fuse of a fixture
// log with --rig given as Kalibr + Autoware + camera_info files equals
// the fuse with the equivalent rig.yaml. First the merged rig is checked
// against the log's truth (every extrinsic and intrinsics within rigTol);
// then both fuses are compared file by file: every byte is the same
// except the sensors' "calibration" strings in frame.json, which are
// listed and must name the files (and only those strings may differ).
func TestFuseRigFromToolFiles(t *testing.T) {
	dir := t.TempDir()
	cfg, err := fixtures.Preset("urban")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = 600 * time.Millisecond
	var logBuf, truthBuf bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &logBuf, &truthBuf, nil); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "drive.mcap")
	if err := os.WriteFile(log, logBuf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	truth, err := logcalib.ReadRig(context.Background(), log, "base_link")
	if err != nil {
		t.Fatal(err)
	}
	paths, maps := toolFiles(t, dir, truth)

	// The merged rig is the truth.
	loaded, err := rigfiles.Load(paths, maps, "base_link")
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Merge.Unreached) != 0 {
		t.Errorf("unreached: %v", loaded.Merge.Unreached)
	}
	checked := 0
	for _, want := range truth.Sensors {
		if want.Extrinsic == nil {
			continue
		}
		got, err := loaded.Rig.Sensor(want.Frame)
		if err != nil {
			t.Errorf("merged rig: %v", err)
			continue
		}
		Tw, _ := want.T()
		Tg, err := got.T()
		if err != nil {
			t.Errorf("%s: %v", want.Frame, err)
			continue
		}
		if a, d := se3.Diff(Tw, Tg); a > rigTol || d > rigTol {
			t.Errorf("%s: T_base_sensor off the truth by %.3g rad, %.3g m", want.Frame, a, d)
		}
		if want.Intrinsics != nil && !reflect.DeepEqual(want.Intrinsics, got.Intrinsics) {
			t.Errorf("%s intrinsics %+v, want %+v", want.Frame, got.Intrinsics, want.Intrinsics)
		}
		checked++
	}
	if checked < 14 {
		t.Errorf("only %d sensors checked", checked)
	}

	// The equivalent rig.yaml: the merge written by "calib convert --to rig".
	rigPath := filepath.Join(dir, "rig.yaml")
	if err := calibapp.Convert(nil, paths, calibapp.ConvertOptions{To: calibapp.RigFormat, Map: maps, Base: "base_link", Out: rigPath}); err != nil {
		t.Fatal(err)
	}
	outRig, outFiles := filepath.Join(dir, "out_rig"), filepath.Join(dir, "out_files")
	oa := options(outRig)
	oa.Rig = []string{rigPath}
	sa, err := fuseapp.Run(context.Background(), oa, []string{log})
	if err != nil {
		t.Fatal(err)
	}
	ob := options(outFiles)
	ob.Rig, ob.Map = []string{strings.Join(paths[:2], ","), paths[2]}, maps
	sb, err := fuseapp.Run(context.Background(), ob, []string{log})
	if err != nil {
		t.Fatal(err)
	}
	if sa.Frames < 4 || sa.Frames != sb.Frames {
		t.Fatalf("frames: %d with rig.yaml, %d with the files", sa.Frames, sb.Frames)
	}
	if len(sb.Unmapped) != 0 {
		t.Errorf("unmapped: %v", sb.Unmapped)
	}

	// The sources the summary names, per item.
	camchain, kit, info := filepath.Base(paths[0]), filepath.Base(paths[1]), filepath.Base(paths[2])
	last := strings.TrimSuffix(info, ".yaml")
	wantSrc := map[string]string{
		"cam_front": "extrinsic " + camchain + "+" + kit + "; intrinsics " + camchain,
		last:        "extrinsic " + kit + "; intrinsics " + info,
		"lidar_top": "extrinsic " + kit,
	}
	for k, v := range wantSrc {
		if sb.CalibSource[k] != v {
			t.Errorf("calibration source of %s = %q, want %q", k, sb.CalibSource[k], v)
		}
		if sa.CalibSource[k] == v {
			t.Errorf("rig.yaml fuse: source of %s = %q", k, sa.CalibSource[k])
		}
	}
	if !reflect.DeepEqual(keys(sa.CalibSource), keys(sb.CalibSource)) {
		t.Errorf("calibrated sensors differ: %v and %v", keys(sa.CalibSource), keys(sb.CalibSource))
	}

	// The outputs: identical but for the calibration strings.
	diffs := map[string]string{} // sensor → "rig.yaml source | files source"
	n := 0
	err = filepath.WalkDir(outRig, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(outRig, p)
		a, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(filepath.Join(outFiles, rel))
		if err != nil {
			return err
		}
		n++
		if bytes.Equal(a, b) {
			return nil
		}
		if filepath.Base(rel) != "frame.json" {
			t.Errorf("%s differs", rel)
			return nil
		}
		ja, sa := stripCalibration(t, a)
		jb, sb := stripCalibration(t, b)
		if !reflect.DeepEqual(ja, jb) {
			t.Errorf("%s differs beyond the calibration strings", rel)
		}
		for k, v := range sa {
			if sb[k] != v {
				diffs[k] = v + " | " + sb[k]
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 5*sa.Frames {
		t.Errorf("only %d files compared", n)
	}
	// Every calibrated sensor's string differs, each naming its files.
	var lines []string
	for _, k := range keys(diffs) {
		lines = append(lines, k+": "+diffs[k])
	}
	t.Logf("frame.json calibration strings that differ (rig.yaml | files):\n%s", strings.Join(lines, "\n"))
	for k, v := range wantSrc {
		if want := "extrinsic rig.yaml" + map[bool]string{true: "; intrinsics rig.yaml", false: ""}[strings.Contains(v, "intrinsics")] + " | " + v; diffs[k] != want {
			t.Errorf("frame.json %s: %q, want %q", k, diffs[k], want)
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// stripCalibration parses a frame.json and takes out the sensors'
// calibration strings, returned by sensor name.
func stripCalibration(t *testing.T, b []byte) (map[string]any, map[string]string) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	src := map[string]string{}
	sensors, _ := m["sensors"].([]any)
	for _, s := range sensors {
		sm, _ := s.(map[string]any)
		if c, ok := sm["calibration"].(string); ok {
			src[fmt.Sprint(sm["name"])] = c
			delete(sm, "calibration")
		}
	}
	return m, src
}
