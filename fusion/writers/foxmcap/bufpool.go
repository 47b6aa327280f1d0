package foxmcap

import (
	"math/bits"
	"sync"
)

// Message buffers are recycled: mcapwrite.Indexed copies a message into its
// chunk, so a frame's buffers are free again once its commit has written
// them. Buffers come in power-of-two capacities, one pool per size class,
// so a recycled buffer always fits a request of its class.
const (
	minBufClass = 12 // 4 KiB: smaller buffers are not worth pooling
	maxBufClass = 27 // 128 MiB: larger ones go to the GC
)

var bufPools [maxBufClass + 1]sync.Pool // of *[]byte

// bufClass is the size class of a buffer of at least n bytes (-1: not
// pooled).
func bufClass(n int) int {
	c := max(bits.Len(uint(max(n, 1)-1)), minBufClass)
	if c > maxBufClass {
		return -1
	}
	return c
}

// getBuf returns an empty buffer of capacity at least n.
func getBuf(n int) []byte {
	c := bufClass(n)
	if c < 0 {
		return make([]byte, 0, n)
	}
	if p, ok := bufPools[c].Get().(*[]byte); ok {
		return (*p)[:0]
	}
	return make([]byte, 0, 1<<c)
}

// putBuf hands a buffer from getBuf back (its contents may be overwritten
// at once). A buffer whose capacity is not a pool class (it grew past its
// class) is left to the GC.
func putBuf(b []byte) {
	c := bufClass(cap(b))
	if c < 0 || cap(b) != 1<<c {
		return
	}
	b = b[:0]
	bufPools[c].Put(&b)
}
