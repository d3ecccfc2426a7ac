package labs

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kubelab/kubelab/console"
)

// OneOf is one string or a list of strings in a lab file; a value matches
// when it equals any of them.
type OneOf []string

// UnmarshalJSON reads a string or a list of strings.
func (o *OneOf) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*o = OneOf{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*o = many
	return nil
}

func (o OneOf) has(v string) bool {
	for _, x := range o {
		if x == v {
			return true
		}
	}
	return false
}

// CommandMatch says which console command a check wants, read the way
// kubectl reads it (console.ParseCommand), never by the way it was typed.
// Empty fields match anything.
type CommandMatch struct {
	// Verb is kubectl's command: get, describe, config, api-resources, ...
	Verb OneOf `json:"verb"`
	// Subcommand of config, auth, rollout, set, top, create.
	Subcommand OneOf `json:"subcommand,omitempty"`
	// Resource is a resource type in any spelling kubectl accepts for a
	// built-in type (pods, po, Pod, deploy, ...); custom resources list
	// their spellings. A command naming several types (deploy,pods) or
	// all matches when one of them does.
	Resource OneOf `json:"resource,omitempty"`
	// Name is the object's name; a command that names no object (kubectl
	// describe pods) covers every name.
	Name string `json:"name,omitempty"`
	// Namespace the command must look in: -n/--namespace, or "default"
	// when none is given; "*" asks for -A/--all-namespaces.
	Namespace string `json:"namespace,omitempty"`
	// Output format (-o/--output, without a template): wide, yaml, ...
	Output OneOf `json:"output,omitempty"`
	// Flags the command must carry, by long name, with one of the listed
	// values (an empty list: any value).
	Flags map[string]OneOf `json:"flags,omitempty"`
}

// CommandMatches is one command match or a list of them: a check passes
// when any console command matches any of them.
type CommandMatches []CommandMatch

// UnmarshalJSON reads one match or a list.
func (m *CommandMatches) UnmarshalJSON(b []byte) error {
	if s := strings.TrimSpace(string(b)); strings.HasPrefix(s, "[") {
		var many []CommandMatch
		if err := json.Unmarshal(b, &many); err != nil {
			return fmt.Errorf("command: %w", err)
		}
		*m = many
		return nil
	}
	var one CommandMatch
	if err := json.Unmarshal(b, &one); err != nil {
		return fmt.Errorf("command: %w", err)
	}
	*m = CommandMatches{one}
	return nil
}

// Matches reports whether the parsed command c is what m asks for.
func (m CommandMatch) Matches(c *console.Command) bool {
	if len(m.Verb) > 0 && !m.Verb.has(c.Verb) {
		return false
	}
	if len(m.Subcommand) > 0 && !m.Subcommand.has(c.Sub) {
		return false
	}
	switch m.Namespace {
	case "":
	case "*":
		if !c.AllNamespaces {
			return false
		}
	default:
		if c.AllNamespaces || c.EffectiveNamespace() != m.Namespace {
			return false
		}
	}
	if len(m.Output) > 0 && !m.Output.has(c.Output) {
		return false
	}
	for name, values := range m.Flags {
		v, ok := c.Flags[name]
		if !ok || len(values) > 0 && !values.has(v) {
			return false
		}
	}
	if len(m.Resource) == 0 && m.Name == "" {
		return true
	}
	for _, t := range c.Targets {
		if len(m.Resource) > 0 && !m.resourceIs(t.Resource) {
			continue
		}
		if m.Name == "" || len(t.Names) == 0 {
			return true
		}
		for _, n := range t.Names {
			if n == m.Name {
				return true
			}
		}
	}
	return false
}

func (m CommandMatch) resourceIs(r string) bool {
	for _, want := range m.Resource {
		if console.ResolveResource(want) == r {
			return true
		}
	}
	return false
}

// matchCommands reports whether any console line matches any of ms. Lines
// the console refuses never ran, so they never match.
func matchCommands(ms CommandMatches, lines []string) bool {
	for _, line := range lines {
		c, err := console.ParseCommand(line)
		if err != nil {
			continue
		}
		for _, m := range ms {
			if m.Matches(c) {
				return true
			}
		}
	}
	return false
}

// lintCommand checks a command match for mistakes an author would make.
func lintCommand(ms CommandMatches) []string {
	var p []string
	for _, m := range ms {
		if len(m.Verb) == 0 {
			p = append(p, "command match needs a verb")
		}
		for _, v := range m.Verb {
			if v != strings.ToLower(v) || strings.ContainsAny(v, " \\^$*()[]|") {
				p = append(p, fmt.Sprintf("command verb %q is not a kubectl command (structured matches, never patterns)", v))
			}
		}
		for _, r := range m.Resource {
			if strings.ContainsAny(r, " \\^$*()[]|") {
				p = append(p, fmt.Sprintf("command resource %q is a pattern, not a type", r))
			}
		}
	}
	return p
}

// ConsoleOnly reports whether the check reads the kubelab console history:
// a learner working with their own kubectl (local mode) cannot pass it.
func (c Check) ConsoleOnly() bool { return len(c.Command) > 0 }

// ConsoleOnly reports whether any of the step's checks is console-only.
func (s *Step) ConsoleOnly() bool {
	for _, c := range s.Checks {
		if c.ConsoleOnly() {
			return true
		}
	}
	return false
}
