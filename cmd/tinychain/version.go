package main

import (
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=..."; left
// empty, the module version from the build info is used.
var version = ""

// buildInfo is the version and the VCS commit the binary was built from.
type buildInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Time     string `json:"commit_time,omitempty"`
	Modified bool   `json:"modified,omitempty"` // the work tree had uncommitted changes
	Go       string `json:"go"`
}

func readBuildInfo() buildInfo {
	out := buildInfo{Version: version, Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		if out.Version == "" {
			out.Version = "(devel)"
		}
		return out
	}
	if out.Version == "" {
		out.Version = bi.Main.Version
	}
	if out.Version == "" {
		out.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			out.Commit = s.Value
		case "vcs.time":
			out.Time = s.Value
		case "vcs.modified":
			out.Modified = s.Value == "true"
		}
	}
	return out
}

// versionString is the one-line version: "v1.2.3 (commit abcdef012345, modified)".
func versionString() string {
	bi := readBuildInfo()
	s := bi.Version
	if bi.Commit != "" {
		c := bi.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " (commit " + c
		if bi.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s
}

type versionCmd struct {
	JSON bool `name:"json" help:"Print JSON for machines."`
}

func (c *versionCmd) Run(e *env) error {
	bi := readBuildInfo()
	if c.JSON {
		return e.printJSON(bi)
	}
	e.printf("tinychain %s\n", versionString())
	if bi.Time != "" {
		e.printf("committed %s\n", bi.Time)
	}
	e.printf("built with %s\n", bi.Go)
	return nil
}
