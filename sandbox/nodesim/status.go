package nodesim

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/distribution/reference"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// render writes the pod status a kubelet would report for st.
func (r *podRun) render(now time.Time) *corev1.PodStatus {
	status := r.pod.Status.DeepCopy()
	status.HostIP = r.node.spec.IP
	status.HostIPs = []corev1.HostIP{{IP: r.node.spec.IP}}
	if status.StartTime == nil {
		t := metav1.NewTime(r.st.accepted)
		status.StartTime = &t
	}
	status.QOSClass = qosClass(r.pod)
	if r.st.sandbox && r.st.ip != "" {
		status.PodIP, status.PodIPs = r.st.ip, []corev1.PodIP{{IP: r.st.ip}}
	}
	defaultReason := "ContainerCreating"
	if len(r.pod.Spec.InitContainers) > 0 {
		defaultReason = "PodInitializing"
	}
	status.InitContainerStatuses = nil
	for _, cs := range r.st.inits {
		if c := containerSpec(r.pod, cs); c != nil {
			status.InitContainerStatuses = append(status.InitContainerStatuses, r.containerStatus(r.pod, c, cs, defaultReason))
		}
	}
	status.ContainerStatuses = nil
	for _, cs := range r.st.ctrs {
		if c := containerSpec(r.pod, cs); c != nil {
			status.ContainerStatuses = append(status.ContainerStatuses, r.containerStatus(r.pod, c, cs, defaultReason))
		}
	}
	status.EphemeralContainerStatuses = nil
	for _, cs := range r.st.ephs {
		if c := containerSpec(r.pod, cs); c != nil {
			status.EphemeralContainerStatuses = append(status.EphemeralContainerStatuses, r.containerStatus(r.pod, c, cs, "ContainerCreating"))
		}
	}
	status.Phase = podPhase(r.pod, status, r.st)
	if r.st.killing && !r.st.killDone.IsZero() && !now.Before(r.st.killDone) {
		// All containers have stopped: the pod's final phase.
		status.Phase = corev1.PodSucceeded
		for _, cs := range status.ContainerStatuses {
			if cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 0 {
				status.Phase = corev1.PodFailed
			}
		}
	}
	setConditions(r.pod, status, r.st)
	return status
}

func (s *Simulator) containerStatus(p *corev1.Pod, c *corev1.Container, cs *ctrState, defaultReason string) corev1.ContainerStatus {
	f, t := false, true
	out := corev1.ContainerStatus{Name: c.Name, Image: fullImage(c.Image), Started: &f}
	restarts := cs.instances - 1
	if restarts < 0 {
		restarts = 0
	}
	out.RestartCount = restarts
	if cs.instances > 0 || cs.phase == cRunning {
		out.ImageID = imageID(c.Image)
	}
	if cs.cur != nil {
		out.Image, out.ImageID, out.ContainerID = fullImage(cs.cur.image), imageID(cs.cur.image), cs.cur.id
	}
	waiting := func(reason, msg string) {
		out.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
	}
	switch cs.phase {
	case cNone, cPulling, cCreating:
		if cs.term != nil {
			// Restarting: the last run shows until the new one is created.
			out.State = corev1.ContainerState{Terminated: cs.term}
			if cs.last != nil {
				out.LastTerminationState = corev1.ContainerState{Terminated: cs.last}
			}
			break
		}
		waiting(defaultReason, "")
		out.ContainerID = ""
	case cBlocked, cPullBackOff:
		waiting(cs.reason, cs.message)
		if cs.term != nil {
			out.LastTerminationState = corev1.ContainerState{Terminated: cs.term}
		}
		out.ContainerID = ""
	case cRunning, cStopping:
		out.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(cs.cur.started.Truncate(time.Second))}}
		if cs.started {
			out.Started = &t
		}
		if cs.started && cs.hookUntil.IsZero() && (!cs.isInit || cs.sidecar) {
			out.Ready = cs.ready || c.ReadinessProbe == nil
		}
		if cs.last != nil {
			out.LastTerminationState = corev1.ContainerState{Terminated: cs.last}
		}
	case cExited:
		out.State = corev1.ContainerState{Terminated: cs.term}
		if cs.last != nil {
			out.LastTerminationState = corev1.ContainerState{Terminated: cs.last}
		}
	case cBackOff:
		waiting("CrashLoopBackOff", fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", cs.crash, c.Name, p.Name, p.Namespace, p.UID))
		out.LastTerminationState = corev1.ContainerState{Terminated: cs.term}
		out.ContainerID = ""
	}
	// The kubelet reports CPU and memory only: the API server refuses
	// other resources (extended ones such as example.com/dongle) there.
	if r := cpuAndMemory(c.Resources); r != nil {
		out.Resources = r
	}
	if out.State.Running != nil || out.State.Terminated != nil {
		out.User = &corev1.ContainerUser{Linux: &corev1.LinuxContainerUser{UID: runAsUser(p, c), GID: runAsGroup(p, c)}}
		out.User.Linux.SupplementalGroups = []int64{runAsGroup(p, c)}
		out.User.Linux.SupplementalGroups = append(out.User.Linux.SupplementalGroups, supplementary(p)...)
		for _, vm := range c.VolumeMounts {
			ro := vm.ReadOnly
			m := corev1.VolumeMountStatus{Name: vm.Name, MountPath: vm.MountPath, ReadOnly: ro}
			if ro {
				d := corev1.RecursiveReadOnlyDisabled
				m.RecursiveReadOnly = &d
			}
			out.VolumeMounts = append(out.VolumeMounts, m)
		}
	}
	return out
}

