package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
)

// logExtensions are the file name endings a folder is searched for.
// (Inside "rigsync fleet", a log's format is told from its content; the
// names only pick the files of a folder.)
var logExtensions = []string{".mcap", ".bag", ".db3"}

// expandInputs turns the command's arguments and --list files into the
// fleet's log list, in order, without duplicates:
//
//   - a local glob ('logs/*.mcap') expands to its matches (one that
//     matches nothing is reported in warnings, not an error, so an empty
//     day gives an empty fleet);
//   - a local folder that holds metadata.yaml is one rosbag2 log; any
//     other folder is searched recursively for *.mcap, *.bag, *.db3 files
//     and rosbag2 folders;
//   - a URL of a Beam filesystem (gs://, s3://) with a glob is expanded
//     with that filesystem's List; without one it is taken as a file;
//   - anything else is taken as is: a missing file becomes a failed gate
//     in logs.jsonl, as in "rigsync fleet scan".
//
// A --list file (local or a URL) holds one path or glob per line; blank
// lines and lines starting with '#' are skipped.
func expandInputs(ctx context.Context, args, lists []string) (paths, warnings []string, err error) {
	var all []string
	all = append(all, args...)
	for _, l := range lists {
		lines, err := readList(ctx, l)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, lines...)
	}
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	for _, a := range all {
		switch {
		case isRemote(a):
			if !hasGlob(a) {
				if _, err := filesystem.New(ctx, a); err != nil {
					return nil, nil, usageError{err}
				}
				add(a)
				continue
			}
			ms, err := listRemote(ctx, a)
			if err != nil {
				return nil, nil, err
			}
			if len(ms) == 0 {
				warnings = append(warnings, fmt.Sprintf("%s matches no file", a))
			}
			for _, m := range ms {
				add(m)
			}
		case hasGlob(a):
			ms, err := filepath.Glob(a)
			if err != nil {
				return nil, nil, usageError{fmt.Errorf("bad pattern %q: %w", a, err)}
			}
			if len(ms) == 0 {
				warnings = append(warnings, fmt.Sprintf("%s matches no file", a))
			}
			for _, m := range ms {
				for _, p := range expandLocal(m) {
					add(p)
				}
			}
		default:
			for _, p := range expandLocal(a) {
				add(p)
			}
		}
	}
	return paths, warnings, nil
}

// hasGlob reports whether s holds a glob metacharacter.
func hasGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// expandLocal expands a local folder into its logs; a file, a rosbag2
// folder or a missing path is itself.
func expandLocal(p string) []string {
	st, err := os.Stat(p)
	if err != nil || !st.IsDir() || isBag2(p) {
		return []string{p}
	}
	var out []string
	filepath.WalkDir(p, func(q string, d os.DirEntry, err error) error {
		if err != nil {
			out = append(out, q) // unreadable: a failed gate names it
			return nil
		}
		if d.IsDir() {
			if q != p && isBag2(q) {
				out = append(out, q)
				return filepath.SkipDir
			}
			return nil
		}
		for _, ext := range logExtensions {
			if strings.EqualFold(filepath.Ext(q), ext) {
				out = append(out, q)
			}
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// isBag2 reports whether the folder p is a rosbag2 bag.
func isBag2(p string) bool {
	_, err := os.Stat(filepath.Join(p, "metadata.yaml"))
	return err == nil
}

// listRemote expands a glob URL with its Beam filesystem.
func listRemote(ctx context.Context, glob string) ([]string, error) {
	fs, err := filesystem.New(ctx, glob)
	if err != nil {
		return nil, usageError{err}
	}
	defer fs.Close()
	ms, err := fs.List(ctx, glob)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", glob, err)
	}
	sort.Strings(ms)
	return ms, nil
}

// readList reads a --list file: one path or glob per line.
func readList(ctx context.Context, name string) ([]string, error) {
	var data []byte
	var err error
	if isRemote(name) {
		var fs filesystem.Interface
		if fs, err = filesystem.New(ctx, name); err != nil {
			return nil, usageError{err}
		}
		defer fs.Close()
		data, err = filesystem.Read(ctx, fs, name)
	} else if name == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("--list %s: %w", name, err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--list %s: %w", name, err)
	}
	return out, nil
}
