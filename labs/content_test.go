package labs_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kubelab/kubelab/labs"
)

func TestCourseContentLoads(t *testing.T) {
	cat, err := labs.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Labs) < 15 {
		t.Fatalf("only %d labs", len(cat.Labs))
	}
	for _, want := range []string{"pod-basics", "services", "control-loop", "nodes-zones", "scheduling-resources",
		"taints-tolerations", "volumes", "namespaces", "config-secrets", "workloads", "rolling-update",
		"custom-resources", "kubectl-activity"} {
		if cat.Lab(want) == nil {
			t.Errorf("lab %s is missing", want)
		}
	}
	act := cat.Lab("kubectl-activity")
	var ids []string
	for _, s := range act.Steps {
		ids = append(ids, s.ID)
	}
	if got := strings.Join(ids, ","); got != "create-namespace,list-namespaces,apply-deployment,get-pods-default,get-pods-my-ns" {
		t.Fatalf("kubectl-activity steps are %s", got)
	}
	for i := 1; i < len(cat.Labs); i++ {
		if cat.Labs[i-1].Order > cat.Labs[i].Order {
			t.Fatal("labs are not in course order")
		}
	}
}

const goodLab = `id: demo
order: 1
kind: lab
part: objects
title: {ko: "데모", en: "Demo"}
summary: {ko: "요약", en: "Summary"}
steps:
  - id: one
    title: {ko: "하나", en: "One"}
    diagram: cluster-map
    text: {ko: "본문", en: "Text"}
    checks:
      - id: ns
        resource: {apiVersion: v1, kind: Namespace, name: my-ns}
        expr: "object.status.phase == 'Active'"
        message: {ko: "없음", en: "missing"}
    solution:
      - kubectl: "kubectl create namespace my-ns"
`

func TestLintCatchesBadContent(t *testing.T) {
	if _, err := labs.LoadFS(fstest.MapFS{"demo/lab.yaml": {Data: []byte(goodLab)}}); err != nil {
		t.Fatalf("a valid lab was refused: %v", err)
	}
	cases := map[string]struct{ from, to, want string }{
		"missing english":  {`text: {ko: "본문", en: "Text"}`, `text: {ko: "본문"}`, "needs both ko and en"},
		"bad CEL":          {`object.status.phase == 'Active'`, `object.status.phase ==`, "expr"},
		"unknown field":    {`diagram: cluster-map`, "diagram: cluster-map\n    colour: red", "unknown field"},
		"unknown diagram":  {`diagram: cluster-map`, `diagram: pie-chart`, "unknown diagram"},
		"id and folder":    {`id: demo`, `id: other`, "differs from its folder"},
		"no solution":      {"    solution:\n      - kubectl: \"kubectl create namespace my-ns\"\n", "", "without a solution"},
		"mistake target":   {"    solution:", "    mistakes:\n      - {name: {ko: a, en: b}, fails: nope, contains: x}\n    solution:", "unknown check"},
		"upper-case id":    {`id: one`, `id: One`, "malformed"},
		"kind of page":     {`kind: lab`, `kind: video`, "neither lab nor concept"},
		"message language": {`message: {ko: "없음", en: "missing"}`, `message: {en: "missing"}`, "message needs both"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			bad := strings.Replace(goodLab, c.from, c.to, 1)
			if bad == goodLab {
				t.Fatalf("test case did not change the lab")
			}
			_, err := labs.LoadFS(fstest.MapFS{"demo/lab.yaml": {Data: []byte(bad)}})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error containing %q, got %v", c.want, err)
			}
		})
	}
}

func FuzzParseLab(f *testing.F) {
	f.Add([]byte(goodLab))
	f.Add([]byte("a: &a [*a, *a]\nb: *a"))
	f.Add([]byte("steps: [{checks: [{expr: 'objects.all(x, x == x)'}]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Parsing any input returns a lab or an error; it never panics or hangs.
		_, _ = labs.Parse(data)
		_, _ = labs.LoadFS(fstest.MapFS{"x/lab.yaml": {Data: data}})
	})
}

// TestLintRejectsGlossaryVariants: every forbidden variant of the Korean
// glossary, anywhere in a lab's Korean text, is a content problem.
func TestLintRejectsGlossaryVariants(t *testing.T) {
	g, err := labs.LoadGlossary()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, term := range g.Terms {
		for _, bad := range term.Forbidden {
			n++
			for _, where := range []struct{ from, to string }{
				{`text: {ko: "본문", en: "Text"}`, `text: {ko: "본문의 ` + bad + `입니다", en: "Text"}`},
				{`message: {ko: "없음", en: "missing"}`, `message: {ko: "` + bad + ` 없음", en: "missing"}`},
				{`title: {ko: "데모", en: "Demo"}`, `title: {ko: "` + bad + `", en: "Demo"}`},
			} {
				lab := strings.Replace(goodLab, where.from, where.to, 1)
				_, err := labs.LoadFS(fstest.MapFS{"demo/lab.yaml": {Data: []byte(lab)}})
				if err == nil || !strings.Contains(err.Error(), `uses "`+bad+`"`) || !strings.Contains(err.Error(), term.Ko) {
					t.Errorf("%q in %s: want a glossary problem naming %q, got %v", bad, where.to, term.Ko, err)
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d forbidden variants in the glossary", n)
	}
	// An allowed phrase is not flagged.
	if got := g.Check("YAML 주석은 #으로 시작합니다"); len(got) != 0 {
		t.Errorf("an allowed phrase was flagged: %v", got)
	}
	if _, err := labs.ParseGlossary([]byte("terms:\n  - {en: pod, ko: 파드, forbidden: [파드]}\n")); err == nil {
		t.Error("a term that forbids itself was accepted")
	}
}
