package nodesim

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A small shell that "runs" a container's command on a virtual clock:
// nothing executes, but the simple commands that lessons use (echo,
// printenv, date, sleep, exit, cat, ls, touch, rm, while loops...) give
// their output, take their time and change a virtual file system, so that
// a container's lifetime, exit code, logs and probe results follow from
// what it runs.

// shLine is one line of output at a time offset from the process start.
type shLine struct {
	at   time.Duration
	text string
	fd   int // 1 stdout, 2 stderr
}

// shOp is a change to the virtual file system.
type shOp struct {
	at     time.Duration
	path   string
	data   string
	remove bool
	dir    bool
	// appendTo: data is appended to the file (only for files in the pod's
	// shared volumes; elsewhere data is the whole file).
	appendTo bool
	uid, gid int64 // the owner of a file or directory it creates
}

// shResult is what a run gives.
type shResult struct {
	lines   []shLine
	dropped int // lines left out at the start (output cap)
	ops     []shOp
	// ended: the process ended at took with code. Otherwise it was still
	// running at the horizon; forever: it never ends (a server, sleep
	// infinity, an endless loop).
	ended   bool
	forever bool
	code    int
	took    time.Duration
	// server is the long-running program it ended up running, if any, from serverAt.
	server   string
	serverAt time.Duration
	// memory is what a program it runs declares it allocates (stress --vm-bytes).
	memory int64
	cpu    int64  // millicores a program declares it burns (stress --cpu)
	pwd    string // the working directory it ended in (cd)
	// dnsMiss: names it looked up that did not resolve.
	dnsMiss []string
	// stopMain: it made the container's first process exit (kill 1).
	stopMain bool
	// fetched are the hosts it sent HTTP requests to (wget, curl).
	fetched []string
}

// shEnv is what a script runs against.
type shEnv struct {
	vars     map[string]string
	order    []string // environment order for env/printenv
	hostname string
	start    time.Time // wall clock at offset 0 (for date)
	cwd      string
	uid      int64
	gid      int64
	// groups are the process's supplementary groups (fsGroup,
	// supplementalGroups); procs its container's processes for ps.
	groups []int64
	procs  []string
	// vol is the pod's shared volumes as this process sees them; at0 is the
	// wall time at offset 0 of the run (zero: start).
	vol *volView
	at0 time.Time
	// lookup reads a file from the container's mounts (ConfigMaps, Secrets,
	// service account token, /etc/hosts...); list lists a directory there.
	lookup func(p string) (string, bool)
	list   func(p string) ([]string, bool)
	// link tells where a symbolic link points (..data in ConfigMap volumes).
	link func(p string) (string, bool)
	// mainStops: the container's first process ends on SIGTERM (kill 1).
	mainStops bool
	// resolve looks a name up in the cluster's DNS (Services).
	resolve func(name string) (fqdn, ip string, ok bool)
	// servers are programs that run until stopped.
	servers map[string]bool
	// lastRuns: an unknown program as the script's last command keeps
	// running (a server) unless endsUnknown (a Job's pod).
	endsUnknown bool
	// base files and their changes (from init containers sharing emptyDirs)
	files map[string]*string
	// restricted: kubectl exec, where only the commands of execAllowed run; hint
	// is a directory worth listing.
	restricted bool
	hint       string
}

const (
	shMaxSteps = 20000
	shMaxLines = 2000
)

type shVM struct {
	env     *shEnv
	vars    map[string]string
	arrays  map[string][]string
	files   map[string]*string // overlay: nil = removed
	dirs    map[string]bool
	t       time.Duration
	horizon time.Duration
	steps   int
	res     shResult
	partial strings.Builder // current unfinished output line
	exited  bool
	stopped bool // horizon or step cap reached
	status  int
	loops   int
	breakN  int

	discardErr bool
	own        []volEvent // its own writes to the pod's shared volumes
	written    int        // bytes of writes recorded (bounded by maxWrittenBytes)
}

