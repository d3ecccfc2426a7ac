// Command kubelab is the kubelab server and its tools: the learner's lab in
// a browser, sandbox clusters, an embedded kubectl and the lab grader.
package main

import (
	"fmt"
	"os"

	"github.com/kubelab/kubelab/console"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "kubectl" {
		os.Exit(runKubectl(os.Args[1:]))
	}
	if len(os.Args) > 1 && os.Args[1] == console.WorkerArg {
		os.Exit(serveKubectl())
	}
	if err := rootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "kubelab:", err)
		os.Exit(1)
	}
}
