package msgdef

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

var sep = strings.Repeat("=", 80)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"sensor_msgs/msg/Imu": "sensor_msgs/Imu", "sensor_msgs/Imu": "sensor_msgs/Imu", " a/B ": "a/B",
		"example_interfaces/srv/AddTwoInts_Event": "example_interfaces/AddTwoInts_Event", "Imu": "Imu",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseFields(t *testing.T) {
	text := `# comment line
  # indented comment
int32 a        # trailing comment
int32 b 5
float64 c -1.5e3
string s "Hello\"world!" # comment after default
string t 'it''s' 
string<=22 bounded 'Hello\'world!'
uint8[] data
float64[9] k
int16[<=3] small [1, -2, 3]
string<=5[<=10] names
string[3] sv ["", "max value", "min, value"]
bool[3] flags [false, true, false]
uint64[2] big [0, 18446744073709551615]
byte b1
char c1
wstring w
Point p
geometry_msgs/msg/Vector3 v
Header h
builtin_interfaces/Time stamp
int32 X=1
string NAME="a # b" # c
`
	// 't' default 'it''s' is not valid: replace by a valid one to keep the
	// table honest
	text = strings.Replace(text, "string t 'it''s' \n", "string t plain\n", 1)
	data := text + sep + "\nMSG: pkg/Point\nfloat64 x\n" + sep + "\nMSG: geometry_msgs/msg/Vector3\nfloat64 x\n" +
		sep + "\nMSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n"
	s, err := Parse("pkg/msg/Root", []byte(data), ROS2)
	if err != nil {
		t.Fatal(err)
	}
	m := s.RootMessage()
	if s.Root != "pkg/Root" || m == nil {
		t.Fatalf("root %q", s.Root)
	}
	type want struct {
		name string
		typ  Type
		def  any
	}
	for i, w := range []want{
		{"a", Type{Kind: Int32, Name: "int32"}, nil},
		{"b", Type{Kind: Int32, Name: "int32"}, int64(5)},
		{"c", Type{Kind: Float64, Name: "float64"}, -1500.0},
		{"s", Type{Kind: String, Name: "string"}, `Hello"world!`},
		{"t", Type{Kind: String, Name: "string"}, "plain"},
		{"bounded", Type{Kind: String, Name: "string", StringBound: 22}, "Hello'world!"},
		{"data", Type{Kind: Uint8, Name: "uint8", Array: Sequence}, nil},
		{"k", Type{Kind: Float64, Name: "float64", Array: Fixed, Len: 9}, nil},
		{"small", Type{Kind: Int16, Name: "int16", Array: Sequence, Len: 3}, []any{int64(1), int64(-2), int64(3)}},
		{"names", Type{Kind: String, Name: "string", StringBound: 5, Array: Sequence, Len: 10}, nil},
		{"sv", Type{Kind: String, Name: "string", Array: Fixed, Len: 3}, []any{"", "max value", "min, value"}},
		{"flags", Type{Kind: Bool, Name: "bool", Array: Fixed, Len: 3}, []any{false, true, false}},
		{"big", Type{Kind: Uint64, Name: "uint64", Array: Fixed, Len: 2}, []any{uint64(0), uint64(math.MaxUint64)}},
		{"b1", Type{Kind: Uint8, Name: "byte"}, nil},
		{"c1", Type{Kind: Uint8, Name: "char"}, nil},
		{"w", Type{Kind: WString, Name: "wstring"}, nil},
		{"p", Type{Kind: Complex, Name: "pkg/Point"}, nil},
		{"v", Type{Kind: Complex, Name: "geometry_msgs/Vector3"}, nil},
		{"h", Type{Kind: Complex, Name: "std_msgs/Header"}, nil},
		{"stamp", Type{Kind: Complex, Name: "builtin_interfaces/Time"}, nil},
	} {
		if i >= len(m.Fields) {
			t.Fatalf("only %d fields", len(m.Fields))
		}
		f := m.Fields[i]
		if f.Name != w.name || f.Type != w.typ || !reflect.DeepEqual(f.Default, w.def) {
			t.Errorf("field %d = %+v, want %+v", i, f, w)
		}
	}
	if len(m.Fields) != 20 {
		t.Errorf("%d fields, want 20", len(m.Fields))
	}
	wantC := []Constant{
		{Name: "X", Type: Type{Kind: Int32, Name: "int32"}, Value: int64(1), Raw: "1"},
		{Name: "NAME", Type: Type{Kind: String, Name: "string"}, Value: "a # b", Raw: `"a # b"`},
	}
	if !reflect.DeepEqual(m.Constants, wantC) {
		t.Errorf("constants = %+v", m.Constants)
	}
	// builtin_interfaces/Time was not in the text: it is supplied
	tm := s.Types["builtin_interfaces/Time"]
	if tm == nil || len(tm.Fields) != 2 || tm.Fields[0].Type.Kind != Int32 || tm.Fields[1].Name != "nanosec" || tm.Fields[1].Type.Kind != Uint32 {
		t.Errorf("builtin Time = %+v", tm)
	}
	if s.Types["builtin_interfaces/Duration"] == nil {
		t.Error("builtin Duration missing")
	}
	if got := m.Fields[9].Type.String(); got != "string<=5[<=10]" {
		t.Errorf("Type.String = %q", got)
	}
}

