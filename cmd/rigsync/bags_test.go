package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/fixtures/shareddata"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/rosbag1"
	"github.com/rigsync/rigsync/formats/rosbag2"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
)

// bagDrive generates a minimal-rig drive (ROS 2 CDR) with "fixtures
// generate" and writes it again as a ROS 1 bag (lz4), a rosbag2 folder
// (per-message zstd, split) and a single .db3. It returns the paths by
// kind: "mcap", "bag", "rosbag2", "db3".
func bagDrive(t *testing.T, args ...string) map[string]string {
	t.Helper()
	log, _ := genLog(t, "drive", args...)
	r, err := mcapread.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dir := t.TempDir()
	out := map[string]string{"mcap": log, "bag": filepath.Join(dir, "drive.bag"), "rosbag2": filepath.Join(dir, "drive_r2"), "db3": filepath.Join(dir, "plain", "plain_0.db3")}
	if _, err := logfile.WriteROS1(r, out["bag"], rosbag1.WriterOptions{Compression: rosbag1.CompressionLZ4}); err != nil {
		t.Fatal(err)
	}
	if _, err := logfile.WriteROS2(r, out["rosbag2"], rosbag2.WriterOptions{MessageCompression: true, SplitMessages: 200}); err != nil {
		t.Fatal(err)
	}
	if _, err := logfile.WriteROS2(r, filepath.Join(dir, "plain"), rosbag2.WriterOptions{}); err != nil {
		t.Fatal(err)
	}
	return out
}

