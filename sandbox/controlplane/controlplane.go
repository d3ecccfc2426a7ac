// Package controlplane runs a real Kubernetes control plane inside the
// current process: embedded etcd, kube-apiserver, kube-controller-manager and
// kube-scheduler, built from the Kubernetes Go modules.
//
// One process holds at most one control plane: the components register
// process-wide state (metrics, feature gates, informer names). The embedded
// sandbox backend therefore runs each sandbox in a child process.
package controlplane

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/server/v3/embed"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/klog/v2"
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
	apiserveroptions "k8s.io/kubernetes/cmd/kube-apiserver/app/options"
	kcmapp "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	kcmoptions "k8s.io/kubernetes/cmd/kube-controller-manager/app/options"
	"k8s.io/kubernetes/cmd/kube-controller-manager/names"
	schedulerapp "k8s.io/kubernetes/cmd/kube-scheduler/app"
	scheduleroptions "k8s.io/kubernetes/cmd/kube-scheduler/app/options"

	"github.com/kubelab/kubelab/sandbox/internal/pauseclock"
	"github.com/kubelab/kubelab/sandbox/internal/pki"
	"github.com/kubelab/kubelab/sandbox/objectlimit"
	"github.com/kubelab/kubelab/sandbox/schedrecord"
)

// ServiceCIDR is the Service IP range, as on Amazon EKS.
const ServiceCIDR = "10.100.0.0/16"

// Config says where a control plane keeps its state and how it is reached.
type Config struct {
	// Dir holds etcd's data, the PKI and the kubeconfig files.
	Dir string
	// APIPort is the API server's port on 127.0.0.1; 0 picks a free one.
	APIPort int
	// EgressProxy, if set, is the unix socket of an HTTP CONNECT proxy that
	// the API server uses for every connection it makes outside etcd: to
	// nodes, pods and Services, and to webhooks and aggregated APIs a
	// learner may declare. The proxy decides what is reachable.
	EgressProxy string
	// EtcdQuotaBytes caps the size of the sandbox's etcd database; 0 = 256 MiB.
	EtcdQuotaBytes int64
	// Log receives the components' logs; nil discards them.
	Log io.Writer
	// NodeGracePeriod is how long a node may stay silent before it is
	// marked NotReady; 0 = 40 s.
	NodeGracePeriod time.Duration
	// EvictionToleration is how long a pod tolerates, by default, a node
	// that is NotReady or unreachable before it is evicted (the API
	// server's --default-not-ready/unreachable-toleration-seconds); 0 =
	// 30 s, where a real cluster waits 300 s: a learner watches a zone
	// fail and recover within a lab step.
	EvictionToleration time.Duration
	// Tuning holds settings that trade memory for speed (docs/performance.md).
	Tuning Tuning
	// ObjectLimits caps, inside the API server's admission, how many
	// objects of each listed resource the sandbox, or one namespace, may
	// hold (package objectlimit); empty limits set none.
	ObjectLimits objectlimit.Limits
	// Template is a directory made by MakeTemplate: a sandbox whose
	// etcd does not exist yet starts with a copy of the template's, so
	// that its API server finds the cluster's bootstrap (RBAC, priority
	// classes, system namespaces) in place (see bootstrap.go). Empty, or
	// not a template: the cluster is bootstrapped from scratch.
	Template string
	// bootstrapOnly starts etcd and the API server only, and returns once
	// the API server has bootstrapped the cluster (MakeTemplate).
	bootstrapOnly bool
}

// Tuning adjusts the components beyond the sandbox's defaults, to measure
// a setting's effect (bench/cost) before making it the default.
type Tuning struct {
	// APIServerArgs and ControllerManagerArgs are appended to the
	// components' flags (a later flag wins).
	APIServerArgs         []string
	ControllerManagerArgs []string
	// EtcdSnapshotCount is how many applied raft entries etcd keeps in
	// memory before it snapshots; 0 = the sandbox default.
	EtcdSnapshotCount uint64
	// OpenAPIV2 serves /openapi/v2 too (kubectl since 1.27 reads v3).
	OpenAPIV2 bool
	// NoSchedulingRecords runs the stock scheduler profile without the
	// decision recorder (to measure what recording costs).
	NoSchedulingRecords bool
}

