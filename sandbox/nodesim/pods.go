package nodesim

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/distribution/reference"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

var everything = labels.Everything()

// podState is what a simulated kubelet remembers about one pod.
type podState struct {
	accepted   time.Time
	ip         string
	emitted    map[string]bool
	containers map[string]*ctrState
	killing    bool
}

type ctrState struct {
	started   time.Time
	restarts  int32
	lastExit  *corev1.ContainerStateTerminated
	waitUntil time.Time // CrashLoopBackOff
}

func (s *Simulator) stateFor(p *corev1.Pod) *podState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state[string(p.UID)]
	if st == nil {
		st = &podState{emitted: map[string]bool{}, containers: map[string]*ctrState{}}
		s.state[string(p.UID)] = st
	}
	return st
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
		if n := s.nodes[p.Spec.NodeName]; n != nil && p.Status.PodIP != "" && !p.Spec.HostNetwork {
			n.ips.take(p.Status.PodIP)
		}
	}
}

func metaOf(obj any) (metav1.Object, error) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	return meta.Accessor(obj)
}

func (s *Simulator) event(n *simNode, st *podState, p *corev1.Pod, once, typ, reason, msg string) {
	if once != "" {
		if st.emitted[once] {
			return
		}
		st.emitted[once] = true
	}
	n.recorder.Event(p, typ, reason, msg)
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
	if n == nil || n.notReady {
		return 0, nil
	}
	st := s.stateFor(pod)
	if pod.DeletionTimestamp != nil {
		return s.terminate(ctx, pod, n, st)
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return 0, nil
	}
	now := time.Now()
	if st.accepted.IsZero() {
		st.accepted = now
		if resumed(pod) {
			st.accepted = pod.Status.StartTime.Time
			st.ip = pod.Status.PodIP
			for _, cs := range pod.Status.ContainerStatuses {
				c := &ctrState{restarts: cs.RestartCount}
				if cs.State.Running != nil {
					c.started = cs.State.Running.StartedAt.Time
				}
				st.containers[cs.Name] = c
			}
			st.emitted["pulled"] = true
		}
	}
	status, next := s.desired(pod, n, st, now)
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
	return next, nil
}

func resumed(p *corev1.Pod) bool {
	return p.Status.StartTime != nil && p.Status.PodIP != "" && len(p.Status.ContainerStatuses) > 0
}

// blocker is why a pod's containers cannot start yet.
type blocker struct {
	waitingReason string // for the container statuses
	message       string
	eventReason   string
	retry         time.Duration
}

func (s *Simulator) blockers(p *corev1.Pod) *blocker {
	for _, v := range p.Spec.Volumes {
		if b := s.volumeBlocker(p, v); b != nil {
			return b
		}
	}
	for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
		if b := imageBlocker(c.Image); b != nil {
			return b
		}
		if b := s.envBlocker(p, &c); b != nil {
			return b
		}
	}
	return nil
}

func (s *Simulator) volumeBlocker(p *corev1.Pod, v corev1.Volume) *blocker {
	mountFail := func(kind, name string) *blocker {
		return &blocker{waitingReason: "ContainerCreating", eventReason: "FailedMount", retry: 10 * time.Second,
			message: fmt.Sprintf("MountVolume.SetUp failed for volume %q : %s %q not found", v.Name, kind, name)}
	}
	switch {
	case v.ConfigMap != nil && (v.ConfigMap.Optional == nil || !*v.ConfigMap.Optional):
		if _, err := s.cms.ConfigMaps(p.Namespace).Get(v.ConfigMap.Name); err != nil {
			return mountFail("configmap", v.ConfigMap.Name)
		}
	case v.Secret != nil && (v.Secret.Optional == nil || !*v.Secret.Optional):
		if _, err := s.secrets.Secrets(p.Namespace).Get(v.Secret.SecretName); err != nil {
			return mountFail("secret", v.Secret.SecretName)
		}
	case v.Projected != nil:
		for _, src := range v.Projected.Sources {
			if src.ConfigMap != nil && (src.ConfigMap.Optional == nil || !*src.ConfigMap.Optional) {
				if _, err := s.cms.ConfigMaps(p.Namespace).Get(src.ConfigMap.Name); err != nil {
					return mountFail("configmap", src.ConfigMap.Name)
				}
			}
			if src.Secret != nil && (src.Secret.Optional == nil || !*src.Secret.Optional) {
				if _, err := s.secrets.Secrets(p.Namespace).Get(src.Secret.Name); err != nil {
					return mountFail("secret", src.Secret.Name)
				}
			}
		}
	case v.PersistentVolumeClaim != nil:
		pvc, err := s.pvcs.PersistentVolumeClaims(p.Namespace).Get(v.PersistentVolumeClaim.ClaimName)
		if err != nil {
			return &blocker{waitingReason: "ContainerCreating", eventReason: "FailedMount", retry: 10 * time.Second,
				message: fmt.Sprintf("Unable to attach or mount volumes: unmounted volumes=[%s]: persistentvolumeclaim %q not found", v.Name, v.PersistentVolumeClaim.ClaimName)}
		}
		if pvc.Status.Phase != corev1.ClaimBound {
			return &blocker{waitingReason: "ContainerCreating", retry: 2 * time.Second,
				message: fmt.Sprintf("waiting for volume %q (claim %s is %s)", v.Name, pvc.Name, pvc.Status.Phase)}
		}
	}
	return nil
}

