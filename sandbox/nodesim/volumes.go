package nodesim

import (
	"path"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubelab/kubelab/sandbox/nodesim/internal/shell"
)

// A pod's writable volumes (emptyDir, persistentVolumeClaim, ephemeral) are
// one file system per volume per pod, shared by all its containers: every
// run of every container (init containers, sidecars, restarts, kubectl exec)
// adds its writes to the pod's timeline, at the wall time they happen, and a
// process reads a volume as the timeline says it is at its own virtual time.
// So what one container writes is there for the others from the moment it
// is written, and an emptyDir keeps its files across container restarts.

// volRun is one run of a container whose writes reach the pod's volumes.
type volRun struct {
	c  *corev1.Container
	in *instance
}

// volView is what one process sees of its pod's writable volumes: the
// timeline of the other runs' writes (a snapshot taken when the process
// starts, or when someone looks) and where its container mounts them.
type volView struct {
	mounts  []shell.Mount
	events  []shell.Event
	fsGroup *int64
}

// writableVolume reports volumes whose files the containers write.
func writableVolume(v *corev1.Volume) bool {
	return v.EmptyDir != nil || v.PersistentVolumeClaim != nil || v.Ephemeral != nil
}

// volMounts are the mounts of c on the pod's writable volumes.
func volMounts(p *corev1.Pod, c *corev1.Container) []shell.Mount {
	writable := map[string]bool{}
	for i := range p.Spec.Volumes {
		if writableVolume(&p.Spec.Volumes[i]) {
			writable[p.Spec.Volumes[i].Name] = true
		}
	}
	var out []shell.Mount
	for _, vm := range c.VolumeMounts {
		if writable[vm.Name] {
			out = append(out, shell.Mount{Path: path.Clean(vm.MountPath), Volume: vm.Name, SubPath: vm.SubPath})
		}
	}
	return out
}

// locate finds the mount holding p (the deepest) and the path inside the volume.
func locate(mounts []shell.Mount, p string) (shell.Mount, string, bool) {
	var best *shell.Mount
	for i := range mounts {
		m := &mounts[i]
		if p == m.Path || strings.HasPrefix(p, strings.TrimSuffix(m.Path, "/")+"/") {
			if best == nil || len(m.Path) > len(best.Path) {
				best = m
			}
		}
	}
	if best == nil {
		return shell.Mount{}, "", false
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(p, best.Path), "/")
	if best.SubPath != "" {
		rel = strings.TrimPrefix(path.Join(best.SubPath, rel), "./")
		if rel == "." {
			rel = ""
		}
	}
	return *best, rel, true
}

// record adds a run to the pod's timeline (under st.mu).
func (st *podState) record(c *corev1.Container, in *instance) {
	st.runs = append(st.runs, volRun{c: c, in: in})
}

// volView snapshots the pod's timeline for a process of container c; the
// writes of run self are left out (its process makes them again).
func (st *podState) volView(p *corev1.Pod, c *corev1.Container, self *instance) *volView {
	v := &volView{mounts: volMounts(p, c)}
	if p.Spec.SecurityContext != nil {
		v.fsGroup = p.Spec.SecurityContext.FSGroup
	}
	if len(v.mounts) == 0 {
		return v
	}
	for _, r := range st.runs {
		if r.in == self {
			continue
		}
		mounts := volMounts(p, r.c)
		if len(mounts) == 0 {
			continue
		}
		add := func(ops []shell.Op, base time.Time) {
			for _, op := range ops {
				at := base.Add(op.At)
				if !r.in.finished.IsZero() && at.After(r.in.finished) {
					continue
				}
				if m, rel, ok := locate(mounts, op.Path); ok {
					v.events = append(v.events, shell.Event{At: at, Volume: m.Volume, Rel: rel, Op: op})
				}
			}
		}
		if r.in.plan != nil {
			add(r.in.plan.ops, r.in.started)
		}
		add(r.in.hookOps, r.in.started.Add(r.in.hookAt))
		add(r.in.execOps, r.in.started)
	}
	sort.SliceStable(v.events, func(i, j int) bool { return v.events[i].At.Before(v.events[j].At) })
	return v
}

// volumes is v as the shell sees it (nil: no shared volumes).
func (v *volView) volumes() shell.Volumes {
	if v == nil {
		return nil
	}
	return v
}

// Locate finds the mount holding the absolute path p and the path inside
// its volume.
func (v *volView) Locate(p string) (shell.Mount, string, bool) { return locate(v.mounts, p) }

// Mounts are where the process's container mounts the pod's writable volumes.
func (v *volView) Mounts() []shell.Mount { return v.mounts }

// FSGroup is the pod's fsGroup, if it has one.
func (v *volView) FSGroup() *int64 { return v.fsGroup }

// State replays the events of volume vol until now (with the process's own
// events, all of which have happened) into the files and directories it holds.
func (v *volView) State(vol string, now time.Time, own []shell.Event) map[string]*shell.File {
	files := map[string]*shell.File{}
	apply := func(e shell.Event) {
		if e.Volume != vol {
			return
		}
		op := e.Op
		switch {
		case op.Remove:
			for k := range files {
				if k == e.Rel || e.Rel == "" || strings.HasPrefix(k, e.Rel+"/") {
					delete(files, k)
				}
			}
		case op.Dir:
			files[e.Rel] = &shell.File{Dir: true, UID: op.UID, GID: op.GID}
		case op.Append:
			if f := files[e.Rel]; f != nil && !f.Dir {
				f.Data = shell.Truncate(f.Data + op.Data)
			} else {
				files[e.Rel] = &shell.File{Data: op.Data, UID: op.UID, GID: op.GID}
			}
		default:
			if f := files[e.Rel]; f != nil && !f.Dir {
				// Writing an existing file keeps its owner.
				f.Data = op.Data
			} else {
				files[e.Rel] = &shell.File{Data: op.Data, UID: op.UID, GID: op.GID}
			}
		}
	}
	i, j := 0, 0
	for i < len(v.events) || j < len(own) {
		if i < len(v.events) && v.events[i].At.After(now) {
			i = len(v.events)
			continue
		}
		if j >= len(own) || (i < len(v.events) && !own[j].At.Before(v.events[i].At)) {
			apply(v.events[i])
			i++
			continue
		}
		apply(own[j])
		j++
	}
	return files
}

// Changes are the events on volume vol after `after` and until `until`.
func (v *volView) Changes(vol string, after, until time.Time) []shell.Event {
	var out []shell.Event
	for _, e := range v.events {
		if e.Volume == vol && e.At.After(after) && !e.At.After(until) {
			out = append(out, e)
		}
	}
	return out
}

// GroupOf is the group a file created by a process of group gid belongs
// to: the pod's fsGroup when it has one (the volume's directory is setgid).
func (v *volView) GroupOf(gid int64) int64 {
	if v.fsGroup != nil {
		return *v.fsGroup
	}
	return gid
}