// ControlPlane is a running control plane.
type ControlPlane struct {
	// Server is the API server's URL.
	Server string
	// PKI holds the sandbox's certificates.
	PKI pki.Bundle
	// AdminKubeconfig is the path of the admin kubeconfig.
	AdminKubeconfig string
	// Clock is the time the controllers that watch node health go by: it
	// does not count the time the process was frozen.
	Clock *pauseclock.Clock

	etcd *embed.Etcd
	errc chan error
	// evictionToleration is Config.EvictionToleration, defaulted.
	evictionToleration time.Duration
	// recordsReady delivers the outcome of declaring the scheduler's
	// decision records, and is refilled for every reader.
	recordsReady chan error
	// api is the API server's handler, for in-process clients.
	api apiHandler
	// apiStopped is closed when the API server has stopped.
	apiStopped chan struct{}
}

// Errors returns a channel that receives the first component failure.
func (c *ControlPlane) Errors() <-chan error { return c.errc }

// ClientConfig returns a REST config for one of the identities in pki.Clients.
func (c *ControlPlane) ClientConfig(identity string) *rest.Config {
	return &rest.Config{
		Host: c.Server,
		TLSClientConfig: rest.TLSClientConfig{
			CAFile:   c.PKI.Path("ca.crt"),
			CertFile: c.PKI.Path(identity + ".crt"),
			KeyFile:  c.PKI.Path(identity + ".key"),
		},
		QPS:   200,
		Burst: 400,
	}
}

// Close stops etcd. The other components stop when the context given to
// Start is cancelled; the process is expected to exit soon after.
func (c *ControlPlane) Close() {
	if c.etcd != nil {
		c.etcd.Close()
	}
}