func (s *Simulator) envBlocker(p *corev1.Pod, c *corev1.Container) *blocker {
	fail := func(msg string) *blocker {
		return &blocker{waitingReason: "CreateContainerConfigError", eventReason: "Failed", retry: 10 * time.Second, message: msg}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			continue
		}
		if r := e.ValueFrom.ConfigMapKeyRef; r != nil && (r.Optional == nil || !*r.Optional) {
			cm, err := s.cms.ConfigMaps(p.Namespace).Get(r.Name)
			if err != nil {
				return fail(fmt.Sprintf("Error: configmap %q not found", r.Name))
			}
			if _, ok := cm.Data[r.Key]; !ok {
				return fail(fmt.Sprintf("Error: couldn't find key %s in ConfigMap %s/%s", r.Key, p.Namespace, r.Name))
			}
		}
		if r := e.ValueFrom.SecretKeyRef; r != nil && (r.Optional == nil || !*r.Optional) {
			sec, err := s.secrets.Secrets(p.Namespace).Get(r.Name)
			if err != nil {
				return fail(fmt.Sprintf("Error: secret %q not found", r.Name))
			}
			if _, ok := sec.Data[r.Key]; !ok {
				return fail(fmt.Sprintf("Error: couldn't find key %s in Secret %s/%s", r.Key, p.Namespace, r.Name))
			}
		}
	}
	for _, e := range c.EnvFrom {
		if r := e.ConfigMapRef; r != nil && (r.Optional == nil || !*r.Optional) {
			if _, err := s.cms.ConfigMaps(p.Namespace).Get(r.Name); err != nil {
				return fail(fmt.Sprintf("Error: configmap %q not found", r.Name))
			}
		}
		if r := e.SecretRef; r != nil && (r.Optional == nil || !*r.Optional) {
			if _, err := s.secrets.Secrets(p.Namespace).Get(r.Name); err != nil {
				return fail(fmt.Sprintf("Error: secret %q not found", r.Name))
			}
		}
	}
	return nil
}

func ownedByJob(p *corev1.Pod) bool {
	for _, o := range p.OwnerReferences {
		if o.Kind == "Job" {
			return true
		}
	}
	return false
}

