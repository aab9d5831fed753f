// Package buildinfo says which build a binary is, for logs and the kalyan_build_info metric that
// every binary exports (so dashboards and alerts can tell versions apart during a rollout).
package buildinfo

import (
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// version is stamped by release builds (the Dockerfile):
//
//	-ldflags "-X github.com/kalyan-platform/kalyan/internal/buildinfo.version=v1.2.3"
//
// The linker can only set a package variable; nothing else writes it.
var version string

// Info is a binary's build.
type Info struct {
	Version   string // the release, or "devel"
	Revision  string // the VCS commit the binary was built from, or "unknown"
	GoVersion string
}

// Get returns this binary's build.
func Get() Info {
	i := Info{Version: version, Revision: "unknown", GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if i.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			i.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				i.Revision = s.Value
			}
		}
	}
	if i.Version == "" {
		i.Version = "devel"
	}
	return i
}

// Collector is the kalyan_build_info gauge: always 1, with the build as labels.
func Collector() prometheus.Collector {
	i := Get()
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "kalyan_build_info",
		Help:        "The build of this binary: version, VCS revision and Go version (always 1).",
		ConstLabels: prometheus.Labels{"version": i.Version, "revision": i.Revision, "goversion": i.GoVersion},
	})
	g.Set(1)
	return g
}
