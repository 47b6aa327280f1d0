package checkapp

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/rigsync/rigsync/calib/check"
)

// WriteText writes the human form of a report: a header line (log,
// calibration, duration, clock), a table of the pairs, worst verdict first
// (a pair that did not observe every DOF that matters reads "ok (partial:
// x, y, z not observed)"), the verdict line (Summary), the partial pairs
// with the status of each DOF not observed, the skipped pairs with their
// reasons, then the report's warnings. It returns the first write error.
func WriteText(w io.Writer, rep *check.Report) error {
	sw := &stickyWriter{w: w}
	order := make([]int, len(rep.Pairs))
	for i := range order {
		order[i] = i
	}
	rank := func(v check.Verdict) int {
		return slices.Index([]check.Verdict{check.Miscalibrated, check.Suspicious, check.OK, check.Skipped}, v)
	}
	slices.SortStableFunc(order, func(a, b int) int { return rank(rep.Pairs[a].Verdict) - rank(rep.Pairs[b].Verdict) })
	fmt.Fprintf(sw, "log %s, calibration from %s, %.2f s on clock %s\n", rep.Log, orDefault(rep.Rig, "the log"),
		float64(rep.End-rep.Start)/1e9, rep.Clock)
	tw := tabwriter.NewWriter(sw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERDICT\tSENSOR\tREFERENCE\tKIND\tSCORE\tCORRECTION\t±1σ\tCHANGED\tNOTE")
	for _, i := range order {
		p := &rep.Pairs[i]
		score, corr, unc, changed := "-", "-", "-", "-"
		if p.Verdict != check.Skipped {
			score = fmt.Sprintf("%.4g %s", p.Score, p.ScoreName)
			if p.Kind == check.KindCameraTime {
				corr = fmt.Sprintf("%+.2f ms", float64(p.TimeOffsetNs)/1e6)
				unc = fmt.Sprintf("%.2f ms", float64(p.Uncertainty.TimeNs)/1e6)
			} else {
				corr = fmt.Sprintf("%.3f° %.3f m", p.CorrectionRotationDeg, p.CorrectionTranslationM)
				unc = fmt.Sprintf("%.3f° %.3f m", p.Uncertainty.RotationDeg, p.Uncertainty.TranslationM)
			}
		}
		if p.ChangedAt != nil {
			changed = fmt.Sprintf("%.2f s ± %.2f", float64(*p.ChangedAt-rep.Start)/1e9, float64(p.ChangeUncertaintyNs)/1e9)
		}
		verdict := string(p.Verdict)
		if nob := check.NotObservedDOFs(p.DOFs); len(nob) > 0 && p.Verdict != check.Skipped {
			verdict = fmt.Sprintf("%s (partial: %s not observed)", p.Verdict, strings.Join(nob, ", "))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", verdict, p.Sensor, p.Reference, p.Kind, score, corr, unc, changed,
			strings.ReplaceAll(p.Note, "\n", " "))
	}
	tw.Flush()
	fmt.Fprintln(sw, Summary(rep))
	for _, p := range rep.Pairs {
		if p.Partial() {
			fmt.Fprintf(sw, "  partial %s (%s vs %s): %s\n", p.Sensor, p.Kind, p.Reference, dofList(p.DOFs))
		}
	}
	for _, p := range rep.Pairs {
		if p.Verdict == check.Skipped || p.Verdict == "" {
			fmt.Fprintf(sw, "  skipped %s (%s vs %s): %s\n", p.Sensor, p.Kind, p.Reference,
				orDefault(strings.ReplaceAll(p.Note, "\n", " "), "no reason given"))
		}
	}
	for _, s := range rep.Warnings {
		fmt.Fprintln(sw, "warning:", s)
	}
	return sw.err
}

// Summary is the verdict line of the human output. It counts only the
// pairs that were scored: skipped pairs are listed apart (with their
// reasons, after the line), and a report with no scored pair says that
// nothing could be checked rather than a verdict. When some scored pair
// did not observe every DOF that matters the verdict reads "ok (partial:
// N pair(s) … listed below)".
func Summary(rep *check.Report) string {
	checked, skipped := check.CountChecked(rep.Pairs)
	v := check.Overall(rep.Pairs)
	if v == check.Unchecked {
		if len(rep.Pairs) == 0 {
			return "verdict: nothing could be checked (no sensor pair to check)"
		}
		return fmt.Sprintf("verdict: nothing could be checked (all %d pair(s) skipped: reasons below)", skipped)
	}
	var parts []string
	for _, vv := range []check.Verdict{check.Miscalibrated, check.Suspicious, check.OK} {
		n := 0
		for _, p := range rep.Pairs {
			if p.Verdict == vv {
				n++
			}
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, vv))
		}
	}
	head := string(v)
	if n := check.CountPartial(rep.Pairs); n > 0 {
		head += fmt.Sprintf(" (partial: %d pair(s) with a DOF that matters not observed, listed below)", n)
	}
	s := fmt.Sprintf("verdict: %s (%d pair(s) checked: %s", head, checked, strings.Join(parts, ", "))
	if skipped > 0 {
		s += fmt.Sprintf("; %d skipped, not counted: reasons below", skipped)
	}
	return s + ")"
}