// desired computes the pod's status at time now and when it next changes.
func (s *Simulator) desired(p *corev1.Pod, n *simNode, st *podState, now time.Time) (*corev1.PodStatus, time.Duration) {
	b := s.cfg.Behaviour
	status := p.Status.DeepCopy()
	status.HostIP = n.spec.IP
	status.HostIPs = []corev1.HostIP{{IP: n.spec.IP}}
	if status.StartTime == nil {
		t := metav1.NewTime(st.accepted)
		status.StartTime = &t
	}
	status.QOSClass = qosClass(p)
	var next time.Duration
	soon := func(at time.Time) {
		if d := at.Sub(now); d > 0 && (next == 0 || d < next) {
			next = d
		}
	}
	if blk := s.blockers(p); blk != nil {
		status.Phase = corev1.PodPending
		status.ContainerStatuses = waitingStatuses(p.Spec.Containers, blk.waitingReason, blk.message)
		if len(p.Spec.InitContainers) > 0 {
			status.InitContainerStatuses = waitingStatuses(p.Spec.InitContainers, blk.waitingReason, blk.message)
		}
		setConditions(status, p, false, false, false, "")
		if blk.eventReason != "" {
			typ := corev1.EventTypeWarning
			s.event(n, st, p, "blk/"+blk.eventReason+"/"+blk.message, typ, blk.eventReason, blk.message)
			switch blk.waitingReason {
			case "InvalidImageName":
				s.event(n, st, p, "blk/failed-invalid", typ, "Failed", "Error: InvalidImageName")
			case "ImagePullBackOff":
				s.event(n, st, p, "blk/pulling", corev1.EventTypeNormal, "Pulling", "Pulling image \""+firstBadImage(p)+"\"")
				s.event(n, st, p, "blk/errimagepull", typ, "Failed", "Error: ErrImagePull")
				s.event(n, st, p, "blk/backoff", corev1.EventTypeNormal, "BackOff", "Back-off pulling image \""+firstBadImage(p)+"\"")
				s.event(n, st, p, "blk/failed-backoff", typ, "Failed", "Error: ImagePullBackOff")
			}
		}
		return status, blk.retry
	}
	if !p.Spec.HostNetwork && st.ip == "" {
		ip, err := n.ips.allocate()
		if err != nil {
			return status, 10 * time.Second
		}
		st.ip = ip
	}
	if p.Spec.HostNetwork {
		st.ip = n.spec.IP
	}
	// Images are pulled once, then init containers run in order, then the
	// main containers start together.
	pulledAt := st.accepted.Add(b.PullDelay.Duration)
	if now.Before(pulledAt) {
		for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
			s.event(n, st, p, "pulling/"+c.Name, corev1.EventTypeNormal, "Pulling", fmt.Sprintf("Pulling image %q", c.Image))
		}
		status.Phase = corev1.PodPending
		status.ContainerStatuses = waitingStatuses(p.Spec.Containers, "ContainerCreating", "")
		if len(p.Spec.InitContainers) > 0 {
			status.InitContainerStatuses = waitingStatuses(p.Spec.InitContainers, "PodInitializing", "")
		}
		setConditions(status, p, false, false, false, "")
		return status, pulledAt.Sub(now)
	}
	t := pulledAt
	var initStatuses []corev1.ContainerStatus
	initsDone := true
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			// A sidecar: starts, and keeps running next to the app.
			initStatuses = append(initStatuses, runningStatus(c, t, true, 0))
			s.started(n, st, p, c)
			continue
		}
		end := t.Add(b.InitContainerDuration.Duration)
		if now.Before(end) {
			s.started(n, st, p, c)
			initStatuses = append(initStatuses, runningStatus(c, t, false, 0))
			initsDone = false
			soon(end)
			break
		}
		initStatuses = append(initStatuses, terminatedStatus(c, t, end, 0, "Completed", 0))
		t = end
	}
	if len(p.Spec.InitContainers) > 0 {
		for i := len(initStatuses); i < len(p.Spec.InitContainers); i++ {
			initStatuses = append(initStatuses, waitingStatus(p.Spec.InitContainers[i], "PodInitializing", "", 0))
		}
		status.InitContainerStatuses = initStatuses
	}
	if !initsDone {
		status.Phase = corev1.PodPending
		status.PodIP, status.PodIPs = st.ip, []corev1.PodIP{{IP: st.ip}}
		status.ContainerStatuses = waitingStatuses(p.Spec.Containers, "PodInitializing", "")
		setConditions(status, p, true, false, false, "")
		return status, next
	}
	startAt := t.Add(b.StartDelay.Duration)
	if now.Before(startAt) {
		status.Phase = corev1.PodPending
		status.ContainerStatuses = waitingStatuses(p.Spec.Containers, "ContainerCreating", "")
		setConditions(status, p, true, false, false, "")
		return status, startAt.Sub(now)
	}
	status.PodIP, status.PodIPs = st.ip, []corev1.PodIP{{IP: st.ip}}
	job := ownedByJob(p)
	var statuses []corev1.ContainerStatus
	allReady, running, failed, ended := true, 0, 0, 0
	for _, c := range p.Spec.Containers {
		cs := st.containers[c.Name]
		if cs == nil {
			cs = &ctrState{started: startAt}
			st.containers[c.Name] = cs
		}
		if cs.started.IsZero() {
			cs.started = startAt
		}
		if !cs.waitUntil.IsZero() {
			if now.Before(cs.waitUntil) {
				ws := waitingStatus(c, "CrashLoopBackOff", fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)",
					backoff(b, cs.restarts-1), c.Name, p.Name, p.Namespace, p.UID), cs.restarts)
				ws.LastTerminationState = corev1.ContainerState{Terminated: cs.lastExit}
				statuses = append(statuses, ws)
				allReady = false
				running++
				soon(cs.waitUntil)
				continue
			}
			cs.waitUntil, cs.started = time.Time{}, now
			s.event(n, st, p, "", corev1.EventTypeNormal, "Pulled", fmt.Sprintf("Container image %q already present on machine", c.Image))
			s.event(n, st, p, "", corev1.EventTypeNormal, "Created", "Created container: "+c.Name)
			s.event(n, st, p, "", corev1.EventTypeNormal, "Started", "Started container "+c.Name)
		}
		s.started(n, st, p, c)
		proc := planProcess(p, &c, b, job)
		if proc.ends && !now.Before(cs.started.Add(proc.runFor)) {
			end := cs.started.Add(proc.runFor)
			reason := "Completed"
			if proc.exitCode != 0 {
				reason = "Error"
			}
			term := terminatedStatus(c, cs.started, end, proc.exitCode, reason, cs.restarts)
			restart := p.Spec.RestartPolicy == corev1.RestartPolicyAlways ||
				(p.Spec.RestartPolicy == corev1.RestartPolicyOnFailure && proc.exitCode != 0)
			if restart {
				cs.lastExit = term.State.Terminated
				cs.restarts++
				cs.waitUntil = end.Add(backoff(b, cs.restarts-1))
				if !cs.waitUntil.After(now) {
					cs.waitUntil = now.Add(time.Second)
				}
				s.event(n, st, p, "", corev1.EventTypeWarning, "BackOff", "Back-off restarting failed container "+c.Name+" in pod "+p.Name+"_"+p.Namespace+"("+string(p.UID)+")")
				ws := waitingStatus(c, "CrashLoopBackOff", "back-off restarting failed container", cs.restarts)
				ws.LastTerminationState = corev1.ContainerState{Terminated: cs.lastExit}
				statuses = append(statuses, ws)
				allReady = false
				running++
				soon(cs.waitUntil)
				continue
			}
			statuses = append(statuses, term)
			ended++
			if proc.exitCode != 0 {
				failed++
			}
			allReady = false
			continue
		}
		if proc.ends {
			soon(cs.started.Add(proc.runFor))
		}
		ready := true
		if c.ReadinessProbe != nil {
			readyAt := cs.started.Add(time.Duration(c.ReadinessProbe.InitialDelaySeconds) * time.Second)
			if now.Before(readyAt) {
				ready = false
				soon(readyAt)
			}
		}
		if !ready {
			allReady = false
		}
		rs := runningStatus(c, cs.started, ready, cs.restarts)
		if cs.lastExit != nil {
			rs.LastTerminationState = corev1.ContainerState{Terminated: cs.lastExit}
		}
		statuses = append(statuses, rs)
		running++
	}
	status.ContainerStatuses = statuses
	switch {
	case running == 0 && failed > 0:
		status.Phase = corev1.PodFailed
		setConditions(status, p, true, false, false, "PodFailed")
	case running == 0:
		status.Phase = corev1.PodSucceeded
		setConditions(status, p, true, false, false, "PodCompleted")
	default:
		status.Phase = corev1.PodRunning
		setConditions(status, p, true, allReady, true, "")
	}
	return status, next
}

