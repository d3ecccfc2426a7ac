package nodesim

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/distribution/reference"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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

// syncPod moves one pod along its simulated life. It returns when to look
// at the pod again (0: only on the next change).
func (s *Simulator) syncPod(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	pod, err := s.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := s.nodes[pod.Spec.NodeName]
	if n == nil || s.isNotReady(n) {
		return 0, nil
	}
	st := s.stateFor(pod)
	now := s.now()
	st.mu.Lock()
	if st.accepted.IsZero() {
		st.accepted = now
		s.resume(pod, n, st, now)
	}
	next := s.advance(pod, n, st, now)
	status := s.render(pod, n, st, now)
	deleteNow := st.killing && !st.deleted && !st.killDone.IsZero() && !now.Before(st.killDone)
	st.mu.Unlock()

	if !statusEqual(&pod.Status, status) {
		upd := pod.DeepCopy()
		upd.Status = *status
		if _, err := s.client.CoreV1().Pods(ns).UpdateStatus(ctx, upd, metav1.UpdateOptions{}); err != nil {
			if apierrors.IsNotFound(err) {
				return 0, nil
			}
			if apierrors.IsConflict(err) {
				return 50 * time.Millisecond, nil
			}
			return 0, fmt.Errorf("nodesim: update status of %s: %w", key, err)
		}
	}
	if deleteNow {
		zero := int64(0)
		uid := pod.UID
		err := s.client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{
			GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return 0, fmt.Errorf("nodesim: delete %s: %w", key, err)
		}
		st.mu.Lock()
		st.deleted = true
		st.mu.Unlock()
		return 0, nil
	}
	if next.IsZero() {
		return 0, nil
	}
	d := next.Sub(s.now())
	if d < 10*time.Millisecond {
		d = 10 * time.Millisecond
	}
	return d, nil
}

// resume rebuilds the memory of a pod that already has a status (the
// sandbox was stopped and started again).
func (s *Simulator) resume(p *corev1.Pod, n *simNode, st *podState, now time.Time) {
	st.inits = make([]*ctrState, len(p.Spec.InitContainers))
	for i, c := range p.Spec.InitContainers {
		st.inits[i] = &ctrState{name: c.Name, isInit: true, started: c.StartupProbe == nil,
			sidecar: c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways}
	}
	st.ctrs = make([]*ctrState, len(p.Spec.Containers))
	for i, c := range p.Spec.Containers {
		st.ctrs[i] = &ctrState{name: c.Name, started: c.StartupProbe == nil}
	}
	if p.Status.StartTime == nil || p.Status.PodIP == "" && !p.Spec.HostNetwork {
		return
	}
	st.accepted = p.Status.StartTime.Time
	st.ip, st.mounted, st.sandbox = p.Status.PodIP, true, true
	if p.Spec.HostNetwork {
		st.ip = n.spec.IP
	}
	restore := func(cs *ctrState, c *corev1.Container, status *corev1.ContainerStatus) {
		if status == nil {
			cs.begin = now
			return
		}
		cs.instances = status.RestartCount + 1
		cs.last = status.LastTerminationState.Terminated
		switch {
		case status.State.Running != nil:
			started := status.State.Running.StartedAt.Time
			s.startInstance(p, c, n, st, cs, started, nil)
			cs.phase, cs.hookUntil, cs.hookOK = cRunning, time.Time{}, true
			cs.ready = status.Ready
			cs.started = status.Started != nil && *status.Started
			for k := range cs.probes {
				cs.probes[k] = probeState{last: -1, result: -1}
				if probeKind(k) == liveness {
					cs.probes[k].result = 1
				}
				if cs.ready && probeKind(k) == readiness {
					cs.probes[k].result, cs.probes[k].last = 1, 1
				}
				if pr := probeOf(c, probeKind(k)); pr != nil {
					// The probe workers start again with the kubelet.
					period, initial, _, _ := probeDefaults(pr)
					next := firstTick(started, period, initial)
					for next.Before(now) {
						next = next.Add(period)
					}
					cs.probes[k].next = next
				}
			}
		case status.State.Terminated != nil:
			cs.term = status.State.Terminated
			cs.phase, cs.done = cExited, true
			if !p.DeletionTimestamp.IsZero() || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
				break
			}
			if s.shouldRestart(p, cs, cs.term.ExitCode) {
				cs.done, cs.until = false, now
			}
		default:
			if status.LastTerminationState.Terminated != nil {
				cs.term = status.LastTerminationState.Terminated
				cs.last = nil
				cs.phase, cs.until = cBackOff, now.Add(s.cfg.Behaviour.d("restart"))
				cs.exitAt, cs.crashAt, cs.crash = now, now, s.cfg.Behaviour.d("crashLoopBackOff")
				cs.instances = status.RestartCount + 1
			} else {
				cs.begin = now
				cs.instances = status.RestartCount
			}
		}
	}
	find := func(list []corev1.ContainerStatus, name string) *corev1.ContainerStatus {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
		return nil
	}
	for i := range p.Spec.InitContainers {
		restore(st.inits[i], &p.Spec.InitContainers[i], find(p.Status.InitContainerStatuses, p.Spec.InitContainers[i].Name))
	}
	for i := range p.Spec.Containers {
		restore(st.ctrs[i], &p.Spec.Containers[i], find(p.Status.ContainerStatuses, p.Spec.Containers[i].Name))
	}
	st.terminal = p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
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

