package watch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite watch/testdata/*.json from watch/testdata/*.yaml")

// golden reads one testdata YAML file of API objects (documents separated
// by ---) and normalizes each as the watcher does: decoded as the API
// machinery decodes JSON (integers stay integers), trimmed as the informers
// trim, then Normalize.
func golden(t *testing.T, path string) []Obj {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	var out []Obj
	for i := 1; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
			continue // only comments
		}
		var u unstructured.Unstructured
		if err := u.UnmarshalJSON(js); err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		trim(&u)
		out = append(out, Normalize(u.GetKind(), &u))
	}
	return out
}

// encode is the golden JSON of a file's objects: indented, keys sorted.
func encode(t *testing.T, objs []Obj) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(objs); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// goldenFiles are the testdata YAML files.
func goldenFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/*.yaml: %v", err)
	}
	return files
}

// TestGolden normalizes each testdata/*.yaml into what the stream sends and
// compares it with testdata/*.json, which the browser tests load as their
// fixtures (assets/testdata/fixtures.mjs): a change to Normalize shows up
// here, and once the JSON is rewritten (go test ./watch/ -run TestGolden
// -update), in the diagrams' tests.
func TestGolden(t *testing.T) {
	for _, in := range goldenFiles(t) {
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		t.Run(name, func(t *testing.T) {
			got := encode(t, golden(t, in))
			path := strings.TrimSuffix(in, ".yaml") + ".json"
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (write it with: go test ./watch/ -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from what Normalize makes of %s at %s\n"+
					"(if the change is meant: go test ./watch/ -run TestGolden -update, then cd assets && npm test)",
					path, in, firstDiff(got, want))
			}
		})
	}
}

// firstDiff says where two texts first differ, by line.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, gl, wl)
		}
	}
	return "(same lines)"
}

// docFields reads docs/stream.md's description of an Obj: the common
// fields (the keys of its JSON example) and, per kind, the top-level
// fields its list names (the `field` words of a kind's item, outside
// parentheses).
func docFields(t *testing.T) (common map[string]bool, perKind map[string]map[string]bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "stream.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, obj, ok := strings.Cut(string(b), "## Obj: a normalized object")
	if !ok {
		t.Fatal(`docs/stream.md has no "## Obj: a normalized object" section`)
	}
	if i := strings.Index(obj, "\n## "); i >= 0 {
		obj = obj[:i]
	}
	example, list, ok := strings.Cut(obj, "Per kind")
	if !ok {
		t.Fatal(`docs/stream.md: no "Per kind" list in the Obj section`)
	}
	_, example, _ = strings.Cut(example, "```json")
	example, _, _ = strings.Cut(example, "```")
	var ex map[string]any
	if err := json.Unmarshal([]byte(example), &ex); err != nil {
		t.Fatalf("docs/stream.md: the Obj example is not JSON: %v", err)
	}
	common = map[string]bool{}
	for f := range ex {
		common[f] = true
	}
	// One item per kind line: "- `Kind`, `Kind` (note): `field` (note), `field` `{...}`, ...",
	// continued on indented lines.
	var items []string
	for _, line := range strings.Split(list, "\n") {
		switch {
		case strings.HasPrefix(line, "- "):
			items = append(items, line[2:])
		case strings.HasPrefix(line, "  ") && len(items) > 0:
			items[len(items)-1] += " " + strings.TrimSpace(line)
		}
	}
	ident := regexp.MustCompile(`^[A-Za-z]+$`)
	perKind = map[string]map[string]bool{}
	for _, item := range items {
		var kinds []string
		fields := map[string]bool{}
		depth, inFields := 0, false
		for i := 0; i < len(item); i++ {
			switch c := item[i]; {
			case c == '`':
				j := strings.IndexByte(item[i+1:], '`')
				if j < 0 {
					t.Fatalf("docs/stream.md: unclosed ` in %q", item)
				}
				word := item[i+1 : i+1+j]
				i += j + 1
				if depth == 0 && ident.MatchString(word) {
					if inFields {
						fields[word] = true
					} else {
						kinds = append(kinds, word)
					}
				}
			case c == '(':
				depth++
			case c == ')':
				depth--
			case c == ':' && depth == 0 && !inFields:
				inFields = true
			}
		}
		if len(kinds) == 0 || len(fields) == 0 {
			t.Fatalf("docs/stream.md: cannot read the kind item %q", item)
		}
		for _, k := range kinds {
			perKind[k] = fields
		}
	}
	return common, perKind
}

// TestStreamAsDocumented holds docs/stream.md and Normalize to each other
// over the golden objects: every kind the stream carries is documented and
// has golden objects; every field the document promises is sent with a
// value for at least one golden object of its kind (the testdata holds an
// object that has each); every field sent is a common field or documented
// for its kind.
func TestStreamAsDocumented(t *testing.T) {
	common, perKind := docFields(t)
	for _, f := range []string{"kind", "namespace", "name", "uid", "rv", "labels", "owner", "created", "deleting"} {
		if !common[f] {
			t.Errorf("docs/stream.md's Obj example lacks the common field %q (read: %v)", f, slices.Sorted(maps.Keys(common)))
		}
	}
	byKind := map[string][]Obj{}
	for _, in := range goldenFiles(t) {
		for _, o := range golden(t, in) {
			k := o["kind"].(string)
			byKind[k] = append(byKind[k], o)
		}
	}
	for k := range streamed {
		if perKind[k] == nil {
			t.Errorf("the stream carries %s, docs/stream.md does not describe it", k)
		}
		if len(byKind[k]) == 0 {
			t.Errorf("the stream carries %s, watch/testdata has none", k)
		}
	}
	valued := map[string]bool{} // "kind/field" with a value somewhere
	for k, objs := range byKind {
		if !streamed[k] {
			t.Errorf("watch/testdata holds %s, which the stream does not carry", k)
			continue
		}
		for _, o := range objs {
			for f, v := range o {
				if !common[f] && !perKind[k][f] {
					t.Errorf("%s %s: Normalize sends %q, docs/stream.md does not document it for %s", k, o["name"], f, k)
				}
				if !isZero(v) {
					valued[k+"/"+f] = true
					valued["/"+f] = true
				}
			}
		}
		for f := range perKind[k] {
			if !valued[k+"/"+f] {
				t.Errorf("docs/stream.md promises %q for %s; Normalize sends no value for it from any %s of watch/testdata", f, k, k)
			}
		}
	}
	for f := range common {
		if !valued["/"+f] {
			t.Errorf("no object in watch/testdata has a value for the common field %q: add one that has", f)
		}
	}
}

// isZero says whether a field carries nothing (what a browser cannot tell
// from a missing field).
func isZero(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map, reflect.Slice:
		return rv.Len() == 0
	}
	return rv.IsZero()
}
