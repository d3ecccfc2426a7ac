package labs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kubelab/kubelab/console"
	"github.com/kubelab/kubelab/internal/testcluster"
	"github.com/kubelab/kubelab/labs"
)

// variant is one learner answer for one check: pass says whether the
// grader must accept it.
type variant struct {
	check string // lab/step/check
	line  string
	pass  bool
}

// commandVariants are the ways learners type the labs' commands: the
// module's literal commands, the k alias, short names, plurals, any case,
// type/name, several types, all, and every namespace and output flag form.
var commandVariants = []variant{
	// kubectl-activity, the module's five commands and their variants.
	{"kubectl-activity/list-namespaces/listed", "kubectl get namespace", true}, // the module's command 2
	{"kubectl-activity/list-namespaces/listed", "kubectl get namespaces", true},
	{"kubectl-activity/list-namespaces/listed", "kubectl get ns", true},
	{"kubectl-activity/list-namespaces/listed", "k get ns", true},
	{"kubectl-activity/list-namespaces/listed", "kubectl get Namespaces", true},
	{"kubectl-activity/list-namespaces/listed", "kubectl get NS", true},
	{"kubectl-activity/list-namespaces/listed", "kubectl get namespace my-ns", true},
	{"kubectl-activity/list-namespaces/listed", "kubectl get ns/my-ns", true},
	{"kubectl-activity/list-namespaces/listed", "kubectl get ns -o wide", true},
	{"kubectl-activity/list-namespaces/listed", "kubectl get namespaces --show-labels", true},
	{"kubectl-activity/list-namespaces/listed", "kubectl get 'namespaces' -o name", true},
	{"kubectl-activity/list-namespaces/listed", "kubectl get namespaces.v1", true},
	{"kubectl-activity/list-namespaces/listed", "  kubectl   get   ns  ", true},
	{"kubectl-activity/list-namespaces/listed", "kubectl get ns,pods", true},
	{"kubectl-activity/list-namespaces/listed", "kubectl describe namespace my-ns", false},
	{"kubectl-activity/list-namespaces/listed", "kubectl get pods", false},
	{"kubectl-activity/list-namespaces/listed", "kubectl create namespace my-ns", false},
	{"kubectl-activity/list-namespaces/listed", "kubectl get namespac", false},
	{"kubectl-activity/list-namespaces/listed", "kubectl api-resources --namespaced=false", false},
	{"kubectl-activity/get-pods-default/plain-get-pods", "kubectl get Pods", true}, // the module's command 4
	{"kubectl-activity/get-pods-default/plain-get-pods", "kubectl get pods", true},
	{"kubectl-activity/get-pods-default/plain-get-pods", "k get po", true},
	{"kubectl-activity/get-pods-default/plain-get-pods", "kubectl get pod", true},
	{"kubectl-activity/get-pods-default/plain-get-pods", "kubectl get PODS", true},
	{"kubectl-activity/get-pods-default/plain-get-pods", "kubectl get pods -n default", true},
	{"kubectl-activity/get-pods-default/plain-get-pods", "kubectl get pods --namespace=default", true},
	{"kubectl-activity/get-pods-default/plain-get-pods", "kubectl -n default get pods", true},
	{"kubectl-activity/get-pods-default/plain-get-pods", "kubectl get po -o wide", true},
	{"kubectl-activity/get-pods-default/plain-get-pods", "kubectl get pods,deploy", true},
	{"kubectl-activity/get-pods-default/plain-get-pods", "kubectl get all", true},
	{"kubectl-activity/get-pods-default/plain-get-pods", "kubectl get pods -A", false},
	{"kubectl-activity/get-pods-default/plain-get-pods", "kubectl get pods --all-namespaces", false},
	{"kubectl-activity/get-pods-default/plain-get-pods", "kubectl get pods -n my-ns", false},
	{"kubectl-activity/get-pods-default/plain-get-pods", "kubectl get pods -n=kube-system", false},
	{"kubectl-activity/get-pods-default/plain-get-pods", "kubectl get deploy", false},
	{"kubectl-activity/get-pods-default/plain-get-pods", "kubectl get all -A", false},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get Pods -n my-ns", true}, // the module's command 5
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get pods -n my-ns", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get pods -n=my-ns", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get pods -n 'my-ns'", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", `kubectl get pods -n "my-ns"`, true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get pods -nmy-ns", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get pods --namespace my-ns", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get pods --namespace=my-ns", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl -n my-ns get pods", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl --namespace=my-ns get po", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "k get po -n my-ns", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get PODS -n my-ns", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get pod -n my-ns -o wide", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get pods -o wide -n my-ns", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get pods -n my-ns -o=wide", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get all -n my-ns", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get deploy,pods -n my-ns", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get pods,svc -n my-ns", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get pods -n my-ns -l app=nginx", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get pods -n my-ns --show-labels", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get pods.v1 -n my-ns -o name", true},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get pods -n my-namespace", false},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get pods", false},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get pods -A", false},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get deploy -n my-ns", false},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get pods -n default", false},
	{"kubectl-activity/get-pods-my-ns/listed-my-ns", "kubectl get ns my-ns", false},
	// kubectl-basics
	{"kubectl-basics/create-and-list/get-pods", "kubectl get pods", true},
	{"kubectl-basics/create-and-list/get-pods", "k get po", true},
	{"kubectl-basics/create-and-list/get-pods", "kubectl get Pods -A", true},
	{"kubectl-basics/create-and-list/get-pods", "kubectl get all", true},
	{"kubectl-basics/create-and-list/get-pods", "kubectl get deployments", false},
	{"kubectl-basics/create-and-list/get-pods", "kubectl describe pods", false},
	{"kubectl-basics/more-output/all-namespaces", "kubectl get pods -A", true},
	{"kubectl-basics/more-output/all-namespaces", "kubectl get -A pods", true},
	{"kubectl-basics/more-output/all-namespaces", "kubectl get pods --all-namespaces", true},
	{"kubectl-basics/more-output/all-namespaces", "kubectl get pods --all-namespaces=true", true},
	{"kubectl-basics/more-output/all-namespaces", "kubectl get po -A -o wide", true},
	{"kubectl-basics/more-output/all-namespaces", "kubectl get pods -Ao wide", true},
	{"kubectl-basics/more-output/all-namespaces", "kubectl get pods -Aowide", true},
	{"kubectl-basics/more-output/all-namespaces", "kubectl get all -A", true},
	{"kubectl-basics/more-output/all-namespaces", "kubectl get deploy,pods -A", true},
	{"kubectl-basics/more-output/all-namespaces", "k get po -A", true},
	{"kubectl-basics/more-output/all-namespaces", "kubectl get pods -n kube-system", false},
	{"kubectl-basics/more-output/all-namespaces", "kubectl get pods", false},
	{"kubectl-basics/more-output/all-namespaces", "kubectl get deploy -A", false},
	{"kubectl-basics/more-output/all-namespaces", "kubectl get pods --all-namespaces=false", false},
	{"kubectl-basics/more-output/wide", "kubectl get pods -o wide", true},
	{"kubectl-basics/more-output/wide", "kubectl get pods -o=wide", true},
	{"kubectl-basics/more-output/wide", "kubectl get pods -owide", true},
	{"kubectl-basics/more-output/wide", "kubectl get pods --output wide", true},
	{"kubectl-basics/more-output/wide", "kubectl get pods --output=wide", true},
	{"kubectl-basics/more-output/wide", "kubectl get pods -Ao wide", true},
	{"kubectl-basics/more-output/wide", "kubectl get pods -n my-ns -o wide", true},
	{"kubectl-basics/more-output/wide", "kubectl get pods -o wide --show-labels", true},
	{"kubectl-basics/more-output/wide", "k get po -o wide", true},
	{"kubectl-basics/more-output/wide", "kubectl get pods -o yaml", false},
	{"kubectl-basics/more-output/wide", "kubectl get pods -o json", false},
	{"kubectl-basics/more-output/wide", "kubectl get pods", false},
	{"kubectl-basics/more-output/wide", "kubectl get nodes -o wide", false},
	{"kubectl-basics/describe/described", "kubectl describe deployment hello", true},
	{"kubectl-basics/describe/described", "kubectl describe pods", true},
	{"kubectl-basics/describe/described", "kubectl describe pod/webapp", true},
	{"kubectl-basics/describe/described", "kubectl describe svc/backend", true},
	{"kubectl-basics/describe/described", "kubectl describe no", true},
	{"kubectl-basics/describe/described", "k describe deploy/hello", true},
	{"kubectl-basics/describe/described", "kubectl get deployment hello -o yaml", false},
	{"kubectl-basics/describe/described", "kubectl get pods", false},
	{"kubectl-basics/kubeconfig/get-contexts", "kubectl config get-contexts", true},
	{"kubectl-basics/kubeconfig/get-contexts", "k config get-contexts", true},
	{"kubectl-basics/kubeconfig/get-contexts", "kubectl config get-contexts -o name", true},
	{"kubectl-basics/kubeconfig/get-contexts", "kubectl config view", false},
	{"kubectl-basics/kubeconfig/get-contexts", "kubectl config current-context", false},
	{"kubectl-basics/kubeconfig/current-context", "kubectl config current-context", true},
	{"kubectl-basics/kubeconfig/current-context", "k config current-context", true},
	{"kubectl-basics/kubeconfig/current-context", "kubectl config get-contexts", false},
	{"kubectl-basics/api-resources/api-resources", "kubectl api-resources", true},
	{"kubectl-basics/api-resources/api-resources", "k api-resources", true},
	{"kubectl-basics/api-resources/api-resources", "kubectl api-resources --namespaced=false", true},
	{"kubectl-basics/api-resources/api-resources", "kubectl api-resources -o wide", true},
	{"kubectl-basics/api-resources/api-resources", "kubectl api-versions", false},
	{"kubectl-basics/api-resources/api-resources", "kubectl explain pods", false},
	// custom-resources
	{"custom-resources/discover/api-group", "kubectl api-resources --api-group=stable.example.com", true},
	{"custom-resources/discover/api-group", "kubectl api-resources --api-group stable.example.com", true},
	{"custom-resources/discover/api-group", "kubectl api-resources", false},
	{"custom-resources/discover/api-group", "kubectl api-resources --api-group=apps", false},
	{"custom-resources/create-object/get-backups", "kubectl get backups", true},
	{"custom-resources/create-object/get-backups", "kubectl get backup", true},
	{"custom-resources/create-object/get-backups", "kubectl get bk", true},
	{"custom-resources/create-object/get-backups", "kubectl get Backups", true},
	{"custom-resources/create-object/get-backups", "kubectl get backups.stable.example.com", true},
	{"custom-resources/create-object/get-backups", "k get bk -A", true},
	{"custom-resources/create-object/get-backups", "kubectl get crd", false},
	{"custom-resources/create-object/get-backups", "kubectl describe backups", false},
	// inside-kubernetes
	{"inside-kubernetes/meet-your-cluster/get-nodes", "kubectl get nodes", true},
	{"inside-kubernetes/meet-your-cluster/get-nodes", "kubectl get no", true},
	{"inside-kubernetes/meet-your-cluster/get-nodes", "kubectl get node", true},
	{"inside-kubernetes/meet-your-cluster/get-nodes", "k get Nodes -o wide", true},
	{"inside-kubernetes/meet-your-cluster/get-nodes", "kubectl get nodes -L topology.kubernetes.io/zone", true},
	{"inside-kubernetes/meet-your-cluster/get-nodes", "kubectl describe nodes", false},
	{"inside-kubernetes/meet-your-cluster/get-nodes", "kubectl get pods -o wide", false},
	{"inside-kubernetes/meet-your-cluster/api-server", "kubectl get --raw /readyz", true},
	{"inside-kubernetes/meet-your-cluster/api-server", "kubectl get --raw=/livez", true},
	{"inside-kubernetes/meet-your-cluster/api-server", "kubectl get --raw '/healthz'", true},
	{"inside-kubernetes/meet-your-cluster/api-server", "kubectl get --raw '/readyz?verbose'", true},
	{"inside-kubernetes/meet-your-cluster/api-server", "kubectl version", true},
	{"inside-kubernetes/meet-your-cluster/api-server", "k version", true},
	{"inside-kubernetes/meet-your-cluster/api-server", "kubectl cluster-info", false},
	{"inside-kubernetes/meet-your-cluster/api-server", "kubectl get --raw /api", false},
	// nodes-zones
	{"nodes-zones/node-labels/saw-labels", "kubectl get nodes -L topology.kubernetes.io/zone,node.kubernetes.io/instance-type", true},
	{"nodes-zones/node-labels/saw-labels", "kubectl get no --show-labels", true},
	{"nodes-zones/node-labels/saw-labels", "kubectl get nodes --label-columns topology.kubernetes.io/zone", true},
	{"nodes-zones/node-labels/saw-labels", "kubectl get nodes -Ltopology.kubernetes.io/zone", true},
	{"nodes-zones/node-labels/saw-labels", "kubectl get nodes", false},
	{"nodes-zones/node-labels/saw-labels", "kubectl get pods -L app", false},
	{"nodes-zones/node-capacity/saw-capacity", "kubectl describe nodes", true},
	{"nodes-zones/node-capacity/saw-capacity", "kubectl describe node", true},
	{"nodes-zones/node-capacity/saw-capacity", "kubectl describe no", true},
	{"nodes-zones/node-capacity/saw-capacity", "kubectl get nodes -o yaml", true},
	{"nodes-zones/node-capacity/saw-capacity", "kubectl get no -o json", true},
	{"nodes-zones/node-capacity/saw-capacity", "kubectl get nodes -o jsonpath='{.items[*].status.capacity}'", true},
	{"nodes-zones/node-capacity/saw-capacity", "kubectl get nodes -o wide", false},
	{"nodes-zones/node-capacity/saw-capacity", "kubectl describe pods", false},
	// pod-basics
	{"pod-basics/find-ip/ran-wide", "kubectl get pod webapp -o wide", true},
	{"pod-basics/find-ip/ran-wide", "kubectl get pods -o wide", true},
	{"pod-basics/find-ip/ran-wide", "kubectl get po webapp -owide", true},
	{"pod-basics/find-ip/ran-wide", "kubectl describe pod webapp", true},
	{"pod-basics/find-ip/ran-wide", "kubectl describe pods", true},
	{"pod-basics/find-ip/ran-wide", "kubectl describe pod/webapp", true},
	{"pod-basics/find-ip/ran-wide", "kubectl get pod/webapp -o yaml", true},
	{"pod-basics/find-ip/ran-wide", "kubectl get pods webapp -o jsonpath='{.status.podIP}'", true},
	{"pod-basics/find-ip/ran-wide", "kubectl get pods", false},
	{"pod-basics/find-ip/ran-wide", "kubectl describe pod other", false},
	{"pod-basics/find-ip/ran-wide", "kubectl get pod other -o wide", false},
	// rolling-update
	{"rolling-update/history-undo/history", "kubectl rollout history deployment/webapp-deployment", true},
	{"rolling-update/history-undo/history", "kubectl rollout history deploy webapp-deployment", true},
	{"rolling-update/history-undo/history", "k rollout history deployment webapp-deployment --revision=2", true},
	{"rolling-update/history-undo/history", "kubectl rollout status deployment/webapp-deployment", false},
	{"rolling-update/history-undo/history", "kubectl get rs", false},
	// scheduling-resources
	{"scheduling-resources/filters-and-scores/saw-allocatable", "kubectl describe nodes", true},
	{"scheduling-resources/filters-and-scores/saw-allocatable", "kubectl describe no", true},
	{"scheduling-resources/filters-and-scores/saw-allocatable", "kubectl get nodes -o yaml", true},
	{"scheduling-resources/filters-and-scores/saw-allocatable", "kubectl get nodes", false},
	{"scheduling-resources/filters-and-scores/saw-allocatable", "kubectl top nodes", false},
	{"scheduling-resources/too-big/read-reason", "kubectl describe pod too-big", true},
	{"scheduling-resources/too-big/read-reason", "kubectl describe pods", true},
	{"scheduling-resources/too-big/read-reason", "kubectl describe po/too-big", true},
	{"scheduling-resources/too-big/read-reason", "kubectl get events", true},
	{"scheduling-resources/too-big/read-reason", "kubectl get ev", true},
	{"scheduling-resources/too-big/read-reason", "kubectl events", true},
	{"scheduling-resources/too-big/read-reason", "kubectl get events --field-selector involvedObject.name=too-big", true},
	{"scheduling-resources/too-big/read-reason", "kubectl get pod too-big", false},
	{"scheduling-resources/too-big/read-reason", "kubectl describe pod webapp", false},
	// services
	{"services/look-at-endpoints/saw-endpoints", "kubectl describe service backend", true},
	{"services/look-at-endpoints/saw-endpoints", "kubectl describe svc/backend", true},
	{"services/look-at-endpoints/saw-endpoints", "kubectl describe svc", true},
	{"services/look-at-endpoints/saw-endpoints", "kubectl get endpointslices", true},
	{"services/look-at-endpoints/saw-endpoints", "kubectl get endpointslices.discovery.k8s.io", true},
	{"services/look-at-endpoints/saw-endpoints", "kubectl get endpoints backend", true},
	{"services/look-at-endpoints/saw-endpoints", "kubectl get service backend", false},
	{"services/look-at-endpoints/saw-endpoints", "kubectl describe svc frontend", false},
	// volumes
	{"volumes/claim/looked-at-claim", "kubectl get pvc ebs-claim", true},
	{"volumes/claim/looked-at-claim", "kubectl get pvc", true},
	{"volumes/claim/looked-at-claim", "kubectl describe pvc ebs-claim", true},
	{"volumes/claim/looked-at-claim", "kubectl get persistentvolumeclaims", true},
	{"volumes/claim/looked-at-claim", "kubectl get PersistentVolumeClaim/ebs-claim", true},
	{"volumes/claim/looked-at-claim", "kubectl get pv", false},
	{"volumes/claim/looked-at-claim", "kubectl get storageclass", false},
	{"volumes/zone-pinned/looked-at-pv", "kubectl describe pv", true},
	{"volumes/zone-pinned/looked-at-pv", "kubectl get pv", true},
	{"volumes/zone-pinned/looked-at-pv", "kubectl get persistentvolumes -o wide", true},
	{"volumes/zone-pinned/looked-at-pv", "kubectl get pvc", false},
	// control-loop
	{"control-loop/who-counts/saw-replicasets", "kubectl get replicasets -l app=loop-demo", true},
	{"control-loop/who-counts/saw-replicasets", "kubectl get rs", true},
	{"control-loop/who-counts/saw-replicasets", "kubectl describe rs", true},
	{"control-loop/who-counts/saw-replicasets", "kubectl get ReplicaSets", true},
	{"control-loop/who-counts/saw-replicasets", "kubectl get deploy,rs", true},
	{"control-loop/who-counts/saw-replicasets", "kubectl get deployments", false},
	{"control-loop/who-counts/saw-replicasets", "kubectl get pods -l app=loop-demo", false},
	// namespaces
	{"namespaces/nodes-not-namespaces/wide-listing", "kubectl get pods -A -o wide", true},
	{"namespaces/nodes-not-namespaces/wide-listing", "kubectl get pods -Ao wide", true},
	{"namespaces/nodes-not-namespaces/wide-listing", "kubectl get pods -A", false},
}

