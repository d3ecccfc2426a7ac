package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/schedrecord"
)

func explainCommand() *cobra.Command {
	var kubeconfig, namespace, lang string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "explain --kubeconfig FILE [-n NS] POD [--json]",
		Short: "Why the scheduler put a pod where it is, or why it could not place it",
		Long: "Prints the pod's last scheduling attempt as the sandbox's scheduler recorded it: each node's\n" +
			"filter verdicts and scores, the chosen node and, for a pod that could not be placed, single changes\n" +
			"that would let it be placed (each checked by running the filters again). Only kubelab's embedded\n" +
			"sandbox records decisions.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if kubeconfig == "" {
				return errors.New("--kubeconfig is required")
			}
			cfg, err := sandbox.RESTFromKubeconfig(kubeconfig)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			e, err := schedrecord.Explain(ctx, cfg, namespace, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(e)
			}
			printExplanation(os.Stdout, e, lang)
			return nil
		},
	}
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the cluster")
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "default", "the pod's namespace")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&lang, "lang", "en", "language of the suggestions: ko or en")
	return cmd
}

// printExplanation writes the table a learner reads.
func printExplanation(w io.Writer, e *schedrecord.Explanation, lang string) {
	fmt.Fprintf(w, "Pod %s/%s (%s), last scheduling attempt at %s\n", e.Namespace, e.Pod, e.Phase, e.Time)
	if e.Node != "" {
		fmt.Fprintf(w, "Chosen node: %s\n", e.Node)
	} else {
		fmt.Fprintln(w, "No node could take the pod.")
		if e.Message != "" {
			fmt.Fprintf(w, "Scheduler: %s\n", e.Message)
		}
		if e.NominatedNode != "" {
			fmt.Fprintf(w, "Preemption made room on %s.\n", e.NominatedNode)
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tZONE\tFILTERS\tSCORE\tRANK")
	for _, n := range e.Nodes {
		verdict := "passed all " + fmt.Sprint(len(n.Filters))
		for _, f := range n.Filters {
			if !f.Passed {
				verdict = "rejected by " + f.Plugin + ": " + f.Reason
			}
		}
		score, rank := "-", "-"
		if n.Feasible && e.Scored {
			score = fmt.Sprint(n.Total)
		}
		if n.Rank > 0 {
			rank = fmt.Sprint(n.Rank)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n.Name, n.Zone, verdict, score, rank)
	}
	tw.Flush()
	if e.Scored {
		fmt.Fprintln(w, "\nScores (normalized 0-100 × weight):")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		var head []string
		for _, p := range e.ScorePlugins {
			head = append(head, fmt.Sprintf("%s×%d", p.Plugin, p.Weight))
		}
		fmt.Fprintf(tw, "NODE\t%s\tTOTAL\n", strings.Join(head, "\t"))
		for _, n := range e.Nodes {
			if !n.Feasible {
				continue
			}
			by := map[string]int64{}
			ran := map[string]bool{}
			for _, s := range n.Scores {
				by[s.Plugin] = s.Score
				ran[s.Plugin] = true
			}
			var cells []string
			for _, p := range e.ScorePlugins {
				if ran[p.Plugin] {
					cells = append(cells, fmt.Sprint(by[p.Plugin]))
				} else {
					cells = append(cells, "skip")
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\n", n.Name, strings.Join(cells, "\t"), n.Total)
		}
		tw.Flush()
	} else if e.Node != "" {
		fmt.Fprintln(w, "\nNot scored: only one node passed the filters.")
	}
	if len(e.Suggestions) > 0 {
		fmt.Fprintln(w, "\nChanges that would let the pod be placed (each checked against the filters):")
		for i, s := range e.Suggestions {
			text := s.Text.En
			if lang == "ko" {
				text = s.Text.Ko
			}
			patch, _ := json.Marshal(s.Patch)
			fmt.Fprintf(w, "%d. %s\n", i+1, text)
			ns := ""
			if s.Target.Namespace != "" {
				ns = " -n " + s.Target.Namespace
			}
			if s.Target.Kind == "Pod" {
				fmt.Fprintf(w, "   (a Pod's spec cannot change in place: delete the pod and create it again with this change)\n   %s\n", patch)
			} else {
				fmt.Fprintf(w, "   kubectl patch %s %s%s --type strategic -p '%s'\n", strings.ToLower(s.Target.Kind), s.Target.Name, ns, patch)
			}
		}
	}
}
