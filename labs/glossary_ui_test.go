package labs_test

import (
	"os"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/text"
)

// TestUIStringsFollowTheGlossary: the Korean words of every fixed UI string
// (web/i18n.yaml: the pages' and, through the generated table, the
// diagrams' and console's) and of the packages' messages (the console's
// refusals and notes, console/messages.yaml; the grader's, labs/messages.yaml)
// use the glossary's terms, as the labs and quizzes do (Pod, not 파드).
func TestUIStringsFollowTheGlossary(t *testing.T) {
	g, err := labs.LoadGlossary()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../web/i18n.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ui map[string]text.Text
	if err := yaml.Unmarshal(data, &ui); err != nil {
		t.Fatalf("web/i18n.yaml: %v", err)
	}
	if len(ui) < 450 {
		t.Fatalf("only %d UI strings found", len(ui))
	}
	// The check must see a string that breaks the glossary.
	ui["a string that breaks the glossary"] = text.New("파드 목록", "Pod list")
	for k, v := range ui {
		problems := g.Check(v.Ko)
		if k == "a string that breaks the glossary" {
			if len(problems) == 0 {
				t.Errorf("the glossary check passes %q", v.Ko)
			}
			continue
		}
		for _, p := range problems {
			t.Errorf("web/i18n.yaml %s: %s", k, p)
		}
	}
	for _, file := range []string{"console/messages.yaml", "labs/messages.yaml"} {
		m, err := text.Load(os.DirFS(".."), file)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range m {
			for _, p := range g.Check(v.Ko) {
				t.Errorf("%s %s: %s", file, k, p)
			}
		}
	}
}
