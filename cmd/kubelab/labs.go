package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/store"
)

func labsCommand() *cobra.Command {
	var asJSON bool
	var lang string
	cmd := &cobra.Command{
		Use:   "labs",
		Short: "List the labs and their steps",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := labs.Load()
			if err != nil {
				return err
			}
			type step struct {
				ID     string `json:"id"`
				Title  string `json:"title"`
				Graded bool   `json:"graded"`
			}
			type lab struct {
				ID    string `json:"id"`
				Kind  string `json:"kind"`
				Title string `json:"title"`
				Quiz  string `json:"quiz,omitempty"`
				Steps []step `json:"steps"`
			}
			var out []lab
			for _, l := range cat.Labs {
				x := lab{ID: l.ID, Kind: l.Kind, Title: l.Title.Pick(lang), Quiz: l.Quiz}
				for _, s := range l.Steps {
					x.Steps = append(x.Steps, step{ID: s.ID, Title: s.Title.Pick(lang), Graded: s.Graded()})
				}
				out = append(out, x)
			}
			if asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			for _, l := range out {
				fmt.Printf("%-22s %-8s %s\n", l.ID, l.Kind, l.Title)
				for _, s := range l.Steps {
					fmt.Printf("  - %s\n", s.ID)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&lang, "lang", "en", "ko or en")
	return cmd
}

func checkCommand() *cobra.Command {
	var labID, kubeconfig, lang, dataDir string
	var userID int64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check --lab ID --kubeconfig FILE [--data DIR [--user ID]]",
		Short: "Grade a lab against any cluster (exit status 1 if a step fails)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := labs.Load()
			if err != nil {
				return err
			}
			lab := cat.Lab(labID)
			if lab == nil {
				return fmt.Errorf("no lab %q (see `kubelab labs`)", labID)
			}
			cfg, err := sandbox.RESTFromKubeconfig(kubeconfig)
			if err != nil {
				return err
			}
			state, err := labs.NewClusterState(cfg)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			held, err := heldPasses(ctx, dataDir, userID, lab.ID)
			if err != nil {
				return err
			}
			results := cat.GradeLab(ctx, lab, state, labs.Activity{Commands: []string{}, NoHistory: true})
			type row struct {
				ID       string   `json:"id"`
				Passed   bool     `json:"passed"`
				Score    float64  `json:"score"`
				Messages []string `json:"messages"`
				// Held: the step fails now but passed earlier (at PassedAt)
				// and was not reset since, so it counts as passed.
				Held     bool       `json:"held,omitempty"`
				PassedAt *time.Time `json:"passedAt,omitempty"`
			}
			rows := make([]row, 0, len(results))
			failed := false
			for _, r := range results {
				rw := row{ID: r.ID, Passed: r.Passed, Score: r.Score, Messages: r.Messages(lang)}
				if at, ok := held[r.ID]; ok {
					rw.PassedAt = &at
					if !r.Passed {
						rw.Passed, rw.Held = true, true
					}
				}
				rows = append(rows, rw)
				failed = failed || !rw.Passed
			}
			if asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rows); err != nil {
					return err
				}
			} else {
				for _, r := range rows {
					mark := "PASS"
					if !r.Passed {
						mark = "FAIL"
					}
					fmt.Printf("%s %s", mark, r.ID)
					if r.Held {
						fmt.Printf(" (passed %s; the cluster has changed since)", r.PassedAt.Local().Format(time.DateTime))
					}
					if len(r.Messages) > 0 {
						fmt.Printf(": %s", strings.Join(r.Messages, "; "))
					}
					fmt.Println()
				}
			}
			if failed {
				os.Exit(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&labID, "lab", "", "lab id (see `kubelab labs`)")
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the cluster to grade")
	cmd.Flags().StringVar(&lang, "lang", "en", "language of messages: ko or en")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: per step id, passed, messages (held, passedAt)")
	cmd.Flags().StringVar(&dataDir, "data", "", "kubelab's data directory: steps passed earlier and not reset count as passed")
	cmd.Flags().Int64Var(&userID, "user", 0, "with --data: whose passes (default: the local learner)")
	_ = cmd.MarkFlagRequired("lab")
	_ = cmd.MarkFlagRequired("kubeconfig")
	return cmd
}

// heldPasses reads, from kubelab's database in dataDir, the passes held for
// a learner's steps of a lab (step id -> when it passed). The learner is
// local mode's one learner unless userID is set. No dataDir, no passes.
func heldPasses(ctx context.Context, dataDir string, userID int64, labID string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	if dataDir == "" {
		return out, nil
	}
	path := filepath.Join(dataDir, "kubelab.db")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("check: no kubelab database in %s: %w", dataDir, err)
	}
	st, err := store.Open(path)
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	defer st.Close()
	if userID == 0 {
		u, err := st.EnsureLocalUser(ctx)
		if err != nil {
			return nil, fmt.Errorf("check: %w", err)
		}
		userID = u.ID
	}
	rows, err := st.Progress(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	for _, p := range rows {
		if p.LabID == labID && !p.PassedAt.IsZero() {
			out[p.StepID] = p.PassedAt
		}
	}
	return out, nil
}
