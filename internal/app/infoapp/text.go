package infoapp

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rigsync/rigsync/formats/inspect"
)

// WriteText writes the report as "rigsync info" prints it: the file
// header, a table of the channels, the TF tree, the camera calibrations
// and the problems.
func WriteText(w io.Writer, rep *inspect.Report) {
	fmt.Fprintf(w, "file:      %s (%s)\n", rep.File, humanBytes(rep.SizeBytes))
	if rep.Format != "" {
		fmt.Fprintf(w, "format:    %s (read in full; %s)\n", rep.Format, "no MCAP profile, library, summary or chunk index")
	} else {
		fmt.Fprintf(w, "profile:   %s   library: %s\n", orDash(rep.Profile), orDash(rep.Library))
	}
	fmt.Fprintf(w, "messages:  %d in %d channels, %s (log time %s … %s s)\n", rep.MessageCount, len(rep.Channels),
		time.Duration(rep.DurationSec*1e9).Round(time.Millisecond), seconds(rep.StartLogTime), seconds(rep.EndLogTime))
	if rep.Format == "" {
		fmt.Fprintf(w, "summary:   complete=%v, analysis=%s\n\n", rep.SummaryComplete, rep.Mode)
	} else {
		var short []string
		for _, ic := range rep.Index {
			if ic.Indexed >= 0 && uint64(ic.Indexed) != ic.Read {
				short = append(short, fmt.Sprintf("%s %d of %d", ic.Topic, ic.Read, ic.Indexed))
			}
		}
		if len(short) == 0 {
			fmt.Fprintf(w, "index:     every topic's count read as indexed\n\n")
		} else {
			fmt.Fprintf(w, "index:     read fewer messages than indexed: %s\n\n", strings.Join(short, ", "))
		}
	}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tTYPE\tENC\tMODALITY\tFRAME\tCOUNT\tRATE Hz\tJITTER p50/p99 ms\tGAPS\tSTAMP−LOG med/p99 ms\tANOMALIES")
	for _, c := range rep.Channels {
		stamp := "-"
		if c.StampMinusLogMedianMs != nil {
			stamp = fmt.Sprintf("%.2f / %.2f", *c.StampMinusLogMedianMs, *c.StampMinusLogP99Ms)
		}
		var an []string
		if c.StampsBackwards > 0 {
			an = append(an, fmt.Sprintf("%d backwards", c.StampsBackwards))
		}
		if c.StampsDuplicated > 0 {
			an = append(an, fmt.Sprintf("%d dup", c.StampsDuplicated))
		}
		if c.StampUnit != "" {
			an = append(an, "unit: "+c.StampUnit)
		}
		if c.DecodeError != "" {
			an = append(an, "undecodable")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%.2f\t%.2f / %.2f\t%d\t%s\t%s\n",
			c.Topic, orDash(c.Type), c.MessageEncoding, c.Modality, orDash(c.FrameID), c.MessageCount,
			c.RateHz, c.JitterP50Ms, c.JitterP99Ms, len(c.Gaps), stamp, orDash(strings.Join(an, ", ")))
	}
	tw.Flush()

	if len(rep.TF) > 0 {
		fmt.Fprintln(w, "\nTF tree (T_parent_child; rotation quaternion w,x,y,z):")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, e := range rep.TF {
			kind := "dynamic"
			if e.Static {
				kind = "static"
			}
			fmt.Fprintf(tw, "  %s → %s\t%s\t%s\tt=[%.3f %.3f %.3f]\tq=[%.4f %.4f %.4f %.4f]\n", e.Parent, e.Child, kind, e.Topic,
				e.Translation[0], e.Translation[1], e.Translation[2], e.RotationWXYZ[0], e.RotationWXYZ[1], e.RotationWXYZ[2], e.RotationWXYZ[3])
		}
		tw.Flush()
	}
	if len(rep.Cameras) > 0 {
		fmt.Fprintln(w, "\nCamera calibrations:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, c := range rep.Cameras {
			fmt.Fprintf(tw, "  %s\t%s\t%dx%d\t%s\tfx=%.1f fy=%.1f cx=%.1f cy=%.1f\n", c.Topic, orDash(c.FrameID), c.Width, c.Height,
				orDash(c.DistortionModel), c.K[0], c.K[4], c.K[2], c.K[5])
		}
		tw.Flush()
	}
	errs, warns := rep.ProblemsBySeverity()
	if len(rep.Problems) == 0 {
		fmt.Fprintln(w, "\nNo problems found.")
		return
	}
	fmt.Fprintf(w, "\nProblems: %d error(s), %d warning(s)\n", errs, warns)
	for _, p := range rep.Problems {
		topic := ""
		if p.Topic != "" {
			topic = p.Topic + ": "
		}
		fmt.Fprintf(w, "  %-7s [%s] %s%s\n", p.Severity, p.Kind, topic, p.Message)
	}
}

// orDash is s, or "-" when empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// humanBytes is n in B, KiB, MiB, … with one decimal.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// seconds is ns as seconds with 3 decimals.
func seconds(ns int64) string { return fmt.Sprintf("%.3f", float64(ns)/1e9) }
