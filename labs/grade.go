package labs

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apiserver/pkg/cel/environment"

	"github.com/kubelab/kubelab/text"
)

// State is the live cluster as checks read it.
type State interface {
	// Get returns the object named by r (r.Name set), or nil if absent.
	Get(ctx context.Context, r Resource) (map[string]any, error)
	// List returns the objects r selects (r.Name empty).
	List(ctx context.Context, r Resource) ([]map[string]any, error)
}

// Activity is what happened since the learner opened the lab.
type Activity struct {
	// Events are watch events: type, kind, namespace, name, uid, labels,
	// ownerKind, ownerName.
	Events []map[string]any
	// Commands are the learner's console commands, oldest first.
	Commands []string
	// NoHistory says there is no console history (grading a cluster from
	// outside kubelab): checks that read `commands` are skipped.
	NoHistory bool
}

// CheckResult is one check's verdict.
type CheckResult struct {
	ID     string `json:"id"`
	Passed bool   `json:"passed"`
	// Skipped checks could not be graded here (see Activity.NoHistory);
	// they count as passed and say why.
	Skipped bool      `json:"skipped,omitempty"`
	Message text.Text `json:"message,omitempty"`
	Hint    text.Text `json:"hint,omitempty"`
}

// StepResult is one step's verdict: passed when every check passes, with
// partial credit Score = passed checks / checks.
type StepResult struct {
	ID     string        `json:"id"`
	Passed bool          `json:"passed"`
	Score  float64       `json:"score"`
	Checks []CheckResult `json:"checks"`
}

// Messages returns the failing checks' messages in lang.
func (r StepResult) Messages(lang string) []string {
	out := []string{}
	for _, c := range r.Checks {
		if !c.Passed || c.Skipped {
			out = append(out, c.Message.Pick(lang))
		}
	}
	return out
}

type evaluator struct {
	env   *cel.Env
	mu    sync.Mutex
	progs map[string]cel.Program
}

// costLimit bounds one expression's evaluation (as the API server does).
const costLimit = 1_000_000

