package nodesim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/util/httpstream/spdy"
	remotecommandconsts "k8s.io/apimachinery/pkg/util/remotecommand"
	"k8s.io/client-go/tools/cache"

	"github.com/kubelab/kubelab/sandbox/nodesim/internal/shell"
)

// kubectl exec on a simulated node: the kubelet side of the remote command
// protocol (SPDY, v1 to v4, as the API server proxies it or translates
// kubectl's WebSocket v5 into it). The commands run in the simulated shell
// against the container's files, restricted to read-only ones.

// SimulatedExecMessage is what exec says of a command it cannot run.
const SimulatedExecMessage = shell.ExecMessage

// stoppedMessage is what a node whose kubelet was stopped answers.
const stoppedMessage = "kubelab: the kubelet of node %s is stopped (annotation sim.kubelab.dev/kubelet=stopped): it does not answer"

// execTarget is a running container's current run, copied under the lock.
type execTarget struct {
	pod *corev1.Pod
	c   *corev1.Container
	in  instance
	vol *volView // the pod's shared volumes now
	cwd string   // the working directory of an interactive shell
}

// recordExec keeps what an exec'd command wrote at `at`: in the container's
// current run, and so in the pod's shared volumes.
func (s *Simulator) recordExec(t *execTarget, ops []shell.Op, at time.Time) {
	if len(ops) == 0 {
		return
	}
	st := s.lookupState(string(t.pod.UID))
	if st == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	off := at.Sub(t.in.started)
	for _, cs := range st.all() {
		if cs.name != t.c.Name || cs.cur == nil || cs.cur.id != t.in.id {
			continue
		}
		for _, op := range ops {
			op.At += off
			cs.cur.execOps = append(cs.cur.execOps, op)
		}
		t.in.execOps = cs.cur.execOps
	}
	t.vol = st.volView(t.pod, t.c, nil)
	// What the exec wrote may change what a probe sees: the pod's next
	// transitions are worked out again.
	if key, err := cache.MetaNamespaceKeyFunc(t.pod); err == nil {
		s.queue.Add(key)
	}
}

