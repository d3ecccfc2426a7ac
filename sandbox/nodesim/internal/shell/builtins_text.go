package shell

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// textTool is cat, tac, rev, head, tail (-f: follow), wc, sort and grep:
// they read files, or their input.
func (vm *interp) textTool(c call) int {
	base, args, stdin := c.name, c.args, c.stdin
	var files []string
	opts := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			if (a == "-n" || a == "-c") && i+1 < len(args) {
				opts[a] = args[i+1]
				i++
				continue
			}
			if base == "tail" && a == "-f" {
				opts["-f"] = "1"
			}
			if isDigits(a[1:]) {
				opts["-n"] = a[1:]
			}
			opts[a] = "1"
			continue
		}
		if base == "grep" && opts["pattern"] == "" {
			opts["pattern"] = a
			opts["has"] = "1"
			continue
		}
		files = append(files, a)
	}
	if base == "tail" && (opts["-f"] != "" || opts["-F"] != "") {
		n := 10
		if v, ok := opts["-n"]; ok {
			n, _ = strconv.Atoi(strings.TrimPrefix(v, "+"))
		}
		if len(files) == 1 && !vm.follow(files[0], n, opts["-F"] != "") {
			return 1
		}
		vm.blockForever("")
		return 0
	}
	var input strings.Builder
	st := 0
	if len(files) == 0 && stdin != nil {
		input.WriteString(*stdin)
	}
	for _, f := range files {
		data, ok := vm.readFile(f)
		if !ok {
			if _, isDir := vm.listDir(f); isDir {
				vm.write(2, fmt.Sprintf("%s: read error: Is a directory\n", base))
			} else {
				vm.write(2, fmt.Sprintf("%s: can't open '%s': No such file or directory\n", base, f))
			}
			st = 1
			continue
		}
		input.WriteString(data)
	}
	text := input.String()
	lines := strings.SplitAfter(text, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	n := 10
	if v, ok := opts["-n"]; ok {
		n, _ = strconv.Atoi(strings.TrimPrefix(v, "+"))
	}
	switch base {
	case "cat":
		vm.write(1, text)
	case "tac":
		for i := len(lines) - 1; i >= 0; i-- {
			vm.write(1, strings.TrimSuffix(lines[i], "\n")+"\n")
		}
	case "rev":
		for _, l := range lines {
			r := []rune(strings.TrimSuffix(l, "\n"))
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			vm.write(1, string(r)+"\n")
		}
	case "head":
		for i := 0; i < n && i < len(lines); i++ {
			vm.write(1, lines[i])
		}
	case "tail":
		start := len(lines) - n
		if start < 0 {
			start = 0
		}
		for _, l := range lines[start:] {
			vm.write(1, l)
		}
	case "wc":
		if opts["-l"] != "" {
			vm.write(1, strconv.Itoa(strings.Count(text, "\n"))+"\n")
		} else {
			vm.write(1, fmt.Sprintf("%7d %7d %7d\n", strings.Count(text, "\n"), len(strings.Fields(text)), len(text)))
		}
	case "sort":
		sorted := append([]string(nil), lines...)
		sort.Strings(sorted)
		for _, l := range sorted {
			vm.write(1, l)
		}
	case "grep":
		found := false
		for _, l := range lines {
			match := strings.Contains(l, opts["pattern"])
			if opts["-i"] != "" {
				match = strings.Contains(strings.ToLower(l), strings.ToLower(opts["pattern"]))
			}
			if opts["-v"] != "" {
				match = !match
			}
			if match {
				found = true
				if opts["-q"] == "" {
					vm.write(1, l)
				}
			}
		}
		if !found && st == 0 {
			st = 1
		}
	}
	return st
}

// follow is tail -f/-F of file f: its last n lines, then what the pod's
// containers append to it, when they do, until the horizon. A missing file
// ends tail -f (false); tail -F waits for it.
func (vm *interp) follow(f string, n int, retry bool) bool {
	p := vm.abs(f)
	cur, ok := vm.readFile(p)
	if ok {
		lines := strings.SplitAfter(cur, "\n")
		if len(lines) > 0 && lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		vm.write(1, strings.Join(lines, ""))
	} else {
		vm.write(2, fmt.Sprintf("tail: can't open '%s': No such file or directory\n", f))
		if !retry {
			return false
		}
	}
	m, rel, in := vm.inVol(p)
	if !in {
		return true
	}
	at0 := vm.absNow().Add(-vm.t)
	for _, e := range vm.env.Volumes.Changes(m.Volume, vm.absNow(), at0.Add(vm.horizon)) {
		if !vm.tick() {
			break
		}
		touches := e.Rel == rel || (e.Op.Remove && (e.Rel == "" || strings.HasPrefix(rel, e.Rel+"/")))
		if !touches || e.Op.Dir {
			continue
		}
		vm.t = e.At.Sub(at0)
		switch {
		case e.Op.Remove:
			ok, cur = false, ""
		case e.Op.Append:
			cur += e.Op.Data
			vm.write(1, e.Op.Data)
			ok = true
		default:
			if ok && strings.HasPrefix(e.Op.Data, cur) {
				vm.write(1, e.Op.Data[len(cur):])
			} else {
				if ok {
					vm.write(2, fmt.Sprintf("tail: %s: file truncated\n", f))
				}
				vm.write(1, e.Op.Data)
			}
			cur, ok = e.Op.Data, true
		}
	}
	return true
}
