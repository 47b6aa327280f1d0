package fixturesapp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/internal/app/fixturesapp"
)

// faults returns Flags.Faults with vals for the fault flag named flag.
func faults(flag string, vals ...string) [][]string {
	out := make([][]string, len(fixturesapp.FaultFlags))
	for i, ff := range fixturesapp.FaultFlags {
		if ff.Flag == flag {
			out[i] = vals
		}
	}
	return out
}

func TestFlagsConfig(t *testing.T) {
	base := fixturesapp.Flags{Preset: "minimal", Duration: time.Second, Seed: 1, Encoding: "ros2", Compression: "zstd", Speed: 10}
	with := func(f func(*fixturesapp.Flags)) fixturesapp.Flags { o := base; f(&o); return o }
	cases := []struct {
		name    string
		flags   fixturesapp.Flags
		check   func(fixtures.Config) bool
		wantErr string
	}{
		{"preset", base, func(c fixtures.Config) bool { return c.Preset == "minimal" && c.Duration == time.Second }, ""},
		{"camera size", with(func(o *fixturesapp.Flags) { o.CameraSize = "320x200" }),
			func(c fixtures.Config) bool { return c.Rig.Cameras[0].Width == 320 && c.Rig.Cameras[0].Height == 200 }, ""},
		{"raw images and tf", with(func(o *fixturesapp.Flags) { o.RawImages, o.TF = true, true }),
			func(c fixtures.Config) bool { return c.Rig.Cameras[0].Raw && c.Rig.TF }, ""},
		{"second lidar", with(func(o *fixturesapp.Flags) { o.SecondLidar = true }),
			func(c fixtures.Config) bool { return len(c.Rig.Lidars) == 2 }, ""},
		{"a fault", with(func(o *fixturesapp.Flags) { o.Faults = faults("drift", "lidar_top=80") }),
			func(c fixtures.Config) bool { return len(c.Faults) == 1 && c.Faults[0].Kind == fixtures.Drift }, ""},
		{"unknown preset", with(func(o *fixturesapp.Flags) { o.Preset = "rural" }), nil, ""},
		{"bad camera size", with(func(o *fixturesapp.Flags) { o.CameraSize = "12" }), nil, `--camera-size "12": want WIDTHxHEIGHT, e.g. 640x400`},
		{"bad fault", with(func(o *fixturesapp.Flags) { o.Faults = faults("dropout", "cam_front") }), nil, "--dropout: "},
		{"bad fisheye", with(func(o *fixturesapp.Flags) { o.Fisheye = []string{"nope"} }), nil, "--fisheye: "},
		{"labels", with(func(o *fixturesapp.Flags) { o.Labels = true }),
			func(c fixtures.Config) bool { return c.Labels && len(c.LabelFaults) == 0 }, ""},
		{"a label fault implies labels", with(func(o *fixturesapp.Flags) { o.LabelFaults = []string{"shift=0.4:0.5s"} }),
			func(c fixtures.Config) bool {
				return c.Labels && len(c.LabelFaults) == 1 && c.LabelFaults[0].Kind == fixtures.LabelShift && c.LabelFaults[0].Start == 500*time.Millisecond
			}, ""},
		{"bad label fault", with(func(o *fixturesapp.Flags) { o.LabelFaults = []string{"shove=1"} }), nil, "--label-fault: "},
		{"label fault on no object", with(func(o *fixturesapp.Flags) { o.LabelFaults = []string{"missing@100000"} }), nil, "--label-fault: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := c.flags.Config()
			if c.check == nil {
				if err == nil || !strings.HasPrefix(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q…", err, c.wantErr)
				}
				return
			}
			if err != nil || !c.check(cfg) {
				t.Fatalf("error %v, config %+v", err, cfg)
			}
		})
	}
}

type countProgress struct{ set, finished int }

func (p *countProgress) SetNS(done, total int64) { p.set++ }
func (p *countProgress) Finish()                 { p.finished++ }

func TestRun(t *testing.T) {
	dir := t.TempDir()
	if _, err := fixturesapp.Run(context.Background(), fixturesapp.Flags{Preset: "minimal"}, nil); err == nil ||
		err.Error() != "fixtures generate: -o DRIVE.mcap is required" {
		t.Fatalf("without -o: %v", err)
	}
	_, err := fixturesapp.Run(context.Background(), fixturesapp.Flags{Preset: "rural", Output: filepath.Join(dir, "x.mcap")}, nil)
	if _, ok := errors.AsType[fixturesapp.UsageError](err); !ok {
		t.Fatalf("unknown preset: %v, want a UsageError", err)
	}
	// A cancelled run leaves no file behind.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := fixturesapp.Flags{Preset: "minimal", Duration: time.Second, Seed: 1, Encoding: "ros2", Compression: "zstd", Speed: 10,
		Output: filepath.Join(dir, "drive.mcap")}
	if _, err := fixturesapp.Run(ctx, o, nil); err == nil {
		t.Fatal("a cancelled run succeeded")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("a cancelled run left %v", ents)
	}
	var prog countProgress
	gen, err := fixturesapp.Run(context.Background(), o, func(d time.Duration) fixturesapp.Progress {
		if d != time.Second {
			t.Errorf("progress of %v, want 1s", d)
		}
		return &prog
	})
	if err != nil {
		t.Fatal(err)
	}
	if prog.set == 0 || prog.finished != 1 {
		t.Errorf("progress set %d times, finished %d times", prog.set, prog.finished)
	}
	if gen.Truth != filepath.Join(dir, "drive.truth.json") || gen.Bytes == 0 {
		t.Fatalf("generated %+v", gen)
	}
	var buf bytes.Buffer
	fixturesapp.WriteText(&buf, gen)
	if want := fmt.Sprintf("wrote %s (", o.Output); !strings.HasPrefix(buf.String(), want) ||
		!strings.HasSuffix(buf.String(), `, 1s of the "minimal" rig, seed 1) and `+gen.Truth+"\n") {
		t.Errorf("text %q", buf.String())
	}
	sum, err := gen.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if sum.Preset != "minimal" || sum.DurationNS != 1e9 || len(sum.Sensors) < 3 || sum.Sensors[0].Messages == 0 {
		t.Errorf("summary %+v", sum)
	}
}

