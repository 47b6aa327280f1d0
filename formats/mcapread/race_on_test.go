//go:build race

package mcapread

// raceEnabled: under the race detector sync.Pool drops items at random, so
// the lz4 reader's fixed 4 MiB block pool is reallocated and allocation
// bounds measured by tests do not hold.
const raceEnabled = true
