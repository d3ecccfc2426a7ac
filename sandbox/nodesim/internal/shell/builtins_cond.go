package shell

import (
	"regexp"
	"strconv"
	"strings"
)

// test is test, [ and [[ (with =~ too): file tests, string and integer
// comparisons.
func (vm *interp) test(c call) int {
	args := c.args
	if c.name == "[[" && len(args) >= 3 && args[1] == "=~" {
		return vm.match(args[0], strings.Join(args[2:len(args)-1], " "))
	}
	return vm.condition(args)
}

// condition evaluates test's expression.
func (vm *interp) condition(args []string) int {
	if len(args) > 0 && (args[len(args)-1] == "]" || args[len(args)-1] == "]]") {
		args = args[:len(args)-1]
	}
	b2i := func(b bool) int {
		if b {
			return 0
		}
		return 1
	}
	neg := false
	if len(args) > 0 && args[0] == "!" {
		neg, args = true, args[1:]
	}
	r := 1
	switch len(args) {
	case 0:
		r = 1
	case 1:
		r = b2i(args[0] != "")
	case 2:
		switch args[0] {
		case "-z":
			r = b2i(args[1] == "")
		case "-n":
			r = b2i(args[1] != "")
		case "-e", "-f", "-s", "-r":
			_, ok := vm.readFile(args[1])
			if !ok && args[0] == "-e" {
				_, ok = vm.listDir(args[1])
			}
			r = b2i(ok)
		case "-d":
			_, ok := vm.listDir(args[1])
			r = b2i(ok)
		}
	default:
		a, op, b := args[0], args[1], args[2]
		ai, _ := strconv.Atoi(a)
		bi, _ := strconv.Atoi(b)
		switch op {
		case "=", "==":
			r = b2i(a == b)
		case "!=":
			r = b2i(a != b)
		case "-eq":
			r = b2i(ai == bi)
		case "-ne":
			r = b2i(ai != bi)
		case "-lt":
			r = b2i(ai < bi)
		case "-le":
			r = b2i(ai <= bi)
		case "-gt":
			r = b2i(ai > bi)
		case "-ge":
			r = b2i(ai >= bi)
		}
	}
	if neg {
		return 1 - r
	}
	return r
}

// match is bash's [[ s =~ re ]]: it sets BASH_REMATCH.
func (vm *interp) match(s, re string) int {
	rx, err := regexp.Compile(re)
	if err != nil {
		return 2
	}
	m := rx.FindStringSubmatch(s)
	if m == nil {
		delete(vm.arrays, "BASH_REMATCH")
		return 1
	}
	vm.arrays["BASH_REMATCH"] = m
	return 0
}
