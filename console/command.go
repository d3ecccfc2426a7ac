package console

import (
	"strings"
)

// Command is a console line read the way kubectl reads it: which command,
// which resources, which namespace and output format. The labs' grader
// matches lab steps on it, so that every spelling kubectl accepts (the k
// alias, short names, plurals, any case, type/name, several types, flag
// forms) counts the same.
type Command struct {
	// Verb is kubectl's command: get, describe, create, config, ...
	Verb string
	// Sub is the subcommand of config, auth, rollout, set, top and create
	// (for create, the kind's word as typed, lowercased: namespace,
	// deployment, secret, ...).
	Sub string
	// Targets are the resources the command names, resolved (see
	// ResolveResource), each with the names given for it.
	Targets []Target
	// Namespace is the -n/--namespace value, "" if none was given.
	Namespace string
	// AllNamespaces is -A/--all-namespaces.
	AllNamespaces bool
	// Output is the -o/--output format without its argument ("wide",
	// "yaml", "jsonpath", ...), lowercased.
	Output string
	// Flags holds every flag by its normalized long name (short flags
	// resolved where known); a flag without a value maps to "true".
	Flags map[string]string
	// Args are the positional arguments after the verb, as typed.
	Args []string
}

// Target is one resource a command names.
type Target struct {
	// Resource is the canonical resource (plural, lowercase, without
	// group: "pods", "deployments"), or for a type kubelab does not know
	// (a custom resource), the type as typed, lowercased.
	Resource string
	// Names are the object names given for it; none means every object.
	Names []string
}

// EffectiveNamespace is the namespace a namespaced command works in: the
// -n value or, without one, "default" (the console's context namespace).
func (c *Command) EffectiveNamespace() string {
	if c.Namespace != "" {
		return c.Namespace
	}
	return "default"
}

// ParseCommand parses and validates a console line like Parse, then reads
// it as kubectl would. Lines Parse refuses give its error.
func ParseCommand(line string) (*Command, error) {
	argv, err := Parse(line)
	if err != nil {
		return nil, err
	}
	return ReadArgs(argv), nil
}

// longBool lists long flags that never take the next argument as their
// value (bool flags and flags with a default when given bare).
var longBool = map[string]bool{
	"all-namespaces": true, "show-labels": true, "watch": true, "watch-only": true, "no-headers": true,
	"show-kind": true, "ignore-not-found": true, "recursive": true, "all": true, "force": true,
	"wait": true, "overwrite": true, "record": true, "previous": true, "follow": true, "timestamps": true,
	"quiet": true, "help": true, "namespaced": true, "show-managed-fields": true,
	"allow-missing-template-keys": true, "server-side": true, "force-conflicts": true, "local": true,
	"dry-run": true, "insecure-skip-tls-verify": true, "cascade": true, "validate": true,
	"prefix": true, "all-containers": true, "output-watch-events": true, "list": true, "current": true,
	"minify": true, "no-stream": true, "containers": true, "show-events": true, "ignore-daemonsets": true,
	"delete-emptydir-data": true, "disable-eviction": true, "save-config": true, "expose": true,
	"rm": true, "command": true, "attach": true, "leave-stdin-open": true, "privileged": true,
	"match-server-version": true, "warnings-as-errors": true,
	"disable-compression": true, "version": true, "use-protocol-buffers": true, "sort-by-cpu": true,
	"show-capacity": true,
}

// takesNext reports whether flag name of command cmd, written without a
// value, takes the next argument as its value.
func takesNext(cmd, name string) bool {
	if strings.HasPrefix(name, "-") || longBool[name] || boolFlags[cmd][name] {
		return false // an unknown short letter, or a bool flag
	}
	if tv, global := globalFlags[name]; global {
		return tv
	}
	return true
}

// typedVerbs take TYPE [NAME...] or TYPE/NAME... after the verb (and
// after the subcommand for rollout and set).
var typedVerbs = map[string]bool{
	"get": true, "describe": true, "delete": true, "label": true, "annotate": true, "scale": true,
	"expose": true, "patch": true, "wait": true, "taint": true, "autoscale": true, "rollout": true,
	"set": true,
}

// subVerbs have a subcommand as their first positional argument.
var subVerbs = map[string]bool{"config": true, "auth": true, "rollout": true, "set": true, "create": true, "top": true}

