package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/server"
	"github.com/kubelab/kubelab/store"
)

func runAdmin(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := rootCommand()
	var out bytes.Buffer
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append([]string{"admin"}, args...))
	err := cmd.Execute()
	return out.String(), err
}

func TestAdminCreateInstructor(t *testing.T) {
	dir := t.TempDir()
	base := []string{"create-instructor", "--data", dir, "--email", " Kim@School.example ", "--name", "Kim"}
	for _, weak := range []string{"", "short\n", "aaaaaaaaaaaa\n"} {
		if _, err := runAdmin(t, weak, base...); err == nil || !strings.Contains(err.Error(), "password too weak") {
			t.Fatalf("weak password %q: %v", weak, err)
		}
	}
	if _, err := runAdmin(t, "a good long password\n", "create-instructor", "--data", dir, "--email", "not an email", "--name", "Kim"); err == nil {
		t.Fatal("a malformed email is accepted")
	}
	out, err := runAdmin(t, "a good long password\n", base...)
	if err != nil || !strings.Contains(out, "kim@school.example") {
		t.Fatalf("create: %v %s", err, out)
	}
	if _, err := runAdmin(t, "another good password\n", base...); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate: %v", err)
	}
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("from a file 12345\nignored"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runAdmin(t, "", "set-password", "--data", dir, "--email", "kim@school.example", "--password-file", pwFile); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "kubelab.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByEmail(context.Background(), "kim@school.example")
	if err != nil || u.Role != store.RoleInstructor || u.DisplayName != "Kim" {
		t.Fatalf("%+v %v", u, err)
	}
	if strings.Contains(u.PasswordHash, "from a file") || !server.VerifyPassword(u.PasswordHash, "from a file 12345") ||
		server.VerifyPassword(u.PasswordHash, "a good long password") {
		t.Fatalf("stored hash %q", u.PasswordHash)
	}
}
