package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	_ "unsafe" // go:linkname, see flagCompletionFunctions

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/component-base/cli"
	"k8s.io/klog/v2"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/kubelab/kubelab/console"
)

// runKubectl runs the kubectl built into kubelab, with args[0] == "kubectl".
// It has no plugin handler: `kubelab kubectl foo` never runs a program
// called kubectl-foo. The browser console runs kubectl only through this,
// in a process of its own or in a console worker (serveKubectl).
func runKubectl(args []string) int {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	cmd := kubectlcmd.NewDefaultKubectlCommandWithArgs(kubectlcmd.KubectlOptions{
		Arguments:   args,
		ConfigFlags: genericclioptions.NewConfigFlags(true).WithDeprecatedPasswordFlag().WithDiscoveryBurst(300).WithDiscoveryQPS(50.0).WithWarningPrinter(streams),
		IOStreams:   streams,
	})
	cmd.SetArgs(args[1:])
	if err := cli.RunNoErrOutput(cmd); err != nil {
		// Prints kubectl's own error text and exits with its exit code.
		cmdutil.CheckErr(err)
	}
	return 0
}

// serveKubectl is `kubelab kubectl-worker`: the browser console's commands
// of one sandbox, one after another in this process (console.ServeWorker).
// kubectl's fatal errors end the command, not the process, and the
// logging flags a command sets (-v, --vmodule) are reset before the next.
func serveKubectl() int {
	cmdutil.BehaviorOnFatal(func(msg string, code int) {
		if msg != "" {
			if !strings.HasSuffix(msg, "\n") {
				msg += "\n"
			}
			fmt.Fprint(os.Stderr, msg)
		}
		console.Exit(code)
	})
	logFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(logFlags)
	return console.ServeWorker(func(args []string) int {
		_ = logFlags.Set("v", "0")
		_ = logFlags.Set("vmodule", "")
		defer forgetFlagCompletions()
		return runKubectl(append([]string{"kubectl"}, args...))
	})
}

// cobra keeps the completion function of every flag ever registered in a
// package-level map, and kubectl registers some for each command tree it
// builds, with closures that hold the command's client factory (its REST
// mapper, discovery and flags): about 1 MiB a command in a worker. A
// command's tree is not used after it ends, so the worker empties the map.
// (A cobra release that renames these fails the build, not a learner.)
//
//go:linkname flagCompletionFunctions github.com/spf13/cobra.flagCompletionFunctions
var flagCompletionFunctions map[*pflag.Flag]cobra.CompletionFunc

//go:linkname flagCompletionMutex github.com/spf13/cobra.flagCompletionMutex
var flagCompletionMutex *sync.RWMutex

// forgetFlagCompletions empties cobra's map of flag completion functions.
func forgetFlagCompletions() {
	flagCompletionMutex.Lock()
	clear(flagCompletionFunctions)
	flagCompletionMutex.Unlock()
}
