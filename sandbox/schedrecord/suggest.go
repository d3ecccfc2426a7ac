package schedrecord

import (
	"context"
	_ "embed"
	"fmt"
	"sort"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/klog/v2"
	fwk "k8s.io/kube-scheduler/framework"
	"k8s.io/kubernetes/pkg/scheduler/framework"
	"sigs.k8s.io/yaml"

	"github.com/kubelab/kubelab/text"
)

//go:embed texts.yaml
var textsYAML []byte

// texts holds the suggestion sentences, by id.
var texts = func() map[string]text.Text {
	var m map[string]text.Text
	if err := yaml.Unmarshal(textsYAML, &m); err != nil {
		panic(fmt.Sprintf("schedrecord: texts.yaml: %v", err))
	}
	return m
}()

// say fills a sentence's {placeholders}.
func say(id string, args ...string) text.Text {
	t := texts[id]
	r := strings.NewReplacer(args...)
	return text.Text{Ko: r.Replace(t.Ko), En: r.Replace(t.En)}
}

// maxSuggestions bounds what one record carries.
const maxSuggestions = 6

// candidate is one relaxed constraint: the pod changed in memory, the same
// change as a strategic merge patch of a pod spec, and its sentence.
type candidate struct {
	plugin string
	text   func(nodes string) text.Text
	mutate func(*v1.Pod)
	spec   map[string]any // patch of the pod's spec; nil with node set
	node   string         // a change to this Node instead of the pod
}

// suggest finds, for an unschedulable pod, single changes after which the
// pod passes every filter on some node: each candidate is tried by running
// the profile's PreFilter and Filter plugins again on the changed pod, on
// this cycle's snapshot.
func (r *Recorder) suggest(ctx context.Context, pod *v1.Pod, nodes []fwk.NodeInfo, statuses fwk.NodeToStatusReader) []Suggestion {
	rejected := map[string][]fwk.NodeInfo{} // plugin -> nodes it rejected
	for _, ni := range nodes {
		st := statuses.Get(ni.Node().Name)
		if st.IsSuccess() {
			continue
		}
		rejected[st.Plugin()] = append(rejected[st.Plugin()], ni)
	}
	var cands []candidate
	if ns := rejected["NodeResourcesFit"]; len(ns) > 0 {
		cands = append(cands, lowerRequests(pod, ns)...)
	}
	if ns := rejected["TaintToleration"]; len(ns) > 0 {
		cands = append(cands, tolerate(pod, ns)...)
	}
	if ns := rejected["NodeUnschedulable"]; len(ns) > 0 {
		cands = append(cands, uncordon(ns)...)
	}
	if len(rejected["NodeAffinity"])+len(rejected["VolumeZone"])+len(rejected["VolumeBinding"]) > 0 {
		cands = append(cands, dropNodeAffinity(pod)...)
	}
	if len(rejected["PodTopologySpread"]) > 0 {
		cands = append(cands, relaxSpread(pod)...)
	}
	if len(rejected["InterPodAffinity"]) > 0 {
		cands = append(cands, dropPodAffinity(pod)...)
	}
	if len(rejected["NodePorts"]) > 0 {
		cands = append(cands, dropHostPorts(pod)...)
	}
	var out []Suggestion
	for _, c := range cands {
		if len(out) == maxSuggestions {
			break
		}
		p := pod.DeepCopy()
		c.mutate(p)
		fit := r.fits(ctx, p, nodes)
		if len(fit) == 0 {
			continue
		}
		s := Suggestion{Plugin: c.plugin, Text: c.text(strings.Join(fit, ", ")), Nodes: fit}
		if c.node != "" {
			s.Target = Target{APIVersion: "v1", Kind: "Node", Name: c.node}
			s.Patch = map[string]any{"spec": map[string]any{"unschedulable": nil}}
		} else {
			s.Target = Target{APIVersion: "v1", Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name}
			s.Patch = map[string]any{"spec": c.spec}
		}
		out = append(out, s)
	}
	return out
}

