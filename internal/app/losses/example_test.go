package losses_test

import (
	"fmt"
	"os"

	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/internal/app/losses"
)

// A command turns its reader's warnings into problems, prints the "lost:"
// section and, with --strict, fails with exit code 3.
func Example() {
	probs := losses.FromWarnings([]mcapread.Warning{
		{File: "drive.mcap", Offset: 4096, Topic: "/imu", Msg: "chunk skipped: crc mismatch", LostMessages: 12},
	})
	losses.WriteText(os.Stdout, probs)
	fmt.Println(losses.Strict(true, probs))
	// Output:
	// lost: 1 problem(s) reading the input logs (what could be read was used; --strict: exit 3):
	//   error   [damaged] drive.mcap: offset 4096: topic /imu: chunk skipped: crc mismatch (12 messages lost)
	// damaged input: drive.mcap: 1 problem(s) found (--strict)
}
