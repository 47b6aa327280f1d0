package fleetapp

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// sortedResults is a copy of results in content-hash, then path order.
func sortedResults(results []fleet.Result) []fleet.Result {
	rs := append([]fleet.Result(nil), results...)
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i].Summary, rs[j].Summary
		if a.SHA256 != b.SHA256 {
			return a.SHA256 < b.SHA256
		}
		return a.Path < b.Path
	})
	return rs
}

// WriteOutputs writes the fleet folder dir: logs.jsonl (one summary per
// log), scenes.jsonl, coverage.json and report.html. Results are written
// in the order of their content hash, then path, whatever order they came
// in, so that any split of the work gives the same files. cov is the sum
// of the results (Coverage.Add over them, or merged partial sums).
func WriteOutputs(dir string, results []fleet.Result, cov fleet.Coverage) error {
	rs := sortedResults(results)
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
	for name, data := range map[string][]byte{LogsFile: logs.Bytes(), ScenesFile: scenes.Bytes(), CoverageFile: append(covJSON, '\n'), ReportFile: renderReport(rs, cov)} {
		if err := atomicfile.WriteFile(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}