func TestParseROS1(t *testing.T) {
	data := `Header header
byte b
char c
time t
duration d
string S=hello # not a comment
int8 STATUS_NO_FIX =  -1        # unable to fix position
uint8[] data
` + sep + `
MSG: std_msgs/Header
uint32 seq
time stamp
string frame_id
`
	s, err := Parse("sensor_msgs/NavSatFix", []byte(data), ROS1)
	if err != nil {
		t.Fatal(err)
	}
	m := s.RootMessage()
	kinds := []Kind{Complex, Int8, Uint8, Time, Duration, Uint8}
	for i, k := range kinds {
		if m.Fields[i].Type.Kind != k {
			t.Errorf("field %s kind %v, want %v", m.Fields[i].Name, m.Fields[i].Type.Kind, k)
		}
	}
	if m.Fields[0].Type.Name != "std_msgs/Header" {
		t.Errorf("Header resolved to %q", m.Fields[0].Type.Name)
	}
	// ROS 1: a string constant's value is the rest of the line
	if c := m.Constants[0]; c.Value != "hello # not a comment" {
		t.Errorf("string constant %q", c.Value)
	}
	if c := m.Constants[1]; c.Value != int64(-1) || c.Name != "STATUS_NO_FIX" {
		t.Errorf("int constant %+v", c)
	}
	if _, ok := s.Types["builtin_interfaces/Time"]; ok {
		t.Error("ROS 2 builtins added to a ROS 1 schema")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		d          Dialect
		want       string
	}{
		{"missing dep", "Foo f\n", ROS2, "pkg/Foo is not defined"},
		{"missing qualified", "other/Bar b\n", ROS2, "other/Bar is not defined"},
		{"recursive", "pkg/A a\n" + sep + "\nMSG: pkg/A\npkg/B b\n" + sep + "\nMSG: pkg/B\nA[] back\n", ROS2, "recursive definition"},
		{"self", "Root[] children\n", ROS2, "recursive"},
		{"no name", "int32\n", ROS2, "without a field name"},
		{"bad type", "int32[x] a\n", ROS2, "bad array length"},
		{"huge array", "uint8[99999999999] a\n", ROS2, "array length"},
		{"bounded in ros1", "string<=3 a\n", ROS1, "ros1msg"},
		{"default in ros1", "int32 a 5\n", ROS1, "unexpected text"},
		{"bad default", "int8 a 300\n", ROS2, "bad int8"},
		{"bad array default", "int8[2] a [1]\n", ROS2, "needs 2"},
		{"unterminated", "string a \"abc\n", ROS2, "unterminated"},
		{"bad bool", "bool a maybe\n", ROS2, "bad bool"},
		{"bound exceeded", "string<=2 a \"abc\"\n", ROS2, "longer than bound"},
		{"duplicate", "int32 a\nint32 a\n", ROS2, "duplicate field"},
		{"no MSG line", "int32 a\n" + sep + "\nint32 b\n", ROS2, "expected \"MSG:"},
		{"idl", "int32 a\n" + sep + "\nIDL: pkg/msg/X\n", ROS2, "IDL"},
		{"service", "int32 a\n---\nint32 b\n", ROS2, "service or action"},
		{"array constant", "int32[2] A=1\n", ROS2, "cannot be a constant"},
	} {
		_, err := Parse("pkg/msg/Root", []byte(tc.data), tc.d)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "msgdef: ") {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	_, err := Parse("pkg/msg/Root", []byte("int32 a\n---\nint32 b\n"), ROS2)
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("service error %v does not wrap ErrUnsupported", err)
	}
}

