// Package remote is the sandbox backend that carves sandboxes out of an
// existing cluster (for example Amazon EKS): every learner gets a
// namespace, <prefix><learner>, and credentials confined to it, so a class
// of hundreds runs on the cluster's capacity.
//
// Isolation: the learner is the ServiceAccount "learner" of the namespace,
// bound to the built-in "admin" ClusterRole there only (every namespaced
// resource; ResourceQuota and LimitRange read-only), with read-only access
// to nodes and storage classes cluster-wide. A ResourceQuota and a
// LimitRange bound what the namespace may use, Pod Security admission
// enforces the baseline profile, and a NetworkPolicy admits traffic from
// the namespace's own Pods only. Nothing cluster-scoped can be created:
// labs that make namespaces, CRDs or node taints cannot run as written
// (see docs/backends.md).
//
// The learner's kubeconfig holds a token from the TokenRequest API with a
// bounded lifetime: it is renewed on Acquire and, for sandboxes acquired
// by this server, in the background before it expires. Stop does nothing
// (the namespace stays); Delete deletes the namespace and waits for it.
// Names and the cap on sandboxes are the sandbox.Provider's: List reports
// every learner namespace of the prefix, those made by an earlier run of
// the server included, so the Provider counts them all.
package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"

	"github.com/kubelab/kubelab/sandbox"
)

// Options configure the remote backend.
type Options struct {
	// Kubeconfig reaches the existing cluster as an administrator (it
	// makes namespaces, RBAC bindings and tokens).
	Kubeconfig string
	// Context is the kubeconfig context to use; empty = the current one.
	Context string
	// Dir holds one directory per sandbox with the learner's kubeconfig.
	Dir string
	// Quota bounds each learner's namespace; zero fields take
	// DefaultQuota's.
	Quota Quota
	// NamespacePrefix starts every learner namespace; empty = "kubelab-".
	// Servers sharing a cluster need different prefixes.
	NamespacePrefix string
	// TokenTTL is the lifetime of a learner's token; 0 = 1 hour, at least
	// 10 minutes (the API server's minimum).
	TokenTTL time.Duration
	// ListNamespaces lets learners list every namespace (and so see other
	// learners' names). Off by default: a learner sees only their own.
	ListNamespaces bool
	// Server overrides the API server address written in learners'
	// kubeconfigs; empty = the administrator's.
	Server string
	// DeleteTimeout bounds the wait for a namespace to be deleted; 0 = 3
	// minutes.
	DeleteTimeout time.Duration
}

// Backend is the remote sandbox backend.
type Backend struct {
	opts       Options
	admin      *rest.Config
	client     kubernetes.Interface
	prefix     string
	viewRole   string
	realNodes  bool
	nsLister   corelisters.NamespaceLister
	stopInform chan struct{}
	stopJan    context.CancelFunc
	janDone    chan struct{}

	mu       sync.Mutex
	lastUsed map[string]time.Time
	expiry   map[string]time.Time // token expiry of sandboxes acquired here
	closed   bool
	creating map[string]chan struct{} // Acquire under way, by learner
}

