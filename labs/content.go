// Package labs holds the course's hands-on labs as data (content/<id>/lab.yaml)
// and grades them against a learner's live cluster.
//
// A step's checks are CEL expressions over the cluster's objects, in the
// style of Kubernetes' ValidatingAdmissionPolicy, plus what happened in the
// cluster and what the learner typed in the console. docs/content-format.md
// describes the format.
package labs

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kubelab/kubelab/text"
)

//go:embed content
var contentFS embed.FS

// Lab is one lab or concept page.
type Lab struct {
	ID      string    `json:"id"`
	Order   int       `json:"order"`
	Kind    string    `json:"kind"`
	Part    string    `json:"part"`
	Title   text.Text `json:"title"`
	Summary text.Text `json:"summary"`
	Sources []string  `json:"sources"`
	Quiz    string    `json:"quiz,omitempty"`
	Steps   []Step    `json:"steps"`
}

// Step is one step of a lab.
type Step struct {
	ID       string    `json:"id"`
	Title    text.Text `json:"title"`
	Diagram  string    `json:"diagram"`
	Text     text.Text `json:"text"`
	Checks   []Check   `json:"checks,omitempty"`
	Solution []Action  `json:"solution,omitempty"`
	Mistakes []Mistake `json:"mistakes,omitempty"`
}

// Check is one condition of a step.
type Check struct {
	ID       string    `json:"id"`
	Resource *Resource `json:"resource,omitempty"`
	Expr     string    `json:"expr,omitempty"`
	// Command, instead of Expr, passes when one of the learner's console
	// commands matches (see CommandMatch).
	Command           CommandMatches `json:"command,omitempty"`
	Message           text.Text      `json:"message"`
	MessageExpression *text.Text     `json:"messageExpression,omitempty"`
	Hint              text.Text      `json:"hint"`
}

// Resource selects the objects a check reads.
type Resource struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	Selector   string `json:"selector,omitempty"`
}

// Describe names the selected objects for messages, e.g. "Pod webapp in namespace default".
func (r Resource) Describe(lang string) string {
	what := r.Kind
	if r.Name != "" {
		what += " " + r.Name
	}
	if r.Selector != "" {
		what += " (" + r.Selector + ")"
	}
	if r.Namespace != "" {
		if lang == "ko" {
			return r.Namespace + " 네임스페이스의 " + what
		}
		return what + " in namespace " + r.Namespace
	}
	return what
}

// Action is one thing a reference solution or a mistake does.
type Action struct {
	Kubectl string  `json:"kubectl,omitempty"`
	Apply   string  `json:"apply,omitempty"`
	Wait    float64 `json:"wait,omitempty"`
}

// Mistake is a realistic wrong attempt, kept to test the checks.
type Mistake struct {
	Name     text.Text `json:"name"`
	Do       []Action  `json:"do"`
	Fails    string    `json:"fails"`
	Contains string    `json:"contains"`
	Undo     []Action  `json:"undo"`
}

// Catalog is the whole course's labs, in order.
type Catalog struct {
	Labs     []*Lab
	byID     map[string]*Lab
	eval     *evaluator
	glossary *Glossary
}

// Glossary returns the course's Korean glossary, which the content lint
// applies to labs and quizzes.
func (c *Catalog) Glossary() *Glossary { return c.glossary }

// Lab returns the lab with the given id, or nil.
func (c *Catalog) Lab(id string) *Lab { return c.byID[id] }

// Step returns the step with the given id, or nil.
func (l *Lab) Step(id string) *Step {
	for i := range l.Steps {
		if l.Steps[i].ID == id {
			return &l.Steps[i]
		}
	}
	return nil
}

// Graded reports whether the step has checks (reading steps have none).
func (s *Step) Graded() bool { return len(s.Checks) > 0 }

var idRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// Load reads and lints the built-in course content.
func Load() (*Catalog, error) {
	sub, err := fs.Sub(contentFS, "content")
	if err != nil {
		return nil, fmt.Errorf("labs: %w", err)
	}
	return LoadFS(sub)
}