// runShell runs argv (a container's command and args, already expanded)
// until it ends or the horizon.
func runShell(argv []string, env *shEnv, horizon time.Duration) shResult {
	vm := newVM(env, horizon)
	if len(argv) == 0 {
		vm.res.ended = true
		return vm.res
	}
	prog := path.Base(argv[0])
	var script *shList
	switch {
	case isShell(prog):
		src, args := shellScript(argv[1:])
		if src == "" {
			// A shell with no script and no terminal reads an empty stdin and exits.
			vm.res.ended, vm.res.took = true, 0
			return vm.res
		}
		for i, a := range args {
			vm.vars[strconv.Itoa(i)] = a
		}
		var err error
		script, err = parseShell(src)
		if err != nil {
			vm.write(2, fmt.Sprintf("%s: syntax error: %v\n", prog, err))
			vm.finish(2)
			return vm.res
		}
	default:
		script = &shList{items: []*shAndOr{{pipes: []*shPipe{{cmds: []shNode{&shSimple{words: literalWords(argv)}}}}}}}
	}
	markLast(script)
	vm.runList(script, nil)
	vm.res.pwd = vm.vars["PWD"]
	if vm.exited || !vm.stopped {
		vm.finish(vm.status)
	} else {
		vm.flush()
		vm.res.took = vm.t
		if vm.steps >= shMaxSteps && !vm.res.forever {
			vm.res.forever = true
		}
	}
	return vm.res
}

func newVM(env *shEnv, horizon time.Duration) *shVM {
	vm := &shVM{env: env, vars: map[string]string{}, arrays: map[string][]string{}, files: map[string]*string{},
		dirs: map[string]bool{}, horizon: horizon}
	for k, v := range env.vars {
		vm.vars[k] = v
	}
	for k, v := range env.files {
		vm.files[k] = v
	}
	return vm
}

func (vm *shVM) finish(code int) {
	vm.flush()
	vm.res.ended, vm.res.code, vm.res.took = true, code, vm.t
}

func isShell(prog string) bool {
	switch prog {
	case "sh", "bash", "ash", "dash", "zsh", "ksh":
		return true
	}
	return false
}

// shellScript finds the -c script among a shell's arguments.
func shellScript(args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-c" || (strings.HasPrefix(a, "-") && strings.HasSuffix(a, "c") && !strings.HasPrefix(a, "--")) {
			if i+1 < len(args) {
				return args[i+1], args[i+2:]
			}
			return "", nil
		}
		if !strings.HasPrefix(a, "-") {
			// sh script.sh: a file we do not have; it runs as an unknown program.
			return a, args[i+1:]
		}
	}
	return "", nil
}

// ---- output and files ----

func (vm *shVM) write(fd int, s string) {
	if fd == 2 {
		if vm.discardErr {
			return
		}
		for _, l := range strings.SplitAfter(s, "\n") {
			if l != "" {
				vm.emitFd(strings.TrimSuffix(l, "\n"), 2)
			}
		}
		return
	}
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			vm.partial.WriteString(s)
			return
		}
		vm.partial.WriteString(s[:i])
		vm.emit(vm.partial.String())
		vm.partial.Reset()
		s = s[i+1:]
	}
}

func (vm *shVM) emit(line string) { vm.emitFd(line, 1) }

func (vm *shVM) emitFd(line string, fd int) {
	vm.res.lines = append(vm.res.lines, shLine{at: vm.t, text: line, fd: fd})
	if len(vm.res.lines) > shMaxLines*2 {
		n := len(vm.res.lines) - shMaxLines
		vm.res.dropped += n
		vm.res.lines = append([]shLine(nil), vm.res.lines[n:]...)
	}
}

func (vm *shVM) flush() {
	if vm.partial.Len() > 0 {
		vm.emit(vm.partial.String())
		vm.partial.Reset()
	}
}

func (vm *shVM) abs(p string) string {
	if p == "" {
		return ""
	}
	if !strings.HasPrefix(p, "/") {
		cwd := vm.vars["PWD"]
		if cwd == "" {
			cwd = vm.env.cwd
		}
		if cwd == "" {
			cwd = "/"
		}
		p = cwd + "/" + p
	}
	return path.Clean(p)
}

func (vm *shVM) readFile(p string) (string, bool) {
	p = vm.abs(p)
	if f, ok, in := vm.volStat(p); in {
		if !ok || f.dir {
			return "", false
		}
		return f.data, true
	}
	if v, ok := vm.files[p]; ok {
		if v == nil {
			return "", false
		}
		return *v, true
	}
	if vm.env.lookup != nil {
		return vm.env.lookup(p)
	}
	return "", false
}

