package logcalib_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/logcalib"
)

// TestReadRig drafts a rig from a generated fixture log and checks it
// against the fixture's truth: every sensor, its published extrinsic and
// the camera intrinsics.
func TestReadRig(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a log")
	}
	for _, enc := range []string{"ros2", "foxglove"} {
		t.Run(enc, func(t *testing.T) { testReadRig(t, enc) })
	}
}

func testReadRig(t *testing.T, encoding string) {
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = time.Second
	cfg.Encoding = encoding
	dir := t.TempDir()
	logPath := filepath.Join(dir, "drive.mcap")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var truthBuf bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, f, &truthBuf, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	truth, err := fixtures.LoadTruth(&truthBuf)
	if err != nil {
		t.Fatal(err)
	}
	rg, err := logcalib.ReadRig(context.Background(), logPath, truth.Base)
	if err != nil {
		t.Fatal(err)
	}
	if err := rg.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, st := range truth.Sensors {
		s, err := rg.Sensor(st.Name)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if s.Topic != st.Topic || s.Modality != st.Kind {
			t.Errorf("%s: topic %s modality %s, want %s %s", st.Name, s.Topic, s.Modality, st.Topic, st.Kind)
		}
		T, err := s.T()
		if err != nil {
			t.Errorf("%s: %v (missing %v)", st.Name, err, s.Missing)
			continue
		}
		p := r3.Vec{X: 1, Y: 2, Z: 3}
		if d := r3.Norm(r3.Sub(T.Apply(p), st.Published.Apply(p))); d > 1e-6 {
			t.Errorf("%s: extrinsic off the published one by %g m", st.Name, d)
		}
		if st.Camera != nil {
			if s.Intrinsics == nil {
				t.Errorf("%s: no intrinsics (missing %v)", st.Name, s.Missing)
				continue
			}
			in := s.Intrinsics
			if math.Abs(in.Fx-st.Camera.Fx) > 1e-9 || math.Abs(in.Cx-st.Camera.Cx) > 1e-9 || in.Width != st.Camera.Width {
				t.Errorf("%s: intrinsics %+v, truth %+v", st.Name, in, st.Camera)
			}
		}
	}
}
