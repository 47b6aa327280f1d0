package version_test

import (
	"fmt"
	"runtime/debug"
	"testing"

	"github.com/rigsync/rigsync/internal/version"
)

func TestFromBuildInfo(t *testing.T) {
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want version.Info
		line string
	}{
		{"no build info", nil, false, version.Info{Version: "unknown"}, "rigsync unknown"},
		{"release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/rigsync/rigsync", Version: "v1.4.0"},
			Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
				{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "false"}}}, true,
			version.Info{Version: "v1.4.0", Revision: "0123456789abcdef0123456789abcdef01234567", Time: "2026-12-01T10:00:00Z", Go: "go1.26.8"},
			"rigsync v1.4.0 (revision 0123456789abcdef0123456789abcdef01234567, 2026-12-01T10:00:00Z; go1.26.8)"},
		{"checkout with edits", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}}, true,
			version.Info{Version: "(devel)", Revision: "abc", Modified: true, Go: "go1.26.8"},
			"rigsync (devel) (revision abc, modified; go1.26.8)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := version.FromBuildInfo(tc.bi, tc.ok)
			if got != tc.want {
				t.Errorf("FromBuildInfo = %+v, want %+v", got, tc.want)
			}
			if got.String() != tc.line {
				t.Errorf("String() = %q, want %q", got.String(), tc.line)
			}
		})
	}
}

// FromBuildInfo reads what "go build" stamped into the binary.
func ExampleFromBuildInfo() {
	v := version.FromBuildInfo(&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}}}, true)
	fmt.Println(v)
	// Output: rigsync v1.4.0 (revision 0123abcd; go1.26.8)
}
