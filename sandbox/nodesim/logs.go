package nodesim

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubelab/kubelab/sandbox/nodesim/internal/shell"
)

// What kubectl logs shows for a simulated container: the output of its
// command (replayed on the virtual clock), or a server's start-up lines
// and access-log lines for HTTP probes and Service traffic.

const maxLogLines = 5000

// logView is what the log handler needs of one container run, copied out
// of the pod state under its lock.
type logView struct {
	pod     *corev1.Pod
	c       *corev1.Container
	in      instance
	plan    procPlan
	ip      string
	hostIP  string
	vol     *volView  // the pod's shared volumes, without this run's writes
	end     time.Time // when it ended (zero: running)
	running bool
}

// logLines returns the lines of a run from its start until `until`.
func (s *Simulator) logLines(v *logView, until time.Time) []shell.Line {
	if !v.end.IsZero() && until.After(v.end) {
		until = v.end
	}
	horizon := until.Sub(v.in.started)
	if horizon < 0 {
		return nil
	}
	var lines []shell.Line
	server := v.plan.server
	serverFrom := time.Duration(0)
	switch {
	case v.plan.oneShot != nil:
		for _, l := range v.plan.oneShot {
			lines = append(lines, shell.Line{At: 0, Text: l})
		}
	case v.plan.interactive:
	case len(v.plan.argv) > 0:
		env := *v.in.env
		if v.vol != nil {
			env.Volumes = v.vol
		}
		res := shell.Run(v.plan.argv, &env, horizon)
		lines = res.Lines
		if res.Server != "" {
			server, serverFrom = res.Server, res.ServerAt
		}
	}
	if server != "" {
		lines = append(lines, s.serverLines(v, server, serverFrom, horizon)...)
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].At < lines[j].At })
	return lines
}

// serverLines are a server's start-up lines and its access log.
func (s *Simulator) serverLines(v *logView, server string, from, horizon time.Duration) []shell.Line {
	procs := &s.cfg.Behaviour.Processes
	key := server
	if _, ok := procs.serverLogTmpls[key]; !ok {
		switch {
		case strings.HasPrefix(server, "nginx"):
			key = "nginx"
		case strings.HasPrefix(server, "redis"):
			key = "redis"
		case strings.HasPrefix(server, "mysql"), strings.HasPrefix(server, "maria"):
			key = "mysql"
		case server == "apache2":
			key = "httpd"
		}
	}
	if l := catalog.logsFor(v.c.Image); l != "" && strings.HasPrefix(l, strings.TrimSuffix(key, "-old")) {
		// The image's own version of the server's logs.
		key = l
	}
	version := catalog.version(v.c.Image)
	var out []shell.Line
	start := v.in.started.Add(from)
	if tmpls, ok := procs.serverLogTmpls[key]; ok {
		for i, t := range tmpls {
			var b strings.Builder
			at := time.Duration(i) * 3 * time.Millisecond
			_ = t.Execute(&b, struct {
				T  time.Time
				IP string
				V  string
			}{start.Add(at).UTC(), v.ip, version})
			out = append(out, shell.Line{At: from + at, Text: b.String()})
		}
	} else {
		out = append(out, shell.Line{At: from, Text: fmt.Sprintf("%s: started (kubelab: a simulated container; its program's own output is not known)", server)})
	}
	if !contains(procs.WebServers, key) && !contains(procs.WebServers, server) {
		return out
	}
	// One access line per HTTP probe run...
	access := func(at time.Duration, client, req, agent string) shell.Line {
		t := v.in.started.Add(at).UTC().Format("02/Jan/2006:15:04:05 -0700")
		return shell.Line{At: at, Text: fmt.Sprintf("%s - - [%s] \"%s HTTP/1.1\" 200 615 \"-\" \"%s\" \"-\"", client, t, req, agent)}
	}
	var acc []shell.Line
	for _, pr := range []*corev1.Probe{v.c.ReadinessProbe, v.c.LivenessProbe, v.c.StartupProbe} {
		if pr == nil || pr.HTTPGet == nil {
			continue
		}
		period, initial, _, _ := probeDefaults(pr)
		first := firstTick(v.in.started, period, initial).Sub(v.in.started)
		path := pr.HTTPGet.Path
		if path == "" {
			path = "/"
		}
		for at, k := first, 0; at <= horizon && k < maxLogLines; at, k = at+period, k+1 {
			acc = append(acc, access(at, v.hostIP, "GET "+path, "kube-probe/1.37"))
		}
	}
	// ...and Service traffic when a Service sends it some.
	if every := procs.AccessEvery.Duration; every > 0 && s.selectedByService(v.pod) {
		n := int(horizon / every)
		k0 := 0
		if n > maxLogLines {
			k0 = n - maxLogLines
		}
		paths := []string{"/", "/", "/index.html", "/", "/favicon.ico", "/"}
		for k := k0 + 1; k <= n; k++ {
			at := time.Duration(k) * every
			client := fmt.Sprintf("192.168.%d.%d", 40+int(hash(v.pod.Name+strconv.Itoa(k))%40), 2+int(hash(strconv.Itoa(k))%250))
			acc = append(acc, access(at, client, "GET "+paths[k%len(paths)], "curl/8.5.0"))
		}
	}
	sort.SliceStable(acc, func(i, j int) bool { return acc[i].At < acc[j].At })
	if len(acc) > maxLogLines {
		acc = acc[len(acc)-maxLogLines:]
	}
	return append(out, acc...)
}

func (s *Simulator) selectedByService(p *corev1.Pod) bool {
	if s.services == nil {
		return false
	}
	svcs, _ := s.services.Services(p.Namespace).List(everything)
	for _, svc := range svcs {
		if len(svc.Spec.Selector) > 0 && labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(p.Labels)) {
			return true
		}
	}
	return false
}

