package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/fixtures/shareddata"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/rtsp/rtsptest"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
	"github.com/rigsync/rigsync/internal/version"
)

// The binary (here the test binary) prints what its build info says.
func TestVersionFlag(t *testing.T) {
	want := version.FromBuildInfo(debug.ReadBuildInfo())
	code, out, errs := runCLI(t, "--version")
	if code != exitOK || out != want.String()+"\n" {
		t.Errorf("--version: exit %d, %q (%s); want %q", code, out, errs, want.String())
	}
	code, out, errs = runCLI(t, "--version", "--json")
	var got version.Info
	if err := json.Unmarshal([]byte(out), &got); code != exitOK || err != nil || got != want {
		t.Errorf("--version --json: exit %d, %q (%s, %v); want %+v", code, out, errs, err, want)
	}
}

// Unknown commands and subcommands, and a command group without its
// subcommand, are usage errors (exit 2) with cobra's suggestions.
func TestUnknownCommands(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"infoo", "x.mcap"}, []string{`unknown command "infoo" for "rigsync"`, `did you mean "info"`}},
		{[]string{"foo"}, []string{`unknown command "foo" for "rigsync"`, "rigsync --help"}},
		{[]string{"calib", "foo"}, []string{`unknown command "foo" for "rigsync calib"`}},
		{[]string{"calib", "chek", "x.mcap"}, []string{`unknown command "chek" for "rigsync calib"`, `did you mean "check"`}},
		{[]string{"calib", "rig", "exmple"}, []string{`"exmple" for "rigsync calib rig"`, `did you mean "example"`}},
		{[]string{"rig", "int", "x.mcap"}, []string{`"int" for "rigsync rig"`, `did you mean "init"`}},
		{[]string{"fixtures", "gen"}, []string{`"gen" for "rigsync fixtures"`, `did you mean "generate"`}},
		{[]string{"calib"}, []string{"missing subcommand", "convert", "show"}},
		{[]string{"rig"}, []string{"missing subcommand", "example", "init"}},
		{[]string{"fixtures"}, []string{"missing subcommand", "generate"}},
	} {
		code, out, errs := runCLI(t, tc.args...)
		if code != exitUsage {
			t.Errorf("%q: exit %d (stdout %q, stderr %q), want %d", tc.args, code, out, errs, exitUsage)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%q: stderr %q does not say %q", tc.args, errs, w)
			}
		}
	}
	// The bare command still prints its help.
	if code, out, _ := runCLI(t); code != exitOK || !strings.Contains(out, "Usage:") {
		t.Errorf("rigsync: exit %d, %q", code, out)
	}
}

// jsonCase says how one command of the tree is run with --json.
type jsonCase struct {
	// args after the command path (and before --json); nil for a
	// command that refuses --json (exit 2).
	args func(t *testing.T) []string
	// codes are the accepted exit codes when --json is honoured (exit 0
	// when empty).
	codes []int
	// lines: the output is JSON lines (any number of values) instead of
	// one document.
	lines bool
	// heavy runs are skipped with -short.
	heavy bool
	// check looks at the decoded output (optional).
	check func(t *testing.T, out string)
}

