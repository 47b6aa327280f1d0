package formats_test

import (
	"testing"

	"github.com/rigsync/rigsync/formats"
)

// FuzzPoints: any layout over any bytes converts or errors, never panics,
// and a successful conversion has one value per point in every column.
func FuzzPoints(f *testing.F) {
	good := pack([][6]float64{{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12}}, false)
	f.Add(good.Data, uint16(2), uint16(1), uint16(24), uint16(48), uint8(0), uint8(7), false)
	f.Add([]byte{}, uint16(0), uint16(0), uint16(0), uint16(0), uint8(0), uint8(7), true)
	f.Add(good.Data[:30], uint16(2), uint16(2), uint16(12), uint16(12), uint8(20), uint8(8), true)
	f.Fuzz(func(t *testing.T, data []byte, width, height, step, rowStep uint16, tOff, tType uint8, be bool) {
		pc := &formats.PointCloud{Width: int(width), Height: int(height), PointStep: int(step), RowStep: int(rowStep),
			BigEndian: be, Data: data, Fields: []formats.PointField{
				{Name: "x", Offset: 0, Type: formats.PointFloat32, Count: 1},
				{Name: "y", Offset: 4, Type: formats.PointFloat32, Count: 1},
				{Name: "z", Offset: 8, Type: formats.PointFloat32, Count: 1},
				{Name: "t", Offset: int(tOff), Type: formats.PointType(tType), Count: 1},
			}}
		p, err := pc.Points()
		if err != nil {
			return
		}
		n := pc.Len()
		if len(p.X) != n || len(p.Y) != n || len(p.Z) != n || len(p.TimeOffset) != n {
			t.Fatalf("columns %d/%d/%d/%d for %d points", len(p.X), len(p.Y), len(p.Z), len(p.TimeOffset), n)
		}
	})
}

// FuzzPointsFastGeneric: any layout over any bytes gives the same result on
// the fast and the generic path: equal columns (NaN equal to NaN) or the
// same error, and never a panic. layout holds (offset, type) byte pairs for
// x, y, z, intensity, ring and t; a missing pair leaves the field out.
func FuzzPointsFastGeneric(f *testing.F) {
	good := pack([][6]float64{{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12}}, false)
	f.Add(good.Data, []byte{0, 7, 4, 7, 8, 7, 12, 7, 16, 4, 20, 6}, uint16(2), uint16(1), uint16(24), uint16(48), false)
	f.Add(good.Data, []byte{0, 7, 4, 7, 8, 7, 12, 8, 16, 2, 16, 8}, uint16(1), uint16(2), uint16(24), uint16(24), false)
	f.Add(good.Data, []byte{0, 1, 1, 3, 3, 5, 7, 8, 15, 2, 17, 7}, uint16(2), uint16(2), uint16(21), uint16(21), false)
	f.Add(good.Data, []byte{0, 7, 4, 7, 8, 7}, uint16(2), uint16(1), uint16(24), uint16(48), true)
	f.Add([]byte{}, []byte{}, uint16(0), uint16(0), uint16(0), uint16(0), false)
	f.Fuzz(func(t *testing.T, data, layout []byte, width, height, step, rowStep uint16, be bool) {
		names := []string{"x", "y", "z", "intensity", "ring", "t"}
		var fields []formats.PointField
		for i := 0; i+1 < len(layout) && i/2 < len(names); i += 2 {
			fields = append(fields, formats.PointField{Name: names[i/2], Offset: int(layout[i]), Type: formats.PointType(layout[i+1]), Count: 1})
		}
		pc := &formats.PointCloud{Width: int(width), Height: int(height), PointStep: int(step), RowStep: int(rowStep),
			BigEndian: be, Data: data, Fields: fields}
		fast, fastErr := pc.Points()
		gen, genErr := pc.PointsGeneric()
		if d := diffPoints(fast, fastErr, gen, genErr); d != "" {
			t.Fatalf("%d×%d step %d row %d be %v fields %v: %s", width, height, step, rowStep, be, fields, d)
		}
	})
}
