package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readmeBlock is one ```sh block of README.md and the readme-test
// directive on the line before it, if any.
type readmeBlock struct {
	Line   int    // 1-based line of the opening fence
	Script string // the block's text
	Skip   string // why the block is not run ("" runs it)
	InRepo bool   // run in the repository root instead of the work folder
	Expect string // text the block's output must contain
}

// readmeDirective is the HTML comment that may precede a block:
//
//	<!-- readme-test: skip: REASON -->
//	<!-- readme-test: in-repo -->
//	<!-- readme-test: expect: TEXT -->
//	<!-- readme-test: in-repo; expect: TEXT -->
//
// A skip reason takes the rest of the comment; the other directives are
// separated by ";".
const readmeDirective = "<!-- readme-test:"

// parseReadme returns the sh blocks of a README in order. Blocks in other
// languages (jsonc, go, …) are documentation, not commands, and are left
// out. A malformed directive is an error, so a typo cannot silently skip
// a block.
func parseReadme(text string) ([]readmeBlock, error) {
	var (
		blocks    []readmeBlock
		cur       *readmeBlock
		body      strings.Builder
		pending   readmeBlock
		hasDirect bool
		inOther   bool
	)
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur != nil:
			if trimmed == "```" {
				cur.Script = body.String()
				blocks = append(blocks, *cur)
				cur, hasDirect = nil, false
				body.Reset()
				continue
			}
			body.WriteString(line + "\n")
		case inOther:
			if trimmed == "```" {
				inOther = false
			}
		case strings.HasPrefix(trimmed, "```"):
			lang := strings.TrimPrefix(trimmed, "```")
			if lang == "sh" || lang == "bash" || lang == "shell" {
				b := readmeBlock{Line: n}
				if hasDirect {
					b.Skip, b.InRepo, b.Expect = pending.Skip, pending.InRepo, pending.Expect
				}
				cur = &b
			} else {
				if hasDirect {
					return nil, fmt.Errorf("README.md:%d: readme-test directive before a %q block, which is never run", n, lang)
				}
				inOther = true
			}
			hasDirect = false
		case strings.HasPrefix(trimmed, readmeDirective):
			d, err := parseDirective(trimmed)
			if err != nil {
				return nil, fmt.Errorf("README.md:%d: %v", n, err)
			}
			pending, hasDirect = d, true
		case trimmed != "" && hasDirect:
			return nil, fmt.Errorf("README.md:%d: a readme-test directive must be right before its ```sh block", n)
		}
	}
	if cur != nil || inOther {
		return nil, fmt.Errorf("README.md: a code block is not closed")
	}
	return blocks, sc.Err()
}

func parseDirective(s string) (readmeBlock, error) {
	var d readmeBlock
	in, ok := strings.CutSuffix(strings.TrimPrefix(s, readmeDirective), "-->")
	if !ok {
		return d, fmt.Errorf("directive %q does not end with -->", s)
	}
	// A skip reason is free text (it may hold ";"): it takes the rest.
	if reason, ok := strings.CutPrefix(strings.TrimSpace(in), "skip:"); ok {
		if d.Skip = strings.TrimSpace(reason); d.Skip == "" {
			return d, fmt.Errorf("skip needs a reason")
		}
		return d, nil
	}
	for _, part := range strings.Split(in, ";") {
		part = strings.TrimSpace(part)
		key, val, _ := strings.Cut(part, ":")
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(key) {
		case "skip":
			return d, fmt.Errorf("skip: REASON must come alone")
		case "in-repo":
			d.InRepo = true
		case "expect":
			if val == "" {
				return d, fmt.Errorf("expect needs a text")
			}
			d.Expect = val
		default:
			return d, fmt.Errorf("unknown readme-test directive %q (want skip: REASON, in-repo or expect: TEXT)", part)
		}
	}
	return d, nil
}

