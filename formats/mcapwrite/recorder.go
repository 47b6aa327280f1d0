package mcapwrite

import (
	"encoding/json"
	"fmt"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/annexb"
	"github.com/rigsync/rigsync/formats/foxglove"
)

// SchemaFor is the foxglove schema a payload is written with, or "" when
// the payload has no foxglove form.
func SchemaFor(p formats.Payload) string {
	switch p.(type) {
	case *formats.CompressedImage:
		return "foxglove.CompressedImage"
	case *formats.CompressedVideo:
		return "foxglove.CompressedVideo"
	case *formats.Image:
		return "foxglove.RawImage"
	case *formats.PointCloud:
		return "foxglove.PointCloud"
	case *formats.CameraInfo:
		return "foxglove.CameraCalibration"
	case *formats.GNSS:
		return "foxglove.LocationFix"
	case *formats.PoseStamped:
		return "foxglove.PoseInFrame"
	case *formats.Transforms:
		return "foxglove.FrameTransforms"
	}
	return ""
}

// Recorder writes formats.Message values as foxglove protobuf messages,
// one channel per topic (created on the topic's first message), on top of
// a Writer. Like the Writer it is not safe for concurrent use.
//
// Times: the MCAP log_time is Message.LogTime; the publish_time is
// Message.PublishTime, or Message.Stamp when PublishTime is 0; the
// message's own timestamp field is Message.Stamp and frame_id is
// Message.FrameID. The channel metadata "stamp_clock" names the clock of
// the stamps (Message.StampClock of the first message).
//
// H.264/H.265 keyframes that lack their parameter sets get the stream's
// latest ones put in front (foxglove CompressedVideo requires keyframes
// to be decodable on their own); a keyframe before any parameter set is
// written as is and counted in RecorderStats.KeyframesWithoutParams.
type Recorder struct {
	w       *Writer
	schemas map[string]uint16
	topics  map[string]*topic
	buf     []byte
	fixBuf  []byte
	stats   RecorderStats
	md      map[string]map[string]string
}

type topic struct {
	id     uint16
	schema string
	params *annexb.ParamCache
}

// RecorderStats count what the Recorder wrote.
type RecorderStats struct {
	Messages               uint64
	Keyframes              uint64
	KeyframesFixed         uint64 // parameter sets put in front
	KeyframesWithoutParams uint64 // keyframes no decoder can start from
}

// NewRecorder returns a Recorder writing to w.
func NewRecorder(w *Writer) *Recorder {
	return &Recorder{w: w, schemas: map[string]uint16{}, topics: map[string]*topic{}}
}

// SetChannelMetadata sets the channel metadata of a topic whose channel is
// not open yet (it replaces the default "stamp_clock" entry when it has
// one). It has no effect on an open channel.
func (r *Recorder) SetChannelMetadata(topic string, md map[string]string) {
	if r.md == nil {
		r.md = map[string]map[string]string{}
	}
	r.md[topic] = md
}

// Writer returns the underlying Writer.
func (r *Recorder) Writer() *Writer { return r.w }

// Stats returns what was written so far.
func (r *Recorder) Stats() RecorderStats { return r.stats }

func (r *Recorder) schema(name, encoding string, data func() ([]byte, error)) (uint16, error) {
	if id, ok := r.schemas[name]; ok {
		return id, nil
	}
	b, err := data()
	if err != nil {
		return 0, err
	}
	id, err := r.w.Schema(name, encoding, b)
	if err != nil {
		return 0, err
	}
	r.schemas[name] = id
	return id, nil
}

func (r *Recorder) topic(name, schema, schemaEncoding, msgEncoding string, data func() ([]byte, error), md map[string]string) (*topic, error) {
	if t, ok := r.topics[name]; ok {
		if t.schema != schema {
			return nil, fmt.Errorf("mcapwrite: topic %s: schema %s, but the channel was opened with %s", name, schema, t.schema)
		}
		return t, nil
	}
	sid, err := r.schema(schema, schemaEncoding, data)
	if err != nil {
		return nil, err
	}
	id, err := r.w.Channel(sid, name, msgEncoding, md)
	if err != nil {
		return nil, err
	}
	t := &topic{id: id, schema: schema}
	r.topics[name] = t
	return t, nil
}

// Write encodes m with the foxglove schema of its payload (see SchemaFor)
// and writes it.
func (r *Recorder) Write(m formats.Message) error {
	name := SchemaFor(m.Payload)
	if name == "" {
		return fmt.Errorf("mcapwrite: topic %s: payload %T has no foxglove schema", m.Topic, m.Payload)
	}
	md := map[string]string{}
	if m.StampClock != "" {
		md["stamp_clock"] = m.StampClock
	}
	for k, v := range r.md[m.Topic] {
		md[k] = v
	}
	t, err := r.topic(m.Topic, name, foxglove.EncodingProtobuf, foxglove.EncodingProtobuf, func() ([]byte, error) {
		_, b, err := foxglove.Schema(name)
		return b, err
	}, md)
	if err != nil {
		return err
	}
	payload := m.Payload
	if cv, ok := payload.(*formats.CompressedVideo); ok {
		if t.params == nil {
			if t.params, err = annexb.NewParamCache(cv.Format); err != nil {
				return fmt.Errorf("mcapwrite: topic %s: %w", m.Topic, err)
			}
		}
		data, info, ok := t.params.Fix(r.fixBuf[:0], cv.Data)
		if info.Keyframe {
			r.stats.Keyframes++
			switch {
			case !ok:
				r.stats.KeyframesWithoutParams++
			case len(data) != len(cv.Data):
				r.stats.KeyframesFixed++
				r.fixBuf = data
			}
		}
		payload = &formats.CompressedVideo{Format: cv.Format, Data: data, Keyframe: info.Keyframe}
	}
	d := formats.Decoded{HasStamp: true, Stamp: m.Stamp, FrameID: m.FrameID, Payload: payload}
	b, err := foxglove.AppendMarshal(r.buf[:0], name, d)
	if err != nil {
		return fmt.Errorf("mcapwrite: topic %s: %w", m.Topic, err)
	}
	r.buf = b
	pub := m.PublishTime
	if pub == 0 {
		pub = m.Stamp
	}
	if err := r.w.Write(t.id, m.LogTime, pub, b); err != nil {
		return err
	}
	r.stats.Messages++
	return nil
}

// WriteJSON writes v as a JSON message on a topic whose schema is the
// given JSON Schema (schemaName names it, e.g. rigsync.RecordEvent), with
// log and publish time logTime.
func (r *Recorder) WriteJSON(topicName, schemaName string, jsonSchema []byte, logTime int64, v any) error {
	t, err := r.topic(topicName, schemaName, foxglove.EncodingJSONSchema, foxglove.EncodingJSON,
		func() ([]byte, error) { return jsonSchema, nil }, nil)
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("mcapwrite: topic %s: %w", topicName, err)
	}
	if err := r.w.Write(t.id, logTime, logTime, b); err != nil {
		return err
	}
	r.stats.Messages++
	return nil
}