// advance applies every transition due by now, in time order, and returns
// the time of the next one (zero: none).
func (s *Simulator) advance(p *corev1.Pod, n *simNode, st *podState, now time.Time) time.Time {
	if st.inits == nil && st.ctrs == nil {
		s.resume(p, n, st, now)
	}
	// Ephemeral containers (kubectl debug) start as soon as they are added.
	for _, e := range p.Spec.EphemeralContainers {
		known := false
		for _, cs := range st.ephs {
			known = known || cs.name == e.Name
		}
		if !known {
			cs := &ctrState{name: e.Name, isEph: true, started: true}
			if st.sandbox && !st.terminal {
				cs.begin = now
			}
			st.ephs = append(st.ephs, cs)
		}
	}
	for i := 0; i < 2000; i++ {
		at, act := s.nextStep(p, n, st, now)
		if act == nil {
			return time.Time{}
		}
		if at.After(now) {
			return at
		}
		before := initsRunning(st)
		act(at)
		if initsRunning(st) > before {
			// A kubelet reports every init container it starts (Init:0/1):
			// a pod looked at late must not skip that state; the rest
			// follows on the next look, a few milliseconds later.
			return now
		}
	}
	return now.Add(time.Second)
}

// initsRunning counts the init containers whose process runs.
func initsRunning(st *podState) int {
	n := 0
	for _, cs := range st.inits {
		if cs.phase == cRunning {
			n++
		}
	}
	return n
}

type step struct {
	at  time.Time
	act func(time.Time)
}

