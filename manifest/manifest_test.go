package manifest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/manifest"
)

func TestParse(t *testing.T) {
	docs, errs := manifest.Parse(`# a comment
apiVersion: v1
kind: Namespace
metadata:
  name: my-ns
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deploy
  namespace: my-ns
spec:
  replicas: 2
---
`)
	if len(errs) != 0 || len(docs) != 2 {
		t.Fatalf("docs %d errs %v", len(docs), errs)
	}
	if docs[1].Line != 7 || docs[1].Object.GetKind() != "Deployment" {
		t.Fatalf("second document starts at line %d (%s)", docs[1].Line, docs[1].Object.GetKind())
	}
}

func TestParseErrorsPointAtTheLine(t *testing.T) {
	cases := []struct {
		text string
		line int
		want string
	}{
		{"apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: indent\n", 5, ""},
		{"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {name: b}\n", 5, "kind is missing"},
		{"kind: Pod\nmetadata: {name: a}\n", 1, "apiVersion is missing"},
		{"apiVersion: v1\nkind: Pod\n", 1, "metadata.name is missing"},
		{"- just\n- a list\n", 1, ""},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("line %d %s", c.line, c.want), func(t *testing.T) {
			_, errs := manifest.Parse(c.text)
			if len(errs) == 0 {
				t.Fatalf("no error for %q", c.text)
			}
			if errs[0].Line != c.line || !strings.Contains(errs[0].Message, c.want) {
				t.Errorf("%q: got line %d %q, want line %d containing %q", c.text, errs[0].Line, errs[0].Message, c.line, c.want)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	if _, errs := manifest.Parse(strings.Repeat("#", manifest.MaxBytes+1)); len(errs) == 0 {
		t.Fatal("oversized text accepted")
	}
	many := strings.Repeat("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n", manifest.MaxDocuments+1)
	if _, errs := manifest.Parse(many); len(errs) == 0 || !strings.Contains(errs[0].Message, "at most") {
		t.Fatalf("too many documents accepted: %v", errs)
	}
	bomb := "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" +
		"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n" +
		"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	if _, errs := manifest.Parse(bomb); len(errs) == 0 {
		t.Fatal("alias bomb accepted")
	}
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	if _, errs := manifest.Parse(deep); len(errs) == 0 {
		t.Fatal("deeply nested document accepted")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n")
	f.Add("a: &a [*a]\n")
	f.Add("---\n---\n- x\n")
	f.Add("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"j\"}}")
	f.Fuzz(func(t *testing.T, text string) {
		docs, errs := manifest.Parse(text)
		for _, d := range docs {
			if d.Object.GetAPIVersion() == "" || d.Object.GetKind() == "" || d.Line < 1 {
				t.Fatalf("accepted an object without apiVersion/kind/line: %+v", d)
			}
		}
		for _, e := range errs {
			if e.Line < 0 {
				t.Fatalf("negative line %d", e.Line)
			}
		}
	})
}

func TestErrorLines(t *testing.T) {
	docs, _ := manifest.Parse("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  labels: {a: b}\n  name: accountLogin\nstringData: {a: b}\n")
	d := docs[1]
	cases := map[string]int{
		`Secret "accountLogin" is invalid: metadata.name: Invalid value: "accountLogin": a lowercase RFC 1123 subdomain`: 9,
		`.stringData.zzz: field not declared in schema`:                                                                  10,
		`something else entirely`: 5,
	}
	for msg, want := range cases {
		if got := manifest.LineOf(d, msg); got != want {
			t.Errorf("%q: line %d, want %d", msg, got, want)
		}
	}
}
