// Package manifest reads the YAML a learner writes in the editor and
// applies it to their cluster the way `kubectl apply --server-side` does,
// with strict field validation, so the API server's own errors (an unknown
// field, an invalid name) reach the learner next to their text.
package manifest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

// Limits on one editor submission.
const (
	MaxBytes     = 256 << 10
	MaxDocuments = 20
)

// Doc is one object of a submission, with the line it starts on.
type Doc struct {
	Object *unstructured.Unstructured
	Line   int
	// Text is the document's own text, to find the line an error names.
	Text string
}

// LineError is a problem at a line of the submission (1-based; 0 = none).
type LineError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

func (e LineError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return e.Message
}

var yamlLineRe = regexp.MustCompile(`line (\d+)`)

// Parse splits a multi-document YAML (or JSON) text into objects. Errors
// carry the line they refer to, counted in the whole text.
func Parse(text string) ([]Doc, []LineError) {
	if len(text) > MaxBytes {
		return nil, []LineError{{Message: fmt.Sprintf("the manifest is %d bytes; the limit is %d", len(text), MaxBytes)}}
	}
	var docs []Doc
	var errs []LineError
	line := 1
	for i, chunk := range splitDocuments(text) {
		start := line
		line += strings.Count(chunk, "\n") + 2 // its lines and the "---" after it
		if strings.TrimSpace(stripComments(chunk)) == "" {
			continue
		}
		if len(docs) >= MaxDocuments {
			errs = append(errs, LineError{Line: start, Message: fmt.Sprintf("at most %d documents at once", MaxDocuments)})
			break
		}
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(chunk), &obj); err != nil {
			le := LineError{Line: start, Message: cleanYAMLError(err.Error())}
			if m := yamlLineRe.FindStringSubmatch(err.Error()); m != nil {
				n, _ := strconv.Atoi(m[1])
				le.Line = start + n - 1
				le.Message = yamlLineRe.ReplaceAllString(le.Message, "line "+strconv.Itoa(le.Line))
			}
			errs = append(errs, le)
			continue
		}
		if obj == nil {
			errs = append(errs, LineError{Line: start, Message: fmt.Sprintf("document %d is not a mapping (an object needs apiVersion, kind and metadata)", i+1)})
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		switch {
		case u.GetAPIVersion() == "":
			errs = append(errs, LineError{Line: start, Message: "apiVersion is missing"})
		case u.GetKind() == "":
			errs = append(errs, LineError{Line: start, Message: "kind is missing"})
		case u.GetName() == "" && u.GetGenerateName() == "":
			errs = append(errs, LineError{Line: start, Message: "metadata.name is missing"})
		default:
			docs = append(docs, Doc{Object: u, Line: start, Text: chunk})
		}
	}
	return docs, errs
}

func cleanYAMLError(s string) string {
	s = strings.TrimPrefix(s, "error converting YAML to JSON: ")
	s = strings.TrimPrefix(s, "yaml: ")
	return s
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); !strings.HasPrefix(t, "#") {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// splitDocuments cuts at lines that are exactly "---" (with optional
// trailing text), keeping each chunk's line count intact.
func splitDocuments(text string) []string {
	var out []string
	var cur []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "---") && (len(l) == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r') {
			out = append(out, strings.Join(cur, "\n"))
			cur = nil
			continue
		}
		cur = append(cur, l)
	}
	return append(out, strings.Join(cur, "\n"))
}

// Mapper finds the resource of a kind (refreshing discovery for new CRDs).
type Mapper interface {
	RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error)
}

// Result is the outcome for one object.
type Result struct {
	Object string `json:"object"`
	Action string `json:"action,omitempty"`
	Error  string `json:"error,omitempty"`
	Line   int    `json:"line,omitempty"`
}

// FieldManager names the learner's changes in managedFields.
const FieldManager = "kubelab-editor"

// Apply applies every document with server-side apply and strict field
// validation; dryRun asks the API server to validate without saving.
func Apply(ctx context.Context, client dynamic.Interface, mapper Mapper, docs []Doc, dryRun bool) []Result {
	out := make([]Result, 0, len(docs))
	for _, d := range docs {
		out = append(out, applyOne(ctx, client, mapper, d, dryRun))
	}
	return out
}

func applyOne(ctx context.Context, client dynamic.Interface, mapper Mapper, d Doc, dryRun bool) Result {
	u := d.Object
	gvk := u.GroupVersionKind()
	res := Result{Object: strings.ToLower(gvk.Kind) + "/" + u.GetName(), Line: d.Line}
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		res.Error = fmt.Sprintf("the cluster has no kind %q in %q (check apiVersion and kind)", gvk.Kind, u.GetAPIVersion())
		return res
	}
	var ri dynamic.ResourceInterface = client.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if u.GetNamespace() == "" {
			u.SetNamespace("default")
		}
		ri = client.Resource(m.Resource).Namespace(u.GetNamespace())
	} else if u.GetNamespace() != "" {
		u.SetNamespace("")
	}
	body, err := u.MarshalJSON()
	if err != nil {
		res.Error = err.Error()
		return res
	}
	existed := true
	prev, err := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
	if err != nil {
		existed = false
	}
	opts := metav1.PatchOptions{FieldManager: FieldManager, Force: ptrTrue(), FieldValidation: "Strict"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	got, err := ri.Patch(ctx, u.GetName(), types.ApplyPatchType, body, opts)
	if err != nil {
		res.Error = explain(err)
		res.Line = d.lineOf(res.Error)
		return res
	}
	switch {
	case !existed:
		res.Action = "created"
	case prev.GetResourceVersion() == got.GetResourceVersion():
		res.Action = "unchanged"
	default:
		res.Action = "configured"
	}
	if dryRun {
		res.Action += " (dry run)"
	}
	return res
}

func ptrTrue() *bool { t := true; return &t }

func explain(err error) string {
	msg := err.Error()
	var se interface{ Status() metav1.Status }
	if errors.As(err, &se) {
		if m := se.Status().Message; m != "" {
			msg = m
		}
	}
	return msg
}

// fieldRe finds the field paths the API server names in its errors, such
// as `metadata.name: Invalid value` or `unknown field "spec.volumeMounts"`.
var fieldRe = regexp.MustCompile(`(?:^|[\s"(.])((?:metadata|spec|data|stringData|status)(?:\.[A-Za-z0-9_]+|\[\d+\])*)`)

// lineOf returns the line of the field an API error names, or the
// document's first line.
func (d Doc) lineOf(msg string) int {
	m := fieldRe.FindStringSubmatch(msg)
	if m == nil {
		return d.Line
	}
	path := regexp.MustCompile(`\[\d+\]`).ReplaceAllString(m[1], "")
	parts := strings.Split(path, ".")
	lines := strings.Split(d.Text, "\n")
	at := 0
	// Walk the path: each key is searched after the previous one's line.
	for _, key := range parts {
		keyRe := regexp.MustCompile(`(^|[\s{,-])` + regexp.QuoteMeta(key) + `\s*:`)
		found := -1
		for i := at; i < len(lines); i++ {
			if keyRe.MatchString(lines[i]) {
				found = i
				break
			}
		}
		if found < 0 {
			break
		}
		at = found
	}
	return d.Line + at
}

// LineOf returns the line of d that an API error message points at.
func LineOf(d Doc, msg string) int { return d.lineOf(msg) }
