package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A console worker is one kubectl process that runs a sandbox's console
// commands one after another. Starting a kubelab process costs about
// 0.15 CPU-seconds (most of it the package initialization of a binary that
// holds a whole control plane) while `kubectl get pods` itself costs about
// a tenth of that; a class of learners typing commands spent most of the
// machine on the starts (docs/performance.md, "The console's kubectl").
//
// The protocol: the Runner starts `kubelab kubectl-worker` with the same
// environment, directory and process group a one-shot kubectl would have,
// its standard output and error on one pipe, and its requests on file
// descriptor 3, one JSON line each. After a command the worker writes an
// end mark on its standard output: a NUL, "kubelab-end:", the request's
// random nonce, ":", the exit code, ":r" when the worker will not serve
// again, and a NUL. The nonce is new for every command, so no output of a
// command can end it early.

// WorkerArg is the argument that makes a kubelab executable serve as a
// console worker (ServeWorker): `kubelab kubectl-worker`.
const WorkerArg = "kubectl-worker"

// DefaultWorkerIdle is how long an idle worker is kept when
// Runner.WorkerIdle is zero.
const DefaultWorkerIdle = time.Minute

// maxWorkerCommands bounds the commands one worker serves before it is
// replaced, so that whatever a command leaves behind in the process does
// not pile up.
const maxWorkerCommands = 500

// maxIdleWorkers is how many idle workers are kept for one kubeconfig (two
// commands of the same sandbox at once, from two tabs, get two workers).
const maxIdleWorkers = 2

// request is one command sent to a worker, or the binding of a spare
// worker to a sandbox.
type request struct {
	// Args are kubectl's arguments after the word kubectl.
	Args []string `json:"args,omitempty"`
	// Bind, when set, gives a spare worker the environment and directory
	// of the sandbox it will serve, in place of a command.
	Bind *binding `json:"bind,omitempty"`
	// End is the nonce of the command's end mark.
	End string `json:"end"`
}

// binding is what a spare worker takes on when it is given to a sandbox:
// the environment and working directory a worker started for that sandbox
// would have had.
type binding struct {
	Env []string `json:"env"`
	Dir string   `json:"dir"`
}

// apply replaces the process's environment and working directory.
func (b *binding) apply() error {
	os.Clearenv()
	for _, kv := range b.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("bad environment entry %q", kv)
		}
		if err := os.Setenv(k, v); err != nil {
			return fmt.Errorf("environment: %w", err)
		}
	}
	if err := os.Chdir(b.Dir); err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	return nil
}

const endPrefix = "\x00kubelab-end:"

// boundMark is all a worker writes when it has taken on a sandbox's
// environment (request.Bind): a worker that does not know the request
// would run kubectl with no arguments, which prints its help.
const boundMark = "\x00kubelab-bound\x00"

// workerState is what Exit needs of the command a worker runs.
var workerState struct {
	serving atomic.Bool
	mu      sync.Mutex
	finish  func(code int)
}

// Exit ends the console command that calls it with code: for kubectl's
// fatal-error handler (cmdutil.BehaviorOnFatal), which would otherwise end
// the worker's process. It ends the calling goroutine. Outside a worker it
// exits the process with code.
func Exit(code int) {
	if !workerState.serving.Load() {
		os.Exit(code)
	}
	workerState.mu.Lock()
	finish := workerState.finish
	workerState.mu.Unlock()
	if finish != nil {
		finish(code)
	}
	runtime.Goexit()
}