// nextStep finds the earliest pending transition.
func (s *Simulator) nextStep(p *corev1.Pod, n *simNode, st *podState, now time.Time) (time.Time, func(time.Time)) {
	var best *step
	consider := func(at time.Time, act func(time.Time)) {
		if at.IsZero() {
			return
		}
		if best == nil || at.Before(best.at) {
			best = &step{at, act}
		}
	}
	b := &s.cfg.Behaviour
	if p.DeletionTimestamp != nil {
		if !st.killing {
			consider(now, func(t time.Time) { s.startKilling(p, n, st, t) })
		}
		for _, cs := range st.all() {
			cs := cs
			if cs.phase == cStopping {
				consider(cs.until, func(t time.Time) { s.exited(p, n, st, cs, t, cs.stopCode, cs.stopWhy) })
			}
		}
		if best == nil {
			return time.Time{}, nil
		}
		return best.at, best.act
	}
	if st.terminal {
		return time.Time{}, nil
	}
	if !st.mounted {
		msg, blocked := s.volumeBlocker(p)
		first := st.accepted.Add(b.d("mount"))
		if !blocked {
			at := first
			if at.Before(now) && !st.mountNext.IsZero() {
				at = now
			}
			consider(at, func(t time.Time) {
				st.mounted, st.sandboxAt = true, t.Add(b.d("sandbox"))
			})
		} else {
			at := st.mountNext
			if at.IsZero() {
				at = first
			}
			consider(at, func(t time.Time) {
				if msg != "" {
					s.stageEvent(n, st, p, nil, false, "mount", "fail", "", eventData{Message: msg})
				}
				st.mountNext = t.Add(b.stage("mount").backOff(st.mountTries))
				st.mountTries++
			})
		}
		return best.at, best.act
	}
	if !st.sandbox {
		consider(st.sandboxAt, func(t time.Time) { s.sandboxReady(p, n, st, t) })
		return best.at, best.act
	}
	for _, cs := range st.all() {
		cs := cs
		c := containerSpec(p, cs)
		if c == nil || cs.done {
			continue
		}
		switch cs.phase {
		case cNone:
			consider(cs.begin, func(t time.Time) { s.startAttempt(p, n, st, cs, t) })
		case cPulling:
			consider(cs.until, func(t time.Time) { s.pullDone(p, n, st, cs, t) })
		case cPullBackOff:
			if !cs.flipAt.IsZero() && cs.flipAt.Before(cs.until) {
				consider(cs.flipAt, func(t time.Time) {
					cs.flipAt = time.Time{}
					cs.reason = "ImagePullBackOff"
					cs.message = fmt.Sprintf("Back-off pulling image %q: ErrImagePull: %s", c.Image, cs.message)
					s.stageEvent(n, st, p, c, cs.isInit, "imagePullBackOff", "backOff", "", eventData{})
					s.stageEvent(n, st, p, c, cs.isInit, "imagePullBackOff", "backOffError", "", eventData{})
				})
			}
			consider(cs.until, func(t time.Time) { s.startAttempt(p, n, st, cs, t) })
		case cBlocked:
			at := cs.until
			if cs.reason == "CreateContainerConfigError" {
				if _, msg := s.containerEnv(p, c, n, st.ip); msg == "" && now.Before(at) {
					at = now // what was missing has appeared
				}
			}
			if cs.reason == "InvalidImageName" && validImage(c.Image) && now.Before(at) {
				at = now
			}
			consider(at, func(t time.Time) { s.startAttempt(p, n, st, cs, t) })
		case cCreating:
			consider(cs.until, func(t time.Time) { s.created(p, n, st, cs, t) })
		case cRunning:
			s.runningSteps(p, n, st, cs, c, now, consider)
		case cStopping:
			consider(cs.until, func(t time.Time) { s.exited(p, n, st, cs, t, cs.stopCode, cs.stopWhy) })
		case cExited:
			if !cs.until.IsZero() {
				consider(cs.until, func(t time.Time) {
					if cs.backOffUntil.After(t) {
						cs.phase, cs.until = cBackOff, cs.backOffUntil
						s.stageEvent(n, st, p, c, cs.isInit, "crashLoopBackOff", "backOff", "", eventData{})
						return
					}
					s.restart(p, n, st, cs, t)
				})
			}
		case cBackOff:
			consider(cs.until, func(t time.Time) { s.restart(p, n, st, cs, t) })
		}
	}
	if best == nil {
		return time.Time{}, nil
	}
	return best.at, best.act
}

func (s *Simulator) sandboxReady(p *corev1.Pod, n *simNode, st *podState, t time.Time) {
	switch {
	case p.Spec.HostNetwork:
		st.ip = n.spec.IP
	case st.ip == "":
		ip, err := n.ips.allocate()
		if err != nil {
			st.sandboxAt = t.Add(10 * time.Second)
			return
		}
		st.ip = ip
	}
	st.sandbox = true
	var missing []string
	for _, ref := range p.Spec.ImagePullSecrets {
		if _, err := s.secrets.Secrets(p.Namespace).Get(ref.Name); err != nil {
			missing = append(missing, ref.Name)
		}
	}
	if len(missing) > 0 {
		s.stageEvent(n, st, p, nil, false, "sandbox", "pullSecrets", "", eventData{Secrets: strings.Join(missing, ", ")})
	}
	if len(st.inits) > 0 {
		st.inits[0].begin = t
	} else if len(st.ctrs) > 0 {
		st.ctrs[0].begin = t
	}
}

// next returns the container after cs in the start sequence.
func (st *podState) next(cs *ctrState) *ctrState {
	if cs.isEph {
		return nil
	}
	list := st.ctrs
	if cs.isInit {
		list = st.inits
	}
	for i, x := range list {
		if x == cs && i+1 < len(list) {
			return list[i+1]
		}
	}
	return nil
}

