package rosbag1

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/msgdef"
	"github.com/rigsync/rigsync/formats/ros"
)

// ros1Header is std_msgs/Header in ROS 1 (with seq).
const ros1Header = "uint32 seq\ntime stamp\nstring frame_id\n"

// ros1Renames are the fields whose ROS 1 name differs from the ROS 2 one
// in the common types (ROS 2 lower-cased CameraInfo's matrices).
var ros1Renames = map[string]map[string]string{
	"sensor_msgs/CameraInfo": {"d": "D", "k": "K", "r": "R", "p": "P"},
}

// Transcoder converts the CDR payloads of one ROS 2 type into the ROS 1
// serialization of the equivalent ROS 1 type: what a ROS 1 recorder would
// have written for the same values. The ROS 1 type has the same fields
// except that std_msgs/Header gains its seq (the Transcoder numbers the
// messages it converts: 0, 1, ...), builtin_interfaces/Time and Duration
// become the ROS 1 builtins time and duration, sensor_msgs/CameraInfo's
// d, k, r, p are D, K, R, P again, and string and sequence bounds are
// dropped. It is not safe for concurrent use.
type Transcoder struct {
	ros2   *msgdef.Schema
	dec    *ros.Decoder
	typ    string
	def    string
	md5sum string
	seq    uint32
	buf    []byte
}

// NewTranscoder returns the Transcoder of the ROS 2 type schemaName
// ("pkg/msg/Type") with the ros2msg schema text data.
func NewTranscoder(schemaName string, data []byte) (*Transcoder, error) {
	s, err := msgdef.Parse(schemaName, data, msgdef.ROS2)
	if err != nil {
		return nil, fmt.Errorf("rosbag1: transcoder: %w", err)
	}
	dec, err := ros.New(schemaName, "ros2msg", data, "cdr")
	if err != nil {
		return nil, fmt.Errorf("rosbag1: transcoder: %w", err)
	}
	t := &Transcoder{ros2: s, dec: dec, typ: s.Root}
	if t.def, err = ros1Definition(s); err != nil {
		return nil, fmt.Errorf("rosbag1: transcoder: %s: %w", schemaName, err)
	}
	r1, err := msgdef.Parse(t.typ, []byte(t.def), msgdef.ROS1)
	if err != nil {
		return nil, fmt.Errorf("rosbag1: transcoder: %s: the ROS 1 definition does not parse: %w", schemaName, err)
	}
	if t.md5sum, err = MD5Sum(r1); err != nil {
		return nil, fmt.Errorf("rosbag1: transcoder: %s: %w", schemaName, err)
	}
	return t, nil
}

// Type returns the ROS 1 type name ("pkg/Type").
func (t *Transcoder) Type() string { return t.typ }

// Definition returns the ROS 1 message definition text (the
// connection header's message_definition).
func (t *Transcoder) Definition() string { return t.def }

// MD5Sum returns the ROS 1 md5sum of the type, computed from Definition
// as ROS 1 computes it (see [MD5Sum]).
func (t *Transcoder) MD5Sum() string { return t.md5sum }

// Transcode converts one CDR payload. The result is valid until the next
// call.
func (t *Transcoder) Transcode(cdr []byte) ([]byte, error) {
	v, err := t.dec.Value(cdr)
	if err != nil {
		return nil, err
	}
	rec, ok := v.(*formats.Record)
	if !ok {
		return nil, fmt.Errorf("rosbag1: transcoder: %s decodes to %T", t.typ, v)
	}
	t.buf = t.buf[:0]
	if err := t.message(t.ros2.RootMessage(), rec); err != nil {
		return nil, fmt.Errorf("rosbag1: transcoder: %s: %w", t.typ, err)
	}
	t.seq++
	return t.buf, nil
}

