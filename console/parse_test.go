package console

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"kubectl get pods", []string{"get", "pods"}},
		{"k get po", []string{"get", "po"}},
		{"  kubectl\tget   pods  ", []string{"get", "pods"}},
		{"kubectl", []string{}},
		{"kubectl --help", []string{"--help"}},
		{"kubectl get pods -n kube-system", []string{"get", "pods", "-n", "kube-system"}},
		{"kubectl -n kube-system get pods", []string{"-n", "kube-system", "get", "pods"}},
		{"kubectl --namespace=dev get deploy", []string{"--namespace=dev", "get", "deploy"}},
		{"kubectl -nkube-system get pods", []string{"-nkube-system", "get", "pods"}},
		{"kubectl -v 6 get pods", []string{"-v", "6", "get", "pods"}},
		{"kubectl get pods -A -o wide", []string{"get", "pods", "-A", "-o", "wide"}},
		{"kubectl get pods -Aowide", []string{"get", "pods", "-Aowide"}},
		{"kubectl get pods -w", []string{"get", "pods", "-w"}},
		{"kubectl get pods -l 'app in (web, api)'", []string{"get", "pods", "-l", "app in (web, api)"}},
		{`kubectl get pods -o jsonpath='{.items[*].metadata.name}'`, []string{"get", "pods", "-o", "jsonpath={.items[*].metadata.name}"}},
		{`kubectl get pods -o "jsonpath={$.items[0].metadata.name}"`, []string{"get", "pods", "-o", "jsonpath={$.items[0].metadata.name}"}},
		{`kubectl get pods -o=custom-columns=NAME:.metadata.name`, []string{"get", "pods", "-o=custom-columns=NAME:.metadata.name"}},
		{`kubectl get --raw /api/v1/namespaces`, []string{"get", "--raw", "/api/v1/namespaces"}},
		{`kubectl get --raw=/healthz`, []string{"get", "--raw=/healthz"}},
		{`kubectl get --raw /api/v1/namespaces/kube-system/configmaps/kube-proxy`, []string{"get", "--raw", "/api/v1/namespaces/kube-system/configmaps/kube-proxy"}},
		{"kubectl annotate pod x note='a;b'", []string{"annotate", "pod", "x", "note=a;b"}},
		{`kubectl annotate pod x "note=a | b && c > d"`, []string{"annotate", "pod", "x", "note=a | b && c > d"}},
		{`kubectl annotate pod x note=a\;b`, []string{"annotate", "pod", "x", "note=a;b"}},
		{`kubectl annotate pod x 'price=$5'`, []string{"annotate", "pod", "x", "price=$5"}},
		{`kubectl annotate pod x "price=\$5"`, []string{"annotate", "pod", "x", "price=$5"}},
		{`kubectl annotate pod x "q=\"hi\" \n"`, []string{"annotate", "pod", "x", `q="hi" \n`}},
		{`kubectl label pod x tier=web#1`, []string{"label", "pod", "x", "tier=web#1"}},
		{`kubectl label pod x ''`, []string{"label", "pod", "x", ""}},
		{`kubectl annotate pod x note=한국어`, []string{"annotate", "pod", "x", "note=한국어"}},
		{"kubectl describe node worker-1", []string{"describe", "node", "worker-1"}},
		{"kubectl create namespace my-ns", []string{"create", "namespace", "my-ns"}},
		{"kubectl create deployment web --image=nginx -r 3", []string{"create", "deployment", "web", "--image=nginx", "-r", "3"}},
		{"kubectl create configmap c --from-literal=a=b", []string{"create", "configmap", "c", "--from-literal=a=b"}},
		{"kubectl create secret generic s --from-literal=password=p", []string{"create", "secret", "generic", "s", "--from-literal=password=p"}},
		{"kubectl delete pod x --grace-period=0 --force", []string{"delete", "pod", "x", "--grace-period=0", "--force"}},
		{"kubectl logs -f web-1 -c app", []string{"logs", "-f", "web-1", "-c", "app"}},
		{"kubectl logs -fp web-1", []string{"logs", "-fp", "web-1"}},
		{"kubectl logs deploy/web --tail 20 --timestamps", []string{"logs", "deploy/web", "--tail", "20", "--timestamps"}},
		{"kubectl exec web-1 -- ls -f /", []string{"exec", "web-1", "--", "ls", "-f", "/"}},
		{"kubectl exec web-1 -c app -- sh -c 'echo hi; ls | wc -l'", []string{"exec", "web-1", "-c", "app", "--", "sh", "-c", "echo hi; ls | wc -l"}},
		{"kubectl run web --image=nginx --restart=Never -- --kubeconfig=/x", []string{"run", "web", "--image=nginx", "--restart=Never", "--", "--kubeconfig=/x"}},
		{"kubectl run web --image=busybox --command -- sleep 3600", []string{"run", "web", "--image=busybox", "--command", "--", "sleep", "3600"}},
		{"kubectl run web --image=nginx --dry-run=client -o yaml", []string{"run", "web", "--image=nginx", "--dry-run=client", "-o", "yaml"}},
		{"kubectl scale deploy/web --replicas=3", []string{"scale", "deploy/web", "--replicas=3"}},
		{"kubectl rollout status deploy/web -w", []string{"rollout", "status", "deploy/web", "-w"}},
		{"kubectl rollout undo deploy/web --to-revision=1", []string{"rollout", "undo", "deploy/web", "--to-revision=1"}},
		{"kubectl set image deploy/web nginx=nginx:1.27", []string{"set", "image", "deploy/web", "nginx=nginx:1.27"}},
		{"kubectl set env deploy/web -e MODE=prod", []string{"set", "env", "deploy/web", "-e", "MODE=prod"}},
		{"kubectl expose deploy web --port=80 --target-port=8080", []string{"expose", "deploy", "web", "--port=80", "--target-port=8080"}},
		{"kubectl taint node worker-1 key=value:NoSchedule", []string{"taint", "node", "worker-1", "key=value:NoSchedule"}},
		{"kubectl cordon worker-1", []string{"cordon", "worker-1"}},
		{"kubectl drain worker-1 --ignore-daemonsets", []string{"drain", "worker-1", "--ignore-daemonsets"}},
		{"kubectl top pods", []string{"top", "pods"}},
		{"kubectl api-resources --namespaced=true", []string{"api-resources", "--namespaced=true"}},
		{"kubectl api-versions", []string{"api-versions"}},
		{"kubectl version --client", []string{"version", "--client"}},
		{"kubectl cluster-info", []string{"cluster-info"}},
		{"kubectl cluster-info dump -A", []string{"cluster-info", "dump", "-A"}},
		{"kubectl config view", []string{"config", "view"}},
		{"kubectl config view --minify -o yaml", []string{"config", "view", "--minify", "-o", "yaml"}},
		{"kubectl config get-contexts", []string{"config", "get-contexts"}},
		{"kubectl config current-context", []string{"config", "current-context"}},
		{"kubectl -n x config get-clusters", []string{"-n", "x", "config", "get-clusters"}},
		{"kubectl config get-users", []string{"config", "get-users"}},
		{"kubectl config", []string{"config"}},
		{"kubectl auth can-i create pods", []string{"auth", "can-i", "create", "pods"}},
		{"kubectl auth whoami", []string{"auth", "whoami"}},
		{`kubectl patch deploy web -p '{"spec":{"replicas":2}}'`, []string{"patch", "deploy", "web", "-p", `{"spec":{"replicas":2}}`}},
		{`kubectl patch deploy web --type=json -p='[{"op":"remove","path":"/x"}]'`, []string{"patch", "deploy", "web", "--type=json", `-p=[{"op":"remove","path":"/x"}]`}},
		{"kubectl wait --for=condition=Ready pod/web --timeout=30s", []string{"wait", "--for=condition=Ready", "pod/web", "--timeout=30s"}},
		{`kubectl wait --for=jsonpath='{.status.phase}'=Running pod/web`, []string{"wait", "--for=jsonpath={.status.phase}=Running", "pod/web"}},
		{"kubectl events --for pod/web", []string{"events", "--for", "pod/web"}},
		{"kubectl autoscale deploy web --min=2 --max=5 --cpu-percent=80", []string{"autoscale", "deploy", "web", "--min=2", "--max=5", "--cpu-percent=80"}},
		{"kubectl debug web -c dbg --image=busybox --profile=general -- ls", []string{"debug", "web", "-c", "dbg", "--image=busybox", "--profile=general", "--", "ls"}},
		{"kubectl explain pods.spec.containers --recursive", []string{"explain", "pods.spec.containers", "--recursive"}},
		{"kubectl help edit", []string{"help", "edit"}},
		{"kubectl get pods --sort-by=.metadata.creationTimestamp", []string{"get", "pods", "--sort-by=.metadata.creationTimestamp"}},
		{"kubectl get deploy web -o go-template='{{.metadata.name}}'", []string{"get", "deploy", "web", "-o", "go-template={{.metadata.name}}"}},
		{"kubectl get pods --server-side=false", []string{"get", "pods", "--server-side=false"}},
		{"kubectl apply view-last-applied deploy/web", []string{"apply", "view-last-applied", "deploy/web"}},
		{"kubectl get pods --request-timeout=5s --warnings-as-errors", []string{"get", "pods", "--request-timeout=5s", "--warnings-as-errors"}},
		{"kubectl --match-server-version get pods", []string{"--match-server-version", "get", "pods"}},
		{"kubectl replace --raw /api/v1/x", []string{"replace", "--raw", "/api/v1/x"}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, err := Parse(tt.line)
			if err != nil {
				t.Fatalf("Parse(%q) refused: %v", tt.line, err)
			}
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q) = %q, want %q", tt.line, got, tt.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		line string
		code string
	}{
		// The hostile corpus.
		{"kubectl get pods; rm -rf /", CodeShellOperator},
		{"kubectl get pods | sh", CodeShellOperator},
		{"kubectl get pods $(id)", CodeShellSubstitution},
		{"kubectl get pods `id`", CodeShellSubstitution},
		{"kubectl --kubeconfig=/etc/kubernetes/admin.conf get pods", CodeFlagNotAllowed},
		{"kubectl --server=https://10.0.0.1 get pods", CodeFlagNotAllowed},
		{"kubectl -s http://x get po", CodeFlagNotAllowed},
		{"kubectl apply -f /etc/passwd", CodeFileFlag},
		{"kubectl apply -f=/etc/passwd", CodeFileFlag},
		{"kubectl apply --filename /etc/passwd", CodeFileFlag},
		{"kubectl create -k /", CodeFileFlag},
		{"kubectl get pods --log-file=/tmp/x", CodeFlagNotAllowed},
		{"kubectl config set-cluster x --server=https://evil", CodeCommandNotAllowed},
		{"kubectl config set-cluster x", CodeCommandNotAllowed},
		{"kubectl config use-context other", CodeCommandNotAllowed},
		{"kubectl config use other", CodeCommandNotAllowed},
		{"kubectl plugin list", CodeCommandNotAllowed},
		{"kubectl foo", CodeCommandNotAllowed},
		{"bash", CodeNotKubectl},
		{"ls /", CodeNotKubectl},
		{"kubectl exec -it pod -- sh", CodeNoTerminal},

		// Shell syntax.
		{"kubectl get pods && kubectl delete pods --all", CodeShellOperator},
		{"kubectl get pods || true", CodeShellOperator},
		{"kubectl get pods &", CodeShellOperator},
		{"kubectl get pods > /tmp/out", CodeShellOperator},
		{"kubectl get pods 2>&1", CodeShellOperator},
		{"kubectl apply -f - < /etc/passwd", CodeShellOperator},
		{"kubectl get pods -l app in (web)", CodeShellOperator},
		{"kubectl get pods # comment", CodeShellOperator},
		{`kubectl get pods "$(id)"`, CodeShellSubstitution},
		{"kubectl get pods \"`id`\"", CodeShellSubstitution},
		{"kubectl get pods ${HOME}", CodeShellSubstitution},
		{"kubectl get pods -n $NS", CodeShellVariable},
		{`kubectl get pods -n "$NS"`, CodeShellVariable},
		{"kubectl get pods $'\\x41'", CodeShellSubstitution},
		{"kubectl get pods\nrm -rf /", CodeBadChar},
		{"kubectl get pods\r", CodeBadChar},
		{"kubectl annotate pod x 'a\nb'", CodeBadChar},
		{"kubectl get pods\x00", CodeBadChar},
		{"kubectl get pods \x1b[31m", CodeBadChar},
		{"kubectl get pods \xff", CodeBadChar},
		{"kubectl get pods 'unclosed", CodeUnterminated},
		{`kubectl get pods "unclosed`, CodeUnterminated},
		{`kubectl get pods \`, CodeUnterminated},
		{"", CodeEmpty},
		{"   ", CodeEmpty},
		{strings.Repeat("x", MaxLineLength+1), CodeTooLong},
		{"kubectl get" + strings.Repeat(" pod", MaxArgs), CodeTooManyArgs},

		// Other programs.
		{"sh -c 'kubectl get pods'", CodeNotKubectl},
		{"/usr/bin/kubectl get pods", CodeNotKubectl},
		{"KUBECONFIG=/etc/x kubectl get pods", CodeNotKubectl},
		{"sudo kubectl get pods", CodeNotKubectl},
		{"kubectl-foo", CodeNotKubectl},

		// Commands.
		{"kubectl edit deploy web", CodeUseEditor},
		{"kubectl -n dev edit deploy web", CodeUseEditor},
		{"kubectl apply edit-last-applied deploy/web", CodeUseEditor},
		{"kubectl create deployment web --image=nginx --edit", CodeUseEditor},
		{"kubectl cp pod:/etc/passwd /tmp/x", CodeCommandNotAllowed},
		{"kubectl proxy", CodeCommandNotAllowed},
		{"kubectl port-forward pod/x 8080:80", CodeCommandNotAllowed},
		{"kubectl attach pod/x", CodeCommandNotAllowed},
		{"kubectl diff -f x.yaml", CodeCommandNotAllowed},
		{"kubectl kustomize /", CodeCommandNotAllowed},
		{"kubectl completion bash", CodeCommandNotAllowed},
		{"kubectl alpha kuberc", CodeCommandNotAllowed},
		{"kubectl certificate approve csr", CodeCommandNotAllowed},
		{"kubectl options", CodeCommandNotAllowed},
		{"kubectl kuberc view", CodeCommandNotAllowed},
		{"kubectl __complete get ''", CodeCommandNotAllowed},
		{"kubectl auth reconcile", CodeCommandNotAllowed},
		{"kubectl config set-credentials x --token=y", CodeCommandNotAllowed},
		{"kubectl config delete-context x", CodeCommandNotAllowed},
		{"kubectl config -n view use-context other", CodeCommandNotAllowed},
		{"kubectl -n get proxy", CodeCommandNotAllowed},
		{"kubectl -h get proxy", CodeCommandNotAllowed},
		{"kubectl --all-namespaces get pods", CodeUnknownFlag},
		{"kubectl --foo proxy get", CodeUnknownFlag},
		{"kubectl -x get pods", CodeUnknownFlag},
		{"kubectl -- get pods", CodeNoCommand},

		// Target, identity and credentials, in all their forms.
		{"kubectl get pods --kubeconfig /etc/kubernetes/admin.conf", CodeFlagNotAllowed},
		{"kubectl get pods --kubeconfig=", CodeFlagNotAllowed},
		{"kubectl get pods --KUBECONFIG=/x", CodeFlagNotAllowed},
		{"kubectl get pods --server https://x", CodeFlagNotAllowed},
		{"kubectl get pods -shttps://x", CodeFlagNotAllowed},
		{"kubectl get pods -As https://x", CodeFlagNotAllowed},
		{"kubectl get pods -s=https://x", CodeFlagNotAllowed},
		{"kubectl get pods --token=abc", CodeFlagNotAllowed},
		{"kubectl get pods --as=system:admin", CodeFlagNotAllowed},
		{"kubectl get pods --as-group=system:masters", CodeFlagNotAllowed},
		{"kubectl get pods --as-uid=0", CodeFlagNotAllowed},
		{"kubectl get pods --user other", CodeFlagNotAllowed},
		{"kubectl get pods --cluster=other", CodeFlagNotAllowed},
		{"kubectl get pods --context=other", CodeFlagNotAllowed},
		{"kubectl get pods --username=admin --password=x", CodeFlagNotAllowed},
		{"kubectl get pods --certificate-authority=/etc/ca.crt", CodeFlagNotAllowed},
		{"kubectl get pods --client-certificate=/x --client-key=/y", CodeFlagNotAllowed},
		{"kubectl get pods --client_key=/y", CodeFlagNotAllowed},
		{"kubectl get pods --insecure-skip-tls-verify", CodeFlagNotAllowed},
		{"kubectl get pods --tls-server-name=x", CodeFlagNotAllowed},
		{"kubectl get pods --kuberc=/etc/passwd", CodeFlagNotAllowed},
		{"kubectl get pods --cache-dir=/tmp", CodeFlagNotAllowed},
		{"kubectl get pods --profile=cpu", CodeFlagNotAllowed},
		{"kubectl get pods --profile-output=/tmp/p", CodeFlagNotAllowed},
		{"kubectl --profile=heap debug web --image=busybox", CodeFlagNotAllowed},
		{"kubectl get pods --log-dir=/tmp", CodeFlagNotAllowed},
		{"kubectl get pods --log_file=/tmp/x", CodeFlagNotAllowed},
		{"kubectl get pods --log-flush-frequency=1s", CodeFlagNotAllowed},
		{"kubectl get pods --logtostderr", CodeFlagNotAllowed},

		// Files on the server and standard input.
		{"kubectl apply -f -", CodeNoStdin},
		{"kubectl apply -f-", CodeNoStdin},
		{"kubectl apply --filename=-", CodeNoStdin},
		{"kubectl apply -Rf /etc", CodeFileFlag},
		{"kubectl apply -fR /etc", CodeFileFlag},
		{"kubectl delete -f /etc/x.yaml", CodeFileFlag},
		{"kubectl get -f /etc/passwd", CodeFileFlag},
		{"kubectl apply --kustomize=/", CodeFileFlag},
		{"kubectl create configmap c --from-file=/etc/passwd", CodeFileFlag},
		{"kubectl create configmap c --from-env-file /etc/environment", CodeFileFlag},
		{"kubectl create secret generic s --from-file=key=/root/.ssh/id_rsa", CodeFileFlag},
		{"kubectl create secret tls t --cert=/etc/ssl/a.crt --key=/etc/ssl/a.key", CodeFileFlag},
		{"kubectl patch deploy web --patch-file=/etc/passwd", CodeFileFlag},
		{"kubectl debug web --custom=/etc/passwd --image=busybox", CodeFileFlag},
		{"kubectl cluster-info dump --output-directory=/tmp/dump", CodeFileFlag},
		{"kubectl logs pod --filename=/etc/passwd", CodeFileFlag},
		{"kubectl run x --image=y -f /etc/passwd", CodeFileFlag},
		{"kubectl -f /etc/passwd get pods", CodeFileFlag},
		{"kubectl get pods -o go-template-file=/etc/passwd", CodeOutputFile},
		{"kubectl get pods -ojsonpath-file=/etc/passwd", CodeOutputFile},
		{"kubectl get pods -o=templatefile --template=/etc/passwd", CodeOutputFile},
		{"kubectl get pods --output custom-columns-file=/etc/passwd", CodeOutputFile},
		{"kubectl get pods --output=JSONPATH-FILE=/etc/passwd", CodeOutputFile},

		// --raw.
		{"kubectl get --raw https://10.0.0.1/api", CodeRawURL},
		{"kubectl get --raw=http://169.254.169.254/latest", CodeRawURL},
		{"kubectl get --raw //evil/api", CodeRawURL},
		{"kubectl create --raw=file:///etc/passwd -f x", CodeRawURL},
		{"kubectl get --raw /api/v1/namespaces/default/services/web:80/proxy/", CodeRawURL},
		{"kubectl get --raw=/api/v1/nodes/n1/proxy/stats", CodeRawURL},
		{"kubectl get --raw /api/v1/namespaces/default/pods/web/PROXY", CodeRawURL},
		{"kubectl get --raw /api/v1/namespaces/default/pods/web/pro%78y/", CodeRawURL},
		{"kubectl get --raw /api/v1/namespaces/default/pods/web/pro%2578y/", CodeRawURL},
		{"kubectl get --raw /api/v1/proxy/namespaces/x/pods/y", CodeRawURL},
		{"kubectl config view --raw", CodeCredentials},
		{"kubectl config view --flatten", CodeCredentials},

		// Terminals.
		{"kubectl exec -i pod -- sh", CodeNoTerminal},
		{"kubectl exec pod -t -- sh", CodeNoTerminal},
		{"kubectl exec --stdin --tty pod -- sh", CodeNoTerminal},
		{"kubectl exec -ti pod -- sh", CodeNoTerminal},
		{"kubectl exec -qi pod -- sh", CodeNoTerminal},
		{"kubectl run -it web --image=busybox --rm -- sh", CodeNoTerminal},
		{"kubectl run web --image=busybox --stdin=true", CodeNoTerminal},
		{"kubectl debug -it web --image=busybox", CodeNoTerminal},
		{"kubectl delete pods --all -i", CodeNoTerminal},

		// "--" that is a flag's value does not end the checks.
		{"kubectl exec pod -c -- --kubeconfig=/etc/x", CodeFlagNotAllowed},
		{"kubectl exec pod --container -- -it", CodeNoTerminal},
		{"kubectl exec pod -qc -- -s https://x", CodeFlagNotAllowed},
		{"kubectl get pods -- --kubeconfig=/etc/x", CodeFlagNotAllowed},
	}
	for _, tt := range tests {
		name := tt.line
		if len(name) > 80 {
			name = name[:80]
		}
		t.Run(name, func(t *testing.T) {
			argv, err := Parse(tt.line)
			if err == nil {
				t.Fatalf("Parse(%q) accepted %q, want refusal %s", tt.line, argv, tt.code)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error %T %v, want *Error", tt.line, err, err)
			}
			if e.Code != tt.code {
				t.Fatalf("Parse(%q) code %q (%s), want %q", tt.line, e.Code, e.En, tt.code)
			}
			if e.En == "" || e.Ko == "" || e.Error() != e.En {
				t.Fatalf("Parse(%q): messages Ko=%q En=%q Error()=%q", tt.line, e.Ko, e.En, e.Error())
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	_, err := Parse("kubectl edit deploy/web")
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.En, "YAML editor") || !strings.Contains(e.Ko, "YAML 편집기") {
		t.Fatalf("edit: %#v", err)
	}
	_, err = Parse("kubectl apply -f -")
	if !errors.As(err, &e) || !strings.Contains(e.En, "standard input") || !strings.Contains(e.En, "YAML editor") {
		t.Fatalf("-f -: %#v", err)
	}
	_, err = Parse("kubectl get pods; rm -rf /")
	if !errors.As(err, &e) || !strings.Contains(e.En, ";") {
		t.Fatalf("operator: %#v", err)
	}
}

func TestValidateDirect(t *testing.T) {
	// Arguments that never went through the splitter, as a program might
	// pass them to Runner.Run.
	for _, argv := range [][]string{
		{"get", "pods", "--kubeconfig", "/etc/x"},
		{"get", "pods;", "--server=x"},
		{"proxy"},
		{"", "proxy"},
		{"-", "proxy"},
	} {
		if err := Validate(argv); err == nil {
			t.Errorf("Validate(%q) accepted", argv)
		}
	}
	for _, argv := range [][]string{
		{"get", "pods;rm"}, // one argument, no shell: harmless
		{},
		{"get", "pods", "-o", "json"},
	} {
		if err := Validate(argv); err != nil {
			t.Errorf("Validate(%q): %v", argv, err)
		}
	}
}

func TestAllowedCommands(t *testing.T) {
	got := AllowedCommands()
	if len(got) != len(allowedCommands) || got[0] != "annotate" {
		t.Fatalf("AllowedCommands() = %q", got)
	}
	for _, c := range []string{"edit", "cp", "proxy", "port-forward", "attach", "diff", "kustomize", "plugin", "completion", "alpha", "certificate"} {
		if allowedCommands[c] {
			t.Errorf("%s is allowed", c)
		}
	}
}
