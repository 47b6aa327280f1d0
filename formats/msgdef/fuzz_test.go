package msgdef

import "testing"

func FuzzParse(f *testing.F) {
	f.Add("pkg/msg/T", "int32 a 5\nstring<=3 s \"ab\"\nuint8[<=4] b [1, 2]\nPoint p\n"+sep+"\nMSG: pkg/Point\nfloat64 x\n", true)
	f.Add("pkg/T", "Header h\ntime t\nstring S=a # b\nint8 X = -1\n"+sep+"\nMSG: std_msgs/Header\nuint32 seq\ntime stamp\nstring frame_id\n", false)
	f.Add("pkg/srv/S_Event", "int64 a\n---\nint64 sum\n", true)
	f.Add("pkg/T", "A a\n"+sep+"\nMSG: pkg/A\nT t\n", true)
	f.Fuzz(func(t *testing.T, name, text string, ros2 bool) {
		d := ROS1
		if ros2 {
			d = ROS2
		}
		s, err := Parse(name, []byte(text), d)
		if err != nil {
			return
		}
		// a parsed schema is closed and acyclic
		for _, m := range s.Types {
			for _, f := range m.Fields {
				if f.Type.Kind == Complex && s.Types[f.Type.Name] == nil {
					t.Fatalf("unresolved %s in %s", f.Type.Name, m.Name)
				}
				if f.Type.Array == Fixed && f.Type.Len > MaxArrayLen {
					t.Fatalf("array length %d", f.Type.Len)
				}
			}
		}
	})
}