// absNow is the wall time of the process's current virtual time.
func (vm *shVM) absNow() time.Time {
	at0 := vm.env.at0
	if at0.IsZero() {
		at0 = vm.env.start
	}
	return at0.Add(vm.t)
}

// inVol finds the shared volume that holds the absolute path p.
func (vm *shVM) inVol(p string) (*volMount, string, bool) {
	if vm.env.vol == nil {
		return nil, "", false
	}
	return locate(vm.env.vol.mounts, p)
}

// volStat is the file or directory at the absolute path p of a shared
// volume now; in reports whether p is in one.
func (vm *shVM) volStat(p string) (f *volFile, ok bool, in bool) {
	m, rel, in := vm.inVol(p)
	if !in {
		return nil, false, false
	}
	if rel == "" {
		return &volFile{dir: true}, true, true
	}
	files := vm.env.vol.state(m.vol, vm.absNow(), vm.own)
	if f := files[rel]; f != nil {
		return f, true, true
	}
	for k := range files {
		if strings.HasPrefix(k, rel+"/") {
			return &volFile{dir: true}, true, true
		}
	}
	return nil, false, true
}

// Bounds on what a simulated process writes, which the simulator keeps
// for the pod's life: a file keeps its last maxFileBytes (as a rotated
// log would), and a process's writes stop being recorded once they hold
// maxWrittenBytes (a loop that appends forever stops growing its file).
const (
	maxFileBytes    = 32 << 10
	maxWrittenBytes = 1 << 20
)

// tail keeps the last maxFileBytes of a file's content.
func tail(data string) string {
	if len(data) > maxFileBytes {
		return data[len(data)-maxFileBytes:]
	}
	return data
}

// full reports whether the process has written all it may record.
func (vm *shVM) full(data string) bool {
	if vm.written+len(data) > maxWrittenBytes {
		return true
	}
	vm.written += len(data)
	return false
}

// volOp records the process's own change to a shared volume.
func (vm *shVM) volOp(m *volMount, rel string, op shOp) {
	if vm.full(op.data) {
		return
	}
	op.data = tail(op.data)
	op.at, op.uid, op.gid = vm.t, vm.env.uid, vm.env.vol.groupOf(vm.env.gid)
	vm.own = append(vm.own, volEvent{at: vm.absNow(), vol: m.vol, rel: rel, op: op})
	vm.res.ops = append(vm.res.ops, op)
}

func (vm *shVM) writeFile(p, data string, appendTo bool) {
	p = vm.abs(p)
	if p == "/dev/null" || p == "/dev/stdout" || p == "/dev/stderr" {
		if p != "/dev/null" {
			vm.write(1, data)
		}
		return
	}
	if m, rel, in := vm.inVol(p); in {
		vm.volOp(m, rel, shOp{path: p, data: data, appendTo: appendTo})
		return
	}
	if appendTo {
		if old, ok := vm.readFile(p); ok {
			data = old + data
		}
	}
	data = tail(data)
	if vm.full(data) {
		return
	}
	d := data
	vm.files[p] = &d
	vm.res.ops = append(vm.res.ops, shOp{at: vm.t, path: p, data: data})
}

func (vm *shVM) makeDir(p string) {
	p = vm.abs(p)
	if m, rel, in := vm.inVol(p); in {
		if rel != "" {
			vm.volOp(m, rel, shOp{path: p, dir: true})
		}
		return
	}
	vm.dirs[p] = true
	vm.res.ops = append(vm.res.ops, shOp{at: vm.t, path: p, dir: true})
}

func (vm *shVM) removeFile(p string) bool {
	p = vm.abs(p)
	if m, rel, in := vm.inVol(p); in {
		_, ok, _ := vm.volStat(p)
		vm.volOp(m, rel, shOp{path: p, remove: true})
		return ok
	}
	_, ok := vm.readFile(p)
	removed := false
	for k, v := range vm.files {
		if v != nil && strings.HasPrefix(k, p+"/") {
			vm.files[k] = nil
			removed = true
		}
	}
	vm.files[p] = nil
	vm.res.ops = append(vm.res.ops, shOp{at: vm.t, path: p, remove: true})
	return ok || removed
}

