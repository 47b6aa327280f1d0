package check

import (
	"fmt"
	"image"
	"strings"
)

// Verdict is the outcome of one sensor-pair check.
type Verdict string

// Verdicts, from best to worst. Skipped means the pair could not be scored
// (not enough data); Note says why. Inconclusive is a time window's verdict
// when the window holds too little evidence to tell (see Window).
// Unchecked is a report's verdict when no pair could be scored at all: nothing
// was verified, which is not ok.
const (
	OK            Verdict = "ok"
	Suspicious    Verdict = "suspicious"
	Miscalibrated Verdict = "miscalibrated"
	Skipped       Verdict = "skipped"
	Inconclusive  Verdict = "inconclusive"
	Unchecked     Verdict = "unchecked"
	// Partial is a gate's verdict (never a pair's): every scored pair is
	// ok, but some DOF that matters was not observed (PairResult.Cover).
	Partial Verdict = "partial"
)

// Overall is the verdict of a report with these pairs: the worst verdict
// of the scored pairs (ok < suspicious < miscalibrated; skipped pairs do not
// count), or Unchecked when no pair was scored (every pair skipped, or no
// pair at all).
func Overall(pairs []PairResult) Verdict {
	v := Unchecked
	for _, p := range pairs {
		switch {
		case p.Verdict == Miscalibrated:
			return Miscalibrated
		case p.Verdict == Suspicious:
			v = Suspicious
		case p.Verdict == OK && v == Unchecked:
			v = OK
		}
	}
	return v
}

// CountChecked returns how many of the pairs were scored (verdict ok,
// suspicious or miscalibrated) and how many were not (skipped).
func CountChecked(pairs []PairResult) (checked, skipped int) {
	for _, p := range pairs {
		switch p.Verdict {
		case OK, Suspicious, Miscalibrated:
			checked++
		default:
			skipped++
		}
	}
	return checked, skipped
}

// Kinds of pair check.
const (
	KindLidarCamera = "lidar-camera" // edge alignment (Levinson & Thrun)
	KindCameraTime  = "camera-time"  // the same score against shifted camera times
	KindLidarLidar  = "lidar-lidar"  // ICP in the overlap
	KindRadarLidar  = "radar-lidar"  // radar detections to LiDAR surfaces
	KindHandEye     = "hand-eye"     // IMU/odometry motion vs LiDAR motion
)

// Window is the score of a pair over one time window of the log.
type Window struct {
	// Start and End bound the window in ns on the reference clock (Clock).
	Start int64 `json:"start_ns"`
	End   int64 `json:"end_ns"`
	// Frames is how many frames (or sweeps) were scored in the window.
	Frames int `json:"frames"`
	// Score is the pair's score over the window (same meaning as
	// PairResult.Score).
	Score float64 `json:"score"`
	// Verdict is the verdict the window alone would give: ok,
	// suspicious, miscalibrated, or inconclusive when the window's
	// evidence is too weak to tell (few frames, or the score is lowered
	// only in a direction the window does not observe); Note says why.
	// Skipped when the window could not be scored at all.
	Verdict Verdict `json:"verdict"`
	// Note explains an inconclusive verdict.
	Note string `json:"note,omitempty"`
}

// Uncertainty is a 1-sigma bound on the estimated correction.
type Uncertainty struct {
	RotationDeg  float64 `json:"rotation_deg"`
	TranslationM float64 `json:"translation_m"`
	// TimeNs is set for time-offset checks.
	TimeNs int64 `json:"time_ns,omitempty"`
}

// SearchPoint is one evaluated candidate of a perturbation search, for the
// plot of the score over the search.
type SearchPoint struct {
	// RotationDeg is the candidate's [roll, pitch, yaw] perturbation in the
	// sensor frame in degrees; TranslationM its [x, y, z] in m.
	RotationDeg  [3]float64 `json:"rotation_deg"`
	TranslationM [3]float64 `json:"translation_m"`
	// TimeNs is the candidate's time shift (time-offset search).
	TimeNs int64   `json:"time_ns,omitempty"`
	Score  float64 `json:"score"`
}

