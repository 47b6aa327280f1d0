package fusion

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"gonum.org/v1/gonum/spatial/r3"
)

// egoTrack holds T_world_base samples in stamp order (corrected clock) and
// answers pose queries by interpolation, or by constant-velocity
// extrapolation from the two nearest samples outside the covered span.
type egoTrack struct {
	source string // "odometry", "gnss", "tf" or "none"
	t      []int64
	pose   []se3.Transform
}

// insert adds a sample, keeping the samples sorted; an exact duplicate stamp
// is ignored.
func (e *egoTrack) insert(t int64, p se3.Transform) {
	n := len(e.t)
	if n == 0 || t > e.t[n-1] {
		e.t = append(e.t, t)
		e.pose = append(e.pose, p)
		return
	}
	i := sort.Search(n, func(i int) bool { return e.t[i] >= t })
	if i < n && e.t[i] == t {
		return
	}
	e.t = append(e.t, 0)
	e.pose = append(e.pose, se3.Transform{})
	copy(e.t[i+1:], e.t[i:])
	copy(e.pose[i+1:], e.pose[i:])
	e.t[i], e.pose[i] = t, p
}

// newest is the latest sample's stamp (ok false when empty).
func (e *egoTrack) newest() (int64, bool) {
	if len(e.t) == 0 {
		return 0, false
	}
	return e.t[len(e.t)-1], true
}

// prune drops samples older than t, keeping one sample at or before t so
// interpolation at t still works.
func (e *egoTrack) prune(t int64) {
	i := sort.Search(len(e.t), func(i int) bool { return e.t[i] > t }) - 1
	if i <= 0 {
		return
	}
	e.t = append(e.t[:0], e.t[i:]...)
	e.pose = append(e.pose[:0], e.pose[i:]...)
}

// at returns T_world_base at t. interpolated is false when t lies outside
// the samples and the pose was extrapolated at constant velocity (or is
// the single sample there is). ok is false when the track is empty.
func (e *egoTrack) at(t int64) (p se3.Transform, interpolated, ok bool) {
	n := len(e.t)
	switch {
	case n == 0:
		return se3.Identity(), false, false
	case n == 1:
		return e.pose[0], e.t[0] == t, true
	}
	i := sort.Search(n, func(i int) bool { return e.t[i] >= t })
	if i < n && e.t[i] == t {
		return e.pose[i], true, true
	}
	inside := i > 0 && i < n
	switch {
	case i == 0:
		i = 1
	case i == n:
		i = n - 1
	}
	t0, t1 := e.t[i-1], e.t[i]
	s := float64(t-t0) / float64(t1-t0)
	return se3.Interpolate(e.pose[i-1], e.pose[i], s), inside, true
}

// velocity returns the world-frame velocity (m/s) of the point q (in
// base_link) at t, by a central difference of the track over ±h ns.
func (e *egoTrack) velocity(q r3.Vec, t, h int64) r3.Vec {
	a, _, ok := e.at(t - h)
	if !ok {
		return r3.Vec{}
	}
	b, _, _ := e.at(t + h)
	return r3.Scale(1e9/float64(2*h), r3.Sub(b.Apply(q), a.Apply(q)))
}

// EgoTopics are a log's candidate ego-motion topics, in channel order.
type EgoTopics struct {
	Odometry, GNSS, TF []string
}

// Add files a topic of modality mod: odometry, GNSS or /tf (not
// /tf_static); other modalities are ignored.
func (t *EgoTopics) Add(topic string, mod formats.Modality) {
	switch mod {
	case formats.OdometryModality:
		t.Odometry = append(t.Odometry, topic)
	case formats.GNSSModality:
		t.GNSS = append(t.GNSS, topic)
	case formats.TF:
		if !strings.Contains(topic, "tf_static") {
			t.TF = append(t.TF, topic)
		}
	}
}

// ChooseEgo picks the ego-motion source of a log with candidate topics t:
// mode "" or "auto" takes odometry, else GNSS, else /tf, else none;
// "odometry", "gnss" and "tf" need a topic of their kind, "none" needs
// nothing. It returns the source (never "auto") and the topics that carry
// it: the first odometry or GNSS topic, or every /tf topic.
func ChooseEgo(mode string, t EgoTopics) (source string, topics []string, err error) {
	if mode == "" || mode == "auto" {
		switch {
		case len(t.Odometry) > 0:
			mode = "odometry"
		case len(t.GNSS) > 0:
			mode = "gnss"
		case len(t.TF) > 0:
			mode = "tf"
		default:
			mode = "none"
		}
	}
	switch mode {
	case "odometry":
		if len(t.Odometry) == 0 {
			return "", nil, errors.New("fusion: ego source odometry: no odometry topic in the log")
		}
		return mode, t.Odometry[:1], nil
	case "gnss":
		if len(t.GNSS) == 0 {
			return "", nil, errors.New("fusion: ego source gnss: no GNSS (NavSatFix) topic in the log")
		}
		return mode, t.GNSS[:1], nil
	case "tf":
		if len(t.TF) == 0 {
			return "", nil, errors.New("fusion: ego source tf: no /tf topic in the log")
		}
		return mode, t.TF, nil
	case "none":
		return mode, nil, nil
	}
	return "", nil, fmt.Errorf("fusion: unknown ego source %q (want auto, odometry, gnss, tf or none)", mode)
}
