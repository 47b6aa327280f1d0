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

// DropScratch makes c forget its reused buffers, as a new Checker has
// none, for the tests.
func DropScratch(c *Checker) {
	c.cloudBuf, c.clusterBuf = cloudScratch{}, clusterScratch{}
	c.zsBuf, c.ptsBuf, c.qsBuf, c.xsBuf, c.ysBuf = nil, nil, nil, nil, nil
	c.endBufs, c.headBufs = [3][]float64{}, [4][]float64{}
}
