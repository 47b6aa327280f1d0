//go:build race

package sinkpool_test

// raceEnabled shortens the slowest tests under the race detector.
const raceEnabled = true