func TestParseReadme(t *testing.T) {
	text := "intro\n```sh\necho a\n```\n<!-- readme-test: skip: needs a camera; see the record tests -->\n```sh\nrigsync record\n```\n" +
		"```jsonc\n{}\n```\n<!-- readme-test: in-repo; expect: exit 4 -->\n```sh\nmake x\n```\n"
	blocks, err := parseReadme(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 3 {
		t.Fatalf("%d blocks, want 3: %+v", len(blocks), blocks)
	}
	if blocks[0].Script != "echo a\n" || blocks[0].Skip != "" || blocks[0].Line != 2 {
		t.Errorf("block 0 = %+v", blocks[0])
	}
	if blocks[1].Skip != "needs a camera; see the record tests" {
		t.Errorf("block 1 skip = %q", blocks[1].Skip)
	}
	if !blocks[2].InRepo || blocks[2].Expect != "exit 4" {
		t.Errorf("block 2 = %+v", blocks[2])
	}
	for _, bad := range []string{
		"<!-- readme-test: skp: x -->\n```sh\necho\n```\n",
		"<!-- readme-test: skip -->\n```sh\necho\n```\n",
		"<!-- readme-test: skip: x -->\n\ntext\n```sh\necho\n```\n",
		"<!-- readme-test: skip: x -->\n```jsonc\n{}\n```\n",
		"```sh\necho\n",
	} {
		if _, err := parseReadme(bad); err == nil {
			t.Errorf("parseReadme(%q): no error", bad)
		}
	}
}

// TestReadmeRuns runs every ```sh block of README.md, in order, the way a
// new user would follow it: the set-up blocks in the repository root, the
// rest in one temporary folder, with `make install` putting rigsync on
// PATH. Each block runs under `bash -e -o pipefail`, so a command that
// fails (or exits with another code than the README promises) fails the
// test. Blocks that cannot run here say why in a readme-test directive
// (live cameras, benchmarks, this test command itself).
func TestReadmeRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every README command (about a minute of CPU); skipped with -short")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parseReadme(string(text))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) < 5 {
		t.Fatalf("README.md has %d sh blocks; the parser must have missed some", len(blocks))
	}

	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	work := filepath.Join(tmp, "work")
	for _, d := range []string{bin, work, filepath.Join(tmp, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// "make test" inside the README's set-up block would run this very
	// test again; the shim runs every other make target for real.
	realMake, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make not found")
	}
	shim := fmt.Sprintf("#!/bin/sh\nif [ \"$*\" = test ]; then echo 'readme test: not running make test from inside make test'; exit 0; fi\nexec %q \"$@\"\n", realMake)
	if err := os.WriteFile(filepath.Join(bin, "make"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"GOBIN="+bin, // make install (go install) puts rigsync here
		"TMPDIR="+filepath.Join(tmp, "tmp"),
		"RIGSYNC_SHARED_DATA=", // a new user has no shared data
	)

	ran := 0
	for _, b := range blocks {
		name := fmt.Sprintf("README.md:%d", b.Line)
		if b.Skip != "" {
			t.Logf("%s: skipped: %s", name, b.Skip)
			continue
		}
		dir := work
		if b.InRepo {
			dir = repo
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		cmd := exec.CommandContext(ctx, bash, "-e", "-o", "pipefail", "-c", b.Script)
		cmd.Dir, cmd.Env = dir, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		cancel()
		if err != nil {
			t.Fatalf("%s failed (%v) after %.1fs:\n%s\n--- output ---\n%s", name, err, time.Since(start).Seconds(), b.Script, tail(out.String(), 4000))
		}
		if b.Expect != "" && !strings.Contains(out.String(), b.Expect) {
			t.Fatalf("%s: output does not contain %q:\n%s", name, b.Expect, tail(out.String(), 4000))
		}
		t.Logf("%s: ok in %.1fs", name, time.Since(start).Seconds())
		ran++
	}
	if _, err := os.Stat(filepath.Join(bin, "rigsync")); err != nil {
		t.Errorf("after the README's set-up, rigsync is not installed: %v", err)
	}
	if ran == 0 {
		t.Fatal("no README block ran")
	}
}

// tail returns at most the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
