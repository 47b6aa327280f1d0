// Package atomicfile writes files that appear complete or not at all.
//
// A file is written under a temporary name in the directory of its
// destination (".NAME.tmp-*", so the rename stays on one file system),
// flushed to disk (fsync) and renamed over the destination only when the
// whole content was written. On any failure the temporary file is removed
// and an existing destination keeps its bytes: a refused or failed command
// never leaves a truncated or half-written file behind.
//
// Destinations that are not regular files (a terminal, a pipe, /dev/stdout,
// /dev/null) cannot be replaced by a rename; they are written directly.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// defaultPerm is the mode of a new file (an existing destination keeps its
// own permission bits).
const defaultPerm fs.FileMode = 0o644

// File is a file being written for an atomic replace of Path. Write to it,
// then call Commit to move it into place, or Abort to discard it. Abort
// after Commit does nothing, so "defer f.Abort()" is the usual cleanup.
type File struct {
	f      *os.File
	path   string
	perm   fs.FileMode
	direct bool // the destination is not a regular file: written in place
	done   bool
}

// Create starts writing path. The directory of path must exist.
func Create(path string) (*File, error) {
	if path == "" {
		return nil, errors.New("atomicfile: empty path")
	}
	perm := defaultPerm
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return nil, fmt.Errorf("atomicfile: %s is a directory", path)
		}
		if !st.Mode().IsRegular() {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return nil, err
			}
			return &File{f: f, path: path, direct: true}, nil
		}
		perm = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("atomicfile: %w", err)
	}
	return &File{f: tmp, path: path, perm: perm}, nil
}

// Write writes to the temporary file.
func (f *File) Write(p []byte) (int, error) { return f.f.Write(p) }

// Seek sets the offset of the next Write (some encoders patch headers).
func (f *File) Seek(offset int64, whence int) (int64, error) { return f.f.Seek(offset, whence) }

// Path is the destination.
func (f *File) Path() string { return f.path }

// TempName is the temporary file's path (the destination for a direct
// write).
func (f *File) TempName() string { return f.f.Name() }

// Commit flushes the content to disk and renames the temporary file over
// the destination. On error the temporary file is removed and the
// destination is left as it was.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("atomicfile: %s: already committed or aborted", f.path)
	}
	f.done = true
	if f.direct {
		return f.f.Close()
	}
	tmp := f.f.Name()
	err := f.f.Sync()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, f.perm)
	}
	if err == nil {
		err = os.Rename(tmp, f.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("atomicfile: writing %s: %w", f.path, err)
	}
	syncDir(filepath.Dir(f.path))
	return nil
}

// Abort discards what was written: the temporary file is removed and the
// destination keeps its bytes. It does nothing after Commit or Abort.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.f.Close()
	if !f.direct {
		os.Remove(f.f.Name())
	}
}

// syncDir makes a rename in dir durable; errors are ignored (some file
// systems cannot fsync a directory, and the rename already happened).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Write writes path with the content fn writes, committed only when fn
// returns nil.
func Write(path string, fn func(w io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := fn(f); err != nil {
		return err
	}
	return f.Commit()
}

// WriteFile writes data to path.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteVia is for writers that insist on opening a path themselves (and
// may pick the format from its extension): fn writes the temporary path it
// is given, which ends with the destination's extension, and the result is
// renamed over path only when fn returns nil. Whatever fn left at the
// temporary path is removed on failure.
func WriteVia(path string, fn func(tmpPath string) error) error {
	if path == "" {
		return errors.New("atomicfile: empty path")
	}
	ext := filepath.Ext(path)
	tf, err := os.CreateTemp(filepath.Dir(path), "."+strings.TrimSuffix(filepath.Base(path), ext)+".tmp-*"+ext)
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	tmp := tf.Name()
	tf.Close()
	if err := fn(tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	perm := defaultPerm
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
		perm = st.Mode().Perm()
	}
	err = syncFile(tmp)
	if err == nil {
		err = os.Chmod(tmp, perm)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("atomicfile: writing %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
