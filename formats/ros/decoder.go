package ros

import (
	"fmt"
	"sync/atomic"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/msgdef"
)

// Decoder decodes the messages of one channel. It is compiled once from the
// schema and is safe for concurrent use.
type Decoder struct {
	typeName string
	schema   *msgdef.Schema
	root     *node
	cdr      bool
	enc      string
	modality formats.Modality
	typed    typedDecoder
	// fixed is the type's fixed-layout fast path (fixed.go) when the
	// schema is exactly the upstream layout, else nil; frames keeps its
	// last frame ids.
	fixed  fixedPath
	frames [2]lastString
	// free caches one scratch for reuse (a Decode that finds it taken
	// allocates its own); nr and ne size new ones.
	free   atomic.Pointer[scratch]
	nr, ne int
}

// NewDecoder compiles a decoder for a channel: schemaEncoding "ros2msg"
// with messageEncoding "cdr", or "ros1msg" with "ros1". schemaName is the
// schema's type name (pkg/Type or pkg/msg/Type). Any other encoding pair is
// an error that names the encodings.
func NewDecoder(schemaName, schemaEncoding string, schemaData []byte, messageEncoding string) (formats.MessageDecoder, error) {
	return New(schemaName, schemaEncoding, schemaData, messageEncoding)
}

// New is NewDecoder returning the concrete type.
func New(schemaName, schemaEncoding string, schemaData []byte, messageEncoding string) (*Decoder, error) {
	var dialect msgdef.Dialect
	switch {
	case schemaEncoding == "ros2msg" && messageEncoding == "cdr":
		dialect = msgdef.ROS2
	case schemaEncoding == "ros1msg" && messageEncoding == "ros1":
		dialect = msgdef.ROS1
	case schemaEncoding == "ros2idl" || schemaEncoding == "omgidl":
		return nil, fmt.Errorf("ros: schema encoding %q is not supported (IDL schemas; only ros2msg and ros1msg)", schemaEncoding)
	case schemaEncoding == "ros2msg" || schemaEncoding == "ros1msg":
		return nil, fmt.Errorf("ros: message encoding %q does not match schema encoding %q (want cdr with ros2msg, ros1 with ros1msg)", messageEncoding, schemaEncoding)
	default:
		return nil, fmt.Errorf("ros: unsupported schema encoding %q with message encoding %q (want ros2msg+cdr or ros1msg+ros1)", schemaEncoding, messageEncoding)
	}
	s, err := msgdef.Parse(schemaName, schemaData, dialect)
	if err != nil {
		return nil, fmt.Errorf("ros: schema %s: %w", schemaName, err)
	}
	cdr := dialect == msgdef.ROS2
	root, err := compile(s, cdr)
	if err != nil {
		return nil, err
	}
	d := &Decoder{typeName: s.Root, schema: s, root: root, cdr: cdr, enc: messageEncoding,
		modality: formats.ModalityOfType(schemaName)}
	if mk, ok := typedPaths[s.Root]; ok {
		d.typed = mk(root)
	}
	if d.typed != nil {
		d.fixed = fixedFor(s.Root, root, cdr)
	}
	nr, ne := 0, 0
	if d.typed != nil {
		d.typed.prepare()
		nr, ne = d.typed.scratchSize()
	}
	d.nr, d.ne = nr, ne
	return d, nil
}

// Schema returns the parsed schema.
func (d *Decoder) Schema() *msgdef.Schema { return d.schema }

// TypeName returns the normalized type name (pkg/Type).
func (d *Decoder) TypeName() string { return d.typeName }

// Typed reports whether the type has a typed decoding path (Decode returns
// a typed payload rather than *formats.Generic).
func (d *Decoder) Typed() bool { return d.typed != nil }

// Modality implements formats.MessageDecoder.
func (d *Decoder) Modality() formats.Modality { return d.modality }

// open prepares a reader for a payload: the CDR encapsulation header is
// checked and skipped.
func (d *Decoder) open(data []byte) (reader, error) {
	if !d.cdr {
		return reader{b: data, mode: alignNone}, nil
	}
	if len(data) < 4 {
		return reader{}, &DecodeError{Encoding: d.enc, Err: fmt.Errorf("payload of %d bytes is shorter than the 4-byte encapsulation header", len(data))}
	}
	r := reader{b: data, off: 4, origin: 4, be: data[1]&1 == 0}
	if data[0] != 0 {
		return reader{}, &DecodeError{Encoding: d.enc, Err: fmt.Errorf("unknown encapsulation kind 0x%02x%02x", data[0], data[1])}
	}
	switch k := data[1]; k {
	case 0x00, 0x01: // CDR_BE, CDR_LE
		r.mode = alignX1
	case 0x06, 0x07, 0x10, 0x11: // (RTPS_)CDR2_BE/LE: plain XCDR2
		r.mode = alignX2
	case 0x02, 0x03, 0x0a, 0x0b, 0x12, 0x13:
		return reader{}, &DecodeError{Encoding: d.enc, Err: fmt.Errorf("parameter-list CDR (encapsulation kind 0x%02x) is not supported", k)}
	case 0x08, 0x09, 0x14, 0x15:
		return reader{}, &DecodeError{Encoding: d.enc, Err: fmt.Errorf("delimited XCDR2 with DHEADER (encapsulation kind 0x%02x) is not supported", k)}
	default:
		return reader{}, &DecodeError{Encoding: d.enc, Err: fmt.Errorf("unknown encapsulation kind 0x%02x", k)}
	}
	return r, nil
}

