//go:build !race

package parallelsink_test

const raceEnabled = false
