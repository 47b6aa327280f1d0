//go:build !race

package edge

// raceEnabled: see race_test.go.
const raceEnabled = false
