package nodesim

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// The kubelet's sync of a pod: it replays the transitions that are due,
// in time order, and writes the pod's status.

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
	r := s.runFor(pod, n, st)
	st.mu.Lock()
	if st.accepted.IsZero() {
		st.accepted = now
		r.resume(now)
	}
	next := r.advance(now)
	status := r.render(now)
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
func (r *podRun) resume(now time.Time) {
	r.st.inits = make([]*ctrState, len(r.pod.Spec.InitContainers))
	for i, c := range r.pod.Spec.InitContainers {
		r.st.inits[i] = &ctrState{name: c.Name, isInit: true, started: c.StartupProbe == nil,
			sidecar: c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways}
	}
	r.st.ctrs = make([]*ctrState, len(r.pod.Spec.Containers))
	for i, c := range r.pod.Spec.Containers {
		r.st.ctrs[i] = &ctrState{name: c.Name, started: c.StartupProbe == nil}
	}
	if r.pod.Status.StartTime == nil || r.pod.Status.PodIP == "" && !r.pod.Spec.HostNetwork {
		return
	}
	r.st.accepted = r.pod.Status.StartTime.Time
	r.st.ip, r.st.mounted, r.st.sandbox = r.pod.Status.PodIP, true, true
	if r.pod.Spec.HostNetwork {
		r.st.ip = r.node.spec.IP
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
			r.startInstance(c, cs, started, nil)
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
			if !r.pod.DeletionTimestamp.IsZero() || r.pod.Status.Phase == corev1.PodSucceeded || r.pod.Status.Phase == corev1.PodFailed {
				break
			}
			if r.shouldRestart(cs, cs.term.ExitCode) {
				cs.done, cs.until = false, now
			}
		default:
			if status.LastTerminationState.Terminated != nil {
				cs.term = status.LastTerminationState.Terminated
				cs.last = nil
				cs.phase, cs.until = cBackOff, now.Add(r.cfg.Behaviour.d("restart"))
				cs.exitAt, cs.crashAt, cs.crash = now, now, r.cfg.Behaviour.d("crashLoopBackOff")
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
	for i := range r.pod.Spec.InitContainers {
		restore(r.st.inits[i], &r.pod.Spec.InitContainers[i], find(r.pod.Status.InitContainerStatuses, r.pod.Spec.InitContainers[i].Name))
	}
	for i := range r.pod.Spec.Containers {
		restore(r.st.ctrs[i], &r.pod.Spec.Containers[i], find(r.pod.Status.ContainerStatuses, r.pod.Spec.Containers[i].Name))
	}
	r.st.terminal = r.pod.Status.Phase == corev1.PodSucceeded || r.pod.Status.Phase == corev1.PodFailed
}

// advance applies every transition due by now, in time order, and returns
// the time of the next one (zero: none).
func (r *podRun) advance(now time.Time) time.Time {
	if r.st.inits == nil && r.st.ctrs == nil {
		r.resume(now)
	}
	// Ephemeral containers (kubectl debug) start as soon as they are added.
	for _, e := range r.pod.Spec.EphemeralContainers {
		known := false
		for _, cs := range r.st.ephs {
			known = known || cs.name == e.Name
		}
		if !known {
			cs := &ctrState{name: e.Name, isEph: true, started: true}
			if r.st.sandbox && !r.st.terminal {
				cs.begin = now
			}
			r.st.ephs = append(r.st.ephs, cs)
		}
	}
	for i := 0; i < 2000; i++ {
		at, act := r.nextStep(now)
		if act == nil {
			return time.Time{}
		}
		if at.After(now) {
			return at
		}
		before := initsRunning(r.st)
		act(at)
		if initsRunning(r.st) > before {
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
func (r *podRun) nextStep(now time.Time) (time.Time, func(time.Time)) {
	var best *step
	consider := func(at time.Time, act func(time.Time)) {
		if at.IsZero() {
			return
		}
		if best == nil || at.Before(best.at) {
			best = &step{at, act}
		}
	}
	b := &r.cfg.Behaviour
	if r.pod.DeletionTimestamp != nil {
		if !r.st.killing {
			consider(now, func(t time.Time) { r.startKilling(t) })
		}
		for _, cs := range r.st.all() {
			cs := cs
			if cs.phase == cStopping {
				consider(cs.until, func(t time.Time) { r.exited(cs, t, cs.stopCode, cs.stopWhy) })
			}
		}
		if best == nil {
			return time.Time{}, nil
		}
		return best.at, best.act
	}
	if r.st.terminal {
		return time.Time{}, nil
	}
	if !r.st.mounted {
		msg, blocked := r.volumeBlocker(r.pod)
		first := r.st.accepted.Add(b.d("mount"))
		if !blocked {
			at := first
			if at.Before(now) && !r.st.mountNext.IsZero() {
				at = now
			}
			consider(at, func(t time.Time) {
				r.st.mounted, r.st.sandboxAt = true, t.Add(b.d("sandbox"))
			})
		} else {
			at := r.st.mountNext
			if at.IsZero() {
				at = first
			}
			consider(at, func(t time.Time) {
				if msg != "" {
					r.stageEvent(nil, false, "mount", "fail", "", eventData{Message: msg})
				}
				r.st.mountNext = t.Add(b.stage("mount").backOff(r.st.mountTries))
				r.st.mountTries++
			})
		}
		return best.at, best.act
	}
	if !r.st.sandbox {
		consider(r.st.sandboxAt, func(t time.Time) { r.sandboxReady(t) })
		return best.at, best.act
	}
	for _, cs := range r.st.all() {
		cs := cs
		c := containerSpec(r.pod, cs)
		if c == nil || cs.done {
			continue
		}
		switch cs.phase {
		case cNone:
			consider(cs.begin, func(t time.Time) { r.startAttempt(cs, t) })
		case cPulling:
			consider(cs.until, func(t time.Time) { r.pullDone(cs, t) })
		case cPullBackOff:
			if !cs.flipAt.IsZero() && cs.flipAt.Before(cs.until) {
				consider(cs.flipAt, func(t time.Time) {
					cs.flipAt = time.Time{}
					cs.reason = "ImagePullBackOff"
					cs.message = fmt.Sprintf("Back-off pulling image %q: ErrImagePull: %s", c.Image, cs.message)
					r.stageEvent(c, cs.isInit, "imagePullBackOff", "backOff", "", eventData{})
					r.stageEvent(c, cs.isInit, "imagePullBackOff", "backOffError", "", eventData{})
				})
			}
			consider(cs.until, func(t time.Time) { r.startAttempt(cs, t) })
		case cBlocked:
			at := cs.until
			if cs.reason == "CreateContainerConfigError" {
				if _, msg := r.containerEnv(r.pod, c, r.node, r.st.ip); msg == "" && now.Before(at) {
					at = now // what was missing has appeared
				}
			}
			if cs.reason == "InvalidImageName" && validImage(c.Image) && now.Before(at) {
				at = now
			}
			consider(at, func(t time.Time) { r.startAttempt(cs, t) })
		case cCreating:
			consider(cs.until, func(t time.Time) { r.created(cs, t) })
		case cRunning:
			r.runningSteps(cs, c, now, consider)
		case cStopping:
			consider(cs.until, func(t time.Time) { r.exited(cs, t, cs.stopCode, cs.stopWhy) })
		case cExited:
			if !cs.until.IsZero() {
				consider(cs.until, func(t time.Time) {
					if cs.backOffUntil.After(t) {
						cs.phase, cs.until = cBackOff, cs.backOffUntil
						r.stageEvent(c, cs.isInit, "crashLoopBackOff", "backOff", "", eventData{})
						return
					}
					r.restart(cs, t)
				})
			}
		case cBackOff:
			consider(cs.until, func(t time.Time) { r.restart(cs, t) })
		}
	}
	if best == nil {
		return time.Time{}, nil
	}
	return best.at, best.act
}
