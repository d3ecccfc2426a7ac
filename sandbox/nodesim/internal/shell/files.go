package shell

import (
	"path"
	"strings"
	"time"
)

// write writes s on fd (1 stdout, 2 stderr), line by line.
func (vm *interp) write(fd int, s string) {
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

func (vm *interp) emit(line string) { vm.emitFd(line, 1) }

func (vm *interp) emitFd(line string, fd int) {
	vm.res.Lines = append(vm.res.Lines, Line{At: vm.t, Text: line, Fd: fd})
	if len(vm.res.Lines) > maxLines*2 {
		n := len(vm.res.Lines) - maxLines
		vm.res.Dropped += n
		vm.res.Lines = append([]Line(nil), vm.res.Lines[n:]...)
	}
}

func (vm *interp) flush() {
	if vm.partial.Len() > 0 {
		vm.emit(vm.partial.String())
		vm.partial.Reset()
	}
}

// abs is p made absolute against the working directory.
func (vm *interp) abs(p string) string {
	if p == "" {
		return ""
	}
	if !strings.HasPrefix(p, "/") {
		cwd := vm.vars["PWD"]
		if cwd == "" {
			cwd = vm.env.Cwd
		}
		if cwd == "" {
			cwd = "/"
		}
		p = cwd + "/" + p
	}
	return path.Clean(p)
}

// readFile reads a file: from the shared volumes, what the run wrote, or
// the container's mounts.
func (vm *interp) readFile(p string) (string, bool) {
	p = vm.abs(p)
	if f, ok, in := vm.volStat(p); in {
		if !ok || f.Dir {
			return "", false
		}
		return f.Data, true
	}
	if v, ok := vm.files[p]; ok {
		if v == nil {
			return "", false
		}
		return *v, true
	}
	if vm.env.Files != nil {
		return vm.env.Files.ReadFile(p)
	}
	return "", false
}

// absNow is the wall time of the process's current virtual time.
func (vm *interp) absNow() time.Time {
	at0 := vm.env.At0
	if at0.IsZero() {
		at0 = vm.env.Start
	}
	return at0.Add(vm.t)
}

// inVol finds the shared volume that holds the absolute path p.
func (vm *interp) inVol(p string) (Mount, string, bool) {
	if vm.env.Volumes == nil {
		return Mount{}, "", false
	}
	return vm.env.Volumes.Locate(p)
}

// volStat is the file or directory at the absolute path p of a shared
// volume now; in reports whether p is in one.
func (vm *interp) volStat(p string) (f *File, ok bool, in bool) {
	m, rel, in := vm.inVol(p)
	if !in {
		return nil, false, false
	}
	if rel == "" {
		return &File{Dir: true}, true, true
	}
	files := vm.env.Volumes.State(m.Volume, vm.absNow(), vm.own)
	if f := files[rel]; f != nil {
		return f, true, true
	}
	for k := range files {
		if strings.HasPrefix(k, rel+"/") {
			return &File{Dir: true}, true, true
		}
	}
	return nil, false, true
}

// full reports whether the process has written all it may record.
func (vm *interp) full(data string) bool {
	if vm.written+len(data) > maxWrittenBytes {
		return true
	}
	vm.written += len(data)
	return false
}

// volOp records the process's own change to a shared volume.
func (vm *interp) volOp(m Mount, rel string, op Op) {
	if vm.full(op.Data) {
		return
	}
	op.Data = Truncate(op.Data)
	op.At, op.UID, op.GID = vm.t, vm.env.UID, vm.env.Volumes.GroupOf(vm.env.GID)
	vm.own = append(vm.own, Event{At: vm.absNow(), Volume: m.Volume, Rel: rel, Op: op})
	vm.res.Ops = append(vm.res.Ops, op)
}

// writeFile writes (or appends to) a file, and records the change.
func (vm *interp) writeFile(p, data string, appendTo bool) {
	p = vm.abs(p)
	if p == "/dev/null" || p == "/dev/stdout" || p == "/dev/stderr" {
		if p != "/dev/null" {
			vm.write(1, data)
		}
		return
	}
	if m, rel, in := vm.inVol(p); in {
		vm.volOp(m, rel, Op{Path: p, Data: data, Append: appendTo})
		return
	}
	if appendTo {
		if old, ok := vm.readFile(p); ok {
			data = old + data
		}
	}
	data = Truncate(data)
	if vm.full(data) {
		return
	}
	d := data
	vm.files[p] = &d
	vm.res.Ops = append(vm.res.Ops, Op{At: vm.t, Path: p, Data: data})
}

// makeDir makes a directory, and records the change.
func (vm *interp) makeDir(p string) {
	p = vm.abs(p)
	if m, rel, in := vm.inVol(p); in {
		if rel != "" {
			vm.volOp(m, rel, Op{Path: p, Dir: true})
		}
		return
	}
	vm.dirs[p] = true
	vm.res.Ops = append(vm.res.Ops, Op{At: vm.t, Path: p, Dir: true})
}

// removeFile removes a file or a directory tree, and records the change;
// it reports whether there was one.
func (vm *interp) removeFile(p string) bool {
	p = vm.abs(p)
	if m, rel, in := vm.inVol(p); in {
		_, ok, _ := vm.volStat(p)
		vm.volOp(m, rel, Op{Path: p, Remove: true})
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
	for d := range vm.dirs {
		if d == p || strings.HasPrefix(d, p+"/") {
			delete(vm.dirs, d)
			removed = true
		}
	}
	vm.files[p] = nil
	vm.res.Ops = append(vm.res.Ops, Op{At: vm.t, Path: p, Remove: true})
	return ok || removed
}

// listDir lists a directory the simulator knows: inside a mounted volume,
// one the process made, or one it wrote files in.
func (vm *interp) listDir(p string) ([]string, bool) {
	p = vm.abs(p)
	names := map[string]bool{}
	found := vm.dirs[p]
	if m, rel, in := vm.inVol(p); in {
		f, ok, _ := vm.volStat(p)
		if !ok || !f.Dir {
			return nil, false
		}
		prefix := ""
		if rel != "" {
			prefix = rel + "/"
		}
		for k := range vm.env.Volumes.State(m.Volume, vm.absNow(), vm.own) {
			if strings.HasPrefix(k, prefix) && k != rel {
				names[strings.SplitN(k[len(prefix):], "/", 2)[0]] = true
			}
		}
		// Volumes mounted below p.
		for _, mm := range vm.env.Volumes.Mounts() {
			if strings.HasPrefix(mm.Path, strings.TrimSuffix(p, "/")+"/") {
				names[strings.SplitN(mm.Path[len(strings.TrimSuffix(p, "/"))+1:], "/", 2)[0]] = true
			}
		}
		return sortedNames(names), true
	}
	if vm.env.Files != nil {
		if l, ok := vm.env.Files.ReadDir(p); ok {
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
	if vm.env.Volumes != nil {
		for _, mm := range vm.env.Volumes.Mounts() {
			if strings.HasPrefix(mm.Path, prefix) {
				found = true
				names[strings.SplitN(mm.Path[len(prefix):], "/", 2)[0]] = true
			}
		}
	}
	if !found {
		return nil, false
	}
	return sortedNames(names), true
}