// findCheck returns the check named lab/step/check as a step of its own.
func findCheck(t *testing.T, cat *labs.Catalog, path string) *labs.Step {
	t.Helper()
	parts := strings.Split(path, "/")
	if len(parts) != 3 {
		t.Fatalf("bad check path %q", path)
	}
	lab := cat.Lab(parts[0])
	if lab == nil {
		t.Fatalf("%s: no lab %s", path, parts[0])
	}
	st := lab.Step(parts[1])
	if st == nil {
		t.Fatalf("%s: no step %s", path, parts[1])
	}
	for _, c := range st.Checks {
		if c.ID == parts[2] {
			return &labs.Step{ID: st.ID, Checks: []labs.Check{c}}
		}
	}
	t.Fatalf("%s: no check %s", path, parts[2])
	return nil
}

// TestVariants runs each learner variant through the console (parser and
// kubectl, against a live sandbox) and then the grader: right answers
// pass, wrong ones fail with the check's message.
func TestVariants(t *testing.T) {
	if _, err := testcluster.BinaryPath(); err != nil {
		t.Fatal(err)
	}
	cat, err := labs.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := newSession(t)
	if errs := s.do([]labs.Action{{Kubectl: "kubectl create namespace my-ns"}}); len(errs) > 0 {
		t.Fatal(errs)
	}
	ran := 0
	for _, v := range commandVariants {
		st := findCheck(t, cat, v.check)
		if _, err := console.Parse(v.line); err != nil {
			t.Errorf("%s: the console refused %q: %v", v.check, v.line, err)
			continue
		}
		// Run it for real: the grader counts what the console ran.
		s.do([]labs.Action{{Kubectl: v.line}})
		ran++
		r := cat.GradeStep(context.Background(), st, s.w, labs.Activity{Commands: []string{v.line}})
		switch {
		case v.pass && !r.Passed:
			t.Errorf("%s: %q should pass; got %v", v.check, v.line, r.Messages("en"))
		case !v.pass && r.Passed:
			t.Errorf("%s: %q should fail", v.check, v.line)
		case !v.pass && (len(r.Checks) != 1 || r.Checks[0].Message.En != st.Checks[0].Message.En || r.Checks[0].Message.En == ""):
			t.Errorf("%s: %q failed with %v, want the check's message %q", v.check, v.line, r.Messages("en"), st.Checks[0].Message.En)
		}
		// Local mode (no console history): the check is skipped, never failed.
		if local := cat.GradeStep(context.Background(), st, s.w, labs.Activity{NoHistory: true}); !local.Passed || !local.Checks[0].Skipped {
			t.Errorf("%s: without console history the check should be skipped", v.check)
		}
	}
	t.Logf("%d command variants run through the console and graded", ran)
}

