package shell

import (
	"fmt"
	"maps"
	"strings"
	"time"
)

const (
	maxSteps = 20000
	maxLines = 2000
)

// interp is one run of a script: its variables, the files it wrote, its
// virtual clock and what it has given so far.
type interp struct {
	env     *Env
	vars    map[string]string
	arrays  map[string][]string
	files   map[string]*string // overlay: nil = removed
	dirs    map[string]bool
	t       time.Duration
	horizon time.Duration
	steps   int
	res     Result
	partial strings.Builder // current unfinished output line
	exited  bool
	stopped bool // horizon or step cap reached
	status  int
	loops   int
	breakN  int
	// continuing: continue ran, the rest of the loop's body is skipped.
	continuing bool

	discardErr bool
	own        []Event // its own writes to the pod's shared volumes
	written    int     // bytes of writes recorded (bounded by maxWrittenBytes)
}

// newVM is a run against env that stops at the horizon.
func newVM(env *Env, horizon time.Duration) *interp {
	vm := &interp{env: env, vars: map[string]string{}, arrays: map[string][]string{}, files: map[string]*string{},
		dirs: map[string]bool{}, horizon: horizon}
	for k, v := range env.Vars {
		vm.vars[k] = v
	}
	for k, v := range env.BaseFiles {
		vm.files[k] = v
	}
	return vm
}

// finish ends the run with code.
func (vm *interp) finish(code int) {
	vm.flush()
	vm.res.Ended, vm.res.Code, vm.res.Took = true, code, vm.t
}

// tick counts a step; it reports whether the run goes on.
func (vm *interp) tick() bool {
	vm.steps++
	if vm.steps >= maxSteps {
		vm.stopped = true
	}
	return !vm.stopped && !vm.exited && vm.breakN == 0 && !vm.continuing
}

// sleep moves the virtual clock on by d (to the horizon at most).
func (vm *interp) sleep(d time.Duration) {
	if vm.t+d > vm.horizon || d < 0 {
		vm.t = vm.horizon
		vm.stopped = true
		return
	}
	vm.t += d
}

// blockForever is a process that runs until stopped (server, if any, is
// the program it runs).
func (vm *interp) blockForever(server string) {
	vm.res.Forever = true
	if server != "" && vm.res.Server == "" {
		vm.res.Server, vm.res.ServerAt = server, vm.t
	}
	vm.t = vm.horizon
	vm.stopped = true
}

// runList runs commands one after the other.
func (vm *interp) runList(l *cmdList, stdin *string) int {
	for _, ao := range l.items {
		if !vm.tick() {
			return vm.status
		}
		vm.status = vm.runAndOr(ao, stdin)
		if vm.breakN > 0 || vm.continuing {
			return vm.status
		}
	}
	return vm.status
}

// runAndOr runs pipelines joined by && and ||.
func (vm *interp) runAndOr(ao *andOr, stdin *string) int {
	st := vm.runPipe(ao.pipes[0], stdin)
	for i, op := range ao.ops {
		if vm.exited || vm.stopped || vm.breakN > 0 || vm.continuing {
			return st
		}
		if (op == "&&" && st == 0) || (op == "||" && st != 0) {
			st = vm.runPipe(ao.pipes[i+1], stdin)
		}
	}
	return st
}

// runPipe runs a pipeline, each command reading the previous one's output.
func (vm *interp) runPipe(p *pipeline, stdin *string) int {
	in := stdin
	st := 0
	for i, c := range p.cmds {
		if i < len(p.cmds)-1 {
			out := vm.capture(func() { st = vm.runNode(c, in) })
			in = &out
			continue
		}
		st = vm.runNode(c, in)
	}
	if p.bang {
		if st == 0 {
			return 1
		}
		return 0
	}
	return st
}

