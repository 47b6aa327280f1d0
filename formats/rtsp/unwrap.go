package rtsp

// Unwrapper extends 32-bit RTP timestamps, which wrap every 2^32 ticks
// (13.25 h at 90 kHz), to a continuous 64-bit count. Each value is placed
// within ±2^31 ticks of the previous one, so reordered packets and sender
// reports slightly ahead of or behind the packets unwrap correctly. The zero
// value is ready to use; the first timestamp maps to itself.
type Unwrapper struct {
	last    int64
	lastRaw uint32
	started bool
}

// Unwrap returns the 64-bit extension of ts nearest to the previous value.
func (u *Unwrapper) Unwrap(ts uint32) int64 {
	if !u.started {
		u.started = true
		u.last, u.lastRaw = int64(ts), ts
		return u.last
	}
	u.last += int64(int32(ts - u.lastRaw))
	u.lastRaw = ts
	return u.last
}
