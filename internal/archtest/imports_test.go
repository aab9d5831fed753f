package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/kalyan-platform/kalyan"

// core is the use cases and the domain: they reach storage, the bus and the
// web only through ports that adapters implement.
var core = []string{
	"internal/app/...",
	"internal/aid/...", "internal/donations/...", "internal/ledger/...", "internal/links/...",
	"internal/units/...", "internal/events/...", "internal/receipts/...", "internal/zakat/...",
	"internal/money/...", "internal/reports/...", "internal/geo/...",
}

// adapters and the libraries only adapters may use.
var coreForbidden = []string{
	"go.mongodb.org/mongo-driver",
	"github.com/gofiber/fiber",
	"github.com/segmentio/kafka-go",
	module + "/internal/mongostore",
	module + "/internal/kafkabus",
	module + "/internal/httpapi",
	module + "/internal/donorweb",
	module + "/internal/console",
	module + "/internal/webkit",
}

// pkg is the part of `go list -json` this test reads.
type pkg struct {
	ImportPath string
	Deps       []string
}

// list returns the packages matching patterns (module-relative) with their
// transitive production dependencies (tests' imports are not counted: a test
// may drive an adapter).
func list(t *testing.T, patterns ...string) []pkg {
	t.Helper()
	args := []string{"list", "-deps=false", "-json=ImportPath,Deps"}
	for _, p := range patterns {
		args = append(args, module+"/"+p)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("go", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatalf("go list %v matched no package", patterns)
	}
	return pkgs
}

// forbid fails for every package of pkgs depending on a path under one of
// the forbidden prefixes.
func forbid(t *testing.T, pkgs []pkg, forbidden []string) {
	t.Helper()
	for _, p := range pkgs {
		seen := map[string]bool{}
		for _, d := range p.Deps {
			for _, f := range forbidden {
				if (d == f || strings.HasPrefix(d, f+"/")) && !seen[f] {
					seen[f] = true
					t.Errorf("%s depends on %s (via %s)", p.ImportPath, f, d)
				}
			}
		}
	}
}

func TestCoreImportsNoAdapter(t *testing.T) {
	forbid(t, list(t, core...), coreForbidden)
}

func TestKafkaBusImportsNoStoreNorUseCases(t *testing.T) {
	forbid(t, list(t, "internal/kafkabus/..."), []string{
		module + "/internal/mongostore",
		module + "/internal/app",
		module + "/internal/httpapi",
		module + "/internal/donorweb",
		module + "/internal/console",
		module + "/internal/webkit",
	})
}

// TestFrontEndsCallUseCasesOnly: the three front ends and what they share
// reach storage only through the use cases in internal/app, never the
// store or its driver.
func TestFrontEndsCallUseCasesOnly(t *testing.T) {
	forbid(t, list(t, "internal/httpapi/...", "internal/donorweb/...", "internal/console/...", "internal/webkit/..."), []string{
		"go.mongodb.org/mongo-driver",
		module + "/internal/mongostore",
	})
}
