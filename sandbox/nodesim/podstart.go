package nodesim

import (
	"fmt"
	"strings"
	"time"

	"github.com/distribution/reference"
	corev1 "k8s.io/api/core/v1"
)

// Starting a pod's containers: the sandbox, then each container in turn:
// its image pulled, its configuration checked, its process created.

func (r *podRun) sandboxReady(t time.Time) {
	switch {
	case r.pod.Spec.HostNetwork:
		r.st.ip = r.node.spec.IP
	case r.st.ip == "":
		ip, err := r.node.ips.allocate()
		if err != nil {
			r.st.sandboxAt = t.Add(10 * time.Second)
			return
		}
		r.st.ip = ip
	}
	r.st.sandbox = true
	var missing []string
	for _, ref := range r.pod.Spec.ImagePullSecrets {
		if _, err := r.secrets.Secrets(r.pod.Namespace).Get(ref.Name); err != nil {
			missing = append(missing, ref.Name)
		}
	}
	if len(missing) > 0 {
		r.stageEvent(nil, false, "sandbox", "pullSecrets", "", eventData{Secrets: strings.Join(missing, ", ")})
	}
	if len(r.st.inits) > 0 {
		r.st.inits[0].begin = t
	} else if len(r.st.ctrs) > 0 {
		r.st.ctrs[0].begin = t
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
func (r *podRun) startAttempt(cs *ctrState, t time.Time) {
	b := &r.cfg.Behaviour
	c := containerSpec(r.pod, cs)
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
		r.stageEvent(c, cs.isInit, "pull", "invalid", "", eventData{Message: msg})
		r.stageEvent(c, cs.isInit, "pull", "invalidError", "", eventData{})
		r.st.moveOn(cs, t)
		return
	}
	ref := imageRef(c.Image)
	present := r.node.hasImage(ref)
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
		r.stageEvent(c, cs.isInit, "pull", "neverPull", "", eventData{})
		r.stageEvent(c, cs.isInit, "pull", "neverPullError", "", eventData{})
		r.st.moveOn(cs, t)
	case present && policy != corev1.PullAlways:
		r.stageEvent(c, cs.isInit, "pull", "present", "", eventData{})
		r.createAttempt(cs, t)
	default:
		d := b.d("pull")
		if present {
			d = b.d("repull")
		}
		cs.phase, cs.until, cs.reason, cs.message = cPulling, t.Add(d), "", ""
		r.stageEvent(c, cs.isInit, "pull", "start", "", eventData{})
	}
}

func (r *podRun) pullDone(cs *ctrState, t time.Time) {
	b := &r.cfg.Behaviour
	c := containerSpec(r.pod, cs)
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
		r.stageEvent(c, cs.isInit, "imagePullBackOff", "fail", "", eventData{Message: full})
		r.stageEvent(c, cs.isInit, "imagePullBackOff", "failError", "", eventData{})
		r.st.moveOn(cs, t)
		return
	}
	took := b.d("pull")
	if r.node.hasImage(imageRef(c.Image)) {
		took = b.d("repull")
	}
	r.node.havePulled(imageRef(c.Image))
	r.stageEvent(c, cs.isInit, "pull", "end", "", eventData{Took: took.String(), Size: fmt.Sprint(imageSize(c.Image))})
	r.createAttempt(cs, t)
}

func (r *podRun) createAttempt(cs *ctrState, t time.Time) {
	b := &r.cfg.Behaviour
	c := containerSpec(r.pod, cs)
	env, msg := r.containerEnv(r.pod, c, r.node, r.st.ip)
	if msg != "" {
		cs.phase, cs.reason, cs.message = cBlocked, "CreateContainerConfigError", msg
		cs.until = t.Add(b.stage("configRetry").backOff(cs.tries))
		cs.tries++
		r.stageEvent(c, cs.isInit, "configRetry", "fail", "", eventData{Message: msg})
		r.st.moveOn(cs, t)
		return
	}
	cs.tries = 0
	cs.phase, cs.until, cs.reason, cs.message, cs.pending = cCreating, t.Add(b.d("create")), "", "", env
}

// startInstance makes a new run of a container that starts at t.
func (r *podRun) startInstance(c *corev1.Container, cs *ctrState, t time.Time, env []envVar) {
	if env == nil {
		env, _ = r.containerEnv(r.pod, c, r.node, r.st.ip)
	}
	shenv := r.shellEnv(c, env, t)
	argv := commandLine(c, env)
	in := &instance{id: containerID(r.pod, c.Name, t), image: c.Image, started: t, env: shenv}
	shenv.Procs = []string{mainCommand(r.pod, c, argv)}
	in.plan = r.plan(r.pod, c, shenv, argv)
	r.st.record(c, in)
	cs.prev, cs.cur = cs.cur, in
}

func (r *podRun) created(cs *ctrState, t time.Time) {
	c := containerSpec(r.pod, cs)
	if cs.term != nil {
		cs.last = cs.term
	}
	cs.term = nil
	cs.instances++
	r.startInstance(c, cs, t, cs.pending)
	cs.pending = nil
	cs.phase, cs.ready, cs.started = cRunning, false, c.StartupProbe == nil
	r.stageEvent(c, cs.isInit, "create", "created", "", eventData{})
	r.stageEvent(c, cs.isInit, "create", "started", "", eventData{})
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
		d, ok, ops := r.hook(r.pod, c, c.Lifecycle.PostStart, cs.cur.env, "postStart")
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
		r.st.moveOn(cs, t)
	}
}