// tree reads every file under dir by its relative path.
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fuse of the same drive from MCAP, a ROS 1 bag, a rosbag2 folder and a
// .db3 writes the same frames: every file of the frames tree is
// byte-identical (no frame file names its input log); the summary agrees
// on frames, completeness and calibration sources; only its log, logs and
// seconds name the input or the run.
func TestFuseBagsSameFrames(t *testing.T) {
	logs := bagDrive(t, "--duration", "2s", "--tf")
	var want map[string][]byte
	var wantSum fuseapp.Summary
	for _, kind := range []string{"mcap", "bag", "rosbag2", "db3"} {
		out := filepath.Join(t.TempDir(), kind)
		code, js, errs := runCLI(t, "fuse", logs[kind], "-o", out, "--json", "-q", "--workers", "1")
		if code != exitOK {
			t.Fatalf("%s: fuse: exit %d: %s", kind, code, errs)
		}
		var sum fuseapp.Summary
		if err := json.Unmarshal([]byte(js), &sum); err != nil {
			t.Fatal(err)
		}
		got := tree(t, out)
		if kind == "mcap" {
			want, wantSum = got, sum
			if sum.Frames == 0 || len(got) == 0 {
				t.Fatalf("mcap: %d frames, %d files", sum.Frames, len(got))
			}
			continue
		}
		if sum.Frames != wantSum.Frames || !mapsEqual(sum.Completeness, wantSum.Completeness) || !mapsEqual(sum.CalibSource, wantSum.CalibSource) {
			t.Errorf("%s: %d frames, completeness %v, calibration %v; mcap %d, %v, %v", kind, sum.Frames, sum.Completeness,
				sum.CalibSource, wantSum.Frames, wantSum.Completeness, wantSum.CalibSource)
		}
		if sum.Log != logs[kind] || len(sum.Problems) != 0 {
			t.Errorf("%s: summary log %q, problems %v", kind, sum.Log, sum.Problems)
		}
		var names []string
		for name := range want {
			names = append(names, name)
		}
		slices.Sort(names)
		if len(got) != len(want) {
			t.Errorf("%s: %d files, mcap %d", kind, len(got), len(want))
		}
		diffs := 0
		for _, name := range names {
			if !bytes.Equal(got[name], want[name]) {
				diffs++
				if diffs <= 3 {
					t.Errorf("%s: %s differs from the MCAP fuse's:\n%s", kind, name, firstDiff(got[name], want[name]))
				}
			}
		}
		if diffs > 0 {
			t.Errorf("%s: %d of %d files differ", kind, diffs, len(names))
		}
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// firstDiff shows where two files first differ.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(i-80, 0)
	return "got  …" + string(a[lo:min(i+80, len(a))]) + "\nwant …" + string(b[lo:min(i+80, len(b))])
}

// info, cat and sync read a ROS 1 bag, a rosbag2 folder and a single
// .db3 as they read the MCAP of the same drive: the same counts, log
// times and stamps; info's JSON names the format and says the MCAP-only
// fields do not apply.
func TestBagCommands(t *testing.T) {
	logs := bagDrive(t, "--duration", "1s")
	want := infoJSON(t, logs["mcap"])
	counts := map[string]uint64{}
	for _, c := range want.Channels {
		counts[c.Topic] = c.MessageCount
	}
	_, wantCat, _ := runCLI(t, "cat", logs["mcap"], "--topic", "/imu/data", "--limit", "5")
	_, wantSync, _ := runCLI(t, "sync", logs["mcap"], "--json")
	for _, kind := range []string{"bag", "rosbag2", "db3"} {
		t.Run(kind, func(t *testing.T) {
			rep := infoJSON(t, logs[kind])
			wantFormat := map[string]string{"bag": "ros1-bag", "rosbag2": "rosbag2", "db3": "rosbag2"}[kind]
			if rep.Format != wantFormat || rep.NotApplicable == "" || rep.Profile != "" || rep.Mode != "full" {
				t.Errorf("info: format %q, not_applicable %q, profile %q, mode %q", rep.Format, rep.NotApplicable, rep.Profile, rep.Mode)
			}
			if rep.MessageCount != want.MessageCount || rep.StartLogTime != want.StartLogTime || rep.EndLogTime != want.EndLogTime {
				t.Errorf("info: %d messages %d…%d, mcap %d %d…%d", rep.MessageCount, rep.StartLogTime, rep.EndLogTime,
					want.MessageCount, want.StartLogTime, want.EndLogTime)
			}
			for _, c := range rep.Channels {
				if c.MessageCount != counts[c.Topic] {
					t.Errorf("info: %s: %d messages, mcap %d", c.Topic, c.MessageCount, counts[c.Topic])
				}
			}
			if len(rep.Index) != len(want.Channels) {
				t.Errorf("info: index counts %v", rep.Index)
			}
			for _, ic := range rep.Index {
				if ic.Indexed != int64(ic.Read) || ic.Read != counts[ic.Topic] {
					t.Errorf("info: index count %+v, mcap %d", ic, counts[ic.Topic])
				}
			}
			code, cat, errs := runCLI(t, "cat", logs[kind], "--topic", "/imu/data", "--limit", "5")
			if code != exitOK {
				t.Fatalf("cat: exit %d: %s", code, errs)
			}
			if got, w := catFields(t, cat), catFields(t, wantCat); len(got) != 5 || !slices.Equal(got, w) {
				t.Errorf("cat: %v\nmcap %v", got, w)
			}
			code, sy, errs := runCLI(t, "sync", logs[kind], "--json")
			if code != exitOK {
				t.Fatalf("sync: exit %d: %s", code, errs)
			}
			if g, w := syncFields(t, sy), syncFields(t, wantSync); g != w {
				t.Errorf("sync: %s\nmcap %s", g, w)
			}
		})
	}
}

// catFields are the times and decoded values of cat's lines (the type
// name and publish time differ by format: a bag stores no publish time).
func catFields(t *testing.T, out string) []string {
	t.Helper()
	var res []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var l struct {
			Topic   string          `json:"topic"`
			LogTime int64           `json:"log_time_ns"`
			Stamp   int64           `json:"stamp_ns"`
			Frame   string          `json:"frame_id"`
			Message json.RawMessage `json:"message"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("cat: %v: %q", err, line)
		}
		var m map[string]any
		if err := json.Unmarshal(l.Message, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "header") // ROS 1 headers carry a seq
		b, _ := json.Marshal(m)
		res = append(res, strings.Join([]string{l.Topic, string(rune('0' + l.LogTime%10)), l.Frame}, " ")+
			" "+string(b)+" "+strconv.FormatInt(l.LogTime, 10)+" "+strconv.FormatInt(l.Stamp, 10))
	}
	return res
}

// syncFields are sync's set count, spread and per-topic counts.
func syncFields(t *testing.T, out string) string {
	t.Helper()
	var r struct {
		Sets   int `json:"set_count"`
		Spread struct {
			P50, Max int64
		} `json:"spread"`
		Topics []struct {
			Topic    string `json:"topic"`
			Messages int    `json:"messages"`
			Used     int    `json:"used"`
		} `json:"topics"`
		Warnings []string `json:"reader_warnings"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("sync: %v", err)
	}
	b, _ := json.Marshal(r)
	if r.Sets == 0 {
		t.Errorf("sync: no sets: %s", b)
	}
	return string(b)
}

// A ROS 1 bag cut short is read up to its last complete chunk: fuse and
// sync succeed and say what was lost (fuse's problems: file, kind
// "truncated", offset, unread bytes; sync's reader warnings), info lists
// the damage, and --strict fails fuse and info with exit 3, as for MCAP.
func TestTruncatedBag(t *testing.T) {
	logs := bagDrive(t, "--duration", "2s")
	data, err := os.ReadFile(logs["bag"])
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.bag")
	if err := os.WriteFile(cut, data[:len(data)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "frames")
	code, js, errs := runCLI(t, "fuse", cut, "-o", out, "--json", "-q")
	if code != exitOK {
		t.Fatalf("fuse: exit %d: %s", code, errs)
	}
	var sum fuseapp.Summary
	if err := json.Unmarshal([]byte(js), &sum); err != nil {
		t.Fatal(err)
	}
	_, full, _ := runCLI(t, "fuse", logs["bag"], "-o", filepath.Join(t.TempDir(), "all"), "--json", "-q")
	var fullSum fuseapp.Summary
	if err := json.Unmarshal([]byte(full), &fullSum); err != nil {
		t.Fatal(err)
	}
	if sum.Frames == 0 || sum.Frames >= fullSum.Frames {
		t.Errorf("cut bag fused %d frames, whole bag %d", sum.Frames, fullSum.Frames)
	}
	if len(sum.Problems) == 0 {
		t.Fatalf("fuse: no problem reported for the cut bag")
	}
	i := slices.IndexFunc(sum.Problems, func(p fusion.InputProblem) bool { return p.Kind == "truncated" })
	if i < 0 {
		t.Fatalf("fuse: no truncated problem: %+v", sum.Problems)
	}
	p := sum.Problems[i]
	if p.File != cut || p.Kind != "truncated" || p.Severity != "error" || p.Offset <= 0 || p.Offset >= int64(len(data)) || p.UnreadBytes <= 0 {
		t.Errorf("fuse: problem %+v", p)
	}
	code, _, errs = runCLI(t, "fuse", cut, "-o", filepath.Join(t.TempDir(), "strict"), "--strict", "-q")
	if code != exitProblems || !strings.Contains(errs, cut) {
		t.Errorf("fuse --strict: exit %d, want %d: %s", code, exitProblems, errs)
	}
	code, sy, errs := runCLI(t, "sync", cut, "--json")
	if code != exitOK {
		t.Fatalf("sync: exit %d: %s", code, errs)
	}
	var syr struct {
		Warnings []string `json:"reader_warnings"`
	}
	if err := json.Unmarshal([]byte(sy), &syr); err != nil {
		t.Fatal(err)
	}
	if len(syr.Warnings) == 0 || !strings.Contains(syr.Warnings[0], cut) {
		t.Errorf("sync: reader warnings %v", syr.Warnings)
	}
	rep := infoJSON(t, cut)
	if len(rep.ReaderWarning) == 0 || len(rep.Problems) == 0 {
		t.Errorf("info: warnings %v, problems %v", rep.ReaderWarning, rep.Problems)
	}
	if code, _, _ := runCLI(t, "info", cut, "--strict"); code != exitProblems {
		t.Errorf("info --strict: exit %d, want %d", code, exitProblems)
	}
}

// info and cat read the real bags of ../shared/data/rosbag (ROS 1: bz2,
// lz4, unindexed order, two connections on one topic; rosbag2: SQLite
// schema 1-4, WAL, zstd per file and per message, split, MCAP storage)
// with the message counts and time ranges that expected.json gives
// (computed with rosbag, sqlite3 and the MCAP reference reader).
func TestRealBagsInfoCat(t *testing.T) {
	dir := shareddata.Dir(t, "rosbag")
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Files map[string]struct {
			MessageCount uint64 `json:"message_count"`
			Start        int64  `json:"start_ns"`
			End          int64  `json:"end_ns"`
			Topics       map[string]struct {
				Count uint64 `json:"count"`
				First int64  `json:"first_ns"`
				Last  int64  `json:"last_ns"`
			} `json:"topics"`
		} `json:"files"`
	}
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	if len(exp.Files) < 20 {
		t.Fatalf("expected.json lists %d logs", len(exp.Files))
	}
	for key, want := range exp.Files {
		t.Run(key, func(t *testing.T) {
			path := filepath.Join(dir, key)
			rep := infoJSON(t, path)
			if rep.MessageCount != want.MessageCount {
				t.Errorf("info: %d messages, want %d", rep.MessageCount, want.MessageCount)
			}
			if want.MessageCount > 0 && (rep.StartLogTime != want.Start || rep.EndLogTime != want.End) {
				t.Errorf("info: log time %d…%d, want %d…%d", rep.StartLogTime, rep.EndLogTime, want.Start, want.End)
			}
			got := map[string]bool{}
			for _, c := range rep.Channels {
				w, ok := want.Topics[c.Topic]
				if !ok && c.MessageCount == 0 {
					continue // a storage topic without messages that expected.json does not list
				}
				got[c.Topic] = true
				switch {
				case !ok:
					t.Errorf("info: topic %s not in expected.json", c.Topic)
				case c.MessageCount != w.Count:
					t.Errorf("info: %s: %d messages, want %d", c.Topic, c.MessageCount, w.Count)
				case w.Count > 0 && (c.FirstLogTime != w.First || c.LastLogTime != w.Last):
					t.Errorf("info: %s: log time %d…%d, want %d…%d", c.Topic, c.FirstLogTime, c.LastLogTime, w.First, w.Last)
				}
			}
			if len(got) != len(want.Topics) {
				t.Errorf("info: %d topics, want %d", len(got), len(want.Topics))
			}
			_, out, errs := runCLI(t, "cat", path)
			lines := 0
			if s := strings.TrimSpace(out); s != "" {
				lines = len(strings.Split(s, "\n"))
			}
			if uint64(lines) != want.MessageCount {
				t.Errorf("cat: %d lines, want %d (%s)", lines, want.MessageCount, errs)
			}
		})
	}
}

// subsetMCAP writes the messages of the MCAP log at src whose topic keep
// accepts to a new MCAP log at dst (same schemas, channels, times, bytes).
func subsetMCAP(t *testing.T, src, dst string, keep func(topic string) bool) {
	t.Helper()
	r, err := mcapread.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := mcap.NewWriter(f, &mcap.WriterOptions{Chunked: true, ChunkSize: 1 << 20, Compression: mcap.CompressionLZ4})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeader(&mcap.Header{Profile: "ros2"}); err != nil {
		t.Fatal(err)
	}
	for _, ch := range r.Channels() {
		if !keep(ch.Topic) {
			continue
		}
		if err := w.WriteSchema(ch.Schema); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteChannel(ch.Channel); err != nil {
			t.Fatal(err)
		}
	}
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if keep(m.Channel.Topic) {
			if err := w.WriteMessage(&m.Message); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// Logs of one drive in different formats merge as MCAP logs do: the
// LiDAR, IMU and /tf as a ROS 1 bag plus the cameras as an MCAP file (or
// as a rosbag2 bag) fuse into the same frames as the whole drive's MCAP.
func TestFuseMixedFormats(t *testing.T) {
	logs := bagDrive(t, "--duration", "2s", "--tf")
	dir := t.TempDir()
	isCam := func(topic string) bool { return strings.HasPrefix(topic, "/cam") }
	lidarMCAP, cams := filepath.Join(dir, "lidar.mcap"), filepath.Join(dir, "cams.mcap")
	subsetMCAP(t, logs["mcap"], lidarMCAP, func(topic string) bool { return !isCam(topic) })
	subsetMCAP(t, logs["mcap"], cams, isCam)
	r, err := mcapread.Open(lidarMCAP)
	if err != nil {
		t.Fatal(err)
	}
	lidarBag := filepath.Join(dir, "lidar.bag")
	if _, err := logfile.WriteROS1(r, lidarBag, rosbag1.WriterOptions{}); err != nil {
		t.Fatal(err)
	}
	r.Close()
	r, err = mcapread.Open(cams)
	if err != nil {
		t.Fatal(err)
	}
	camsR2 := filepath.Join(dir, "cams_r2")
	if _, err := logfile.WriteROS2(r, camsR2, rosbag2.WriterOptions{}); err != nil {
		t.Fatal(err)
	}
	r.Close()
	fuse := func(inputs ...string) (fuseapp.Summary, map[string][]byte) {
		out := filepath.Join(t.TempDir(), "out")
		code, js, errs := runCLI(t, append([]string{"fuse", "-o", out, "--json", "-q", "--workers", "1"}, inputs...)...)
		if code != exitOK {
			t.Fatalf("fuse %v: exit %d: %s", inputs, code, errs)
		}
		var sum fuseapp.Summary
		if err := json.Unmarshal([]byte(js), &sum); err != nil {
			t.Fatal(err)
		}
		return sum, tree(t, out)
	}
	wantSum, want := fuse(logs["mcap"])
	for _, inputs := range [][]string{{lidarBag, cams}, {lidarBag, camsR2}, {cams, lidarBag}} {
		sum, got := fuse(inputs...)
		if sum.Frames != wantSum.Frames || !mapsEqual(sum.Completeness, wantSum.Completeness) || len(sum.Logs) != 2 {
			t.Errorf("%v: %d frames, completeness %v, logs %v; whole drive %d, %v", inputs, sum.Frames, sum.Completeness, sum.Logs,
				wantSum.Frames, wantSum.Completeness)
		}
		diffs := 0
		for name, b := range want {
			if !bytes.Equal(got[name], b) {
				diffs++
				if diffs == 1 {
					t.Errorf("%v: %s differs:\n%s", inputs, name, firstDiff(got[name], b))
				}
			}
		}
		if diffs > 0 || len(got) != len(want) {
			t.Errorf("%v: %d of %d files differ (%d files written)", inputs, diffs, len(want), len(got))
		}
	}
}

// --start/--end and --sensors/--exclude select the same frames from every
// format: a 1 s window of a 2 s drive gives the LiDAR sweeps stamped in
// it (10 Hz), the same frame files from MCAP, a ROS 1 bag and a rosbag2
// folder; --exclude cam_front leaves the camera out of every frame; a
// sensor that is not in the log and an empty window are usage errors.
func TestFuseSelection(t *testing.T) {
	logs := bagDrive(t, "--duration", "2s", "--tf")
	var want map[string][]byte
	for _, kind := range []string{"mcap", "bag", "rosbag2"} {
		out := filepath.Join(t.TempDir(), kind)
		code, js, errs := runCLI(t, "fuse", logs[kind], "-o", out, "--json", "-q", "--workers", "1", "--start", "+0.5s", "--end", "+1.5s", "--exclude", "cam_front")
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", kind, code, errs)
		}
		var sum fuseapp.Summary
		if err := json.Unmarshal([]byte(js), &sum); err != nil {
			t.Fatal(err)
		}
		if sum.Frames < 9 || sum.Frames > 11 || sum.StartLogTime == 0 || sum.EndLogTime-sum.StartLogTime != 1e9 {
			t.Errorf("%s: %d frames in [%d, %d)", kind, sum.Frames, sum.StartLogTime, sum.EndLogTime)
		}
		if _, ok := sum.Completeness["cam_front"]; ok || sum.Completeness["lidar_top"] != 1 {
			t.Errorf("%s: completeness %v", kind, sum.Completeness)
		}
		got := tree(t, out)
		if want == nil {
			want = got
			continue
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d files, mcap %d", kind, len(got), len(want))
		}
		for name, b := range want {
			if !bytes.Equal(got[name], b) {
				t.Errorf("%s: %s differs from the MCAP fuse's", kind, name)
			}
		}
	}
	for _, args := range [][]string{{"--sensors", "nope"}, {"--start", "+2s", "--end", "+1s"}, {"--start", "soon"}} {
		code, _, errs := runCLI(t, append([]string{"fuse", logs["bag"], "-o", filepath.Join(t.TempDir(), "u"), "-q"}, args...)...)
		if code != exitUsage {
			t.Errorf("fuse %v: exit %d, want %d: %s", args, code, exitUsage, errs)
		}
	}
}

// A .db3 cut short is fused from the rows that remain, and fuse says so:
// a problem naming the file (a truncation: reading stopped), --strict
// exit 3.
func TestTruncatedDB3(t *testing.T) {
	logs := bagDrive(t, "--duration", "2s")
	data, err := os.ReadFile(logs["db3"])
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.db3")
	if err := os.WriteFile(cut, data[:len(data)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	code, js, errs := runCLI(t, "fuse", cut, "-o", filepath.Join(t.TempDir(), "frames"), "--json", "-q")
	if code != exitOK {
		t.Fatalf("fuse: exit %d: %s", code, errs)
	}
	var sum fuseapp.Summary
	if err := json.Unmarshal([]byte(js), &sum); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(sum.Problems, func(p fusion.InputProblem) bool { return p.Kind == "truncated" })
	if sum.Frames == 0 || i < 0 || sum.Problems[i].File != cut || sum.Problems[i].Severity != "error" {
		t.Fatalf("cut .db3: %d frames, problems %+v", sum.Frames, sum.Problems)
	}
	if code, _, _ := runCLI(t, "fuse", cut, "-o", filepath.Join(t.TempDir(), "strict"), "--strict", "-q"); code != exitProblems {
		t.Errorf("fuse --strict: exit %d, want %d", code, exitProblems)
	}
}
