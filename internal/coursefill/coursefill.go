// Package coursefill puts into a sandbox what a learner has there at the
// end of the course: every lab's reference solution, and optionally the
// documentation examples of a corpus, each in a namespace of its own. The
// sandbox benchmarks and the memory tests measure a sandbox filled this way.
package coursefill

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kubelab/kubelab/console"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/manifest"
)

// Result counts what was done and what the cluster refused (some of it on
// purpose: a later lab may reuse an earlier lab's names).
type Result struct {
	Actions int
	Errors  []string
}

// Course runs every lab's reference solution, lab after lab, as a learner
// would: console commands through the console's parser and runner
// (binary is the kubelab executable), manifests through the editor's apply.
func Course(ctx context.Context, rc *rest.Config, kubeconfig, binary string) (Result, error) {
	var res Result
	cat, err := labs.Load()
	if err != nil {
		return res, fmt.Errorf("coursefill: %w", err)
	}
	cs, err := labs.NewClusterState(rc)
	if err != nil {
		return res, fmt.Errorf("coursefill: %w", err)
	}
	runner := &console.Runner{Binary: binary}
	for _, lab := range cat.Labs {
		for _, st := range lab.Steps {
			for _, a := range st.Solution {
				res.Actions++
				switch {
				case a.Kubectl != "":
					argv, err := console.Parse(a.Kubectl)
					if err != nil {
						res.Errors = append(res.Errors, fmt.Sprintf("%s: console refused %q: %v", lab.ID, a.Kubectl, err))
						continue
					}
					if r := runner.Run(ctx, kubeconfig, argv); r.ExitCode != 0 {
						res.Errors = append(res.Errors, fmt.Sprintf("%s: %s: %s", lab.ID, a.Kubectl, strings.TrimSpace(r.Output)))
					}
				case a.Apply != "":
					docs, perrs := manifest.Parse(a.Apply)
					for _, e := range perrs {
						res.Errors = append(res.Errors, lab.ID+": "+e.Error())
					}
					for _, r := range manifest.Apply(ctx, cs.Dynamic(), cs, docs, false) {
						if r.Error != "" {
							res.Errors = append(res.Errors, lab.ID+": "+r.Object+": "+r.Error)
						}
					}
				}
				if a.Wait > 0 {
					time.Sleep(min(time.Duration(a.Wait*float64(time.Second)), time.Second))
				}
			}
		}
	}
	return res, nil
}

// Corpus applies each YAML file of dir with `kubelab kubectl apply`, each in
// a namespace of its own (corpus-1, corpus-2, ... in file name order).
func Corpus(ctx context.Context, kubeconfig, binary, dir string) (Result, error) {
	var res Result
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return res, fmt.Errorf("coursefill: %w", err)
	}
	if len(files) == 0 {
		return res, fmt.Errorf("coursefill: no YAML files in %s", dir)
	}
	sort.Strings(files)
	kubectl := func(args ...string) error {
		cmd := exec.CommandContext(ctx, binary, append([]string{"kubectl", "--kubeconfig=" + kubeconfig}, args...)...)
		cmd.Env = append(os.Environ(), "KUBECTL_KUBERC=false")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
		}
		return nil
	}
	for i, f := range files {
		ns := fmt.Sprintf("corpus-%d", i+1)
		res.Actions++
		if err := kubectl("create", "namespace", ns); err != nil && !strings.Contains(err.Error(), "AlreadyExists") {
			res.Errors = append(res.Errors, err.Error())
			continue
		}
		if err := kubectl("apply", "-n", ns, "-f", f); err != nil {
			res.Errors = append(res.Errors, err.Error())
		}
	}
	return res, nil
}