// podPhase is the kubelet's getPhase for the statuses it reports.
func podPhase(p *corev1.Pod, status *corev1.PodStatus, st *podState) corev1.PodPhase {
	if st.failedInit {
		return corev1.PodFailed
	}
	pendingInit := 0
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			continue
		}
		cs := findStatus(status.InitContainerStatuses, c.Name)
		switch {
		case cs == nil, cs.State.Running != nil:
			pendingInit++
		case cs.State.Terminated != nil:
			if cs.State.Terminated.ExitCode != 0 {
				pendingInit++
			}
		default:
			pendingInit++
		}
	}
	running, waiting, stopped, succeeded, unknown := 0, 0, 0, 0, 0
	for _, c := range p.Spec.Containers {
		cs := findStatus(status.ContainerStatuses, c.Name)
		switch {
		case cs == nil:
			unknown++
		case cs.State.Running != nil:
			running++
		case cs.State.Terminated != nil:
			stopped++
			if cs.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		case cs.State.Waiting != nil:
			if cs.LastTerminationState.Terminated != nil {
				stopped++
			} else {
				waiting++
			}
		default:
			unknown++
		}
	}
	switch {
	case pendingInit > 0 || waiting > 0:
		return corev1.PodPending
	case running > 0 && unknown == 0:
		return corev1.PodRunning
	case running == 0 && stopped > 0 && unknown == 0:
		if st.terminal {
			if stopped == succeeded {
				return corev1.PodSucceeded
			}
			return corev1.PodFailed
		}
		if p.Spec.RestartPolicy == corev1.RestartPolicyAlways || p.Spec.RestartPolicy == "" {
			return corev1.PodRunning
		}
		if stopped == succeeded {
			return corev1.PodSucceeded
		}
		if p.Spec.RestartPolicy == corev1.RestartPolicyNever {
			return corev1.PodFailed
		}
		return corev1.PodRunning
	}
	return corev1.PodPending
}

