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
// calibration, duration, clock), a table of the pairs, worst verdict first,
// the verdict line (Summary), the skipped pairs with their reasons, then
// the report's warnings. It returns the first write error.
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Verdict, p.Sensor, p.Reference, p.Kind, score, corr, unc, changed,
			strings.ReplaceAll(p.Note, "\n", " "))
	}
	tw.Flush()
	fmt.Fprintln(sw, Summary(rep))
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
// nothing could be checked rather than a verdict.
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
	s := fmt.Sprintf("verdict: %s (%d pair(s) checked: %s", v, checked, strings.Join(parts, ", "))
	if skipped > 0 {
		s += fmt.Sprintf("; %d skipped, not counted: reasons below", skipped)
	}
	return s + ")"
}

// GateError is what Gate returns for a report a gate must not pass.
type GateError struct {
	// Verdict is check.Miscalibrated (some pair is), check.Suspicious
	// (some pair is, none miscalibrated) or check.Unchecked (no pair could
	// be checked).
	Verdict check.Verdict
	// Pairs name the pairs with that verdict, "sensor (kind vs
	// reference)", in report order (none for check.Unchecked).
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
	}
	return fmt.Sprintf("no sensor pair could be checked (%d skipped)", e.Skipped)
}

// Gate tells whether a field script may pass the report: nil when every
// checked pair is ok (skipped pairs do not count), else a *GateError with
// the worst verdict, miscalibrated before suspicious. A report with
// nothing but skipped pairs (or none) fails too: nothing was verified.
func Gate(rep *check.Report) error {
	var mis, sus []string
	for _, p := range rep.Pairs {
		name := fmt.Sprintf("%s (%s vs %s)", p.Sensor, p.Kind, p.Reference)
		switch p.Verdict {
		case check.Miscalibrated:
			mis = append(mis, name)
		case check.Suspicious:
			sus = append(sus, name)
		}
	}
	switch {
	case len(mis) > 0:
		return &GateError{Verdict: check.Miscalibrated, Pairs: mis}
	case len(sus) > 0:
		return &GateError{Verdict: check.Suspicious, Pairs: sus}
	case check.Overall(rep.Pairs) == check.Unchecked:
		return &GateError{Verdict: check.Unchecked, Skipped: len(rep.Pairs)}
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
