package ros

import (
	"testing"

	"github.com/rigsync/rigsync/formats"
)

// TestDecodeHeader compares DecodeHeader with Decode: on every round-trip
// type (typed paths), in CDR (both byte orders) and ROS 1, and on generic
// types whose header comes after a bulky field, is missing, or is not a
// message.
func TestDecodeHeader(t *testing.T) {
	type tc struct {
		name, typ string
		dec       *Decoder
		data      []byte
	}
	var cases []tc
	for _, rt := range roundTrips() {
		d, err := New(rt.typ, "ros2msg", ros2Schema(t, rt.typ, rt.deps...), "cdr")
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, tc{rt.typ + " cdr le", rt.typ, d, encodeCDR(d.root, rt.value, false, false)},
			tc{rt.typ + " cdr be xcdr2", rt.typ, d, encodeCDR(d.root, rt.value, true, true)})
	}
	hdrMsg := "\n" + sep + "\nMSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n"
	big := make([]any, 100000)
	for i := range big {
		big[i] = float64(i)
	}
	generic := []struct {
		typ, schema string
		value       *formats.Record
	}{
		{"pkg/msg/After", "float64[] values\nstd_msgs/Header header\nstring[] names\n" + hdrMsg,
			rec("values", big, "header", header("after"), "names", []any{"a", "b"})},
		{"pkg/msg/First", "std_msgs/Header header\nuint8[] data\n" + hdrMsg,
			rec("header", header("first"), "data", make([]byte, 1000))},
		{"pkg/msg/None", "float64[] values\nstring name\n", rec("values", big[:10], "name", "x")},
		{"pkg/msg/NotAMessage", "string header\nint32 x\n", rec("header", "h", "x", int64(3))},
	}
	for _, g := range generic {
		for _, menc := range []string{"cdr", "ros1"} {
			senc := "ros2msg"
			if menc == "ros1" {
				senc = "ros1msg"
			}
			schema := g.schema
			if menc == "ros1" {
				// ROS 1 headers have a seq and time stamps as sec/nsec.
				schema = replaceHeader(schema)
			}
			d, err := New(g.typ, senc, []byte(schema), menc)
			if err != nil {
				t.Fatalf("%s %s: %v", g.typ, menc, err)
			}
			v := g.value
			if menc == "ros1" {
				v = ros1Value(v)
				cases = append(cases, tc{g.typ + " ros1", g.typ, d, encodeROS1(d.root, v)})
			} else {
				cases = append(cases, tc{g.typ + " cdr", g.typ, d, encodeCDR(d.root, v, false, false)})
			}
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, err := c.dec.Decode(c.data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			got, err := c.dec.DecodeHeader(c.data)
			if err != nil {
				t.Fatalf("DecodeHeader: %v", err)
			}
			if got.HasStamp != want.HasStamp || got.Stamp != want.Stamp || got.FrameID != want.FrameID || got.Payload != nil {
				t.Errorf("DecodeHeader = %v %d %q %T, Decode = %v %d %q", got.HasStamp, got.Stamp, got.FrameID, got.Payload,
					want.HasStamp, want.Stamp, want.FrameID)
			}
		})
	}
	// A truncated payload is an error, not a panic.
	d, err := New("pkg/msg/After", "ros2msg", []byte(generic[0].schema), "cdr")
	if err != nil {
		t.Fatal(err)
	}
	data := encodeCDR(d.root, generic[0].value, false, false)
	for _, n := range []int{0, 3, 10, 800007} {
		if _, err := d.DecodeHeader(data[:n]); err == nil {
			t.Errorf("DecodeHeader of %d of %d bytes: no error", n, len(data))
		}
	}
}

// replaceHeader turns the ROS 2 Header of a test schema into ROS 1's.
func replaceHeader(s string) string {
	const ros2 = "MSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n"
	for i := 0; i+len(ros2) <= len(s); i++ {
		if s[i:i+len(ros2)] == ros2 {
			return s[:i] + "MSG: std_msgs/Header\nuint32 seq\ntime stamp\nstring frame_id\n" + s[i+len(ros2):]
		}
	}
	return s
}

// ros1Value gives a test record's header the ROS 1 shape.
func ros1Value(r *formats.Record) *formats.Record {
	out := &formats.Record{}
	for i, n := range r.Names {
		v := r.Values[i]
		if h, ok := v.(*formats.Record); ok && n == "header" {
			st, _ := h.Get("stamp")
			fr, _ := h.Get("frame_id")
			s := st.(*formats.Record)
			v = rec("seq", uint64(9), "stamp", rec("sec", s.Values[0], "nsec", s.Values[1]), "frame_id", fr)
		}
		out.Add(n, v)
	}
	return out
}