// fits names the nodes on which the pod passes every PreFilter and Filter.
func (r *Recorder) fits(ctx context.Context, pod *v1.Pod, nodes []fwk.NodeInfo) []string {
	state := framework.NewCycleState()
	res, st, _ := r.fw.RunPreFilterPlugins(ctx, state, pod)
	if !st.IsSuccess() {
		return nil
	}
	var out []string
	for _, ni := range nodes {
		if !res.AllNodes() && !res.NodeNames.Has(ni.Node().Name) {
			continue
		}
		if r.fw.RunFilterPlugins(ctx, state, pod, ni).IsSuccess() {
			out = append(out, ni.Node().Name)
		}
	}
	sort.Strings(out)
	return out
}

// lowerRequests lowers the largest request of each short resource so the
// pod fits the rejected node with the most room.
func lowerRequests(pod *v1.Pod, nodes []fwk.NodeInfo) []candidate {
	var out []candidate
	for _, res := range []v1.ResourceName{v1.ResourceCPU, v1.ResourceMemory} {
		free, best := int64(-1), ""
		for _, ni := range nodes {
			var f int64
			if res == v1.ResourceCPU {
				f = ni.GetAllocatable().GetMilliCPU() - ni.GetRequested().GetMilliCPU()
			} else {
				f = ni.GetAllocatable().GetMemory() - ni.GetRequested().GetMemory()
			}
			if f > free {
				free, best = f, ni.Node().Name
			}
		}
		var total int64
		big := -1
		for i, c := range pod.Spec.Containers {
			q := c.Resources.Requests[res]
			v := quantityValue(res, q)
			total += v
			if big < 0 || v > quantityValue(res, pod.Spec.Containers[big].Resources.Requests[res]) {
				big = i
			}
		}
		if big < 0 || total <= free || free <= 0 {
			continue
		}
		c := pod.Spec.Containers[big]
		was := quantityValue(res, c.Resources.Requests[res])
		want := roundDown(res, was-(total-free))
		if want <= 0 {
			continue
		}
		to := quantityString(res, want)
		from := c.Resources.Requests[res]
		name := c.Name
		resName := res
		out = append(out, candidate{
			plugin: "NodeResourcesFit",
			text: func(string) text.Text {
				return say("lower-request", "{container}", name, "{resource}", string(resName), "{from}", from.String(), "{to}", to, "{node}", best)
			},
			mutate: func(p *v1.Pod) {
				for i := range p.Spec.Containers {
					if p.Spec.Containers[i].Name == name {
						p.Spec.Containers[i].Resources.Requests[resName] = resource.MustParse(to)
					}
				}
			},
			spec: map[string]any{"containers": []any{map[string]any{"name": name,
				"resources": map[string]any{"requests": map[string]any{string(resName): to}}}}},
		})
	}
	return out
}

func quantityValue(res v1.ResourceName, q resource.Quantity) int64 {
	if res == v1.ResourceCPU {
		return q.MilliValue()
	}
	return q.Value()
}

// roundDown gives a request a learner would write: CPU in 10m steps,
// memory in MiB.
func roundDown(res v1.ResourceName, v int64) int64 {
	if res == v1.ResourceCPU {
		return v / 10 * 10
	}
	return v / (1 << 20) * (1 << 20)
}

func quantityString(res v1.ResourceName, v int64) string {
	if res == v1.ResourceCPU {
		return fmt.Sprintf("%dm", v)
	}
	return fmt.Sprintf("%dMi", v>>20)
}

