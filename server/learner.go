package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/kubelab/kubelab/history"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/snapshot"
	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/watch"
)

// learner is the server's live state for one user: their sandbox, its
// watcher, their open websockets and their grader.
type learner struct {
	s    *Server
	user store.User
	name string // sandbox name

	mu      sync.Mutex
	state   sandbox.State
	message string
	box     *sandbox.Sandbox
	watcher *watch.Watcher
	cs      *labs.ClusterState
	csFor   string
	cancel  context.CancelFunc // stops watcher and grader
	// syncing, while set, is closed when the ready sandbox's watch has
	// synced (or failed to).
	syncing  chan struct{}
	starting bool
	conns    map[*wsConn]struct{}
	openLab  string
	openedAt time.Time
	// commands are the console commands since openedAt, oldest first: the
	// grader's `commands`, kept here so grading reads no database.
	commands []string
	verdicts map[string]labs.StepResult // by lab/step: the checker's latest
	// held is when each step's pass being held happened (by lab/step): a step
	// that passed reads as passed until the learner resets it or the sandbox.
	// heldLoaded reports whether it was read from the store yet.
	held map[string]time.Time
	// stepKept lists the step snapshot files known to exist, so grading
	// does not look at the disk again.
	stepKept map[string]bool
	// snap reads and restores the running sandbox (snapClientFor): one
	// client per sandbox keeps its discovery between snapshots.
	snap       *snapshot.Client
	snapFor    *sandbox.Sandbox
	heldLoaded bool
	kick       chan struct{}
	// busy admits one console command or apply at a time per learner,
	// so a flood of requests cannot start a flood of kubectl processes.
	busy chan struct{}
	// fails counts how often each step turned to failing (for hints).
	fails map[string]int
	// lastPage is when one of the learner's pages last opened or closed
	// (class mode stops sandboxes with no page open: pageless.go).
	lastPage time.Time
	// hist is the learner's recorded history (nil until first used, or
	// when the server records none).
	hist *history.Log
}

func sandboxName(u store.User) string { return "u" + strconv.FormatInt(u.ID, 10) }

func (s *Server) learnerFor(u store.User) *learner {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.learners[u.ID]
	if l == nil {
		l = &learner{s: s, user: u, name: sandboxName(u), state: sandbox.StateStopped,
			conns: map[*wsConn]struct{}{}, verdicts: map[string]labs.StepResult{}, held: map[string]time.Time{}, kick: make(chan struct{}, 1),
			busy: make(chan struct{}, 1), fails: map[string]int{}, lastPage: time.Now()}
		s.learners[u.ID] = l
	}
	return l
}

// snapshot returns the sandbox state and the watcher if ready.
func (l *learner) snapshot() (sandbox.State, string, *sandbox.Sandbox, *watch.Watcher) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state, l.message, l.box, l.watcher
}

// ensure starts the learner's sandbox in the background unless it runs.
func (l *learner) ensure() {
	l.mu.Lock()
	if l.starting || l.state == sandbox.StateReady {
		l.mu.Unlock()
		return
	}
	l.starting = true
	l.state, l.message = sandbox.StateStarting, ""
	l.mu.Unlock()
	l.broadcastState()
	go l.provision()
}