// PairResult is the check of one sensor pair.
//
// Convention: Sensor is the sensor whose extrinsic is checked, Reference the
// one it is checked against (a LiDAR, or the base frame for hand-eye).
// Correction is T_sensor_sensorfixed, a row-major 4×4 matrix in the checked
// sensor's own frame, applied on the right:
//
//	T_base_sensor(fixed) = T_base_sensor(current) · Correction
//
// so a pure rotation correction leaves the sensor's position unchanged.
type PairResult struct {
	Kind      string `json:"kind"`
	Sensor    string `json:"sensor"`
	Reference string `json:"reference"`
	// Score is the pair's score with the current calibration. Its meaning
	// depends on Kind and is named by ScoreName (e.g. "edge_alignment" is
	// higher-is-better and normalised so that 1 is the best nearby
	// calibration; "icp_rmse_m" is lower-is-better).
	Score     float64 `json:"score"`
	ScoreName string  `json:"score_name"`
	// BestScore is the score with the correction applied.
	BestScore float64 `json:"best_score"`
	Verdict   Verdict `json:"verdict"`
	// Correction, see the type's comment. Identity when none is suggested.
	Correction             [16]float64 `json:"correction"`
	CorrectionRotationDeg  float64     `json:"correction_rotation_deg"`
	CorrectionTranslationM float64     `json:"correction_translation_m"`
	// TimeOffsetNs is the estimated camera time correction (camera-time):
	// add it to the camera's stamps.
	TimeOffsetNs int64       `json:"time_offset_ns,omitempty"`
	Uncertainty  Uncertainty `json:"uncertainty"`
	// Windows are the time windows used, each with its own score.
	Windows []Window `json:"windows"`
	// ChangedAt is when the calibration changed mid-log (ns, reference
	// clock), when a change was found; ChangeUncertaintyNs bounds it.
	ChangedAt           *int64 `json:"changed_at_ns,omitempty"`
	ChangeUncertaintyNs int64  `json:"change_uncertainty_ns,omitempty"`
	// Search holds the evaluated candidates of the perturbation search
	// (may be thinned for size).
	Search []SearchPoint `json:"search,omitempty"`
	// Note explains the verdict in words.
	Note string `json:"note,omitempty"`
	// DOFFrame names the frame and axes of DOFs (e.g. the camera's optical
	// frame); DOFs say, per degree of freedom, what the check estimated
	// and how well it saw it.
	DOFFrame string `json:"dof_frame,omitempty"`
	DOFs     []DOF  `json:"dofs,omitempty"`
	// NotObserved lists the DOFs that matter and were not observed; when
	// any, the verdict covers only part of the extrinsic (set by Cover).
	NotObserved []string `json:"not_observed,omitempty"`
	// VerdictText is the verdict with its coverage, e.g. "ok (partial:
	// yaw, z not observed)" (set by Cover).
	VerdictText string `json:"verdict_text,omitempty"`
}

// Report is the result of checking one log.
type Report struct {
	// Log is the checked log's path; Rig the rig file used ("" when the
	// calibration came from the log itself).
	Log string `json:"log"`
	Rig string `json:"rig,omitempty"`
	// Clock names the reference clock of every time in the report.
	Clock string `json:"clock"`
	// Start and End bound the log in ns on Clock.
	Start int64 `json:"start_ns"`
	End   int64 `json:"end_ns"`
	// Pairs, in a stable order (kind, then sensor name).
	Pairs []PairResult `json:"pairs"`
	// Verdict is the worst verdict of the scored pairs (skipped pairs
	// ignored), or Unchecked when every pair was skipped: see Overall.
	Verdict Verdict `json:"verdict"`
	// CheckedPairs and SkippedPairs count the pairs that were scored and
	// those that were skipped (their Note says why).
	CheckedPairs int `json:"checked_pairs"`
	SkippedPairs int `json:"skipped_pairs"`
	// PartialPairs counts the scored pairs with a DOF that matters but was
	// not observed (PairResult.NotObserved): a report with Verdict ok and
	// PartialPairs > 0 has not verified the whole calibration.
	PartialPairs int `json:"partial_pairs"`
	// Warnings are what fusing the log found that did not stop the check,
	// one line each: a log CameraInfo that disagrees with the rig's
	// intrinsics (which are used; once per camera), rig intrinsics scaled
	// to the images.
	Warnings []string `json:"warnings,omitempty"`
	// Overlays are pictures for people (not part of the JSON report).
	Overlays []Overlay `json:"-"`
}

