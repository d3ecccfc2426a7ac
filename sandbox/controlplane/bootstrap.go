package controlplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/kubernetes"
	"k8s.io/component-base/version"
	rbacrest "k8s.io/kubernetes/pkg/registry/rbac/rest"
	schedulingrest "k8s.io/kubernetes/pkg/registry/scheduling/rest"
)

// The API server bootstraps a new cluster in post-start hooks: the
// default RBAC roles and bindings, and the system priority classes. Each
// hook first waits a whole second (it polls every second and starts with
// a wait), then writes, and /readyz fails until both are done: about
// 1.5 s of every start, a resume included, although a resumed etcd, or
// one copied from a template, already holds all of it.
//
// A sandbox directory whose etcd has been bootstrapped carries the file
// bootstrappedFile. Its API server then starts without those two hooks,
// and the same hooks run once it is ready, in the background, so that
// whatever a learner changed in the bootstrap objects (a deleted
// ClusterRole) is reconciled as a real API server's restart does, without
// holding the start.

// bootstrappedFile marks a sandbox directory whose etcd holds the API
// server's bootstrap; it contains the Kubernetes version that made it.
const bootstrappedFile = "bootstrapped"

// gatingBootstrapHooks are the post-start hooks that run in the
// background on a bootstrapped etcd.
var gatingBootstrapHooks = []string{rbacrest.PostStartHookName, schedulingrest.PostStartHookName}

// bootstrapped reports whether dir's etcd already holds the API server's
// bootstrap.
func bootstrapped(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, "etcd", "member")); err != nil {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, bootstrappedFile))
	return err == nil
}

// markBootstrapped records that dir's etcd holds the bootstrap.
func markBootstrapped(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, bootstrappedFile), []byte(version.Get().GitVersion+"\n"), 0o600); err != nil {
		return fmt.Errorf("controlplane: mark bootstrapped: %w", err)
	}
	return nil
}

// runBootstrapHooks runs the hooks left out of the start (see above)
// against the ready API server. A hook that fails for 30 s fails the
// sandbox, as it would stop a real API server.
func (c *ControlPlane) runBootstrapHooks(ctx context.Context) {
	hookCtx := genericapiserver.PostStartHookContext{LoopbackClientConfig: c.ClientConfig("admin"), Context: ctx}
	_, rbacHook, err := rbacrest.RESTStorageProvider{}.PostStartHook()
	if err != nil {
		select {
		case c.errc <- fmt.Errorf("controlplane: rbac bootstrap: %w", err):
		default:
		}
		return
	}
	hooks := map[string]genericapiserver.PostStartHookFunc{
		rbacrest.PostStartHookName:       rbacHook,
		schedulingrest.PostStartHookName: schedulingrest.AddSystemPriorityClasses(),
	}
	for name, hook := range hooks {
		go func() {
			if err := hook(hookCtx); err != nil && ctx.Err() == nil {
				select {
				case c.errc <- fmt.Errorf("kube-apiserver: %s: %w", name, err):
				default:
				}
			}
		}()
	}
}

// templateKeys are the etcd keys a template leaves out: they belong to the
// API server that made it. The first holds the client CA of the
// template's own PKI (the API server of a sandbox merges its CA into
// what it finds there, and would keep trusting the template's); the
// second is the template API server's identity lease.
var templateKeys = []string{
	"/registry/configmaps/kube-system/extension-apiserver-authentication",
	"/registry/leases/kube-system/apiserver-",
}

// systemNamespaces are the namespaces the API server makes; the template
// gives each its default ServiceAccount, as the controller manager's
// service account controller would (the last thing a new sandbox waited
// for, about 0.4 s).
var systemNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

// MakeTemplate bootstraps a cluster in dir (etcd and the API server
// only), stops it, and leaves dir a template for Config.Template: an etcd
// that holds the API server's bootstrap and the system namespaces'
// default ServiceAccounts, and nothing of the template's own identity
// (templateKeys).
func MakeTemplate(ctx context.Context, dir string, log io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := os.RemoveAll(filepath.Join(dir, "etcd")); err != nil {
		return fmt.Errorf("controlplane: template: %w", err)
	}
	_ = os.Remove(filepath.Join(dir, bootstrappedFile))
	cp, err := Start(ctx, Config{Dir: dir, Log: log, bootstrapOnly: true})
	if err != nil {
		return err
	}
	closed := false
	defer func() {
		if !closed {
			cp.Close()
		}
	}()
	client, err := kubernetes.NewForConfig(cp.ClientConfig("admin"))
	if err != nil {
		return fmt.Errorf("controlplane: template: %w", err)
	}
	for _, ns := range systemNamespaces {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}}
		if err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			// A system namespace may not be there yet.
			_, err := client.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{})
			return err == nil || apierrors.IsAlreadyExists(err), nil
		}); err != nil {
			return fmt.Errorf("controlplane: template: service account of %s: %w", ns, err)
		}
	}
	cancel()
	select {
	case <-cp.apiStopped:
	case <-time.After(30 * time.Second):
		return errors.New("controlplane: template: the API server did not stop within 30s")
	}
	kv := v3client.New(cp.etcd.Server)
	for _, key := range templateKeys {
		opts := []clientv3.OpOption{}
		if strings.HasSuffix(key, "-") {
			opts = append(opts, clientv3.WithPrefix())
		}
		if _, err := kv.Delete(context.Background(), key, opts...); err != nil {
			return fmt.Errorf("controlplane: template: delete %s: %w", key, err)
		}
	}
	// Only a complete template, its etcd closed, is marked as one.
	kv.Close()
	cp.Close()
	closed = true
	return markBootstrapped(dir)
}

// copyTemplate makes dir's etcd a copy of the template's, and marks dir
// bootstrapped. It copies into a temporary directory first, so that a
// copy cut short leaves no etcd behind.
func copyTemplate(template, dir string) error {
	tmp := filepath.Join(dir, "etcd.template")
	_ = os.RemoveAll(tmp)
	src := filepath.Join(template, "etcd")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(tmp, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copySparse(path, to)
	})
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, "etcd"))
	}
	if err == nil {
		err = markBootstrapped(dir)
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("controlplane: copy template %s: %w", template, err)
	}
	return nil
}

// copySparse copies a file, leaving holes where the source has blocks of
// zeros: etcd preallocates each write-ahead log segment (64 MiB), most of
// it never written.
func copySparse(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	zero := make([]byte, len(buf))
	var size int64
	for {
		n, rerr := io.ReadFull(in, buf)
		if n > 0 {
			if bytes.Equal(buf[:n], zero[:n]) {
				if _, err := out.Seek(int64(n), io.SeekCurrent); err != nil {
					out.Close()
					return err
				}
			} else if _, err := out.Write(buf[:n]); err != nil {
				out.Close()
				return err
			}
			size += int64(n)
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			out.Close()
			return rerr
		}
	}
	if err := out.Truncate(size); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