// LoadFS reads labs from fsys (one folder per lab with a lab.yaml), lints
// them and compiles every check.
func LoadFS(fsys fs.FS) (*Catalog, error) {
	files, err := fs.Glob(fsys, "*/lab.yaml")
	if err != nil {
		return nil, fmt.Errorf("labs: %w", err)
	}
	ev, err := newEvaluator()
	if err != nil {
		return nil, err
	}
	gl, err := LoadGlossary()
	if err != nil {
		return nil, err
	}
	c := &Catalog{byID: map[string]*Lab{}, eval: ev, glossary: gl}
	var problems []string
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("labs: read %s: %w", f, err)
		}
		lab, err := Parse(data)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		if dir := path.Dir(f); lab.ID != dir {
			problems = append(problems, fmt.Sprintf("%s: id %q differs from its folder %q", f, lab.ID, dir))
		}
		if c.byID[lab.ID] != nil {
			problems = append(problems, fmt.Sprintf("%s: lab id %q used twice", f, lab.ID))
		}
		for _, p := range lint(lab) {
			problems = append(problems, fmt.Sprintf("%s: %s", f, p))
		}
		texts := koTexts(lab)
		where := make([]string, 0, len(texts))
		for w := range texts {
			where = append(where, w)
		}
		sort.Strings(where)
		for _, w := range where {
			for _, p := range gl.Check(texts[w]) {
				problems = append(problems, fmt.Sprintf("%s: %s: %s", f, w, p))
			}
		}
		for _, p := range ev.compileLab(lab) {
			problems = append(problems, fmt.Sprintf("%s: %s", f, p))
		}
		c.byID[lab.ID] = lab
		c.Labs = append(c.Labs, lab)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("labs: content has %d problem(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	sort.SliceStable(c.Labs, func(i, j int) bool { return c.Labs[i].Order < c.Labs[j].Order })
	return c, nil
}

// maxLabBytes bounds one lab file.
const maxLabBytes = 1 << 20

// Parse reads one lab.yaml strictly (unknown fields are errors).
func Parse(data []byte) (*Lab, error) {
	if len(data) > maxLabBytes {
		return nil, fmt.Errorf("lab file is %d bytes, over the %d limit", len(data), maxLabBytes)
	}
	var lab Lab
	if err := yaml.UnmarshalStrict(data, &lab); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	return &lab, nil
}

var diagrams = map[string]bool{"": true, "none": true, "cluster-map": true, "control-loop": true, "service-routing": true,
	"rolling-update": true, "why-pending": true, "why-here": true, "timeline": true, "architecture": true}

func lint(l *Lab) []string {
	var p []string
	add := func(f string, a ...any) { p = append(p, fmt.Sprintf(f, a...)) }
	if !idRe.MatchString(l.ID) {
		add("lab id %q is not lowercase letters, digits and dashes", l.ID)
	}
	if l.Kind != "lab" && l.Kind != "concept" {
		add("kind %q is neither lab nor concept", l.Kind)
	}
	both := func(what string, t text.Text) {
		if strings.TrimSpace(t.Ko) == "" || strings.TrimSpace(t.En) == "" {
			add("%s needs both ko and en text", what)
		}
	}
	both("title", l.Title)
	both("summary", l.Summary)
	if len(l.Steps) == 0 {
		add("no steps")
	}
	steps := map[string]bool{}
	for _, s := range l.Steps {
		where := "step " + s.ID
		if !idRe.MatchString(s.ID) || steps[s.ID] {
			add("%s: id missing, malformed or repeated", where)
		}
		steps[s.ID] = true
		both(where+" title", s.Title)
		both(where+" text", s.Text)
		if !diagrams[s.Diagram] {
			add("%s: unknown diagram %q", where, s.Diagram)
		}
		checks := map[string]bool{}
		for _, c := range s.Checks {
			if c.ID == "" || checks[c.ID] {
				add("%s: check id missing or repeated", where)
			}
			checks[c.ID] = true
			switch {
			case len(c.Command) > 0 && (strings.TrimSpace(c.Expr) != "" || c.Resource != nil):
				add("%s check %s: a command check has no expr or resource", where, c.ID)
			case len(c.Command) > 0:
				for _, q := range lintCommand(c.Command) {
					add("%s check %s: %s", where, c.ID, q)
				}
			case strings.TrimSpace(c.Expr) == "":
				add("%s check %s: no expr", where, c.ID)
			case usesCommands(c.Expr):
				add("%s check %s: expr reads `commands`: match console commands with a structured `command:` instead", where, c.ID)
			}
			if c.MessageExpression == nil {
				both(where+" check "+c.ID+" message", c.Message)
			} else if c.MessageExpression.Ko == "" || c.MessageExpression.En == "" {
				add("%s check %s: messageExpression needs ko and en", where, c.ID)
			}
			if r := c.Resource; r != nil && (r.APIVersion == "" || r.Kind == "") {
				add("%s check %s: resource needs apiVersion and kind", where, c.ID)
			}
		}
		if len(s.Checks) > 0 && len(s.Solution) == 0 {
			add("%s: graded step without a solution", where)
		}
		for _, m := range s.Mistakes {
			if !checks[m.Fails] {
				add("%s: mistake fails unknown check %q", where, m.Fails)
			}
		}
	}
	return p
}