// Start starts etcd, the API server, the controller manager and the
// scheduler, and returns once the API server answers /readyz.
func Start(ctx context.Context, cfg Config) (*ControlPlane, error) {
	if cfg.Dir == "" {
		return nil, errors.New("controlplane: no directory given")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("controlplane: %w", err)
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	logTo(cfg.Log)
	bundle, err := pki.Ensure(filepath.Join(dir, "pki"),
		[]net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.100.0.1")},
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"})
	if err != nil {
		return nil, err
	}
	port := cfg.APIPort
	if port == 0 {
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	cp := &ControlPlane{
		Server:          "https://127.0.0.1:" + strconv.Itoa(port),
		PKI:             bundle,
		AdminKubeconfig: filepath.Join(dir, "kubeconfig"),
		Clock:           pauseclock.New(nil),
		errc:            make(chan error, 4),
		apiStopped:      make(chan struct{}),

		evictionToleration: cfg.EvictionToleration,
	}
	if cp.evictionToleration <= 0 {
		cp.evictionToleration = 30 * time.Second
	}
	if cfg.Template != "" && bootstrapped(cfg.Template) { // a complete template
		if _, err := os.Stat(filepath.Join(dir, "etcd")); errors.Is(err, os.ErrNotExist) {
			if err := copyTemplate(cfg.Template, dir); err != nil {
				fmt.Fprintln(cfg.Log, err, "(bootstrapping from scratch)")
			}
		}
	}
	boot := bootstrapped(dir)
	etcdURL, err := cp.startEtcd(filepath.Join(dir, "etcd"), cfg.EtcdQuotaBytes, cfg.Tuning.EtcdSnapshotCount)
	if err != nil {
		return nil, err
	}
	for _, id := range []string{"controller-manager", "scheduler"} {
		if err := WriteKubeconfig(filepath.Join(dir, id+".kubeconfig"), cp.Server, bundle, id, "kubelab"); err != nil {
			cp.Close()
			return nil, err
		}
	}
	if err := cp.startAPIServer(ctx, dir, port, etcdURL, cfg.EgressProxy, cfg.Tuning, cfg.ObjectLimits, boot); err != nil {
		cp.Close()
		return nil, err
	}
	if err := cp.waitReady(ctx); err != nil {
		cp.Close()
		return nil, err
	}
	if cfg.bootstrapOnly {
		return cp, nil // MakeTemplate marks the template once complete
	}
	if boot {
		cp.runBootstrapHooks(ctx)
	} else if err := markBootstrapped(dir); err != nil {
		cp.Close()
		return nil, err
	}
	if err := cp.startControllerManager(ctx, dir, cfg.Tuning.ControllerManagerArgs); err != nil {
		cp.Close()
		return nil, err
	}
	if err := cp.startSandboxScheduler(ctx, dir, !cfg.Tuning.NoSchedulingRecords); err != nil {
		cp.Close()
		return nil, err
	}
	grace := cfg.NodeGracePeriod
	if grace == 0 {
		grace = 40 * time.Second
	}
	admin, err := kubernetes.NewForConfig(cp.ClientConfig("admin"))
	if err != nil {
		cp.Close()
		return nil, fmt.Errorf("controlplane: admin client: %w", err)
	}
	if err := startNodeLifecycle(ctx, admin, cp.Clock, grace, cp.errc); err != nil {
		cp.Close()
		return nil, err
	}
	if err := WriteKubeconfig(cp.AdminKubeconfig, cp.Server, bundle, "admin", "kubelab"); err != nil {
		cp.Close()
		return nil, err
	}
	return cp, nil
}

func (c *ControlPlane) startEtcd(dir string, quota int64, snapshotCount uint64) (string, error) {
	clientPort, err := freePort()
	if err != nil {
		return "", err
	}
	peerPort, err := freePort()
	if err != nil {
		return "", err
	}
	ec := embed.NewConfig()
	ec.Name = "sandbox"
	ec.Dir = dir
	ec.LogLevel = "error"
	ec.UnsafeNoFsync = true
	// A single member elects itself once its election timeout passes,
	// after one to ElectionMs/TickMs ticks (etcd fast-forwards the rest):
	// up to a second by default, up to half a second here. The tick, and
	// so etcd's idle wake-ups, stays at its default.
	ec.ElectionMs = 500
	if snapshotCount > 0 {
		ec.SnapshotCount = snapshotCount
	}
	ec.QuotaBackendBytes = quota
	if ec.QuotaBackendBytes == 0 {
		ec.QuotaBackendBytes = 256 << 20
	}
	cu := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(clientPort)}
	pu := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(peerPort)}
	ec.ListenClientUrls = []url.URL{cu}
	ec.AdvertiseClientUrls = []url.URL{cu}
	ec.ListenPeerUrls = []url.URL{pu}
	ec.AdvertisePeerUrls = []url.URL{pu}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	ec.ListenMetricsUrls = nil
	e, err := embed.StartEtcd(ec)
	if err != nil {
		return "", fmt.Errorf("controlplane: start etcd in %s: %w", dir, err)
	}
	// The API server is built while etcd elects itself (up to half a
	// second): it connects once etcd is ready, and /readyz, which Start
	// waits for, includes etcd.
	c.etcd = e
	go func() {
		select {
		case <-e.Server.ReadyNotify():
		case <-e.Server.StopNotify():
		case <-time.After(30 * time.Second):
			select {
			case c.errc <- errors.New("controlplane: etcd not ready after 30s"):
			default:
			}
		}
	}()
	go func() {
		if err, ok := <-e.Err(); ok && err != nil {
			c.errc <- fmt.Errorf("etcd: %w", err)
		}
	}()
	return cu.String(), nil
}

func (c *ControlPlane) startAPIServer(ctx context.Context, dir string, port int, etcdURL, egressProxy string, tuning Tuning, limits objectlimit.Limits, bootstrapped bool) error {
	s := apiserveroptions.NewServerRunOptions()
	admissionPlugins := "NodeRestriction"
	if !limits.Empty() {
		objectlimit.Register(s.Admission.GenericAdmission.Plugins, limits)
		s.Admission.GenericAdmission.RecommendedPluginOrder = append(s.Admission.GenericAdmission.RecommendedPluginOrder, objectlimit.PluginName)
		admissionPlugins += "," + objectlimit.PluginName
	}
	tolerate := strconv.Itoa(int(c.evictionToleration.Seconds()))
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + filepath.Join(dir, "pki"),
		"--tls-cert-file=" + c.PKI.Path("apiserver.crt"),
		"--tls-private-key-file=" + c.PKI.Path("apiserver.key"),
		"--client-ca-file=" + c.PKI.Path("ca.crt"),
		"--service-account-key-file=" + c.PKI.Path("sa.pub"),
		"--service-account-signing-key-file=" + c.PKI.Path("sa.key"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--authorization-mode=Node,RBAC",
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--endpoint-reconciler-type=none",
		"--kubelet-client-certificate=" + c.PKI.Path("apiserver-kubelet-client.crt"),
		"--kubelet-client-key=" + c.PKI.Path("apiserver-kubelet-client.key"),
		"--kubelet-preferred-address-types=InternalIP",
		"--kubelet-timeout=5s",
		"--enable-admission-plugins=" + admissionPlugins,
		"--allow-privileged=true",
		"--profiling=false",
		"--enable-priority-and-fairness=false",
		"--event-ttl=2h",
		"--default-not-ready-toleration-seconds=" + tolerate,
		"--default-unreachable-toleration-seconds=" + tolerate,
	}
	if egressProxy != "" {
		path := filepath.Join(dir, "egress-selector.yaml")
		conf := fmt.Sprintf(`apiVersion: apiserver.k8s.io/v1beta1
kind: EgressSelectorConfiguration
egressSelections:
- name: cluster
  connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: %[1]s
- name: controlplane
  connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: %[1]s
`, egressProxy)
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			return fmt.Errorf("controlplane: write egress selector: %w", err)
		}
		args = append(args, "--egress-selector-config-file="+path)
	}
	args = append(args, tuning.APIServerArgs...)
	if err := parseFlags("kube-apiserver", s.Flags(), args); err != nil {
		return err
	}
	if err := s.GenericServerRunOptions.ComponentGlobalsRegistry.Set(); err != nil {
		return fmt.Errorf("controlplane: apiserver feature gates: %w", err)
	}
	rest.SetDefaultWarningHandler(rest.NoWarnings{})
	completed, err := s.Complete(ctx)
	if err != nil {
		return fmt.Errorf("controlplane: complete apiserver options: %w", err)
	}
	if errs := completed.Validate(); len(errs) != 0 {
		return fmt.Errorf("controlplane: apiserver options: %w", utilerrors.NewAggregate(errs))
	}
	name, err := cache.NewInformerName("kube-apiserver")
	if err != nil {
		return fmt.Errorf("controlplane: apiserver informer name: %w", err)
	}
	completed.InformerName = name
	// Schedulers in processes of their own send their decision records in
	// batches (schedrecord.NewBatchWriter): the API server stores each as
	// the sandbox's own scheduler does, in-process.
	records, err := schedrecord.NewWriter(c.InProcessConfig())
	if err != nil {
		return fmt.Errorf("controlplane: scheduling records: %w", err)
	}
	paths := map[string]http.Handler{schedrecord.BatchPath: schedrecord.BatchHandler(records)}
	go func() {
		defer close(c.apiStopped)
		if err := runAPIServer(ctx, completed, tuning.OpenAPIV2, bootstrapped, paths, c.api.set); err != nil && ctx.Err() == nil {
			c.errc <- fmt.Errorf("kube-apiserver: %w", err)
		}
	}()
	return nil
}

