package main

import (
	"bufio"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/internal/app/catapp"
	"github.com/rigsync/rigsync/internal/app/losses"
)

func newCatCommand(g *globalOptions) *cobra.Command {
	var o catapp.Options
	var strict bool
	c := &cobra.Command{
		Use:   "cat LOG",
		Short: "Print decoded messages, one JSON object per line",
		Long: `cat decodes every message (ROS 2 CDR, ROS 1, Foxglove protobuf or JSON; types
without a typed path are decoded generically) and prints one JSON object per
line, in log-time order:

  {"topic":..., "type":..., "modality":..., "log_time_ns":..., "publish_time_ns":...,
   "stamp_ns":..., "stamp_clock":..., "frame_id":..., "sequence":..., "message":{...}}

Arrays longer than 16 elements and byte fields are summarised
({"len": N, "head": [...]}, {"bytes": N, "head_hex": "..."}) unless --full.
NaN and ±Inf are written as the strings "NaN", "+Inf", "-Inf".

--start and --end select log times: nanoseconds (1700000000000000000),
seconds with a decimal point (964.25), or an offset from the first message
(+2.5s, +1m). --start is inclusive, --end exclusive. A --topic the log
does not have is a usage error (exit 2) that lists the topics it has.

A message that fails to decode is printed with an "error" field instead of
"message"; the command goes on, and exits 1 at the end if any failed.

What the log reader lost (a cut file, a damaged chunk) is printed on
stderr as "warning:" lines after the messages; --strict exits 3 when there
is any (a decode failure's exit 1 wins).

` + logsHelp,
		Example: `  rigsync cat drive.mcap --topic /imu --limit 5
  rigsync cat drive.mcap --topic /lidar_top --start +2s --end +3s
  rigsync cat drive.mcap --topic /tf_static --full | jq .message
  rigsync cat drive.mcap --strict > /dev/null   # exit 3 if the reader lost anything`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runCat(cmd, g, o, args[0], strict) },
	}
	f := c.Flags()
	f.StringSliceVarP(&o.Topics, "topic", "t", nil, "only these topics (repeatable or comma separated)")
	f.StringVar(&o.Start, "start", "", "first log time (ns, seconds with '.', or +DURATION from the first message)")
	f.StringVar(&o.End, "end", "", "end log time, exclusive (same forms as --start)")
	f.BoolVar(&o.Full, "full", false, "print large arrays and byte fields in full")
	f.Int64Var(&o.Limit, "limit", 0, "stop after this many messages (0: all)")
	f.BoolVar(&strict, "strict", false, "exit with code 3 when the log reader lost anything (a truncated or damaged log; the messages read are still printed)")
	return c
}

func runCat(cmd *cobra.Command, g *globalOptions, o catapp.Options, path string, strict bool) error {
	w := bufio.NewWriterSize(g.stdout, 1<<16)
	defer w.Flush()
	warns, err := catapp.Run(cmd.Context(), w, path, o)
	for _, wn := range warns {
		fmt.Fprintln(g.stderr, "warning:", wn)
	}
	if err == nil && strict && len(warns) > 0 {
		return losses.StrictError{N: len(warns), Files: []string{path}}
	}
	return err
}
