// Package version is rigsync's version as the build recorded it: the
// module version and the VCS revision, time and modified flag that "go
// build" stamps into the binary (runtime/debug.BuildInfo).
package version

import (
	"runtime/debug"
	"strings"
)

// Info is what "rigsync --version" prints.
type Info struct {
	Version  string `json:"version"`
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified"`
	Go       string `json:"go,omitempty"`
}

// FromBuildInfo takes the module version and VCS stamp from the build
// information, as debug.ReadBuildInfo returns it (ok false: none
// embedded; the version is then "unknown").
func FromBuildInfo(bi *debug.BuildInfo, ok bool) Info {
	v := Info{Version: "unknown"}
	if !ok || bi == nil {
		return v
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	v.Go = bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is the one-line human form: "rigsync v1.2.0 (revision 0123abcd…,
// 2026-12-01T10:00:00Z, modified; go1.26.8)".
func (v Info) String() string {
	var parts []string
	if v.Revision != "" {
		parts = append(parts, "revision "+v.Revision)
	}
	if v.Time != "" {
		parts = append(parts, v.Time)
	}
	if v.Modified {
		parts = append(parts, "modified")
	}
	s := "rigsync " + v.Version
	extra := strings.Join(parts, ", ")
	if v.Go != "" {
		if extra != "" {
			extra += "; "
		}
		extra += v.Go
	}
	if extra != "" {
		s += " (" + extra + ")"
	}
	return s
}