// tolerate adds tolerations for the taints of a node that the pod does
// not tolerate. The node.kubernetes.io/ taints are left out: they mark a
// node that is unhealthy or cordoned, and tolerating them is no fix.
func tolerate(pod *v1.Pod, nodes []fwk.NodeInfo) []candidate {
	var out []candidate
	seen := map[string]bool{}
	for _, ni := range nodes {
		var add []v1.Toleration
		var words []string
		for _, t := range ni.Node().Spec.Taints {
			if t.Effect == v1.TaintEffectPreferNoSchedule || strings.HasPrefix(t.Key, "node.kubernetes.io/") || tolerated(pod, t) {
				continue
			}
			tol := v1.Toleration{Key: t.Key, Operator: v1.TolerationOpEqual, Value: t.Value, Effect: t.Effect}
			if t.Value == "" {
				tol.Operator = v1.TolerationOpExists
			}
			add = append(add, tol)
			words = append(words, t.ToString())
		}
		key := strings.Join(words, ",")
		if len(add) == 0 || seen[key] {
			continue
		}
		seen[key] = true
		node := ni.Node().Name
		all := append(ownTolerations(pod), add...)
		list := make([]any, 0, len(all))
		for _, t := range all {
			m := map[string]any{"key": t.Key, "operator": string(t.Operator), "effect": string(t.Effect)}
			if t.Value != "" {
				m["value"] = t.Value
			}
			if t.TolerationSeconds != nil {
				m["tolerationSeconds"] = *t.TolerationSeconds
			}
			list = append(list, m)
		}
		out = append(out, candidate{
			plugin: "TaintToleration",
			text:   func(string) text.Text { return say("tolerate", "{taint}", key, "{node}", node) },
			mutate: func(p *v1.Pod) { p.Spec.Tolerations = append(p.Spec.Tolerations, add...) },
			spec:   map[string]any{"tolerations": list},
		})
	}
	return out
}

func tolerated(pod *v1.Pod, t v1.Taint) bool {
	for _, tol := range pod.Spec.Tolerations {
		if tol.ToleratesTaint(klog.Background(), &t, true) {
			return true
		}
	}
	return false
}

// ownTolerations are the pod's tolerations without the two the API server
// adds to every pod (not-ready and unreachable, NoExecute, 300 s or the
// sandbox's default): a patch of a template need not repeat them.
func ownTolerations(pod *v1.Pod) []v1.Toleration {
	var out []v1.Toleration
	for _, t := range pod.Spec.Tolerations {
		if (t.Key == v1.TaintNodeNotReady || t.Key == v1.TaintNodeUnreachable) && t.Effect == v1.TaintEffectNoExecute && t.Operator == v1.TolerationOpExists && t.TolerationSeconds != nil {
			continue
		}
		out = append(out, t)
	}
	return out
}

// uncordon marks cordoned nodes schedulable again; it is tried as the
// toleration a DaemonSet's pods carry for exactly that taint.
func uncordon(nodes []fwk.NodeInfo) []candidate {
	var out []candidate
	for _, ni := range nodes {
		node := ni.Node().Name
		out = append(out, candidate{
			plugin: "NodeUnschedulable",
			node:   node,
			text:   func(string) text.Text { return say("uncordon", "{node}", node) },
			mutate: func(p *v1.Pod) {
				p.Spec.Tolerations = append(p.Spec.Tolerations, v1.Toleration{Key: v1.TaintNodeUnschedulable, Operator: v1.TolerationOpExists, Effect: v1.TaintEffectNoSchedule})
			},
		})
	}
	return out
}

// dropNodeAffinity removes one nodeSelector entry at a time, then the
// required node affinity.
func dropNodeAffinity(pod *v1.Pod) []candidate {
	var out []candidate
	keys := make([]string, 0, len(pod.Spec.NodeSelector))
	for k := range pod.Spec.NodeSelector {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		key, value := k, pod.Spec.NodeSelector[k]
		out = append(out, candidate{
			plugin: "NodeAffinity",
			text: func(nodes string) text.Text {
				return say("drop-node-selector", "{key}", key, "{value}", value, "{nodes}", nodes)
			},
			mutate: func(p *v1.Pod) { delete(p.Spec.NodeSelector, key) },
			spec:   map[string]any{"nodeSelector": map[string]any{key: nil}},
		})
	}
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		out = append(out, candidate{
			plugin: "NodeAffinity",
			text:   func(nodes string) text.Text { return say("drop-node-affinity", "{nodes}", nodes) },
			mutate: func(p *v1.Pod) { p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = nil },
			spec: map[string]any{"affinity": map[string]any{"nodeAffinity": map[string]any{
				"requiredDuringSchedulingIgnoredDuringExecution": nil}}},
		})
	}
	return out
}

