package nodesim

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubelab/kubelab/sandbox/nodesim/internal/shell"
)

type probeKind int

const (
	liveness probeKind = iota
	readiness
	startup
)

func (k probeKind) String() string {
	return [...]string{"Liveness", "Readiness", "Startup"}[k]
}

func (k probeKind) annotation() string {
	return [...]string{AnnotationLiveness, AnnotationReadiness, AnnotationStartup}[k]
}

func probeOf(c *corev1.Container, k probeKind) *corev1.Probe {
	switch k {
	case liveness:
		return c.LivenessProbe
	case readiness:
		return c.ReadinessProbe
	}
	return c.StartupProbe
}

// probeState is a probe worker's memory for one container instance.
type probeState struct {
	next   time.Time // next tick
	run    int       // consecutive identical results
	last   int       // last raw result: 1 pass, 0 fail, -1 none
	result int       // the published result: 1 success, 0 failure, -1 unknown
	onHold bool
}

func probeDefaults(pr *corev1.Probe) (period, initial time.Duration, success, failure int) {
	period = time.Duration(pr.PeriodSeconds) * time.Second
	if period <= 0 {
		period = 10 * time.Second
	}
	success, failure = int(pr.SuccessThreshold), int(pr.FailureThreshold)
	if success <= 0 {
		success = 1
	}
	if failure <= 0 {
		failure = 3
	}
	return period, time.Duration(pr.InitialDelaySeconds) * time.Second, success, failure
}

// scripted reads a probe annotation: the result at offset since start, and
// the offsets where it changes.
func scripted(v string, since time.Duration) (pass bool, changes []time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	switch v {
	case "pass", "":
		return true, nil, true
	case "fail":
		return false, nil, true
	}
	var failAfter, passAfter time.Duration = -1, -1
	for _, part := range strings.Split(v, ",") {
		k, val, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			continue
		}
		d := shell.ParseDuration(val)
		switch k {
		case "fail-after":
			failAfter = d
		case "pass-after":
			passAfter = d
		}
	}
	switch {
	case failAfter >= 0 && passAfter > failAfter:
		return since < failAfter || since >= passAfter, []time.Duration{failAfter, passAfter}, true
	case failAfter >= 0:
		return since < failAfter, []time.Duration{failAfter}, true
	case passAfter >= 0:
		return since >= passAfter, []time.Duration{passAfter}, true
	}
	return true, nil, false
}

// probeResult runs a probe against a container instance at time at.
func (s *Simulator) probeResult(p *corev1.Pod, c *corev1.Container, k probeKind, inst *instance, ip string, at time.Time, vol *volView) (bool, string) {
	pr := probeOf(c, k)
	since := at.Sub(inst.started)
	if v, ok := annotation(p, k.annotation(), c.Name); ok {
		if pass, _, ok := scripted(v, since); ok {
			if pass {
				return true, ""
			}
			return false, failMessage(pr, ip, true)
		}
	}
	switch {
	case pr.Exec != nil:
		env := inst.envAt(since, vol)
		env.EndsUnknown = true // a probe's unknown program (zookeeper-ready) just answers
		res := shell.Run(pr.Exec.Command, env, time.Duration(max(pr.TimeoutSeconds, 1))*time.Second)
		if res.Ended && res.Code == 0 {
			return true, ""
		}
		var out []string
		for _, l := range res.Lines {
			out = append(out, l.Text)
		}
		msg := strings.Join(out, "\n")
		if !res.Ended {
			msg = fmt.Sprintf("command timed out: %q timed out after %ds", strings.Join(pr.Exec.Command, " "), max(pr.TimeoutSeconds, 1))
		}
		return false, msg
	case pr.HTTPGet != nil, pr.TCPSocket != nil, pr.GRPC != nil:
		// A server listens; a script that is not one refuses connections.
		if after, ok := catalog.healthFailsAfter(c.Image, inst.plan.argv); ok && pr.HTTPGet != nil && since >= after {
			// An image whose health endpoint fails after a while (the liveness example).
			return false, failMessage(pr, ip, true)
		}
		if inst.plan.server == "" {
			return false, failMessage(pr, ip, false)
		}
		if pr.HTTPGet != nil {
			// A server answers only the paths it serves (nginx: 404 for others).
			code := catalog.httpStatus(c.Image, c, pr.HTTPGet.Path, inst.envAt(since, vol))
			if code < 200 || code >= 400 {
				return false, fmt.Sprintf("HTTP probe failed with statuscode: %d", code)
			}
		}
		return true, ""
	}
	return true, ""
}

func failMessage(pr *corev1.Probe, ip string, scripted bool) string {
	port := func(p intstr.IntOrString) string { return p.String() }
	switch {
	case pr == nil:
		return ""
	case pr.HTTPGet != nil:
		scheme := strings.ToLower(string(pr.HTTPGet.Scheme))
		if scheme == "" {
			scheme = "http"
		}
		if scripted {
			return "HTTP probe failed with statuscode: 500"
		}
		return fmt.Sprintf("Get %q: dial tcp %s:%s: connect: connection refused",
			fmt.Sprintf("%s://%s:%s%s", scheme, ip, port(pr.HTTPGet.Port), pr.HTTPGet.Path), ip, port(pr.HTTPGet.Port))
	case pr.TCPSocket != nil:
		return fmt.Sprintf("dial tcp %s:%s: connect: connection refused", ip, port(pr.TCPSocket.Port))
	case pr.GRPC != nil:
		if scripted {
			return `service unhealthy (responded with "NOT_SERVING")`
		}
		return fmt.Sprintf("timeout: failed to connect service %q within 1s", fmt.Sprintf("%s:%d", ip, pr.GRPC.Port))
	case pr.Exec != nil:
		return ""
	}
	return ""
}

// probeChanges are the offsets since start at which a probe's result can
// change: when the process changes its files, or a scripted switch.
func (s *Simulator) probeChanges(p *corev1.Pod, c *corev1.Container, k probeKind, inst *instance, vol *volView) []time.Duration {
	if v, ok := annotation(p, k.annotation(), c.Name); ok {
		if _, ch, ok := scripted(v, 0); ok {
			return ch
		}
	}
	pr := probeOf(c, k)
	if after, ok := catalog.healthFailsAfter(c.Image, inst.plan.argv); ok && pr.HTTPGet != nil {
		return []time.Duration{after}
	}
	if pr.Exec == nil && (pr.HTTPGet == nil || !catalog.servesFiles(c.Image)) {
		return nil
	}
	var out []time.Duration
	for _, op := range inst.plan.ops {
		out = append(out, op.At)
	}
	for _, op := range inst.execOps { // what kubectl exec wrote or removed
		out = append(out, op.At)
	}
	// What the pod's other containers write to the volumes it reads.
	if vol != nil {
		for _, e := range vol.events {
			out = append(out, e.At.Sub(inst.started))
		}
	}
	return out
}
