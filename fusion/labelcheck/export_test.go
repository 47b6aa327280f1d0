package labelcheck

// FastAtan2 is fastAtan2, for the tests.
var FastAtan2 = fastAtan2
