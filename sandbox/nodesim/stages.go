package nodesim

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// eventData is what stage event templates see.
type eventData struct {
	Pod, Namespace, UID, Container, Image string
	Took, Size, BackOff, Probe, Output    string
	Message, Secrets                      string
}

// ctrRef is the object reference a kubelet gives container events.
func ctrRef(p *corev1.Pod, c *corev1.Container, isInit bool) *corev1.ObjectReference {
	ref := &corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: p.Namespace, Name: p.Name, UID: p.UID,
		ResourceVersion: p.ResourceVersion}
	if c != nil {
		ref.FieldPath = "spec.containers{" + c.Name + "}"
		if isInit {
			ref.FieldPath = "spec.initContainers{" + c.Name + "}"
		}
		for _, e := range p.Spec.EphemeralContainers {
			if e.Name == c.Name {
				ref.FieldPath = "spec.ephemeralContainers{" + c.Name + "}"
			}
		}
	}
	return ref
}

// stageEvent writes the event a stage declares for role. once, if not
// empty, writes it only the first time for this pod.
func (r *podRun) stageEvent(c *corev1.Container, isInit bool, stage, role, once string, d eventData) {
	spec, ok := r.cfg.Behaviour.stage(stage).Events[role]
	if !ok || spec.tmpl == nil {
		return
	}
	if once != "" {
		if r.st.emitted[once] {
			return
		}
		r.st.emitted[once] = true
	}
	d.Pod, d.Namespace, d.UID = r.pod.Name, r.pod.Namespace, string(r.pod.UID)
	if c != nil {
		d.Container = c.Name
		if d.Image == "" {
			d.Image = c.Image
		}
	}
	var b strings.Builder
	if err := spec.tmpl.Execute(&b, d); err != nil {
		return
	}
	r.node.recorder.Event(ctrRef(r.pod, c, isInit), spec.Type, spec.Reason, b.String())
}