// runAPIServer is kube-apiserver's own Run with two changes: without
// openAPIV2 the built-in and aggregator servers build no OpenAPI v2
// document (about 10 MB of live heap per sandbox; docs/performance.md). OpenAPI v3, which
// kubectl reads, is served as usual. On a bootstrapped etcd, the
// bootstrap hooks do not hold /readyz (bootstrap.go). built receives the server's handler
// chain and loopback token before the server runs. paths are served
// besides the API, behind the same authentication and authorization (as
// non-resource URLs).
func runAPIServer(ctx context.Context, opts apiserveroptions.CompletedOptions, openAPIV2, bootstrapped bool, paths map[string]http.Handler, built func(http.Handler, string)) error {
	config, err := apiserverapp.NewConfig(opts)
	if err != nil {
		return err
	}
	if bootstrapped {
		config.KubeAPIs.ControlPlane.Generic.DisabledPostStartHooks.Insert(gatingBootstrapHooks...)
	}
	if !openAPIV2 {
		// The extensions server keeps its own: it derives the published
		// v3 documents of CustomResourceDefinitions from it.
		config.KubeAPIs.ControlPlane.Generic.OpenAPIConfig = nil
		config.Aggregator.GenericConfig.OpenAPIConfig = nil
	}
	completed, err := config.Complete()
	if err != nil {
		return err
	}
	server, err := apiserverapp.CreateServerChain(completed)
	if err != nil {
		return err
	}
	for path, h := range paths {
		server.GenericAPIServer.Handler.NonGoRestfulMux.Handle(path, h)
	}
	built(server.GenericAPIServer.Handler, completed.Aggregator.GenericConfig.LoopbackClientConfig.BearerToken)
	prepared, err := server.PrepareRun()
	if err != nil {
		return err
	}
	return prepared.Run(ctx)
}

