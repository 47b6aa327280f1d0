//go:build race

package edge

// raceEnabled: the race detector makes the fixture-heavy tests about ten
// times slower; they run a smaller set under it (make test-race).
const raceEnabled = true
