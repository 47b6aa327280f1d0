package foxglove

import (
	"google.golang.org/protobuf/encoding/protowire"
)

// SceneUpdate is the part of foxglove.SceneUpdate that rigsync writes:
// an optional deletion of every earlier entity of the topic, then
// entities made of cubes.
type SceneUpdate struct {
	// DeleteAll, when set, deletes every entity of the topic whose
	// timestamp is at or before DeleteStamp (ns) before the entities are
	// added (a SceneEntityDeletion of type ALL).
	DeleteAll   bool
	DeleteStamp int64
	Entities    []SceneEntity
}

// SceneEntity is one foxglove.SceneEntity of cubes.
type SceneEntity struct {
	// Stamp is the timestamp in ns; FrameID the frame the cubes' poses
	// are in; ID replaces an earlier entity of the same id.
	Stamp   int64
	FrameID string
	ID      string
	// Metadata are key/value pairs shown with the entity.
	Metadata [][2]string
	Cubes    []Cube
}

// Cube is one foxglove.CubePrimitive: the pose of its centre in the
// entity's frame, Orientation as a unit quaternion in Foxglove's order
// x, y, z, w, Size along the cube's own x, y, z (m), and its colour.
type Cube struct {
	Position    [3]float64
	Orientation [4]float64 // x, y, z, w
	Size        [3]float64
	Color       Color
}

// Field numbers of the messages AppendSceneUpdate writes (see specs).
const (
	numUpdateDeletions = 1
	numUpdateEntities  = 2

	numEntityTimestamp = 1
	numEntityFrameID   = 2
	numEntityID        = 3
	numEntityMetadata  = 6
	numEntityCubes     = 8
)

// AppendSceneUpdate appends the protobuf encoding of u as the
// foxglove.SceneUpdate message that Schema("foxglove.SceneUpdate")
// describes (proto3: zero scalars are not written).
func AppendSceneUpdate(b []byte, u *SceneUpdate) []byte {
	if u.DeleteAll {
		var d []byte
		d = appendMessageField(d, 1, appendTimestamp(nil, u.DeleteStamp))
		d = appendVarintField(d, 2, 1) // Type ALL
		b = appendMessageField(b, numUpdateDeletions, d)
	}
	var sub []byte
	for i := range u.Entities {
		sub = appendSceneEntity(sub[:0], &u.Entities[i])
		b = appendMessageField(b, numUpdateEntities, sub)
	}
	return b
}

func appendSceneEntity(b []byte, e *SceneEntity) []byte {
	b = appendMessageField(b, numEntityTimestamp, appendTimestamp(nil, e.Stamp))
	b = appendStringField(b, numEntityFrameID, e.FrameID)
	b = appendStringField(b, numEntityID, e.ID)
	for _, kv := range e.Metadata {
		var m []byte
		m = appendStringField(m, 1, kv[0])
		m = appendStringField(m, 2, kv[1])
		b = appendMessageField(b, numEntityMetadata, m)
	}
	for i := range e.Cubes {
		c := &e.Cubes[i]
		var pos, rot, pose, size, cube []byte
		for k, v := range c.Position {
			pos = appendDoubleField(pos, protowire.Number(k+1), v)
		}
		for k, v := range c.Orientation {
			rot = appendDoubleField(rot, protowire.Number(k+1), v)
		}
		pose = appendMessageField(pose, 1, pos)
		pose = appendMessageField(pose, 2, rot)
		for k, v := range c.Size {
			size = appendDoubleField(size, protowire.Number(k+1), v)
		}
		cube = appendMessageField(cube, 1, pose)
		cube = appendMessageField(cube, 2, size)
		cube = appendColorField(cube, 3, c.Color, false)
		b = appendMessageField(b, numEntityCubes, cube)
	}
	return b
}

// appendTimestamp encodes ns as a google.protobuf.Timestamp body.
func appendTimestamp(b []byte, ns int64) []byte {
	sec, nsec := ns/1e9, ns%1e9
	if nsec < 0 {
		sec, nsec = sec-1, nsec+1e9
	}
	b = appendVarintField(b, 1, uint64(sec))
	return appendVarintField(b, 2, uint64(nsec))
}

// appendMessageField writes a sub-message field (also when empty: a
// present message differs from an absent one).
func appendMessageField(b []byte, num protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

// appendStringField writes a string unless it is empty.
func appendStringField(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}