func (l *learner) provision() {
	ctx, cancel := context.WithTimeout(l.s.ctx, 3*time.Minute)
	defer cancel()
	_, _ = l.s.cfg.Store.UpsertSandbox(ctx, store.Sandbox{UserID: l.user.ID, Name: l.name,
		Backend: l.s.cfg.Provider.Name(), State: store.SandboxStarting})
	l.s.rewarm() // this learner has arrived: the classes expect one fewer
	// Held until the watch has synced: a sandbox that nobody holds may be
	// frozen again (a warm one was frozen until this hand-out) before the
	// page's websocket holds it.
	release := l.s.cfg.Provider.Hold(l.name)
	t0 := time.Now()
	box, err := l.s.cfg.Provider.Acquire(ctx, l.name)
	if err != nil {
		release()
		l.failed(err)
		return
	}
	acquired := time.Since(t0)
	// The console works from here on: the learner does not wait for the
	// page's watch, which on a machine busy with a class's arrival takes
	// seconds to list the cluster. The diagrams and the grader start once
	// it has (syncing tells who needs the watcher to wait for it).
	wctx, wcancel := context.WithCancel(l.s.ctx)
	synced := make(chan struct{})
	l.mu.Lock()
	l.starting = false
	l.box, l.cancel, l.syncing = box, wcancel, synced
	l.state, l.message = sandbox.StateReady, ""
	l.mu.Unlock()
	_, _ = l.s.cfg.Store.UpsertSandbox(context.Background(), store.Sandbox{UserID: l.user.ID, Name: l.name,
		Backend: l.s.cfg.Provider.Name(), State: store.SandboxReady})
	l.broadcastState()
	// The console's kubectl process starts now, while the learner reads
	// the page, not when the first command comes.
	if err := l.s.cfg.Console.Prepare(box.Kubeconfig); err != nil {
		l.s.log.Warn("console", "learner", l.name, "err", err)
	}
	w := l.syncWatch(wctx, box)
	release()
	l.mu.Lock()
	close(synced)
	if l.syncing == synced {
		l.syncing = nil
	}
	if wctx.Err() != nil || w == nil {
		// Stopped or reset meanwhile: what replaced it is not ours to touch.
		l.mu.Unlock()
		if w != nil {
			w.Stop()
		}
		return
	}
	l.watcher = w
	conns := l.connsLocked()
	l.mu.Unlock()
	// What a learner waited for: the sandbox (a usable console), then the
	// page's watch (the diagrams and the grader).
	l.s.log.Info("sandbox ready", "learner", l.name, "acquire", acquired.Round(time.Millisecond),
		"watch", (time.Since(t0) - acquired).Round(time.Millisecond))
	for _, c := range conns {
		c.attach(w)
	}
	go l.grader(wctx, w)
	go l.record(wctx, w)
}