// TestModuleApplyExplained: the module's command 3 is refused by the
// console with a pointer to the editor, and the lab says so beforehand.
func TestModuleApplyExplained(t *testing.T) {
	_, err := console.Parse("kubectl apply -f nginx-deploy.yaml")
	var ce *console.Error
	if !errors.As(err, &ce) || !strings.Contains(ce.En, "YAML editor") || !strings.Contains(ce.Ko, "YAML 편집기") {
		t.Fatalf("apply -f: want a refusal pointing to the YAML editor, got %v", err)
	}
	cat, err := labs.Load()
	if err != nil {
		t.Fatal(err)
	}
	st := cat.Lab("kubectl-activity").Step("apply-deployment")
	for _, want := range []string{"apply -f", "YAML editor", "nginx-deploy", "my-ns", "replicas: 2"} {
		if !strings.Contains(st.Text.En, want) {
			t.Errorf("the apply step's English text does not mention %q", want)
		}
	}
	for _, want := range []string{"apply -f", "YAML 편집기", "replicas: 2"} {
		if !strings.Contains(st.Text.Ko, want) {
			t.Errorf("the apply step's Korean text does not mention %q", want)
		}
	}
}

const moduleDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deploy
  namespace: my-ns
spec:
  selector:
    matchLabels:
      app: nginx
  replicas: 2
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
        - name: nginx
          image: nginx:1.25.1
