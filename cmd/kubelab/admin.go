package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kubelab/kubelab/server"
	"github.com/kubelab/kubelab/store"
)

func adminCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Manage class mode's accounts",
	}
	cmd.AddCommand(createInstructorCommand(), setPasswordCommand())
	return cmd
}

func createInstructorCommand() *cobra.Command {
	var dataDir, email, name, passwordFile string
	cmd := &cobra.Command{
		Use:   "create-instructor --email E --name N [--password-file F]",
		Short: "Create an instructor account (the password is read from stdin or --password-file)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr, err := checkEmail(email)
			if err != nil {
				return err
			}
			name = strings.TrimSpace(name)
			if name == "" {
				return errors.New("--name is required")
			}
			pw, err := readPassword(cmd, passwordFile)
			if err != nil {
				return err
			}
			hash, err := server.HashPassword(pw)
			if err != nil {
				return err
			}
			st, err := store.Open(filepath.Join(dataDir, "kubelab.db"))
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := st.CreateUser(context.Background(), store.User{DisplayName: name, Role: store.RoleInstructor, Email: addr, PasswordHash: hash})
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("an account with the email %s already exists (use `kubelab admin set-password` to change its password)", addr)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "instructor %s <%s> created (id %d); start the server with `kubelab serve --mode class --data %s`\n",
				u.DisplayName, u.Email, u.ID, dataDir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data", "data", "directory of the kubelab database (as for serve)")
	cmd.Flags().StringVar(&email, "email", "", "the instructor's email address (their sign-in name)")
	cmd.Flags().StringVar(&name, "name", "", "the instructor's display name")
	cmd.Flags().StringVar(&passwordFile, "password-file", "", "read the password from this file's first line instead of stdin")
	return cmd
}

func setPasswordCommand() *cobra.Command {
	var dataDir, email, passwordFile string
	cmd := &cobra.Command{
		Use:   "set-password --email E [--password-file F]",
		Short: "Change an instructor's password (read from stdin or --password-file)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr, err := checkEmail(email)
			if err != nil {
				return err
			}
			pw, err := readPassword(cmd, passwordFile)
			if err != nil {
				return err
			}
			hash, err := server.HashPassword(pw)
			if err != nil {
				return err
			}
			st, err := store.Open(filepath.Join(dataDir, "kubelab.db"))
			if err != nil {
				return err
			}
			defer st.Close()
			ctx := context.Background()
			u, err := st.UserByEmail(ctx, addr)
			if err != nil || u.Role != store.RoleInstructor {
				return fmt.Errorf("no instructor with the email %s", addr)
			}
			if err := st.SetPasswordHash(ctx, u.ID, hash); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "password of %s changed\n", addr)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data", "data", "directory of the kubelab database (as for serve)")
	cmd.Flags().StringVar(&email, "email", "", "the instructor's email address")
	cmd.Flags().StringVar(&passwordFile, "password-file", "", "read the password from this file's first line instead of stdin")
	return cmd
}

// checkEmail normalizes and checks an email address.
func checkEmail(email string) (string, error) {
	addr := server.NormalizeEmail(email)
	if addr == "" {
		return "", errors.New("--email is required")
	}
	if a, err := mail.ParseAddress(addr); err != nil || a.Address != addr {
		return "", fmt.Errorf("%q is not a plain email address", email)
	}
	return addr, nil
}

// readPassword reads a password: the first line of file, else of stdin
// (without echo, asked twice, on a terminal). Weak passwords are refused.
func readPassword(cmd *cobra.Command, file string) (string, error) {
	var pw string
	switch {
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		pw, _, _ = strings.Cut(string(data), "\n")
	case isTerminal(cmd.InOrStdin()):
		fd := int(cmd.InOrStdin().(*os.File).Fd())
		fmt.Fprint(cmd.ErrOrStderr(), "Password: ")
		a, err := term.ReadPassword(fd)
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", err
		}
		fmt.Fprint(cmd.ErrOrStderr(), "Password again: ")
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		pw = string(a)
	default:
		line, err := bufio.NewReader(io.LimitReader(cmd.InOrStdin(), 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		pw = line
	}
	pw = strings.TrimRight(pw, "\r\n")
	if err := server.CheckPasswordStrength(pw); err != nil {
		return "", err
	}
	return pw, nil
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
