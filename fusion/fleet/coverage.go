package fleet

// Coverage sums summaries over a fleet: coverage.json. Add and Merge are
// commutative, so any order of logs and any split over workers gives the
// same Coverage.
type Coverage struct {
	Logs   int `json:"logs"`
	Passed int `json:"passed"`
	Warned int `json:"warned"`
	Failed int `json:"failed"`
	// Hours is the total recorded time of the readable logs.
	Hours float64 `json:"hours"`
}

// Add counts one log.
func (c *Coverage) Add(r Result) {
	c.Logs++
	switch r.Summary.Gate.Verdict {
	case Pass:
		c.Passed++
	case Warn:
		c.Warned++
	default:
		c.Failed++
	}
	c.Hours += r.Summary.DurationS / 3600
}

// Merge adds another partial coverage to c.
func (c *Coverage) Merge(o Coverage) {
	c.Logs += o.Logs
	c.Passed += o.Passed
	c.Warned += o.Warned
	c.Failed += o.Failed
	c.Hours += o.Hours
}
