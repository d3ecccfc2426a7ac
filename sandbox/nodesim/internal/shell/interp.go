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
	// exports are variables put in the environment of the commands it
	// runs besides the container's (export, or an assignment before a
	// command).
	exports map[string]bool
	own     []Event // its own writes to the pod's shared volumes
	written int     // bytes of writes recorded (bounded by maxWrittenBytes)
}

// newVM is a run against env that stops at the horizon.
func newVM(env *Env, horizon time.Duration) *interp {
	vm := &interp{env: env, vars: map[string]string{}, arrays: map[string][]string{}, files: map[string]*string{},
		dirs: map[string]bool{}, horizon: horizon, exports: map[string]bool{}}
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

// capture runs f with its standard output collected instead of written;
// what it writes on stderr still goes to the shell's stderr.
func (vm *interp) capture(f func()) string {
	savedDiscard := vm.discardErr
	lines, tail := vm.captureLines(f)
	vm.discardErr = savedDiscard
	var b strings.Builder
	for _, l := range lines {
		if l.Fd == 2 {
			if !vm.discardErr {
				vm.res.Lines = append(vm.res.Lines, l)
			}
			continue
		}
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	b.WriteString(tail)
	if tail != "" {
		b.WriteByte('\n') // as before: a captured last line ends with a newline
	}
	return b.String()
}

// captureLines runs f with everything it writes collected: its lines on
// either descriptor, and a last stdout line without its newline.
func (vm *interp) captureLines(f func()) (lines []Line, tail string) {
	saved, savedPartial, savedDropped, savedDiscard := vm.res.Lines, vm.partial.String(), vm.res.Dropped, vm.discardErr
	vm.res.Lines = nil
	vm.partial.Reset()
	vm.discardErr = false
	f()
	lines, tail = vm.res.Lines, vm.partial.String()
	vm.res.Lines, vm.res.Dropped, vm.discardErr = saved, savedDropped, savedDiscard
	vm.partial.Reset()
	vm.partial.WriteString(savedPartial)
	return lines, tail
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
			saved, vars, arrays, exports := vm.exited, maps.Clone(vm.vars), maps.Clone(vm.arrays), maps.Clone(vm.exports)
			st := vm.runList(n.body, stdin)
			vm.exited, vm.vars, vm.arrays, vm.exports = saved, vars, arrays, exports
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
		items := vm.expandArgs(n.items)
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
	argv := vm.expandArgs(c.words)
	// Assignments before a command are for that command only (and in its
	// environment); alone, they set the shell's variables.
	type saved struct {
		v      string
		had    bool
		export bool
	}
	restore := map[string]saved{}
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
		if len(argv) > 0 {
			if _, done := restore[a.name]; !done {
				old, had := vm.vars[a.name]
				restore[a.name] = saved{old, had, vm.exports[a.name]}
			}
			vm.exports[a.name] = true
		}
		vm.vars[a.name] = v
	}
	defer func() {
		for name, o := range restore {
			if o.had {
				vm.vars[name] = o.v
			} else {
				delete(vm.vars, name)
			}
			if !o.export {
				delete(vm.exports, name)
			}
		}
	}()
	if len(argv) == 0 {
		return 0
	}
	if len(c.redirs) == 0 {
		return vm.command(argv, stdin, c.last)
	}
	// Redirections, left to right: where descriptors 1 and 2 lead.
	out := [3]sink{1: {fd: 1}, 2: {fd: 2}}
	for _, r := range c.redirs {
		target := vm.expand(r.target)
		fd := r.fd
		if fd != 2 {
			fd = 1
		}
		switch r.op {
		case ">", ">|", ">>":
			out[fd] = vm.fileSink(target, r.op == ">>")
		case "&>":
			out[1] = vm.fileSink(target, false)
			out[2] = out[1]
		case ">&":
			if target == "1" || target == "2" {
				n := 1
				if target == "2" {
					n = 2
				}
				out[fd] = out[n]
			}
		case "<":
			s, ok := vm.readFile(target)
			if !ok {
				vm.write(2, fmt.Sprintf("sh: can't open %s: no such file\n", target))
				return 1
			}
			stdin = &s
		case "<<":
			s := vm.expand(r.target)
			stdin = &s
		}
	}
	if out[1].fd == 1 && out[2].fd == 2 {
		return vm.command(argv, stdin, c.last)
	}
	var st int
	lines, tail := vm.captureLines(func() { st = vm.command(argv, stdin, c.last) })
	files := map[string]*strings.Builder{}
	var order []sink
	send := func(k sink, text string, at time.Duration) {
		switch {
		case k.discard:
		case k.file != "":
			b := files[k.file]
			if b == nil {
				b = &strings.Builder{}
				files[k.file] = b
				order = append(order, k)
			}
			b.WriteString(text)
		case k.fd == 2 && vm.discardErr:
		default:
			vm.res.Lines = append(vm.res.Lines, Line{At: at, Text: strings.TrimSuffix(text, "\n"), Fd: k.fd})
		}
	}
	for _, l := range lines {
		send(out[l.Fd], l.Text+"\n", l.At)
	}
	if tail != "" {
		if k := out[1]; k.file != "" || k.discard {
			send(k, tail, vm.t)
		} else {
			vm.write(k.fd, tail)
		}
	}
	for _, k := range order {
		vm.writeFile(k.file, files[k.file].String(), k.appendTo)
	}
	for _, k := range out[1:] { // a file opened with > is emptied even if nothing is written
		if k.file != "" && files[k.file] == nil && !k.appendTo {
			files[k.file] = &strings.Builder{}
			vm.writeFile(k.file, "", false)
		}
	}
	return st
}

// sink is where a descriptor of a command leads: the shell's stdout or
// stderr (fd), a file, or nowhere.
type sink struct {
	fd       int
	file     string
	appendTo bool
	discard  bool
}

// fileSink is a redirection to the file p (appending or not): /dev/null
// discards, /dev/stdout and /dev/stderr are the shell's own.
func (vm *interp) fileSink(p string, appendTo bool) sink {
	switch p {
	case "/dev/null":
		return sink{discard: true}
	case "/dev/stdout", "/proc/self/fd/1":
		return sink{fd: 1}
	case "/dev/stderr", "/proc/self/fd/2":
		return sink{fd: 2}
	}
	return sink{file: p, appendTo: appendTo}
}