// Overlay is a camera image with LiDAR points drawn on it, coloured by
// depth, with the current calibration (Before) and with the suggested
// correction applied (After; nil when no correction is suggested).
type Overlay struct {
	// Sensor is the camera, Reference the LiDAR; Stamp the image's time
	// in ns on the report's clock.
	Sensor, Reference string
	Stamp             int64
	Before, After     image.Image
}

// DOFStatus says how well a pair check saw one degree of freedom of the
// checked sensor's extrinsic (or the camera time).
type DOFStatus string

// DOF statuses. Observed and Weak are measured (the curvature of the
// check's score around its optimum, or an information matrix): Observed
// when an error at the pair's miscalibrated threshold would stand out at
// 3σ, Weak when only at 1σ. Unobservable means the data cannot move the
// score along the DOF (e.g. height for a planar radar); NotSearched that
// the check does not estimate it.
const (
	Observed     DOFStatus = "observed"
	Weak         DOFStatus = "weak"
	Unobservable DOFStatus = "unobservable"
	NotSearched  DOFStatus = "not searched"
)

// DOF names, the order of PairResult.DOFs: rotations about the x, y, z axes
// of the frame named by PairResult.DOFFrame, translations along them, then
// the camera time (camera-time pairs only).
const (
	DOFRoll  = "roll"
	DOFPitch = "pitch"
	DOFYaw   = "yaw"
	DOFX     = "x"
	DOFY     = "y"
	DOFZ     = "z"
	DOFTime  = "time"
)

// DOF is what a pair check knows about one degree of freedom.
type DOF struct {
	// Name is one of the DOF* names.
	Name string `json:"name"`
	// Unit of Estimate and Sigma: "deg" for rotations, "m" for
	// translations, "ms" for time.
	Unit string `json:"unit"`
	// Estimate is the DOF's component of the correction (nil when the
	// check gives none); Sigma its 1σ (nil when unknown).
	Estimate *float64 `json:"estimate,omitempty"`
	Sigma    *float64 `json:"sigma,omitempty"`
	// Status says how well the DOF was seen.
	Status DOFStatus `json:"status"`
	// Matters is true when an error of the DOF could move the pair's
	// residual beyond its threshold: such a DOF must be observed for the
	// pair to be fully ok.
	Matters bool `json:"matters"`
	// Note says how the status was found.
	Note string `json:"note,omitempty"`
}

// NewDOF returns a DOF with an estimate and σ (either may be NaN for
// none).
func NewDOF(name, unit string, estimate, sigma float64, status DOFStatus, matters bool, note string) DOF {
	d := DOF{Name: name, Unit: unit, Status: status, Matters: matters, Note: note}
	if estimate == estimate {
		d.Estimate = &estimate
	}
	if sigma == sigma {
		d.Sigma = &sigma
	}
	return d
}

// NotObservedDOFs returns the names of the DOFs that matter and were not
// observed (weak, unobservable or not searched), in order.
func NotObservedDOFs(dofs []DOF) []string {
	var out []string
	for _, d := range dofs {
		if d.Matters && d.Status != Observed {
			out = append(out, d.Name)
		}
	}
	return out
}

// Cover sets NotObserved and VerdictText from the pair's Verdict and DOFs.
// The rule: a scored pair is fully checked only if every DOF that matters
// was observed; otherwise its text verdict is qualified, e.g. "ok
// (partial: yaw, z not observed)". A pair without DOFs (an older report)
// is taken as fully checked.
func (p *PairResult) Cover() {
	p.NotObserved = nil
	p.VerdictText = string(p.Verdict)
	switch p.Verdict {
	case OK, Suspicious, Miscalibrated:
	default:
		return
	}
	if p.NotObserved = NotObservedDOFs(p.DOFs); len(p.NotObserved) > 0 {
		p.VerdictText = fmt.Sprintf("%s (partial: %s not observed)", p.Verdict, strings.Join(p.NotObserved, ", "))
	}
}

// Partial reports whether the pair was scored but some DOF that matters
// was not observed (see Cover).
func (p *PairResult) Partial() bool {
	switch p.Verdict {
	case OK, Suspicious, Miscalibrated:
		return len(NotObservedDOFs(p.DOFs)) > 0
	}
	return false
}

// CountPartial returns how many pairs are Partial.
func CountPartial(pairs []PairResult) int {
	n := 0
	for i := range pairs {
		if pairs[i].Partial() {
			n++
		}
	}
	return n
}
