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
