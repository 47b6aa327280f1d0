package infoapp_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/internal/app/infoapp"
)

// writeLog generates d of the minimal fixture rig, in chunks of 256 KiB,
// into dir/drive.mcap; cut keeps only that fraction of its bytes (1: all).
func writeLog(dir string, d time.Duration, cut float64) (string, error) {
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		return "", err
	}
	cfg.Duration = d
	cfg.ChunkSize = 256 << 10
	var log, truth bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &log, &truth, nil); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "drive.mcap")
	return path, os.WriteFile(path, log.Bytes()[:int(float64(log.Len())*cut)], 0o644)
}

// Run reports a healthy log without problems, and a cut one with
// problems: an error only with Strict, a ProblemsError that comes with
// the report. A missing file is an error without a report.
func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name         string
		cut          float64
		strict       bool
		wantProblems bool
		wantErr      bool
	}{
		{"healthy", 1, false, false, false},
		{"healthy strict", 1, true, false, false},
		{"cut", 0.6, false, true, false},
		{"cut strict", 0.6, true, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log, err := writeLog(t.TempDir(), time.Second, tc.cut)
			if err != nil {
				t.Fatal(err)
			}
			var stages []string
			var finished int
			o := infoapp.Options{Strict: tc.strict, MaxScan: -1, Progress: func(stage, unit string, total int64) infoapp.Progress {
				stages = append(stages, stage+"/"+unit)
				return finish{&finished}
			}}
			rep, err := infoapp.Run(context.Background(), o, log)
			var pe infoapp.ProblemsError
			if gotErr := errors.As(err, &pe); gotErr != tc.wantErr || (err != nil && !gotErr) {
				t.Fatalf("err = %v, want a ProblemsError: %v", err, tc.wantErr)
			}
			if rep == nil || rep.File != log || len(rep.Channels) == 0 {
				t.Fatalf("report %+v, want the channels of %s", rep, log)
			}
			if (len(rep.Problems) > 0) != tc.wantProblems || (tc.wantErr && pe.N != len(rep.Problems)) {
				t.Errorf("%d problems (error says %d), want some: %v", len(rep.Problems), pe.N, tc.wantProblems)
			}
			if len(stages) != 1 || stages[0] != "reading/msg" || finished != 1 {
				t.Errorf("progress stages %q finished %d times, want reading/msg once", stages, finished)
			}
		})
	}
	rep, err := infoapp.Run(context.Background(), infoapp.Options{}, filepath.Join(t.TempDir(), "missing.mcap"))
	if err == nil || rep != nil {
		t.Errorf("missing log: report %v, error %v", rep, err)
	}
}

type finish struct{ n *int }

func (finish) Set(int64) {}
func (f finish) Finish() { *f.n++ }
