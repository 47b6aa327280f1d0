package parallelsink_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/fusiontest"
	"github.com/rigsync/rigsync/fusion/parallelsink"
	"github.com/rigsync/rigsync/fusion/writers/foxmcap"
	"github.com/rigsync/rigsync/fusion/writers/frames"
	"github.com/rigsync/rigsync/fusion/writers/kitti"
	"github.com/rigsync/rigsync/fusion/writers/nuscenes"
)

var (
	logOnce sync.Once
	logData []byte
	logErr  error
)

// urbanLog is 1 s of the urban rig (six distorted cameras at 160×100, a
// 32×512 LiDAR, five radars, odometry, IMU), generated once.
func urbanLog(t testing.TB) []byte {
	t.Helper()
	logOnce.Do(func() {
		cfg, err := fixtures.Preset("urban")
		if err != nil {
			logErr = err
			return
		}
		cfg.Duration = time.Second
		cfg.Rig.SetCameraSize(160, 100)
		for i := range cfg.Rig.Lidars {
			cfg.Rig.Lidars[i].Beams, cfg.Rig.Lidars[i].Columns = 32, 512
		}
		var log, truth bytes.Buffer
		logErr = fixtures.Generate(context.Background(), cfg, &log, &truth, nil)
		logData = log.Bytes()
	})
	if logErr != nil {
		t.Fatal(logErr)
	}
	return logData
}

// format opens one writer into out (a folder, or a file for mcap).
type format struct {
	name string
	open func(t testing.TB, out string, resume bool) (parallelsink.Staged, func())
}

var lidarExt = se3.Identity()

var formatsUnderTest = []format{
	{"frames", func(t testing.TB, out string, resume bool) (parallelsink.Staged, func()) {
		w, err := frames.New(out, frames.Options{Resume: resume})
		if err != nil {
			t.Fatal(err)
		}
		return w, func() {}
	}},
	{"kitti", func(t testing.TB, out string, resume bool) (parallelsink.Staged, func()) {
		w, err := kitti.New(out, kitti.Options{Resume: resume, Lidar: &lidarExt})
		if err != nil {
			t.Fatal(err)
		}
		return w, func() {}
	}},
	{"nuscenes", func(t testing.TB, out string, resume bool) (parallelsink.Staged, func()) {
		w, err := nuscenes.New(out, nuscenes.Options{Resume: resume})
		if err != nil {
			t.Fatal(err)
		}
		return w, func() {}
	}},
	{"mcap", func(t testing.TB, out string, resume bool) (parallelsink.Staged, func()) {
		// out is a folder holding fused.mcap; a resumed run reads the
		// killed run's file and writes a new one, as "rigsync fuse" does.
		os.MkdirAll(out, 0o755)
		path := filepath.Join(out, "fused.mcap")
		opts := foxmcap.Options{}
		var prev *os.File
		if resume {
			if err := os.Rename(path, path+".partial"); err != nil {
				t.Fatal(err)
			}
			var err error
			if prev, err = os.Open(path + ".partial"); err != nil {
				t.Fatal(err)
			}
			opts.Resume = prev
		}
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w, err := foxmcap.New(f, opts)
		if err != nil {
			t.Fatal(err)
		}
		return w, func() {
			f.Close()
			if prev != nil {
				prev.Close()
				os.Remove(path + ".partial")
			}
		}
	}},
}

// run fuses the log into out with the given number of workers (pipeline
// and writer); stopAfter > 0 "kills" the run after that many frames: the
// writer is never closed, as when the process dies.
func run(t testing.TB, log []byte, fm format, out string, workers int, resume bool, stopAfter int) {
	t.Helper()
	r, err := mcapread.NewReader(bytes.NewReader(log), int64(len(log)), "urban.mcap")
	if err != nil {
		t.Fatal(err)
	}
	w, done := fm.open(t, out, resume)
	defer done()
	p := &fusion.Pipeline{Reader: r, Workers: workers}
	if stopAfter > 0 {
		kill := errors.New("killed")
		if err := p.Run(context.Background(), &fusiontest.KillAfter{Sink: w, N: stopAfter, Err: kill}); !errors.Is(err, kill) {
			t.Fatalf("killed run: %v", err)
		}
		return
	}
	sink := parallelsink.New(w, workers)
	if err := p.Run(context.Background(), sink); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
}

func sameTree(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: no files in the reference output", what)
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d files, want %d", what, len(got), len(want))
	}
	for name, h := range want {
		if got[name] != h {
			t.Errorf("%s: %s differs (or is missing)", what, name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: extra file %s", what, name)
		}
	}
}

