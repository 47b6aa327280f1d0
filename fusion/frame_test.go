package fusion

import (
	"strings"
	"testing"
)

func TestCheckFrame(t *testing.T) {
	for _, c := range []struct {
		name string
		f    *Frame
		want string // "" = ok
	}{
		{"ok", &Frame{Index: 3, Cameras: []Camera{{Name: "a"}, {Name: "b"}}}, ""},
		{"nil", nil, "nil frame"},
		{"negative index", &Frame{Index: -1}, "frame index -1 is negative"},
		{"duplicate camera", &Frame{Index: 2, Cameras: []Camera{{Name: "a"}, {Name: "b"}, {Name: "a"}}}, `frame 2: camera "a" appears twice`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckFrame(c.f)
			if c.want == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}
