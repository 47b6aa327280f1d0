// Command torture is "make torture": a repeatable bad-input campaign
// against the rigsync command. It builds rigsync (or takes -bin), writes a
// small fixture drive as MCAP, ROS 1 bag and rosbag2 .db3, drafts its
// rig.yaml and converts it into every calibration format rigsync writes,
// and then corrupts them all:
//
//   - logs: truncated at offsets spread over the file, bits flipped, 4 KiB
//     blocks zeroed, and for MCAP chunks duplicated, dropped and swapped
//     and record lengths made huge (a bag's first header length too);
//   - calibration and rig files: cut in half, bytes flipped, a number made
//     NaN, ±Inf, 1e999 or a word, an integer made huge, a line repeated,
//     a YAML alias bomb, an 8 MiB list, deep nesting, binary garbage.
//
// Every reading command runs on every log mutant as a child process with
// a timeout: info, cat, sync, calib show, rig init, calib check and fuse
// into every format (-all-formats=false: the format rotates over the
// mutants); calibration mutants go through calib show and fuse --rig (and
// calib check --rig on every third). The calibration files are the rig's
// parts converted into every format that can hold them, and the real
// files of ../shared/data/calib (RIGSYNC_SHARED_DATA) when present.
//
// A run fails on a Go panic or runtime fatal error (its trace on stderr),
// a hang (-timeout), or a peak RSS above -max-rss (the child's maxrss from
// wait4). A run that exits 0 on a mutant known to have lost messages (a
// truncation or zeroed block before the MCAP summary, a dropped chunk)
// without saying so — nothing on stdout or stderr matches -loss-pattern —
// is a "silent-loss" finding, a failure unless -fail-silent-loss=false
// (every reading command reports its reader's losses since issue 17; the
// pattern matches a JSON reader_warnings field and the words of the text
// reports). Any other exit (a clear error, exit 1, 2, 3, 4) passes.
//
// The summary table gives cases, passes and failures by kind and by
// command; each failing case is copied to -out/failures/NNNN (the input,
// the command line, its stdout and stderr) to reproduce it. The exit
// status is 1 when a run failed.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/rosbag1"
	"github.com/rigsync/rigsync/formats/rosbag2"
)

type options struct {
	bin, dir, out   string
	mcapCases       int
	bagCases        int
	db3Cases        int
	duration        string
	timeout         time.Duration
	maxRSS          int64 // bytes
	jobs            int
	seed            uint64
	allFormats      bool
	failSilentLoss  bool
	lossPattern     string
	calibCheckEvery int
	keep            bool
	casesFile       string // set by the re-executed runner
	cleanup         bool
}

