package shell

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// sleepCmd is sleep: it takes virtual time (infinity: forever).
func (vm *interp) sleepCmd(c call) int {
	if len(c.args) == 0 {
		vm.write(2, "sleep: missing operand\n")
		return 1
	}
	if c.args[0] == "infinity" || c.args[0] == "inf" {
		vm.blockForever("")
		return 0
	}
	vm.sleep(ParseDuration(c.args[0]))
	return 0
}

// interpreter is perl, python, ruby and node: a one-liner ends at once,
// perl's bpi(n) prints pi after the time it takes; a script is a program
// the shell does not know.
func (vm *interp) interpreter(c call) int {
	args := c.args
	for i, a := range args {
		if (a == "-e" || a == "-c" || a == "-le" || a == "-wle") && i+1 < len(args) && !bpiRe.MatchString(args[i+1]) {
			// A one-liner: it prints what it prints (unknown here) and ends.
			return 0
		}
		if m := bpiRe.FindStringSubmatch(a); m != nil {
			n, _ := strconv.Atoi(m[1])
			if n > 10000 {
				n = 10000
			}
			vm.sleep(time.Duration(n) * time.Millisecond)
			vm.write(1, piDigits(n)+"\n")
			return 0
		}
	}
	return vm.program(c)
}

// stress is stress and stress-ng: it declares what it burns and runs for
// its --timeout, or forever.
func (vm *interp) stress(c call) int {
	args := c.args
	vm.declareStress(args)
	for i, a := range args {
		if (a == "--timeout" || a == "-t") && i+1 < len(args) {
			vm.sleep(ParseDuration(args[i+1]))
			return 0
		}
	}
	vm.blockForever(c.name)
	return 0
}

// kill signals a process of the container. Only PID 1 exists; as the
// container's init it ignores signals it has no handler for (sleep, sh)
// and SIGKILL from inside the container; a server that handles SIGTERM
// (nginx, redis...) exits, and the kubelet restarts the container.
func (vm *interp) kill(c call) int {
	args := c.args
	sig := "TERM"
	var pids []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-s" && i+1 < len(args):
			sig = strings.TrimPrefix(strings.ToUpper(args[i+1]), "SIG")
			i++
		case a == "-l":
			vm.write(1, " 1) HUP\n 2) INT\n 3) QUIT\n 9) KILL\n15) TERM\n")
			return 0
		case strings.HasPrefix(a, "-") && len(a) > 1:
			sig = strings.TrimPrefix(strings.ToUpper(a[1:]), "SIG")
		default:
			pids = append(pids, a)
		}
	}
	if len(pids) == 0 {
		vm.write(2, "kill: usage: kill [-s SIGNAL | -SIGNAL] PID...\n")
		return 1
	}
	st := 0
	for _, pid := range pids {
		if pid != "1" {
			vm.write(2, fmt.Sprintf("sh: can't kill pid %s: No such process\n", pid))
			st = 1
			continue
		}
		switch sig {
		case "TERM", "15", "INT", "2", "QUIT", "3":
			if vm.env.MainStops {
				vm.res.StopMain = true
			}
		}
	}
	return st
}

// bpiRe finds perl's bpi(n) (pi with n digits).
var bpiRe = regexp.MustCompile(`bpi\((\d+)\)`)

// declareStress records the memory and CPU stress says it burns.
func (vm *interp) declareStress(args []string) {
	workers := int64(1)
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--vm-bytes":
			if q, err := resource.ParseQuantity(strings.TrimSuffix(strings.TrimSuffix(args[i+1], "B"), "b")); err == nil {
				vm.res.Memory = q.Value()
			}
		case "--vm", "-m":
			workers, _ = strconv.ParseInt(args[i+1], 10, 64)
		case "--cpu", "-c", "-cpus":
			n, _ := strconv.ParseInt(args[i+1], 10, 64)
			vm.res.CPU = n * 1000
		}
	}
	if vm.res.Memory > 0 && workers > 1 {
		vm.res.Memory *= workers
	}
	if vm.res.Memory == 0 {
		for _, a := range args {
			if a == "--vm" || a == "-m" {
				vm.res.Memory = 256 << 20 // stress's default --vm-bytes
			}
		}
	}
}

// piDigits returns pi with n digits after the point (Machin's formula).
func piDigits(n int) string {
	unity := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n+10)), nil)
	arccot := func(x int64) *big.Int {
		sum := new(big.Int)
		xp := new(big.Int).Div(unity, big.NewInt(x))
		x2 := big.NewInt(x * x)
		term := new(big.Int)
		for k := int64(0); xp.Sign() != 0; k++ {
			term.Div(xp, big.NewInt(2*k+1))
			if k%2 == 0 {
				sum.Add(sum, term)
			} else {
				sum.Sub(sum, term)
			}
			xp.Div(xp, x2)
		}
		return sum
	}
	pi := new(big.Int).Mul(big.NewInt(4), new(big.Int).Sub(new(big.Int).Mul(big.NewInt(4), arccot(5)), arccot(239)))
	s := pi.String()
	s = s[:len(s)-10]
	// perl's bpi(n) prints n significant digits.
	if n > 1 {
		return s[:1] + "." + s[1:n]
	}
	return s[:1]
}
