// Command benche2e is "make bench-e2e": the end-to-end speed of the rigsync
// command on the default fixture rig, as a table anyone can re-measure on
// their machine. It builds rigsync (or takes -bin), generates the fixture
// logs once (-seconds for fuse and info, -calib-seconds for calib check),
// and times, each as a child process:
//
//   - the baseline reading cost: the mcap library's raw iteration over the
//     log (in this process) and "rigsync cat LOG > /dev/null";
//   - "rigsync fuse LOG --format F" for every format of -formats: wall,
//     × real time, CPU (user + system), peak RSS;
//   - "rigsync info" on the input log and on the fused MCAP, in s/GB;
//   - "rigsync calib check" on the -calib-seconds log, × real time.
//
// Peak RSS is the child's maximum resident set size as the kernel reports
// it (os.ProcessState.SysUsage), so no /usr/bin/time is needed. With -old
// BINARY every command also runs with that binary, interleaved with the
// new one in -runs pairs, and the table adds the median new/old ratio of
// wall and CPU time. Timings on a shared machine are noisy: compare within
// one run, and prefer the CPU column and the ratios.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/foxglove/mcap/go/mcap"
)

func main() {
	var o options
	flag.StringVar(&o.dir, "dir", "", "working folder for logs and outputs (default: a new folder in the system's temporary folder; use a disk, not tmpfs, to measure what users see)")
	flag.StringVar(&o.bin, "bin", "", "rigsync binary to measure (default: build ./cmd/rigsync into -dir)")
	flag.StringVar(&o.old, "old", "", "a second rigsync binary (e.g. built from an older revision) run interleaved with -bin; the table adds new/old ratios")
	flag.IntVar(&o.seconds, "seconds", 10, "length of the urban fixture log that fuse, cat and info read")
	flag.IntVar(&o.calibSeconds, "calib-seconds", 20, "length of the urban fixture log that calib check reads (0: skip calib check)")
	flag.IntVar(&o.runs, "runs", 1, "runs of every command (medians are reported; with -old, paired runs)")
	flag.StringVar(&o.formats, "formats", "frames,kitti,mcap,nuscenes", "fuse output formats, comma-separated")
	flag.StringVar(&o.fuseArgs, "fuse-args", "", "extra arguments of every fuse run, space-separated (e.g. \"--workers 1\")")
	flag.BoolVar(&o.keep, "keep", false, "keep -dir (logs and the last outputs) when done")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench-e2e:", err)
		os.Exit(1)
	}
}

type options struct {
	dir, bin, old          string
	seconds, calibSeconds  int
	runs                   int
	formats, fuseArgs      string
	keep                   bool
	createdDir, builtFresh bool
}

// measurement is one child process's cost.
type measurement struct {
	wall, cpu time.Duration
	rssKB     int64 // peak resident set size; -1 if the OS does not say
}

// row is one line of the table: medians of the new binary's runs and, with
// -old, of the old one's and of the paired new/old ratios.
type row struct {
	name     string
	logSecs  float64 // × real time = logSecs / wall (0: not shown)
	gb       float64 // s/GB = wall / gb (0: not shown)
	new, old []measurement
	note     string
}