// moveOn lets the next container of the sequence begin at t: the kubelet
// starts a pod's containers one after the other, and goes on to the next
// one when a start fails.
func (st *podState) moveOn(cs *ctrState, t time.Time) {
	nx := st.next(cs)
	if cs.isInit {
		if nx == nil {
			// The last init container: the app containers start.
			if len(st.ctrs) > 0 && st.ctrs[0].begin.IsZero() {
				st.ctrs[0].begin = t
			}
			return
		}
	}
	if nx != nil && nx.begin.IsZero() {
		nx.begin = t
	}
}

func validImage(image string) bool {
	if image == "" {
		return false
	}
	_, err := reference.ParseNormalizedNamed(image)
	return err == nil
}

// badHost reports an image whose registry cannot exist: an upper-case
// first component such as "Fluent/fluent-bit" is read by containerd as a
// registry host name, which does not resolve.
func badHost(image string) (string, bool) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return "", false
	}
	host := reference.Domain(named)
	if host != "docker.io" && host != "localhost" && !strings.ContainsAny(host, ".:") {
		ref := reference.TagNameOnly(named).String()
		return fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: "+
			"failed to do request: Head \"https://%s/v2/%s/manifests/%s\": dial tcp: lookup %s: no such host",
			ref, ref, host, reference.Path(named), tagOf(named), strings.ToLower(host)), true
	}
	return "", false
}

func tagOf(n reference.Named) string {
	if t, ok := reference.TagNameOnly(n).(reference.Tagged); ok {
		return t.Tag()
	}
	return "latest"
}

// startAttempt is the kubelet's attempt to start a container: its image
// first, then its configuration.
func (s *Simulator) startAttempt(p *corev1.Pod, n *simNode, st *podState, cs *ctrState, t time.Time) {
	b := &s.cfg.Behaviour
	c := containerSpec(p, cs)
	cs.flipAt = time.Time{}
	if !validImage(c.Image) {
		_, err := reference.ParseNormalizedNamed(c.Image)
		reason := "invalid reference format"
		if err != nil {
			reason = err.Error()
		}
		msg := fmt.Sprintf("Failed to apply default image tag %q: couldn't parse image name %q: %s", c.Image, c.Image, reason)
		cs.phase, cs.reason, cs.message = cBlocked, "InvalidImageName", msg
		cs.until = t.Add(b.stage("configRetry").backOff(cs.tries))
		cs.tries++
		s.stageEvent(n, st, p, c, cs.isInit, "pull", "invalid", "", eventData{Message: msg})
		s.stageEvent(n, st, p, c, cs.isInit, "pull", "invalidError", "", eventData{})
		st.moveOn(cs, t)
		return
	}
	ref := imageRef(c.Image)
	present := n.hasImage(ref)
	policy := c.ImagePullPolicy
	if policy == "" {
		policy = corev1.PullIfNotPresent
		if tag := imageTag(c.Image); tag == "latest" {
			policy = corev1.PullAlways
		}
	}
	switch {
	case policy == corev1.PullNever && !present:
		cs.phase, cs.reason = cBlocked, "ErrImageNeverPull"
		cs.message = fmt.Sprintf("Container image %q is not present with pull policy of Never", c.Image)
		cs.until = t.Add(b.stage("configRetry").backOff(cs.tries))
		cs.tries++
		s.stageEvent(n, st, p, c, cs.isInit, "pull", "neverPull", "", eventData{})
		s.stageEvent(n, st, p, c, cs.isInit, "pull", "neverPullError", "", eventData{})
		st.moveOn(cs, t)
	case present && policy != corev1.PullAlways:
		s.stageEvent(n, st, p, c, cs.isInit, "pull", "present", "", eventData{})
		s.createAttempt(p, n, st, cs, t)
	default:
		d := b.d("pull")
		if present {
			d = b.d("repull")
		}
		cs.phase, cs.until, cs.reason, cs.message = cPulling, t.Add(d), "", ""
		s.stageEvent(n, st, p, c, cs.isInit, "pull", "start", "", eventData{})
	}
}

