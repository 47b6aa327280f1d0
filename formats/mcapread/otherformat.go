package mcapread

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rigsync/rigsync/formats"
)

// FormatError is the error of [Open] for a path that holds a log in
// another format than MCAP (one rigsync does not read yet): a ROS 1 bag, a
// rosbag2 SQLite database, a rosbag2 folder, a zstd-compressed file. It
// names the format and what to do instead.
type FormatError struct {
	// Path is the path given to Open.
	Path string
	// Format names what Path is: "ROS 1 bag (format 2.0)", "rosbag2
	// SQLite database (.db3)", "rosbag2 folder (SQLite storage)", …
	Format string
	// Hint says what to do instead.
	Hint string
}

func (e *FormatError) Error() string {
	s := fmt.Sprintf("mcapread: %s is a %s, not an MCAP file: rigsync reads MCAP logs only", e.Path, e.Format)
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// convertHint is how to get an MCAP file from a ROS bag.
const convertHint = "convert it to MCAP first (e.g. \"mcap convert IN OUT.mcap\" with the mcap CLI, or \"ros2 bag convert\")"

// DetectFormat recognises the log formats that are not MCAP, from the
// first bytes of a file or the contents of a folder. It returns nil for
// anything else (an MCAP file, an unknown file, a missing path), leaving
// the error to the MCAP reader.
func DetectFormat(path string) *FormatError {
	st, err := os.Stat(path)
	if err != nil {
		return nil
	}
	if st.IsDir() {
		return detectFolder(path)
	}
	if !st.Mode().IsRegular() {
		return nil // never opened (a FIFO would block): Open says what it is
	}
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	return detectOpened(path, f, st)
}

// detectOpened is DetectFormat on a file already open (Open's one open
// and stat): a folder by its contents, a file by its first bytes.
func detectOpened(path string, f *os.File, st os.FileInfo) *FormatError {
	if st.IsDir() {
		return detectFolder(path)
	}
	head := make([]byte, 16)
	n, _ := f.ReadAt(head, 0)
	return detectHead(path, head[:n])
}

// detectHead recognises a file from its first bytes (and its name).
func detectHead(path string, head []byte) *FormatError {
	name := strings.ToLower(filepath.Base(path))
	switch {
	case formats.IsBag(head):
		return &FormatError{Path: path, Format: "ROS 1 bag (format 2.0)", Hint: convertHint}
	case bytes.HasPrefix(head, []byte("#ROSBAG V")):
		v := strings.TrimSpace(string(head[len("#ROSBAG V"):min(len(head), len("#ROSBAG V")+3)]))
		return &FormatError{Path: path, Format: "ROS 1 bag (format " + v + ")", Hint: convertHint}
	case bytes.HasPrefix(head, []byte("#ROSRECORD V")):
		return &FormatError{Path: path, Format: "ROS 1 bag (format 1.2, before ROS 1 bag 2.0)", Hint: "migrate it with \"rosbag fix\" and " + convertHint}
	case bytes.HasPrefix(head, []byte("SQLite format 3\x00")):
		return &FormatError{Path: path, Format: "rosbag2 SQLite database (.db3)", Hint: convertHint}
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		switch {
		case strings.HasSuffix(name, ".mcap.zstd"):
			return &FormatError{Path: path, Format: "zstd-compressed MCAP file (rosbag2 file compression)", Hint: "decompress it first (zstd -d)"}
		case strings.HasSuffix(name, ".db3.zstd"):
			return &FormatError{Path: path, Format: "zstd-compressed rosbag2 SQLite database (.db3.zstd)", Hint: "decompress it (zstd -d) and " + convertHint}
		}
		return &FormatError{Path: path, Format: "zstd-compressed file", Hint: "decompress it first (zstd -d)"}
	}
	return nil
}

// detectFolder recognises a rosbag2 folder (metadata.yaml beside the
// storage files); any other folder is named as a folder.
func detectFolder(path string) *FormatError {
	meta, err := os.Open(filepath.Join(path, "metadata.yaml"))
	if err != nil {
		return &FormatError{Path: path, Format: "folder", Hint: "give the log file itself"}
	}
	defer meta.Close()
	storage := ""
	sc := bufio.NewScanner(meta)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "storage_identifier:"); ok {
			storage = strings.Trim(strings.TrimSpace(v), `"'`)
			break
		}
	}
	var mcaps []string
	if ents, err := os.ReadDir(path); err == nil {
		for _, e := range ents {
			if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".mcap") {
				mcaps = append(mcaps, filepath.Join(path, e.Name()))
			}
		}
	}
	sort.Strings(mcaps)
	switch {
	case storage == "mcap" && len(mcaps) > 0:
		return &FormatError{Path: path, Format: "rosbag2 folder (MCAP storage)",
			Hint: "give its MCAP file(s) instead: " + strings.Join(mcaps, " ")}
	case storage == "mcap":
		return &FormatError{Path: path, Format: "rosbag2 folder (MCAP storage, compressed or split files)", Hint: "decompress its files (zstd -d) and give the .mcap files"}
	case storage == "sqlite3":
		return &FormatError{Path: path, Format: "rosbag2 folder (SQLite storage)", Hint: convertHint}
	case storage != "":
		return &FormatError{Path: path, Format: fmt.Sprintf("rosbag2 folder (%s storage)", storage), Hint: convertHint}
	}
	return &FormatError{Path: path, Format: "rosbag2 folder", Hint: convertHint}
}
