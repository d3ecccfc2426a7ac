package main

import "github.com/spf13/cobra"

func rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "kubelab",
		Short:         "An interactive Kubernetes learning lab",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(sandboxCommand(), serveCommand(), labsCommand(), checkCommand(), explainCommand(), adminCommand())
	return root
}
