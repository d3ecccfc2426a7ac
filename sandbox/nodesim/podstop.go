package nodesim

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubelab/kubelab/sandbox/nodesim/internal/shell"
)

// Stopping containers: kills, exits, restarts, and the termination of a
// deleted pod.

// kill stops a container for a reason that restarts it (liveness,
// startup, changed definition), writing the stage's event.
func (r *podRun) kill(cs *ctrState, t time.Time, stage, role, probe string, always bool) {
	c := containerSpec(r.pod, cs)
	r.stageEvent(c, cs.isInit, stage, role, "", eventData{Probe: probe})
	r.stopContainer(cs, t, graceOf(r.pod, c, probe), always)
}

func (r *podRun) killWith(cs *ctrState, t time.Time, msg string, always bool) {
	c := containerSpec(r.pod, cs)
	r.node.recorder.Event(ctrRef(r.pod, c, cs.isInit), corev1.EventTypeNormal, "Killing", msg)
	r.stopContainer(cs, t, graceOf(r.pod, c, ""), always)
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
func (r *podRun) stopContainer(cs *ctrState, t time.Time, grace time.Duration, always bool) {
	b := &r.cfg.Behaviour
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

func (r *podRun) shouldRestart(cs *ctrState, code int32) bool {
	if cs.isEph {
		return false
	}
	if cs.sidecar {
		return true
	}
	switch r.pod.Spec.RestartPolicy {
	case corev1.RestartPolicyNever:
		return false
	case corev1.RestartPolicyOnFailure:
		return code != 0
	}
	return !cs.isInit || code != 0
}

// exited ends the current run of a container at t.
func (r *podRun) exited(cs *ctrState, t time.Time, code int32, reason string) {
	in := cs.cur
	started := t
	id := ""
	if in != nil {
		in.finished = t
		started, id = in.started, in.id
	}
	cs.term = &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason, StartedAt: metav1.NewTime(started.Truncate(time.Second)),
		FinishedAt: metav1.NewTime(t.Truncate(time.Second)), ContainerID: id, Message: terminationMessage(in, containerSpec(r.pod, cs), t)}
	cs.phase, cs.ready, cs.until = cExited, false, time.Time{}
	if r.st.killing {
		cs.done = true
		return
	}
	always := cs.restartOK
	cs.restartOK = false
	if cs.isInit && !cs.sidecar && code == 0 {
		cs.done = true
		r.st.moveOn(cs, t)
		return
	}
	if !always && !r.shouldRestart(cs, code) {
		cs.done = true
		if cs.isInit {
			r.st.failedInit = true
			r.st.terminal = true
			return
		}
		r.checkTerminal(t)
		return
	}
	// The kubelet's back-off (flowcontrol.Backoff keyed by container): with
	// no entry the restart is immediate; with one, it waits the entry's
	// duration from the exit, and each restart doubles it.
	b := &r.cfg.Behaviour
	stage := b.stage("crashLoopBackOff")
	cs.exitAt = t
	cs.until, cs.backOffUntil = t.Add(b.d("restart")), time.Time{}
	if cs.crash > 0 && t.Sub(cs.crashAt) <= 2*stage.Max.Duration {
		cs.backOffUntil = t.Add(cs.crash)
	}
}

// restart starts a container again after it ended.
func (r *podRun) restart(cs *ctrState, t time.Time) {
	stage := r.cfg.Behaviour.stage("crashLoopBackOff")
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
	r.startAttempt(cs, t)
}

// checkTerminal ends the pod when its app containers are done for good.
func (r *podRun) checkTerminal(t time.Time) {
	for _, cs := range r.st.ctrs {
		if !cs.done {
			return
		}
	}
	r.st.terminal = true
	for _, cs := range r.st.inits {
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
func (r *podRun) startKilling(t time.Time) {
	b := &r.cfg.Behaviour
	r.st.killing = true
	grace := time.Duration(deref(r.pod.DeletionGracePeriodSeconds)) * time.Second
	start := r.pod.DeletionTimestamp.Add(-grace)
	if start.After(t) {
		start = t
	}
	deadline := start.Add(grace)
	if deadline.Before(t) {
		deadline = t
	}
	end := t
	for _, cs := range append(append(append([]*ctrState{}, r.st.ctrs...), r.st.inits...), r.st.ephs...) {
		c := containerSpec(r.pod, cs)
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
			r.stageEvent(c, cs.isInit, "stop", "killing", "", eventData{})
			stopAt := t
			if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && deadline.After(t) {
				d, ok, _ := r.hook(r.pod, c, c.Lifecycle.PreStop, cs.cur.envAt(t.Sub(cs.cur.started), r.st.volView(r.pod, c, nil)), "preStop")
				stopAt = t.Add(d)
				if !ok {
					r.stageEvent(c, cs.isInit, "preStop", "fail", "", eventData{})
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
	r.st.killDone = end
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// maxTerminationMessage is how much of a termination message file the
// kubelet keeps.
const maxTerminationMessage = 4096

// terminationMessage is what the run wrote, by the time it ended at t, to
// the container's terminationMessagePath (/dev/termination-log unless set):
// the kubelet puts it in the terminated state's message.
func terminationMessage(in *instance, c *corev1.Container, t time.Time) string {
	if in == nil || c == nil {
		return ""
	}
	path := c.TerminationMessagePath
	if path == "" {
		path = corev1.TerminationMessagePathDefault
	}
	elapsed := t.Sub(in.started)
	msg := ""
	apply := func(ops []shell.Op, offset time.Duration) {
		for _, op := range ops {
			if op.Path != path || op.At+offset > elapsed {
				continue
			}
			switch {
			case op.Remove:
				msg = ""
			case op.Append:
				msg += op.Data
			default:
				msg = op.Data
			}
		}
	}
	if in.plan != nil {
		apply(in.plan.ops, 0)
	}
	apply(in.execOps, 0)
	if len(msg) > maxTerminationMessage {
		msg = msg[:maxTerminationMessage]
	}
	return msg
}