// The output is the same, byte for byte, with 1 and 4 workers, in every
// format.
func TestWorkersSameOutput(t *testing.T) {
	log := urbanLog(t)
	for _, fm := range formatsUnderTest {
		t.Run(fm.name, func(t *testing.T) {
			one, four := filepath.Join(t.TempDir(), "one"), filepath.Join(t.TempDir(), "four")
			run(t, log, fm, one, 1, false, 0)
			run(t, log, fm, four, 4, false, 0)
			sameTree(t, "4 workers vs 1", fusiontest.TreeDigest(t, one), fusiontest.TreeDigest(t, four))
		})
	}
}

// A run killed midway and resumed (with several workers) gives the same
// output as an uninterrupted run, in every format.
func TestKilledAndResumed(t *testing.T) {
	log := urbanLog(t)
	for _, fm := range formatsUnderTest {
		t.Run(fm.name, func(t *testing.T) {
			full, part := filepath.Join(t.TempDir(), "full"), filepath.Join(t.TempDir(), "part")
			run(t, log, fm, full, 1, false, 0)
			run(t, log, fm, part, 1, false, 6)
			run(t, log, fm, part, 3, true, 0)
			sameTree(t, "resumed vs uninterrupted", fusiontest.TreeDigest(t, full), fusiontest.TreeDigest(t, part))
		})
	}
}

// A resumed MCAP copies exactly the complete frames of a file cut at any
// byte, and the finished file equals the uninterrupted one.
func TestMCAPResumeFromAnyCut(t *testing.T) {
	log := urbanLog(t)
	fm := formatsUnderTest[3]
	full := filepath.Join(t.TempDir(), "full")
	run(t, log, fm, full, 2, false, 0)
	want, err := os.ReadFile(filepath.Join(full, "fused.mcap"))
	if err != nil {
		t.Fatal(err)
	}
	var copied []int
	cuts := []float64{0, 0.01, 0.3, 0.55, 0.8, 0.999}
	if raceEnabled || testing.Short() {
		cuts = []float64{0, 0.55, 0.999}
	}
	for _, frac := range cuts {
		part := filepath.Join(t.TempDir(), "part")
		os.MkdirAll(part, 0o755)
		cut := want[:int(frac*float64(len(want)))]
		if err := os.WriteFile(filepath.Join(part, "fused.mcap"), cut, 0o644); err != nil {
			t.Fatal(err)
		}
		n, _ := foxmcap.Recover(bytes.NewReader(cut))
		copied = append(copied, n)
		if frac == 0 {
			// Not an MCAP at all: refused, nothing copied.
			if _, err := foxmcap.New(&bytes.Buffer{}, foxmcap.Options{Resume: bytes.NewReader(cut)}); err == nil {
				t.Error("an empty partial file was accepted")
			}
			continue
		}
		run(t, log, fm, part, 2, true, 0)
		got, err := os.ReadFile(filepath.Join(part, "fused.mcap"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("cut at %.0f%% (%d complete frames copied): resumed file differs (%d bytes, want %d)", 100*frac, n, len(got), len(want))
		}
	}
	// More of the file, more frames recovered; most of it, most frames.
	for i := 1; i < len(copied); i++ {
		if copied[i] < copied[i-1] {
			t.Errorf("frames recovered %v not increasing with the cut", copied)
		}
	}
	if copied[len(copied)-1] < 5 {
		t.Errorf("only %d frames recovered from 99.9%% of the file", copied[len(copied)-1])
	}
}

// A resumed run refuses frames that differ from the killed run's.
func TestResumeRefusesOtherFrames(t *testing.T) {
	log := urbanLog(t)
	for _, fm := range formatsUnderTest[2:] { // nuscenes, mcap check what they skip
		t.Run(fm.name, func(t *testing.T) {
			part := filepath.Join(t.TempDir(), "part")
			run(t, log, fm, part, 1, false, 6)
			w, done := fm.open(t, part, true)
			defer done()
			r, err := mcapread.NewReader(bytes.NewReader(log), int64(len(log)), "urban.mcap")
			if err != nil {
				t.Fatal(err)
			}
			// The same log with another reference time base: every frame
			// stamp is 1 ms later.
			shift := &shifted{Sink: w, d: int64(time.Millisecond)}
			err = (&fusion.Pipeline{Reader: r}).Run(context.Background(), shift)
			if err == nil {
				t.Fatal("a resumed run with different frames was accepted")
			}
			t.Log(err)
		})
	}
}

type shifted struct {
	fused.Sink
	d int64
}

func (s *shifted) Write(ctx context.Context, f *fused.Frame) error {
	f.Stamp += s.d
	return s.Sink.Write(ctx, f)
}