// syncWatch starts the page's watch of box, trying again while ctx lasts:
// a machine loaded by a whole class can take longer than the watch's 30 s
// to list a sandbox, and the sandbox (its console) works meanwhile.
func (l *learner) syncWatch(ctx context.Context, box *sandbox.Sandbox) *watch.Watcher {
	wait := time.Second
	for {
		w, err := watch.StartIn(ctx, box.REST, box.Namespace)
		if err == nil || ctx.Err() != nil {
			return w
		}
		l.s.log.Warn("page watch not synced; trying again", "learner", l.name, "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// failed records that the learner's sandbox could not be started.
func (l *learner) failed(err error) {
	l.mu.Lock()
	l.starting = false
	l.state, l.message = sandbox.StateFailed, err.Error()
	if errors.Is(err, sandbox.ErrCapacity) {
		l.message = sandbox.ErrCapacity.Error()
	}
	msg := l.message
	l.mu.Unlock()
	l.s.log.Warn("sandbox failed", "learner", l.name, "err", err)
	_, _ = l.s.cfg.Store.UpsertSandbox(context.Background(), store.Sandbox{UserID: l.user.ID, Name: l.name,
		Backend: l.s.cfg.Provider.Name(), State: store.SandboxFailed, Message: msg})
	l.broadcastState()
}

// liveWatcher returns the learner's watcher, waiting (within ctx) while a
// ready sandbox's watch is still syncing; nil when there is none.
func (l *learner) liveWatcher(ctx context.Context) *watch.Watcher {
	l.mu.Lock()
	w, syncing := l.watcher, l.syncing
	l.mu.Unlock()
	if w != nil || syncing == nil {
		return w
	}
	select {
	case <-syncing:
	case <-ctx.Done():
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.watcher
}

func (l *learner) stopWatch() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel != nil {
		l.cancel()
		l.cancel = nil
	}
	if l.watcher != nil {
		l.watcher.Stop()
		l.watcher = nil
	}
	l.box, l.snap, l.snapFor = nil, nil, nil
	if l.state == sandbox.StateReady {
		l.state = sandbox.StateStopped
	}
}

// reset deletes the learner's sandbox and starts a fresh one. Held passes
// are let go (the steps are graded on the fresh cluster); the rest of the
// recorded progress (first passes, attempts, history) is kept.
func (l *learner) reset(ctx context.Context) error {
	l.stopWatch()
	if err := l.s.cfg.Provider.Delete(ctx, l.name); err != nil {
		return fmt.Errorf("reset sandbox: %w", err)
	}
	if err := l.resetPasses(ctx, "", ""); err != nil {
		return fmt.Errorf("reset sandbox: %w", err)
	}
	if err := l.forgetHistory(); err != nil {
		return fmt.Errorf("reset sandbox: %w", err)
	}
	l.mu.Lock()
	l.state = sandbox.StateStopped
	l.mu.Unlock()
	l.ensure()
	return nil
}

func (l *learner) connsLocked() []*wsConn {
	out := make([]*wsConn, 0, len(l.conns))
	for c := range l.conns {
		out = append(out, c)
	}
	return out
}

// send delivers a live message to every open page of the learner and to
// their classes' dashboards.
func (l *learner) send(msg liveMsg) {
	data, err := json.Marshal(msg)
	if err != nil {
		return
	}
	l.mu.Lock()
	conns := l.connsLocked()
	l.mu.Unlock()
	for _, c := range conns {
		c.send(data)
	}
	l.s.classNotify(l, msg)
}

// stateMessage is the learner's sandbox state now.
func (l *learner) stateMessage() stateMsg {
	st, msg, _, _ := l.snapshot()
	return stateMsg{Type: "sandbox", State: st, Message: msg, Backend: l.s.cfg.Provider.Name()}
}

func (l *learner) broadcastState() { l.send(l.stateMessage()) }

// openLabPage records that the learner works on lab id now; the grader
// follows that lab, and `events`/`commands` count from the first opening.
func (l *learner) openLabPage(ctx context.Context, id string) {
	opened, commands := l.labSince(ctx, id, true)
	l.mu.Lock()
	l.openLab, l.openedAt, l.commands = id, opened, commands
	l.mu.Unlock()
	l.poke()
}

// labSince returns when the learner first opened lab id (zero if never;
// with open, now is recorded as that time) and their console commands since.
func (l *learner) labSince(ctx context.Context, id string, open bool) (time.Time, []string) {
	key := "opened:" + strconv.FormatInt(l.user.ID, 10) + ":" + id
	var opened time.Time
	if v, ok, _ := l.s.cfg.Store.GetSetting(ctx, key); ok {
		opened, _ = time.Parse(time.RFC3339Nano, v)
	}
	if opened.IsZero() {
		if !open {
			return time.Time{}, nil
		}
		opened = time.Now()
		_ = l.s.cfg.Store.SetSetting(ctx, key, opened.Format(time.RFC3339Nano))
	}
	var commands []string
	if entries, err := l.s.cfg.Store.ConsoleSince(ctx, l.user.ID, opened); err == nil {
		for _, e := range entries {
			commands = append(commands, e.Command)
		}
	}
	return opened, commands
}

// recordCommand adds a console command to what the open lab's grader sees.
func (l *learner) recordCommand(cmd string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.openLab != "" && !at.Before(l.openedAt) {
		l.commands = append(l.commands, cmd)
	}
}

// poke asks the grader to look again (after a console command).
func (l *learner) poke() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// peekLearner returns the live state of a user if the server has any,
// without creating it.
func (s *Server) peekLearner(userID int64) *learner {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.learners[userID]
}
