package labelcheck

// FastAtan2 is fastAtan2, for the tests.
var FastAtan2 = fastAtan2

// Lowest, Highest and Nth are the partial sorts axisFit uses, for the
// tests.
var (
	Lowest  = lowest
	Highest = highest
	Nth     = nth
)
