package rigmerge_test

import (
	"testing"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/calib/rigmerge"
)

// FuzzMerge: whatever calibration content calibio reads, merged with
// itself and a map, Merge returns a rig or an error and never panics;
// a rig it returns validates.
func FuzzMerge(f *testing.F) {
	f.Add([]byte(camchain), "cam0=a,imu0=base_link")
	f.Add([]byte(autoware), "cam_c/camera_optical_link=cam_c")
	f.Fuzz(func(t *testing.T, b []byte, maps string) {
		c, err := calibio.Read(b)
		if err != nil {
			return
		}
		m, err := rigmerge.ParseMap([]string{maps})
		if err != nil {
			return
		}
		for _, base := range []string{"", "base_link"} {
			res, err := rigmerge.Merge([]rigmerge.Input{{Name: "a", Calib: c}, {Name: "b", Calib: c}}, rigmerge.Options{Base: base, Map: m})
			if err != nil {
				continue
			}
			if err := res.Rig.Validate(); err != nil {
				t.Errorf("merged rig does not validate: %v", err)
			}
		}
	})
}
