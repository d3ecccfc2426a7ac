package schedrecord

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	fwk "k8s.io/kube-scheduler/framework"
	"k8s.io/kubernetes/pkg/scheduler/framework"
	frameworkruntime "k8s.io/kubernetes/pkg/scheduler/framework/runtime"
)

// Name is the recorder's name in the scheduler's profile.
const Name = "KubelabDecisions"

// Recorder is a scheduler plugin that records every scheduling attempt.
// It changes no decision: at PostFilter (configured first, so it runs
// whatever preemption does) it reads the scheduler's own per-node
// diagnosis of a failed attempt; at PreScore it notes the nodes that
// passed the filters, and at Reserve (after the scheduler chose a node,
// configured first) it learns which filter rejected each other node and
// the per-plugin scores by running those plugins again on the same cycle
// state and snapshot, and reports them with the chosen node. What this
// costs the scheduler is counted in Spent.
type Recorder struct {
	fw   framework.Framework
	sink func(*Decision)
	now  func() time.Time

	// The profile's plugins, read once (the profile does not change): the
	// decisions share these slices and only read them.
	profile       sync.Once
	filterPlugins []string
	scorePlugins  []PluginWeight
	weights       map[string]int64
}

var (
	_ fwk.PostFilterPlugin = (*Recorder)(nil)
	_ fwk.PreScorePlugin   = (*Recorder)(nil)
	_ fwk.ReservePlugin    = (*Recorder)(nil)
)

// Factory returns the recorder's plugin factory for the scheduler's
// registry (app.WithPlugin(Name, Factory(sink))). sink receives each
// decision; it must not block (see Writer.Put).
func Factory(sink func(*Decision)) frameworkruntime.PluginFactory {
	return func(_ context.Context, _ runtime.Object, h fwk.Handle) (fwk.Plugin, error) {
		fw, ok := h.(framework.Framework)
		if !ok {
			return nil, fmt.Errorf("schedrecord: the scheduler's handle (%T) cannot run plugins", h)
		}
		return &Recorder{fw: fw, sink: sink, now: time.Now}, nil
	}
}

// Name names the plugin.
func (r *Recorder) Name() string { return Name }

// PostFilter records a failed attempt from the scheduler's diagnosis, with
// the changes that would let the pod be placed.
func (r *Recorder) PostFilter(ctx context.Context, state fwk.CycleState, pod *v1.Pod, statuses fwk.NodeToStatusReader) (*fwk.PostFilterResult, *fwk.Status) {
	defer Spent.start().end()
	nodes, err := r.fw.SnapshotSharedLister().NodeInfos().List()
	if err != nil {
		return nil, fwk.NewStatus(fwk.Unschedulable)
	}
	d := r.begin(pod)
	skip := state.GetSkipFilterPlugins()
	// Nodes the diagnosis does not name explicitly never reached the
	// filters: a PreFilter plugin rejected the pod, or named other nodes.
	explicit := sets.New[string]()
	if m, ok := statuses.(*framework.NodeToStatus); ok {
		m.ForEachExplicitNode(func(name string, _ *fwk.Status) { explicit.Insert(name) })
	}
	for _, ni := range nodes {
		st := statuses.Get(ni.Node().Name)
		if !explicit.Has(ni.Node().Name) && st != nil {
			d.Nodes = append(d.Nodes, NodeResult{Name: ni.Node().Name, Zone: ni.Node().Labels[v1.LabelTopologyZone],
				Filters: []FilterResult{{Plugin: st.Plugin(), Reason: st.Message(), Stage: "PreFilter"}}})
			continue
		}
		d.Nodes = append(d.Nodes, r.nodeResult(ni, st, d.FilterPlugins, skip))
	}
	sort.SliceStable(d.Nodes, func(i, j int) bool { return d.Nodes[i].Name < d.Nodes[j].Name })
	d.Suggestions = r.suggest(ctx, pod, nodes, statuses)
	r.sink(d)
	// Unschedulable with no reason: the next PostFilter plugin (preemption)
	// runs, and nothing is added to the pod's message.
	return nil, fwk.NewStatus(fwk.Unschedulable)
}

