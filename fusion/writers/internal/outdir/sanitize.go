package outdir

import (
	"strconv"
	"strings"
)

// maxNameLen bounds a sanitised name (most file systems allow 255 bytes;
// room is left for extensions and suffixes).
const maxNameLen = 100

// Sanitize turns a sensor or topic name into a safe file name stem: runs of
// characters other than ASCII letters, digits, '-' and '_' become one '_',
// leading and trailing '_' are dropped (so "/cam/front" is "cam_front"),
// the result is cut to 100 bytes, an empty result is "unnamed" and a
// Windows device name (con, nul, com1, ...) gets a trailing '_'.
func Sanitize(name string) string {
	var b strings.Builder
	under := false
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
		if !ok || r == '_' {
			if !under {
				b.WriteByte('_')
			}
			under = true
			continue
		}
		under = false
		b.WriteRune(r)
	}
	s := strings.Trim(b.String(), "_")
	if len(s) > maxNameLen {
		s = strings.TrimRight(s[:maxNameLen], "_")
	}
	if s == "" {
		return "unnamed"
	}
	switch strings.ToLower(s) {
	case "con", "prn", "aux", "nul",
		"com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
		"lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9":
		s += "_"
	}
	return s
}

// Names hands out distinct sanitised names: the same input always gets the
// same output, and two inputs that sanitise alike get "_2", "_3", ...
// suffixes in order of first use. Reserved names are never handed out.
type Names struct {
	byInput map[string]string
	used    map[string]bool
}

// NewNames returns a Names that never hands out any of reserved (compared
// case-insensitively, since some file systems are).
func NewNames(reserved ...string) *Names {
	n := &Names{byInput: map[string]string{}, used: map[string]bool{}}
	for _, r := range reserved {
		n.used[strings.ToLower(r)] = true
	}
	return n
}

// Get returns the distinct sanitised name of name.
func (n *Names) Get(name string) string {
	if s, ok := n.byInput[name]; ok {
		return s
	}
	base := Sanitize(name)
	s := base
	for i := 2; n.used[strings.ToLower(s)]; i++ {
		s = base + "_" + strconv.Itoa(i)
	}
	n.used[strings.ToLower(s)] = true
	n.byInput[name] = s
	return s
}