func (c *ControlPlane) startControllerManager(ctx context.Context, dir string, extra []string) error {
	s, err := kcmoptions.NewKubeControllerManagerOptions()
	if err != nil {
		return fmt.Errorf("controlplane: controller manager options: %w", err)
	}
	kubeconfig := filepath.Join(dir, "controller-manager.kubeconfig")
	args := []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--leader-elect=false",
		"--secure-port=0",
		// The node lifecycle controller runs on the sandbox's pause-aware
		// clock instead (startNodeLifecycle). The admission policies'
		// type-checking status costs 5 MB of OpenAPI schemas for a field
		// no lab reads (docs/performance.md).
		"--controllers=*,-" + names.NodeLifecycleController + ",-" + names.ValidatingAdmissionPolicyStatusController,
		"--use-service-account-credentials=true",
		"--service-account-private-key-file=" + c.PKI.Path("sa.key"),
		"--root-ca-file=" + c.PKI.Path("ca.crt"),
		"--cluster-signing-cert-file=" + c.PKI.Path("ca.crt"),
		"--cluster-signing-key-file=" + c.PKI.Path("ca.key"),
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--flex-volume-plugin-dir=" + filepath.Join(dir, "flexvolume"),
		"--profiling=false",
		"--kube-api-qps=100",
		"--kube-api-burst=200",
	}
	args = append(args, extra...)
	fss := s.Flags(kcmapp.KnownControllers(), kcmapp.ControllersDisabledByDefault(), kcmapp.ControllerAliases())
	s.ParsedFlags = &fss
	if err := parseFlags("kube-controller-manager", fss, args); err != nil {
		return err
	}
	if err := s.ComponentGlobalsRegistry.Set(); err != nil {
		return fmt.Errorf("controlplane: controller manager feature gates: %w", err)
	}
	conf, err := s.Config(ctx, kcmapp.KnownControllers(), kcmapp.ControllersDisabledByDefault(), kcmapp.ControllerAliases())
	if err != nil {
		return fmt.Errorf("controlplane: controller manager config: %w", err)
	}
	go func() {
		if err := kcmapp.Run(ctx, conf.Complete()); err != nil && ctx.Err() == nil {
			c.errc <- fmt.Errorf("kube-controller-manager: %w", err)
		}
	}()
	return nil
}

