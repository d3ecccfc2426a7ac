package nodesim

import (
	"path"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
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

// volEvent is one change to a volume, at wall time at.
type volEvent struct {
	at  time.Time
	vol string
	rel string // path inside the volume ("" is its root)
	op  shOp
}

// volMount is where a container mounts one of the pod's writable volumes.
type volMount struct {
	path    string // clean mount path
	vol     string
	subPath string
}

// volView is what one process sees of its pod's writable volumes: the
// timeline of the other runs' writes (a snapshot taken when the process
// starts, or when someone looks) and where its container mounts them.
type volView struct {
	mounts  []volMount
	events  []volEvent
	fsGroup *int64
}

// writableVolume reports volumes whose files the containers write.
func writableVolume(v *corev1.Volume) bool {
	return v.EmptyDir != nil || v.PersistentVolumeClaim != nil || v.Ephemeral != nil
}

// volMounts are the mounts of c on the pod's writable volumes.
func volMounts(p *corev1.Pod, c *corev1.Container) []volMount {
	writable := map[string]bool{}
	for i := range p.Spec.Volumes {
		if writableVolume(&p.Spec.Volumes[i]) {
			writable[p.Spec.Volumes[i].Name] = true
		}
	}
	var out []volMount
	for _, vm := range c.VolumeMounts {
		if writable[vm.Name] {
			out = append(out, volMount{path: path.Clean(vm.MountPath), vol: vm.Name, subPath: vm.SubPath})
		}
	}
	return out
}

// locate finds the mount holding p (the deepest) and the path inside the volume.
func locate(mounts []volMount, p string) (*volMount, string, bool) {
	var best *volMount
	for i := range mounts {
		m := &mounts[i]
		if p == m.path || strings.HasPrefix(p, strings.TrimSuffix(m.path, "/")+"/") {
			if best == nil || len(m.path) > len(best.path) {
				best = m
			}
		}
	}
	if best == nil {
		return nil, "", false
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(p, best.path), "/")
	if best.subPath != "" {
		rel = strings.TrimPrefix(path.Join(best.subPath, rel), "./")
		if rel == "." {
			rel = ""
		}
	}
	return best, rel, true
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
		add := func(ops []shOp, base time.Time) {
			for _, op := range ops {
				at := base.Add(op.at)
				if !r.in.finished.IsZero() && at.After(r.in.finished) {
					continue
				}
				if m, rel, ok := locate(mounts, op.path); ok {
					v.events = append(v.events, volEvent{at: at, vol: m.vol, rel: rel, op: op})
				}
			}
		}
		if r.in.plan != nil {
			add(r.in.plan.ops, r.in.started)
		}
		add(r.in.hookOps, r.in.started.Add(r.in.hookAt))
		add(r.in.execOps, r.in.started)
	}
	sort.SliceStable(v.events, func(i, j int) bool { return v.events[i].at.Before(v.events[j].at) })
	return v
}

// volFile is a file or directory of a volume at some time.
type volFile struct {
	data     string
	dir      bool
	uid, gid int64
}

// state replays the events of volume vol until now (with the process's own
// events, all of which have happened) into the files and directories it holds.
func (v *volView) state(vol string, now time.Time, own []volEvent) map[string]*volFile {
	files := map[string]*volFile{}
	apply := func(e volEvent) {
		if e.vol != vol {
			return
		}
		op := e.op
		switch {
		case op.remove:
			for k := range files {
				if k == e.rel || e.rel == "" || strings.HasPrefix(k, e.rel+"/") {
					delete(files, k)
				}
			}
		case op.dir:
			files[e.rel] = &volFile{dir: true, uid: op.uid, gid: op.gid}
		case op.appendTo:
			if f := files[e.rel]; f != nil && !f.dir {
				f.data = tail(f.data + op.data)
			} else {
				files[e.rel] = &volFile{data: op.data, uid: op.uid, gid: op.gid}
			}
		default:
			if f := files[e.rel]; f != nil && !f.dir {
				// Writing an existing file keeps its owner.
				f.data = op.data
			} else {
				files[e.rel] = &volFile{data: op.data, uid: op.uid, gid: op.gid}
			}
		}
	}
	i, j := 0, 0
	for i < len(v.events) || j < len(own) {
		if i < len(v.events) && v.events[i].at.After(now) {
			i = len(v.events)
			continue
		}
		if j >= len(own) || (i < len(v.events) && !own[j].at.Before(v.events[i].at)) {
			apply(v.events[i])
			i++
			continue
		}
		apply(own[j])
		j++
	}
	return files
}

// changes are the events on volume vol after `after` and until `until`.
func (v *volView) changes(vol string, after, until time.Time) []volEvent {
	var out []volEvent
	for _, e := range v.events {
		if e.vol == vol && e.at.After(after) && !e.at.After(until) {
			out = append(out, e)
		}
	}
	return out
}

// groupOf is the group a file created by a process of group gid belongs
// to: the pod's fsGroup when it has one (the volume's directory is setgid).
func (v *volView) groupOf(gid int64) int64 {
	if v.fsGroup != nil {
		return *v.fsGroup
	}
	return gid
}
