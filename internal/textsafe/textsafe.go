// Package textsafe keeps text that came from a file (topic, frame, schema
// and sensor names, notes, error texts quoting them) from driving the
// terminal it is printed on: C0 control characters other than newline and
// tab, DEL, C1 control characters (U+0080–U+009F, which some terminals
// take for CSI and OSC as they take ESC [ and ESC ]) and bytes that are not
// UTF-8 are written as escapes instead.
//
// Escapes: a C0 byte or a byte that is not UTF-8 is \xNN ("\x1b"); DEL and
// a C1 character are \u00NN ("\u009b"), which is also a valid JSON string
// escape, so a Writer may carry JSON (encoding/json escapes C0 itself but
// writes DEL and C1 characters raw).
package textsafe

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// String returns s with every control character escaped, newline and tab
// included (a name must stay on its line), and bytes that are not UTF-8
// escaped; s itself when there is nothing to escape.
func String(s string) string {
	if clean(s, false) {
		return s
	}
	var b strings.Builder
	appendEscaped(&b, s, false)
	return b.String()
}

// clean reports whether s has nothing to escape (keepLines: newline and
// tab are allowed).
func clean(s string, keepLines bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && !(keepLines && (c == '\n' || c == '\t')) || c == 0x7f || c >= 0x80 {
			if c < 0x80 {
				return false
			}
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n <= 1 || r >= 0x80 && r <= 0x9f {
				return false
			}
			i += n - 1
		}
	}
	return true
}

func appendEscaped(b *strings.Builder, s string, keepLines bool) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\n' || c == '\t':
			if keepLines {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(b, `\x%02x`, c)
			}
			i++
		case c < 0x20:
			fmt.Fprintf(b, `\x%02x`, c)
			i++
		case c == 0x7f:
			b.WriteString(`\u007f`)
			i++
		case c < 0x80:
			b.WriteByte(c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && n <= 1:
				fmt.Fprintf(b, `\x%02x`, c)
			case r <= 0x9f:
				fmt.Fprintf(b, `\u%04x`, r)
			default:
				b.WriteString(s[i : i+n])
			}
			i += n
		}
	}
}

// Writer escapes what is written through it as String does, except that
// newlines and tabs pass (it carries whole reports). A UTF-8 sequence
// split between two writes is held back until it is complete (Flush
// writes what is held, escaped).
type Writer struct {
	w io.Writer
	// ClearLine lets carriage return and ESC [ K (erase to the end of
	// the line) through: the status lines of a terminal.
	ClearLine bool
	held      []byte
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write escapes p and writes it; it reports len(p) on success.
func (t *Writer) Write(p []byte) (int, error) {
	if len(t.held) == 0 && plain(p) {
		// The common case (ASCII text and JSON): passed through as is.
		if _, err := t.w.Write(p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	s := string(append(t.held, p...))
	t.held = t.held[:0]
	// Hold back an incomplete UTF-8 sequence or ESC at the end.
	if k := incompleteTail(s); k > 0 {
		t.held = append(t.held, s[len(s)-k:]...)
		s = s[:len(s)-k]
	}
	var b strings.Builder
	for len(s) > 0 {
		if t.ClearLine {
			if s[0] == '\r' {
				b.WriteByte('\r')
				s = s[1:]
				continue
			}
			if strings.HasPrefix(s, "\x1b[K") {
				b.WriteString("\x1b[K")
				s = s[3:]
				continue
			}
		}
		j := 1
		for j < len(s) && s[j] != '\r' && s[j] != 0x1b {
			j++
		}
		appendEscaped(&b, s[:j], true)
		s = s[j:]
	}
	if _, err := io.WriteString(t.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes what a Write held back (an incomplete sequence at the end
// of the output), escaped.
func (t *Writer) Flush() error {
	if len(t.held) == 0 {
		return nil
	}
	var b strings.Builder
	appendEscaped(&b, string(t.held), true)
	t.held = t.held[:0]
	_, err := io.WriteString(t.w, b.String())
	return err
}

// plain reports whether p is printable ASCII, newlines and tabs only.
func plain(p []byte) bool {
	for _, c := range p {
		if c < 0x20 && c != '\n' && c != '\t' || c >= 0x7f {
			return false
		}
	}
	return true
}

// incompleteTail is the length of a UTF-8 sequence cut short at the end of
// s, or of a trailing ESC or ESC [ (which ESC [ K may complete), else 0.
func incompleteTail(s string) int {
	if strings.HasSuffix(s, "\x1b") {
		return 1
	}
	if strings.HasSuffix(s, "\x1b[") {
		return 2
	}
	for k := 1; k <= 3 && k <= len(s); k++ {
		c := s[len(s)-k]
		if c < 0x80 {
			return 0
		}
		if c >= 0xc0 { // a lead byte: is its sequence complete?
			need := 2
			if c >= 0xe0 {
				need = 3
			}
			if c >= 0xf0 {
				need = 4
			}
			if need > k {
				return k
			}
			return 0
		}
	}
	return 0
}