// schedulerConfig is the scheduler's configuration: one profile, the
// upstream default, under the given scheduler name.
const schedulerConfig = `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: %q
leaderElection:
  leaderElect: false
profiles:
- schedulerName: %s
`

// recorderPlugins adds the decision recorder (sandbox/schedrecord) to the
// profile: first at PostFilter so that it sees every failed attempt
// whatever preemption does, and first at Reserve so that it sees the
// cluster as the filters did, before VolumeBinding assumes the pod's
// volumes.
const recorderPlugins = `  plugins:
    multiPoint:
      enabled:
      - name: %[1]s
    postFilter:
      enabled:
      - name: %[1]s
      - name: DefaultPreemption
    reserve:
      enabled:
      - name: %[1]s
      - name: VolumeBinding
`

// SchedulerSpec says how to run a kube-scheduler with the sandbox's
// profile.
type SchedulerSpec struct {
	// Dir receives the scheduler's configuration file.
	Dir string
	// Kubeconfig is the scheduler's connection to the API server.
	Kubeconfig string
	// Name is the profile's schedulerName; "" is default-scheduler.
	Name string
	// Records, when set, adds the decision recorder, whose writes go
	// through this config; nil runs the stock profile.
	Records *rest.Config
	// BatchRecords sends the records in batches to the sandbox API
	// server's batch endpoint (schedrecord.NewBatchWriter), for a
	// scheduler in a process of its own; otherwise each is its own write.
	BatchRecords bool
}

// ComponentLabel is the CPU profiles' label that names the component whose
// goroutine took a sample: the scheduler's goroutines (and those they
// start: informers, client connections, the decision writer) carry
// "kube-scheduler", requests served in-process "kube-apiserver". A
// profile of the sandbox then tells the scheduler's CPU
// (pprof -tagfocus=kubelab.component=kube-scheduler; bench/schedcost.sh).
const ComponentLabel = "kubelab.component"

// StartScheduler runs a kube-scheduler until ctx ends; a failure once it
// runs goes to errc. It returns once the scheduler is set up.
func StartScheduler(ctx context.Context, spec SchedulerSpec, errc chan<- error) (err error) {
	pprof.Do(ctx, pprof.Labels(ComponentLabel, "kube-scheduler"), func(ctx context.Context) {
		err = startScheduler(ctx, spec, errc)
	})
	return err
}

func startScheduler(ctx context.Context, spec SchedulerSpec, errc chan<- error) error {
	opts := scheduleroptions.NewOptions()
	config := filepath.Join(spec.Dir, "scheduler.yaml")
	name := spec.Name
	if name == "" {
		name = "default-scheduler"
	}
	text := fmt.Sprintf(schedulerConfig, spec.Kubeconfig, name)
	if spec.Records != nil {
		text += fmt.Sprintf(recorderPlugins, schedrecord.Name)
	}
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		return fmt.Errorf("controlplane: scheduler configuration: %w", err)
	}
	args := []string{
		"--config=" + config,
		"--authentication-kubeconfig=" + spec.Kubeconfig,
		"--authorization-kubeconfig=" + spec.Kubeconfig,
		"--secure-port=0",
		"--profiling=false",
	}
	if err := parseFlags("kube-scheduler", *opts.Flags, args); err != nil {
		return err
	}
	if err := opts.ComponentGlobalsRegistry.Set(); err != nil {
		return fmt.Errorf("controlplane: scheduler feature gates: %w", err)
	}
	informerName, err := cache.NewInformerName("kube-scheduler")
	if err != nil {
		return fmt.Errorf("controlplane: scheduler informer name: %w", err)
	}
	opts.InformerName = informerName
	var setupOpts []schedulerapp.Option
	var writer *schedrecord.Writer
	if spec.Records != nil {
		newWriter := schedrecord.NewWriter
		if spec.BatchRecords {
			newWriter = schedrecord.NewBatchWriter
		}
		if writer, err = newWriter(spec.Records); err != nil {
			return fmt.Errorf("controlplane: scheduling records: %w", err)
		}
		setupOpts = append(setupOpts, schedulerapp.WithPlugin(schedrecord.Name, schedrecord.Factory(writer.Put)))
	}
	cc, sched, err := schedulerapp.Setup(ctx, opts, setupOpts...)
	if err != nil {
		return fmt.Errorf("controlplane: scheduler setup: %w", err)
	}
	if writer != nil {
		go writer.Run(ctx)
	}
	go func() {
		if err := schedulerapp.Run(ctx, cc, sched); err != nil && ctx.Err() == nil {
			errc <- fmt.Errorf("kube-scheduler: %w", err)
		}
	}()
	return nil
}

