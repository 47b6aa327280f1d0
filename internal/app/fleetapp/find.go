package fleetapp

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rigsync/rigsync/fusion/fleet"
)

// Match is one scene that matched a query, with the fuse command that
// fuses just its time range.
type Match struct {
	fleet.Scene
	// Fuse is a ready "rigsync fuse LOG --start +S --end +E -o OUT" line
	// (times since the log's first message, as fuse reads them).
	Fuse string `json:"fuse"`
}

// Find reads dir's scenes.jsonl and returns the scenes that match the
// query, in the file's order. A bad query is a UsageError; a line that is
// not a scene is an error naming the file and the line.
func Find(dir, query string) ([]Match, error) {
	q, err := fleet.ParseQuery(query)
	if err != nil {
		return nil, UsageError{fmt.Errorf("fleet find: %w", err)}
	}
	path := filepath.Join(dir, ScenesFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fleet find: %w (is %s a fleet folder written by rigsync fleet scan?)", err, dir)
	}
	defer f.Close()
	out := []Match{}
	br := bufio.NewReader(f)
	var off int64
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(strings.TrimSpace(string(b))) > 0 {
			var sc fleet.Scene
			if jerr := json.Unmarshal(b, &sc); jerr != nil {
				return nil, fmt.Errorf("fleet find: %s line %d (offset %d): %w", path, line, off, jerr)
			}
			if q.Match(sc) {
				out = append(out, Match{Scene: sc, Fuse: FuseCommand(sc)})
			}
		}
		off += int64(len(b))
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("fleet find: %s: %w", path, err)
		}
	}
}

// FuseCommand is the fuse command line for a scene's time range.
func FuseCommand(sc fleet.Scene) string {
	return fmt.Sprintf("rigsync fuse %s --start +%.3fs --end +%.3fs -o scene-%s-%.0f", shellQuote(sc.Log), max(0, sc.StartS), sc.EndS,
		sc.SHA256[:min(8, len(sc.SHA256))], sc.StartS*1000)
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[](){};&|<>#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// WriteMatches prints matches as text: one line per scene.
func WriteMatches(w io.Writer, ms []Match) {
	for _, m := range ms {
		fmt.Fprintf(w, "%s  %7.2f–%-7.2f s  %-40s speed %.1f m/s\n    %s\n", m.Log, m.StartS, m.EndS, m.Tag, m.SpeedMean, m.Fuse)
	}
	fmt.Fprintf(w, "%d scene(s)\n", len(ms))
}

// WriteText prints a scan summary as text.
func WriteText(w io.Writer, s *ScanSummary) {
	c := s.Coverage
	fmt.Fprintf(w, "fleet %s: %d logs (%d analysed, %d already done), %s recorded, %.2f km driven\n", s.Out, c.Logs, s.Analyzed, s.Skipped, hoursText(c.DurationMs), c.DistanceKm)
	fmt.Fprintf(w, "gate: %d pass, %d warn, %d fail\n", c.Passed, c.Warned, c.Failed)
	for _, f := range s.Failed {
		fmt.Fprintf(w, "  FAIL %s\n", f.Path)
		for _, r := range f.Reasons {
			fmt.Fprintf(w, "       %s\n", r)
		}
	}
	for _, o := range s.Outputs {
		fmt.Fprintf(w, "wrote %s\n", o)
	}
}
