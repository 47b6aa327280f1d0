package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/fusion/fleet"
)

// FuzzReadList: any --list file reads without a panic into trimmed,
// non-empty, non-comment lines, each of which is in the input.
func FuzzReadList(f *testing.F) {
	f.Add([]byte("logs/a.mcap\n# comment\n\n  gs://b/x/*.mcap  \r\n"))
	f.Add([]byte{})
	f.Add([]byte("\x00\xff\n#\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "list.txt")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		lines, err := readList(context.Background(), p)
		if err != nil {
			return // a line longer than 1 MiB: an error, not a panic
		}
		for _, l := range lines {
			if l == "" || l != strings.TrimSpace(l) || strings.HasPrefix(l, "#") || !strings.Contains(string(data), l) {
				t.Fatalf("line %q from %q", l, data)
			}
		}
	})
}

// FuzzDecodeOptions: --options-json text decodes or fails with an error
// that says it is the options, never a panic; what decodes re-encodes to
// text that decodes again; only valid JSON (one value) is accepted.
func FuzzDecodeOptions(f *testing.F) {
	for _, s := range []string{"", "{}", `{"x":1}`, "[", "null", " \t\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if _, err := decodeOptions(text); err != nil {
			if !strings.Contains(err.Error(), "fleet options JSON") {
				t.Fatalf("error %v does not name the options", err)
			}
			return
		}
		if strings.TrimSpace(text) != "" && !json.Valid([]byte(text)) {
			t.Fatalf("invalid JSON %q accepted", text)
		}
		canon, err := optionsText(text, false, "")
		if err != nil && !strings.HasPrefix(text, "@") {
			t.Fatalf("decoded but not canonicalised: %v", err)
		}
		if err == nil {
			if _, err := decodeOptions(canon); err != nil {
				t.Fatalf("canonical %q: %v", canon, err)
			}
		}
	})
}

// TestOptionsFromFlags: --check and --gate set the per-log options as
// "rigsync fleet scan" does, over --options-json; a bad policy file is an
// error naming the file.
func TestOptionsFromFlags(t *testing.T) {
	dir := t.TempDir()
	gate := filepath.Join(dir, "gate.yaml")
	os.WriteFile(gate, []byte("dropout_s: {warn: 0, fail: 5}\nreader_loss: warn\n"), 0o644)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("dropout: 3\n"), 0o644)

	text, err := optionsText(`{"workers": 2}`, true, gate)
	if err != nil {
		t.Fatal(err)
	}
	o, err := decodeOptions(text)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Check || o.Workers != 2 || o.Policy == nil || o.Policy.Dropout.Fail != 5 || o.Policy.ReaderLoss != fleet.ActionWarn ||
		o.Policy.Degraded != fleet.DefaultPolicy().Degraded {
		t.Fatalf("options %+v (policy %+v)", o, o.Policy)
	}
	if text, _ := optionsText("", false, ""); text != "{}" {
		t.Errorf("no flags: %s, want {}", text)
	}
	if _, err := optionsText("", false, bad); err == nil || !strings.Contains(err.Error(), "bad.yaml") {
		t.Errorf("bad policy: %v", err)
	}
	if _, err := optionsText("", false, filepath.Join(dir, "none.yaml")); err == nil {
		t.Error("missing policy file accepted")
	}
}
