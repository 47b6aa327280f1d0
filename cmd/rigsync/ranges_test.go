package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestFlagRanges (issue 17 item 10): every command refuses a numeric flag
// outside its range with exit 2, naming the flag and the range, before any
// input is opened or memory is allocated for it ("sync --queue-size
// 2000000000" died out of memory, "fuse --workers 1000000" used 5.5 GB,
// "fuse --tolerance -1s" was accepted).
func TestFlagRanges(t *testing.T) {
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{"sync", "x.mcap", "--queue-size", "2000000000"}, "--queue-size"},
		{[]string{"sync", "x.mcap", "--tolerance", "-1s"}, "--tolerance"},
		{[]string{"sync", "x.mcap", "--age-penalty", "NaN"}, "--age-penalty"},
		{[]string{"sync", "x.mcap", "--max-interval", "1000h"}, "--max-interval"},
		{[]string{"fuse", "x.mcap", "-o", "out", "--workers", "1000000"}, "--workers"},
		{[]string{"fuse", "x.mcap", "-o", "out", "--workers", "0"}, "--workers"},
		{[]string{"fuse", "x.mcap", "-o", "out", "--tolerance", "-1s"}, "--tolerance"},
		{[]string{"fuse", "x.mcap", "-o", "out", "--keyframe-hz", "0"}, "--keyframe-hz"},
		{[]string{"fuse", "x.mcap", "-o", "out", "--keyframe-hz", "+Inf"}, "--keyframe-hz"},
		{[]string{"fuse", "x.mcap", "-o", "out", "--image-check-every", "-5"}, "--image-check-every"},
		{[]string{"cat", "x.mcap", "--limit", "-3"}, "--limit"},
		{[]string{"info", "x.mcap", "--max-scan", "-2"}, "--max-scan"},
		{[]string{"demo", "--duration", "-1s"}, "--duration"},
		{[]string{"fixtures", "generate", "-o", "x.mcap", "--duration", "100h"}, "--duration"},
		{[]string{"fixtures", "generate", "-o", "x.mcap", "--speed", "-10"}, "--speed"},
		{[]string{"calib", "solve", "--ransac", "-1"}, "--ransac"},
		{[]string{"calib", "solve", "--max-dist", "0"}, "--max-dist"},
		{[]string{"calib", "check", "x.mcap", "--window", "-1s"}, "--window"},
		{[]string{"calib", "check", "x.mcap", "--max-frames", "2000000000"}, "--max-frames"},
		{[]string{"live", "rtsp://127.0.0.1:1/x", "-o", "out", "--speed", "0"}, "--speed"},
		{[]string{"live", "rtsp://127.0.0.1:1/x", "-o", "out", "--max-latency", "-1s"}, "--max-latency"},
		{[]string{"live", "rtsp://127.0.0.1:1/x", "-o", "out", "--tolerance", "2h"}, "--tolerance"},
		{[]string{"live", "rtsp://127.0.0.1:1/x", "-o", "out", "--duration", "-5s"}, "--duration"},
		{[]string{"record", "rtsp://127.0.0.1:1/x", "-o", "x.mcap", "--flush", "0s"}, "--flush"},
		{[]string{"record", "rtsp://127.0.0.1:1/x", "-o", "x.mcap", "--status-every", "-1s"}, "--status-every"},
		{[]string{"record", "rtsp://127.0.0.1:1/x", "-o", "x.mcap", "--hold-for-sr", "2h"}, "--hold-for-sr"},
		{[]string{"record", "rtsp://127.0.0.1:1/x", "-o", "x.mcap", "--duration", "-1s"}, "--duration"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Chdir(t.TempDir())
			code, _, errs := runCLI(t, c.args...)
			if code != exitUsage || !strings.Contains(errs, c.flag) || !strings.Contains(errs, "want ") {
				t.Errorf("exit %d, stderr %q; want exit %d naming %s and its range", code, errs, exitUsage, c.flag)
			}
		})
	}
}

// TestEveryNumericFlagHasRange: a numeric or duration flag added to any
// command without an entry in flagRanges fails here; every default is in
// its range.
func TestEveryNumericFlagHasRange(t *testing.T) {
	root := newRootCommand(&globalOptions{})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !numericFlagTypes[f.Value.Type()] {
				return
			}
			r, ok := flagRanges[commandKey(c)][f.Name]
			if !ok {
				t.Errorf("%s --%s (%s) has no range in flagRanges", c.CommandPath(), f.Name, f.Value.Type())
				return
			}
			if v, err := flagNumber(f); err != nil || !r.ok(v) {
				t.Errorf("%s --%s: default %s outside %s", c.CommandPath(), f.Name, f.DefValue, r.text)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	for key, flags := range flagRanges {
		c, _, err := root.Find(strings.Fields(key))
		if err != nil || commandKey(c) != key {
			t.Errorf("flagRanges names command %q, which does not exist", key)
			continue
		}
		for name := range flags {
			if c.Flags().Lookup(name) == nil {
				t.Errorf("flagRanges names %s --%s, which does not exist", key, name)
			}
		}
	}
}
