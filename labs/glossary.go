package labs

import (
	_ "embed"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

//go:embed glossary.yaml
var glossaryYAML []byte

// Glossary is the course's Korean terms, one per concept (glossary.yaml).
type Glossary struct {
	Terms []Term `json:"terms"`
}

// Term is one concept's Korean term and the variants the lint rejects.
type Term struct {
	En        string   `json:"en"`
	Ko        string   `json:"ko"`
	Forbidden []string `json:"forbidden"`
	// Allow lists phrases that contain a forbidden variant with another
	// meaning.
	Allow []string `json:"allow,omitempty"`
}

// LoadGlossary reads the built-in glossary.
func LoadGlossary() (*Glossary, error) {
	return ParseGlossary(glossaryYAML)
}

// ParseGlossary reads a glossary strictly.
func ParseGlossary(data []byte) (*Glossary, error) {
	var g Glossary
	if err := yaml.UnmarshalStrict(data, &g); err != nil {
		return nil, fmt.Errorf("labs: glossary: %w", err)
	}
	for _, t := range g.Terms {
		if t.Ko == "" || t.En == "" || len(t.Forbidden) == 0 {
			return nil, fmt.Errorf("labs: glossary: term %q needs en, ko and forbidden variants", t.En)
		}
		for _, f := range t.Forbidden {
			if strings.Contains(t.Ko, f) {
				return nil, fmt.Errorf("labs: glossary: term %q forbids %q, which its own term contains", t.Ko, f)
			}
		}
	}
	return &g, nil
}

// Check lists the forbidden variants in a Korean text, each with the term
// to use instead.
func (g *Glossary) Check(ko string) []string {
	var out []string
	for _, t := range g.Terms {
		text := ko
		for _, a := range t.Allow {
			text = strings.ReplaceAll(text, a, "")
		}
		for _, f := range t.Forbidden {
			if strings.Contains(text, f) {
				out = append(out, fmt.Sprintf("Korean text uses %q: the glossary's term for %s is %q", f, t.En, t.Ko))
			}
		}
	}
	return out
}

// koTexts lists a lab's Korean texts with where they are.
func koTexts(l *Lab) map[string]string {
	m := map[string]string{"title": l.Title.Ko, "summary": l.Summary.Ko}
	for _, s := range l.Steps {
		w := "step " + s.ID
		m[w+" title"] = s.Title.Ko
		m[w+" text"] = s.Text.Ko
		for _, c := range s.Checks {
			m[w+" check "+c.ID+" message"] = c.Message.Ko
			m[w+" check "+c.ID+" hint"] = c.Hint.Ko
			if c.MessageExpression != nil {
				m[w+" check "+c.ID+" messageExpression"] = c.MessageExpression.Ko
			}
		}
		for i, mi := range s.Mistakes {
			m[fmt.Sprintf("%s mistake %d name", w, i+1)] = mi.Name.Ko
		}
	}
	return m
}
