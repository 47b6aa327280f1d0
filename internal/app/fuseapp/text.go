package fuseapp

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/rigsync/rigsync/fusion/writers"
)

// FormatsHelp lists the formats of reg for fuse --help: per format its
// name and doc, then how --resume continues it, wrapped at 76 columns.
func FormatsHelp(reg *writers.Registry) string {
	var b strings.Builder
	b.WriteString("Formats (--format):\n")
	for _, f := range reg.Formats() {
		text := f.Doc
		if f.Resume != "" {
			text += "\n--resume: " + f.Resume
		}
		first := true
		for para := range strings.SplitSeq(text, "\n") {
			line := ""
			for _, word := range strings.Fields(para) {
				if line != "" && 12+utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > 76 {
					writeHelpLine(&b, f.Name, line, &first)
					line = ""
				}
				if line != "" {
					line += " "
				}
				line += word
			}
			writeHelpLine(&b, f.Name, line, &first)
		}
	}
	return b.String()
}

// writeHelpLine writes one line of a format: its name first, indented after.
func writeHelpLine(b *strings.Builder, name, line string, first *bool) {
	if *first {
		fmt.Fprintf(b, "  %-9s %s\n", name, line)
		*first = false
		return
	}
	fmt.Fprintf(b, "%12s%s\n", "", line)
}

// WriteText writes the summary as "rigsync fuse" prints it: frames,
// completeness, deskew and ego sources, degraded frames, clocks, input
// problems, calibration sources and warnings.
func WriteText(w io.Writer, s *Summary) {
	fmt.Fprintf(w, "fused %d frames of %s into %s (%s) in %.1f s\n", s.Frames, strings.Join(s.Logs, " + "), s.Output, s.Format, s.Seconds)
	if l := s.Labels; l != nil {
		fmt.Fprintf(w, "labels %s (%s): %d of %d labelled frames matched (%d boxes), %d unmatched\n",
			l.File, l.Format, l.Matched, l.LabelFrames, l.Boxes, len(l.Unmatched))
	}
	names := make([]string, 0, len(s.Completeness))
	for n := range s.Completeness {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "completeness:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-24s %6.1f%%\n", n, 100*s.Completeness[n])
	}
	fmt.Fprintf(w, "deskew (frames): %s\nego pose (frames): %s\n", countList(s.Deskew), countList(s.EgoSource))
	if len(s.Degraded) > 0 {
		fmt.Fprintf(w, "degraded (frames): %s\n", countList(s.Degraded))
	}
	if len(s.Clocks) > 0 {
		fmt.Fprintln(w, "clocks:")
		for _, c := range s.Clocks {
			line := fmt.Sprintf("  %-24s %-6s %s", c.Sensor, c.Applied, c.Model)
			if c.Repair != "" && c.Repair != "none" {
				line += ", stamps repaired: " + c.Repair
			}
			if c.Applied != "given" {
				line += fmt.Sprintf(" (stamp − log time at the minimum delay %.3f ms, drift %.2f ± %.2f ppm)", float64(c.EstimatedOffsetNS)/1e6, c.DriftPPM, c.DriftSigmaPPM)
			}
			if c.Note != "" {
				line += "; " + c.Note
			}
			fmt.Fprintln(w, line)
		}
	}
	if len(s.Problems) > 0 {
		fmt.Fprintf(w, "problems: %d (damaged input; the frames hold what could be read)\n", len(s.Problems))
		for _, p := range s.Problems {
			fmt.Fprintf(w, "  %-7s [%s] %s\n", p.Severity, p.Kind, p.Message)
		}
	}
	if len(s.CalibSource) > 0 {
		keys := make([]string, 0, len(s.CalibSource))
		for k := range s.CalibSource {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		from := "the log"
		if s.Rig != "" {
			from = "the log and " + s.Rig
		}
		fmt.Fprintf(w, "calibration (from %s):\n", from)
		for _, k := range keys {
			fmt.Fprintf(w, "  %-24s %s\n", k, s.CalibSource[k])
		}
	}
	if len(s.Warnings) > 0 {
		fmt.Fprintln(w, "warnings:")
		for _, x := range s.Warnings {
			fmt.Fprintf(w, "  %s\n", x)
		}
	}
}

// countList prints a name → count map as "a 3, b 1", most frequent first.
func countList(m map[string]int) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if m[names[i]] != m[names[j]] {
			return m[names[i]] > m[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %d", n, m[n])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