// relaxSpread makes one hard spread rule soft, or makes it ignore nodes
// whose taints the pod does not tolerate. A strategic merge patch merges
// spread rules on topologyKey, so the patch names the rule by its key.
func relaxSpread(pod *v1.Pod) []candidate {
	var out []candidate
	for i, c := range pod.Spec.TopologySpreadConstraints {
		if c.WhenUnsatisfiable != v1.DoNotSchedule {
			continue
		}
		i, key := i, c.TopologyKey
		if c.NodeTaintsPolicy == nil || *c.NodeTaintsPolicy != v1.NodeInclusionPolicyHonor {
			out = append(out, candidate{
				plugin: "PodTopologySpread",
				text:   func(string) text.Text { return say("spread-honor-taints", "{key}", key) },
				mutate: func(p *v1.Pod) {
					h := v1.NodeInclusionPolicyHonor
					p.Spec.TopologySpreadConstraints[i].NodeTaintsPolicy = &h
				},
				spec: map[string]any{"topologySpreadConstraints": []any{map[string]any{
					"topologyKey": key, "nodeTaintsPolicy": string(v1.NodeInclusionPolicyHonor)}}},
			})
		}
		out = append(out, candidate{
			plugin: "PodTopologySpread",
			text:   func(nodes string) text.Text { return say("spread-anyway", "{key}", key, "{nodes}", nodes) },
			mutate: func(p *v1.Pod) { p.Spec.TopologySpreadConstraints[i].WhenUnsatisfiable = v1.ScheduleAnyway },
			spec: map[string]any{"topologySpreadConstraints": []any{map[string]any{
				"topologyKey": key, "whenUnsatisfiable": string(v1.ScheduleAnyway)}}},
		})
	}
	return out
}

// dropPodAffinity removes the required inter-pod affinity or
// anti-affinity.
func dropPodAffinity(pod *v1.Pod) []candidate {
	a := pod.Spec.Affinity
	if a == nil {
		return nil
	}
	var out []candidate
	if a.PodAffinity != nil && len(a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0 {
		out = append(out, candidate{
			plugin: "InterPodAffinity",
			text: func(nodes string) text.Text {
				return say("drop-pod-affinity", "{kind}", "podAffinity", "{nodes}", nodes)
			},
			mutate: func(p *v1.Pod) { p.Spec.Affinity.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution = nil },
			spec: map[string]any{"affinity": map[string]any{"podAffinity": map[string]any{
				"requiredDuringSchedulingIgnoredDuringExecution": nil}}},
		})
	}
	if a.PodAntiAffinity != nil && len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0 {
		out = append(out, candidate{
			plugin: "InterPodAffinity",
			text: func(nodes string) text.Text {
				return say("drop-pod-affinity", "{kind}", "podAntiAffinity", "{nodes}", nodes)
			},
			mutate: func(p *v1.Pod) { p.Spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution = nil },
			spec: map[string]any{"affinity": map[string]any{"podAntiAffinity": map[string]any{
				"requiredDuringSchedulingIgnoredDuringExecution": nil}}},
		})
	}
	return out
}

// dropHostPorts removes one container's host port at a time.
func dropHostPorts(pod *v1.Pod) []candidate {
	var out []candidate
	for ci, c := range pod.Spec.Containers {
		for pi, p := range c.Ports {
			if p.HostPort == 0 {
				continue
			}
			ci, pi, name, cport, hport := ci, pi, c.Name, p.ContainerPort, p.HostPort
			out = append(out, candidate{
				plugin: "NodePorts",
				text: func(nodes string) text.Text {
					return say("drop-host-port", "{container}", name, "{port}", fmt.Sprint(hport), "{nodes}", nodes)
				},
				mutate: func(p *v1.Pod) { p.Spec.Containers[ci].Ports[pi].HostPort = 0 },
				spec: map[string]any{"containers": []any{map[string]any{"name": name,
					"ports": []any{map[string]any{"containerPort": cport, "hostPort": nil}}}}},
			})
		}
	}
	return out
}