// startSandboxScheduler runs the sandbox's scheduler, with the decision recorder
// unless record is false.
func (c *ControlPlane) startSandboxScheduler(ctx context.Context, dir string, record bool) error {
	spec := SchedulerSpec{Dir: dir, Kubeconfig: filepath.Join(dir, "scheduler.kubeconfig")}
	if record {
		records, err := dynamic.NewForConfig(c.ClientConfig("admin"))
		if err != nil {
			return fmt.Errorf("controlplane: scheduling records client: %w", err)
		}
		// The records go straight to the API server's handler: one small
		// write per scheduled pod, which over TLS cost as much client CPU
		// as the pod's binding (docs/scheduler.md).
		spec.Records = c.InProcessConfig()
		c.recordsReady = make(chan error, 1)
		go func() { c.recordsReady <- schedrecord.EnsureCRD(ctx, records) }()
	}
	return StartScheduler(ctx, spec, c.errc)
}

// RecordsReady waits until the API server serves the scheduler's decision
// records (sandbox/schedrecord).
func (c *ControlPlane) RecordsReady(ctx context.Context) error {
	if c.recordsReady == nil {
		return nil
	}
	select {
	case err := <-c.recordsReady:
		c.recordsReady <- err
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *ControlPlane) waitReady(ctx context.Context) error {
	client, err := kubernetes.NewForConfig(c.ClientConfig("admin"))
	if err != nil {
		return fmt.Errorf("controlplane: admin client: %w", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		select {
		case err := <-c.errc:
			return err
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			return nil
		}
		last = err
	}
	return fmt.Errorf("controlplane: API server not ready after 60s: %v", last)
}

// WriteKubeconfig writes a kubeconfig for one identity of the bundle, with
// the certificates embedded so the file can be moved.
func WriteKubeconfig(path, server string, b pki.Bundle, identity, name string) error {
	ca, err := os.ReadFile(b.Path("ca.crt"))
	if err != nil {
		return fmt.Errorf("controlplane: kubeconfig: %w", err)
	}
	crt, err := os.ReadFile(b.Path(identity + ".crt"))
	if err != nil {
		return fmt.Errorf("controlplane: kubeconfig: %w", err)
	}
	key, err := os.ReadFile(b.Path(identity + ".key"))
	if err != nil {
		return fmt.Errorf("controlplane: kubeconfig: %w", err)
	}
	user := identity
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: crt, ClientKeyData: key}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: user, Namespace: "default"}
	cfg.CurrentContext = name
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("controlplane: write %s: %w", path, err)
	}
	return os.Chmod(path, 0o600)
}

func parseFlags(component string, fss cliflag.NamedFlagSets, args []string) error {
	fs := pflag.NewFlagSet(component, pflag.ContinueOnError)
	for _, f := range fss.FlagSets {
		fs.AddFlagSet(f)
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("controlplane: %s flags: %w", component, err)
	}
	return nil
}

// logTo sends the components' klog output to w (stderr stays quiet). Every
// severity has w as its output and each line is written once: klog opens
// a file in the temporary directory for any severity without an output.
func logTo(w io.Writer) {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	_ = fs.Set("one_output", "true")
	_ = fs.Set("v", "0")
	klog.SetOutput(w)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("controlplane: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
