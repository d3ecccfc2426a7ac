package labs_test

import (
	"os"
	"regexp"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kubelab/kubelab/labs"
)

// TestUIStringsFollowTheGlossary: the Korean words of the pages (web/i18n.yaml)
// and of the diagrams and console (assets/static/js/i18n.js) use the
// glossary's terms, as the labs and quizzes do (Pod, not 파드).
func TestUIStringsFollowTheGlossary(t *testing.T) {
	g, err := labs.LoadGlossary()
	if err != nil {
		t.Fatal(err)
	}
	ko := map[string]string{}
	data, err := os.ReadFile("../web/i18n.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var pages map[string]struct {
		Ko string `json:"ko"`
	}
	if err := yaml.Unmarshal(data, &pages); err != nil {
		t.Fatalf("web/i18n.yaml: %v", err)
	}
	for k, v := range pages {
		ko["web/i18n.yaml "+k] = v.Ko
	}
	data, err = os.ReadFile("../assets/static/js/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	entry := regexp.MustCompile(`'([\w.]+)':\s*\['((?:[^'\\]|\\.)*)',`)
	for _, m := range entry.FindAllStringSubmatch(string(data), -1) {
		ko["i18n.js "+m[1]] = m[2]
	}
	if len(ko) < 300 {
		t.Fatalf("only %d Korean UI strings found", len(ko))
	}
	for where, s := range ko {
		for _, p := range g.Check(s) {
			t.Errorf("%s: %s", where, p)
		}
	}
}