// listDir lists a directory the simulator knows: inside a mounted volume,
// one the process made, or one it wrote files in.
func (vm *shVM) listDir(p string) ([]string, bool) {
	p = vm.abs(p)
	names := map[string]bool{}
	found := vm.dirs[p]
	if m, rel, in := vm.inVol(p); in {
		f, ok, _ := vm.volStat(p)
		if !ok || !f.dir {
			return nil, false
		}
		prefix := ""
		if rel != "" {
			prefix = rel + "/"
		}
		for k := range vm.env.vol.state(m.vol, vm.absNow(), vm.own) {
			if strings.HasPrefix(k, prefix) && k != rel {
				names[strings.SplitN(k[len(prefix):], "/", 2)[0]] = true
			}
		}
		// Volumes mounted below p.
		for _, mm := range vm.env.vol.mounts {
			if strings.HasPrefix(mm.path, strings.TrimSuffix(p, "/")+"/") {
				names[strings.SplitN(mm.path[len(strings.TrimSuffix(p, "/"))+1:], "/", 2)[0]] = true
			}
		}
		return sortedKeys(names), true
	}
	if vm.env.list != nil {
		if l, ok := vm.env.list(p); ok {
			found = true
			for _, n := range l {
				names[n] = true
			}
		}
	}
	prefix := strings.TrimSuffix(p, "/") + "/"
	for k, v := range vm.files {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		rest := k[len(prefix):]
		first := strings.SplitN(rest, "/", 2)[0]
		if v == nil {
			if !strings.Contains(rest, "/") {
				delete(names, first)
			}
			continue
		}
		if !strings.Contains(rest, "/") {
			found = true
		}
		names[first] = true
	}
	for d := range vm.dirs {
		if strings.HasPrefix(d, prefix) {
			names[strings.SplitN(d[len(prefix):], "/", 2)[0]] = true
		}
	}
	if vm.env.vol != nil {
		for _, mm := range vm.env.vol.mounts {
			if strings.HasPrefix(mm.path, prefix) {
				found = true
				names[strings.SplitN(mm.path[len(prefix):], "/", 2)[0]] = true
			}
		}
	}
	if !found {
		return nil, false
	}
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, true
}

// ---- running ----

func (vm *shVM) tick() bool {
	vm.steps++
	if vm.steps >= shMaxSteps {
		vm.stopped = true
	}
	return !vm.stopped && !vm.exited && vm.breakN == 0
}

func (vm *shVM) sleep(d time.Duration) {
	if vm.t+d > vm.horizon || d < 0 {
		vm.t = vm.horizon
		vm.stopped = true
		return
	}
	vm.t += d
}

func (vm *shVM) blockForever(server string) {
	vm.res.forever = true
	if server != "" && vm.res.server == "" {
		vm.res.server, vm.res.serverAt = server, vm.t
	}
	vm.t = vm.horizon
	vm.stopped = true
}

func (vm *shVM) runList(l *shList, stdin *string) int {
	for _, ao := range l.items {
		if !vm.tick() {
			return vm.status
		}
		vm.status = vm.runAndOr(ao, stdin)
		if vm.breakN > 0 {
			return vm.status
		}
	}
	return vm.status
}

func (vm *shVM) runAndOr(ao *shAndOr, stdin *string) int {
	st := vm.runPipe(ao.pipes[0], stdin)
	for i, op := range ao.ops {
		if vm.exited || vm.stopped || vm.breakN > 0 {
			return st
		}
		if (op == "&&" && st == 0) || (op == "||" && st != 0) {
			st = vm.runPipe(ao.pipes[i+1], stdin)
		}
	}
	return st
}