// ReadArgs reads validated kubectl arguments (without the word kubectl).
func ReadArgs(argv []string) *Command {
	c := &Command{Flags: map[string]string{}}
	var pos []string
	cmd := ""
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if a == "--" {
			// What follows is a container's command (exec, run, debug).
			break
		}
		if len(a) < 2 || a[0] != '-' {
			if cmd == "" && a != "" && a != "-" {
				cmd = a
				c.Verb = a
				continue
			}
			pos = append(pos, a)
			continue
		}
		for _, u := range parseFlagArg(cmd, a) {
			value, has := u.value, u.hasValue
			if !has && u.wantsNext && i+1 < len(argv) && takesNext(cmd, u.name) {
				value, has = argv[i+1], true
				i++
			}
			if !has {
				value = "true"
			}
			c.Flags[u.name] = value
		}
	}
	if ns, ok := c.Flags["namespace"]; ok {
		c.Namespace = ns
	}
	if v, ok := c.Flags["all-namespaces"]; ok && v != "false" {
		c.AllNamespaces = true
	}
	if o, ok := c.Flags["output"]; ok {
		f, _, _ := strings.Cut(o, "=")
		c.Output = strings.ToLower(f)
	}
	c.Args = pos
	c.Targets = targets(c, pos)
	return c
}

// targets finds the resources a command names.
func targets(c *Command, pos []string) []Target {
	if subVerbs[c.Verb] && len(pos) > 0 {
		c.Sub = strings.ToLower(pos[0])
		pos = pos[1:]
	}
	switch c.Verb {
	case "create":
		if c.Sub == "" {
			return nil
		}
		res := ResolveResource(c.Sub)
		if (res == "secrets" || res == "services") && len(pos) > 0 {
			pos = pos[1:] // generic, tls, docker-registry; clusterip, nodeport, ...
		}
		return []Target{{Resource: res, Names: firstName(pos)}}
	case "top":
		if c.Sub == "" {
			return nil
		}
		return []Target{{Resource: ResolveResource(c.Sub), Names: firstName(pos)}}
	case "logs", "exec", "attach", "port-forward", "debug":
		if len(pos) == 0 {
			return nil
		}
		if typ, name, ok := strings.Cut(pos[0], "/"); ok {
			return []Target{{Resource: ResolveResource(typ), Names: []string{name}}}
		}
		return []Target{{Resource: "pods", Names: []string{pos[0]}}}
	case "run":
		return []Target{{Resource: "pods", Names: firstName(pos)}}
	case "cordon", "uncordon", "drain":
		return []Target{{Resource: "nodes", Names: firstName(pos)}}
	case "explain":
		if len(pos) == 0 {
			return nil
		}
		typ, _, _ := strings.Cut(pos[0], ".")
		return []Target{{Resource: ResolveResource(typ)}}
	}
	if !typedVerbs[c.Verb] || len(pos) == 0 {
		return nil
	}
	if c.Verb == "label" || c.Verb == "annotate" || c.Verb == "taint" {
		// Drop the key=value, key- and key:effect arguments.
		kept := pos[:0:0]
		for _, p := range pos {
			if !strings.ContainsAny(p, "=:") && !strings.HasSuffix(p, "-") {
				kept = append(kept, p)
			}
		}
		pos = kept
	}
	if len(pos) == 0 {
		return nil
	}
	if strings.Contains(pos[0], "/") {
		var out []Target
		for _, p := range pos {
			typ, name, ok := strings.Cut(p, "/")
			if !ok {
				continue
			}
			out = append(out, expand(typ, []string{name})...)
		}
		return out
	}
	var out []Target
	for _, typ := range strings.Split(pos[0], ",") {
		if typ == "" {
			continue
		}
		out = append(out, expand(typ, pos[1:])...)
	}
	return out
}

func firstName(pos []string) []string {
	if len(pos) == 0 {
		return nil
	}
	return []string{pos[0]}
}

// allCategory is what "kubectl get all" lists.
var allCategory = []string{"pods", "replicationcontrollers", "services", "daemonsets", "deployments",
	"replicasets", "statefulsets", "horizontalpodautoscalers", "cronjobs", "jobs"}

func expand(typ string, names []string) []Target {
	if strings.EqualFold(typ, "all") {
		out := make([]Target, len(allCategory))
		for i, r := range allCategory {
			out[i] = Target{Resource: r, Names: names}
		}
		return out
	}
	var ns []string
	if len(names) > 0 {
		ns = append(ns, names...)
	}
	return []Target{{Resource: ResolveResource(typ), Names: ns}}
}