// TestRunLabels: --labels writes DRIVE.labels.json beside the log, with
// one frame per LiDAR sweep, and the summary counts it; the log is the
// same bytes as without labels.
func TestRunLabels(t *testing.T) {
	dir := t.TempDir()
	o := fixturesapp.Flags{Preset: "minimal", Duration: time.Second, Seed: 1, Encoding: "ros2", Compression: "zstd", Speed: 10,
		Output: filepath.Join(dir, "drive.mcap"), LabelFaults: []string{"missing"}}
	gen, err := fixturesapp.Run(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if gen.Labels != filepath.Join(dir, "drive.labels.json") {
		t.Fatalf("labels file %q", gen.Labels)
	}
	sum, err := gen.Summary()
	if err != nil {
		t.Fatal(err)
	}
	// 1 s of a 10 Hz LiDAR: 10 sweeps; the missing fault took one object's
	// box out of each.
	truth, err := fixtures.TrueLabels(gen.Config)
	if err != nil {
		t.Fatal(err)
	}
	if sum.LabelFrames != 10 || sum.LabelBoxes != truth.Count()-10 || sum.LabelFaults != 1 {
		t.Errorf("summary: %d frames, %d boxes, %d faults; want 10, %d, 1", sum.LabelFrames, sum.LabelBoxes, sum.LabelFaults, truth.Count()-10)
	}
	var buf bytes.Buffer
	fixturesapp.WriteText(&buf, gen)
	if !strings.Contains(buf.String(), "wrote "+gen.Labels+" (true 3D boxes of every lidar_top sweep, 1 label faults)") {
		t.Errorf("text %q", buf.String())
	}
	withLabels, err := os.ReadFile(o.Output)
	if err != nil {
		t.Fatal(err)
	}
	o.LabelFaults, o.Output = nil, filepath.Join(dir, "plain.mcap")
	plain, err := fixturesapp.Run(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(plain.Log)
	if !bytes.Equal(b, withLabels) || plain.Labels != "" {
		t.Errorf("the log differs with labels on (or labels %q written without --labels)", plain.Labels)
	}
	if _, err := os.Stat(filepath.Join(dir, "plain.labels.json")); err == nil {
		t.Error("labels written without --labels")
	}
}

func TestNewDemo(t *testing.T) {
	if _, err := fixturesapp.NewDemo(context.Background(), fixturesapp.DemoOptions{Preset: "rural"}, nil); err == nil {
		t.Fatal("an unknown preset was accepted")
	} else if _, ok := errors.AsType[fixturesapp.UsageError](err); !ok {
		t.Fatalf("%v is not a UsageError", err)
	}
	dir := filepath.Join(t.TempDir(), "new")
	d, err := fixturesapp.NewDemo(context.Background(), fixturesapp.DemoOptions{Preset: "minimal", Duration: 500 * time.Millisecond, Seed: 1, Dir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{d.Log, d.Truth} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 || filepath.Dir(p) != dir {
			t.Errorf("%s: %v", p, err)
		}
	}
	var buf bytes.Buffer
	fixturesapp.WriteDemoNext(&buf, d)
	if !strings.Contains(buf.String(), "rigsync cat "+d.Log+" --limit 3\n") {
		t.Errorf("next lines %q", buf.String())
	}
}

// Flags.Config turns the command's flag values into a generator config.
func ExampleFlags_Config() {
	faults := make([][]string, len(fixturesapp.FaultFlags))
	faults[0] = []string{"cam_front=25ms"} // --clock-offset
	cfg, err := (&fixturesapp.Flags{Preset: "minimal", Duration: 2 * time.Second, Seed: 1, Encoding: "ros2",
		Compression: "zstd", Speed: 10, TF: true, Faults: faults}).Config()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Preset, cfg.Duration, len(cfg.Rig.Cameras), cfg.Rig.TF, len(cfg.Faults), fixturesapp.FaultFlags[0].Flag)
	// Output: minimal 2s 1 true 1 clock-offset
}
