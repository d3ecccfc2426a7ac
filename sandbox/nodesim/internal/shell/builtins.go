package shell

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// The commands the simulated shell knows are its builtins. Anything else
// is a program we do not have: it does nothing and succeeds, unless it is
// a known server or the script's last command (then it is the container's
// main process).

// call is one command a script runs.
type call struct {
	name  string   // the program's base name
	args  []string // its arguments
	stdin *string  // what it reads (nil: nothing)
	last  bool     // the script's last command at top level
}

// builtin runs a command the shell knows and returns its exit code.
type builtin func(vm *interp, c call) int

// builtins are the commands the shell knows, by name.
var builtins = map[string]builtin{
	// The shell's own.
	"exit": (*interp).exit, "true": succeed, ":": succeed, "false": fail,
	"break": (*interp).breakLoop, "continue": (*interp).continueLoop,
	"export": (*interp).export, "unset": (*interp).unset, "cd": (*interp).cd, "pwd": (*interp).pwd,
	"set": succeed, "trap": succeed, "shift": succeed, "wait": succeed, "ulimit": succeed, "umask": succeed,
	"source": succeed, ".": succeed, "alias": succeed, "hash": succeed, "type": succeed, "command": succeed,
	"local": succeed, "readonly": succeed, "declare": succeed, "typeset": succeed,
	"test": (*interp).test, "[": (*interp).test, "[[": (*interp).test,

	// Output, environment and identity.
	"echo": (*interp).echo, "printf": (*interp).printf,
	"printenv": (*interp).printenv, "env": (*interp).environment,
	"date": (*interp).date, "hostname": (*interp).hostname, "uname": (*interp).uname,
	"whoami": (*interp).whoami, "id": (*interp).id, "ps": (*interp).ps,

	// Files.
	"ls": (*interp).ls, "touch": (*interp).touch, "mkdir": (*interp).mkdir,
	"rm": (*interp).rm, "rmdir": (*interp).rm, "cp": (*interp).copyFiles, "mv": (*interp).copyFiles,
	"tee": (*interp).tee,
	"cat": (*interp).textTool, "tac": (*interp).textTool, "rev": (*interp).textTool, "head": (*interp).textTool,
	"tail": (*interp).textTool, "wc": (*interp).textTool, "sort": (*interp).textTool, "grep": (*interp).textTool,

	// Processes.
	"sleep": (*interp).sleepCmd, "kill": (*interp).kill,
	// No other process runs in a simulated container (nginx -s quit has ended it).
	"killall": fail, "pkill": fail, "pgrep": fail, "pidof": fail,
	"perl": (*interp).interpreter, "python": (*interp).interpreter, "python3": (*interp).interpreter,
	"ruby": (*interp).interpreter, "node": (*interp).interpreter,
	"stress": (*interp).stress, "stress-ng": (*interp).stress,

	// The network.
	"wget": (*interp).fetch, "curl": (*interp).fetch,
	"nslookup": (*interp).lookupName, "getent": (*interp).lookupName, "host": (*interp).lookupName,
}

// command runs one command: a builtin, or a program the shell does not know.
func (vm *interp) command(argv []string, stdin *string, last bool) int {
	c := call{name: path.Base(argv[0]), args: argv[1:], stdin: stdin, last: last}
	if vm.env.Restricted && !ExecCommands[c.name] {
		vm.write(2, fmt.Sprintf(ExecMessage+"\n", c.name))
		return 126
	}
	if b, ok := builtins[c.name]; ok {
		return b(vm, c)
	}
	return vm.program(c)
}

// program runs a program the shell does not know: a known server runs
// until stopped, and so does the script's last command (the container's
// main program) unless unknown programs end (a Job's, a probe's).
func (vm *interp) program(c call) int {
	if vm.env.Servers[c.name] {
		vm.blockForever(c.name)
		return 0
	}
	if c.last && vm.loops == 0 {
		// The container's main program, one we know nothing about.
		if vm.env.EndsUnknown {
			return 0
		}
		vm.blockForever(c.name)
		return 0
	}
	return 0
}

// succeed is true and the builtins that change nothing the simulation keeps.
func succeed(*interp, call) int { return 0 }

// fail is false.
func fail(*interp, call) int { return 1 }

// exit ends the script with the code given, or the last command's.
func (vm *interp) exit(c call) int {
	code := vm.status
	if len(c.args) > 0 {
		code, _ = strconv.Atoi(c.args[0])
	}
	vm.status = code & 0xff
	vm.exited = true
	return vm.status
}

// breakLoop is break: it leaves the innermost loop.
func (vm *interp) breakLoop(call) int {
	if vm.loops > 0 {
		vm.breakN = 1
	}
	return 0
}

// continueLoop is continue: it skips the rest of the innermost loop's body.
func (vm *interp) continueLoop(call) int {
	if vm.loops > 0 {
		vm.continuing = true
	}
	return 0
}

// export sets the variables given as NAME=value.
func (vm *interp) export(c call) int {
	for _, a := range c.args {
		name := a
		if i := strings.IndexByte(a, '='); i > 0 {
			name = a[:i]
			vm.vars[name] = a[i+1:]
		}
		vm.exports[name] = true
	}
	return 0
}

// unset removes variables.
func (vm *interp) unset(c call) int {
	for _, a := range c.args {
		delete(vm.vars, a)
	}
	return 0
}

// cd changes the working directory (home is /root).
func (vm *interp) cd(c call) int {
	d := "/root"
	if len(c.args) > 0 {
		d = c.args[0]
	}
	vm.vars["PWD"] = vm.abs(d)
	return 0
}

// pwd prints the working directory.
func (vm *interp) pwd(call) int {
	vm.write(1, vm.abs(".")+"\n")
	return 0
}