func main() {
	var o options
	var maxRSSMiB int64
	flag.StringVar(&o.bin, "bin", "", "rigsync binary to attack (default: build ./cmd/rigsync into -dir)")
	flag.StringVar(&o.dir, "dir", "", "working folder (default: a new temporary folder, removed at the end unless -keep)")
	flag.StringVar(&o.out, "out", filepath.Join(os.TempDir(), "rigsync-torture"), "folder for the findings (failures/NNNN: input, command, stdout, stderr); emptied first")
	flag.IntVar(&o.mcapCases, "mcap", 112, "MCAP log mutants (truncate, flip, zero, dupchunk, dropchunk, swapchunks, hugelen in turn)")
	flag.IntVar(&o.bagCases, "bag", 32, "ROS 1 bag mutants (truncate, flip, zero, hugelen)")
	flag.IntVar(&o.db3Cases, "db3", 24, "rosbag2 .db3 mutants (truncate, flip, zero)")
	flag.StringVar(&o.duration, "duration", "1s", "length of the fixture drive (the minimal rig)")
	flag.DurationVar(&o.timeout, "timeout", 60*time.Second, "a run longer than this is a hang")
	flag.Int64Var(&maxRSSMiB, "max-rss", 1024, "a run whose peak RSS exceeds this many MiB fails")
	flag.IntVar(&o.jobs, "j", 2, "runs at a time")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the mutations (the same seed gives the same cases)")
	flag.BoolVar(&o.allFormats, "all-formats", true, "fuse every log mutant into every format (false: the format rotates over the mutants)")
	flag.BoolVar(&o.failSilentLoss, "fail-silent-loss", true, "count silent-loss findings as failures (false: only count them)")
	flag.StringVar(&o.lossPattern, "loss-pattern", `(?im)"reader_warnings":\s*\[\s*[{"]|\blost\b|reader warnings?\b|^(rigsync: )?warning:|\bdamaged\b|\btruncated\b|\bcorrupt|\bcrc\b|\bnot read\b`,
		"a run that says what it lost matches this (stdout or stderr)")
	flag.IntVar(&o.calibCheckEvery, "calib-check-every", 3, "run calib check --rig on every Nth calibration mutant (0: never)")
	flag.BoolVar(&o.keep, "keep", false, "keep -dir")
	flag.StringVar(&o.casesFile, "cases", "", "internal: run the cases of this JSON file (the campaign re-executes itself with it)")
	flag.BoolVar(&o.cleanup, "cleanup", false, "internal: remove -dir when done")
	flag.Parse()
	o.maxRSS = maxRSSMiB << 20
	failed, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "torture:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

// tcase is one run: a command line on one mutant.
type tcase struct {
	ID      int
	Command string // the command's name for the table ("fuse kitti")
	Args    []string
	Input   string // the mutant's path
	Mutant  string // its description
	Lossy   bool
}

// result is what a run did.
type result struct {
	tcase
	code    int
	wall    time.Duration
	rssKiB  int64
	verdict string // "pass", "panic", "hang", "rss", "silent-loss", "start"
	stdout  []byte
	stderr  []byte
}

var fuseFormats = []string{"frames", "nuscenes", "mcap", "kitti", "cvat", "segments", "xtreme1"}

func run(o options) (failed bool, err error) {
	lossRe, err := regexp.Compile(o.lossPattern)
	if err != nil {
		return false, fmt.Errorf("-loss-pattern: %w", err)
	}
	if o.casesFile != "" {
		return runCases(o, lossRe)
	}
	cleanup := false
	if o.dir == "" {
		if o.dir, err = os.MkdirTemp("", "torture"); err != nil {
			return false, err
		}
		cleanup = !o.keep
	} else if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return false, err
	}
	if o.bin == "" {
		o.bin = filepath.Join(o.dir, "rigsync")
		fmt.Fprintln(os.Stderr, "building", o.bin)
		cmd := exec.Command("go", "build", "-o", o.bin, "./cmd/rigsync")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return false, fmt.Errorf("build: %w", err)
		}
	}
	bases, err := writeBases(o)
	if err != nil {
		return false, err
	}
	cases, err := buildCases(o, bases)
	if err != nil {
		return false, err
	}
	b, err := json.Marshal(cases)
	if err != nil {
		return false, err
	}
	casesFile := filepath.Join(o.dir, "cases.json")
	if err := os.WriteFile(casesFile, b, 0o644); err != nil {
		return false, err
	}
	// The runs start from a fresh process: Linux reports a child's peak
	// RSS (wait4) as at least this process's own peak (the child shares
	// its memory until it execs), and making the mutants took a few
	// hundred MiB.
	self, err := os.Executable()
	if err != nil {
		return false, err
	}
	args := append(append([]string{self}, os.Args[1:]...), "-cases", casesFile, "-bin", o.bin, "-dir", o.dir, fmt.Sprintf("-cleanup=%v", cleanup))
	return false, syscall.Exec(self, args, os.Environ())
}

// runCases is the re-executed runner: it runs the cases of o.casesFile
// and reports.
func runCases(o options, lossRe *regexp.Regexp) (failed bool, err error) {
	if o.cleanup {
		defer os.RemoveAll(o.dir)
	}
	b, err := os.ReadFile(o.casesFile)
	if err != nil {
		return false, err
	}
	var cases []tcase
	if err := json.Unmarshal(b, &cases); err != nil {
		return false, err
	}
	parentRSS := selfRSS()
	fmt.Fprintf(os.Stderr, "%d runs on %d mutants (%d at a time, timeout %v)\n", len(cases), countInputs(cases), o.jobs, o.timeout)
	start := time.Now()
	results := make([]result, len(cases))
	var wg sync.WaitGroup
	next := make(chan int)
	var mu sync.Mutex
	done := 0
	for j := 0; j < max(1, o.jobs); j++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := runOne(o, cases[i], lossRe)
				if r.verdict == "pass" {
					r.stdout, r.stderr = nil, nil // keep this process small (see parentRSS)
				}
				results[i] = r
				mu.Lock()
				done++
				if r.verdict != "pass" || done%50 == 0 {
					fmt.Fprintf(os.Stderr, "[%d/%d %s] %-12s %-14s %s (exit %d, %.1fs, %d MiB)\n", done, len(cases),
						time.Since(start).Round(time.Second), r.verdict, r.Command, r.Mutant, r.code, r.wall.Seconds(), r.rssKiB>>10)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range cases {
		next <- i
	}
	close(next)
	wg.Wait()
	failed = report(os.Stdout, o, results, time.Since(start))
	fmt.Printf("(a child's peak RSS as wait4 reports it is at least the runner's own: %d MiB at the start of the runs, %d MiB at the end)\n", parentRSS>>10, selfRSS()>>10)
	return failed, nil
}

// selfRSS is this process's resident set size in KiB (/proc/self/status
// VmRSS; 0 where there is no /proc).
func selfRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kib int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kib)
			return kib
		}
	}
	return 0
}

