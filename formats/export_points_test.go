package formats

// PointsGeneric converts the cloud on the per-point generic path only, the
// reference the fast path is compared with.
func (p *PointCloud) PointsGeneric() (*Points, error) { return p.points(false) }
