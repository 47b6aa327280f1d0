package main

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/internal/version"
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
	"fleet scan", "fleet find",
	"labels check", "labels sync",
}

// setupContract applies the command-line contract to the whole tree:
//
//   - --version prints the module version and VCS revision;
//   - an unknown command or subcommand is a usage error (exit 2) with
//     cobra's suggestions, and a command group without its subcommand too;
//   - --json is refused (exit 2) by every command not in jsonCommands;
//   - a numeric flag outside its range (flagRanges) is a usage error.
func setupContract(root *cobra.Command, g *globalOptions) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var showVersion bool
	root.Flags().BoolVar(&showVersion, "version", false, "print the version (module version and VCS revision) and exit")
	root.Args = groupArgs
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if showVersion {
			v := version.FromBuildInfo(debug.ReadBuildInfo())
			if g.JSON {
				return writeJSON(g.stdout, v)
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
		// Flag ranges are checked first, before the argument checks
		// (which may check options too) and before anything runs.
		args := c.Args
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := checkFlagRanges(cmd); err != nil {
				return err
			}
			if args == nil {
				return nil
			}
			return args(cmd, a)
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