func countInputs(cs []tcase) int {
	m := map[string]bool{}
	for _, c := range cs {
		m[c.Input] = true
	}
	return len(m)
}

// bases are the clean inputs the mutants are made from.
type bases struct {
	mcap, bag, db3 []byte
	calibs         map[string][]byte // file name → content (rig.yaml and every calibration format)
	mcapPath       string            // the clean log, for fuse/calib check --rig
}

func writeBases(o options) (*bases, error) {
	b := &bases{calibs: map[string][]byte{}}
	b.mcapPath = filepath.Join(o.dir, "base.mcap")
	if out, err := exec.Command(o.bin, "fixtures", "generate", "--preset", "minimal", "--duration", o.duration, "-o", b.mcapPath, "-q").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("fixtures generate: %v: %s", err, out)
	}
	var err error
	if b.mcap, err = os.ReadFile(b.mcapPath); err != nil {
		return nil, err
	}
	r, err := mcapread.NewReader(bytes.NewReader(b.mcap), int64(len(b.mcap)), "base.mcap")
	if err != nil {
		return nil, err
	}
	bagPath := filepath.Join(o.dir, "base.bag")
	if _, err := logfile.WriteROS1(r, bagPath, rosbag1.WriterOptions{Compression: rosbag1.CompressionLZ4}); err != nil {
		return nil, err
	}
	if b.bag, err = os.ReadFile(bagPath); err != nil {
		return nil, err
	}
	bag2 := filepath.Join(o.dir, "base_ros2")
	if _, err := logfile.WriteROS2(r, bag2, rosbag2.WriterOptions{}); err != nil {
		return nil, err
	}
	dbs, _ := filepath.Glob(filepath.Join(bag2, "*.db3"))
	if len(dbs) != 1 {
		return nil, fmt.Errorf("rosbag2 writer: %d .db3 files", len(dbs))
	}
	if b.db3, err = os.ReadFile(dbs[0]); err != nil {
		return nil, err
	}
	rigYAML, err := exec.Command(o.bin, "rig", "init", b.mcapPath).Output()
	if err != nil {
		return nil, fmt.Errorf("rig init: %w", err)
	}
	b.calibs["rig.yaml"] = rigYAML
	// Each calibration format holds a part of a rig only: convert the
	// parts each can hold.
	full, err := rig.Load(bytes.NewReader(rigYAML))
	if err != nil {
		return nil, err
	}
	parts := 0
	part := func(keep func(s *rig.Sensor) bool, noExtrinsic bool) string {
		r := *full
		r.Sensors = nil
		for _, s := range full.Sensors {
			if keep(&s) {
				if noExtrinsic {
					s.Extrinsic = nil
				}
				r.Sensors = append(r.Sensors, s)
			}
		}
		var buf bytes.Buffer
		r.Write(&buf)
		parts++
		p := filepath.Join(o.dir, fmt.Sprintf("part%d.yaml", parts))
		os.WriteFile(p, buf.Bytes(), 0o644)
		return p
	}
	camera := func(s *rig.Sensor) bool { return s.Intrinsics != nil }
	mounted := func(s *rig.Sensor) bool { return s.Intrinsics == nil && s.Extrinsic != nil }
	first := true
	one := func(s *rig.Sensor) bool { ok := mounted(s) && first; first = first && !ok; return ok }
	for _, c := range []struct {
		rig     string
		formats []string
	}{
		{part(camera, true), []string{"ros_camera_info", "ros_camerainfo_msg", "opencv"}},
		{part(camera, false), []string{"kalibr", "opencalib"}},
		{part(mounted, false), []string{"autoware", "opencalib"}},
		{part(one, false), []string{"apollo_extrinsics"}},
	} {
		for _, f := range c.formats {
			p := filepath.Join(o.dir, "calib_"+f+"_"+strings.TrimSuffix(filepath.Base(c.rig), ".yaml"))
			if out, err := exec.Command(o.bin, "calib", "convert", c.rig, "--to", f, "-o", p).CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "skipping %s: %s", f, out)
				continue
			}
			if data, err := os.ReadFile(p); err == nil {
				b.calibs[filepath.Base(p)] = data
			}
		}
	}
	// The real calibration files of ../shared/data (KITTI, nuScenes, ...).
	shared := os.Getenv("RIGSYNC_SHARED_DATA")
	if shared == "" {
		shared = filepath.Join("..", "shared", "data")
	}
	paths, _ := filepath.Glob(filepath.Join(shared, "calib", "*"))
	for _, p := range paths {
		if ext := filepath.Ext(p); ext == ".md" || strings.HasSuffix(p, "calib_vectors.json") {
			continue
		}
		if data, err := os.ReadFile(p); err == nil && len(data) < 1<<20 {
			b.calibs[filepath.Base(p)] = data
		}
	}
	return b, nil
}

