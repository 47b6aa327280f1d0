package syncapp

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/rigsync/rigsync/formats/stamps"
	"github.com/rigsync/rigsync/internal/app/losses"
)

// WriteText writes the report as the command prints it: the policy and
// spread, a table of the topics, then notes, clock, attach, xcorr, clock
// jump and gap lines.
func WriteText(w io.Writer, rep *Report) {
	ms := func(ns int64) string { return strconv.FormatFloat(float64(ns)/1e6, 'f', 3, 64) }
	fmt.Fprintf(w, "policy:  %s, queue size %d", rep.Policy, rep.QueueSize)
	if rep.Reference != "" {
		fmt.Fprintf(w, " (reference %s)", rep.Reference)
	}
	fmt.Fprintf(w, "\nsets:    %d, spread p50/p95/max %s / %s / %s ms\n\n", rep.Sets, ms(rep.Spread.P50), ms(rep.Spread.P95), ms(rep.Spread.Max))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tSENSOR\tMSGS\tUSED\tCOMPLETE\tRATE Hz\tREPAIR\tAPPLIED\tOFFSET ms\tDRIFT ppm ±1σ\tDELAY p50/p95 ms\tGAPS\tUNMATCHED")
	for _, t := range rep.Topics {
		var um []string
		for r, n := range t.Unmatched {
			um = append(um, fmt.Sprintf("%s %d", r, n))
		}
		slices.Sort(um)
		c := t.Clock
		off, drift, delay := "-", "-", "-"
		if c.Estimation == EstimationDone {
			off, drift = ms(c.EstimatedOffsetNS), fmt.Sprintf("%.2f ± %.2f", c.EstimatedDriftPPM, c.DriftSigmaPPM)
			delay = ms(c.DelayP50) + " / " + ms(c.DelayP95)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f%%\t%.3f\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", t.Topic, orDash(t.Sensor), t.Messages, t.Used,
			100*t.Completeness, t.RateHz, c.Repair, c.Applied, off, drift, delay, len(t.Gaps), orDash(strings.Join(um, ", ")))
	}
	tw.Flush()
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	losses.WriteText(w, rep.Problems)
	clockNote := func(topic, use string, c ClockReport) {
		switch c.Estimation {
		case EstimationImpossible:
			fmt.Fprintf(w, "clock: %s: cannot be estimated: %s; %s on its stamps as recorded (%s applied), in stamp order\n",
				topic, c.EstimationNote, use, c.Applied)
		case EstimationSkipped:
			fmt.Fprintf(w, "clock: %s: not estimated (%s)\n", topic, c.EstimationNote)
		}
	}
	for _, t := range rep.Topics {
		clockNote(t.Topic, "grouped", t.Clock)
	}
	for _, a := range rep.Attached {
		clockNote(a.Topic, "attached", a.Clock)
	}
	for _, a := range rep.Attached {
		fmt.Fprintf(w, "attached: %s: %d messages in %d windows, %d empty, samples per window min/median/max %d/%d/%d\n",
			a.Topic, a.Messages, a.Windows, a.Empty, a.MinSamples, a.MedianSamples, a.MaxSamples)
	}
	for _, x := range rep.XCorr {
		fmt.Fprintf(w, "xcorr: %s is late by %s ± %s ms against %s (correlation %.3f)\n", x.B, ms(x.DelayNS), ms(x.SigmaNS), x.A, x.Peak)
	}
	for _, t := range rep.Topics {
		for _, j := range t.Clock.Jumps {
			fmt.Fprintf(w, "clock jump: %s: %s step of %s ms at log time %s s; corrected by shifting later stamps by %s ms\n",
				t.Topic, j.Kind, ms(j.Step), seconds(j.LogTime), ms(-j.Step))
		}
		for _, gp := range t.Gaps {
			fmt.Fprintf(w, "gap: %s: %d message(s) missing between %s and %s s\n", t.Topic, gp.Missing, seconds(gp.After), seconds(gp.Before))
		}
	}
}

// WriteJSON groups lg (Group) and writes the --json document: {"sets":
// [...], then the report's fields}, each set streamed as it is emitted as
// {"TOPIC": corrected stamp in ns or null, ..., "ATTACHED": [stamps]}.
// It takes o.OnSet for itself. On an error of Group, what was written so
// far is not flushed.
func WriteJSON(w io.Writer, lg *stamps.Log, o Options) (*Report, error) {
	bw := bufio.NewWriter(w)
	var keys [][]byte
	n := 0
	for _, t := range append(slices.Clone(GroupedTopics(lg, o)), o.Attach...) {
		k, _ := json.Marshal(t)
		keys = append(keys, k)
	}
	bw.WriteString(`{"sets": [`)
	var buf []byte
	o.OnSet = func(s *Set) {
		buf = buf[:0]
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, "\n  {"...)
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = append(buf, k...)
			buf = append(buf, ": "...)
			switch {
			case i >= len(s.Stamps):
				buf = append(buf, '[')
				for j, st := range s.Attached[i-len(s.Stamps)] {
					if j > 0 {
						buf = append(buf, ", "...)
					}
					buf = strconv.AppendInt(buf, st, 10)
				}
				buf = append(buf, ']')
			case s.Present[i]:
				buf = strconv.AppendInt(buf, s.Stamps[i], 10)
			default:
				buf = append(buf, "null"...)
			}
		}
		buf = append(buf, '}')
		bw.Write(buf)
		n++
	}
	rep, err := Group(lg, o)
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, err
	}
	bw.WriteString("\n],\n  ")
	bw.Write(b[1:]) // the report's fields after "sets"
	bw.WriteString("\n")
	return rep, bw.Flush()
}

// seconds is ns as seconds with 3 decimals.
func seconds(ns int64) string { return fmt.Sprintf("%.3f", float64(ns)/1e9) }

// orDash is s, or "-" when empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
