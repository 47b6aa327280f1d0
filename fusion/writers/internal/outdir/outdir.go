package outdir

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// TempPrefix starts the name of every file or folder that is being written;
// Open with Resume (or Force) removes leftovers with this prefix.
const TempPrefix = ".rigsync-tmp-"

// ManifestName is the file name of the run manifest.
const ManifestName = "manifest.jsonl"

// ErrNotEmpty is returned by Open for a non-empty folder without Force or
// Resume.
var ErrNotEmpty = errors.New("outdir: output folder is not empty (use force to overwrite or resume to continue)")

// Options control how Open treats an existing folder.
type Options struct {
	// Force allows writing into a non-empty folder. Without Resume the
	// manifest is started afresh; files of an earlier run that this run does
	// not overwrite are left alone.
	Force bool
	// Resume continues an earlier run: frames listed in the manifest are
	// reported by Done and the rest are written again.
	Resume bool
	// Sync fsyncs every file before its rename and the manifest after every
	// line (durable across power loss, slower).
	Sync bool
	// Manifest is the manifest's file name (ManifestName when empty), for
	// layouts where manifest.jsonl means something else.
	Manifest string
}

// Dir is an output folder being written. Its methods are safe for
// concurrent use (a parallel writer writes temporary files from several
// goroutines and commits frames from one).
type Dir struct {
	root     string
	opts     Options
	mu       sync.Mutex // guards the fields below
	manifest *os.File
	done     map[int]bool
	lines    [][]byte
	seq      int
}

// Open prepares root (created if missing) for writing.
func Open(root string, opts Options) (*Dir, error) {
	if root == "" {
		return nil, errors.New("outdir: empty output path")
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("outdir: create %s: %w", root, err)
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("outdir: read %s: %w", root, err)
	}
	if len(ents) > 0 && !opts.Force && !opts.Resume {
		return nil, fmt.Errorf("%w: %s has %d entries", ErrNotEmpty, root, len(ents))
	}
	d := &Dir{root: root, opts: opts, done: map[int]bool{}}
	if len(ents) > 0 {
		if err := removeTemps(root); err != nil {
			return nil, err
		}
	}
	mname := opts.Manifest
	if mname == "" {
		mname = ManifestName
	}
	if mname != filepath.Base(mname) || strings.HasPrefix(mname, TempPrefix) || mname == "." || mname == ".." {
		return nil, fmt.Errorf("outdir: bad manifest name %q", mname)
	}
	mpath := filepath.Join(root, mname)
	flag := os.O_CREATE | os.O_RDWR
	if !opts.Resume {
		flag |= os.O_TRUNC
	}
	f, err := os.OpenFile(mpath, flag, 0o644)
	if err != nil {
		return nil, fmt.Errorf("outdir: open manifest: %w", err)
	}
	if opts.Resume {
		if err := d.load(f); err != nil {
			f.Close()
			return nil, err
		}
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, fmt.Errorf("outdir: manifest: %w", err)
	}
	d.manifest = f
	return d, nil
}

// load reads the complete lines of the manifest and cuts off a torn last
// line (a run killed while appending it).
func (d *Dir) load(f *os.File) error {
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("outdir: read manifest: %w", err)
	}
	good := 0
	for off := 0; off < len(data); {
		nl := bytes.IndexByte(data[off:], '\n')
		if nl < 0 {
			break
		}
		line := data[off : off+nl]
		var head struct {
			Index *int `json:"index"`
		}
		if err := json.Unmarshal(line, &head); err != nil || head.Index == nil {
			break
		}
		d.done[*head.Index] = true
		d.lines = append(d.lines, bytes.Clone(line))
		off += nl + 1
		good = off
	}
	if good < len(data) {
		if err := f.Truncate(int64(good)); err != nil {
			return fmt.Errorf("outdir: cut torn manifest line at byte %d: %w", good, err)
		}
	}
	return nil
}

