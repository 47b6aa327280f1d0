package foxmcap

import (
	"fmt"
	"math"
	"strconv"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/fusion"
)

// imageAnnotationsSchema is a JSON Schema for the subset of
// foxglove.ImageAnnotations this package writes (one POINTS annotation).
// formats/foxglove has no protobuf ImageAnnotations, so these go on a JSON
// channel; Foxglove and Lichtblick recognise the schema by its name.
const imageAnnotationsSchema = `{
  "title": "foxglove.ImageAnnotations",
  "type": "object",
  "properties": {
    "circles": {"type": "array"},
    "texts": {"type": "array"},
    "points": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {
          "timestamp": {"type": "object", "properties": {"sec": {"type": "integer"}, "nsec": {"type": "integer"}}},
          "type": {"type": "integer", "description": "0 UNKNOWN, 1 POINTS, 2 LINE_LOOP, 3 LINE_STRIP, 4 LINE_LIST"},
          "points": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}}}},
          "outline_color": {"$ref": "#/$defs/color"},
          "outline_colors": {"type": "array", "items": {"$ref": "#/$defs/color"}},
          "fill_color": {"$ref": "#/$defs/color"},
          "thickness": {"type": "number"}
        }
      }
    }
  },
  "$defs": {
    "color": {"type": "object", "properties": {"r": {"type": "number"}, "g": {"type": "number"}, "b": {"type": "number"}, "a": {"type": "number"}}}
  }
}`

// MaxDepthColor is the depth (m) at which the projected-point colour ramp
// reaches its far end (blue); nearer points go towards red.
const MaxDepthColor = 50.0

// annotationsSchemaName is the schema of the projected-points channels.
const annotationsSchemaName = "foxglove.ImageAnnotations"

func (w *Writer) annotationChannel(topic string) (uint16, error) {
	key := topic + "\x00foxglove.ImageAnnotations"
	if id, ok := w.channels[key]; ok {
		return id, nil
	}
	const schemaKey = "foxglove.ImageAnnotations\x00json"
	sid, ok := w.schemas[schemaKey]
	if !ok {
		sid = uint16(len(w.schemas) + 1)
		if err := w.mw.WriteSchema(&mcap.Schema{ID: sid, Name: "foxglove.ImageAnnotations", Encoding: "jsonschema",
			Data: []byte(imageAnnotationsSchema)}); err != nil {
			return 0, fmt.Errorf("foxmcap: schema foxglove.ImageAnnotations: %w", err)
		}
		w.schemas[schemaKey] = sid
	}
	id := uint16(len(w.channels) + 1)
	if err := w.mw.WriteChannel(&mcap.Channel{ID: id, SchemaID: sid, Topic: topic, MessageEncoding: "json",
		Metadata: map[string]string{}}); err != nil {
		return 0, fmt.Errorf("foxmcap: channel %s: %w", topic, err)
	}
	w.channels[key] = id
	return id, nil
}

// appendProjections appends a camera's projected LiDAR points as one POINTS
// annotation (JSON), coloured by depth. Projection pixels use the OpenCV convention
// (integer coordinates at pixel centres); foxglove's origin is the top-left
// corner of the top-left pixel, hence the half-pixel shift. Points with a
// non-finite coordinate are skipped (JSON has no NaN).
func appendProjections(b []byte, c *fusion.Camera) []byte {
	b = append(b, `{"timestamp":`...)
	b = appendStamp(b, c.Stamp)
	b = append(b, `,"circles":[],"texts":[],"points":[{"timestamp":`...)
	b = appendStamp(b, c.Stamp)
	b = append(b, `,"type":1,"thickness":2,"outline_color":{"r":1,"g":1,"b":0,"a":1},"points":[`...)
	first := true
	for _, p := range c.Projected {
		if !finite(p.U) || !finite(p.V) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, `{"x":`...)
		b = strconv.AppendFloat(b, float64(p.U)+0.5, 'g', 7, 64)
		b = append(b, `,"y":`...)
		b = strconv.AppendFloat(b, float64(p.V)+0.5, 'g', 7, 64)
		b = append(b, '}')
	}
	b = append(b, `],"outline_colors":[`...)
	first = true
	for _, p := range c.Projected {
		if !finite(p.U) || !finite(p.V) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		s := 0.0
		if finite(p.Depth) {
			s = math.Max(0, math.Min(1, float64(p.Depth)/MaxDepthColor))
		}
		b = append(b, `{"r":`...)
		b = strconv.AppendFloat(b, 1-s, 'f', 3, 64)
		b = append(b, `,"g":`...)
		b = strconv.AppendFloat(b, 1-math.Abs(2*s-1), 'f', 3, 64)
		b = append(b, `,"b":`...)
		b = strconv.AppendFloat(b, s, 'f', 3, 64)
		b = append(b, `,"a":1}`...)
	}
	b = append(b, "]}]}"...)
	return b
}

func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

func appendStamp(b []byte, ns int64) []byte {
	if ns < 0 {
		ns = 0
	}
	b = append(b, `{"sec":`...)
	b = strconv.AppendInt(b, ns/1e9, 10)
	b = append(b, `,"nsec":`...)
	b = strconv.AppendInt(b, ns%1e9, 10)
	return append(b, '}')
}
