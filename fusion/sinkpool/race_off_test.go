//go:build !race

package sinkpool_test

const raceEnabled = false
