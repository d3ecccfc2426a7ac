package nodesim

import (
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"github.com/kubelab/kubelab/sandbox/nodesim/internal/shell"
)

var everything = labels.Everything()

// A pod on a simulated node goes through the stages of default.yaml as a
// discrete-event simulation: each sync applies, in time order, every
// transition that is due, writes the events the kubelet would write, and
// asks to be woken at the next one. Nothing runs between transitions.

type ctrPhase int

const (
	cNone        ctrPhase = iota // not started yet (ContainerCreating / PodInitializing)
	cPulling                     // pulling its image until `until`
	cPullBackOff                 // ErrImagePull, then ImagePullBackOff until `until`
	cBlocked                     // InvalidImageName, ErrImageNeverPull, CreateContainerConfigError: retried at `until`
	cCreating                    // created and started at `until`
	cRunning                     // its process runs
	cStopping                    // being stopped: exits at `until`
	cExited                      // terminated: restarted at `until`, or done
	cBackOff                     // CrashLoopBackOff until `until`
)

// instance is one run of a container.
type instance struct {
	id       string
	image    string
	started  time.Time
	finished time.Time
	env      *shell.Env
	plan     *procPlan
	hookOps  []shell.Op // postStart hook writes (at hookAt)
	hookAt   time.Duration
	execOps  []shell.Op // what kubectl exec wrote (at offsets from started)
}

// envAt is the environment of a process run in the instance at offset
// since: its mounts, and the files it and its hooks wrote until then.
func (in *instance) envAt(since time.Duration, vol *volView) *shell.Env {
	e := *in.env
	e.Volumes, e.At0 = vol.volumes(), in.started.Add(since)
	e.BaseFiles = map[string]*string{}
	for k, v := range in.env.BaseFiles {
		e.BaseFiles[k] = v
	}
	apply := func(ops []shell.Op, offset time.Duration) {
		for _, op := range ops {
			if op.At+offset > since {
				continue
			}
			if vol != nil {
				if _, _, shared := vol.Locate(op.Path); shared {
					continue // read from the pod's volumes
				}
			}
			if op.Remove {
				e.BaseFiles[op.Path] = nil
				for k := range e.BaseFiles {
					if strings.HasPrefix(k, op.Path+"/") {
						e.BaseFiles[k] = nil
					}
				}
			} else if !op.Dir {
				d := op.Data
				e.BaseFiles[op.Path] = &d
			}
		}
	}
	if in.plan != nil {
		apply(in.plan.ops, 0)
	}
	apply(in.hookOps, in.hookAt)
	apply(in.execOps, 0)
	return &e
}

type ctrState struct {
	name         string
	isInit       bool
	isEph        bool // an ephemeral container (kubectl debug)
	sidecar      bool
	phase        ctrPhase
	begin        time.Time // when its start may begin (zero: not yet)
	until        time.Time
	flipAt       time.Time // ErrImagePull shows as ImagePullBackOff from then
	reason       string
	message      string
	tries        int
	instances    int32
	cur, prev    *instance
	term         *corev1.ContainerStateTerminated // its current termination (cExited, cBackOff)
	last         *corev1.ContainerStateTerminated // the one before (lastState while running)
	done         bool
	crash        time.Duration // the kubelet's back-off entry for it
	crashAt      time.Time
	exitAt       time.Time
	backOffUntil time.Time
	probes       [3]probeState
	started      bool // startup probe passed (or none)
	ready        bool
	hookUntil    time.Time
	hookOK       bool
	stopCode     int32
	stopWhy      string
	restartOK    bool // restart after this stop regardless of the restart policy
	pending      []envVar
	exitReq      *int32 // the attached shell was told to exit
}

// podState is what a simulated kubelet remembers about one pod.
type podState struct {
	mu         sync.Mutex
	accepted   time.Time
	ip         string
	emitted    map[string]bool
	mounted    bool
	mountTries int
	mountNext  time.Time
	sandboxAt  time.Time
	sandbox    bool
	inits      []*ctrState
	ctrs       []*ctrState
	ephs       []*ctrState
	runs       []volRun // every container run, for the pod's shared volumes
	terminal   bool
	failedInit bool
	killing    bool
	killDone   time.Time
	deleted    bool
}

// podRun is one pod's simulated life on its node: the pod as the kubelet
// last read it, the node it runs on and what the kubelet remembers of it.
// Its methods move the pod through its lifecycle; they run under st.mu.
type podRun struct {
	*Simulator
	pod  *corev1.Pod
	node *simNode
	st   *podState
}

// runFor is the run of pod p on node n, with its state st.
func (s *Simulator) runFor(p *corev1.Pod, n *simNode, st *podState) *podRun {
	return &podRun{Simulator: s, pod: p, node: n, st: st}
}

func (s *Simulator) stateFor(p *corev1.Pod) *podState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state[string(p.UID)]
	if st == nil {
		st = &podState{emitted: map[string]bool{}}
		s.state[string(p.UID)] = st
	}
	return st
}

func (s *Simulator) lookupState(uid string) *podState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state[uid]
}

func (s *Simulator) forget(p *corev1.Pod) {
	s.mu.Lock()
	st := s.state[string(p.UID)]
	delete(s.state, string(p.UID))
	s.mu.Unlock()
	if n := s.nodes[p.Spec.NodeName]; n != nil {
		ip := p.Status.PodIP
		if st != nil && st.ip != "" {
			ip = st.ip
		}
		if ip != "" && !p.Spec.HostNetwork {
			n.ips.release(ip)
		}
	}
}

// adoptIPs marks the IPs of existing pods as used (a resumed sandbox).
func (s *Simulator) adoptIPs() {
	pods, _ := s.pods.List(everything)
	for _, p := range pods {
		n := s.nodes[p.Spec.NodeName]
		if n == nil {
			continue
		}
		if p.Status.PodIP != "" && !p.Spec.HostNetwork {
			n.ips.take(p.Status.PodIP)
		}
		for _, cs := range p.Status.ContainerStatuses {
			if cs.ImageID != "" {
				n.havePulled(imageRef(cs.Image))
			}
		}
	}
}

func metaOf(obj any) (metav1.Object, error) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	return meta.Accessor(obj)
}

// all is every container of the pod: init, app and ephemeral.
func (st *podState) all() []*ctrState {
	out := make([]*ctrState, 0, len(st.inits)+len(st.ctrs)+len(st.ephs))
	out = append(append(append(out, st.inits...), st.ctrs...), st.ephs...)
	return out
}

// container returns the spec of a container state.
func containerSpec(p *corev1.Pod, cs *ctrState) *corev1.Container {
	if cs.isEph {
		for i := range p.Spec.EphemeralContainers {
			if p.Spec.EphemeralContainers[i].Name == cs.name {
				c := corev1.Container(p.Spec.EphemeralContainers[i].EphemeralContainerCommon)
				return &c
			}
		}
		return nil
	}
	list := p.Spec.Containers
	if cs.isInit {
		list = p.Spec.InitContainers
	}
	for i := range list {
		if list[i].Name == cs.name {
			return &list[i]
		}
	}
	return nil
}