// TestJSONEveryCommand walks every command of the tree: --json is either
// honoured (the whole stdout is JSON) or refused with exit 2. A command
// missing from the table fails the test, so a new one cannot slip through.
func TestJSONEveryCommand(t *testing.T) {
	dir := t.TempDir()
	var fixture string
	log := func(t *testing.T) string {
		if fixture == "" {
			fixture = filepath.Join(dir, "drive.mcap")
			if code, _, errs := runCLI(t, "fixtures", "generate", "--preset", "minimal", "--duration", "1s", "--tf",
				"--camera-size", "160x96", "-q", "-o", fixture); code != exitOK {
				t.Fatalf("fixtures generate: exit %d: %s", code, errs)
			}
		}
		return fixture
	}
	camInfo := calibWriteFile(t, dir, "cam.yaml", calibTestCameraInfo)
	camchain := calibWriteFile(t, dir, "camchain.yaml", calibTestCamchain)
	// Kabsch ground truth: target = source + (1, 2, 3).
	src := calibWriteFile(t, dir, "src.csv", "0,0,0\n1,0,0\n0,1,0\n0,0,1\n1,1,1\n")
	dst := calibWriteFile(t, dir, "dst.csv", "1,2,3\n2,2,3\n1,3,3\n1,2,4\n2,3,4\n")
	pts := calibWriteFile(t, dir, "pts.csv", "1,0.5,10\n0,0,-2\n")
	fresh := func(name string) string { return filepath.Join(t.TempDir(), name) }
	refused := jsonCase{}
	cases := map[string]jsonCase{
		"rigsync":      {args: func(t *testing.T) []string { return []string{"--version"} }},
		"rigsync info": {args: func(t *testing.T) []string { return []string{log(t)} }},
		"rigsync cat":  {args: func(t *testing.T) []string { return []string{log(t), "--limit", "5"} }, lines: true},
		"rigsync sync": {args: func(t *testing.T) []string { return []string{log(t), "-q"} }},
		"rigsync fuse": {args: func(t *testing.T) []string { return []string{log(t), "-o", fresh("fused")} }, heavy: true},
		"rigsync demo": {args: func(t *testing.T) []string {
			return []string{"--preset", "minimal", "--duration", "1s", "-o", fresh("demo")}
		}, heavy: true},
		"rigsync fixtures": refused,
		"rigsync fixtures generate": {args: func(t *testing.T) []string {
			return []string{"--preset", "minimal", "--duration", "500ms", "-o", fresh("gen.mcap")}
		}},
		"rigsync calib":         refused,
		"rigsync calib show":    {args: func(t *testing.T) []string { return []string{camInfo} }},
		"rigsync calib convert": refused,
		"rigsync calib project": {args: func(t *testing.T) []string { return []string{"--calib", camInfo, pts} },
			check: func(t *testing.T, out string) {
				// The CSV of TestCalibProject: 370,265,10,1 and nan,nan,-2,0.
				var doc struct {
					Points []calibJSONPixel `json:"points"`
				}
				json.Unmarshal([]byte(out), &doc)
				if len(doc.Points) != 2 || doc.Points[0].U == nil || *doc.Points[0].U != 370 || *doc.Points[0].V != 265 ||
					*doc.Points[0].Depth != 10 || !doc.Points[0].Valid || doc.Points[1].U != nil || *doc.Points[1].Depth != -2 || doc.Points[1].Valid {
					t.Errorf("project --json: %s", out)
				}
			}},
		"rigsync calib solve": {args: func(t *testing.T) []string { return []string{"--method", "kabsch", src, dst} },
			check: func(t *testing.T, out string) {
				var doc calibJSONSolve
				json.Unmarshal([]byte(out), &doc)
				for i, w := range []float64{1, 2, 3} {
					if d := doc.Translation[i] - w; d > 1e-9 || d < -1e-9 {
						t.Errorf("solve --json translation %v, want [1 2 3]", doc.Translation)
					}
				}
			}},
		"rigsync calib check": {args: func(t *testing.T) []string { return []string{log(t), "-q"} },
			codes: []int{exitOK, exitProblems, exitMiscalibrated}, heavy: true},
		"rigsync calib rig":         refused,
		"rigsync calib rig init":    refused,
		"rigsync calib rig example": refused,
		"rigsync rig":               refused,
		"rigsync rig init":          refused,
		"rigsync rig example":       refused,
		"rigsync record": {args: func(t *testing.T) []string {
			srv := startMJPEG(t, rtsptest.Config{SRPeriod: 200 * time.Millisecond}, 64, 32, 60)
			return []string{srv.URL(), "-o", fresh("rec.mcap"), "--duration", "1s"}
		}, codes: []int{exitOK, exitProblems}, heavy: true},
		"rigsync live": {args: func(t *testing.T) []string {
			l := log(t)
			rigPath := liveRig(t, l, 160, 96)
			jpegs, err := rtsptest.TestJPEGs(160, 96, 60)
			if err != nil {
				t.Fatal(err)
			}
			srv, err := rtsptest.Start(rtsptest.Config{Path: "/cam_live", SRPeriod: 200 * time.Millisecond,
				Media: []rtsptest.Media{{Codec: rtsptest.MJPEG, FPS: 30, JPEGs: jpegs}}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Close)
			return []string{"--rig", rigPath, srv.URL(), "--with", l, "--transport", "tcp", "-o", fresh("live")}
		}, codes: []int{exitOK, exitProblems}, heavy: true},
		"rigsync fleet": refused,
		"rigsync fleet scan": {args: func(t *testing.T) []string { return []string{log(t), "-o", fresh("fleet"), "-q"} },
			codes: []int{exitOK, exitProblems}},
		"rigsync fleet find": {args: func(t *testing.T) []string {
			out := fresh("fleet")
			if code, _, errs := runCLI(t, "fleet", "scan", log(t), "-o", out, "-q"); code != exitOK && code != exitProblems {
				t.Fatalf("fleet scan: exit %d: %s", code, errs)
			}
			return []string{out, "not fault"}
		}},
		"rigsync fleet gate": refused,
		"rigsync labels":     refused,
		"rigsync labels check": {args: func(t *testing.T) []string {
			l, lab := labelledLog(t, dir)
			return []string{l, "--labels", lab, "-q"}
		}, codes: []int{exitOK, exitProblems, exitMiscalibrated}},
		"rigsync labels sync": {args: func(t *testing.T) []string {
			l, lab := labelledLog(t, dir)
			return []string{l, "--labels", lab, "-o", fresh("synced.json"), "-q"}
		}},
		"rigsync help":                  refused,
		"rigsync completion":            refused,
		"rigsync completion bash":       refused,
		"rigsync completion fish":       refused,
		"rigsync completion powershell": refused,
		"rigsync completion zsh":        refused,
	}
	// Arguments that would make a refused command run: the refusal must
	// come from --json, not from missing arguments.
	refusedArgs := map[string][]string{
		"rigsync calib convert":     {camchain, "--to", "ros_camera_info", "--camera", "cam0"},
		"rigsync calib rig init":    {"x.mcap"},
		"rigsync rig init":          {"x.mcap"},
		"rigsync completion bash":   {},
		"rigsync calib rig example": {},
		"rigsync fleet gate":        {"--print-default"},
	}
	root := newRootCommand(&globalOptions{stdout: io.Discard, stderr: io.Discard})
	var paths []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		paths = append(paths, c.CommandPath())
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	for _, p := range paths {
		if _, ok := cases[p]; !ok {
			t.Errorf("%q is not in the table: say whether it honours --json (and how to run it) or refuses it", p)
		}
	}
	for p := range cases {
		if !slices.Contains(paths, p) {
			t.Errorf("the table lists %q, which is not a command", p)
		}
	}
	for _, p := range paths {
		tc, ok := cases[p]
		if !ok {
			continue
		}
		t.Run(strings.ReplaceAll(p, " ", "_"), func(t *testing.T) {
			argv := strings.Fields(p)[1:]
			if tc.args == nil {
				argv = append(append(argv, refusedArgs[p]...), "--json")
				code, out, errs := runCLI(t, argv...)
				// A command group stops at its missing subcommand first.
				why := "--json"
				if c, _, _ := root.Find(strings.Fields(p)[1:]); c.HasSubCommands() && c != root {
					why = "missing subcommand"
				}
				if code != exitUsage || !strings.Contains(errs, why) || out != "" {
					t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d saying %q", argv, code, out, errs, exitUsage, why)
				}
				return
			}
			if tc.heavy && testing.Short() {
				t.Skip("runs the command on a fixture (-short)")
			}
			argv = append(append(argv, tc.args(t)...), "--json")
			code, out, errs := runCLI(t, argv...)
			codes := tc.codes
			if codes == nil {
				codes = []int{exitOK}
			}
			if !slices.Contains(codes, code) {
				t.Fatalf("%q: exit %d, want one of %v\nstdout %s\nstderr %s", argv, code, codes, out, errs)
			}
			dec := json.NewDecoder(strings.NewReader(out))
			n := 0
			for {
				var v any
				err := dec.Decode(&v)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("%q: stdout is not JSON after %d value(s): %v\n%s", argv, n, err, out)
				}
				n++
			}
			if n == 0 || (!tc.lines && n != 1) {
				t.Fatalf("%q: %d JSON values on stdout, want %s\n%s", argv, n, map[bool]string{true: "at least one", false: "exactly one document"}[tc.lines], out)
			}
			if tc.check != nil {
				tc.check(t, out)
			}
		})
	}
}

