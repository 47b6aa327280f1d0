package fusion

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/foxglove/mcap/go/mcap"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/calib/tftree"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/inspect"
	"github.com/rigsync/rigsync/formats/logcalib"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/rosenc"
)

// chainMount and chainBracket are T_base_link_mount and
// T_mount_bracket of chainLog's intermediate frames.
var chainMount, chainBracket = mustQuat(0.9, 0.1, -0.2, 0.37, 0.731, -0.123, 1.377), mustQuat(0.3, -0.7, 0.1, 0.2, -0.05, 0.42, 0.013)

func mustQuat(w, x, y, z, tx, ty, tz float64) se3.Transform {
	T, err := se3.FromQuatWXYZ(w, x, y, z, r3.Vec{X: tx, Y: ty, Z: tz})
	if err != nil {
		panic(err)
	}
	return T
}

// chainLog writes a minimal fixture log (ROS 2) whose /tf_static is a
// three-hop chain base_link → mount → bracket → sensor (T_bracket_sensor =
// (T_base_mount·T_mount_bracket)⁻¹·T_published), and returns its path and
// the truth.
func chainLog(t *testing.T) (string, *fixtures.Truth) {
	t.Helper()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = time.Second
	cfg.Encoding = "ros2"
	var logBuf, truthBuf bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &logBuf, &truthBuf, nil); err != nil {
		t.Fatal(err)
	}
	truth, err := fixtures.LoadTruth(&truthBuf)
	if err != nil {
		t.Fatal(err)
	}
	tfs := &formats.Transforms{Static: true}
	add := func(parent, child string, T se3.Transform) {
		tfs.Transforms = append(tfs.Transforms, formats.Transform{Stamp: cfg.Start, Parent: parent, Child: child,
			Translation: T.Trans, Rotation: T.Rot})
	}
	add(truth.Base, "mount", chainMount)
	add("mount", "bracket", chainBracket)
	for _, s := range truth.Sensors {
		if s.Kind == "odometry" || s.Kind == "tf" {
			continue
		}
		p := s.Published
		q := p.Quat()
		T, err := se3.FromQuatWXYZ(q.Real, q.Imag, q.Jmag, q.Kmag, r3.Vec{X: p.Translation[0], Y: p.Translation[1], Z: p.Translation[2]})
		if err != nil {
			t.Fatal(err)
		}
		add("bracket", p.Child, chainMount.Mul(chainBracket).Inverse().Mul(T))
	}
	tfData, err := rosenc.Marshal(rosenc.TypeTFMessage, cfg.Start, truth.Base, tfs)
	if err != nil {
		t.Fatal(err)
	}

	// Copy the log, replacing the /tf_static message.
	rd, err := mcap.NewReader(bytes.NewReader(logBuf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	it, err := rd.Messages(mcap.UsingIndex(false))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "chain.mcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := mcap.NewWriter(f, &mcap.WriterOptions{Chunked: true, ChunkSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeader(&mcap.Header{Profile: "ros2"}); err != nil {
		t.Fatal(err)
	}
	schemas, chans := map[uint16]bool{}, map[uint16]bool{}
	replaced := false
	for {
		sc, ch, m, err := it.NextInto(nil)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if sc != nil && !schemas[sc.ID] {
			schemas[sc.ID] = true
			if err := w.WriteSchema(sc); err != nil {
				t.Fatal(err)
			}
		}
		if !chans[ch.ID] {
			chans[ch.ID] = true
			if err := w.WriteChannel(ch); err != nil {
				t.Fatal(err)
			}
		}
		if ch.Topic == fixtures.TopicTFStatic {
			m.Data, replaced = tfData, true
		}
		if err := w.WriteMessage(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !replaced {
		t.Fatal("no /tf_static message in the fixture log")
	}
	return path, truth
}

// TestCalibrationReadersAgree: on a log whose /tf_static is a three-hop
// chain (base_link → mount → bracket → sensor), the three consumers of a log's
// calibration agree: the rig drafted from formats/logcalib, the fusion
// calibration (ReadCalibration) and the `info` report's TF tree and camera
// calibrations. The two composed extrinsics are the same tftree lookup, so
// they agree exactly; all match the published extrinsics.
func TestCalibrationReadersAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a log")
	}
	path, truth := chainLog(t)
	ctx := context.Background()

	lc, err := logcalib.ReadFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	rg := lc.Rig(truth.Base)

	r, err := mcapread.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cal, err := ReadCalibration(ctx, r, truth.Base)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := inspect.Inspect(ctx, r, path, inspect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	infoTree := tftree.New()
	for _, e := range rep.TF {
		q := e.RotationWXYZ
		T, err := se3.FromQuatWXYZ(q[0], q[1], q[2], q[3], r3.Vec{X: e.Translation[0], Y: e.Translation[1], Z: e.Translation[2]})
		if err != nil {
			t.Fatal(err)
		}
		if err := infoTree.SetStatic(e.Parent, e.Child, T); err != nil {
			t.Fatal(err)
		}
	}

	sensors := 0
	for _, st := range truth.Sensors {
		if st.Kind == "odometry" || st.Kind == "tf" {
			continue
		}
		sensors++
		frame := st.Published.Child
		s, err := rg.Sensor(st.Name)
		if err != nil {
			t.Errorf("rig: %v", err)
			continue
		}
		Trig, err := s.T()
		if err != nil {
			t.Errorf("%s: rig: %v (missing %v)", st.Name, err, s.Missing)
			continue
		}
		Tfus, ok := cal.Extrinsics[frame]
		if !ok {
			t.Errorf("%s: no fusion extrinsic for %q", st.Name, frame)
			continue
		}
		if Trig != Tfus {
			t.Errorf("%s: rig extrinsic %v, fusion %v: not the same lookup", st.Name, Trig, Tfus)
		}
		Tinfo, err := infoTree.Lookup(truth.Base, frame, tftree.Latest)
		if err != nil {
			t.Errorf("%s: info tree: %v", st.Name, err)
			continue
		}
		p := r3.Vec{X: 1, Y: -2, Z: 3}
		for name, T := range map[string]se3.Transform{"rig": Trig, "fusion": Tfus, "info": Tinfo} {
			if d := r3.Norm(r3.Sub(T.Apply(p), st.Published.Apply(p))); d > 1e-9 {
				t.Errorf("%s: %s extrinsic off the published one by %g m", st.Name, name, d)
			}
		}
		if src := cal.Source[frame]; !bytes.Contains([]byte(src), []byte("extrinsic /tf_static")) {
			t.Errorf("%s: fusion source %q", st.Name, src)
		}
	}
	if sensors == 0 {
		t.Fatal("no sensor in the fixture truth")
	}
	for _, f := range []string{"mount", "bracket"} {
		if _, ok := cal.Extrinsics[f]; !ok {
			t.Errorf("fusion has no extrinsic for the intermediate frame %s", f)
		}
	}

	// Camera calibrations: the same K per frame in all three.
	if len(lc.Cameras) == 0 || len(lc.Cameras) != len(rep.Cameras) || len(lc.Cameras) != len(cal.Infos) {
		t.Fatalf("cameras: logcalib %d, info %d, fusion %d", len(lc.Cameras), len(rep.Cameras), len(cal.Infos))
	}
	for i, c := range lc.Cameras {
		ic := rep.Cameras[i]
		fi, ok := cal.Infos[c.Frame]
		if !ok || ic.Topic != c.Name || ic.FrameID != c.Frame {
			t.Errorf("camera %s (%s): info %s (%s), fusion has it: %v", c.Name, c.Frame, ic.Topic, ic.FrameID, ok)
			continue
		}
		if ic.K != fi.K || ic.Width != c.Intrinsics.Width || fi.Width != c.Intrinsics.Width || ic.K[0] != c.Intrinsics.Fx || ic.K[2] != c.Intrinsics.Cx {
			t.Errorf("camera %s: logcalib %+v, info %+v, fusion %+v", c.Name, c, ic, fi)
		}
	}
}