// end checks what is left after the message: up to 3 pad bytes in CDR,
// nothing in ROS 1.
func (d *Decoder) end(r *reader) error {
	left := len(r.b) - r.off
	if left == 0 || d.cdr && left <= 3 {
		return nil
	}
	return &DecodeError{Encoding: d.enc, Offset: r.off, Err: fmt.Errorf("%d bytes left after the message", left)}
}

// Value implements formats.MessageDecoder: the message as a *formats.Record
// tree. Byte arrays alias data.
func (d *Decoder) Value(data []byte) (any, error) {
	r, err := d.open(data)
	if err != nil {
		return nil, err
	}
	rec, err := r.record(d.root, d.root.names())
	if err != nil {
		return nil, finish(err, d.enc)
	}
	if err := d.end(&r); err != nil {
		return nil, err
	}
	return rec, nil
}

// Decode implements formats.MessageDecoder. Typed payloads may alias data.
func (d *Decoder) Decode(data []byte) (formats.Decoded, error) {
	if d.fixed != nil {
		if out, ok := d.fixed(d, data, false); ok {
			return out, nil
		}
	}
	return d.decodeTyped(data)
}

// decodeTyped is Decode without the fixed-layout fast path.
func (d *Decoder) decodeTyped(data []byte) (formats.Decoded, error) {
	if d.typed == nil {
		return d.decodeGeneric(data)
	}
	r, err := d.open(data)
	if err != nil {
		return formats.Decoded{}, err
	}
	sc := d.free.Swap(nil)
	if sc == nil {
		sc = &scratch{locs: make([]loc, d.nr), elocs: make([]loc, d.ne)}
	}
	sc.r = r
	out, err := d.typed.decode(&sc.r, sc)
	if err == nil {
		err = d.end(&sc.r)
	} else {
		err = finish(err, d.enc)
	}
	sc.r = reader{} // do not keep the payload alive from the cache
	d.free.Store(sc)
	if err != nil {
		return formats.Decoded{}, err
	}
	return out, nil
}

func (d *Decoder) decodeGeneric(data []byte) (formats.Decoded, error) {
	v, err := d.Value(data)
	if err != nil {
		return formats.Decoded{}, err
	}
	out := formats.Decoded{Payload: &formats.Generic{Value: v}}
	if h, ok := v.(*formats.Record).Get("header"); ok {
		if hr, ok := h.(*formats.Record); ok {
			out.Stamp, out.HasStamp = recordStamp(hr)
			if f, ok := hr.Get("frame_id"); ok {
				out.FrameID, _ = f.(string)
			}
		}
	}
	return out, nil
}

var _ formats.HeaderDecoder = (*Decoder)(nil)

// DecodeHeader implements formats.HeaderDecoder: the stamp and frame id
// that Decode returns. Types with a fixed-layout fast path are checked as
// Decode checks them but no payload is built; types with a typed path are
// decoded as by Decode (their walk skips arrays in one step), without the
// payload; other types
// read only the top-level header field, skipping the fields before it and
// ignoring the ones after it.
func (d *Decoder) DecodeHeader(data []byte) (formats.Decoded, error) {
	if d.fixed != nil {
		if out, ok := d.fixed(d, data, true); ok {
			return out, nil
		}
	}
	if d.typed != nil {
		out, err := d.Decode(data)
		out.Payload = nil
		return out, err
	}
	r, err := d.open(data)
	if err != nil {
		return formats.Decoded{}, err
	}
	for i := range d.root.fields {
		f := &d.root.fields[i]
		if f.name != "header" {
			if _, _, err := r.field(f); err != nil {
				return formats.Decoded{}, finish(in(err, f.name), d.enc)
			}
			continue
		}
		v, err := r.fieldValue(f)
		if err != nil {
			return formats.Decoded{}, finish(in(err, f.name), d.enc)
		}
		var out formats.Decoded
		if hr, ok := v.(*formats.Record); ok {
			out.Stamp, out.HasStamp = recordStamp(hr)
			if fr, ok := hr.Get("frame_id"); ok {
				out.FrameID, _ = fr.(string)
			}
		}
		return out, nil
	}
	return formats.Decoded{}, nil
}

// Generic implements formats.HeaderDecoder: true for types without a
// typed path (see Typed).
func (d *Decoder) Generic() bool { return d.typed == nil }

// recordStamp reads header.stamp of a generic header record.
func recordStamp(h *formats.Record) (int64, bool) {
	s, ok := h.Get("stamp")
	if !ok {
		return 0, false
	}
	sr, ok := s.(*formats.Record)
	if !ok || len(sr.Values) != 2 {
		return 0, false
	}
	sec, ok1 := toInt(sr.Values[0])
	nsec, ok2 := toInt(sr.Values[1])
	if !ok1 || !ok2 {
		return 0, false
	}
	return sec*1e9 + nsec, true
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case uint64:
		return int64(x), true
	}
	return 0, false
}