// feasibleKey keeps, in the cycle state, the nodes that passed the filters.
const feasibleKey fwk.StateKey = "kubelab.dev/" + Name

type feasibleNodes struct{ names sets.Set[string] }

// Clone shares the set: it is written once, then only read.
func (f *feasibleNodes) Clone() fwk.StateData { return f }

// PreScore notes the nodes that passed the filters (the scheduler calls
// it only when there are two or more); it changes nothing else.
func (r *Recorder) PreScore(_ context.Context, state fwk.CycleState, _ *v1.Pod, nodes []fwk.NodeInfo) *fwk.Status {
	names := sets.New[string]()
	for _, ni := range nodes {
		names.Insert(ni.Node().Name)
	}
	state.Write(feasibleKey, &feasibleNodes{names: names})
	return fwk.NewStatus(fwk.Skip)
}

// Reserve records a successful attempt: nodeName is the scheduler's choice.
// It runs first among the Reserve plugins, before any of them changes what
// the filters saw (VolumeBinding assumes the pod's volumes). The nodes
// that passed the filters are known from PreScore (or, when only one did,
// it is the chosen one); the filters run again only on the others, to
// learn which plugin rejected each (filters keep per-node results in the
// cycle state, and only the chosen node's are used later); the Score
// plugins, which only read the cycle state, run again on the feasible nodes
// for their per-plugin scores.
func (r *Recorder) Reserve(ctx context.Context, state fwk.CycleState, pod *v1.Pod, nodeName string) *fwk.Status {
	defer Spent.start().end()
	nodes, err := r.fw.SnapshotSharedLister().NodeInfos().List()
	if err != nil {
		return nil
	}
	// The pod handed to Reserve is the assumed one, already bound to
	// nodeName; the filters judged it unbound.
	unbound := *pod
	unbound.Spec.NodeName = ""
	pod = &unbound
	d := r.begin(pod)
	d.Node = nodeName
	d.Nodes = make([]NodeResult, 0, len(nodes))
	passed := sets.New(nodeName)
	if v, err := state.Read(feasibleKey); err == nil {
		if f, ok := v.(*feasibleNodes); ok {
			passed = f.names
		}
	}
	skip := state.GetSkipFilterPlugins()
	var feasible []fwk.NodeInfo
	at := make(map[string]int, len(nodes))
	for _, ni := range nodes {
		var st *fwk.Status
		if name := ni.Node().Name; !passed.Has(name) && name != nodeName {
			st = r.fw.RunFilterPlugins(ctx, state, pod, ni)
		}
		if st.IsSuccess() {
			feasible = append(feasible, ni)
		}
		at[ni.Node().Name] = len(d.Nodes)
		d.Nodes = append(d.Nodes, r.nodeResult(ni, st, d.FilterPlugins, skip))
	}
	// The scheduler scores only when more than one node is feasible.
	if len(feasible) > 1 && passed.Len() > 1 {
		scores, st := r.score(ctx, state, pod, feasible)
		if st.IsSuccess() {
			d.Scored = true
			for _, ns := range scores {
				n := &d.Nodes[at[ns.Name]]
				n.Total = ns.TotalScore
				n.Scores = make([]ScoreResult, 0, len(ns.Scores))
				for i, s := range ns.Scores {
					w := max(r.weights[s.Name], 1)
					n.Scores = append(n.Scores, ScoreResult{Plugin: s.Name, Raw: rawScore(ns.RawScores, i, s.Name), Score: s.Score / w, Weight: w})
				}
			}
		}
	}
	sort.SliceStable(d.Nodes, func(i, j int) bool {
		a, b := d.Nodes[i], d.Nodes[j]
		if (a.Name == nodeName) != (b.Name == nodeName) {
			return a.Name == nodeName
		}
		if a.Feasible != b.Feasible {
			return a.Feasible
		}
		if a.Total != b.Total {
			return a.Total > b.Total
		}
		return a.Name < b.Name
	})
	rank := 0
	for i := range d.Nodes {
		if d.Nodes[i].Feasible {
			rank++
			d.Nodes[i].Rank = rank
		}
	}
	r.sink(d)
	return nil
}