func (s *Simulator) pullDone(p *corev1.Pod, n *simNode, st *podState, cs *ctrState, t time.Time) {
	b := &s.cfg.Behaviour
	c := containerSpec(p, cs)
	msg, bad := badHost(c.Image)
	if !bad {
		msg, bad = b.missingImage(c.Image)
	}
	if !bad {
		msg, bad = catalog.pullError(c.Image)
	}
	if bad {
		full := fmt.Sprintf("Failed to pull image %q: %s", c.Image, msg)
		cs.phase, cs.reason, cs.message = cPullBackOff, "ErrImagePull", msg
		cs.until = t.Add(b.stage("imagePullBackOff").backOff(cs.tries))
		cs.flipAt = t.Add(b.d("restart"))
		cs.tries++
		s.stageEvent(n, st, p, c, cs.isInit, "imagePullBackOff", "fail", "", eventData{Message: full})
		s.stageEvent(n, st, p, c, cs.isInit, "imagePullBackOff", "failError", "", eventData{})
		st.moveOn(cs, t)
		return
	}
	took := b.d("pull")
	if n.hasImage(imageRef(c.Image)) {
		took = b.d("repull")
	}
	n.havePulled(imageRef(c.Image))
	s.stageEvent(n, st, p, c, cs.isInit, "pull", "end", "", eventData{Took: took.String(), Size: fmt.Sprint(imageSize(c.Image))})
	s.createAttempt(p, n, st, cs, t)
}

func (s *Simulator) createAttempt(p *corev1.Pod, n *simNode, st *podState, cs *ctrState, t time.Time) {
	b := &s.cfg.Behaviour
	c := containerSpec(p, cs)
	env, msg := s.containerEnv(p, c, n, st.ip)
	if msg != "" {
		cs.phase, cs.reason, cs.message = cBlocked, "CreateContainerConfigError", msg
		cs.until = t.Add(b.stage("configRetry").backOff(cs.tries))
		cs.tries++
		s.stageEvent(n, st, p, c, cs.isInit, "configRetry", "fail", "", eventData{Message: msg})
		st.moveOn(cs, t)
		return
	}
	cs.tries = 0
	cs.phase, cs.until, cs.reason, cs.message, cs.pending = cCreating, t.Add(b.d("create")), "", "", env
}

// startInstance makes a new run of a container that starts at t.
func (s *Simulator) startInstance(p *corev1.Pod, c *corev1.Container, n *simNode, st *podState, cs *ctrState, t time.Time, env []envVar) {
	if env == nil {
		env, _ = s.containerEnv(p, c, n, st.ip)
	}
	shenv := s.shellEnv(p, c, n, st, env, t)
	argv := commandLine(c, env)
	in := &instance{id: containerID(p, c.Name, t), image: c.Image, started: t, env: shenv}
	shenv.Procs = []string{mainCommand(p, c, argv)}
	in.plan = s.plan(p, c, shenv, argv)
	st.record(c, in)
	cs.prev, cs.cur = cs.cur, in
}

func (s *Simulator) created(p *corev1.Pod, n *simNode, st *podState, cs *ctrState, t time.Time) {
	c := containerSpec(p, cs)
	if cs.term != nil {
		cs.last = cs.term
	}
	cs.term = nil
	cs.instances++
	s.startInstance(p, c, n, st, cs, t, cs.pending)
	cs.pending = nil
	cs.phase, cs.ready, cs.started = cRunning, false, c.StartupProbe == nil
	s.stageEvent(n, st, p, c, cs.isInit, "create", "created", "", eventData{})
	s.stageEvent(n, st, p, c, cs.isInit, "create", "started", "", eventData{})
	for k := range cs.probes {
		cs.probes[k] = probeState{last: -1, result: -1}
		if pr := probeOf(c, probeKind(k)); pr != nil {
			period, initial, _, _ := probeDefaults(pr)
			cs.probes[k].next = firstTick(t, period, initial)
		}
	}
	cs.probes[liveness].result = 1
	cs.hookUntil, cs.hookOK = time.Time{}, true
	if c.Lifecycle != nil && c.Lifecycle.PostStart != nil {
		d, ok, ops := s.hook(p, c, c.Lifecycle.PostStart, cs.cur.env, "postStart")
		cs.hookUntil, cs.hookOK = t.Add(d), ok
		cs.cur.hookOps, cs.cur.hookAt = ops, d
	}
	// The next container starts once this one has (and its postStart hook
	// has run); after an init container, once it has completed.
	switch {
	case cs.isInit && !cs.sidecar:
	case cs.sidecar && !cs.started:
	case !cs.hookUntil.IsZero():
	default:
		st.moveOn(cs, t)
	}
}

// firstTick is the first probe run that counts: probes run every period
// from the container's start, and do nothing before initialDelaySeconds.
func firstTick(started time.Time, period, initial time.Duration) time.Time {
	k := (initial + period - 1) / period
	return started.Add(k * period)
}