// dofList is the not-observed DOFs that matter with their statuses, e.g.
// "x, y, z not searched; roll weak".
func dofList(dofs []check.DOF) string {
	var order []check.DOFStatus
	by := map[check.DOFStatus][]string{}
	for _, d := range dofs {
		if d.Matters && d.Status != check.Observed {
			if _, ok := by[d.Status]; !ok {
				order = append(order, d.Status)
			}
			by[d.Status] = append(by[d.Status], d.Name)
		}
	}
	var parts []string
	for _, st := range order {
		parts = append(parts, strings.Join(by[st], ", ")+" "+string(st))
	}
	return strings.Join(parts, "; ")
}

// GateError is what Gate returns for a report a gate must not pass.
type GateError struct {
	// Verdict is check.Miscalibrated (some pair is), check.Suspicious
	// (some pair is, none miscalibrated), check.Partial (every scored
	// pair ok, but some DOF that matters was not observed) or
	// check.Unchecked (no pair could be checked).
	Verdict check.Verdict
	// Pairs name the pairs with that verdict, "sensor (kind vs
	// reference)", in report order (none for check.Unchecked); for
	// check.Partial followed by the DOFs not observed, "sensor (kind vs
	// reference): x, y, z not searched".
	Pairs []string
	// Skipped is the number of pairs of an unchecked report (all of them
	// skipped).
	Skipped int
}

// Error names the verdict and the pairs.
func (e *GateError) Error() string {
	switch e.Verdict {
	case check.Miscalibrated, check.Suspicious:
		return fmt.Sprintf("%s: %s", e.Verdict, strings.Join(e.Pairs, ", "))
	case check.Partial:
		return fmt.Sprintf("ok but partial, not every degree of freedom that matters was observed: %s", strings.Join(e.Pairs, "; "))
	}
	return fmt.Sprintf("no sensor pair could be checked (%d skipped)", e.Skipped)
}

// Gate tells whether a field script may pass the report: nil when every
// checked pair is ok and observed every DOF that matters (skipped pairs do
// not count), else a *GateError with the worst verdict, miscalibrated
// before suspicious before partial (an ok pair with a DOF that matters not
// observed, see check.PairResult.Cover). A report with nothing but skipped
// pairs (or none) fails too: nothing was verified.
func Gate(rep *check.Report) error {
	var mis, sus, part []string
	for _, p := range rep.Pairs {
		name := fmt.Sprintf("%s (%s vs %s)", p.Sensor, p.Kind, p.Reference)
		switch p.Verdict {
		case check.Miscalibrated:
			mis = append(mis, name)
		case check.Suspicious:
			sus = append(sus, name)
		}
		if p.Partial() {
			part = append(part, name+": "+dofList(p.DOFs))
		}
	}
	switch {
	case len(mis) > 0:
		return &GateError{Verdict: check.Miscalibrated, Pairs: mis}
	case len(sus) > 0:
		return &GateError{Verdict: check.Suspicious, Pairs: sus}
	case check.Overall(rep.Pairs) == check.Unchecked:
		return &GateError{Verdict: check.Unchecked, Skipped: len(rep.Pairs)}
	case len(part) > 0:
		return &GateError{Verdict: check.Partial, Pairs: part}
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// stickyWriter remembers the first write error and writes nothing after
// it, so that a text report can be written with plain Fprintf calls and
// its error checked once.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	s.err = err
	return n, err
}