// score runs the Score plugins as the scheduler did, one node after the
// other on the calling goroutine (the scheduler spreads the nodes over
// goroutines of its own), so that Spent counts the work.
func (r *Recorder) score(ctx context.Context, state fwk.CycleState, pod *v1.Pod, nodes []fwk.NodeInfo) ([]fwk.NodePluginScores, *fwk.Status) {
	scores := make([]fwk.NodePluginScores, len(nodes))
	for i, ni := range nodes {
		raw, st := r.fw.RunRawScorePlugins(ctx, state, pod, ni)
		if !st.IsSuccess() {
			return nil, st
		}
		scores[i] = fwk.NodePluginScores{Name: ni.Node().Name, RawScores: raw}
	}
	return scores, r.fw.NormalizeScores(ctx, state, pod, scores)
}

// Unreserve does nothing: the record of the attempt stands.
func (r *Recorder) Unreserve(context.Context, fwk.CycleState, *v1.Pod, string) {}

// rawScore is a plugin's raw score: RawScores and Scores list the
// plugins in the same order, so it is at i, unless extenders changed that.
func rawScore(raw []fwk.PluginScore, i int, plugin string) int64 {
	if i < len(raw) && raw[i].Name == plugin {
		return raw[i].Score
	}
	for _, s := range raw {
		if s.Name == plugin {
			return s.Score
		}
	}
	return 0
}

// begin starts a decision with the profile's plugins.
func (r *Recorder) begin(pod *v1.Pod) *Decision {
	r.profile.Do(r.readProfile)
	return &Decision{Pod: pod.Name, Namespace: pod.Namespace, UID: string(pod.UID), Time: r.now().UTC().Format(time.RFC3339Nano),
		FilterPlugins: r.filterPlugins, ScorePlugins: r.scorePlugins}
}

// readProfile reads the profile's Filter and Score plugins, in the order
// the scheduler runs them, and the Score plugins' weights. It runs at the
// first attempt, once the framework is complete.
func (r *Recorder) readProfile() {
	r.weights = map[string]int64{}
	plugins := r.fw.ListPlugins()
	if plugins == nil {
		return
	}
	for _, p := range plugins.Filter.Enabled {
		r.filterPlugins = append(r.filterPlugins, p.Name)
	}
	for _, p := range plugins.Score.Enabled {
		w := int64(max(p.Weight, 1))
		r.scorePlugins = append(r.scorePlugins, PluginWeight{Plugin: p.Name, Weight: w})
		r.weights[p.Name] = w
	}
}

// nodeResult turns one node's status into per-plugin verdicts: the
// filters run in order and stop at the first that rejects, so every
// filter before the rejecting one passed (or had nothing to check).
func (r *Recorder) nodeResult(ni fwk.NodeInfo, st *fwk.Status, order []string, skip sets.Set[string]) NodeResult {
	n := NodeResult{Name: ni.Node().Name, Zone: ni.Node().Labels[v1.LabelTopologyZone]}
	plugin := ""
	if st != nil {
		plugin = st.Plugin()
	}
	if _, isFilter := indexOf(order, plugin); !st.IsSuccess() && !isFilter {
		// Rejected by a plugin that is not a filter (a PreFilter plugin).
		n.Filters = []FilterResult{{Plugin: plugin, Reason: st.Message(), Stage: "PreFilter"}}
		return n
	}
	n.Filters = make([]FilterResult, 0, len(order))
	for _, p := range order {
		if !st.IsSuccess() && p == plugin {
			n.Filters = append(n.Filters, FilterResult{Plugin: p, Reason: st.Message()})
			return n
		}
		skipped := skip.Has(p)
		n.Filters = append(n.Filters, FilterResult{Plugin: p, Passed: true, Skipped: skipped})
	}
	n.Feasible = st.IsSuccess()
	return n
}

func indexOf(list []string, s string) (int, bool) {
	for i, v := range list {
		if v == s {
			return i, true
		}
	}
	return -1, false
}