func findStatus(list []corev1.ContainerStatus, name string) *corev1.ContainerStatus {
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

// setConditions writes the pod conditions the kubelet owns.
func setConditions(p *corev1.Pod, status *corev1.PodStatus, st *podState) {
	now := metav1.Now()
	set := func(t corev1.PodConditionType, ok bool, reason, msg string) {
		cs := corev1.ConditionFalse
		if ok {
			cs = corev1.ConditionTrue
		}
		for i := range status.Conditions {
			c := &status.Conditions[i]
			if c.Type == t {
				if c.Status != cs {
					c.Status, c.LastTransitionTime = cs, now
				}
				c.Reason, c.Message = reason, msg
				c.ObservedGeneration = p.Generation
				return
			}
		}
		status.Conditions = append(status.Conditions, corev1.PodCondition{Type: t, Status: cs, Reason: reason, Message: msg,
			LastTransitionTime: now, ObservedGeneration: p.Generation})
	}
	// A kubelet reports PodScheduled itself for a pod that names its node
	// (spec.nodeName), which no scheduler has seen.
	if findCondition(status.Conditions, corev1.PodScheduled) == nil {
		status.Conditions = append(status.Conditions, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue,
			LastTransitionTime: now, ObservedGeneration: p.Generation})
	}
	terminal := status.Phase == corev1.PodSucceeded || status.Phase == corev1.PodFailed
	if st.sandbox && !terminal {
		set(corev1.PodReadyToStartContainers, true, "", "")
	} else {
		set(corev1.PodReadyToStartContainers, false, "PodSandboxNotReady", "")
	}
	// Initialized.
	var incomplete []string
	anyStarted := false
	for _, cs := range status.ContainerStatuses {
		if cs.State.Running != nil || cs.State.Terminated != nil || cs.LastTerminationState.Terminated != nil {
			anyStarted = true
		}
	}
	for _, c := range p.Spec.InitContainers {
		cs := findStatus(status.InitContainerStatuses, c.Name)
		sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		switch {
		case cs == nil:
			incomplete = append(incomplete, c.Name)
		case sidecar:
			if cs.Started == nil || !*cs.Started {
				incomplete = append(incomplete, c.Name)
			}
		case cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 0:
			incomplete = append(incomplete, c.Name)
		}
	}
	switch {
	case status.Phase == corev1.PodSucceeded && len(p.Spec.InitContainers) >= 0:
		set(corev1.PodInitialized, true, "PodCompleted", "")
	case anyStarted || len(incomplete) == 0:
		set(corev1.PodInitialized, true, "", "")
	default:
		set(corev1.PodInitialized, false, "ContainersNotInitialized", fmt.Sprintf("containers with incomplete status: [%s]", strings.Join(incomplete, " ")))
	}
	// ContainersReady and Ready.
	var unready []string
	for _, c := range p.Spec.Containers {
		cs := findStatus(status.ContainerStatuses, c.Name)
		if cs == nil || !cs.Ready {
			unready = append(unready, c.Name)
		}
	}
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			if cs := findStatus(status.InitContainerStatuses, c.Name); cs == nil || !cs.Ready {
				unready = append(unready, c.Name)
			}
		}
	}
	switch {
	case status.Phase == corev1.PodSucceeded:
		set(corev1.ContainersReady, false, "PodCompleted", "")
		set(corev1.PodReady, false, "PodCompleted", "")
	case status.Phase == corev1.PodFailed:
		set(corev1.ContainersReady, false, "PodFailed", "")
		set(corev1.PodReady, false, "PodFailed", "")
	case len(unready) > 0:
		msg := fmt.Sprintf("containers with unready status: [%s]", strings.Join(unready, " "))
		set(corev1.ContainersReady, false, "ContainersNotReady", msg)
		set(corev1.PodReady, false, "ContainersNotReady", msg)
	default:
		set(corev1.ContainersReady, true, "", "")
		var gates []string
		for _, g := range p.Spec.ReadinessGates {
			ok := false
			for _, c := range status.Conditions {
				if c.Type == g.ConditionType && c.Status == corev1.ConditionTrue {
					ok = true
				}
			}
			if !ok {
				gates = append(gates, string(g.ConditionType))
			}
		}
		if len(gates) > 0 {
			set(corev1.PodReady, false, "ReadinessGatesNotReady", fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist.", gates[0]))
		} else {
			set(corev1.PodReady, true, "", "")
		}
	}
}

func qosClass(p *corev1.Pod) corev1.PodQOSClass {
	if p.Status.QOSClass != "" {
		return p.Status.QOSClass // set by the API server, immutable
	}
	anyReq, guaranteed := false, true
	for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
		// Only CPU and memory count: extended resources do not make a pod Burstable.
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if q, ok := c.Resources.Requests[r]; ok && !q.IsZero() {
				anyReq = true
			}
			if q, ok := c.Resources.Limits[r]; ok && !q.IsZero() {
				anyReq = true
			}
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
		if x.Type != y.Type || x.Status != y.Status || x.Reason != y.Reason || x.Message != y.Message {
			return false
		}
	}
	eqCS := func(x, y []corev1.ContainerStatus) bool {
		for i := range x {
			if x[i].Name != y[i].Name || x[i].Ready != y[i].Ready || x[i].RestartCount != y[i].RestartCount ||
				x[i].ContainerID != y[i].ContainerID || x[i].Image != y[i].Image ||
				(x[i].Started == nil) != (y[i].Started == nil) || (x[i].Started != nil && *x[i].Started != *y[i].Started) ||
				stateKey(x[i].State) != stateKey(y[i].State) || stateKey(x[i].LastTerminationState) != stateKey(y[i].LastTerminationState) {
				return false
			}
		}
		return true
	}
	return len(a.EphemeralContainerStatuses) == len(b.EphemeralContainerStatuses) &&
		eqCS(a.ContainerStatuses, b.ContainerStatuses) && eqCS(a.InitContainerStatuses, b.InitContainerStatuses) &&
		eqCS(a.EphemeralContainerStatuses, b.EphemeralContainerStatuses)
}