func (s *Simulator) started(n *simNode, st *podState, p *corev1.Pod, c corev1.Container) {
	if !st.emitted["pulled/"+c.Name] {
		s.event(n, st, p, "pulled/"+c.Name, corev1.EventTypeNormal, "Pulled",
			fmt.Sprintf("Successfully pulled image %q in %s (%s including waiting). Image size: 0 bytes.", c.Image,
				s.cfg.Behaviour.PullDelay.Duration, s.cfg.Behaviour.PullDelay.Duration))
	}
	s.event(n, st, p, "created/"+c.Name, corev1.EventTypeNormal, "Created", "Created container: "+c.Name)
	s.event(n, st, p, "started/"+c.Name, corev1.EventTypeNormal, "Started", "Started container "+c.Name)
}

func backoff(b Behaviour, restarts int32) time.Duration {
	d := b.CrashLoopBackOff.Duration
	for i := int32(0); i < restarts && d < 5*time.Minute; i++ {
		d *= 2
	}
	if d > 5*time.Minute {
		d = 5 * time.Minute
	}
	return d
}

// terminate finishes a deleted pod after its grace period (capped so that a
// lesson does not wait 30 s), then removes it as the kubelet does.
func (s *Simulator) terminate(ctx context.Context, p *corev1.Pod, n *simNode, st *podState) (time.Duration, error) {
	if !st.killing {
		st.killing = true
		for _, c := range p.Spec.Containers {
			if p.Status.Phase == corev1.PodRunning {
				s.event(n, st, p, "kill/"+c.Name, corev1.EventTypeNormal, "Killing", "Stopping container "+c.Name)
			}
		}
	}
	grace := s.cfg.Behaviour.MaxGracePeriod.Duration
	if p.DeletionGracePeriodSeconds != nil {
		if g := time.Duration(*p.DeletionGracePeriodSeconds) * time.Second; g < grace {
			grace = g
		}
	}
	if p.Status.Phase == corev1.PodPending || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		grace = 0
	}
	deadline := p.DeletionTimestamp.Add(-time.Duration(deref(p.DeletionGracePeriodSeconds)) * time.Second).Add(grace)
	if d := time.Until(deadline); d > 0 {
		return d, nil
	}
	zero := int64(0)
	uid := p.UID
	err := s.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &uid}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return 0, fmt.Errorf("nodesim: delete %s/%s: %w", p.Namespace, p.Name, err)
	}
	return 0, nil
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func waitingStatus(c corev1.Container, reason, msg string, restarts int32) corev1.ContainerStatus {
	f := false
	return corev1.ContainerStatus{Name: c.Name, Image: c.Image, Started: &f, RestartCount: restarts,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}}
}

