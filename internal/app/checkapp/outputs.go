package checkapp

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/check/report"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/formats/logcalib"
	"github.com/rigsync/rigsync/internal/app/rigfiles"
	"github.com/rigsync/rigsync/internal/atomicfile"
)

// LoadRig reads the rig.yaml at path (the calibration under test, for
// Options.Rig). A path of "" is no rig: LoadRig returns nil, nil.
func LoadRig(path string) (*rig.Rig, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rg, err := rig.Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rg, nil
}

// LoadRigs reads the --rig files (a rig.yaml, or any calibration files
// calibio reads, merged; see internal/app/rigfiles) with the --map renames,
// relative to base ("" : the rig's base_frame, else base_link). No paths
// is no rig: nil, nil. A bad --map is an error that rigfiles.IsUsage reports.
func LoadRigs(paths, maps []string, base string) (*rigfiles.Loaded, error) {
	return rigfiles.Load(paths, maps, base)
}

// Outputs are the files a check writes besides the report Run returns.
// Every file is written whole or not at all (atomicfile).
type Outputs struct {
	// Report is the self-contained HTML page to write ("" = none).
	Report string
	// Overlays is the folder for the overlay pictures and plots ("" =
	// none).
	Overlays string
	// Fix asks for a corrected rig, written to Out.
	Fix bool
	// FixFrom is the least verdict whose corrections Fix applies
	// (check.Miscalibrated or check.Suspicious; see Fix).
	FixFrom check.Verdict
	// Out is the corrected rig.yaml of Fix.
	Out string
	// Rig is the rig the corrections apply to (the one checked); nil
	// drafts one from Log as "calib rig init" would.
	Rig *rig.Rig
	// Log is the log a rig is drafted from when Rig is nil.
	Log string
	// BaseFrame is the base frame of a drafted rig ("" = base_link).
	BaseFrame string
}

// Written tells what WriteOutputs did.
type Written struct {
	// Lines say what was written (and what was not), one line each, in
	// the order report, overlays, rig.
	Lines []string
	// FixSkipped is set when Fix was asked for but no pair could be
	// checked: a rig "fixed" from a report that verified nothing would
	// look like a checked calibration, so none was written.
	FixSkipped bool
	// Fixed says, per applied pair, which DOFs the corrected rig
	// corrected and which it left as they were (FixReport).
	Fixed []Fixed
}

// WriteOutputs writes the files o asks for from rep: the HTML report, the
// overlay pictures, and the corrected rig (unless no pair was checked; see
// Written.FixSkipped). It stops at the first error.
func WriteOutputs(ctx context.Context, rep *check.Report, o Outputs) (Written, error) {
	var w Written
	if o.Report != "" {
		var buf bytes.Buffer
		if err := report.WriteHTML(&buf, rep); err != nil {
			return w, err
		}
		if err := atomicfile.WriteFile(o.Report, buf.Bytes()); err != nil {
			return w, err
		}
		w.Lines = append(w.Lines, "wrote report "+o.Report)
	}
	if o.Overlays != "" {
		paths, err := writeOverlays(o.Overlays, rep)
		if err != nil {
			return w, err
		}
		w.Lines = append(w.Lines, fmt.Sprintf("wrote %d picture(s) in %s", len(paths), o.Overlays))
	}
	w.FixSkipped = o.Fix && check.Overall(rep.Pairs) == check.Unchecked
	if w.FixSkipped {
		w.Lines = append(w.Lines, fmt.Sprintf("wrote no corrected rig to %s: no sensor pair could be checked", o.Out))
	}
	if o.Fix && !w.FixSkipped {
		base := o.Rig
		if base == nil {
			frame := o.BaseFrame
			if frame == "" {
				frame = "base_link"
			}
			var err error
			if base, err = logcalib.ReadRig(ctx, o.Log, frame); err != nil {
				return w, err
			}
		}
		fixed, what, err := FixReport(base, rep, o.FixFrom)
		if err != nil {
			return w, err
		}
		var buf bytes.Buffer
		if err := fixed.Write(&buf); err != nil {
			return w, err
		}
		if err := atomicfile.WriteFile(o.Out, buf.Bytes()); err != nil {
			return w, err
		}
		w.Lines = append(w.Lines, "wrote corrected rig "+o.Out)
		w.Lines = append(w.Lines, FixText(what)...)
		w.Fixed = what
	}
	return w, nil
}

// writeOverlays writes the report's pictures (report.Overlays) into dir,
// created if needed, each whole or not at all, replacing files of the same
// names, and returns the paths written.
func writeOverlays(dir string, rep *check.Report) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	files, err := report.Overlays(rep)
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if err := atomicfile.WriteFile(p, f.Data); err != nil {
			return paths, fmt.Errorf("report: %w", err)
		}
		paths = append(paths, p)
	}
	return paths, err
}