// TestOtherLogFormats: every command that reads a log reads bags; a log
// format rigsync does not read (a ROS 1 bag before format 2.0) is an
// error (exit 1) naming the file and the format, and a damaged stand-in
// of a format it reads (a bag that ends after its magic, a .db3 that is
// only a SQLite header, a rosbag2 folder without storage files) is an
// error naming the file. With the shared data, the real ROS 1 bags and
// rosbag2 folders (SQLite and MCAP storage) are read (exit 0) by info,
// sync, calib show and rig init.
func TestOtherLogFormats(t *testing.T) {
	dir := t.TempDir()
	commands := [][]string{
		{"info", "LOG"},
		{"cat", "LOG"},
		{"sync", "LOG"},
		{"fuse", "LOG", "-o", "OUT"},
		{"calib", "show", "LOG"},
		{"calib", "check", "LOG"},
		{"calib", "rig", "init", "LOG"},
		{"rig", "init", "LOG"},
	}
	argsFor := func(c []string, log string) []string {
		args := make([]string, len(c))
		for i, a := range c {
			switch a {
			case "LOG":
				a = log
			case "OUT":
				a = filepath.Join(t.TempDir(), "out")
			}
			args[i] = a
		}
		return append(args, "-q")
	}
	folder := filepath.Join(dir, "rosbag2_2026_12_07")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	calibWriteFile(t, folder, "metadata.yaml", "rosbag2_bagfile_information:\n  version: 5\n  storage_identifier: sqlite3\n")
	bad := map[string]string{ // log → what the error must say besides its name
		calibWriteFile(t, dir, "old.bag", "#ROSBAG V1.2\n"):                                     "ROS 1 bag (format 1.2)",
		calibWriteFile(t, dir, "older.bag", "#ROSRECORD V1.2\n"):                                "ROS 1 bag (format 1.2, before ROS 1 bag 2.0)",
		calibWriteFile(t, dir, "drive.bag", "#ROSBAG V2.0\nE\x00\x00\x00op=\x03"):               "rosbag1",
		calibWriteFile(t, dir, "drive_0.db3", "SQLite format 3\x00"+strings.Repeat("\x00", 84)): "rosbag2",
		folder: "rosbag2",
	}
	for log, says := range bad {
		for _, c := range commands {
			args := argsFor(c, log)
			code, _, errs := runCLI(t, args...)
			if code != exitError || !strings.Contains(errs, says) || !strings.Contains(errs, log) {
				t.Errorf("%q: exit %d, %q; want exit %d naming %s and %q", args, code, errs, exitError, log, says)
			}
		}
	}
	root, ok := shareddata.Root()
	if !ok {
		return
	}
	for _, log := range []string{
		filepath.Join(root, "rosbag", "ros1", "rosbag.js", "example.bag"),
		filepath.Join(root, "rosbag", "rosbag2", "sqlite3", "talker", "talker.db3"),
		filepath.Join(root, "rosbag", "rosbag2", "sqlite3", "talker"),
		filepath.Join(root, "rosbag", "rosbag2", "mcap", "talker"),
	} {
		for _, c := range commands {
			if c[0] == "fuse" || c[0] == "calib" && c[1] == "check" || c[0] == "cat" {
				continue // no LiDAR to fuse; cat exits 1 on talker's undecodable /rosout (TestRealBagsInfoCat counts its lines)
			}
			args := argsFor(c, log)
			if code, _, errs := runCLI(t, args...); code != exitOK {
				t.Errorf("%q: exit %d: %s", args, code, errs)
			}
		}
	}
}

