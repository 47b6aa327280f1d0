package outdir

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// MaxNameLen bounds every sanitised name (most file systems allow 255 bytes
// per path element; room is left for a writer's prefixes, stamps and
// extensions).
const MaxNameLen = 100

// hashLen is the length of the suffix "_" + 8 hex digits that keeps
// shortened and colliding names distinct.
const hashLen = 9

// Sanitize turns a sensor or topic name into a safe file name stem: runs of
// characters other than ASCII letters, digits, '-' and '_' become one '_',
// leading and trailing '_' are dropped (so "/cam/front" is "cam_front"),
// an empty result is "unnamed" and a Windows device name (con, nul, com1,
// ...) gets a trailing '_'. A result longer than MaxNameLen bytes is cut
// and ends in "_" and 8 hex digits of a hash of the whole input (Suffix),
// so two long names that share their first 91 bytes stay distinct.
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
	if len(s) > MaxNameLen {
		s = strings.TrimRight(s[:MaxNameLen-hashLen], "_") + Suffix(name)
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

// Element makes a name safe as one path element or topic segment byte by
// byte, the nuScenes channel and Foxglove topic style: every byte outside
// [A-Za-z0-9_.-] becomes '_' (a multi-byte UTF-8 rune becomes one '_' per
// byte), a leading '.' too, and an empty name is "_". A result longer than
// MaxNameLen bytes is cut and ends in Suffix(name), as in Sanitize.
func Element(name string) string {
	b := []byte(name)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' && i > 0
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	if len(b) > MaxNameLen {
		return string(b[:MaxNameLen-hashLen]) + Suffix(name)
	}
	return string(b)
}

// Suffix is "_" and the 8 lower-case hex digits of the 32-bit FNV-1a hash
// of name: the stable tag Sanitize, Element and Names append to keep
// names distinct. It depends on name alone (not on the order names are
// seen in).
func Suffix(name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("_%08x", h.Sum32())
}

// Names hands out distinct sanitised names, the one sanitiser every writer
// uses for the sensor, topic and frame names it turns into file names,
// folders, channels or topics: the same input always gets the same output,
// and two inputs that sanitise alike ("cam/front" and "cam_front") get two
// names. The first input seen keeps the plain sanitised name; a later one
// whose name is taken gets Suffix(input) appended (cut so that the result
// stays within MaxNameLen), a tag that depends on that input alone, not on
// how many names collided before it. Reserved names are never handed out.
// Names are compared case-insensitively, since some file systems are.
type Names struct {
	sanitize func(string) string
	byInput  map[string]string
	used     map[string]bool
}

// NewNames returns a Names that sanitises with Sanitize and never hands out
// any of reserved.
func NewNames(reserved ...string) *Names {
	return NewNamesFunc(Sanitize, reserved...)
}

// NewNamesFunc returns a Names that sanitises with fn (Sanitize, Element
// or a writer's own on top of them) and never hands out any of reserved.
func NewNamesFunc(fn func(string) string, reserved ...string) *Names {
	n := &Names{sanitize: fn, byInput: map[string]string{}, used: map[string]bool{}}
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
	s := n.sanitize(name)
	if n.used[strings.ToLower(s)] {
		base := s
		if len(base) > MaxNameLen-hashLen {
			base = base[:MaxNameLen-hashLen]
		}
		s = base + Suffix(name)
		for i := 2; n.used[strings.ToLower(s)]; i++ {
			s = base + Suffix(fmt.Sprintf("%s\x00%d", name, i))
		}
	}
	n.used[strings.ToLower(s)] = true
	n.byInput[name] = s
	return s
}