// ServeWorker serves a Runner's commands until the Runner closes its
// requests: each request's arguments go to run (kubectl's arguments after
// the word kubectl, the first being --kubeconfig=...), which writes on
// the process's standard output and error and returns the exit code (or
// calls Exit). It returns the process's exit code.
func ServeWorker(run func(args []string) int) int {
	reqs := os.NewFile(3, "kubelab-console-requests")
	if reqs == nil {
		fmt.Fprintln(os.Stderr, "kubelab: kubectl-worker: no requests (file descriptor 3)")
		return 2
	}
	defer reqs.Close()
	workerState.serving.Store(true)
	dec := json.NewDecoder(reqs)
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return 0
			}
			fmt.Fprintln(os.Stderr, "kubelab: kubectl-worker:", err)
			return 2
		}
		var code int
		var ok bool
		if req.Bind != nil {
			// A spare worker given to a sandbox. A worker that cannot
			// take on the sandbox's environment serves nothing.
			if err := req.Bind.apply(); err != nil {
				fmt.Fprintln(os.Stderr, "kubelab: kubectl-worker: bind:", err)
				code = 2
			} else {
				fmt.Fprint(os.Stdout, boundMark)
				ok = true
			}
		} else {
			code, ok = serveOne(run, req.Args)
		}
		// A command that left a process behind, or failed inside, ends the
		// worker: the Runner kills its process group.
		ok = ok && !hasChildren()
		retire := ""
		if !ok {
			retire = ":r"
		}
		fmt.Fprintf(os.Stdout, "%s%s:%d%s\x00", endPrefix, req.End, code, retire)
		if !ok {
			return code
		}
	}
}

// serveOne runs one command on a goroutine of its own, so that Exit can
// end it, and returns its exit code; ok is false when it panicked.
func serveOne(run func([]string) int, args []string) (code int, ok bool) {
	type end struct {
		code int
		ok   bool
	}
	result := make(chan end, 1)
	var once sync.Once
	finish := func(e end) { once.Do(func() { result <- e }) }
	workerState.mu.Lock()
	workerState.finish = func(code int) { finish(end{code: code, ok: true}) }
	workerState.mu.Unlock()
	go func() {
		defer func() {
			if p := recover(); p != nil {
				fmt.Fprintf(os.Stderr, "kubectl failed: %v\n", p)
				finish(end{code: 2})
			}
		}()
		finish(end{code: run(args), ok: true})
	}()
	e := <-result
	workerState.mu.Lock()
	workerState.finish = nil
	workerState.mu.Unlock()
	return e.code, e.ok
}

// worker is the Runner's side of a worker process.
type worker struct {
	kubeconfig string
	cmd        *exec.Cmd
	req        *os.File // requests, to the worker's file descriptor 3
	out        *os.File // the worker's standard output and error
	exited     chan struct{}
	served     int
	idleSince  time.Time
}

// startWorker starts a worker with one-shot's program, environment and
// directory.
func startWorker(kubeconfig string, like *exec.Cmd) (*worker, error) {
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("request pipe: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, fmt.Errorf("output pipe: %w", err)
	}
	cmd := exec.Command(like.Path, WorkerArg)
	cmd.Env, cmd.Dir = like.Env, like.Dir
	cmd.Stdout, cmd.Stderr = outW, outW
	cmd.ExtraFiles = []*os.File{reqR}
	cmd.SysProcAttr = procAttr()
	err = cmd.Start()
	reqR.Close()
	outW.Close()
	if err != nil {
		reqW.Close()
		outR.Close()
		return nil, err
	}
	w := &worker{kubeconfig: kubeconfig, cmd: cmd, req: reqW, out: outR, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(w.exited)
	}()
	return w, nil
}

// alive reports whether the worker's process still runs.
func (w *worker) alive() bool {
	select {
	case <-w.exited:
		return false
	default:
		return true
	}
}

// stop ends the worker and whatever it started.
func (w *worker) stop() {
	killGroup(w.cmd.Process.Pid)
	w.req.Close()
	w.out.Close()
}

// exitCode waits briefly for the worker's process and returns its exit code.
func (w *worker) exitCode() int {
	select {
	case <-w.exited:
	case <-time.After(2 * time.Second):
		killGroup(w.cmd.Process.Pid)
		<-w.exited
	}
	return exitCode(w.cmd.ProcessState)
}