func (s *Simulator) execTarget(pod *corev1.Pod, cname string) (*execTarget, string) {
	st := s.lookupState(string(pod.UID))
	if st == nil {
		return nil, fmt.Sprintf("container not found (%q)", cname)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, cs := range st.all() {
		if cs.name != cname || cs.cur == nil || (cs.phase != cRunning && cs.phase != cStopping) {
			continue
		}
		c := containerSpec(pod, cs)
		if c == nil {
			break
		}
		return &execTarget{pod: pod, c: c, in: *cs.cur, vol: st.volView(pod, c, nil)}, ""
	}
	return nil, fmt.Sprintf("container not found (%q)", cname)
}

// execEnv is the environment an exec'd command sees now.
func (s *Simulator) execEnv(t *execTarget) *shell.Env {
	env := t.in.envAt(s.now().Sub(t.in.started), t.vol)
	env.Restricted = true
	env.MainStops = t.in.plan != nil && t.in.plan.sigterm && !t.in.plan.interactive && (!t.in.plan.ends || t.in.plan.server != "")
	env.Start = s.now()
	env.Servers = nil
	env.EndsUnknown = true
	for _, vm := range t.c.VolumeMounts {
		if env.Hint == "" || strings.Contains(vm.MountPath, "config") || strings.Contains(vm.MountPath, "secret") {
			env.Hint = vm.MountPath
		}
	}
	if env.Hint == "" {
		env.Hint = "/var/run/secrets/kubernetes.io/serviceaccount"
	}
	return env
}

// runExec runs one command line and returns its stdout, stderr and exit code.
func (s *Simulator) runExec(t *execTarget, argv []string) (string, string, int) {
	env := s.execEnv(t)
	if t.cwd != "" {
		env.Cwd = t.cwd
	}
	now := s.now()
	res := shell.Run(argv, env, 5*time.Second)
	if res.Pwd != "" {
		t.cwd = res.Pwd
	}
	s.recordExec(t, res.Ops, now)
	if res.StopMain {
		// kill 1: the container's first process exits.
		s.endRun(t, 0)
	}
	var out, errOut strings.Builder
	for _, l := range res.Lines {
		if l.Fd == 2 {
			errOut.WriteString(l.Text + "\n")
		} else {
			out.WriteString(l.Text + "\n")
		}
	}
	code := res.Code
	if !res.Ended {
		code = 0
	}
	return out.String(), errOut.String(), code
}

func (s *Simulator) serveExec(w http.ResponseWriter, r *http.Request) { s.serveStream(w, r, false) }

// serveAttach attaches to a container's process: an interactive shell
// (kubectl run -it ... -- sh) answers; other processes only have output.
func (s *Simulator) serveAttach(w http.ResponseWriter, r *http.Request) { s.serveStream(w, r, true) }

// reachablePod returns the pod a stream (exec, attach, port-forward) is
// for, or answers as a kubelet does when it is missing or its node's
// kubelet is stopped.
func (s *Simulator) reachablePod(w http.ResponseWriter, ns, name string) (*corev1.Pod, bool) {
	pod, err := s.pods.Pods(ns).Get(name)
	if err != nil {
		writeStatus(w, http.StatusNotFound, fmt.Sprintf("pod %q not found", name))
		return nil, false
	}
	if n := s.nodes[pod.Spec.NodeName]; n != nil && s.isNotReady(n) {
		writeStatus(w, http.StatusServiceUnavailable, fmt.Sprintf(stoppedMessage, n.spec.Name))
		return nil, false
	}
	return pod, true
}

func (s *Simulator) serveStream(w http.ResponseWriter, r *http.Request, attach bool) {
	ns, name, cname := r.PathValue("ns"), r.PathValue("pod"), r.PathValue("container")
	pod, ok := s.reachablePod(w, ns, name)
	if !ok {
		return
	}
	target, msg := s.execTarget(pod, cname)
	if target == nil {
		http.Error(w, msg, http.StatusNotFound)
		return
	}
	q := r.URL.Query()
	flag := func(names ...string) bool {
		for _, n := range names {
			if v := q.Get(n); v == "1" || v == "true" {
				return true
			}
		}
		return false
	}
	argv := q["command"]
	opts := execOptions{stdin: flag(corev1.ExecStdinParam, "stdin"), stdout: flag(corev1.ExecStdoutParam, "stdout"),
		stderr: flag(corev1.ExecStderrParam, "stderr"), tty: flag(corev1.ExecTTYParam)}
	if opts.tty {
		opts.stderr = false
	}
	if !httpstream.IsUpgradeRequest(r) {
		http.Error(w, "kubelab: exec needs an upgraded (SPDY) connection", http.StatusBadRequest)
		return
	}
	protocol, err := httpstream.Handshake(r, w, []string{remotecommandconsts.StreamProtocolV4Name,
		remotecommandconsts.StreamProtocolV3Name, remotecommandconsts.StreamProtocolV2Name, remotecommandconsts.StreamProtocolV1Name})
	if err != nil {
		return
	}
	streams := make(chan httpstream.Stream, 8)
	conn := spdy.NewResponseUpgrader().UpgradeResponse(w, r, func(st httpstream.Stream, replySent <-chan struct{}) error {
		streams <- st
		return nil
	})
	if conn == nil {
		return
	}
	defer conn.Close()
	conn.SetIdleTimeout(10 * time.Minute)
	want := 1
	for _, b := range []bool{opts.stdin, opts.stdout, opts.stderr} {
		if b {
			want++
		}
	}
	if opts.tty && protocol != remotecommandconsts.StreamProtocolV1Name && protocol != remotecommandconsts.StreamProtocolV2Name {
		want++ // resize
	}
	var sx execStreams
	timeout := time.After(remotecommandconsts.DefaultStreamCreationTimeout)
	for got := 0; got < want; {
		select {
		case st := <-streams:
			got++
			switch st.Headers().Get(corev1.StreamType) {
			case corev1.StreamTypeError:
				sx.errc = st
			case corev1.StreamTypeStdin:
				sx.stdin = st
			case corev1.StreamTypeStdout:
				sx.stdout = st
			case corev1.StreamTypeStderr:
				sx.stderr = st
			case corev1.StreamTypeResize:
				go func() { _, _ = io.Copy(io.Discard, st) }()
			}
		case <-timeout:
			return
		case <-r.Context().Done():
			return
		}
	}
	var code int
	if attach {
		code = s.attachSession(target, opts, &sx)
	} else {
		code = s.session(target, argv, opts, &sx)
	}
	if sx.stdout != nil {
		_ = sx.stdout.Close()
	}
	if sx.stderr != nil {
		_ = sx.stderr.Close()
	}
	if sx.errc != nil {
		writeExitStatus(sx.errc, protocol, argv, code)
		_ = sx.errc.Close()
	}
}

type execOptions struct{ stdin, stdout, stderr, tty bool }

type execStreams struct {
	stdin  io.ReadCloser
	stdout io.WriteCloser
	stderr io.WriteCloser
	errc   io.WriteCloser
}

func writeExitStatus(w io.Writer, protocol string, argv []string, code int) {
	if protocol != remotecommandconsts.StreamProtocolV4Name {
		if code != 0 {
			_, _ = fmt.Fprintf(w, "command terminated with non-zero exit code: error executing command %v, exit code %d", argv, code)
		}
		return
	}
	st := metav1.Status{Status: metav1.StatusSuccess}
	if code != 0 {
		st = metav1.Status{Status: metav1.StatusFailure, Reason: remotecommandconsts.NonZeroExitCodeReason,
			Message: fmt.Sprintf("command terminated with non-zero exit code: error executing command %v, exit code %d", argv, code),
			Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: remotecommandconsts.ExitCodeCauseType, Message: strconv.Itoa(code)}}}}
	}
	_ = json.NewEncoder(w).Encode(st)
}