// runningSteps are the transitions a running container can go through.
func (s *Simulator) runningSteps(p *corev1.Pod, n *simNode, st *podState, cs *ctrState, c *corev1.Container, now time.Time, consider func(time.Time, func(time.Time))) {
	in := cs.cur
	if in == nil {
		return
	}
	if c.Image != in.image {
		consider(now, func(t time.Time) {
			s.kill(p, n, st, cs, t, "probe", "changed", "", true)
		})
		return
	}
	if !in.plan.ends && cs.phase == cRunning && s.resolvesNow(p.Namespace, in.plan.dnsMiss) {
		// A loop waiting for a name (until nslookup myservice...): once the
		// Service exists, the process goes on from now.
		env, _ := s.containerEnv(p, c, n, st.ip)
		trial := s.plan(p, c, s.shellEnv(p, c, n, st, env, now), in.plan.argv)
		if trial.ends {
			consider(now, func(t time.Time) {
				prev := cs.prev
				in.finished = t
				s.startInstance(p, c, n, st, cs, t, env)
				cs.prev, cs.cur.id = prev, in.id
			})
		}
	}
	if !cs.hookUntil.IsZero() {
		consider(cs.hookUntil, func(t time.Time) {
			cs.hookUntil = time.Time{}
			if !cs.hookOK {
				s.stageEvent(n, st, p, c, cs.isInit, "postStart", "fail", "", eventData{})
				s.killWith(p, n, st, cs, t, "FailedPostStartHook", false)
				return
			}
			if !cs.isInit || (cs.sidecar && cs.started) {
				st.moveOn(cs, t)
			}
		})
		return
	}
	if cs.exitReq != nil {
		code := *cs.exitReq
		consider(now, func(t time.Time) {
			cs.exitReq = nil
			reason := "Completed"
			if code != 0 {
				reason = "Error"
			}
			s.exited(p, n, st, cs, t, code, reason)
		})
	}
	if in.plan.ends {
		end := in.started.Add(in.plan.runFor)
		consider(end, func(t time.Time) { s.exited(p, n, st, cs, t, in.plan.exitCode, in.plan.reason) })
	}
	for k := range cs.probes {
		kind := probeKind(k)
		pr := probeOf(c, kind)
		ps := &cs.probes[k]
		if pr == nil || ps.onHold || ps.next.IsZero() {
			continue
		}
		if kind == startup && cs.started {
			continue
		}
		if kind != startup && !cs.started {
			continue
		}
		at := ps.next
		settled := ps.last == 1 && (kind == liveness || ps.result == 1)
		if settled {
			// Nothing changes until the process changes what the probe looks at.
			period, _, _, _ := probeDefaults(pr)
			since := at.Sub(in.started)
			var change time.Duration = -1
			for _, ch := range s.probeChanges(p, c, kind, in, st.volView(p, c, in)) {
				if ch >= since && (change < 0 || ch < change) {
					change = ch
				}
			}
			if change < 0 {
				continue
			}
			at = in.started.Add(((change + period - 1) / period) * period)
			if at.Before(ps.next) {
				at = ps.next
			}
		}
		consider(at, func(t time.Time) { s.probeTick(p, n, st, cs, c, kind, t) })
	}
}

func (s *Simulator) probeTick(p *corev1.Pod, n *simNode, st *podState, cs *ctrState, c *corev1.Container, kind probeKind, t time.Time) {
	pr := probeOf(c, kind)
	ps := &cs.probes[kind]
	period, _, success, failure := probeDefaults(pr)
	ps.next = t.Add(period)
	pass, out := s.probeResult(p, c, kind, cs.cur, st.ip, t, st.volView(p, c, nil))
	raw := 0
	if pass {
		raw = 1
	}
	if raw == ps.last {
		ps.run++
	} else {
		ps.last, ps.run = raw, 1
	}
	if !pass {
		s.stageEvent(n, st, p, c, cs.isInit, "probe", "unhealthy", "", eventData{Probe: kind.String(), Output: out})
	}
	if (!pass && ps.run < failure) || (pass && ps.run < success) {
		return
	}
	ps.result = raw
	switch kind {
	case startup:
		ps.onHold, ps.run = true, 0
		if pass {
			cs.started = true
			// Liveness and readiness begin now.
			for _, k := range []probeKind{liveness, readiness} {
				if q := probeOf(c, k); q != nil {
					per, initial, _, _ := probeDefaults(q)
					cs.probes[k].next = firstTick(cs.cur.started, per, initial)
					if cs.probes[k].next.Before(t) {
						cs.probes[k].next = t
					}
				}
			}
			if cs.sidecar {
				st.moveOn(cs, t)
			}
			return
		}
		s.kill(p, n, st, cs, t, "probe", "kill", "startup", false)
	case liveness:
		if !pass {
			ps.onHold, ps.run = true, 0
			s.kill(p, n, st, cs, t, "probe", "kill", "liveness", false)
		}
	case readiness:
		cs.ready = pass
	}
}

