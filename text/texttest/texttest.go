// Package texttest checks a package's messages file (see text.Messages)
// against the package's code, for the package's tests.
package texttest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/text"
)

// CheckKeys reads the Go files of the package in dir (tests left out) and
// checks the calls of its message function fn, a func(key string)
// text.Text that returns m.Get(key):
//
//   - every key is a string literal and is in m;
//   - every key of m is used;
//   - a message named as fn("key").Format(args...) gets as many arguments
//     as its template has verbs (text.Verbs), and a message not formatted
//     there has none.
func CheckKeys(t testing.TB, m text.Messages, dir, fn string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatalf("texttest: %v", err)
	}
	fset := token.NewFileSet()
	used := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("texttest: %v", err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatalf("texttest: %v", err)
		}
		// The calls fn("key") that are formatted at once, with their
		// number of arguments (-1: args...).
		formatted := map[*ast.CallExpr]int{}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Format" {
				if inner, ok := sel.X.(*ast.CallExpr); ok && isCall(inner, fn) {
					formatted[inner] = len(call.Args)
					if call.Ellipsis.IsValid() {
						formatted[inner] = -1
					}
				}
			}
			return true
		})
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || !isCall(call, fn) {
				return true
			}
			pos := fset.Position(call.Pos())
			lit, ok := call.Args[0].(*ast.BasicLit)
			if len(call.Args) != 1 || !ok || lit.Kind != token.STRING {
				t.Errorf("%s: %s takes one key, a string literal", pos, fn)
				return true
			}
			key, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Errorf("%s: %v", pos, err)
				return true
			}
			used[key] = true
			msg, ok := m[key]
			if !ok {
				t.Errorf("%s: no message %q in the messages file", pos, key)
				return true
			}
			if args, ok := formatted[call]; args >= 0 {
				if verbs := text.Verbs(msg.Ko); verbs != args {
					if ok {
						t.Errorf("%s: message %q has %d verbs, formatted with %d arguments", pos, key, verbs, args)
					} else {
						t.Errorf("%s: message %q has %d verbs, not formatted here", pos, key, verbs)
					}
				}
			}
			return true
		})
	}
	if len(used) == 0 {
		t.Fatalf("texttest: no calls of %s in %s", fn, dir)
	}
	var unused []string
	for k := range m {
		if !used[k] {
			unused = append(unused, k)
		}
	}
	sort.Strings(unused)
	for _, k := range unused {
		t.Errorf("message %q is not used in %s", k, dir)
	}
}

// isCall reports whether call calls the function named fn.
func isCall(call *ast.CallExpr, fn string) bool {
	id, ok := call.Fun.(*ast.Ident)
	return ok && id.Name == fn
}