func (vm *shVM) runPipe(p *shPipe, stdin *string) int {
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
func (vm *shVM) capture(f func()) string {
	saved, savedPartial, savedDropped := vm.res.lines, vm.partial.String(), vm.res.dropped
	vm.res.lines = nil
	vm.partial.Reset()
	f()
	vm.flush()
	var b strings.Builder
	for _, l := range vm.res.lines {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	vm.res.lines, vm.res.dropped = saved, savedDropped
	vm.partial.Reset()
	vm.partial.WriteString(savedPartial)
	return b.String()
}

func (vm *shVM) runNode(n shNode, stdin *string) int {
	if !vm.tick() {
		return vm.status
	}
	switch n := n.(type) {
	case *shSimple:
		return vm.runSimple(n, stdin)
	case *shGroup:
		if n.subshell {
			saved := vm.exited
			st := vm.runList(n.body, stdin)
			vm.exited = saved
			return st
		}
		return vm.runList(n.body, stdin)
	case *shIf:
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
	case *shWhile:
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
			if vm.breakN > 0 {
				vm.breakN--
				break
			}
			if vm.t == before && vm.steps > shMaxSteps/2 {
				// A loop that never waits: it spins forever.
				vm.blockForever("")
			}
		}
		return st
	case *shFor:
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
			if vm.breakN > 0 {
				vm.breakN--
				break
			}
		}
		return st
	}
	return 0
}

