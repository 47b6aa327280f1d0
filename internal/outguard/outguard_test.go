package outguard

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile("drive.mcap", []byte("log"), 0o644))
	must(os.Mkdir("bag", 0o755))
	must(os.WriteFile(filepath.Join("bag", "bag_0.db3"), []byte("db"), 0o644))
	must(os.Symlink("drive.mcap", "link.mcap"))
	must(os.Link("drive.mcap", "hard.mcap"))
	must(os.Mkdir("out", 0o755))
	must(os.Symlink("out", "outlink"))
	for _, c := range []struct {
		name, out string
		inputs    []string
		how       string // "" = allowed
	}{
		{"same path", "drive.mcap", []string{"drive.mcap"}, "is"},
		{"other spelling", "./out/../drive.mcap", []string{"drive.mcap"}, "is"},
		{"absolute", filepath.Join(dir, "drive.mcap"), []string{"drive.mcap"}, "is"},
		{"symbolic link to the input", "link.mcap", []string{"drive.mcap"}, "is"},
		{"input given as a link", "drive.mcap", []string{"link.mcap"}, "is"},
		{"hard link", "hard.mcap", []string{"drive.mcap"}, "is"},
		{"second input", "drive.mcap", []string{"other.mcap", "drive.mcap"}, "is"},
		{"inside a bag folder", "bag/frames", []string{"bag"}, "is inside"},
		{"folder holding the input", ".", []string{"drive.mcap"}, "contains"},
		{"folder holding the bag", dir, []string{"bag/bag_0.db3"}, "contains"},
		{"new output beside", "frames", []string{"drive.mcap"}, ""},
		{"new output in a linked folder", "outlink/x.mcap", []string{"drive.mcap"}, ""},
		{"existing other folder", "out", []string{"drive.mcap", "bag"}, ""},
		{"no output", "", []string{"drive.mcap"}, ""},
		{"prefix is not a parent", "bag2", []string{"bag"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Check(c.out, c.inputs)
			var e *Error
			switch {
			case c.how == "" && err != nil:
				t.Errorf("refused: %v", err)
			case c.how != "" && !errors.As(err, &e):
				t.Errorf("err = %v, want an *Error (%s)", err, c.how)
			case c.how != "" && e.How != c.how:
				t.Errorf("how = %q, want %q (%v)", e.How, c.how, err)
			}
		})
	}
}
