// Command fill puts the whole course into a sandbox: every lab's reference
// solution, then the documentation corpus, each file in a namespace of its
// own (package coursefill). Use it before bench/heap.sh or any measurement
// of a sandbox "after the course":
//
//	go run ./bench/fill -kubeconfig DIR/kubeconfig [-corpus ../shared/corpus/k8s-docs-examples]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/kubelab/kubelab/internal/coursefill"
	"github.com/kubelab/kubelab/sandbox"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "the sandbox's kubeconfig")
	bin := flag.String("bin", "bin/kubelab", "the kubelab binary (its kubectl runs the commands)")
	corpus := flag.String("corpus", "../shared/corpus/k8s-docs-examples", "documentation examples ('' = none)")
	flag.Parse()
	rc, err := sandbox.RESTFromKubeconfig(*kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fill:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	res, err := coursefill.Course(ctx, rc, *kubeconfig, *bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fill:", err)
		os.Exit(1)
	}
	fmt.Printf("course: %d actions, %d refused\n", res.Actions, len(res.Errors))
	if *corpus != "" {
		res, err := coursefill.Corpus(ctx, *kubeconfig, *bin, *corpus)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fill:", err)
			os.Exit(1)
		}
		fmt.Printf("corpus: %d files, %d refused\n", res.Actions, len(res.Errors))
	}
}