func newEvaluator() (*evaluator, error) {
	set, err := environment.MustBaseEnvSet(version.MajorMinor(1, 37)).Extend(environment.VersionedOptions{
		IntroducedVersion: version.MajorMinor(1, 0),
		EnvOptions: []cel.EnvOption{
			cel.Variable("object", cel.DynType),
			cel.Variable("objects", cel.ListType(cel.DynType)),
			cel.Variable("events", cel.ListType(cel.DynType)),
			cel.Variable("commands", cel.ListType(cel.StringType)),
			ext.Encoders(),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("labs: CEL environment: %w", err)
	}
	env, err := set.Env(environment.StoredExpressions)
	if err != nil {
		return nil, fmt.Errorf("labs: CEL environment: %w", err)
	}
	return &evaluator{env: env, progs: map[string]cel.Program{}}, nil
}

// compile returns the program for expr, compiling it once.
func (e *evaluator) compile(expr string) (cel.Program, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.progs[expr]; ok {
		return p, nil
	}
	ast, iss := e.env.Compile(expr)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	p, err := e.env.Program(ast, cel.CostLimit(costLimit), cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, err
	}
	e.progs[expr] = p
	return p, nil
}

func (e *evaluator) compileLab(l *Lab) []string {
	var problems []string
	for _, s := range l.Steps {
		for _, c := range s.Checks {
			if c.ConsoleOnly() {
				continue
			}
			if _, err := e.compile(c.Expr); err != nil {
				problems = append(problems, fmt.Sprintf("step %s check %s: expr: %v", s.ID, c.ID, err))
			}
			if me := c.MessageExpression; me != nil {
				for _, x := range []string{me.Ko, me.En} {
					if _, err := e.compile(x); err != nil {
						problems = append(problems, fmt.Sprintf("step %s check %s: messageExpression: %v", s.ID, c.ID, err))
					}
				}
			}
		}
	}
	return problems
}

// Compile checks that expr is a valid check expression.
func (c *Catalog) Compile(expr string) error {
	_, err := c.eval.compile(expr)
	return err
}

// Eval evaluates any expression with the check variables; live quiz
// questions use it for their answers.
func (c *Catalog) Eval(ctx context.Context, expr string, r *Resource, state State, act Activity) (any, error) {
	vars, missing, err := c.vars(ctx, r, state, act)
	if err != nil {
		return nil, err
	}
	if missing {
		return nil, fmt.Errorf("%s not found", r.Describe("en"))
	}
	p, err := c.eval.compile(expr)
	if err != nil {
		return nil, err
	}
	out, _, err := p.ContextEval(ctx, vars)
	if err != nil {
		return nil, err
	}
	return out.Value(), nil
}

func (c *Catalog) vars(ctx context.Context, r *Resource, state State, act Activity) (map[string]any, bool, error) {
	events := make([]any, len(act.Events))
	for i, e := range act.Events {
		events[i] = e
	}
	vars := map[string]any{"object": nil, "objects": []any{}, "events": events, "commands": act.Commands}
	if r == nil {
		return vars, false, nil
	}
	if r.Name != "" {
		obj, err := state.Get(ctx, *r)
		if err != nil {
			return nil, false, err
		}
		if obj == nil {
			return vars, true, nil
		}
		vars["object"] = obj
		return vars, false, nil
	}
	list, err := state.List(ctx, *r)
	if err != nil {
		return nil, false, err
	}
	objs := make([]any, len(list))
	for i, o := range list {
		objs[i] = o
	}
	vars["objects"] = objs
	return vars, false, nil
}

// GradeStep evaluates a step's checks against the cluster state and the
// learner's activity.
func (c *Catalog) GradeStep(ctx context.Context, s *Step, state State, act Activity) StepResult {
	res := StepResult{ID: s.ID, Checks: make([]CheckResult, 0, len(s.Checks))}
	passed := 0
	for _, ch := range s.Checks {
		cr := c.gradeCheck(ctx, ch, state, act)
		if cr.Passed {
			passed++
		} else {
			cr.Hint = ch.Hint
		}
		res.Checks = append(res.Checks, cr)
	}
	if len(s.Checks) > 0 {
		res.Score = float64(passed) / float64(len(s.Checks))
		res.Passed = passed == len(s.Checks)
	}
	return res
}

// GradeLab grades every graded step of a lab.
func (c *Catalog) GradeLab(ctx context.Context, l *Lab, state State, act Activity) []StepResult {
	var out []StepResult
	for i := range l.Steps {
		if l.Steps[i].Graded() {
			out = append(out, c.GradeStep(ctx, &l.Steps[i], state, act))
		}
	}
	return out
}

func (c *Catalog) gradeCheck(ctx context.Context, ch Check, state State, act Activity) CheckResult {
	cr := CheckResult{ID: ch.ID}
	if act.NoHistory && (ch.ConsoleOnly() || usesCommands(ch.Expr)) {
		cr.Passed, cr.Skipped = true, true
		cr.Message = msg("skipped-no-history").Format(ch.ID)
		return cr
	}
	if ch.ConsoleOnly() {
		cr.Passed = matchCommands(ch.Command, act.Commands)
		if !cr.Passed {
			cr.Message = ch.Message
		}
		return cr
	}
	vars, missing, err := c.vars(ctx, ch.Resource, state, act)
	if err != nil {
		cr.Message = msg("cluster-unreadable").Format(err)
		return cr
	}
	if missing {
		r := ch.Resource
		cr.Message = msg("not-found").Format(text.New(r.Describe("ko"), r.Describe("en")))
		if !ch.Message.Empty() {
			cr.Message = text.Join(" — ", cr.Message, ch.Message)
		}
		return cr
	}
	p, err := c.eval.compile(ch.Expr)
	if err != nil {
		cr.Message = msg("expression-error").Format(err)
		return cr
	}
	out, _, err := p.ContextEval(ctx, vars)
	if err == nil {
		if b, ok := out.Value().(bool); ok && b {
			cr.Passed = true
			return cr
		}
	}
	cr.Message = ch.Message
	if me := ch.MessageExpression; me != nil {
		cr.Message = text.Text{Ko: c.message(ctx, me.Ko, vars, ch.Message.Ko), En: c.message(ctx, me.En, vars, ch.Message.En)}
	}
	return cr
}

func (c *Catalog) message(ctx context.Context, expr string, vars map[string]any, fallback string) string {
	p, err := c.eval.compile(expr)
	if err != nil {
		return fallback
	}
	out, _, err := p.ContextEval(ctx, vars)
	if err != nil {
		return fallback
	}
	if s, ok := out.Value().(string); ok && strings.TrimSpace(s) != "" {
		return s
	}
	return fallback
}

var commandsRe = regexp.MustCompile(`\bcommands\b`)

func usesCommands(expr string) bool { return commandsRe.MatchString(expr) }