// prefixRe accepts namespace prefixes short enough for any learner name:
// 23 characters and 40 make the 63 a namespace name may have.
var prefixRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?-$`)

// New connects to the cluster, makes the shared read-only ClusterRole and
// starts following the learner namespaces.
func New(opts Options) (*Backend, error) {
	if opts.Kubeconfig == "" {
		return nil, errors.New("remote: no administrator kubeconfig for the existing cluster")
	}
	if opts.Dir == "" {
		return nil, errors.New("remote: no data directory")
	}
	if opts.NamespacePrefix == "" {
		opts.NamespacePrefix = "kubelab-"
	}
	if !prefixRe.MatchString(opts.NamespacePrefix) {
		return nil, fmt.Errorf("remote: invalid namespace prefix %q: use 2-23 lowercase letters, digits and dashes, ending with a dash", opts.NamespacePrefix)
	}
	if opts.TokenTTL == 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.TokenTTL < 10*time.Minute {
		return nil, fmt.Errorf("remote: token lifetime %s is below the API server's minimum of 10m", opts.TokenTTL)
	}
	if opts.DeleteTimeout == 0 {
		opts.DeleteTimeout = 3 * time.Minute
	}
	opts.Quota = opts.Quota.withDefaults()
	loading := &clientcmd.ClientConfigLoadingRules{ExplicitPath: opts.Kubeconfig}
	admin, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(loading,
		&clientcmd.ConfigOverrides{CurrentContext: opts.Context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("remote: load administrator kubeconfig %s: %w", opts.Kubeconfig, err)
	}
	// Every Acquire makes about a dozen requests: a class arriving at once
	// needs more than client-go's default 5 per second.
	admin.QPS, admin.Burst = 100, 200
	client, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return nil, fmt.Errorf("remote: client: %w", err)
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("remote: %w", err)
	}
	trimmed := strings.TrimSuffix(opts.NamespacePrefix, "-")
	b := &Backend{opts: opts, admin: admin, client: client, prefix: opts.NamespacePrefix,
		viewRole: trimmed + ":learner", lastUsed: map[string]time.Time{}, expiry: map[string]time.Time{},
		creating: map[string]chan struct{}{}, stopInform: make(chan struct{}), janDone: make(chan struct{})}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.applyViewRole(ctx); err != nil {
		return nil, err
	}
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("remote: list nodes: %w", err)
	}
	b.realNodes = true
	for _, n := range nodes.Items {
		if n.Annotations[annSimulatedNodes] == "true" {
			b.realNodes = false
		}
	}

	factory := informers.NewSharedInformerFactoryWithOptions(client, 10*time.Minute,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = LabelManagedBy + "=" + ManagedByValue + "," + LabelSandbox
		}))
	nsInformer := factory.Core().V1().Namespaces()
	b.nsLister = nsInformer.Lister()
	nsInformer.Informer() // register before Start
	factory.Start(b.stopInform)
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			close(b.stopInform)
			return nil, fmt.Errorf("remote: namespaces of the cluster not listed in time (%v)", typ)
		}
	}
	jctx, jcancel := context.WithCancel(context.Background())
	b.stopJan = jcancel
	go b.janitor(jctx)
	return b, nil
}

// Name implements sandbox.Backend.
func (b *Backend) Name() string { return "remote" }

// Namespace returns the namespace of a learner's sandbox.
func (b *Backend) Namespace(learner string) string { return b.prefix + learner }

// clusterRoleBindingName names the binding of a learner to the shared
// read-only ClusterRole.
func (b *Backend) clusterRoleBindingName(learner string) string {
	return strings.TrimSuffix(b.prefix, "-") + ":" + learner
}

func (b *Backend) dir(learner string) string { return filepath.Join(b.opts.Dir, b.Namespace(learner)) }

// learnerOf returns the learner of a namespace of this backend, or "".
func (b *Backend) learnerOf(ns *corev1.Namespace) string {
	l := ns.Labels[LabelSandbox]
	if l == "" || ns.Name != b.prefix+l {
		return ""
	}
	return l
}

// Acquire implements sandbox.Backend: the learner's namespace and its
// objects are made or brought up to date (so a changed quota applies),
// and a fresh token is written to the learner's kubeconfig.
func (b *Backend) Acquire(ctx context.Context, name string) (*sandbox.Sandbox, error) {
	start := time.Now()
	// One Acquire per learner at a time.
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return nil, errors.New("remote: backend is closed")
		}
		ch, busy := b.creating[name]
		if !busy {
			ch = make(chan struct{})
			b.creating[name] = ch
			b.lastUsed[name] = time.Now()
			b.mu.Unlock()
			defer func() {
				b.mu.Lock()
				delete(b.creating, name)
				b.mu.Unlock()
				close(ch)
			}()
			break
		}
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("remote: waiting for sandbox %s: %w", name, ctx.Err())
		}
	}
	ns := b.Namespace(name)
	if err := b.ensureNamespace(ctx, ns, name); err != nil {
		return nil, err
	}
	if err := b.applySandbox(ctx, ns, name); err != nil {
		return nil, err
	}
	if err := b.waitQuota(ctx, ns); err != nil {
		return nil, err
	}
	sb, err := b.issueToken(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := b.markReady(ctx, ns); err != nil {
		return nil, err
	}
	sb.Ready = time.Since(start)
	return sb, nil
}

// ensureNamespace makes the namespace, waiting first for a namespace of
// the same name being deleted (a reset) to be gone.
func (b *Backend) ensureNamespace(ctx context.Context, ns, learner string) error {
	for {
		cur, err := b.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			_, err = b.client.CoreV1().Namespaces().Create(ctx, namespaceObject(ns, learner), metav1.CreateOptions{})
			if err == nil || apierrors.IsAlreadyExists(err) {
				continue // check what is there now
			}
			return fmt.Errorf("remote: create namespace %s: %w", ns, err)
		case err != nil:
			return fmt.Errorf("remote: get namespace %s: %w", ns, err)
		case cur.Labels[LabelManagedBy] != ManagedByValue || cur.Labels[LabelSandbox] != learner:
			return fmt.Errorf("remote: namespace %s exists and is not kubelab's sandbox of %s; choose another namespace prefix", ns, learner)
		case cur.Status.Phase == corev1.NamespaceTerminating:
			select {
			case <-ctx.Done():
				return fmt.Errorf("remote: namespace %s is still being deleted: %w", ns, ctx.Err())
			case <-time.After(500 * time.Millisecond):
			}
			continue
		}
		// Bring the Pod Security labels up to date.
		want := namespaceObject(ns, learner).Labels
		patch := map[string]any{"metadata": map[string]any{"labels": want}}
		data, _ := json.Marshal(patch)
		if _, err := b.client.CoreV1().Namespaces().Patch(ctx, ns, types.MergePatchType, data, metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("remote: label namespace %s: %w", ns, err)
		}
		return nil
	}
}

// waitQuota waits for the quota controller to compute the namespace's
// usage: until then the API server refuses every Pod.
func (b *Backend) waitQuota(ctx context.Context, ns string) error {
	for {
		q, err := b.client.CoreV1().ResourceQuotas(ns).Get(ctx, QuotaName, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("remote: get quota of %s: %w", ns, err)
		}
		if len(q.Status.Hard) >= len(q.Spec.Hard) {
			same := true
			for k, v := range q.Spec.Hard {
				if h, ok := q.Status.Hard[k]; !ok || h.Cmp(v) != 0 {
					same = false
				}
			}
			if same {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("remote: the quota controller did not report on %s (is kube-controller-manager running?): %w", ns, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// markReady records on the namespace that its sandbox was set up.
func (b *Backend) markReady(ctx context.Context, ns string) error {
	data := []byte(`{"metadata":{"annotations":{"` + AnnotationReady + `":"true"}}}`)
	if _, err := b.client.CoreV1().Namespaces().Patch(ctx, ns, types.MergePatchType, data, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("remote: mark namespace %s ready: %w", ns, err)
	}
	return nil
}

// issueToken requests a token for the learner and writes their kubeconfig
// and token file.
func (b *Backend) issueToken(ctx context.Context, learner string) (*sandbox.Sandbox, error) {
	ns := b.Namespace(learner)
	secs := int64(b.opts.TokenTTL / time.Second)
	tr, err := b.client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, ServiceAccountName,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &secs}}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("remote: token for %s: %w", ns, err)
	}
	dir := b.dir(learner)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("remote: %w", err)
	}
	kc, err := b.learnerKubeconfig(ns, tr.Status.Token)
	if err != nil {
		return nil, err
	}
	tokenPath := filepath.Join(dir, "token")
	kcPath := filepath.Join(dir, "kubeconfig")
	if err := writeFileAtomic(tokenPath, []byte(tr.Status.Token)); err != nil {
		return nil, fmt.Errorf("remote: write token of %s: %w", ns, err)
	}
	if err := writeFileAtomic(kcPath, kc); err != nil {
		return nil, fmt.Errorf("remote: write kubeconfig of %s: %w", ns, err)
	}
	b.mu.Lock()
	b.expiry[learner] = tr.Status.ExpirationTimestamp.Time
	b.mu.Unlock()
	rc := rest.AnonymousClientConfig(b.admin)
	if b.opts.Server != "" {
		rc.Host = b.opts.Server
	}
	// The token file is re-read by client-go, so long-lived clients (the
	// server's watch) follow the renewals.
	rc.BearerToken, rc.BearerTokenFile = tr.Status.Token, tokenPath
	rc.QPS, rc.Burst = 50, 100
	return &sandbox.Sandbox{Name: learner, Backend: "remote", Kubeconfig: kcPath, Namespace: ns, REST: rc,
		RealContainers: b.realNodes}, nil
}

// learnerKubeconfig returns a kubeconfig for the namespace's learner: the
// administrator's server and CA, the token, the namespace as default.
func (b *Backend) learnerKubeconfig(ns, token string) ([]byte, error) {
	cluster := clientcmdapi.NewCluster()
	cluster.Server = b.admin.Host
	if b.opts.Server != "" {
		cluster.Server = b.opts.Server
	}
	cluster.TLSServerName = b.admin.TLSClientConfig.ServerName
	cluster.InsecureSkipTLSVerify = b.admin.TLSClientConfig.Insecure
	cluster.CertificateAuthorityData = b.admin.TLSClientConfig.CAData
	if len(cluster.CertificateAuthorityData) == 0 && b.admin.TLSClientConfig.CAFile != "" {
		ca, err := os.ReadFile(b.admin.TLSClientConfig.CAFile)
		if err != nil {
			return nil, fmt.Errorf("remote: read the cluster's CA: %w", err)
		}
		cluster.CertificateAuthorityData = ca
	}
	user := clientcmdapi.NewAuthInfo()
	user.Token = token
	kctx := clientcmdapi.NewContext()
	kctx.Cluster, kctx.AuthInfo, kctx.Namespace = "kubelab", ns, ns
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kubelab"] = cluster
	cfg.AuthInfos[ns] = user
	cfg.Contexts[ns] = kctx
	cfg.CurrentContext = ns
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("remote: encode kubeconfig of %s: %w", ns, err)
	}
	return data, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Stop implements sandbox.Backend: nothing runs for a sandbox itself, so
// the namespace and its objects stay as they are.
func (b *Backend) Stop(_ context.Context, name string) error {
	if _, err := b.Status(name); err != nil {
		return err
	}
	return nil
}

// Delete implements sandbox.Backend: the namespace (and with it every
// object of the learner) and the learner's cluster binding are deleted,
// and Delete waits until the namespace is gone.
func (b *Backend) Delete(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, b.opts.DeleteTimeout)
	defer cancel()
	ns := b.Namespace(name)
	cur, err := b.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return b.forget(ctx, name)
	}
	if err != nil {
		return fmt.Errorf("remote: get namespace %s: %w", ns, err)
	}
	if b.learnerOf(cur) != name {
		return fmt.Errorf("remote: namespace %s is not kubelab's sandbox of %s; not deleting it", ns, name)
	}
	err = b.client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &cur.UID}})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("remote: delete namespace %s: %w", ns, err)
	}
	// A reset need not wait for the Pods' grace periods (30 s for a
	// process that ignores SIGTERM): the terminating namespace takes no
	// new Pods, so the current ones are removed at once.
	err = b.client.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}, metav1.ListOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("remote: delete the pods of %s: %w", ns, err)
	}
	for {
		_, err := b.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("remote: namespace %s is still being deleted (a finalizer may be stuck): %w", ns, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
	return b.forget(ctx, name)
}

// forget removes what is left of a deleted sandbox: its cluster binding,
// its directory and its records.
func (b *Backend) forget(ctx context.Context, name string) error {
	err := b.client.RbacV1().ClusterRoleBindings().Delete(ctx, b.clusterRoleBindingName(name), metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("remote: delete cluster role binding of %s: %w", name, err)
	}
	if err := os.RemoveAll(b.dir(name)); err != nil {
		return fmt.Errorf("remote: remove %s: %w", b.dir(name), err)
	}
	b.mu.Lock()
	delete(b.expiry, name)
	delete(b.lastUsed, name)
	b.mu.Unlock()
	return nil
}

// statusOf describes a namespace of this backend.
func (b *Backend) statusOf(ns *corev1.Namespace, learner string) sandbox.Status {
	st := sandbox.Status{Name: learner, State: sandbox.StateStarting, Since: ns.CreationTimestamp.Time}
	switch {
	case ns.Status.Phase == corev1.NamespaceTerminating:
		st.State, st.Message = sandbox.StateStopped, "being deleted"
		if ns.DeletionTimestamp != nil {
			st.Since = ns.DeletionTimestamp.Time
		}
	case ns.Annotations[AnnotationReady] == "true":
		st.State = sandbox.StateReady
	}
	b.mu.Lock()
	st.LastUsed = b.lastUsed[learner]
	if _, ok := b.expiry[learner]; ok && st.State == sandbox.StateStarting {
		st.State = sandbox.StateReady // acquired here; the cache has not seen the mark yet
	}
	b.mu.Unlock()
	return st
}

// Status implements sandbox.Backend, from the informer's cache: it does
// not ask the API server.
func (b *Backend) Status(name string) (sandbox.Status, error) {
	ns, err := b.nsLister.Get(b.Namespace(name))
	if err != nil || b.learnerOf(ns) != name {
		return sandbox.Status{Name: name}, sandbox.ErrNotFound
	}
	return b.statusOf(ns, name), nil
}

// List implements sandbox.Backend: every learner namespace of this
// prefix, including those made by an earlier run of the server.
func (b *Backend) List() []sandbox.Status {
	list, _ := b.nsLister.List(labels.Everything())
	out := make([]sandbox.Status, 0, len(list))
	for _, ns := range list {
		if l := b.learnerOf(ns); l != "" {
			out = append(out, b.statusOf(ns, l))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// due returns the learners whose token expires within half its lifetime.
func due(expiry map[string]time.Time, now time.Time, ttl time.Duration) []string {
	var out []string
	for l, exp := range expiry {
		if exp.Sub(now) < ttl/2 {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

// refreshEvery is how often the janitor looks for tokens to renew; 0 =
// an eighth of the token lifetime, at most a minute.
var refreshEvery time.Duration

// janitor renews the tokens of the sandboxes acquired by this server
// before they expire.
func (b *Backend) janitor(ctx context.Context) {
	defer close(b.janDone)
	every := refreshEvery
	if every <= 0 {
		every = min(b.opts.TokenTTL/8, time.Minute)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		b.mu.Lock()
		learners := due(b.expiry, time.Now(), b.opts.TokenTTL)
		b.mu.Unlock()
		for _, l := range learners {
			if _, err := b.Status(l); err != nil {
				b.mu.Lock()
				delete(b.expiry, l)
				b.mu.Unlock()
				continue
			}
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			_, _ = b.issueToken(rctx, l)
			cancel()
		}
	}
}

// Close implements sandbox.Backend: learner namespaces stay; the backend
// stops following them and renewing tokens.
func (b *Backend) Close(context.Context) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	b.stopJan()
	<-b.janDone
	close(b.stopInform)
	return nil
}

// createOrUpdate creates want or, if it exists, updates it with merge
// (which copies want's labels and spec onto the current object).
func createOrUpdate[T metav1.Object](ctx context.Context, want T,
	create func(context.Context, T, metav1.CreateOptions) (T, error),
	get func(context.Context, string, metav1.GetOptions) (T, error),
	update func(context.Context, T, metav1.UpdateOptions) (T, error),
	merge func(cur, want T)) error {
	_, err := create(ctx, want, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		var cur T
		if cur, err = get(ctx, want.GetName(), metav1.GetOptions{}); err == nil {
			merge(cur, want)
			_, err = update(ctx, cur, metav1.UpdateOptions{})
		}
	}
	if err != nil {
		return fmt.Errorf("remote: apply %T %s: %w", want, want.GetName(), err)
	}
	return nil
}

// applyViewRole makes or updates the shared read-only ClusterRole.
func (b *Backend) applyViewRole(ctx context.Context) error {
	c := b.client.RbacV1().ClusterRoles()
	return createOrUpdate(ctx, clusterViewRole(b.viewRole, b.opts.ListNamespaces), c.Create, c.Get, c.Update,
		func(cur, want *rbacv1.ClusterRole) { cur.Labels, cur.Rules = want.Labels, want.Rules })
}

// applySandbox makes or updates the objects of a learner's sandbox.
func (b *Backend) applySandbox(ctx context.Context, ns, learner string) error {
	sa := b.client.CoreV1().ServiceAccounts(ns)
	if err := createOrUpdate(ctx, serviceAccountObject(ns, learner), sa.Create, sa.Get, sa.Update,
		func(cur, want *corev1.ServiceAccount) {
			cur.Labels, cur.AutomountServiceAccountToken = want.Labels, want.AutomountServiceAccountToken
		}); err != nil {
		return err
	}
	// A binding's roleRef cannot change: it is only ever made with ours.
	rb := b.client.RbacV1().RoleBindings(ns)
	if err := createOrUpdate(ctx, roleBindingObject(ns, learner), rb.Create, rb.Get, rb.Update,
		func(cur, want *rbacv1.RoleBinding) { cur.Labels, cur.Subjects = want.Labels, want.Subjects }); err != nil {
		return err
	}
	crb := b.client.RbacV1().ClusterRoleBindings()
	if err := createOrUpdate(ctx, clusterRoleBindingObject(b.clusterRoleBindingName(learner), b.viewRole, ns, learner),
		crb.Create, crb.Get, crb.Update,
		func(cur, want *rbacv1.ClusterRoleBinding) { cur.Labels, cur.Subjects = want.Labels, want.Subjects }); err != nil {
		return err
	}
	rq := b.client.CoreV1().ResourceQuotas(ns)
	if err := createOrUpdate(ctx, quotaObject(ns, learner, b.opts.Quota), rq.Create, rq.Get, rq.Update,
		func(cur, want *corev1.ResourceQuota) { cur.Labels, cur.Spec = want.Labels, want.Spec }); err != nil {
		return err
	}
	lr := b.client.CoreV1().LimitRanges(ns)
	if err := createOrUpdate(ctx, limitRangeObject(ns, learner, b.opts.Quota), lr.Create, lr.Get, lr.Update,
		func(cur, want *corev1.LimitRange) { cur.Labels, cur.Spec = want.Labels, want.Spec }); err != nil {
		return err
	}
	np := b.client.NetworkingV1().NetworkPolicies(ns)
	return createOrUpdate(ctx, networkPolicyObject(ns, learner), np.Create, np.Get, np.Update,
		func(cur, want *networkingv1.NetworkPolicy) { cur.Labels, cur.Spec = want.Labels, want.Spec })
}
