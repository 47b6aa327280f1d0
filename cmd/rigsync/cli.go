package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// jsonAnnotation marks a command that honours --json (its value is
// "honoured"). Every other command refuses --json with a usage error, so a
// new command cannot silently ignore it.
const jsonAnnotation = "rigsync.json"

// jsonCommands are the commands (paths below the root) whose output has a
// JSON form.
var jsonCommands = []string{
	"info", "cat", "demo", "fixtures generate", "sync", "fuse", "record", "live",
	"calib show", "calib project", "calib solve", "calib check",
}

// versionInfo is what --version prints.
type versionInfo struct {
	Version  string `json:"version"`
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified"`
	Go       string `json:"go,omitempty"`
}

// readVersion takes the module version and VCS stamp from the build
// information (ok false: none embedded).
func readVersion(bi *debug.BuildInfo, ok bool) versionInfo {
	v := versionInfo{Version: "unknown"}
	if !ok || bi == nil {
		return v
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	v.Go = bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is the one-line human form: "rigsync v1.2.0 (revision 0123abcd…,
// 2026-12-01T10:00:00Z, modified; go1.26.8)".
func (v versionInfo) String() string {
	var parts []string
	if v.Revision != "" {
		parts = append(parts, "revision "+v.Revision)
	}
	if v.Time != "" {
		parts = append(parts, v.Time)
	}
	if v.Modified {
		parts = append(parts, "modified")
	}
	s := "rigsync " + v.Version
	extra := strings.Join(parts, ", ")
	if v.Go != "" {
		if extra != "" {
			extra += "; "
		}
		extra += v.Go
	}
	if extra != "" {
		s += " (" + extra + ")"
	}
	return s
}

// setupContract applies the command-line contract to the whole tree:
//
//   - --version prints the module version and VCS revision;
//   - an unknown command or subcommand is a usage error (exit 2) with
//     cobra's suggestions, and a command group without its subcommand too;
//   - --json is refused (exit 2) by every command not in jsonCommands.
func setupContract(root *cobra.Command, g *globalOptions) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var showVersion bool
	root.Flags().BoolVar(&showVersion, "version", false, "print the version (module version and VCS revision) and exit")
	root.Args = groupArgs
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if showVersion {
			bi, ok := debug.ReadBuildInfo()
			v := readVersion(bi, ok)
			if g.JSON {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
			_, err := fmt.Fprintln(g.stdout, v)
			return err
		}
		if g.JSON {
			return refuseJSON(cmd)
		}
		return cmd.Help()
	}
	root.Annotations = map[string]string{jsonAnnotation: "honoured"} // --version --json; plain "rigsync --json" is refused above
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if g.JSON && cmd.Annotations[jsonAnnotation] != "honoured" {
			return refuseJSON(cmd)
		}
		return nil
	}
	honoured := map[string]bool{}
	for _, p := range jsonCommands {
		honoured[root.Name()+" "+p] = true
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if honoured[c.CommandPath()] {
			if c.Annotations == nil {
				c.Annotations = map[string]string{}
			}
			c.Annotations[jsonAnnotation] = "honoured"
		}
		c.SuggestionsMinimumDistance = 2
		if c != root && c.HasSubCommands() {
			c.Args = groupArgs
			c.RunE = func(cmd *cobra.Command, args []string) error { return groupArgs(cmd, nil) }
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// refuseJSON is the usage error of --json on a command without JSON output.
func refuseJSON(cmd *cobra.Command) error {
	return usageError{fmt.Errorf("%s: --json is not supported (this command has no JSON output; see --help)", cmd.CommandPath())}
}

// groupArgs is the argument check of a command group: its only arguments
// are its subcommands, so anything left is an unknown subcommand (with
// cobra's suggestions), and a group other than the root needs one.
func groupArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += fmt.Sprintf("; did you mean %s?", quoteJoin(s))
		}
		return usageError{errors.New(msg + " (see " + cmd.CommandPath() + " --help)")}
	}
	if cmd.HasParent() {
		var names []string
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() && c.Name() != "help" {
				names = append(names, c.Name())
			}
		}
		return usageError{fmt.Errorf("%s: missing subcommand: one of %s (see %s --help)", cmd.CommandPath(), strings.Join(names, ", "), cmd.CommandPath())}
	}
	return nil
}

func quoteJoin(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, " or ")
}
