package ros

import (
	"testing"

	"github.com/rigsync/rigsync/formats"
)

// A ROS 2 schema using ROS 1's "time" builtin decodes it as two 4-byte
// words (sec, nsec) aligned to 4, like builtin_interfaces/Time.
func TestCDRTimeBuiltin(t *testing.T) {
	d, err := NewDecoder("velodyne_msgs/msg/VelodynePacket", "ros2msg", []byte("uint8 a\ntime stamp\n"), "cdr")
	if err != nil {
		t.Fatal(err)
	}
	// header | a=7 | 3 pad bytes | sec=5 | nsec=6
	data := []byte{0, 1, 0, 0, 7, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0}
	v, err := d.Value(data)
	if err != nil {
		t.Fatal(err)
	}
	rec := v.(*formats.Record)
	st, _ := rec.Get("stamp")
	sr, ok := st.(*formats.Record)
	if !ok {
		t.Fatalf("stamp = %#v", st)
	}
	if sec, _ := sr.Get("sec"); sec != uint64(5) {
		t.Errorf("sec = %v, want 5", sec)
	}
	if nsec, _ := sr.Get("nsec"); nsec != uint64(6) {
		t.Errorf("nsec = %v, want 6", nsec)
	}
}