func buildCases(o options, b *bases) ([]tcase, error) {
	var cases []tcase
	mdir := filepath.Join(o.dir, "mutants")
	if err := os.MkdirAll(mdir, 0o755); err != nil {
		return nil, err
	}
	n := 0
	write := func(m mutant, ext string) (string, error) {
		n++
		p := filepath.Join(mdir, fmt.Sprintf("m%04d%s", n, ext))
		return p, os.WriteFile(p, m.data, 0o644)
	}
	add := func(command string, args []string, p string, m mutant) {
		cases = append(cases, tcase{ID: len(cases) + 1, Command: command, Args: args, Input: p, Mutant: m.name, Lossy: m.lossy})
	}
	logSets := []struct {
		kind, ext string
		data      []byte
		count     int
	}{{"mcap", ".mcap", b.mcap, o.mcapCases}, {"bag", ".bag", b.bag, o.bagCases}, {"db3", ".db3", b.db3, o.db3Cases}}
	k := 0
	for _, ls := range logSets {
		for _, m := range logMutants(ls.kind, ls.data, ls.count, o.seed) {
			p, err := write(m, ls.ext)
			if err != nil {
				return nil, err
			}
			out := p + ".out"
			add("info", []string{"info", p}, p, m)
			add("cat", []string{"cat", p}, p, m)
			add("sync", []string{"sync", p}, p, m)
			add("calib show", []string{"calib", "show", p}, p, m)
			add("rig init", []string{"rig", "init", p}, p, m)
			add("calib check", []string{"calib", "check", p, "--max-frames", "5"}, p, m)
			formats := []string{fuseFormats[k%len(fuseFormats)]}
			if o.allFormats {
				formats = fuseFormats
			}
			for _, f := range formats {
				add("fuse "+f, []string{"fuse", p, "--format", f, "-o", out + "." + f, "--force", "-q"}, p, m)
			}
			k++
		}
	}
	names := make([]string, 0, len(b.calibs))
	for name := range b.calibs {
		names = append(names, name)
	}
	sort.Strings(names)
	c := 0
	for _, name := range names {
		for _, m := range textMutants(name, b.calibs[name], o.seed) {
			n++
			dir := filepath.Join(mdir, fmt.Sprintf("c%04d", n))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			p := filepath.Join(dir, name) // the name tells KITTI files apart
			if err := os.WriteFile(p, m.data, 0o644); err != nil {
				return nil, err
			}
			add("calib show", []string{"calib", "show", p}, p, m)
			add("fuse --rig", []string{"fuse", b.mcapPath, "--rig", p, "-o", filepath.Join(dir, "out"), "--force", "-q"}, p, m)
			if o.calibCheckEvery > 0 && c%o.calibCheckEvery == 0 {
				add("calib check --rig", []string{"calib", "check", b.mcapPath, "--rig", p, "--max-frames", "3"}, p, m)
			}
			c++
		}
	}
	return cases, nil
}

// capped keeps the first limit bytes written to it and counts the rest.
type capped struct {
	buf   bytes.Buffer
	limit int
	extra int64
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.limit - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(room, len(p))])
		if len(p) > room {
			c.extra += int64(len(p) - room)
		}
	} else {
		c.extra += int64(len(p))
	}
	return len(p), nil
}

// panicRe matches a Go panic or runtime fatal error on stderr.
var panicRe = regexp.MustCompile(`(?m)^(panic: |fatal error: )|goroutine \d+ \[running\]:`)

