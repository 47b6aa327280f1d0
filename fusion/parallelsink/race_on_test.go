//go:build race

package parallelsink_test

// raceEnabled shortens the slowest tests under the race detector.
const raceEnabled = true
