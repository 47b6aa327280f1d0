package formats

import "testing"

func TestIsBag(t *testing.T) {
	for _, tc := range []struct {
		head string
		want bool
	}{
		{"#ROSBAG V2.0\n", true},
		{"#ROSBAG V2.0\n\x45\x00\x00\x00op=\x03", true},
		{"#ROSBAG V2.0", false}, // cut before the newline
		{"#ROSBAG V1.3\n", false},
		{"#ROSRECORD V1.2\n", false},
		{"\x89MCAP0\r\n", false},
		{"SQLite format 3\x00", false},
		{"", false},
		{" #ROSBAG V2.0\n", false},
	} {
		if got := IsBag([]byte(tc.head)); got != tc.want {
			t.Errorf("IsBag(%q) = %v, want %v", tc.head, got, tc.want)
		}
	}
}
