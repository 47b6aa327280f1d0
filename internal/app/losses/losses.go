// Package losses is what every command that reads logs says about the
// data its log readers could not read: the damage met (a truncated file,
// a chunk whose CRC or compressed bytes are bad, repeated messages
// skipped), as fusion.InputProblem values ("problems" in every command's
// --json: info, sync, fuse, calib check, calib show, labels check and
// sync; "replay.problems" in live's, "reader_problems" in fleet scan's
// logs.jsonl; rig init prints only the text, on stderr), as a "lost:"
// section in the text output, and as a StrictError (exit code 3) when
// --strict asks for a run with any loss to fail. The commands share it so that they say it
// the same way.
package losses

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
)

// Of returns what the readers of logs lost so far (names, one per log,
// name the files), never nil. Call it after the reading: damage inside a
// chunk is found when the chunk is decompressed.
func Of(logs []*logfile.Log, names []string) []fusion.InputProblem {
	if p := fusion.InputProblems(logs, names); p != nil {
		return p
	}
	return []fusion.InputProblem{}
}

// FromWarnings turns reader warnings kept after their reader was closed
// (formats/stamps.Log.Warnings) into problems, never nil: the same
// fields as Of, without the count of unread bytes that needs the open
// reader.
func FromWarnings(ws []mcapread.Warning) []fusion.InputProblem {
	out := []fusion.InputProblem{}
	for _, w := range ws {
		p := fusion.InputProblem{Severity: "error", Kind: "damaged", File: w.File, Offset: w.Offset, Topic: w.Topic,
			LostMessages: w.LostMessages, LostFromLogTimeNS: int64(w.LostStart), LostToLogTimeNS: int64(w.LostEnd),
			Message: w.String()}
		if w.LostMessages == 0 && !w.Stopped {
			p.Severity = "warning"
		}
		if w.Stopped {
			p.Kind = "truncated"
		}
		out = append(out, p)
	}
	return out
}

// WriteText writes the "lost:" section of a command's text output: one
// line per problem (severity, kind and the message, which names the file,
// the byte offset and the topic where known). It writes nothing when
// probs is empty.
func WriteText(w io.Writer, probs []fusion.InputProblem) {
	if len(probs) == 0 {
		return
	}
	fmt.Fprintf(w, "lost: %d problem(s) reading the input logs (what could be read was used; --strict: exit 3):\n", len(probs))
	for _, p := range probs {
		fmt.Fprintf(w, "  %-7s [%s] %s\n", p.Severity, p.Kind, p.Message)
	}
}

// StrictError means the command completed but --strict fails it on N
// problems found reading the logs Files (exit code 3).
type StrictError struct {
	N     int
	Files []string
}

// Error names the damaged logs.
func (e StrictError) Error() string {
	return fmt.Sprintf("damaged input: %s: %d problem(s) found (--strict)", strings.Join(e.Files, ", "), e.N)
}

// Strict returns a StrictError when strict is set and probs is not
// empty, nil otherwise.
func Strict(strict bool, probs []fusion.InputProblem) error {
	if !strict || len(probs) == 0 {
		return nil
	}
	var files []string
	for _, p := range probs {
		if !slices.Contains(files, p.File) {
			files = append(files, p.File)
		}
	}
	return StrictError{N: len(probs), Files: files}
}
