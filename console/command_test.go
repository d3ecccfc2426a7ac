package console

import (
	"reflect"
	"testing"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line    string
		verb    string
		sub     string
		targets []Target
		ns      string
		all     bool
		output  string
	}{
		{"kubectl get pods", "get", "", []Target{{Resource: "pods"}}, "", false, ""},
		{"k get PODS", "get", "", []Target{{Resource: "pods"}}, "", false, ""},
		{"kubectl get Pods -n my-ns", "get", "", []Target{{Resource: "pods"}}, "my-ns", false, ""},
		{"kubectl get po -n=my-ns", "get", "", []Target{{Resource: "pods"}}, "my-ns", false, ""},
		{"kubectl get pod -nmy-ns", "get", "", []Target{{Resource: "pods"}}, "my-ns", false, ""},
		{"kubectl get pods -n 'my-ns'", "get", "", []Target{{Resource: "pods"}}, "my-ns", false, ""},
		{"kubectl --namespace my-ns get pods", "get", "", []Target{{Resource: "pods"}}, "my-ns", false, ""},
		{"kubectl -n my-ns get pods", "get", "", []Target{{Resource: "pods"}}, "my-ns", false, ""},
		{"kubectl get -A pods", "get", "", []Target{{Resource: "pods"}}, "", true, ""},
		{"kubectl get pods --all-namespaces", "get", "", []Target{{Resource: "pods"}}, "", true, ""},
		{"kubectl get pods -Ao wide", "get", "", []Target{{Resource: "pods"}}, "", true, "wide"},
		{"kubectl get pods -Aowide", "get", "", []Target{{Resource: "pods"}}, "", true, "wide"},
		{"kubectl get pods -o=wide", "get", "", []Target{{Resource: "pods"}}, "", false, "wide"},
		{"kubectl get pods --output wide", "get", "", []Target{{Resource: "pods"}}, "", false, "wide"},
		{"kubectl get pods -o jsonpath='{.items[*].status.podIP}'", "get", "", []Target{{Resource: "pods"}}, "", false, "jsonpath"},
		{"kubectl get deploy,pods -n my-ns", "get", "", []Target{{Resource: "deployments"}, {Resource: "pods"}}, "my-ns", false, ""},
		{"kubectl get deployments.apps nginx-deploy", "get", "", []Target{{Resource: "deployments", Names: []string{"nginx-deploy"}}}, "", false, ""},
		{"kubectl describe pod/webapp", "describe", "", []Target{{Resource: "pods", Names: []string{"webapp"}}}, "", false, ""},
		{"kubectl describe svc/backend pod/webapp", "describe", "", []Target{{Resource: "services", Names: []string{"backend"}}, {Resource: "pods", Names: []string{"webapp"}}}, "", false, ""},
		{"kubectl describe node ip-10-0-1-10", "describe", "", []Target{{Resource: "nodes", Names: []string{"ip-10-0-1-10"}}}, "", false, ""},
		{"kubectl get ev", "get", "", []Target{{Resource: "events"}}, "", false, ""},
		{"kubectl get backups.stable.example.com", "get", "", []Target{{Resource: "backups.stable.example.com"}}, "", false, ""},
		{"kubectl create namespace my-ns", "create", "namespace", []Target{{Resource: "namespaces", Names: []string{"my-ns"}}}, "", false, ""},
		{"kubectl create ns my-ns", "create", "ns", []Target{{Resource: "namespaces", Names: []string{"my-ns"}}}, "", false, ""},
		{"kubectl create deployment nginx-deploy --image=nginx --replicas=2 -n my-ns", "create", "deployment", []Target{{Resource: "deployments", Names: []string{"nginx-deploy"}}}, "my-ns", false, ""},
		{"kubectl create secret generic s --from-literal=a=b", "create", "secret", []Target{{Resource: "secrets", Names: []string{"s"}}}, "", false, ""},
		{"kubectl rollout history deployment/webapp-deployment", "rollout", "history", []Target{{Resource: "deployments", Names: []string{"webapp-deployment"}}}, "", false, ""},
		{"kubectl rollout status deploy webapp-deployment -w", "rollout", "status", []Target{{Resource: "deployments", Names: []string{"webapp-deployment"}}}, "", false, ""},
		{"kubectl logs webapp -c nginx", "logs", "", []Target{{Resource: "pods", Names: []string{"webapp"}}}, "", false, ""},
		{"kubectl exec webapp -- cat /etc/config/a", "exec", "", []Target{{Resource: "pods", Names: []string{"webapp"}}}, "", false, ""},
		{"kubectl label pod webapp tier=web", "label", "", []Target{{Resource: "pods", Names: []string{"webapp"}}}, "", false, ""},
		{"kubectl get all -n my-ns", "get", "", nil, "my-ns", false, ""},
		{"kubectl config get-contexts", "config", "get-contexts", nil, "", false, ""},
		{"kubectl explain deployment.spec.replicas", "explain", "", []Target{{Resource: "deployments"}}, "", false, ""},
		{"kubectl get nodes -L topology.kubernetes.io/zone", "get", "", []Target{{Resource: "nodes"}}, "", false, ""},
		{"kubectl get pods --show-labels -l app=nginx", "get", "", []Target{{Resource: "pods"}}, "", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			c, err := ParseCommand(tc.line)
			if err != nil {
				t.Errorf("%q: %v", tc.line, err)
				return
			}
			if tc.line == "kubectl get all -n my-ns" {
				if len(c.Targets) != len(allCategory) || c.Targets[0].Resource != "pods" {
					t.Errorf("%q: targets %+v", tc.line, c.Targets)
				}
				tc.targets = c.Targets
			}
			if c.Verb != tc.verb || c.Sub != tc.sub || c.Namespace != tc.ns || c.AllNamespaces != tc.all || c.Output != tc.output ||
				!reflect.DeepEqual(c.Targets, tc.targets) {
				t.Errorf("%q: got verb %q sub %q targets %+v ns %q all %v output %q", tc.line, c.Verb, c.Sub, c.Targets, c.Namespace, c.AllNamespaces, c.Output)
			}
		})
	}
	if _, err := ParseCommand("kubectl apply -f nginx-deploy.yaml"); err == nil {
		t.Error("apply -f was not refused")
	}
}

func TestResolveResource(t *testing.T) {
	for in, want := range map[string]string{
		"Pods": "pods", "po": "pods", "POD": "pods", "pods.v1": "pods", "deploy": "deployments",
		"Deployment": "deployments", "deployment.v1.apps": "deployments", "deployments.extensions": "deployments.extensions",
		"svc": "services", "ns": "namespaces", "Namespace": "namespaces", "no": "nodes", "pvc": "persistentvolumeclaims",
		"rs": "replicasets", "cj": "cronjobs", "Backups": "backups", "bk": "bk",
	} {
		if got := ResolveResource(in); got != want {
			t.Errorf("ResolveResource(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"kubectl get pods -n my-ns", "k get deploy,pods -Aowide", "kubectl describe pod/", "kubectl create secret",
		"kubectl label pod x a=b c-", "kubectl get /x", "kubectl logs deploy/", "kubectl get ,", "kubectl -n", "kubectl get all/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		// Any line gives a command or the console's refusal; never a panic.
		c, err := ParseCommand(line)
		if err == nil && c == nil {
			t.Fatal("no command and no error")
		}
	})
}
