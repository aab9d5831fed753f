package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
	return goList[pkg](t, "ImportPath,Deps", patterns...)
}

// goList runs `go list -json=<fields>` on patterns (module-relative) and
// decodes each package into a P.
func goList[P any](t *testing.T, fields string, patterns ...string) []P {
	t.Helper()
	args := []string{"list", "-deps=false", "-json=" + fields}
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
	var pkgs []P
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p P
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
	forbid(t, list(t, "internal/httpapi/...", "internal/donorweb/...", "internal/console/...", "internal/webkit/...", "internal/oversight/..."), []string{
		"go.mongodb.org/mongo-driver",
		module + "/internal/mongostore",
	})
}

// TestFrontEndsReachNoStoreThroughAUseCase: a handler calls the use case,
// never the port the use case holds (h.Units.Store.List skips its cache and
// its rules, and was how 13 handlers once reached storage). Imports cannot
// see this, so the front ends' sources are read: no selector ends in a
// use case's Store field.
func TestFrontEndsReachNoStoreThroughAUseCase(t *testing.T) {
	for _, dir := range []string{"httpapi", "donorweb", "console", "webkit", "oversight"} {
		files, err := filepath.Glob(filepath.Join("..", dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(parsed, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Store" {
					if _, chained := sel.X.(*ast.SelectorExpr); chained {
						t.Errorf("%s reaches a store through a use case (….%s.Store): call a use-case method", f, sel.X.(*ast.SelectorExpr).Sel.Name)
					}
				}
				return true
			})
		}
	}
}

// domain is the domain packages: storage models live in the adapters
// (mongostore), so the domain knows no storage library, not even in its
// tests, and carries no storage tags.
var domain = []string{
	"internal/aid", "internal/donations", "internal/ledger", "internal/links", "internal/units",
	"internal/events", "internal/receipts", "internal/zakat", "internal/money", "internal/signing",
}

// source is the part of `go list -json` TestDomainKnowsNoStorage reads.
type source struct {
	ImportPath, Dir                              string
	Imports, TestImports, XTestImports           []string
	GoFiles, TestGoFiles, XTestGoFiles, CgoFiles []string
}

func TestDomainKnowsNoStorage(t *testing.T) {
	pkgs := goList[source](t, "ImportPath,Dir,Imports,TestImports,XTestImports,GoFiles,TestGoFiles,XTestGoFiles,CgoFiles", domain...)
	if len(pkgs) != len(domain) {
		t.Fatalf("go list matched %d of %d domain packages", len(pkgs), len(domain))
	}
	for _, p := range pkgs {
		for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
			if strings.HasPrefix(imp, "go.mongodb.org/mongo-driver") {
				t.Errorf("%s imports %s", p.ImportPath, imp)
			}
		}
		for _, f := range slices.Concat(p.GoFiles, p.CgoFiles, p.TestGoFiles, p.XTestGoFiles) {
			src, err := os.ReadFile(filepath.Join(p.Dir, f))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(src, []byte(`bson:"`)) {
				t.Errorf("%s/%s carries bson tags: storage models belong in mongostore", p.ImportPath, f)
			}
		}
	}
}
