package mcapread

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestMutations runs a few thousand deterministic random mutations of the
// fuzz seeds (bytes overwritten, files cut) through the same invariants as
// FuzzReader, each under a time limit, so plain `go test` catches panics
// and hangs without a fuzzing run.
func TestMutations(t *testing.T) {
	seeds := fuzzSeeds(t)
	rng := rand.New(rand.NewPCG(3, 4))
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		s := append([]byte(nil), seeds[rng.IntN(len(seeds))]...)
		for range 1 + rng.IntN(4) {
			s[rng.IntN(len(s))] = byte(rng.IntN(256))
		}
		if rng.IntN(3) == 0 {
			s = s[:rng.IntN(len(s))]
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			checkReader(t, s)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("mutation %d: no answer after 10 s on %q", i, s)
		}
	}
}