func run(o options) error {
	if o.runs < 1 {
		return fmt.Errorf("-runs %d: want at least 1", o.runs)
	}
	if o.dir == "" {
		d, err := os.MkdirTemp("", "rigsync-bench-e2e-")
		if err != nil {
			return err
		}
		o.dir, o.createdDir = d, true
	} else if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	if o.createdDir && !o.keep {
		defer os.RemoveAll(o.dir)
	}
	if o.bin == "" {
		o.bin = filepath.Join(o.dir, "rigsync")
		fmt.Fprintln(os.Stderr, "building", o.bin)
		cmd := exec.Command("go", "build", "-o", o.bin, "./cmd/rigsync")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build: %w (run from the module root)", err)
		}
	}
	bins := []string{o.bin}
	if o.old != "" {
		bins = append(bins, o.old)
	}

	log := filepath.Join(o.dir, fmt.Sprintf("urban%ds.mcap", o.seconds))
	fmt.Fprintln(os.Stderr, "generating", log)
	if _, err := measure(o.bin, nil, "fixtures", "generate", "--duration", fmt.Sprintf("%ds", o.seconds), "-o", log, "-q"); err != nil {
		return err
	}
	logGB := fileGB(log)
	secs := float64(o.seconds)
	var rows []row

	// The baseline reading cost: the mcap library's raw iteration and cat.
	raw := row{name: "mcap library: raw iteration", logSecs: secs, gb: logGB}
	for range o.runs {
		m, err := rawIterate(log)
		if err != nil {
			return err
		}
		raw.new = append(raw.new, m)
	}
	raw.note = "in-process baseline"
	rows = append(rows, raw)
	r, err := o.pairs("rigsync cat LOG > /dev/null", secs, logGB, bins, func(bin string) []string { return []string{"cat", log} })
	if err != nil {
		return err
	}
	rows = append(rows, r)

	fusedMCAP := ""
	for _, f := range strings.Split(o.formats, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		out := filepath.Join(o.dir, "out-"+f)
		if f == "mcap" {
			out += ".mcap"
		}
		r, err := o.pairs("fuse --format "+f, secs, 0, bins, func(bin string) []string {
			os.RemoveAll(out)
			args := []string{"fuse", log, "--format", f, "-o", out, "-q"}
			return append(args, strings.Fields(o.fuseArgs)...)
		})
		if err != nil {
			return err
		}
		r.note = fmt.Sprintf("output %.0f MB", dirMB(out))
		rows = append(rows, r)
		if f == "mcap" {
			fusedMCAP = filepath.Join(o.dir, "fused.mcap")
			if err := os.Rename(out, fusedMCAP); err != nil {
				return err
			}
		} else {
			os.RemoveAll(out)
		}
	}

	if r, err = o.pairs("info LOG (input)", 0, logGB, bins, func(string) []string { return []string{"info", log, "--json"} }); err != nil {
		return err
	}
	r.note = fmt.Sprintf("%.0f MB", logGB*1e3)
	rows = append(rows, r)
	if fusedMCAP != "" {
		gb := fileGB(fusedMCAP)
		if r, err = o.pairs("info FUSED.mcap", 0, gb, bins, func(string) []string { return []string{"info", fusedMCAP, "--json"} }); err != nil {
			return err
		}
		r.note = fmt.Sprintf("%.0f MB (fuse --format mcap of the new binary)", gb*1e3)
		rows = append(rows, r)
	}

	if o.calibSeconds > 0 {
		clog := filepath.Join(o.dir, fmt.Sprintf("urban%ds.mcap", o.calibSeconds))
		fmt.Fprintln(os.Stderr, "generating", clog)
		if _, err := measure(o.bin, nil, "fixtures", "generate", "--duration", fmt.Sprintf("%ds", o.calibSeconds), "-o", clog, "-q"); err != nil {
			return err
		}
		r, err := o.pairs(fmt.Sprintf("calib check (%d s log)", o.calibSeconds), float64(o.calibSeconds), 0, bins,
			func(string) []string { return []string{"calib", "check", clog, "-q", "--json"} })
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	printTable(os.Stdout, o, rows)
	return nil
}

// pairs runs args(bin) for every binary, -runs times, interleaved.
func (o options) pairs(name string, logSecs, gb float64, bins []string, args func(bin string) []string) (row, error) {
	r := row{name: name, logSecs: logSecs, gb: gb}
	for i := range o.runs {
		for j, bin := range bins {
			fmt.Fprintf(os.Stderr, "%s (%s, run %d)\n", name, bin, i+1)
			m, err := measure(bin, io.Discard, args(bin)...)
			if err != nil {
				return r, err
			}
			if j == 0 {
				r.new = append(r.new, m)
			} else {
				r.old = append(r.old, m)
			}
		}
	}
	return r, nil
}

// measure runs bin with args (stdout to out, nil: os.Stderr) and returns
// its wall time, CPU time and peak RSS. Exit codes 3 and 4 (problems
// found, calib check's verdicts) are results, not failures.
func measure(bin string, out io.Writer, args ...string) (measurement, error) {
	cmd := exec.Command(bin, args...)
	if out == nil {
		out = os.Stderr
	}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &stderr
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && (ee.ExitCode() == 3 || ee.ExitCode() == 4) {
		err = nil
	}
	if err != nil {
		return measurement{}, fmt.Errorf("%s %s: %w\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	ps := cmd.ProcessState
	return measurement{wall: wall, cpu: ps.UserTime() + ps.SystemTime(), rssKB: maxRSSKB(ps)}, nil
}

// rawIterate reads every message of the log with the mcap library (its
// indexed reader, no decoding): the floor of any reader's cost.
func rawIterate(path string) (measurement, error) {
	c0 := cpuTime()
	t0 := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return measurement{}, err
	}
	defer f.Close()
	rd, err := mcap.NewReader(f)
	if err != nil {
		return measurement{}, err
	}
	it, err := rd.Messages(mcap.UsingIndex(true), mcap.InOrder(mcap.LogTimeOrder))
	if err != nil {
		return measurement{}, err
	}
	var msg mcap.Message
	n := 0
	for {
		_, _, m, err := it.NextInto(&msg)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return measurement{}, err
		}
		n += len(m.Data)
	}
	if n == 0 {
		return measurement{}, fmt.Errorf("%s: no messages", path)
	}
	return measurement{wall: time.Since(t0), cpu: cpuTime() - c0, rssKB: -1}, nil
}