// runOnWorker runs one command on w and writes its output to out. kept is
// true when w may serve again.
func runOnWorker(ctx context.Context, w *worker, req request, timeout time.Duration, out io.Writer) (res Result, canceled, kept bool, err error) {
	var nonce [12]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return res, false, false, fmt.Errorf("nonce: %w", err)
	}
	end := hex.EncodeToString(nonce[:])
	req.End = end
	line, err := json.Marshal(req)
	if err != nil {
		return res, false, false, err
	}
	if _, err := w.req.Write(append(line, '\n')); err != nil {
		return res, false, false, fmt.Errorf("worker: %w", err)
	}
	mark := []byte(endPrefix + end + ":")
	if err := w.out.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return res, false, false, fmt.Errorf("worker: %w", err)
	}
	var stopped atomic.Bool
	done, watched := make(chan struct{}), make(chan struct{})
	// The watcher has ended when this returns, so that it never moves the
	// deadline of the worker's next command.
	defer func() { close(done); <-watched }()
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
			stopped.Store(true)
			_ = w.out.SetReadDeadline(time.Now())
		case <-done:
		}
	}()

	buf := make([]byte, 32<<10)
	var pending []byte
	keep := len(mark) + 16 // the longest tail that may still begin a mark
	for {
		n, rerr := w.out.Read(buf)
		pending = append(pending, buf[:n]...)
		if i := bytes.Index(pending, mark); i >= 0 {
			tail := pending[i+len(mark):]
			if j := bytes.IndexByte(tail, 0); j >= 0 {
				_, _ = out.Write(pending[:i])
				status := string(tail[:j])
				retire := false
				if s, ok := bytes.CutSuffix(tail[:j], []byte(":r")); ok {
					status, retire = string(s), true
				}
				code, err := strconv.Atoi(status)
				if err != nil {
					return res, false, false, fmt.Errorf("worker: bad end mark %q", tail[:j])
				}
				if retire {
					w.stop()
				}
				res.ExitCode = code
				return res, false, !retire, nil
			}
		} else if len(pending) > keep {
			_, _ = out.Write(pending[:len(pending)-keep])
			pending = append(pending[:0], pending[len(pending)-keep:]...)
		}
		if rerr == nil {
			continue
		}
		if errors.Is(rerr, os.ErrDeadlineExceeded) {
			// Out of time, or the request was canceled: the worker and
			// whatever it started go; what it printed so far is kept.
			canceled = stopped.Load()
			res.TimedOut = !canceled
			killGroup(w.cmd.Process.Pid)
			_ = w.out.SetReadDeadline(time.Now().Add(2 * time.Second))
			rest, _ := io.ReadAll(w.out) // what came before EOF or the deadline
			pending = append(pending, rest...)
		}
		// Otherwise the worker ended (EOF): kubectl ended its process.
		_, _ = out.Write(pending)
		res.ExitCode = w.exitCode()
		w.stop()
		return res, canceled, false, nil
	}
}

// workers reports whether commands run on workers.
func (r *Runner) workers() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.OneShot && !r.closed
}

// Prepare gives kubeconfig a worker ahead of its first command (a spare
// bound to it, or one started), unless one is idle already, so that the
// first command a learner types does not wait for a kubelab process to
// start (about 0.15 CPU-seconds, more on a machine busy with a class
// arriving). A command that comes while the worker is still starting waits
// for it rather than starting another. The worker is stopped like any idle
// one when no command comes. It does nothing for a Runner with OneShot.
func (r *Runner) Prepare(kubeconfig string) error {
	if !r.workers() {
		return nil
	}
	cmd, _, err := r.command(kubeconfig, nil)
	if err != nil {
		return fmt.Errorf("console: prepare: %w", err)
	}
	key := cmd.Args[2] // bin kubectl --kubeconfig=...
	r.mu.Lock()
	idle := len(r.idle[key])
	r.mu.Unlock()
	if idle > 0 {
		return nil
	}
	w, err := r.newWorker(key, cmd)
	if err != nil {
		return fmt.Errorf("console: prepare: %w", err)
	}
	r.putWorker(w)
	return nil
}

