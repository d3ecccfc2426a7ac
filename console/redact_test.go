package console

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestRedactOutput(t *testing.T) {
	kc := "/srv/kubelab/data/sandboxes/u1/kubeconfig"
	home := "/tmp/kubelab-console-0/0123456789abcdef"
	bin := "/opt/kubelab/bin/kubelab"
	out := strings.Join([]string{
		"I1206 loader.go:402] Config loaded from file:  " + kc,
		"I1206 cert.go:1] client certificate " + filepath.Dir(kc) + "/pki/client.crt",
		"I1206 cached_discovery.go:1] cache " + home + "/cache/discovery/127.0.0.1_6443",
		"I1206 round_trippers.go:1] curl -v -XGET  -H \"Authorization: Bearer abc.def\" -H \"Accept: application/json\" 'https://127.0.0.1:6443/api'",
		"I1206 round_trippers.go:2]     Authorization: Bearer <masked>",
		"I1206 round_trippers.go:3]     Cookie: session=s3cret",
		"I1206 exec " + bin + " kubectl",
	}, "\n")
	got := redactOutput(out, []string{"get", "pods", "-v=9"}, kc, home, bin)
	for _, secret := range []string{kc, home, "/srv/kubelab", "/opt/kubelab", "abc.def", "s3cret", "<masked>", "Bearer"} {
		if strings.Contains(got, secret) {
			t.Errorf("redacted output still holds %q:\n%s", secret, got)
		}
	}
	for _, want := range []string{"Config loaded from file:  ~/.kube/config", "<sandbox>/pki/client.crt", "cache ~/cache/discovery/",
		`-H "Authorization: <redacted>" -H "Accept: application/json"`, "Cookie: <redacted>", "exec kubectl kubectl"} {
		if !strings.Contains(got, want) {
			t.Errorf("redacted output lacks %q:\n%s", want, got)
		}
	}

	// Without a verbosity flag a learner's own data is left alone; server paths never are.
	data := "cookie: chocolate\nauthorization: none\n" + kc + "\n"
	if got := redactOutput(data, []string{"get", "configmap", "x", "-o", "yaml"}, kc, home, bin); got != "cookie: chocolate\nauthorization: none\n~/.kube/config\n" {
		t.Errorf("plain output: %q", got)
	}
	for argv, want := range map[string]bool{"get pods -v=9": true, "-v 6 get pods": true, "get pods --v=8": true, "get pods -v9": true,
		"get pods -n v": false, "get pods": false, "exec p -- -v": false} {
		if got := verbose(strings.Fields(argv)); got != want {
			t.Errorf("verbose(%q) = %v, want %v", argv, got, want)
		}
	}
}

// TestIntegrationVerbosity: kubectl -v=9 in the console runs and prints its request log,
// without the server's paths or credentials.
func TestIntegrationVerbosity(t *testing.T) {
	r := realRunner(t)
	kc := sandboxKubeconfig(t)
	abs, _ := filepath.Abs(kc)
	home, err := r.Home(kc)
	if err != nil {
		t.Fatal(err)
	}
	bin, _ := r.binary()
	for _, line := range []string{"kubectl get namespaces -v=9", "kubectl --v=8 get pods -n kube-system"} {
		res := console(t, r, line)
		if res.ExitCode != 0 || !regexp.MustCompile(`verb="GET" url="https://|curl -v -XGET`).MatchString(res.Output) || !strings.Contains(res.Output, "Config loaded from file:  ~/.kube/config") {
			t.Fatalf("%s: no request log: %+v", line, res)
		}
		for _, secret := range []string{abs, filepath.Dir(abs), home, bin, "Bearer", "BEGIN CERTIFICATE", "BEGIN RSA", "PRIVATE KEY"} {
			if strings.Contains(res.Output, secret) {
				t.Errorf("%s: the output shows %q", line, secret)
			}
		}
		if m := regexp.MustCompile(`(?i)authorization: ([^"\n]*)`).FindAllStringSubmatch(res.Output, -1); len(m) > 0 {
			for _, v := range m {
				if v[1] != "<redacted>" {
					t.Errorf("%s: Authorization %q", line, v[1])
				}
			}
		}
	}
}