// cat --topic with a topic the log does not have is a usage error naming
// the topics it has (it used to print nothing and exit 0).
func TestCatUnknownTopic(t *testing.T) {
	log, _ := genLog(t, "cat")
	topics := groundTruth(t, log)
	code, out, errs := runCLI(t, "cat", log, "--topic", "/nope")
	if code != exitUsage || out != "" || !strings.Contains(errs, `"/nope"`) {
		t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d naming /nope", code, out, errs, exitUsage)
	}
	for topic := range topics {
		if !strings.Contains(errs, topic) {
			t.Errorf("the error does not list the log's topic %s: %s", topic, errs)
		}
	}
	// A known topic next to an unknown one is refused too.
	for topic := range topics {
		if code, _, errs := runCLI(t, "cat", log, "--topic", topic+",/nope"); code != exitUsage || !strings.Contains(errs, "/nope") {
			t.Errorf("--topic %s,/nope: exit %d, %q", topic, code, errs)
		}
		break
	}
}

// The fuse progress bar counts frames out of the reference LiDAR's message
// count: the estimate equals the frames a run writes and the LiDAR
// messages the fixture truth says were recorded.
func TestFuseFrameEstimate(t *testing.T) {
	log, tr := genLog(t, "estimate", "--second-lidar", "--tf")
	code, out, errs := runCLI(t, "fuse", log, "-o", filepath.Join(t.TempDir(), "out"), "--json")
	if code != exitOK {
		t.Fatalf("fuse: exit %d: %s", code, errs)
	}
	var sum fuseapp.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	r, err := mcapread.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cal, err := fusion.ReadCalibrations(context.Background(), []*logfile.Log{logfile.FromMCAP(r, "")}, "base_link")
	if err != nil {
		t.Fatal(err)
	}
	top, rear := tr.Sensor("lidar_top"), tr.Sensor("lidar_rear")
	for _, tc := range []struct {
		name      string
		readers   []*logfile.Log
		reference string
		want      int64
	}{
		{"default reference", []*logfile.Log{logfile.FromMCAP(r, "")}, "", int64(sum.Frames)},
		{"default is lidar_top", []*logfile.Log{logfile.FromMCAP(r, "")}, "", int64(top.Messages)},
		{"--reference lidar_rear", []*logfile.Log{logfile.FromMCAP(r, "")}, rear.Topic, int64(rear.Messages)},
		{"unknown reference", []*logfile.Log{logfile.FromMCAP(r, "")}, "/nope", -1},
		{"no readers", nil, "", -1},
	} {
		if got := fuseapp.FrameEstimate(tc.readers, cal, tc.reference); got != tc.want {
			t.Errorf("%s: estimate %d, want %d", tc.name, got, tc.want)
		}
	}
	if sum.Frames == 0 || top.Messages == rear.Messages {
		t.Errorf("fused %d frames; lidar_top %d and lidar_rear %d messages (want different counts to tell them apart)", sum.Frames, top.Messages, rear.Messages)
	}
}