// kill stops a container for a reason that restarts it (liveness,
// startup, changed definition), writing the stage's event.
func (s *Simulator) kill(p *corev1.Pod, n *simNode, st *podState, cs *ctrState, t time.Time, stage, role, probe string, always bool) {
	c := containerSpec(p, cs)
	s.stageEvent(n, st, p, c, cs.isInit, stage, role, "", eventData{Probe: probe})
	s.stopContainer(p, cs, t, graceOf(p, c, probe), always)
}

func (s *Simulator) killWith(p *corev1.Pod, n *simNode, st *podState, cs *ctrState, t time.Time, msg string, always bool) {
	c := containerSpec(p, cs)
	n.recorder.Event(ctrRef(p, c, cs.isInit), corev1.EventTypeNormal, "Killing", msg)
	s.stopContainer(p, cs, t, graceOf(p, c, ""), always)
}

func graceOf(p *corev1.Pod, c *corev1.Container, probe string) time.Duration {
	g := int64(30)
	if p.Spec.TerminationGracePeriodSeconds != nil {
		g = *p.Spec.TerminationGracePeriodSeconds
	}
	var pr *corev1.Probe
	switch probe {
	case "liveness":
		pr = c.LivenessProbe
	case "startup":
		pr = c.StartupProbe
	}
	if pr != nil && pr.TerminationGracePeriodSeconds != nil {
		g = *pr.TerminationGracePeriodSeconds
	}
	return time.Duration(g) * time.Second
}

// stopContainer sends SIGTERM: a process that handles it stops soon, the
// others are killed when the grace period ends.
func (s *Simulator) stopContainer(p *corev1.Pod, cs *ctrState, t time.Time, grace time.Duration, always bool) {
	b := &s.cfg.Behaviour
	cs.phase = cStopping
	cs.restartOK = always
	if cs.cur != nil && cs.cur.plan.sigterm && b.d("stop") < grace {
		cs.until, cs.stopCode, cs.stopWhy = t.Add(b.d("stop")), 0, "Completed"
		if cs.cur.plan.server == "" {
			cs.stopCode, cs.stopWhy = 143, "Error"
		}
		return
	}
	cs.until, cs.stopCode, cs.stopWhy = t.Add(grace), 137, "Error"
}

func (s *Simulator) shouldRestart(p *corev1.Pod, cs *ctrState, code int32) bool {
	if cs.isEph {
		return false
	}
	if cs.sidecar {
		return true
	}
	switch p.Spec.RestartPolicy {
	case corev1.RestartPolicyNever:
		return false
	case corev1.RestartPolicyOnFailure:
		return code != 0
	}
	return !cs.isInit || code != 0
}

// exited ends the current run of a container at t.
func (s *Simulator) exited(p *corev1.Pod, n *simNode, st *podState, cs *ctrState, t time.Time, code int32, reason string) {
	in := cs.cur
	started := t
	id := ""
	if in != nil {
		in.finished = t
		started, id = in.started, in.id
	}
	cs.term = &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason, StartedAt: metav1.NewTime(started.Truncate(time.Second)),
		FinishedAt: metav1.NewTime(t.Truncate(time.Second)), ContainerID: id}
	cs.phase, cs.ready, cs.until = cExited, false, time.Time{}
	if st.killing {
		cs.done = true
		return
	}
	always := cs.restartOK
	cs.restartOK = false
	if cs.isInit && !cs.sidecar && code == 0 {
		cs.done = true
		st.moveOn(cs, t)
		return
	}
	if !always && !s.shouldRestart(p, cs, code) {
		cs.done = true
		if cs.isInit {
			st.failedInit = true
			st.terminal = true
			return
		}
		s.checkTerminal(p, st, t)
		return
	}
	// The kubelet's back-off (flowcontrol.Backoff keyed by container): with
	// no entry the restart is immediate; with one, it waits the entry's
	// duration from the exit, and each restart doubles it.
	b := &s.cfg.Behaviour
	stage := b.stage("crashLoopBackOff")
	cs.exitAt = t
	cs.until, cs.backOffUntil = t.Add(b.d("restart")), time.Time{}
	if cs.crash > 0 && t.Sub(cs.crashAt) <= 2*stage.Max.Duration {
		cs.backOffUntil = t.Add(cs.crash)
	}
}

