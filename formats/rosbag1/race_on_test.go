//go:build race

package rosbag1_test

// raceEnabled: under the race detector bz2 decodes several times slower,
// so the truncation test cuts fewer bags.
const raceEnabled = true
