package replay_test

import (
	"fmt"

	"github.com/rigsync/rigsync/formats/replay"
)

// The clock mapping of a replay started at host time 1.8e18 ns on a log
// whose first message was logged at 1.7e18 ns, played twice as fast.
func ExampleMapping() {
	m := replay.Mapping{LogStart: 1_700_000_000_000_000_000, HostStart: 1_800_000_000_000_000_000, Speed: 2}
	stamp := m.LogStart + 500_000_000 // a sensor stamp 0.5 s into the log
	host := m.Shift(stamp)
	fmt.Println("on the host clock:", host-m.HostStart, "ns after the replay started")
	fmt.Println("back on the log clock:", m.Unshift(host) == stamp)
	// Output:
	// on the host clock: 250000000 ns after the replay started
	// back on the log clock: true
}