// restart starts a container again after it ended.
func (s *Simulator) restart(p *corev1.Pod, n *simNode, st *podState, cs *ctrState, t time.Time) {
	stage := s.cfg.Behaviour.stage("crashLoopBackOff")
	if cs.crash == 0 || cs.exitAt.Sub(cs.crashAt) > 2*stage.Max.Duration {
		cs.crash = stage.Delay.Duration
	} else {
		cs.crash *= 2
		if m := stage.Max.Duration; m > 0 && cs.crash > m {
			cs.crash = m
		}
	}
	cs.crashAt = cs.exitAt
	cs.phase, cs.backOffUntil = cNone, time.Time{}
	s.startAttempt(p, n, st, cs, t)
}

// checkTerminal ends the pod when its app containers are done for good.
func (s *Simulator) checkTerminal(p *corev1.Pod, st *podState, t time.Time) {
	for _, cs := range st.ctrs {
		if !cs.done {
			return
		}
	}
	st.terminal = true
	for _, cs := range st.inits {
		if cs.sidecar && !cs.done {
			// Sidecars are stopped once the app containers are done.
			started := t
			if cs.cur != nil {
				started = cs.cur.started
				cs.cur.finished = t
			}
			cs.term = &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", StartedAt: metav1.NewTime(started.Truncate(time.Second)),
				FinishedAt: metav1.NewTime(t.Truncate(time.Second))}
			cs.phase, cs.done = cExited, true
		}
	}
}

// startKilling begins the termination of a deleted pod: each running
// container gets its preStop hook, then SIGTERM, and is killed when the
// grace period ends.
func (s *Simulator) startKilling(p *corev1.Pod, n *simNode, st *podState, t time.Time) {
	b := &s.cfg.Behaviour
	st.killing = true
	grace := time.Duration(deref(p.DeletionGracePeriodSeconds)) * time.Second
	start := p.DeletionTimestamp.Add(-grace)
	if start.After(t) {
		start = t
	}
	deadline := start.Add(grace)
	if deadline.Before(t) {
		deadline = t
	}
	end := t
	for _, cs := range append(append(append([]*ctrState{}, st.ctrs...), st.inits...), st.ephs...) {
		c := containerSpec(p, cs)
		if c == nil {
			continue
		}
		if cs.phase != cRunning && cs.phase != cStopping {
			cs.done = true
			if cs.phase != cExited {
				cs.phase = cNone
			}
			continue
		}
		if cs.phase == cRunning {
			s.stageEvent(n, st, p, c, cs.isInit, "stop", "killing", "", eventData{})
			stopAt := t
			if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && deadline.After(t) {
				d, ok, _ := s.hook(p, c, c.Lifecycle.PreStop, cs.cur.envAt(t.Sub(cs.cur.started), st.volView(p, c, nil)), "preStop")
				stopAt = t.Add(d)
				if !ok {
					s.stageEvent(n, st, p, c, cs.isInit, "preStop", "fail", "", eventData{})
				}
			}
			cs.phase = cStopping
			if cs.cur.plan.sigterm && stopAt.Add(b.d("stop")).Before(deadline) {
				cs.until, cs.stopCode, cs.stopWhy = stopAt.Add(b.d("stop")), 0, "Completed"
				if cs.cur.plan.server == "" {
					cs.stopCode, cs.stopWhy = 143, "Error"
				}
			} else {
				cs.until, cs.stopCode, cs.stopWhy = deadline, 137, "Error"
			}
		}
		if cs.until.After(end) {
			end = cs.until
		}
	}
	st.killDone = end
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// resolvesNow reports whether one of the names resolves now.
func (s *Simulator) resolvesNow(ns string, names []string) bool {
	for _, n := range names {
		if _, _, ok := s.resolve(ns, n); ok {
			return true
		}
	}
	return false
}
