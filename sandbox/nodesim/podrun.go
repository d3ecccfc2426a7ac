package nodesim

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// A running container: its process's end, its probes and their results.

// firstTick is the first probe run that counts: probes run every period
// from the container's start, and do nothing before initialDelaySeconds.
func firstTick(started time.Time, period, initial time.Duration) time.Time {
	k := (initial + period - 1) / period
	return started.Add(k * period)
}

// runningSteps are the transitions a running container can go through.
func (r *podRun) runningSteps(cs *ctrState, c *corev1.Container, now time.Time, consider func(time.Time, func(time.Time))) {
	in := cs.cur
	if in == nil {
		return
	}
	if c.Image != in.image {
		consider(now, func(t time.Time) {
			r.kill(cs, t, "probe", "changed", "", true)
		})
		return
	}
	if !in.plan.ends && cs.phase == cRunning && r.resolvesNow(r.pod.Namespace, in.plan.dnsMiss) {
		// A loop waiting for a name (until nslookup myservice...): once the
		// Service exists, the process goes on from now.
		env, _ := r.containerEnv(r.pod, c, r.node, r.st.ip)
		trial := r.plan(r.pod, c, r.shellEnv(c, env, now), in.plan.argv)
		if trial.ends {
			consider(now, func(t time.Time) {
				prev := cs.prev
				in.finished = t
				r.startInstance(c, cs, t, env)
				cs.prev, cs.cur.id = prev, in.id
			})
		}
	}
	if !cs.hookUntil.IsZero() {
		consider(cs.hookUntil, func(t time.Time) {
			cs.hookUntil = time.Time{}
			if !cs.hookOK {
				r.stageEvent(c, cs.isInit, "postStart", "fail", "", eventData{})
				r.killWith(cs, t, "FailedPostStartHook", false)
				return
			}
			if !cs.isInit || (cs.sidecar && cs.started) {
				r.st.moveOn(cs, t)
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
			r.exited(cs, t, code, reason)
		})
	}
	if in.plan.ends {
		end := in.started.Add(in.plan.runFor)
		consider(end, func(t time.Time) { r.exited(cs, t, in.plan.exitCode, in.plan.reason) })
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
			// A change since the probe before (a kubectl exec that removed
			// a file, say) is seen by the next one.
			for _, ch := range r.probeChanges(r.pod, c, kind, in, r.st.volView(r.pod, c, in)) {
				if ch > since-period && (change < 0 || ch < change) {
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
		consider(at, func(t time.Time) { r.probeTick(cs, c, kind, t) })
	}
}

func (r *podRun) probeTick(cs *ctrState, c *corev1.Container, kind probeKind, t time.Time) {
	pr := probeOf(c, kind)
	ps := &cs.probes[kind]
	period, _, success, failure := probeDefaults(pr)
	ps.next = t.Add(period)
	pass, out := r.probeResult(r.pod, c, kind, cs.cur, r.st.ip, t, r.st.volView(r.pod, c, nil))
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
		r.stageEvent(c, cs.isInit, "probe", "unhealthy", "", eventData{Probe: kind.String(), Output: out})
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
				r.st.moveOn(cs, t)
			}
			return
		}
		r.kill(cs, t, "probe", "kill", "startup", false)
	case liveness:
		if !pass {
			ps.onHold, ps.run = true, 0
			r.kill(cs, t, "probe", "kill", "liveness", false)
		}
	case readiness:
		cs.ready = pass
	}
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