func waitingStatuses(cs []corev1.Container, reason, msg string) []corev1.ContainerStatus {
	out := make([]corev1.ContainerStatus, 0, len(cs))
	for _, c := range cs {
		out = append(out, waitingStatus(c, reason, msg, 0))
	}
	return out
}

func runningStatus(c corev1.Container, started time.Time, ready bool, restarts int32) corev1.ContainerStatus {
	t := true
	return corev1.ContainerStatus{Name: c.Name, Image: fullImage(c.Image), ImageID: imageID(c.Image), ContainerID: containerID(c.Name, started),
		Ready: ready, Started: &t, RestartCount: restarts,
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(started.Truncate(time.Second))}}}
}

func terminatedStatus(c corev1.Container, started, ended time.Time, code int32, reason string, restarts int32) corev1.ContainerStatus {
	f := false
	return corev1.ContainerStatus{Name: c.Name, Image: fullImage(c.Image), ImageID: imageID(c.Image), ContainerID: containerID(c.Name, started),
		Started: &f, RestartCount: restarts,
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason,
			StartedAt: metav1.NewTime(started.Truncate(time.Second)), FinishedAt: metav1.NewTime(ended.Truncate(time.Second)),
			ContainerID: containerID(c.Name, started)}}}
}

func fullImage(image string) string {
	if n, err := reference.ParseNormalizedNamed(image); err == nil {
		return reference.TagNameOnly(n).String()
	}
	return image
}

func imageID(image string) string {
	return fmt.Sprintf("%s@sha256:%016x%016x%016x%016x", strings.SplitN(fullImage(image), ":", 2)[0], hash(image), hash(image+"1"), hash(image+"2"), hash(image+"3"))
}

func containerID(name string, started time.Time) string {
	return fmt.Sprintf("containerd://%016x%016x%016x%016x", hash(name), uint64(started.UnixNano()), hash(name+"x"), uint64(started.UnixNano())^hash(name))
}

func setConditions(st *corev1.PodStatus, p *corev1.Pod, initialized, ready, sandbox bool, notReadyReason string) {
	now := metav1.Now()
	set := func(t corev1.PodConditionType, ok bool, reason string) {
		status := corev1.ConditionFalse
		if ok {
			status, reason = corev1.ConditionTrue, ""
		}
		for i := range st.Conditions {
			if st.Conditions[i].Type == t {
				if st.Conditions[i].Status != status {
					st.Conditions[i].Status, st.Conditions[i].LastTransitionTime = status, now
				}
				st.Conditions[i].Reason = reason
				return
			}
		}
		st.Conditions = append(st.Conditions, corev1.PodCondition{Type: t, Status: status, Reason: reason, LastTransitionTime: now})
	}
	set("PodReadyToStartContainers", sandbox || initialized, "")
	initReason := ""
	if !initialized {
		initReason = "ContainersNotInitialized"
	}
	set(corev1.PodInitialized, initialized, initReason)
	reason := notReadyReason
	if reason == "" && !ready {
		reason = "ContainersNotReady"
	}
	set(corev1.ContainersReady, ready, reason)
	set(corev1.PodReady, ready, reason)
}