// capture runs f with its output collected instead of written.
func (vm *interp) capture(f func()) string {
	saved, savedPartial, savedDropped := vm.res.Lines, vm.partial.String(), vm.res.Dropped
	vm.res.Lines = nil
	vm.partial.Reset()
	f()
	vm.flush()
	var b strings.Builder
	for _, l := range vm.res.Lines {
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	vm.res.Lines, vm.res.Dropped = saved, savedDropped
	vm.partial.Reset()
	vm.partial.WriteString(savedPartial)
	return b.String()
}

// runNode runs one command: simple, group, if, while/until or for.
func (vm *interp) runNode(n node, stdin *string) int {
	if !vm.tick() {
		return vm.status
	}
	switch n := n.(type) {
	case *simpleCmd:
		return vm.runSimple(n, stdin)
	case *group:
		if n.subshell {
			// A subshell's variables and working directory are its own.
			saved, vars, arrays := vm.exited, maps.Clone(vm.vars), maps.Clone(vm.arrays)
			st := vm.runList(n.body, stdin)
			vm.exited, vm.vars, vm.arrays = saved, vars, arrays
			return st
		}
		return vm.runList(n.body, stdin)
	case *ifCmd:
		for i, c := range n.conds {
			if vm.runList(c, stdin) == 0 {
				return vm.runList(n.bodies[i], stdin)
			}
			if vm.exited || vm.stopped {
				return vm.status
			}
		}
		if n.els != nil {
			return vm.runList(n.els, stdin)
		}
		return 0
	case *whileCmd:
		vm.loops++
		defer func() { vm.loops-- }()
		st := 0
		for vm.tick() {
			before := vm.t
			c := vm.runList(n.cond, stdin)
			if vm.exited || vm.stopped {
				return vm.status
			}
			if (c == 0) == n.until {
				break
			}
			st = vm.runList(n.body, stdin)
			vm.continuing = false
			if vm.breakN > 0 {
				vm.breakN--
				break
			}
			if vm.t == before && vm.steps > maxSteps/2 {
				// A loop that never waits: it spins forever.
				vm.blockForever("")
			}
		}
		return st
	case *forCmd:
		vm.loops++
		defer func() { vm.loops-- }()
		var items []string
		for _, w := range n.items {
			items = append(items, vm.expandFields(w)...)
		}
		st := 0
		for _, it := range items {
			if !vm.tick() {
				break
			}
			vm.vars[n.name] = it
			st = vm.runList(n.body, stdin)
			vm.continuing = false
			if vm.breakN > 0 {
				vm.breakN--
				break
			}
		}
		return st
	}
	return 0
}

// runSimple expands a simple command, applies its assignments and
// redirections and runs it.
func (vm *interp) runSimple(c *simpleCmd, stdin *string) int {
	var argv []string
	for _, w := range c.words {
		argv = append(argv, vm.expandFields(w)...)
	}
	for _, a := range c.assigns {
		if a.array != nil {
			var vals []string
			for _, w := range a.array {
				vals = append(vals, vm.expandFields(w)...)
			}
			vm.arrays[a.name] = vals
			continue
		}
		v := vm.expand(a.value)
		if len(argv) == 0 {
			vm.vars[a.name] = v
		}
	}
	if len(argv) == 0 {
		return 0
	}
	// Redirections.
	var outFile string
	appendTo, discard := false, false
	savedDiscard := vm.discardErr
	defer func() { vm.discardErr = savedDiscard }()
	for _, r := range c.redirs {
		target := vm.expand(r.target)
		if r.fd == 2 {
			vm.discardErr = true
			continue
		}
		switch r.op {
		case ">", ">|":
			outFile, appendTo = target, false
		case ">>":
			outFile, appendTo = target, true
		case "<":
			if s, ok := vm.readFile(target); ok {
				stdin = &s
			} else {
				vm.write(2, fmt.Sprintf("sh: can't open %s: no such file\n", target))
				return 1
			}
		case "&>":
			outFile = target
		}
	}
	if outFile == "/dev/null" {
		discard = true
	}
	if outFile != "" || discard {
		var st int
		out := vm.capture(func() { st = vm.command(argv, stdin, c.last) })
		if !discard {
			vm.writeFile(outFile, out, appendTo)
		}
		return st
	}
	return vm.command(argv, stdin, c.last)
}
