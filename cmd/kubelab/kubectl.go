package main

import (
	"os"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/component-base/cli"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
)

// runKubectl runs the kubectl built into kubelab, with args[0] == "kubectl".
// It has no plugin handler: `kubelab kubectl foo` never runs a program
// called kubectl-foo. The browser console runs kubectl only through this.
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