func (vm *shVM) runSimple(c *shSimple, stdin *string) int {
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

// ---- expansion ----

func (vm *shVM) lookupVar(name string) string {
	switch name {
	case "?":
		return strconv.Itoa(vm.status)
	case "$":
		return "1"
	case "#":
		return "0"
	case "RANDOM":
		return strconv.Itoa(int(hash(fmt.Sprint(vm.t, vm.steps)) % 32768))
	case "SECONDS":
		return strconv.Itoa(int(vm.t / time.Second))
	}
	return vm.vars[name]
}

func (vm *shVM) expand(w shWord) string { return strings.Join(vm.expandParts(w, false), "") }

// expandFields expands a word into fields (unquoted expansions split on spaces).
func (vm *shVM) expandFields(w shWord) []string {
	return vm.expandParts(w, true)
}

func (vm *shVM) expandParts(w shWord, split bool) []string {
	var fields []string
	cur := strings.Builder{}
	has := false
	for _, p := range w {
		switch p.kind {
		case partLit, partSingle:
			cur.WriteString(p.text)
			has = true
		case partDouble:
			cur.WriteString(vm.expandString(p.text))
			has = true
		case partVar:
			v := vm.expandString(p.text)
			if split {
				fs := strings.Fields(v)
				for i, f := range fs {
					if i > 0 {
						fields = append(fields, cur.String())
						cur.Reset()
					}
					cur.WriteString(f)
					has = true
				}
				if len(fs) == 0 && v != "" {
					has = true
				}
			} else {
				cur.WriteString(v)
				has = true
			}
		}
	}
	if has || !split {
		fields = append(fields, cur.String())
	}
	return fields
}

// expandString expands $VAR, ${VAR...}, $((...)), $(...) and `...` in s.
func (vm *shVM) expandString(s string) string {
	if !strings.ContainsAny(s, "$`") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0 {
			b.WriteByte(s[i+1])
			i++
			continue
		}
		if ch == '`' {
			j := strings.IndexByte(s[i+1:], '`')
			if j < 0 {
				b.WriteString(s[i:])
				break
			}
			b.WriteString(vm.substitute(s[i+1 : i+1+j]))
			i += j + 1
			continue
		}
		if ch != '$' || i+1 >= len(s) {
			b.WriteByte(ch)
			continue
		}
		rest := s[i+1:]
		switch {
		case strings.HasPrefix(rest, "(("):
			j := matchClose(rest, '(', ')')
			if j < 3 {
				b.WriteString(s[i:])
				return b.String()
			}
			b.WriteString(strconv.FormatInt(vm.arith(rest[2:j-1]), 10))
			i += 1 + j
		case rest[0] == '(':
			j := matchClose(rest, '(', ')')
			if j < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			b.WriteString(vm.substitute(rest[1:j]))
			i += 1 + j
		case rest[0] == '{':
			j := matchClose(rest, '{', '}')
			if j < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			b.WriteString(vm.braceExpr(rest[1:j]))
			i += 1 + j
		default:
			j := 0
			if strings.IndexByte("?$#0123456789", rest[0]) >= 0 {
				j = 1
			} else {
				for j < len(rest) && (rest[j] == '_' || isAlnum(rest[j])) {
					j++
				}
			}
			if j == 0 {
				b.WriteByte('$')
				continue
			}
			b.WriteString(vm.lookupVar(rest[:j]))
			i += j
		}
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func matchClose(s string, open, close byte) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func (vm *shVM) braceExpr(e string) string {
	if strings.HasPrefix(e, "#") {
		return strconv.Itoa(len(vm.lookupVar(e[1:])))
	}
	if i := strings.IndexByte(e, '['); i > 0 && strings.HasSuffix(e, "]") {
		name, idx := e[:i], vm.expandString(e[i+1:len(e)-1])
		arr := vm.arrays[name]
		if idx == "@" || idx == "*" {
			return strings.Join(arr, " ")
		}
		n := int(vm.arith(idx))
		if n >= 0 && n < len(arr) {
			return arr[n]
		}
		return ""
	}
	for _, op := range []string{":-", ":=", ":+", "-", "="} {
		if i := strings.Index(e, op); i > 0 {
			name, word := e[:i], vm.expandString(e[i+len(op):])
			v, set := vm.vars[name]
			switch op {
			case ":-":
				if v == "" {
					return word
				}
			case "-":
				if !set {
					return word
				}
			case ":=", "=":
				if v == "" {
					vm.vars[name] = word
					return word
				}
			case ":+":
				if v != "" {
					return word
				}
				return ""
			}
			return v
		}
	}
	return vm.lookupVar(e)
}

// substitute runs a command substitution and returns its output.
func (vm *shVM) substitute(src string) string {
	l, err := parseShell(src)
	if err != nil {
		return ""
	}
	savedExit := vm.exited
	out := vm.capture(func() { vm.runList(l, nil) })
	vm.exited = savedExit
	return strings.TrimRight(out, "\n")
}

// arith evaluates a small integer expression: + - * / % and comparisons.
func (vm *shVM) arith(e string) int64 {
	e = vm.expandString(e)
	toks := arithTokens(e)
	p := &arithParser{toks: toks, vm: vm}
	return p.expr(0)
}

type arithParser struct {
	toks []string
	i    int
	vm   *shVM
}

func arithTokens(e string) []string {
	var out []string
	for i := 0; i < len(e); {
		c := e[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case isAlnum(c) || c == '_':
			j := i
			for j < len(e) && (isAlnum(e[j]) || e[j] == '_') {
				j++
			}
			out = append(out, e[i:j])
			i = j
		default:
			if i+1 < len(e) && strings.Contains("== != <= >= && ||", e[i:i+2]) {
				out = append(out, e[i:i+2])
				i += 2
				continue
			}
			out = append(out, string(c))
			i++
		}
	}
	return out
}

var arithPrec = map[string]int{"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, ">": 4, "<=": 4, ">=": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}

func (p *arithParser) expr(minPrec int) int64 {
	lhs := p.unary()
	for p.i < len(p.toks) {
		op := p.toks[p.i]
		prec, ok := arithPrec[op]
		if !ok || prec <= minPrec {
			break
		}
		p.i++
		rhs := p.expr(prec)
		lhs = arithApply(op, lhs, rhs)
	}
	return lhs
}

func arithApply(op string, a, b int64) int64 {
	bool2 := func(x bool) int64 {
		if x {
			return 1
		}
		return 0
	}
	switch op {
	case "+":
		return a + b
	case "-":
		return a - b
	case "*":
		return a * b
	case "/":
		if b == 0 {
			return 0
		}
		return a / b
	case "%":
		if b == 0 {
			return 0
		}
		return a % b
	case "==":
		return bool2(a == b)
	case "!=":
		return bool2(a != b)
	case "<":
		return bool2(a < b)
	case ">":
		return bool2(a > b)
	case "<=":
		return bool2(a <= b)
	case ">=":
		return bool2(a >= b)
	case "&&":
		return bool2(a != 0 && b != 0)
	case "||":
		return bool2(a != 0 || b != 0)
	}
	return 0
}

func (p *arithParser) unary() int64 {
	if p.i >= len(p.toks) {
		return 0
	}
	t := p.toks[p.i]
	p.i++
	switch t {
	case "-":
		return -p.unary()
	case "+":
		return p.unary()
	case "!":
		if p.unary() == 0 {
			return 1
		}
		return 0
	case "(":
		v := p.expr(0)
		if p.i < len(p.toks) && p.toks[p.i] == ")" {
			p.i++
		}
		return v
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return n
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(p.vm.lookupVar(t)), 10, 64)
	return n
}