// ros1Definition writes the ROS 1 definition of a parsed ROS 2 schema:
// the root type, then each dependency (depth first, in field order) after
// the separator line and "MSG: pkg/Type".
func ros1Definition(s *msgdef.Schema) (string, error) {
	var order []string
	seen := map[string]bool{}
	var visit func(name string) error
	visit = func(name string) error {
		if seen[name] || name == "builtin_interfaces/Time" || name == "builtin_interfaces/Duration" {
			return nil
		}
		seen[name] = true
		order = append(order, name)
		if name == "std_msgs/Header" {
			return nil
		}
		m := s.Types[name]
		if m == nil {
			return fmt.Errorf("type %s not defined", name)
		}
		for _, f := range m.Fields {
			if f.Type.Kind == msgdef.Complex {
				if err := visit(f.Type.Name); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := visit(s.Root); err != nil {
		return "", err
	}
	var b strings.Builder
	for i, name := range order {
		if i > 0 {
			b.WriteString("\n" + strings.Repeat("=", 80) + "\nMSG: " + name + "\n")
		}
		if name == "std_msgs/Header" {
			b.WriteString(ros1Header)
			continue
		}
		m := s.Types[name]
		for _, c := range m.Constants {
			fmt.Fprintf(&b, "%s %s=%s\n", ros1Spelling(c.Type), c.Name, c.Raw)
		}
		for _, f := range m.Fields {
			name := f.Name
			if r := ros1Renames[m.Name][name]; r != "" {
				name = r
			}
			if f.Type.Kind == msgdef.WString {
				return "", fmt.Errorf("%s.%s: wstring has no ROS 1 equivalent", m.Name, f.Name)
			}
			fmt.Fprintf(&b, "%s %s\n", ros1Spelling(f.Type), name)
		}
	}
	return b.String(), nil
}

// ros1Spelling returns a ROS 2 field type as ROS 1 spells it.
func ros1Spelling(t msgdef.Type) string {
	var s string
	switch {
	case t.Kind == msgdef.Complex && t.Name == "builtin_interfaces/Time":
		s = "time"
	case t.Kind == msgdef.Complex && t.Name == "builtin_interfaces/Duration":
		s = "duration"
	case t.Kind == msgdef.Complex:
		s = t.Name
	default:
		s = t.Kind.String() // byte and char are uint8 in ROS 2: say so
	}
	switch t.Array {
	case msgdef.Fixed:
		s += fmt.Sprintf("[%d]", t.Len)
	case msgdef.Sequence:
		s += "[]"
	}
	return s
}

// MD5Sum returns the ROS 1 md5sum of the root type of s (a ROS 1 schema),
// as genmsg computes it: the md5 of the type's constants ("type
// NAME=value") and fields ("type name", where a message type, or an array
// of one, is replaced by that type's own md5sum), one per line.
func MD5Sum(s *msgdef.Schema) (string, error) {
	memo := map[string]string{}
	var sum func(name string, depth int) (string, error)
	sum = func(name string, depth int) (string, error) {
		if v, ok := memo[name]; ok {
			return v, nil
		}
		if depth > 50 {
			return "", errors.New("md5sum: types nested too deep")
		}
		m := s.Types[name]
		if m == nil {
			return "", fmt.Errorf("md5sum: type %s not defined", name)
		}
		var lines []string
		for _, c := range m.Constants {
			lines = append(lines, fmt.Sprintf("%s %s=%s", c.Type.Name, c.Name, strings.TrimSpace(c.Raw)))
		}
		for _, f := range m.Fields {
			if f.Type.Kind == msgdef.Complex {
				sub, err := sum(f.Type.Name, depth+1)
				if err != nil {
					return "", err
				}
				lines = append(lines, sub+" "+f.Name)
				continue
			}
			lines = append(lines, f.Type.String()+" "+f.Name)
		}
		h := md5.Sum([]byte(strings.Join(lines, "\n")))
		memo[name] = hex.EncodeToString(h[:])
		return memo[name], nil
	}
	return sum(s.Root, 0)
}

// message writes the ROS 1 serialization of rec, a value of the ROS 2
// type m.
func (t *Transcoder) message(m *msgdef.Message, rec *formats.Record) error {
	if len(rec.Values) != len(m.Fields) {
		return fmt.Errorf("%s: %d values for %d fields", m.Name, len(rec.Values), len(m.Fields))
	}
	if m.Name == "std_msgs/Header" {
		t.buf = binary.LittleEndian.AppendUint32(t.buf, t.seq)
	}
	for i, f := range m.Fields {
		if err := t.field(f.Type, rec.Values[i]); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	return nil
}

// field writes one field value of ROS 2 type ft.
func (t *Transcoder) field(ft msgdef.Type, v any) error {
	if ft.Array == msgdef.NotArray {
		return t.one(ft, v)
	}
	var items []any
	switch a := v.(type) {
	case []byte:
		if ft.Array == msgdef.Sequence {
			t.buf = binary.LittleEndian.AppendUint32(t.buf, uint32(len(a)))
		}
		t.buf = append(t.buf, a...)
		return nil
	case []float64:
		items = make([]any, len(a))
		for i, x := range a {
			items[i] = x
		}
	case []int64:
		items = make([]any, len(a))
		for i, x := range a {
			items[i] = x
		}
	case []uint64:
		items = make([]any, len(a))
		for i, x := range a {
			items[i] = x
		}
	case []any:
		items = a
	default:
		return fmt.Errorf("array of %T", v)
	}
	if ft.Array == msgdef.Sequence {
		t.buf = binary.LittleEndian.AppendUint32(t.buf, uint32(len(items)))
	}
	el := ft
	el.Array, el.Len = msgdef.NotArray, 0
	for i, x := range items {
		if err := t.one(el, x); err != nil {
			return fmt.Errorf("[%d]: %w", i, err)
		}
	}
	return nil
}

// one writes a single value of ROS 2 type ft.
func (t *Transcoder) one(ft msgdef.Type, v any) error {
	if ft.Kind == msgdef.Complex {
		rec, ok := v.(*formats.Record)
		if !ok {
			return fmt.Errorf("%s value is %T", ft.Name, v)
		}
		if ft.Name == "builtin_interfaces/Time" || ft.Name == "builtin_interfaces/Duration" {
			// {int32 sec, uint32 nanosec} → ROS 1 time {u32, u32} or
			// duration {i32, i32}: the same 8 bytes for every valid value.
			for _, x := range rec.Values {
				n, ok := asInt(x)
				if !ok {
					return fmt.Errorf("%s field is %T", ft.Name, x)
				}
				t.buf = binary.LittleEndian.AppendUint32(t.buf, uint32(n))
			}
			return nil
		}
		m := t.ros2.Types[ft.Name]
		if m == nil {
			return fmt.Errorf("type %s not defined", ft.Name)
		}
		return t.message(m, rec)
	}
	switch ft.Kind {
	case msgdef.String:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("string value is %T", v)
		}
		t.buf = binary.LittleEndian.AppendUint32(t.buf, uint32(len(s)))
		t.buf = append(t.buf, s...)
		return nil
	case msgdef.Bool:
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("bool value is %T", v)
		}
		if b {
			t.buf = append(t.buf, 1)
		} else {
			t.buf = append(t.buf, 0)
		}
		return nil
	case msgdef.Float32, msgdef.Float64:
		f, ok := v.(float64)
		if !ok {
			return fmt.Errorf("float value is %T", v)
		}
		if ft.Kind == msgdef.Float32 {
			t.buf = binary.LittleEndian.AppendUint32(t.buf, math.Float32bits(float32(f)))
		} else {
			t.buf = binary.LittleEndian.AppendUint64(t.buf, math.Float64bits(f))
		}
		return nil
	}
	n, ok := asInt(v)
	if !ok {
		return fmt.Errorf("%s value is %T", ft.Kind, v)
	}
	switch ft.Kind.Size() {
	case 1:
		t.buf = append(t.buf, byte(n))
	case 2:
		t.buf = binary.LittleEndian.AppendUint16(t.buf, uint16(n))
	case 4:
		t.buf = binary.LittleEndian.AppendUint32(t.buf, uint32(n))
	case 8:
		t.buf = binary.LittleEndian.AppendUint64(t.buf, uint64(n))
	default:
		return fmt.Errorf("kind %s not supported", ft.Kind)
	}
	return nil
}

// asInt returns an integer value's bits.
func asInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case uint64:
		return int64(v), true
	}
	return 0, false
}