func qosClass(p *corev1.Pod) corev1.PodQOSClass {
	anyReq, guaranteed := false, true
	for _, c := range p.Spec.Containers {
		if len(c.Resources.Requests) > 0 || len(c.Resources.Limits) > 0 {
			anyReq = true
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			l, okL := c.Resources.Limits[r]
			q, okQ := c.Resources.Requests[r]
			if !okL || (okQ && q.Cmp(l) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !anyReq:
		return corev1.PodQOSBestEffort
	case guaranteed:
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}

// statusEqual compares what the simulator writes, ignoring condition times.
func statusEqual(a, b *corev1.PodStatus) bool {
	if a.Phase != b.Phase || a.PodIP != b.PodIP || a.HostIP != b.HostIP || a.QOSClass != b.QOSClass ||
		len(a.ContainerStatuses) != len(b.ContainerStatuses) || len(a.InitContainerStatuses) != len(b.InitContainerStatuses) ||
		len(a.Conditions) != len(b.Conditions) || (a.StartTime == nil) != (b.StartTime == nil) {
		return false
	}
	for i := range a.Conditions {
		x, y := a.Conditions[i], b.Conditions[i]
		if x.Type != y.Type || x.Status != y.Status || x.Reason != y.Reason {
			return false
		}
	}
	eqCS := func(x, y []corev1.ContainerStatus) bool {
		for i := range x {
			if x[i].Name != y[i].Name || x[i].Ready != y[i].Ready || x[i].RestartCount != y[i].RestartCount ||
				stateKey(x[i].State) != stateKey(y[i].State) {
				return false
			}
		}
		return true
	}
	return eqCS(a.ContainerStatuses, b.ContainerStatuses) && eqCS(a.InitContainerStatuses, b.InitContainerStatuses)
}

func stateKey(s corev1.ContainerState) string {
	switch {
	case s.Running != nil:
		return "running/" + s.Running.StartedAt.String()
	case s.Terminated != nil:
		return fmt.Sprintf("terminated/%d/%s", s.Terminated.ExitCode, s.Terminated.Reason)
	case s.Waiting != nil:
		return "waiting/" + s.Waiting.Reason + "/" + s.Waiting.Message
	}
	return ""
}

var _ = types.UID("")

// imageBlocker reports an image the kubelet cannot use: a malformed
// reference is InvalidImageName; a registry host that cannot exist (an
// upper-case first component such as "Fluent/fluent-bit" is read as a host
// name, as containerd does) fails to pull: ErrImagePull, then
// ImagePullBackOff.
func imageBlocker(image string) *blocker {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil || image == "" {
		return &blocker{waitingReason: "InvalidImageName", eventReason: "InspectFailed",
			message: fmt.Sprintf("Failed to apply default image tag %q: couldn't parse image name %q: %v", image, image, err)}
	}
	host := reference.Domain(named)
	if host != "docker.io" && host != "localhost" && !strings.ContainsAny(host, ".:") {
		ref := reference.TagNameOnly(named).String()
		return &blocker{waitingReason: "ImagePullBackOff", eventReason: "Failed", retry: 10 * time.Second,
			message: fmt.Sprintf("Failed to pull image %q: failed to pull and unpack image %q: failed to resolve reference %q: "+
				"failed to do request: Head \"https://%s/v2/%s/manifests/%s\": dial tcp: lookup %s: no such host",
				image, ref, ref, host, reference.Path(named), tagOf(named), strings.ToLower(host))}
	}
	return nil
}

func tagOf(n reference.Named) string {
	if t, ok := reference.TagNameOnly(n).(reference.Tagged); ok {
		return t.Tag()
	}
	return "latest"
}

func firstBadImage(p *corev1.Pod) string {
	for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
		if imageBlocker(c.Image) != nil {
			return c.Image
		}
	}
	return ""
}