// builtin is one built-in resource: plural, singular, short names, group.
type builtin struct {
	plural, singular, group string
	short                   []string
}

var builtins = []builtin{
	{"pods", "pod", "", []string{"po"}},
	{"services", "service", "", []string{"svc"}},
	{"namespaces", "namespace", "", []string{"ns"}},
	{"nodes", "node", "", []string{"no"}},
	{"configmaps", "configmap", "", []string{"cm"}},
	{"secrets", "secret", "", nil},
	{"events", "event", "", []string{"ev"}},
	{"endpoints", "endpoints", "", []string{"ep"}},
	{"persistentvolumes", "persistentvolume", "", []string{"pv"}},
	{"persistentvolumeclaims", "persistentvolumeclaim", "", []string{"pvc"}},
	{"serviceaccounts", "serviceaccount", "", []string{"sa"}},
	{"replicationcontrollers", "replicationcontroller", "", []string{"rc"}},
	{"resourcequotas", "resourcequota", "", []string{"quota"}},
	{"limitranges", "limitrange", "", []string{"limits"}},
	{"componentstatuses", "componentstatus", "", []string{"cs"}},
	{"podtemplates", "podtemplate", "", nil},
	{"deployments", "deployment", "apps", []string{"deploy"}},
	{"replicasets", "replicaset", "apps", []string{"rs"}},
	{"statefulsets", "statefulset", "apps", []string{"sts"}},
	{"daemonsets", "daemonset", "apps", []string{"ds"}},
	{"controllerrevisions", "controllerrevision", "apps", nil},
	{"jobs", "job", "batch", nil},
	{"cronjobs", "cronjob", "batch", []string{"cj"}},
	{"horizontalpodautoscalers", "horizontalpodautoscaler", "autoscaling", []string{"hpa"}},
	{"storageclasses", "storageclass", "storage.k8s.io", []string{"sc"}},
	{"csidrivers", "csidriver", "storage.k8s.io", nil},
	{"csinodes", "csinode", "storage.k8s.io", nil},
	{"volumeattachments", "volumeattachment", "storage.k8s.io", nil},
	{"ingresses", "ingress", "networking.k8s.io", []string{"ing"}},
	{"ingressclasses", "ingressclass", "networking.k8s.io", nil},
	{"networkpolicies", "networkpolicy", "networking.k8s.io", []string{"netpol"}},
	{"endpointslices", "endpointslice", "discovery.k8s.io", nil},
	{"customresourcedefinitions", "customresourcedefinition", "apiextensions.k8s.io", []string{"crd", "crds"}},
	{"roles", "role", "rbac.authorization.k8s.io", nil},
	{"rolebindings", "rolebinding", "rbac.authorization.k8s.io", nil},
	{"clusterroles", "clusterrole", "rbac.authorization.k8s.io", nil},
	{"clusterrolebindings", "clusterrolebinding", "rbac.authorization.k8s.io", nil},
	{"poddisruptionbudgets", "poddisruptionbudget", "policy", []string{"pdb"}},
	{"priorityclasses", "priorityclass", "scheduling.k8s.io", []string{"pc"}},
	{"leases", "lease", "coordination.k8s.io", nil},
	{"runtimeclasses", "runtimeclass", "node.k8s.io", nil},
	{"certificatesigningrequests", "certificatesigningrequest", "certificates.k8s.io", []string{"csr"}},
}

var builtinByWord = func() map[string]builtin {
	m := map[string]builtin{}
	for _, b := range builtins {
		m[b.plural] = b
		m[b.singular] = b
		for _, s := range b.short {
			m[s] = b
		}
	}
	return m
}()

// ResolveResource gives the canonical name of a resource type as kubectl
// accepts it: any case, plural, singular, kind or short name, optionally
// followed by .group or .version.group ("deployments.apps",
// "deploy.v1.apps"). Types it does not know come back lowercased.
func ResolveResource(typ string) string {
	t := strings.ToLower(strings.TrimSpace(typ))
	word, rest, dotted := strings.Cut(t, ".")
	b, ok := builtinByWord[word]
	if !ok {
		return t
	}
	if !dotted {
		return b.plural
	}
	if rest == b.group || b.group == "" && rest == "v1" {
		return b.plural
	}
	if _, grp, ok := strings.Cut(rest, "."); ok && grp == b.group {
		return b.plural
	}
	return t
}
