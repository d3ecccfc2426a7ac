package embedded_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubelab/kubelab/sandbox/embedded"
)

// The first new sandbox makes the backend build a template of the API
// server's bootstrap; the sandboxes after it start from copies of the
// template's etcd. Each of them is a cluster of its own all the same: its
// API server trusts its own CA only, and the bootstrap objects a learner
// deletes come back when the sandbox resumes, as on a real API server's
// restart, without holding its start.
func TestNewSandboxesStartFromTheTemplate(t *testing.T) {
	dir := t.TempDir()
	b := newBackend(t, embedded.Options{Dir: dir})
	ctx := context.Background()
	if _, err := b.Acquire(ctx, "first"); err != nil {
		t.Fatal(err)
	}
	template := filepath.Join(dir, ".template")
	deadline := time.Now().Add(2 * time.Minute)
	for !fileExists(filepath.Join(template, "bootstrapped")) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if !fileExists(filepath.Join(template, "bootstrapped")) {
		log, _ := os.ReadFile(filepath.Join(dir, "template.log"))
		t.Fatalf("no template after the first sandbox: %s", log)
	}
	clients := map[string]*kubernetes.Clientset{}
	for _, name := range []string{"second", "third"} {
		box, err := b.Acquire(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s ready in %s", name, box.Ready)
		c, err := kubernetes.NewForConfig(box.REST)
		if err != nil {
			t.Fatal(err)
		}
		clients[name] = c
		sandboxDir := filepath.Dir(box.Kubeconfig)
		// Its API server trusts its own CA, and only that one.
		cm, err := c.CoreV1().ConfigMaps("kube-system").Get(ctx, "extension-apiserver-authentication", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		own, err := os.ReadFile(filepath.Join(sandboxDir, "pki", "ca.crt"))
		if err != nil {
			t.Fatal(err)
		}
		if cas := certificates(t, cm.Data["client-ca-file"]); len(cas) != 1 || !bytes.Equal(cas[0], der(t, own)) {
			t.Errorf("%s: client CAs in extension-apiserver-authentication: %d, want its own only", name, len(cas))
		}
		// The bootstrap is in place.
		for _, role := range []string{"admin", "edit", "view", "system:kube-scheduler"} {
			if _, err := c.RbacV1().ClusterRoles().Get(ctx, role, metav1.GetOptions{}); err != nil {
				t.Errorf("%s: ClusterRole %s: %v", name, role, err)
			}
		}
		if _, err := c.SchedulingV1().PriorityClasses().Get(ctx, "system-node-critical", metav1.GetOptions{}); err != nil {
			t.Errorf("%s: priority class: %v", name, err)
		}
		if _, err := c.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{}); err != nil {
			t.Errorf("%s: default service account: %v", name, err)
		}
	}
	// Both came from the template: the system namespaces were made there,
	// once.
	var uids []string
	for _, name := range []string{"second", "third"} {
		ns, err := clients[name].CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		uids = append(uids, string(ns.UID))
	}
	if uids[0] != uids[1] {
		t.Errorf("kube-system of the two sandboxes after the template: %v, want one (copied from the template)", uids)
	}

	// A bootstrap role deleted by the learner is back after a resume.
	if err := clients["second"].RbacV1().ClusterRoles().Delete(ctx, "view", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := b.Stop(ctx, "second"); err != nil {
		t.Fatal(err)
	}
	box, err := b.Acquire(ctx, "second")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("second resumed in %s", box.Ready)
	c, err := kubernetes.NewForConfig(box.REST)
	if err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(time.Minute)
	for {
		_, err := c.RbacV1().ClusterRoles().Get(ctx, "view", metav1.GetOptions{})
		if err == nil {
			break
		}
		if !apierrors.IsNotFound(err) || time.Now().After(deadline) {
			t.Fatalf("ClusterRole view after the resume: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// certificates returns the DER of each certificate in a PEM bundle.
func certificates(t *testing.T, bundle string) [][]byte {
	t.Helper()
	var out [][]byte
	rest := []byte(bundle)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return out
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			t.Fatal(err)
		}
		out = append(out, block.Bytes)
	}
}

func der(t *testing.T, pemBytes []byte) []byte {
	t.Helper()
	certs := certificates(t, string(pemBytes))
	if len(certs) != 1 {
		t.Fatalf("%d certificates in the CA file", len(certs))
	}
	return certs[0]
}