// session runs the command: a one-off, or an interactive shell when a
// shell is started without a script and with stdin.
func (s *Simulator) session(t *execTarget, argv []string, o execOptions, sx *execStreams) int {
	stdout := io.Writer(io.Discard)
	if sx.stdout != nil {
		stdout = sx.stdout
	}
	stderr := stdout
	if sx.stderr != nil {
		stderr = sx.stderr
	}
	if len(argv) > 0 && shell.IsShell(baseName(argv[0])) && len(argv) == 1 && sx.stdin != nil {
		return s.interactive(t, baseName(argv[0]), o.tty, sx.stdin, stdout)
	}
	out, errOut, code := s.runExec(t, argv)
	if o.tty {
		out, errOut = crlf(out), crlf(errOut)
	}
	_, _ = io.WriteString(stdout, out)
	_, _ = io.WriteString(stderr, errOut)
	return code
}

func (s *Simulator) attachSession(t *execTarget, o execOptions, sx *execStreams) int {
	stdout := io.Writer(io.Discard)
	if sx.stdout != nil {
		stdout = sx.stdout
	}
	if t.in.plan.interactive && sx.stdin != nil {
		code, exited := s.interactiveShell(t, baseName(t.in.plan.argv[0]), o.tty, sx.stdin, stdout)
		if exited {
			// The container's shell itself was told to exit: the container ends.
			s.endRun(t, int32(code))
		}
		return code
	}
	msg := "kubelab: this node is simulated: its containers have no live process to attach to; use kubectl logs -f to follow their output.\n"
	if o.tty {
		msg = crlf(msg)
	}
	_, _ = io.WriteString(stdout, msg)
	return 0
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// interactive is a small read-only shell. With a terminal it echoes what is
// typed (the client's terminal is in raw mode) and handles backspace,
// Ctrl-C and Ctrl-D.
func (s *Simulator) interactive(t *execTarget, shellName string, tty bool, in io.Reader, out io.Writer) int {
	code, _ := s.interactiveShell(t, shellName, tty, in, out)
	return code
}

// endRun makes the container's current run end with code.
func (s *Simulator) endRun(t *execTarget, code int32) {
	st := s.lookupState(string(t.pod.UID))
	if st == nil {
		return
	}
	st.mu.Lock()
	for _, cs := range st.all() {
		if cs.name == t.c.Name && cs.cur != nil && cs.cur.id == t.in.id && cs.phase == cRunning {
			cs.exitReq = &code
		}
	}
	st.mu.Unlock()
	if key, err := cache.MetaNamespaceKeyFunc(t.pod); err == nil {
		s.queue.Add(key)
	}
}

// interactiveShell runs the shell until exit (true) or the end of its input.
func (s *Simulator) interactiveShell(t *execTarget, shellName string, tty bool, in io.Reader, out io.Writer) (int, bool) {
	host := podHostname(t.pod)
	prompt := "/ # "
	if shellName == "bash" {
		user := shell.UserName(runAsUser(t.pod, t.c))
		prompt = user + "@" + host + ":/# "
	}
	nl := "\n"
	if tty {
		nl = "\r\n"
	}
	_, _ = io.WriteString(out, "kubelab: this node is simulated: this shellName runs simple commands (env, ls, cat, id, ps, echo > file...) against the container's files."+nl)
	if !tty {
		prompt = ""
	}
	_, _ = io.WriteString(out, prompt)
	r := bufio.NewReader(in)
	var line []byte
	run := func(text string) (bool, int) {
		text = strings.TrimSpace(text)
		if text == "" {
			return false, 0
		}
		if text == "exit" || strings.HasPrefix(text, "exit ") {
			code, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(text, "exit")))
			return true, code
		}
		o, e, _ := s.runExec(t, []string{shellName, "-c", text})
		if tty {
			o, e = crlf(o), crlf(e)
		}
		_, _ = io.WriteString(out, o+e)
		return false, 0
	}
	for {
		b, err := r.ReadByte()
		if err != nil {
			if len(line) > 0 {
				if done, code := run(string(line)); done {
					return code, true
				}
			}
			return 0, false
		}
		if !tty {
			if b == '\n' {
				if done, code := run(string(line)); done {
					return code, true
				}
				line = line[:0]
				continue
			}
			line = append(line, b)
			continue
		}
		switch b {
		case '\r', '\n':
			_, _ = io.WriteString(out, "\r\n")
			if done, code := run(string(line)); done {
				return code, true
			}
			line = line[:0]
			_, _ = io.WriteString(out, prompt)
		case 0x7f, 0x08:
			if len(line) > 0 {
				line = line[:len(line)-1]
				_, _ = io.WriteString(out, "\b \b")
			}
		case 0x03:
			line = line[:0]
			_, _ = io.WriteString(out, "^C\r\n"+prompt)
		case 0x04:
			if len(line) == 0 {
				_, _ = io.WriteString(out, "exit\r\n")
				return 0, true
			}
		case 0x1b:
			// An escape sequence (arrow keys): skip it.
			if next, err := r.ReadByte(); err == nil && next == '[' {
				_, _ = r.ReadByte()
			}
		default:
			if b >= 0x20 {
				line = append(line, b)
				_, _ = out.Write([]byte{b})
			}
		}
	}
}
