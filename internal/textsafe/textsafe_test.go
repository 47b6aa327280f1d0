package textsafe

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"cam_front", "cam_front"},
		{"kamera_vorn_ü", "kamera_vorn_ü"},
		{"cam\x1b]0;pwned\x07", `cam\x1b]0;pwned\x07`},
		{"a\nb\tc\rd", `a\x0ab\x09c\x0dd`},
		{"lidar\u009b31m", `lidar\u009b31m`},
		{"bad\x9bbyte", `bad\x9bbyte`},
		{"del\x7f", `del\u007f`},
		{"cut\xe2\x82", `cut\xe2\x82`},
	} {
		if got := String(c.in); got != c.want {
			t.Errorf("String(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestWriter: split writes, lines kept, JSON stays JSON with the same value.
func TestWriter(t *testing.T) {
	in := "topic /cam\x1b[2J\u009b\nframe\tx€y\x7f\n"
	want := "topic /cam\\x1b[2J\\u009b\nframe\tx€y\\u007f\n"
	for split := 0; split <= len(in); split++ {
		var out bytes.Buffer
		w := NewWriter(&out)
		w.Write([]byte(in[:split]))
		w.Write([]byte(in[split:]))
		w.Flush()
		if out.String() != want {
			t.Fatalf("split at %d: %q, want %q", split, out.String(), want)
		}
	}
	v := map[string]string{"topic": "/cam\x1b\u009b\u0085\x7fé"}
	b, _ := json.Marshal(v)
	var out bytes.Buffer
	w := NewWriter(&out)
	w.Write(b)
	var back map[string]string
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || back["topic"] != v["topic"] {
		t.Errorf("JSON through the writer: %s → %v %q", out.String(), err, back)
	}
	if bytes.ContainsAny(out.Bytes(), "\x1b\x7f") || strings.Contains(out.String(), "\u009b") {
		t.Errorf("controls left: %q", out.String())
	}
}

func TestClearLine(t *testing.T) {
	var out bytes.Buffer
	w := &Writer{w: &out, ClearLine: true}
	w.Write([]byte("\r\x1b"))
	w.Write([]byte("[Kfps 10 cam\x1b]0;x\x07\n"))
	if want := "\r\x1b[Kfps 10 cam\\x1b]0;x\\x07\n"; out.String() != want {
		t.Errorf("%q, want %q", out.String(), want)
	}
}

func FuzzWriter(f *testing.F) {
	f.Add([]byte("a\x1b[Kb\r\u009b\xff"), 3)
	f.Fuzz(func(t *testing.T, b []byte, split int) {
		if split < 0 || split > len(b) {
			split = len(b) / 2
		}
		var out bytes.Buffer
		w := NewWriter(&out)
		w.Write(b[:split])
		w.Write(b[split:])
		w.Flush()
		for _, r := range out.String() {
			if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f {
				t.Fatalf("%q → %q has %U", b, out.String(), r)
			}
		}
	})
}
