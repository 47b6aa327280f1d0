package check

import "testing"

func TestOverall(t *testing.T) {
	pairs := func(vs ...Verdict) []PairResult {
		var out []PairResult
		for _, v := range vs {
			out = append(out, PairResult{Verdict: v})
		}
		return out
	}
	for _, tc := range []struct {
		name             string
		pairs            []PairResult
		want             Verdict
		checked, skipped int
	}{
		{"no pairs", nil, Unchecked, 0, 0},
		{"every pair skipped", pairs(Skipped, Skipped, Skipped), Unchecked, 0, 3},
		{"ok and skipped", pairs(Skipped, OK, Skipped), OK, 1, 2},
		{"suspicious", pairs(OK, Suspicious, Skipped), Suspicious, 2, 1},
		{"miscalibrated first", pairs(Miscalibrated, Suspicious, OK), Miscalibrated, 3, 0},
		{"miscalibrated last", pairs(Skipped, OK, Miscalibrated), Miscalibrated, 2, 1},
	} {
		if got := Overall(tc.pairs); got != tc.want {
			t.Errorf("%s: Overall %s, want %s", tc.name, got, tc.want)
		}
		if c, s := CountChecked(tc.pairs); c != tc.checked || s != tc.skipped {
			t.Errorf("%s: CountChecked %d, %d, want %d, %d", tc.name, c, s, tc.checked, tc.skipped)
		}
	}
}
