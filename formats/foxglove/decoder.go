package foxglove

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rigsync/rigsync/formats"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	// Registers google/protobuf/duration.proto for addWellKnown
	// (timestamp.proto comes with timestamppb in schema.go).
	_ "google.golang.org/protobuf/types/known/durationpb"
)

// decoder is the formats.MessageDecoder of one channel.
type decoder struct {
	schema   string
	kind     kind
	plan     *plan // nil for JSON
	hdr      *plan // plan reading only the header fields (protobuf)
	hdrNames []string
	modality formats.Modality
}

var _ formats.HeaderDecoder = (*decoder)(nil)

// NewDecoder compiles the schema of a channel carrying foxglove (or any
// protobuf/JSON) messages.
//
// For messageEncoding "protobuf", schemaEncoding must be "protobuf" and
// schemaData a binary FileDescriptorSet that defines schemaName (a full
// message name such as foxglove.PointCloud). For messageEncoding "json",
// schemaEncoding is "jsonschema" or empty; the JSON Schema text is only
// checked to be JSON (fields are read by name from each document).
//
// The decoder has typed paths for foxglove.CompressedImage,
// CompressedVideo (Keyframe found from the NAL unit types, see package
// annexb), RawImage, PointCloud, FrameTransform, FrameTransforms,
// CameraCalibration, LocationFix and PoseInFrame; any other schema decodes to
// *formats.Generic (with the stamp and frame id taken from top-level
// timestamp and frame_id fields when present).
//
// Decoded.FrameID is frame_id, or parent_frame_id for FrameTransform (as a
// ROS TransformStamped header); FrameTransforms has neither a FrameID nor a
// stamp (each Transform carries its own). A missing rotation or orientation
// is the identity. A PointCloud whose pose is not the identity fails with
// ErrCloudPose. Point clouds come out as one row, Dense false, Count 1.
// Typed paths error on a field of the wrong kind, naming it; JSON bytes
// fields are base64 strings (or arrays of byte values).
func NewDecoder(schemaName, schemaEncoding string, schemaData []byte, messageEncoding string) (formats.MessageDecoder, error) {
	d := &decoder{schema: schemaName, kind: kindOf(schemaName), modality: formats.ModalityOfType(schemaName)}
	switch messageEncoding {
	case EncodingProtobuf:
		if schemaEncoding != EncodingProtobuf {
			return nil, fmt.Errorf("foxglove: protobuf messages need schema encoding %q, have %q", EncodingProtobuf, schemaEncoding)
		}
		md, err := messageDescriptor(schemaName, schemaData)
		if err != nil {
			return nil, err
		}
		d.plan = newPlanCache().get(md)
	case EncodingJSON:
		switch schemaEncoding {
		case EncodingJSONSchema:
			if len(schemaData) > 0 && !json.Valid(schemaData) {
				return nil, fmt.Errorf("foxglove: schema %s: jsonschema data is not valid JSON", schemaName)
			}
		case "":
		default:
			return nil, fmt.Errorf("foxglove: json messages need schema encoding %q or none, have %q", EncodingJSONSchema, schemaEncoding)
		}
	default:
		return nil, fmt.Errorf("foxglove: unsupported message encoding %q (want %q or %q)", messageEncoding, EncodingProtobuf, EncodingJSON)
	}
	if f := frameField(d.kind); f != "" {
		d.hdrNames = []string{"timestamp", f}
	}
	if d.plan != nil {
		d.hdr = d.plan.only(d.hdrNames)
	}
	return d, nil
}

// messageDescriptor loads a FileDescriptorSet and finds the named message.
func messageDescriptor(name string, data []byte) (protoreflect.MessageDescriptor, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("foxglove: schema %s: empty FileDescriptorSet", name)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("foxglove: schema %s: parse FileDescriptorSet: %w", name, err)
	}
	addWellKnown(&set)
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, fmt.Errorf("foxglove: schema %s: %w", name, err)
	}
	desc, err := files.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return nil, fmt.Errorf("foxglove: schema %s: %w", name, err)
	}
	md, ok := desc.(protoreflect.MessageDescriptor)
	if !ok {
		return nil, fmt.Errorf("foxglove: schema %s names a %T, not a message", name, desc)
	}
	return md, nil
}

// Value decodes a payload generically: a *formats.Record with the fields in
// descriptor order (protobuf; unset fields hold their default, or nil for
// unset messages) or document order (JSON). Bytes alias data. Records of
// one protobuf type share their Names slice: extend it with Record.Add,
// never modify it in place. Map fields come out as lists of {key, value}
// records in wire order.
func (d *decoder) Value(data []byte) (any, error) {
	return d.record(data)
}

func (d *decoder) record(data []byte) (*formats.Record, error) {
	if d.plan == nil {
		r, err := parseJSON(data)
		if err != nil {
			return nil, err
		}
		r.Type = d.schema
		return r, nil
	}
	return d.plan.decode(data, 0)
}

// Decode decodes a payload into its typed form. Bytes fields (image and
// point data) alias data for protobuf.
func (d *decoder) Decode(data []byte) (formats.Decoded, error) {
	r, err := d.record(data)
	if err != nil {
		return formats.Decoded{}, err
	}
	return typed(d.kind, r, d.schema, d.plan == nil)
}

// DecodeHeader implements formats.HeaderDecoder: the stamp and frame id
// Decode returns, reading only the top-level timestamp and frame_id (or
// parent_frame_id) fields. Protobuf skips every other field by its length;
// JSON skips every other member with a byte scanner that only matches
// brackets and strings.
func (d *decoder) DecodeHeader(data []byte) (formats.Decoded, error) {
	if len(d.hdrNames) == 0 {
		return formats.Decoded{}, nil
	}
	var r *formats.Record
	var err error
	if d.plan != nil {
		r, err = d.hdr.decode(data, 0)
	} else {
		r, err = parseJSONMembers(data, d.hdrNames)
	}
	if err != nil {
		return formats.Decoded{}, err
	}
	v := newView(r, d.schema, d.plan == nil)
	return header(d.kind, &v)
}

// Generic implements formats.HeaderDecoder: true for schemas without a
// typed path.
func (d *decoder) Generic() bool { return d.kind == kindGeneric }

// Modality is the channel's modality by schema name.
func (d *decoder) Modality() formats.Modality { return d.modality }

// addWellKnown adds the google/protobuf/*.proto files (Timestamp,
// Duration, ...) that the set imports but lacks, as some hand-made writers
// leave them out; protoc --include_imports and the Foxglove SDK include
// them.
func addWellKnown(set *descriptorpb.FileDescriptorSet) {
	have := map[string]bool{}
	for _, f := range set.File {
		have[f.GetName()] = true
	}
	var extra []*descriptorpb.FileDescriptorProto
	var add func(string)
	add = func(dep string) {
		if have[dep] || !strings.HasPrefix(dep, "google/protobuf/") {
			return
		}
		fd, err := protoregistry.GlobalFiles.FindFileByPath(dep)
		if err != nil {
			return
		}
		have[dep] = true
		fp := protodesc.ToFileDescriptorProto(fd)
		for _, d := range fp.Dependency {
			add(d)
		}
		extra = append(extra, fp)
	}
	for _, f := range set.File {
		for _, d := range f.Dependency {
			add(d)
		}
	}
	set.File = append(extra, set.File...)
}