`

// TestActivityObjectVariants: every way to make the activity's Deployment
// that keeps its lesson passes steps 3 and 5; the wrong ones fail.
func TestActivityObjectVariants(t *testing.T) {
	if _, err := testcluster.BinaryPath(); err != nil {
		t.Fatal(err)
	}
	cat, err := labs.Load()
	if err != nil {
		t.Fatal(err)
	}
	lab := cat.Lab("kubectl-activity")
	step3, step5 := lab.Step("apply-deployment"), lab.Step("get-pods-my-ns")
	s := newSession(t)
	s.do([]labs.Action{{Kubectl: "kubectl create namespace my-ns"}, {Kubectl: "kubectl get pods -n my-ns"}})
	cleanup := []labs.Action{{Kubectl: "kubectl delete deployment nginx-deploy -n my-ns --ignore-not-found"},
		{Kubectl: "kubectl delete deployment nginx-deploy -n default --ignore-not-found"},
		{Kubectl: "kubectl delete pods --all -n my-ns --grace-period=0 --force"}}
	cases := []struct {
		name     string
		do       []labs.Action
		pass     bool
		fails    string // check that must fail
		contains string
	}{
		{"kubectl create deployment (label app=nginx-deploy)", []labs.Action{{Kubectl: "kubectl create deployment nginx-deploy --image=nginx --replicas=2 -n my-ns"}}, true, "", ""},
		{"k create deploy with -r and --namespace=", []labs.Action{{Kubectl: "k create deploy nginx-deploy --image=nginx:1.25.1 -r 2 --namespace=my-ns"}}, true, "", ""},
		{"the module's YAML, containers filled in", []labs.Action{{Apply: moduleDeployment}}, true, "", ""},
		{"YAML with other consistent labels", []labs.Action{{Apply: strings.ReplaceAll(moduleDeployment, "app: nginx", "tier: web")}}, true, "", ""},
		{"YAML without namespace, then -n on scale is not enough", []labs.Action{{Apply: strings.Replace(moduleDeployment, "namespace: my-ns", "namespace: default", 1)}}, false, "in-my-ns", "is in namespace default, expected my-ns"},
		{"replicas 3", []labs.Action{{Apply: strings.Replace(moduleDeployment, "replicas: 2", "replicas: 3", 1)}}, false, "replicas", "replicas is 3, expected 2"},
		{"create deployment without --replicas", []labs.Action{{Kubectl: "kubectl create deployment nginx-deploy --image=nginx -n my-ns"}}, false, "replicas", "replicas is 1, expected 2"},
		{"selector and template labels differ (refused by the API server)", []labs.Action{{Apply: strings.Replace(moduleDeployment, "        app: nginx", "        app: web", 1)}}, false, "in-my-ns", "Deployment nginx-deploy not found"},
		{"two bare Pods labelled app=nginx instead of a Deployment", []labs.Action{
			{Kubectl: "kubectl run nginx-1 --image=nginx -l app=nginx -n my-ns"},
			{Kubectl: "kubectl run nginx-2 --image=nginx -l app=nginx -n my-ns"}}, false, "in-my-ns", "Deployment nginx-deploy not found"},
	}
	for _, c := range cases {
		s.do(c.do)
		if c.pass {
			for _, st := range []*labs.Step{step3, step5} {
				if r, ok := s.until(cat, st, 30*time.Second, func(r labs.StepResult) bool { return r.Passed }); !ok {
					t.Errorf("%s: step %s should pass: %v", c.name, st.ID, r.Messages("en"))
				}
			}
		} else {
			if r, ok := s.until(cat, step3, 20*time.Second, func(r labs.StepResult) bool {
				f, msg := failing(r, c.fails)
				return f && strings.Contains(msg, c.contains)
			}); !ok {
				_, msg := failing(r, c.fails)
				t.Errorf("%s: check %s should fail with %q, got %q", c.name, c.fails, c.contains, msg)
			}
			if c.name == "two bare Pods labelled app=nginx instead of a Deployment" {
				if r, ok := s.until(cat, step5, 20*time.Second, func(r labs.StepResult) bool {
					f, msg := failing(r, "pods-running")
					return f && strings.Contains(msg, "found 0 Running Pods owned by nginx-deploy")
				}); !ok {
					t.Errorf("%s: bare Pods must not count as the Deployment's: %v", c.name, r.Messages("en"))
				}
			}
		}
		s.do(cleanup)
		time.Sleep(time.Second)
	}
}