// removeTemps deletes leftovers of a killed run: entries named TempPrefix*
// in root and in its direct sub-folders.
func removeTemps(root string) error {
	return filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		depth := strings.Count(rel, string(filepath.Separator))
		if strings.HasPrefix(e.Name(), TempPrefix) {
			if err := os.RemoveAll(p); err != nil {
				return fmt.Errorf("outdir: remove leftover %s: %w", p, err)
			}
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if e.IsDir() && p != root && depth >= 1 {
			return fs.SkipDir
		}
		return nil
	})
}

// Root is the output folder.
func (d *Dir) Root() string { return d.root }

// Done reports whether frame index is complete per the manifest.
func (d *Dir) Done(index int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.done[index]
}

// Lines returns the manifest lines (without newline) in file order,
// including those of an earlier run being resumed.
func (d *Dir) Lines() [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lines[:len(d.lines):len(d.lines)]
}

// Commit appends line (one JSON object with an "index" field, no newline)
// to the manifest, marking frame index complete. Call it only after every
// file of the frame is in place.
func (d *Dir) Commit(index int, line []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.manifest == nil {
		return errors.New("outdir: commit after close")
	}
	if bytes.IndexByte(line, '\n') >= 0 {
		return fmt.Errorf("outdir: manifest line of frame %d contains a newline", index)
	}
	buf := make([]byte, 0, len(line)+1)
	buf = append(append(buf, line...), '\n')
	if _, err := d.manifest.Write(buf); err != nil {
		return fmt.Errorf("outdir: append manifest line of frame %d: %w", index, err)
	}
	if d.opts.Sync {
		if err := d.manifest.Sync(); err != nil {
			return fmt.Errorf("outdir: sync manifest: %w", err)
		}
	}
	d.done[index] = true
	d.lines = append(d.lines, bytes.Clone(line))
	return nil
}

// TempName returns a fresh temporary path for rel (relative to the root);
// rename it into place with Rename. Temporary paths are in the root
// folder (the same file system as every destination), where Open with
// Resume or Force finds the leftovers of a killed run.
func (d *Dir) TempName(rel string) string {
	d.mu.Lock()
	d.seq++
	seq := d.seq
	d.mu.Unlock()
	return filepath.Join(d.root, fmt.Sprintf("%s%d-%s", TempPrefix, seq, filepath.Base(rel)))
}

// Rename moves a temporary path into place at rel, replacing a file (or,
// for folders, removing an existing folder first).
func (d *Dir) Rename(tmp, rel string) error {
	dst := filepath.Join(d.root, rel)
	if st, err := os.Lstat(dst); err == nil && st.IsDir() {
		if err := os.RemoveAll(dst); err != nil {
			return fmt.Errorf("outdir: replace %s: %w", rel, err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("outdir: rename into %s: %w", rel, err)
	}
	return nil
}

// WriteFile writes data to rel (relative to the root, parents created)
// through a temporary file and a rename.
func (d *Dir) WriteFile(rel string, data []byte) error {
	return d.WriteFunc(rel, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFunc is WriteFile with the content streamed by fn into a buffered
// writer.
func (d *Dir) WriteFunc(rel string, fn func(w io.Writer) error) error {
	tmp, err := d.WriteTemp(rel, fn)
	if err != nil {
		return err
	}
	if err := d.Rename(tmp, rel); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// WriteTemp writes the content fn streams into a temporary file for rel
// (creating rel's parent folders) and returns its path, for a Rename into
// place later (the two halves of WriteFunc, for writers that encode in
// parallel and commit in order). On error nothing is left behind.
func (d *Dir) WriteTemp(rel string, fn func(w io.Writer) error) (string, error) {
	if err := os.MkdirAll(filepath.Join(d.root, filepath.Dir(rel)), 0o755); err != nil {
		return "", fmt.Errorf("outdir: create folder of %s: %w", rel, err)
	}
	tmp := d.TempName(rel)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return "", fmt.Errorf("outdir: create %s: %w", rel, err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	err = fn(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && d.opts.Sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("outdir: write %s: %w", rel, err)
	}
	return tmp, nil
}

// Close closes the manifest. It does not remove anything.
func (d *Dir) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.manifest == nil {
		return nil
	}
	err := d.manifest.Close()
	d.manifest = nil
	if err != nil {
		return fmt.Errorf("outdir: close manifest: %w", err)
	}
	return nil
}
