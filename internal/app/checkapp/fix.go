package checkapp

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/se3"
)

// Fix returns a copy of r with the corrections of rep applied: for every
// pair whose verdict is at least only (ok < suspicious < miscalibrated;
// skipped pairs are never applied), the checked sensor's extrinsic becomes
// T_base_sensor·Correction, and a camera-time result's TimeOffsetNs is
// folded into the sensor's clock offset. Only the DOFs the pair observed
// are corrected: a pair with per-DOF results (PairResult.DOFs) applies the
// correction's roll, pitch, yaw (R = Rz·Ry·Rx, in the sensor's frame) and
// x, y, z of the observed ones and leaves the others (weak, unobservable,
// not searched) as they were; a camera-time offset is applied only when
// its time DOF was observed. A pair without DOFs (an older report) applies
// its whole correction. FixReport says which DOFs were corrected and which
// left. r is not modified. A sensor with
// corrections from several pairs takes the one of the worst verdict;
// among equals the one that observed the most DOFs (a LiDAR–LiDAR pair's
// six before a hand-eye pair's rotations), then the first in report order. A correction found against a
// reference sensor that is itself corrected (a LiDAR–LiDAR or radar–LiDAR
// pair whose reference LiDAR fails its hand-eye check) keeps the sensor's
// pose relative to the reference: the sensor moves with it. It is an error when a pair to apply
// names a sensor r does not have or has no extrinsic for.
func Fix(r *rig.Rig, rep *check.Report, only check.Verdict) (*rig.Rig, error) {
	out, _, err := FixReport(r, rep, only)
	return out, err
}

// Fixed says what Fix did to one sensor: the pair whose correction was
// applied, the DOFs it corrected and those it left as they were (the pair
// did not observe them), in roll, pitch, yaw, x, y, z (or time) order.
type Fixed struct {
	// Sensor is the sensor corrected.
	Sensor string `json:"sensor"`
	// Kind is the kind of the pair whose correction was applied.
	Kind string `json:"kind"`
	// Reference is the pair's reference sensor.
	Reference string `json:"reference,omitempty"`
	// Corrected are the DOFs set from the check's estimate.
	Corrected []string `json:"corrected"`
	// Kept are the DOFs left as they were, not observed by the pair.
	Kept []string `json:"kept"`
}

// FixReport is Fix, also returning what it did per applied pair, in
// report order.
func FixReport(r *rig.Rig, rep *check.Report, only check.Verdict) (*rig.Rig, []Fixed, error) {
	if r == nil || rep == nil {
		return nil, nil, fmt.Errorf("checkrun: fix: nil rig or report")
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
		if j, ok := spatial[p.Sensor]; !ok || rank(p.Verdict) > rank(rep.Pairs[j].Verdict) ||
			(rank(p.Verdict) == rank(rep.Pairs[j].Verdict) && observedCount(p) > observedCount(rep.Pairs[j])) {
			spatial[p.Sensor] = i
		}
	}
	// Corrections against a reference sensor (a LiDAR) keep the sensor's
	// pose relative to that reference, so when the reference itself is
	// corrected (hand-eye) the sensor moves with it: references first.
	moved := map[string]se3.Transform{} // reference → T_new·T_old⁻¹ (base frame)
	done := map[int]Fixed{}
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
		C, fx, err := observedCorrection(p)
		if err != nil {
			return fmt.Errorf("checkrun: fix: %s correction: %w", p.Sensor, err)
		}
		done[i] = fx
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
					return nil, nil, err
				}
			}
		}
	}
	for i, p := range rep.Pairs {
		if p.Kind != check.KindCameraTime || p.TimeOffsetNs == 0 || p.Verdict == check.Skipped || rank(p.Verdict) < rank(only) {
			continue
		}
		s := findSensor(&out, p.Sensor)
		if s == nil {
			return nil, nil, fmt.Errorf("checkrun: fix: the rig has no sensor %q (%s check)", p.Sensor, p.Kind)
		}
		fx := Fixed{Sensor: p.Sensor, Kind: p.Kind, Reference: p.Reference, Corrected: []string{check.DOFTime}, Kept: []string{}}
		if len(p.DOFs) > 0 && p.DOFs[0].Status != check.Observed {
			fx.Corrected, fx.Kept = []string{}, []string{check.DOFTime}
			done[i] = fx
			continue
		}
		done[i] = fx
		if s.Clock == nil {
			s.Clock = &rig.Clock{}
		}
		// stamp = true + offset; the check says true = stamp + TimeOffsetNs.
		s.Clock.OffsetNs -= p.TimeOffsetNs
	}
	var fixed []Fixed
	for i := range rep.Pairs {
		if fx, ok := done[i]; ok {
			fixed = append(fixed, fx)
		}
	}
	return &out, fixed, nil
}

// observedCount is how many of p's DOFs were observed (6 for a pair
// without per-DOF results, which applies its whole correction).
func observedCount(p check.PairResult) int {
	if len(p.DOFs) != 6 {
		return 6
	}
	n := 0
	for _, d := range p.DOFs {
		if d.Status == check.Observed {
			n++
		}
	}
	return n
}

// observedCorrection is the part of p's correction that p observed: with
// six per-DOF results, the correction's roll, pitch, yaw (R = Rz·Ry·Rx)
// and x, y, z, each zeroed unless its DOF is observed; without, the whole
// correction.
func observedCorrection(p check.PairResult) (se3.Transform, Fixed, error) {
	fx := Fixed{Sensor: p.Sensor, Kind: p.Kind, Reference: p.Reference, Corrected: []string{}, Kept: []string{}}
	C, err := transformOf(p.Correction)
	if err != nil {
		return C, fx, err
	}
	if len(p.DOFs) != 6 {
		fx.Corrected = append(fx.Corrected, dofNames[:]...)
		return C, fx, nil
	}
	est := correctionDOFs(p.Correction)
	for d := range 6 {
		if p.DOFs[d].Status == check.Observed {
			fx.Corrected = append(fx.Corrected, dofNames[d])
			continue
		}
		fx.Kept = append(fx.Kept, dofNames[d])
		est[d] = 0
	}
	if len(fx.Kept) == 0 {
		return C, fx, nil
	}
	k := math.Pi / 180
	C, err = se3.FromRPY(est[0]*k, est[1]*k, est[2]*k, r3.Vec{X: est[3], Y: est[4], Z: est[5]})
	return C, fx, err
}

// FixText is one line per applied pair of FixReport: which DOFs were
// corrected and which left as they were.
func FixText(fixed []Fixed) []string {
	var out []string
	for _, f := range fixed {
		line := fmt.Sprintf("fixed %s (%s against %s): corrected %s", f.Sensor, f.Kind, f.Reference, listOrNone(f.Corrected))
		if len(f.Kept) > 0 {
			line += fmt.Sprintf("; left as they were (not observed): %s", strings.Join(f.Kept, ", "))
		}
		out = append(out, line)
	}
	return out
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, ", ")
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
