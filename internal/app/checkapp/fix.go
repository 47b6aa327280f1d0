package checkapp

import (
	"fmt"
	"slices"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/se3"
)

// Fix returns a copy of r with the corrections of rep applied: for every
// pair whose verdict is at least only (ok < suspicious < miscalibrated;
// skipped pairs are never applied), the checked sensor's extrinsic becomes
// T_base_sensor·Correction, and a camera-time result's TimeOffsetNs is
// folded into the sensor's clock offset. r is not modified. A sensor with
// corrections from several pairs takes the one of the worst verdict (the
// first in report order among equals). A correction found against a
// reference sensor that is itself corrected (a LiDAR–LiDAR or radar–LiDAR
// pair whose reference LiDAR fails its hand-eye check) keeps the sensor's
// pose relative to the reference: the sensor moves with it. It is an error when a pair to apply
// names a sensor r does not have or has no extrinsic for.
func Fix(r *rig.Rig, rep *check.Report, only check.Verdict) (*rig.Rig, error) {
	if r == nil || rep == nil {
		return nil, fmt.Errorf("checkrun: fix: nil rig or report")
	}
	if only == "" || only == check.Skipped {
		only = check.Miscalibrated
	}
	out := *r
	out.Sensors = make([]rig.Sensor, len(r.Sensors))
	for i, s := range r.Sensors {
		out.Sensors[i] = s
		if s.Extrinsic != nil {
			e := *s.Extrinsic
			e.Translation = slices.Clone(e.Translation)
			e.RotationXYZW = slices.Clone(e.RotationXYZW)
			out.Sensors[i].Extrinsic = &e
		}
		if s.Intrinsics != nil {
			in := *s.Intrinsics
			in.Distortion = slices.Clone(in.Distortion)
			out.Sensors[i].Intrinsics = &in
		}
		if s.Clock != nil {
			c := *s.Clock
			out.Sensors[i].Clock = &c
		}
		out.Sensors[i].Missing = slices.Clone(s.Missing)
	}
	// Pick one spatial correction per sensor: the worst verdict wins.
	spatial := map[string]int{}
	for i, p := range rep.Pairs {
		if p.Verdict == check.Skipped || rank(p.Verdict) < rank(only) || p.Kind == check.KindCameraTime {
			continue
		}
		if j, ok := spatial[p.Sensor]; !ok || rank(p.Verdict) > rank(rep.Pairs[j].Verdict) {
			spatial[p.Sensor] = i
		}
	}
	// Corrections against a reference sensor (a LiDAR) keep the sensor's
	// pose relative to that reference, so when the reference itself is
	// corrected (hand-eye) the sensor moves with it: references first.
	moved := map[string]se3.Transform{} // reference → T_new·T_old⁻¹ (base frame)
	apply := func(i int) error {
		p := rep.Pairs[i]
		s := findSensor(&out, p.Sensor)
		if s == nil {
			return fmt.Errorf("checkrun: fix: the rig has no sensor %q (%s check)", p.Sensor, p.Kind)
		}
		T, err := s.T()
		if err != nil {
			return fmt.Errorf("checkrun: fix: %w", err)
		}
		C, err := transformOf(p.Correction)
		if err != nil {
			return fmt.Errorf("checkrun: fix: %s correction: %w", p.Sensor, err)
		}
		N := T.Mul(C)
		if D, ok := moved[p.Reference]; ok {
			N = D.Mul(N)
		}
		s.SetT(N)
		moved[p.Sensor] = N.Mul(T.Inverse())
		return nil
	}
	order := sortedValues(spatial)
	isRef := func(i int) bool {
		_, ok := spatial[rep.Pairs[i].Reference]
		return !ok
	}
	for _, pass := range []bool{true, false} {
		for _, i := range order {
			if isRef(i) == pass {
				if err := apply(i); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, p := range rep.Pairs {
		if p.Kind != check.KindCameraTime || p.TimeOffsetNs == 0 || p.Verdict == check.Skipped || rank(p.Verdict) < rank(only) {
			continue
		}
		s := findSensor(&out, p.Sensor)
		if s == nil {
			return nil, fmt.Errorf("checkrun: fix: the rig has no sensor %q (%s check)", p.Sensor, p.Kind)
		}
		if s.Clock == nil {
			s.Clock = &rig.Clock{}
		}
		// stamp = true + offset; the check says true = stamp + TimeOffsetNs.
		s.Clock.OffsetNs -= p.TimeOffsetNs
	}
	return &out, nil
}

// findSensor finds a rig sensor by frame id, then by name.
func findSensor(r *rig.Rig, name string) *rig.Sensor {
	for i := range r.Sensors {
		if r.Sensors[i].Frame == name {
			return &r.Sensors[i]
		}
	}
	for i := range r.Sensors {
		if r.Sensors[i].Name == name {
			return &r.Sensors[i]
		}
	}
	return nil
}

func sortedValues(m map[string]int) []int {
	var out []int
	for _, v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}
