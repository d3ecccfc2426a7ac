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
func (s *Simulator) stageEvent(n *simNode, st *podState, p *corev1.Pod, c *corev1.Container, isInit bool, stage, role, once string, d eventData) {
	spec, ok := s.cfg.Behaviour.stage(stage).Events[role]
	if !ok || spec.tmpl == nil {
		return
	}
	if once != "" {
		if st.emitted[once] {
			return
		}
		st.emitted[once] = true
	}
	d.Pod, d.Namespace, d.UID = p.Name, p.Namespace, string(p.UID)
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
	n.recorder.Event(ctrRef(p, c, isInit), spec.Type, spec.Reason, b.String())
}
