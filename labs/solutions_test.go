package labs_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kubelab/kubelab/console"
	"github.com/kubelab/kubelab/internal/testcluster"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/manifest"
	"github.com/kubelab/kubelab/watch"
)

// learnerSession plays a learner on a real sandbox: console commands go
// through the console's parser and runner, manifests through the editor's
// apply, and grading reads the watch cache as the server does.
type learnerSession struct {
	t        *testing.T
	c        *testcluster.Cluster
	w        *watch.Watcher
	cs       *labs.ClusterState
	runner   *console.Runner
	commands []string
	since    time.Time
}

func newSession(t *testing.T) *learnerSession {
	c := testcluster.New(t)
	w, err := watch.Start(context.Background(), c.REST)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	cs, err := labs.NewClusterState(c.REST)
	if err != nil {
		t.Fatal(err)
	}
	return &learnerSession{t: t, c: c, w: w, cs: cs, runner: &console.Runner{Binary: testcluster.Binary(t)},
		commands: []string{}, since: time.Now()}
}

// do runs actions; it returns the errors instead of failing, since some
// mistakes are manifests the API server rejects.
func (s *learnerSession) do(actions []labs.Action) []string {
	var errs []string
	for _, a := range actions {
		switch {
		case a.Kubectl != "":
			argv, err := console.Parse(a.Kubectl)
			if err != nil {
				errs = append(errs, fmt.Sprintf("console refused %q: %v", a.Kubectl, err))
				continue
			}
			s.commands = append(s.commands, a.Kubectl)
			res := s.runner.Run(context.Background(), s.c.Kubeconfig, argv)
			if res.ExitCode != 0 {
				errs = append(errs, fmt.Sprintf("%s: exit %d: %s", a.Kubectl, res.ExitCode, res.Output))
			}
		case a.Apply != "":
			docs, perrs := manifest.Parse(a.Apply)
			for _, e := range perrs {
				errs = append(errs, "parse: "+e.Error())
			}
			for _, r := range manifest.Apply(context.Background(), s.cs.Dynamic(), s.cs, docs, false) {
				if r.Error != "" {
					errs = append(errs, r.Object+": "+r.Error)
				}
			}
		}
		if a.Wait > 0 {
			time.Sleep(time.Duration(a.Wait * float64(time.Second)))
		}
	}
	return errs
}

func (s *learnerSession) grade(cat *labs.Catalog, st *labs.Step) labs.StepResult {
	act := labs.Activity{Events: s.w.Since(s.since), Commands: s.commands}
	return cat.GradeStep(context.Background(), st, s.w, act)
}

// until grades the step until ok says yes or the time is up.
func (s *learnerSession) until(cat *labs.Catalog, st *labs.Step, timeout time.Duration, ok func(labs.StepResult) bool) (labs.StepResult, bool) {
	deadline := time.Now().Add(timeout)
	for {
		r := s.grade(cat, st)
		if ok(r) {
			return r, true
		}
		if time.Now().After(deadline) {
			return r, false
		}
		time.Sleep(150 * time.Millisecond)
	}
}

func failing(r labs.StepResult, check string) (bool, string) {
	for _, c := range r.Checks {
		if c.ID == check {
			return !c.Passed, c.Message.En
		}
	}
	return false, ""
}

// TestReferenceSolutionsAndMistakes runs every lab on a fresh sandbox:
// each mistake must fail its check with the expected message, each
// reference solution must pass its step.
func TestReferenceSolutionsAndMistakes(t *testing.T) {
	if _, err := testcluster.BinaryPath(); err != nil {
		t.Fatal(err)
	}
	cat, err := labs.Load()
	if err != nil {
		t.Fatal(err)
	}
	only := os.Getenv("KUBELAB_LAB")
	for _, lab := range cat.Labs {
		graded := false
		for _, st := range lab.Steps {
			graded = graded || st.Graded()
		}
		if !graded || (only != "" && only != lab.ID) {
			continue
		}
		t.Run(lab.ID, func(t *testing.T) {
			s := newSession(t)
			for i := range lab.Steps {
				st := &lab.Steps[i]
				if !st.Graded() {
					continue
				}
				for _, m := range st.Mistakes {
					errs := s.do(m.Do)
					r, ok := s.until(cat, st, 25*time.Second, func(r labs.StepResult) bool {
						f, msg := failing(r, m.Fails)
						return f && strings.Contains(msg, m.Contains)
					})
					if !ok {
						_, msg := failing(r, m.Fails)
						t.Errorf("step %s, mistake %q: check %s should fail with %q; got message %q (action errors: %v)",
							st.ID, m.Name.En, m.Fails, m.Contains, msg, errs)
					}
					s.do(m.Undo)
				}
				if errs := s.do(st.Solution); len(errs) > 0 {
					t.Errorf("step %s: the reference solution failed to run: %v", st.ID, errs)
				}
				r, ok := s.until(cat, st, 45*time.Second, func(r labs.StepResult) bool { return r.Passed })
				if !ok {
					t.Errorf("step %s: the reference solution does not pass: %v", st.ID, r.Messages("en"))
				}
			}
		})
	}
}
