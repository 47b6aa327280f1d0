// Package fusiontest has test helpers for code that writes fused frames:
// a sink that fails after some frames (a killed run) and a digest of an
// output folder (to compare runs byte for byte).
package fusiontest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/rigsync/rigsync/fusion/fused"
)

// KillAfter passes N frames to Sink, then fails every Write with Err, as a
// run killed midway would stop.
type KillAfter struct {
	fused.Sink
	N   int
	Err error
}

// Write passes f on while frames remain, else returns Err.
func (k *KillAfter) Write(ctx context.Context, f *fused.Frame) error {
	if k.N == 0 {
		return k.Err
	}
	k.N--
	return k.Sink.Write(ctx, f)
}

// TreeDigest maps every file below root (by its path relative to root) to
// the SHA-256 of its content.
func TreeDigest(t testing.TB, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		out[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
