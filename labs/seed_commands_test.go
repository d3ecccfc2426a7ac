package labs_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/console"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/text"
)

// seedFence finds the kubectl code blocks of a step's text: the commands
// the page offers to run in the console.
var seedFence = regexp.MustCompile("(?s)```kubectl\\n(.*?)```")

// TestSeedCommandsRunInTheConsole: every command a lab offers to run in the
// console (its kubectl blocks, in both languages) is accepted by the
// console, except placeholders such as <name> for the learner to fill in.
// What the console refuses (apply -f) is shown as prose and explained.
func TestSeedCommandsRunInTheConsole(t *testing.T) {
	cat, err := labs.Load()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, lab := range cat.Labs {
		for _, st := range lab.Steps {
			for _, lang := range text.Langs {
				for _, m := range seedFence.FindAllStringSubmatch(st.Text.Pick(lang), -1) {
					for _, line := range strings.Split(m[1], "\n") {
						line = strings.TrimSpace(line)
						if !strings.HasPrefix(line, "kubectl ") || strings.ContainsAny(line, "<>") {
							continue
						}
						n++
						if _, err := console.Parse(line); err != nil {
							t.Errorf("%s/%s (%s): the console refuses %q: %v", lab.ID, st.ID, lang, line, err)
						}
					}
				}
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d seed commands found", n)
	}
	t.Logf("%d seed commands accepted by the console", n)
}