// FromMCAP writes every message of the ROS 2 MCAP log behind r (channels
// with message encoding "cdr" and ros2msg schemas) into w as ROS 1, one
// connection per channel (callerid "/rigsync", latching for /tf_static),
// with the MCAP log time as the record time, in log-time order. It
// returns the number of messages written; a channel of another encoding,
// or whose type has no ROS 1 equivalent, is an error naming it. The
// caller closes w.
func FromMCAP(r *mcapread.Reader, w *Writer) (int, error) {
	type conv struct {
		tc   *Transcoder
		conn uint32
	}
	convs := map[uint16]*conv{}
	for _, ch := range r.Channels() {
		if ch.MessageEncoding != "cdr" || ch.Schema == nil || ch.Schema.Encoding != "ros2msg" {
			return 0, fmt.Errorf("rosbag1: %s: channel %s is not ROS 2 CDR with a ros2msg schema", r.Name(), ch.Topic)
		}
		tc, err := NewTranscoder(ch.Schema.Name, ch.Schema.Data)
		if err != nil {
			return 0, fmt.Errorf("rosbag1: %s: channel %s: %w", r.Name(), ch.Topic, err)
		}
		id, err := w.AddConnection(Connection{Topic: ch.Topic, Type: tc.Type(), MD5Sum: tc.MD5Sum(),
			MessageDefinition: tc.Definition(), CallerID: "/rigsync", Latching: ch.Topic == "/tf_static"})
		if err != nil {
			return 0, err
		}
		convs[ch.ID] = &conv{tc: tc, conn: id}
	}
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		c := convs[m.Channel.ID]
		if c == nil {
			return n, fmt.Errorf("rosbag1: %s: message on unknown channel %d", r.Name(), m.Channel.ID)
		}
		data, err := c.tc.Transcode(m.Data)
		if err != nil {
			return n, fmt.Errorf("rosbag1: %s: %s at log time %d: %w", r.Name(), m.Channel.Topic, m.LogTime, err)
		}
		if err := w.WriteMessage(c.conn, int64(m.LogTime), data); err != nil {
			return n, err
		}
		n++
	}
}
