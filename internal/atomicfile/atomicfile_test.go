package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// entries lists the names in dir (to see that no temporary file is left).
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWrite(t *testing.T) {
	failure := errors.New("refused")
	for _, tc := range []struct {
		name     string
		existing []byte      // nil: no file before
		mode     os.FileMode // of the existing file
		write    func(w io.Writer) error
		wantErr  error
		want     []byte
		wantMode os.FileMode
	}{
		{name: "new file", write: func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err },
			want: []byte("new"), wantMode: 0o644},
		{name: "replace keeps mode", existing: []byte("old content"), mode: 0o600,
			write: func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err },
			want:  []byte("new"), wantMode: 0o600},
		{name: "refused before writing keeps the old bytes", existing: []byte("old content"), mode: 0o644,
			write:   func(w io.Writer) error { return failure },
			wantErr: failure, want: []byte("old content"), wantMode: 0o644},
		{name: "failed half-way keeps the old bytes", existing: []byte("old content"), mode: 0o644,
			write: func(w io.Writer) error {
				io.WriteString(w, "half")
				return failure
			},
			wantErr: failure, want: []byte("old content"), wantMode: 0o644},
		{name: "failed new file leaves nothing", write: func(w io.Writer) error { return failure }, wantErr: failure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.yaml")
			if tc.existing != nil {
				if err := os.WriteFile(path, tc.existing, tc.mode); err != nil {
					t.Fatal(err)
				}
				os.Chmod(path, tc.mode)
			}
			err := Write(path, tc.write)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			got, rerr := os.ReadFile(path)
			if tc.want == nil {
				if !os.IsNotExist(rerr) {
					t.Fatalf("%s exists after a failed write (%q, %v)", path, got, rerr)
				}
			} else {
				if string(got) != string(tc.want) {
					t.Fatalf("content %q, want %q", got, tc.want)
				}
				st, _ := os.Stat(path)
				if st.Mode().Perm() != tc.wantMode {
					t.Errorf("mode %v, want %v", st.Mode().Perm(), tc.wantMode)
				}
			}
			names := entries(t, dir)
			if (tc.want == nil && len(names) != 0) || (tc.want != nil && len(names) != 1) {
				t.Errorf("directory holds %q: a temporary file was left behind", names)
			}
		})
	}
}

func TestFileCommitAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.json")
	os.WriteFile(path, []byte("old"), 0o644)
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "partial")
	// Before Commit the destination is untouched.
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("destination changed before Commit: %q", b)
	}
	f.Abort()
	f.Abort() // twice is harmless
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("destination after Abort: %q", b)
	}
	if err := f.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	if n := entries(t, dir); len(n) != 1 {
		t.Errorf("after Abort the directory holds %q", n)
	}

	f, err = Create(path)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "complete")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // after Commit: no effect
	if b, _ := os.ReadFile(path); string(b) != "complete" {
		t.Fatalf("destination after Commit: %q", b)
	}
	if n := entries(t, dir); len(n) != 1 {
		t.Errorf("after Commit the directory holds %q", n)
	}

	if _, err := Create(dir); err == nil {
		t.Error("Create of a directory succeeded")
	}
	if _, err := Create(filepath.Join(dir, "missing", "x")); err == nil {
		t.Error("Create in a missing directory succeeded")
	}
}

// A destination that is not a regular file is written in place.
func TestDirectDevice(t *testing.T) {
	if _, err := os.Stat(os.DevNull); err != nil {
		t.Skip("no", os.DevNull)
	}
	if err := WriteFile(os.DevNull, []byte("x")); err != nil {
		t.Fatalf("writing %s: %v", os.DevNull, err)
	}
}

func TestWriteVia(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plot.png")
	os.WriteFile(path, []byte("old"), 0o644)
	var seen string
	err := WriteVia(path, func(tmp string) error {
		seen = tmp
		os.WriteFile(tmp, []byte("half"), 0o644)
		return errors.New("encoder failed")
	})
	if err == nil {
		t.Fatal("no error")
	}
	if filepath.Ext(seen) != ".png" || filepath.Dir(seen) != dir {
		t.Errorf("temporary path %q: want a .png in %s", seen, dir)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("destination after a failed write: %q", b)
	}
	if n := entries(t, dir); len(n) != 1 {
		t.Errorf("after a failed write the directory holds %q", n)
	}
	if err := WriteVia(path, func(tmp string) error { return os.WriteFile(tmp, []byte("new"), 0o600) }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("destination after WriteVia: %q", b)
	}
	if n := entries(t, dir); len(n) != 1 {
		t.Errorf("after WriteVia the directory holds %q", n)
	}
}
