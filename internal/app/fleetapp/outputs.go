package fleetapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"path/filepath"
	"sort"

	"github.com/rigsync/rigsync/fusion/fleet"
	"github.com/rigsync/rigsync/internal/atomicfile"
)

// Output file names inside a fleet folder.
const (
	LogsFile     = "logs.jsonl"
	ScenesFile   = "scenes.jsonl"
	CoverageFile = "coverage.json"
	ReportFile   = "report.html"
)

// WriteOutputs writes the fleet folder dir: logs.jsonl (one summary per
// log), scenes.jsonl, coverage.json and report.html. Results are written
// in the order of their content hash, then path, whatever order they came
// in, so that any split of the work gives the same files. cov is the sum
// of the results (Coverage.Add over them, or merged partial sums).
func WriteOutputs(dir string, results []fleet.Result, cov fleet.Coverage) error {
	rs := append([]fleet.Result(nil), results...)
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i].Summary, rs[j].Summary
		if a.SHA256 != b.SHA256 {
			return a.SHA256 < b.SHA256
		}
		return a.Path < b.Path
	})
	var logs, scenes bytes.Buffer
	le, se := json.NewEncoder(&logs), json.NewEncoder(&scenes)
	for _, r := range rs {
		if err := le.Encode(r.Summary); err != nil {
			return fmt.Errorf("fleet: %s: %w", r.Summary.Path, err)
		}
		for _, sc := range r.Scenes {
			if err := se.Encode(sc); err != nil {
				return fmt.Errorf("fleet: %s: %w", r.Summary.Path, err)
			}
		}
	}
	covJSON, err := json.MarshalIndent(cov, "", "  ")
	if err != nil {
		return fmt.Errorf("fleet: coverage: %w", err)
	}
	var rep bytes.Buffer
	fmt.Fprintf(&rep, "<!doctype html><meta charset=utf-8><title>rigsync fleet</title><h1>Fleet: %d logs, %.2f h</h1><table>\n", cov.Logs, cov.Hours)
	for _, r := range rs {
		fmt.Fprintf(&rep, "<tr><td>%s<td>%s<td>%s</tr>\n", html.EscapeString(r.Summary.Path), r.Summary.Gate.Verdict, html.EscapeString(fmt.Sprint(r.Summary.Gate.Reasons)))
	}
	rep.WriteString("</table>\n")
	for name, data := range map[string][]byte{LogsFile: logs.Bytes(), ScenesFile: scenes.Bytes(), CoverageFile: append(covJSON, '\n'), ReportFile: rep.Bytes()} {
		if err := atomicfile.WriteFile(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}