func stateKey(s corev1.ContainerState) string {
	switch {
	case s.Running != nil:
		return "running/" + s.Running.StartedAt.UTC().String()
	case s.Terminated != nil:
		return fmt.Sprintf("terminated/%d/%s/%s", s.Terminated.ExitCode, s.Terminated.Reason, s.Terminated.FinishedAt.UTC())
	case s.Waiting != nil:
		return "waiting/" + s.Waiting.Reason + "/" + s.Waiting.Message
	}
	return ""
}

// ---- images ----

func fullImage(image string) string {
	if n, err := reference.ParseNormalizedNamed(image); err == nil {
		return reference.TagNameOnly(n).String()
	}
	return image
}

// imageRef is the image as the node's image store keys it.
func imageRef(image string) string { return fullImage(image) }

func imageTag(image string) string {
	n, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return ""
	}
	if _, ok := n.(reference.Digested); ok {
		return "@digest"
	}
	return tagOf(n)
}

func imageID(image string) string {
	name := image
	if n, err := reference.ParseNormalizedNamed(image); err == nil {
		name = n.Name()
		if d, ok := n.(reference.Digested); ok {
			return name + "@" + d.Digest().String()
		}
	}
	return fmt.Sprintf("%s@sha256:%016x%016x%016x%016x", name, hash(image), hash(image+"1"), hash(image+"2"), hash(image+"3"))
}

// imageSize is a plausible, stable size in bytes.
func imageSize(image string) int64 {
	switch imageName(image) {
	case "pause":
		return 320368
	case "busybox":
		return 2155537
	case "alpine":
		return 3653068
	case "nginx":
		return 72195292
	case "redis":
		return 45119224
	case "mysql":
		return 103245678
	}
	return 5_000_000 + int64(hash(image)%150_000_000)
}

func containerID(p *corev1.Pod, name string, started time.Time) string {
	return fmt.Sprintf("containerd://%016x%016x%016x%016x", hash(string(p.UID)+name), uint64(started.UnixNano()), hash(name+"x"), uint64(started.UnixNano())^hash(name))
}

func (n *simNode) hasImage(ref string) bool {
	n.imgMu.Lock()
	defer n.imgMu.Unlock()
	return n.images[ref]
}

func (n *simNode) havePulled(ref string) {
	n.imgMu.Lock()
	defer n.imgMu.Unlock()
	if n.images == nil {
		n.images = map[string]bool{}
	}
	n.images[ref] = true
}

// imagePattern is a name:tag pattern of missingImages.
type imagePattern struct {
	repo, tag *regexp.Regexp
	anyTag    bool
}

func globRe(g string) (*regexp.Regexp, error) {
	return regexp.Compile("^" + strings.ReplaceAll(regexp.QuoteMeta(g), `\*`, ".*") + "$")
}

func parseImagePattern(s string) (imagePattern, error) {
	name, tag, ok := strings.Cut(s, ":")
	if !ok {
		tag = "*"
	}
	r, err := globRe(name)
	if err != nil {
		return imagePattern{}, err
	}
	t, err := globRe(tag)
	if err != nil {
		return imagePattern{}, err
	}
	return imagePattern{repo: r, tag: t, anyTag: tag == "*"}, nil
}

// missingImage returns the registry's error for an image it does not have.
func (b *Behaviour) missingImage(image string) (string, bool) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return "", false
	}
	tagged := reference.TagNameOnly(named)
	ref := tagged.String()
	fam, tag := reference.FamiliarName(named), tagOf(named)
	for _, p := range b.missing {
		if !(p.repo.MatchString(fam) || p.repo.MatchString(named.Name())) || !p.tag.MatchString(tag) {
			continue
		}
		if p.anyTag {
			return fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: pull access denied, "+
				"repository does not exist or may require authorization: server message: insufficient_scope: authorization failed", ref, ref), true
		}
		return fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: %s: not found", ref, ref, ref), true
	}
	return "", false
}

// cpuAndMemory is the part of a container's resources its status reports.
func cpuAndMemory(r corev1.ResourceRequirements) *corev1.ResourceRequirements {
	keep := func(l corev1.ResourceList) corev1.ResourceList {
		var out corev1.ResourceList
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if q, ok := l[name]; ok {
				if out == nil {
					out = corev1.ResourceList{}
				}
				out[name] = q.DeepCopy()
			}
		}
		return out
	}
	out := &corev1.ResourceRequirements{Requests: keep(r.Requests), Limits: keep(r.Limits)}
	if out.Requests == nil && out.Limits == nil {
		return nil
	}
	return out
}

// findCondition returns the condition of type t, or nil.
func findCondition(conds []corev1.PodCondition, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}