// logTarget finds the run whose logs are asked for, or the kubelet's error.
func (s *Simulator) logTarget(ns, name, cname string, previous bool) (*logView, int, string) {
	pod, err := s.pods.Pods(ns).Get(name)
	if err != nil {
		return nil, http.StatusNotFound, fmt.Sprintf("pod %q not found", name)
	}
	return s.logTargetPod(pod, cname, previous)
}

func (s *Simulator) logTargetPod(pod *corev1.Pod, cname string, previous bool) (*logView, int, string) {
	name := pod.Name
	if n := s.nodes[pod.Spec.NodeName]; n != nil && s.isNotReady(n) {
		return nil, http.StatusServiceUnavailable, fmt.Sprintf(stoppedMessage, n.spec.Name)
	}
	var c *corev1.Container
	isInit := false
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == cname {
			c = &pod.Spec.Containers[i]
		}
	}
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == cname {
			c, isInit = &pod.Spec.InitContainers[i], true
		}
	}
	isEph := false
	for i := range pod.Spec.EphemeralContainers {
		if pod.Spec.EphemeralContainers[i].Name == cname {
			ec := corev1.Container(pod.Spec.EphemeralContainers[i].EphemeralContainerCommon)
			c, isEph = &ec, true
		}
	}
	if c == nil {
		return nil, http.StatusBadRequest, fmt.Sprintf("container %s is not valid for pod %s", cname, name)
	}
	st := s.lookupState(string(pod.UID))
	if st == nil {
		return nil, http.StatusBadRequest, fmt.Sprintf("container %q in pod %q is waiting to start: ContainerCreating", cname, name)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	var cs *ctrState
	for _, x := range st.all() {
		if x.name == cname && x.isInit == isInit && x.isEph == isEph {
			cs = x
		}
	}
	if cs == nil {
		return nil, http.StatusBadRequest, fmt.Sprintf("container %q in pod %q is waiting to start: ContainerCreating", cname, name)
	}
	in := cs.cur
	switch cs.phase {
	case cRunning, cStopping, cExited:
		if previous {
			in = cs.prev
		}
	default:
		// Waiting: the kubelet shows the last terminated run, for both.
		if cs.term == nil {
			in = nil
		}
	}
	if previous && in == nil {
		return nil, http.StatusBadRequest, fmt.Sprintf("previous terminated container %q in pod %q not found", cname, name)
	}
	if in == nil {
		reason := "ContainerCreating"
		if cs.reason != "" {
			reason = cs.reason
		} else if len(pod.Spec.InitContainers) > 0 {
			reason = "PodInitializing"
		}
		return nil, http.StatusBadRequest, fmt.Sprintf("container %q in pod %q is waiting to start: %s", cname, name, reason)
	}
	n := s.nodes[pod.Spec.NodeName]
	v := &logView{pod: pod, c: c, in: *in, plan: *in.plan, ip: st.ip, end: in.finished, running: in.finished.IsZero(),
		vol: st.volView(pod, c, in)}
	if n != nil {
		v.hostIP = n.spec.IP
	}
	return v, 0, ""
}

func (s *Simulator) serveLogs(w http.ResponseWriter, r *http.Request) {
	ns, name, cname := r.PathValue("ns"), r.PathValue("pod"), r.PathValue("container")
	q := r.URL.Query()
	v, code, msg := s.logTarget(ns, name, cname, q.Get("previous") == "true")
	if v == nil {
		writeStatus(w, code, msg)
		return
	}
	ts := q.Get("timestamps") == "true"
	var since time.Time
	if sec, err := strconv.ParseInt(q.Get("sinceSeconds"), 10, 64); err == nil && sec > 0 {
		since = s.now().Add(-time.Duration(sec) * time.Second)
	}
	if t, err := time.Parse(time.RFC3339, q.Get("sinceTime")); err == nil {
		since = t
	}
	limit := int64(-1)
	if l, err := strconv.ParseInt(q.Get("limitBytes"), 10, 64); err == nil && l > 0 {
		limit = l
	}
	w.Header().Set("Content-Type", "text/plain")
	written := int64(0)
	write := func(l shell.Line) bool {
		at := v.in.started.Add(l.At)
		if !since.IsZero() && at.Before(since) {
			return true
		}
		line := l.Text + "\n"
		if ts {
			line = at.UTC().Format(time.RFC3339Nano) + " " + line
		}
		if limit >= 0 && written+int64(len(line)) > limit {
			line = line[:limit-written]
		}
		n, err := io.WriteString(w, line)
		written += int64(n)
		return err == nil && (limit < 0 || written < limit)
	}
	now := s.now()
	lines := s.logLines(v, now)
	if tail, err := strconv.Atoi(q.Get("tailLines")); err == nil && tail >= 0 && tail < len(lines) {
		lines = lines[len(lines)-tail:]
	}
	for _, l := range lines {
		if !write(l) {
			return
		}
	}
	if q.Get("follow") != "true" || !v.running {
		return
	}
	// Follow: write the lines as their time comes, until the run ends or
	// the client goes away.
	flusher, _ := w.(http.Flusher)
	sent := now
	for {
		if flusher != nil {
			flusher.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(time.Second):
		}
		cur, _, _ := s.logTarget(ns, name, cname, false)
		if cur == nil || cur.in.id != v.in.id {
			return
		}
		now := s.now()
		for _, l := range s.logLines(cur, now) {
			at := cur.in.started.Add(l.At)
			if at.After(sent) && !at.After(now) {
				if !write(l) {
					return
				}
			}
		}
		sent = now
		if !cur.running {
			return
		}
	}
}
