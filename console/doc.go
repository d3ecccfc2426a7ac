// Package console is the back end of the browser kubectl console: it turns
// the line a learner types into kubectl arguments without any shell, refuses
// whatever could reach beyond the learner's own sandbox cluster (other
// programs, shell operators, other clusters or credentials, files on the
// server, terminals), and runs the kubectl that is built into kubelab
// against the sandbox's kubeconfig with a clean environment, a time limit
// and an output cap. A sandbox's commands run one after another in a
// kubectl worker process kept for its kubeconfig (worker.go), so that a
// command costs kubectl's work and not the start of a kubelab process. For
// a class that arrives at once, workers are started ahead as spares and
// bound to a sandbox when it needs one (spare.go).
//
// Typical use:
//
//	argv, err := console.Parse(line)
//	if err != nil {
//		var e *console.Error // errors.As(err, &e): show e.Pick(lang)
//		...
//	}
//	res := runner.Run(ctx, sandboxKubeconfig, argv)
package console