func TestParseServiceEvent(t *testing.T) {
	s, err := Parse("example_interfaces/srv/AddTwoInts_Event", []byte("int64 a\nint64 b\n---\nint64 sum\n"), ROS2)
	if err != nil {
		t.Fatal(err)
	}
	m := s.RootMessage()
	var got []string
	for _, f := range m.Fields {
		got = append(got, f.Name+":"+f.Type.String())
	}
	want := []string{"info:service_msgs/ServiceEventInfo", "request:example_interfaces/AddTwoInts_Request[<=1]", "response:example_interfaces/AddTwoInts_Response[<=1]"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("event fields %v, want %v", got, want)
	}
	if r := s.Types["example_interfaces/AddTwoInts_Response"]; r == nil || r.Fields[0].Name != "sum" {
		t.Errorf("response = %+v", r)
	}
}

// TestParseMSGHeaderForms: dependencies may be headed MSG: pkg/Type or
// MSG: pkg/msg/Type; both normalize, and a repeated one is tolerated.
func TestParseMSGHeaderForms(t *testing.T) {
	for _, hdr := range []string{"MSG: geometry_msgs/Point", "MSG: geometry_msgs/msg/Point", "MSG:  geometry_msgs/msg/Point  "} {
		data := "Point p\n" + sep + "\n" + hdr + "\r\nfloat64 x\r\n" + sep + "\n" + hdr + "\nfloat64 x\n"
		s, err := Parse("geometry_msgs/msg/Pose", []byte(data), ROS2)
		if err != nil {
			t.Fatalf("%q: %v", hdr, err)
		}
		if p := s.Types["geometry_msgs/Point"]; p == nil || len(p.Fields) != 1 {
			t.Errorf("%q: Point = %+v", hdr, p)
		}
	}
}

func TestParseMessage(t *testing.T) {
	m, err := ParseMessage("sensor_msgs/msg/PointCloud2", "std_msgs/Header header\nPointField[] fields\n", ROS2)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "sensor_msgs/PointCloud2" || m.Fields[1].Type.Name != "sensor_msgs/PointField" || m.Field("header") == nil {
		t.Errorf("%+v", m)
	}
}

func TestParseOwnHeader(t *testing.T) {
	s, err := Parse("pkg/msg/Root", []byte("Header h\n"+sep+"\nMSG: pkg/Header\nint32 x\n"), ROS2)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.RootMessage().Fields[0].Type.Name; got != "pkg/Header" {
		t.Errorf("ROS 2 Header with pkg/Header defined resolved to %s", got)
	}
	_, err = Parse("pkg/Root", []byte("Header h\n"+sep+"\nMSG: pkg/Header\nint32 x\n"), ROS1)
	if err == nil || !strings.Contains(err.Error(), "std_msgs/Header") {
		t.Errorf("ROS 1 Header must mean std_msgs/Header: %v", err)
	}
}

// Vendor and bridged ROS 2 schemas use ROS 1's time/duration builtins (the
// real radar log's velodyne_msgs/VelodynePacket has "time stamp"): they
// parse as the builtins rather than as a missing pkg/time message.
func TestROS2TimeBuiltin(t *testing.T) {
	s, err := Parse("velodyne_msgs/msg/VelodynePacket", []byte("time stamp\nduration d\nuint8[1206] data\n"), ROS2)
	if err != nil {
		t.Fatal(err)
	}
	m := s.RootMessage()
	if m.Fields[0].Type.Kind != Time || m.Fields[1].Type.Kind != Duration {
		t.Errorf("kinds = %v, %v; want Time, Duration", m.Fields[0].Type.Kind, m.Fields[1].Type.Kind)
	}
}