// sync --plot out/x creates out/ (it used to fail after the analysis).
func TestSyncPlotCreatesFolder(t *testing.T) {
	log, _ := genLog(t, "plot")
	prefix := filepath.Join(t.TempDir(), "new", "deeper", "drive")
	code, _, errs := runCLI(t, "sync", log, "-q", "--plot", prefix)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, name := range []string{prefix + "-timeline.png", prefix + "-residuals.png"} {
		b, err := os.ReadFile(name)
		if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%s: %d bytes, %v; want a PNG", name, len(b), err)
		}
	}
	if n := dirNames(t, filepath.Dir(prefix)); len(n) != 2 {
		t.Errorf("plot folder holds %q", n)
	}
}

// An interrupted fixtures generate leaves an existing log and truth file
// as they were (they used to be truncated at the start).
func TestFixturesGenerateInterruptedKeepsFiles(t *testing.T) {
	dir := t.TempDir()
	log := calibWriteFile(t, dir, "drive.mcap", "previous log")
	truth := calibWriteFile(t, dir, "drive.truth.json", `{"previous": true}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"fixtures", "generate", "--preset", "minimal", "--duration", "2s", "-o", log}, &out, &errb)
	if code != exitInterrupted { // an interrupted command exits 130
		t.Fatalf("cancelled generate: exit %d (%s)", code, errb.String())
	}
	if b, _ := os.ReadFile(log); string(b) != "previous log" {
		t.Errorf("log after an interrupted generate: %d bytes %.40q", len(b), b)
	}
	if b, _ := os.ReadFile(truth); string(b) != `{"previous": true}` {
		t.Errorf("truth after an interrupted generate: %.40q", b)
	}
	if n := dirNames(t, dir); len(n) != 2 {
		t.Errorf("folder holds %q after an interrupted generate", n)
	}
}