func runOne(o options, c tcase, lossRe *regexp.Regexp) result {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.bin, c.Args...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr capped
	stdout.limit, stderr.limit = 256<<10, 256<<10
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{tcase: c, wall: time.Since(start), stdout: stdout.buf.Bytes(), stderr: stderr.buf.Bytes()}
	if cmd.ProcessState != nil {
		r.code = cmd.ProcessState.ExitCode()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.rssKiB = ru.Maxrss // KiB on Linux
		}
	}
	for _, a := range c.Args { // fuse outputs are not kept
		if strings.HasSuffix(a, ".out") || strings.Contains(a, ".out.") || filepath.Base(a) == "out" {
			os.RemoveAll(a)
		}
	}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.verdict = "hang"
	case err != nil && !errors.As(err, &ee):
		r.verdict = "start"
	case panicRe.Match(r.stderr):
		r.verdict = "panic"
	case r.rssKiB<<10 > o.maxRSS:
		r.verdict = "rss"
	case r.code == 0 && c.Lossy && !lossRe.Match(r.stdout) && !lossRe.Match(r.stderr):
		r.verdict = "silent-loss"
	default:
		r.verdict = "pass"
	}
	return r
}

// failing reports whether a verdict fails the campaign.
func (o options) failing(v string) bool {
	return v == "panic" || v == "hang" || v == "rss" || v == "start" || v == "silent-loss" && o.failSilentLoss
}

func report(w io.Writer, o options, rs []result, took time.Duration) (failed bool) {
	kinds := []string{"pass", "panic", "hang", "rss", "start", "silent-loss"}
	byCmd := map[string]map[string]int{}
	total := map[string]int{}
	exit0 := map[string]int{}
	var cmds []string
	var maxRSS int64
	var slowest result
	for _, r := range rs {
		if byCmd[r.Command] == nil {
			byCmd[r.Command] = map[string]int{}
			cmds = append(cmds, r.Command)
		}
		byCmd[r.Command][r.verdict]++
		total[r.verdict]++
		if r.code == 0 {
			exit0[r.Command]++
			exit0[""]++
		}
		maxRSS = max(maxRSS, r.rssKiB)
		if r.wall > slowest.wall {
			slowest = r
		}
	}
	sort.Strings(cmds)
	fmt.Fprintf(w, "rigsync torture: %d runs on %d mutants in %v (seed %d, timeout %v, max RSS %d MiB)\n\n",
		len(rs), countInputs(tcasesOf(rs)), took.Round(time.Second), o.seed, o.timeout, o.maxRSS>>20)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "command\truns\texit 0\t")
	for _, k := range kinds {
		fmt.Fprintf(tw, "%s\t", k)
	}
	fmt.Fprintln(tw)
	for _, c := range cmds {
		n := 0
		for _, v := range byCmd[c] {
			n += v
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t", c, n, exit0[c])
		for _, k := range kinds {
			fmt.Fprintf(tw, "%d\t", byCmd[c][k])
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t", len(rs), exit0[""])
	for _, k := range kinds {
		fmt.Fprintf(tw, "%d\t", total[k])
	}
	fmt.Fprintln(tw)
	tw.Flush()
	fmt.Fprintf(w, "\npeak RSS of any run: %d MiB; slowest run: %.1fs (%s on %s)\n", maxRSS>>10, slowest.wall.Seconds(), slowest.Command, slowest.Mutant)
	fdir := filepath.Join(o.out, "failures")
	os.RemoveAll(fdir) // the findings of an earlier campaign
	nf := 0
	for _, r := range rs {
		if r.verdict == "pass" {
			continue
		}
		if o.failing(r.verdict) {
			failed = true
		}
		nf++
		d := filepath.Join(fdir, fmt.Sprintf("%04d", r.ID))
		if err := os.MkdirAll(d, 0o755); err != nil {
			fmt.Fprintln(w, "torture:", err)
			continue
		}
		if b, err := os.ReadFile(r.Input); err == nil {
			os.WriteFile(filepath.Join(d, filepath.Base(r.Input)), b, 0o644)
		}
		line := fmt.Sprintf("verdict: %s\nmutant: %s\nexit: %d, %.1fs, peak RSS %d MiB\ncommand: rigsync %s\n", r.verdict, r.Mutant, r.code, r.wall.Seconds(), r.rssKiB>>10, strings.Join(r.Args, " "))
		os.WriteFile(filepath.Join(d, "case.txt"), []byte(line), 0o644)
		os.WriteFile(filepath.Join(d, "stdout.txt"), r.stdout, 0o644)
		os.WriteFile(filepath.Join(d, "stderr.txt"), r.stderr, 0o644)
	}
	if nf > 0 {
		fmt.Fprintf(w, "%d findings written to %s (the input's path in case.txt is the campaign's; the copy is beside it)\n", nf, fdir)
	}
	if failed {
		fmt.Fprintln(w, "FAIL")
	} else {
		fmt.Fprintln(w, "ok")
	}
	return failed
}

func tcasesOf(rs []result) []tcase {
	out := make([]tcase, len(rs))
	for i, r := range rs {
		out[i] = r.tcase
	}
	return out
}
