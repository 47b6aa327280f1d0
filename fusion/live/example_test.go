package live_test

import (
	"fmt"
	"time"

	"github.com/rigsync/rigsync/fusion/live"
)

// A camera whose clock runs 1.5 s ahead of the host: in auto mode the
// mapper sees it and puts the capture times on the host clock (late by
// the camera's minimum capture-to-receive delay, 4 ms here).
func ExampleHostMapper() {
	m, err := live.NewHostMapper(live.ClockAuto)
	if err != nil {
		panic(err)
	}
	const host0 = int64(1_800_000_000_000_000_000)
	ahead := int64(1500 * time.Millisecond)
	var stamp int64
	for i, delay := range []time.Duration{9, 4, 12, 6} { // ms from capture to receive
		capture := host0 + int64(i)*int64(33*time.Millisecond)
		stamp = m.Map(capture+ahead, capture+int64(delay*time.Millisecond), false)
		if i == 3 {
			fmt.Println("mode:", m.Mode())
			fmt.Println("host stamp − true capture:", time.Duration(stamp-capture))
		}
	}
	// Output:
	// mode: host
	// host stamp − true capture: 4ms
}