func fileGB(path string) float64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return float64(st.Size()) / 1e9
}

// dirMB is the size of a file or of the files below a folder.
func dirMB(path string) float64 {
	var n int64
	filepath.Walk(path, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return float64(n) / 1e6
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianF(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// summary is the medians of a set of runs.
func summary(ms []measurement) (wall, cpu time.Duration, rssKB int64) {
	var w, c []time.Duration
	for _, m := range ms {
		w, c = append(w, m.wall), append(c, m.cpu)
		rssKB = max(rssKB, m.rssKB)
	}
	return median(w), median(c), rssKB
}

func printTable(out io.Writer, o options, rows []row) {
	fmt.Fprintf(out, "rigsync end-to-end, urban fixture rig: %d s log (%.0f MB) for fuse/cat/info", o.seconds, rows[0].gb*1e3)
	if o.calibSeconds > 0 {
		fmt.Fprintf(out, ", %d s log for calib check", o.calibSeconds)
	}
	fmt.Fprintf(out, "; medians of %d run(s)\nbinary: %s\n", o.runs, o.bin)
	if o.old != "" {
		fmt.Fprintf(out, "old:    %s (runs interleaved with the new one; ratios are medians of the paired new/old runs)\n", o.old)
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	hdr := "command\twall s\t× real time\tCPU s\tCPU × real time\ts/GB\tpeak RSS MB\t"
	if o.old != "" {
		hdr += "old wall s\told × real time\told CPU s\told RSS MB\tnew/old wall\tnew/old CPU\t"
	}
	fmt.Fprintln(tw, hdr+"\t")
	rawWall, _, _ := summary(rows[0].new)
	for _, r := range rows {
		wall, cpu, rss := summary(r.new)
		line := fmt.Sprintf("%s\t%.2f\t%s\t%.2f\t%s\t%s\t%s\t", r.name, wall.Seconds(), ratio(r.logSecs, wall), cpu.Seconds(), ratio(r.logSecs, cpu), perGB(wall, r.gb), mb(rss))
		if o.old != "" {
			if len(r.old) == 0 {
				line += "\t\t\t\t\t\t"
			} else {
				ow, oc, orss := summary(r.old)
				var rw, rc []float64
				for i := range r.new {
					rw = append(rw, r.new[i].wall.Seconds()/r.old[i].wall.Seconds())
					rc = append(rc, r.new[i].cpu.Seconds()/max(r.old[i].cpu.Seconds(), 1e-9))
				}
				line += fmt.Sprintf("%.2f\t%s\t%.2f\t%s\t%.2f\t%.2f\t", ow.Seconds(), ratio(r.logSecs, ow), oc.Seconds(), mb(orss), medianF(rw), medianF(rc))
			}
		}
		note := r.note
		if r.name != rows[0].name {
			note = strings.TrimPrefix(fmt.Sprintf("%s; %.1f× raw iteration", note, wall.Seconds()/rawWall.Seconds()), "; ")
		}
		fmt.Fprintln(tw, line+"  "+note)
	}
	tw.Flush()
	fmt.Fprintln(out, "\n× real time: log seconds per wall (CPU) second; s/GB: wall seconds per GB of the file read; \"raw iteration\": wall time relative to the mcap library's iteration over the same log")
}

func ratio(logSecs float64, d time.Duration) string {
	if logSecs == 0 || d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", logSecs/d.Seconds())
}

func perGB(d time.Duration, gb float64) string {
	if gb == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", d.Seconds()/gb)
}

func mb(kb int64) string {
	if kb <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(kb)/1024)
}