// runOnAWorker runs cmd's arguments on an idle worker of its kubeconfig,
// or on a new one, and writes the output to out. A worker that was idle
// and turns out gone is replaced once.
func (r *Runner) runOnAWorker(ctx context.Context, cmd *exec.Cmd, timeout time.Duration, out io.Writer) (Result, bool, error) {
	args := cmd.Args[2:] // bin kubectl --kubeconfig=... argv...
	key := args[0]
	for attempt := 0; ; attempt++ {
		w := r.takeWorker(key)
		fresh := w == nil
		if fresh {
			var err error
			if w, err = r.newWorker(key, cmd); err != nil {
				return Result{}, false, err
			}
		}
		res, canceled, kept, err := runOnWorker(ctx, w, request{Args: args}, timeout, out)
		if err != nil {
			w.stop()
			if !fresh && attempt == 0 {
				continue
			}
			return res, canceled, err
		}
		if kept {
			w.served++
			r.putWorker(w)
		}
		return res, canceled, nil
	}
}

// takeWorker returns an idle worker of kubeconfig, or nil.
func (r *Runner) takeWorker(kubeconfig string) *worker {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ws := r.idle[kubeconfig]; len(ws) > 0; ws = r.idle[kubeconfig] {
		w := ws[len(ws)-1]
		r.idle[kubeconfig] = ws[:len(ws)-1]
		if w.alive() {
			return w
		}
		w.stop()
	}
	delete(r.idle, kubeconfig)
	return nil
}

// putWorker keeps w for the kubeconfig's next command, or stops it.
func (r *Runner) putWorker(w *worker) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || w.served >= maxWorkerCommands || len(r.idle[w.kubeconfig]) >= maxIdleWorkers || !w.alive() {
		w.stop()
		return
	}
	w.idleSince = time.Now()
	if r.idle == nil {
		r.idle = map[string][]*worker{}
	}
	r.idle[w.kubeconfig] = append(r.idle[w.kubeconfig], w)
	if !r.reaping {
		r.reaping = true
		go r.reap()
	}
}

// workerIdle is how long an idle worker is kept.
func (r *Runner) workerIdle() time.Duration {
	if r.WorkerIdle > 0 {
		return r.WorkerIdle
	}
	return DefaultWorkerIdle
}

// reap stops the workers idle for longer than workerIdle; it ends when no
// worker is left.
func (r *Runner) reap() {
	idle := r.workerIdle()
	tick := time.NewTicker(max(idle/4, 50*time.Millisecond))
	defer tick.Stop()
	for range tick.C {
		r.mu.Lock()
		for kc, ws := range r.idle {
			kept := ws[:0]
			for _, w := range ws {
				if time.Since(w.idleSince) >= idle || !w.alive() {
					w.stop()
					continue
				}
				kept = append(kept, w)
			}
			if len(kept) == 0 {
				delete(r.idle, kc)
			} else {
				r.idle[kc] = kept
			}
		}
		if len(r.idle) == 0 {
			r.reaping = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
	}
}

// stopWorkers stops the idle workers of kubeconfig, or of every
// kubeconfig when it is empty.
func (r *Runner) stopWorkers(kubeconfig string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for kc, ws := range r.idle {
		if kubeconfig != "" && kc != kubeconfig {
			continue
		}
		for _, w := range ws {
			w.stop()
		}
		delete(r.idle, kc)
	}
}

// Close stops the Runner's idle workers; commands still running finish,
// and their workers stop then. A closed Runner runs each later command in
// a process of its own.
func (r *Runner) Close() {
	r.mu.Lock()
	r.closed = true
	r.spare.target = 0
	r.trimSparesLocked(0)
	r.mu.Unlock()
	r.stopWorkers("")
}
