package shell

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// echo prints its arguments (-n: no newline, -e: escapes).
func (vm *interp) echo(c call) int {
	args := c.args
	nl, esc := true, false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && len(args[0]) > 1 && strings.Trim(args[0][1:], "neE") == "" {
		if strings.Contains(args[0], "n") {
			nl = false
		}
		if strings.Contains(args[0], "e") {
			esc = true
		}
		args = args[1:]
	}
	s := strings.Join(args, " ")
	if esc {
		s = unescape(s)
	}
	if nl {
		s += "\n"
	}
	vm.write(1, s)
	return 0
}

// printf prints its arguments in a format.
func (vm *interp) printf(c call) int {
	if len(c.args) == 0 {
		return 1
	}
	vm.write(1, formatPrintf(c.args[0], c.args[1:]))
	return 0
}

// printenv prints the environment, or the variables named.
func (vm *interp) printenv(c call) int {
	if len(c.args) == 0 {
		vm.write(1, vm.environ())
		return 0
	}
	st := 0
	for _, a := range c.args {
		if v, ok := vm.vars[a]; ok && vm.exported(a) {
			vm.write(1, v+"\n")
		} else {
			st = 1
		}
	}
	return st
}

// environment is env: it prints the environment.
func (vm *interp) environment(call) int {
	vm.write(1, vm.environ())
	return 0
}

// date prints the virtual time (+FORMAT: in strftime's format).
func (vm *interp) date(c call) int {
	now := vm.env.Start.Add(vm.t).UTC()
	for _, a := range c.args {
		if strings.HasPrefix(a, "+") {
			vm.write(1, strftime(a[1:], now)+"\n")
			return 0
		}
	}
	vm.write(1, now.Format("Mon Jan _2 15:04:05 UTC 2006")+"\n")
	return 0
}

// hostname prints the pod's host name.
func (vm *interp) hostname(call) int {
	vm.write(1, vm.env.Hostname+"\n")
	return 0
}

// uname prints the kernel's name (-a: the node's whole uname).
func (vm *interp) uname(c call) int {
	if len(c.args) > 0 && strings.Contains(c.args[0], "a") {
		vm.write(1, "Linux "+vm.env.Hostname+" 6.1.127-135.201.amzn2023.x86_64 #1 SMP Tue Jan 28 22:13:57 UTC 2025 x86_64 GNU/Linux\n")
	} else {
		vm.write(1, "Linux\n")
	}
	return 0
}

// whoami prints the process's user.
func (vm *interp) whoami(call) int {
	vm.write(1, UserName(vm.env.UID)+"\n")
	return 0
}

// id prints the process's user, group and supplementary groups.
func (vm *interp) id(call) int {
	named := func(id int64) string {
		if n := UserName(id); n != strconv.FormatInt(id, 10) {
			return fmt.Sprintf("%d(%s)", id, n)
		}
		return strconv.FormatInt(id, 10)
	}
	groups := map[int64]bool{vm.env.GID: true}
	for _, g := range vm.env.Groups {
		groups[g] = true
	}
	ids := make([]int64, 0, len(groups))
	for g := range groups {
		ids = append(ids, g)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	names := make([]string, len(ids))
	for i, g := range ids {
		names[i] = named(g)
	}
	vm.write(1, fmt.Sprintf("uid=%s gid=%s groups=%s\n", named(vm.env.UID), named(vm.env.GID), strings.Join(names, ",")))
	return 0
}

// ps lists the container's processes, and itself.
func (vm *interp) ps(c call) int {
	user := UserName(vm.env.UID)
	vm.write(1, "PID   USER     TIME  COMMAND\n")
	pid := 1
	for _, p := range vm.env.Procs {
		vm.write(1, fmt.Sprintf("%5d %-8s  0:00 %s\n", pid, user, p))
		pid += 6
	}
	vm.write(1, fmt.Sprintf("%5d %-8s  0:00 ps %s\n", pid, user, strings.Join(c.args, " ")))
	return 0
}

// exported reports whether a variable is in the environment.
func (vm *interp) exported(name string) bool {
	_, ok := vm.env.Vars[name]
	return ok || vm.exports[name] || vm.vars[name] != ""
}

// environ is the environment as env prints it: in the container's order,
// then the others sorted.
func (vm *interp) environ() string {
	var b strings.Builder
	seen := map[string]bool{}
	for _, k := range vm.env.Order {
		if v, ok := vm.vars[k]; ok {
			b.WriteString(k + "=" + v + "\n")
			seen[k] = true
		}
	}
	var rest []string
	for k := range vm.env.Vars {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	for k := range vm.exports {
		if _, ok := vm.env.Vars[k]; !ok && !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		if v, ok := vm.vars[k]; ok {
			b.WriteString(k + "=" + v + "\n")
		}
	}
	return b.String()
}

// UserName is the name of user id in the images lessons use, or the id.
func UserName(id int64) string {
	switch id {
	case 0:
		return "root"
	case 101:
		return "nginx"
	case 999:
		return "redis"
	case 65534:
		return "nobody"
	}
	return strconv.FormatInt(id, 10)
}
