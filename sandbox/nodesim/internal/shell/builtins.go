package shell

import (
	"fmt"
	"math/big"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubelab/kubelab/sandbox/nodesim/internal/stablehash"
	"k8s.io/apimachinery/pkg/api/resource"
)

// The commands the simulated shell knows. Anything else is a program we do
// not have: it does nothing and succeeds, unless it is a known server or
// the script's last command (then it is the container's main process).

func (vm *interp) command(argv []string, stdin *string, last bool) int {
	prog := argv[0]
	base := path.Base(prog)
	args := argv[1:]
	if vm.env.Restricted && !ExecCommands[base] {
		vm.write(2, fmt.Sprintf(ExecMessage+"\n", base))
		return 126
	}
	out := func(s string) { vm.write(1, s) }
	errf := func(format string, a ...any) { vm.write(2, fmt.Sprintf(format, a...)) }
	switch base {
	case "exit":
		code := vm.status
		if len(args) > 0 {
			code, _ = strconv.Atoi(args[0])
		}
		vm.status = code & 0xff
		vm.exited = true
		return vm.status
	case "true", ":":
		return 0
	case "false":
		return 1
	case "break", "continue":
		if vm.loops > 0 && base == "break" {
			vm.breakN = 1
		}
		return 0
	case "echo":
		nl, esc := true, false
		for len(args) > 0 && strings.HasPrefix(args[0], "-") && strings.Trim(args[0], "-neE") == "" && len(args[0]) > 1 {
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
		out(s)
		return 0
	case "printf":
		if len(args) == 0 {
			return 1
		}
		out(formatPrintf(args[0], args[1:]))
		return 0
	case "printenv":
		if len(args) == 0 {
			out(vm.environ())
			return 0
		}
		st := 0
		for _, a := range args {
			if v, ok := vm.vars[a]; ok && vm.exported(a) {
				out(v + "\n")
			} else {
				st = 1
			}
		}
		return st
	case "env":
		out(vm.environ())
		return 0
	case "export":
		for _, a := range args {
			if i := strings.IndexByte(a, '='); i > 0 {
				vm.vars[a[:i]] = a[i+1:]
			}
		}
		return 0
	case "unset":
		for _, a := range args {
			delete(vm.vars, a)
		}
		return 0
	case "set", "trap", "shift", "wait", "ulimit", "umask", "source", ".", "alias", "hash", "type", "command", "local", "readonly", "declare", "typeset":
		return 0
	case "cd":
		d := "/root"
		if len(args) > 0 {
			d = args[0]
		}
		vm.vars["PWD"] = vm.abs(d)
		return 0
	case "pwd":
		out(vm.abs(".") + "\n")
		return 0
	case "sleep":
		if len(args) == 0 {
			errf("sleep: missing operand\n")
			return 1
		}
		if args[0] == "infinity" || args[0] == "inf" {
			vm.blockForever("")
			return 0
		}
		vm.sleep(ParseDuration(args[0]))
		return 0
	case "date":
		now := vm.env.Start.Add(vm.t).UTC()
		for _, a := range args {
			if strings.HasPrefix(a, "+") {
				out(strftime(a[1:], now) + "\n")
				return 0
			}
		}
		out(now.Format("Mon Jan _2 15:04:05 UTC 2006") + "\n")
		return 0
	case "hostname":
		out(vm.env.Hostname + "\n")
		return 0
	case "whoami":
		out(UserName(vm.env.UID) + "\n")
		return 0
	case "id":
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
		out(fmt.Sprintf("uid=%s gid=%s groups=%s\n", named(vm.env.UID), named(vm.env.GID), strings.Join(names, ",")))
		return 0
	case "ps":
		user := UserName(vm.env.UID)
		out("PID   USER     TIME  COMMAND\n")
		pid := 1
		for _, p := range vm.env.Procs {
			out(fmt.Sprintf("%5d %-8s  0:00 %s\n", pid, user, p))
			pid += 6
		}
		out(fmt.Sprintf("%5d %-8s  0:00 ps %s\n", pid, user, strings.Join(args, " ")))
		return 0
	case "tee":
		appendTo := false
		var files []string
		for _, a := range args {
			if a == "-a" || a == "--append" {
				appendTo = true
			} else if !strings.HasPrefix(a, "-") {
				files = append(files, a)
			}
		}
		in := ""
		if stdin != nil {
			in = *stdin
		}
		for _, f := range files {
			vm.writeFile(f, in, appendTo)
		}
		out(in)
		return 0
	case "uname":
		if len(args) > 0 && strings.Contains(args[0], "a") {
			out("Linux " + vm.env.Hostname + " 6.1.127-135.201.amzn2023.x86_64 #1 SMP Tue Jan 28 22:13:57 UTC 2025 x86_64 GNU/Linux\n")
		} else {
			out("Linux\n")
		}
		return 0
	case "touch":
		for _, a := range args {
			if strings.HasPrefix(a, "-") {
				continue
			}
			if old, ok := vm.readFile(a); ok {
				vm.writeFile(a, old, false)
			} else {
				vm.writeFile(a, "", false)
			}
		}
		return 0
	case "mkdir":
		for _, a := range args {
			if !strings.HasPrefix(a, "-") {
				vm.makeDir(a)
			}
		}
		return 0
	case "rm", "rmdir":
		for _, a := range args {
			if vm.env.Restricted && !strings.HasPrefix(a, "-") && vm.abs(a) == "/" {
				vm.write(2, fmt.Sprintf(ExecMessage+"\n", base))
				return 126
			}
		}
		force := false
		st := 0
		for _, a := range args {
			if strings.HasPrefix(a, "-") {
				force = force || strings.Contains(a, "f")
				continue
			}
			if !vm.removeFile(a) && !force {
				errf("rm: can't remove '%s': No such file or directory\n", a)
				st = 1
			}
		}
		return st
	case "cp", "mv":
		var files []string
		for _, a := range args {
			if !strings.HasPrefix(a, "-") {
				files = append(files, a)
			}
		}
		if len(files) < 2 {
			return 1
		}
		dst := files[len(files)-1]
		for _, src := range files[:len(files)-1] {
			data, ok := vm.readFile(src)
			if !ok {
				errf("%s: can't stat '%s': No such file or directory\n", base, src)
				return 1
			}
			target := dst
			if _, isDir := vm.listDir(dst); isDir {
				target = dst + "/" + path.Base(src)
			}
			vm.writeFile(target, data, false)
			if base == "mv" {
				vm.removeFile(src)
			}
		}
		return 0
	case "cat", "rev", "head", "tail", "wc", "sort", "grep", "tac":
		return vm.textTool(base, args, stdin)
	case "ls":
		return vm.ls(args)
	case "test", "[", "[[":
		if base == "[[" && len(args) >= 3 && args[1] == "=~" {
			return vm.match(args[0], strings.Join(args[2:len(args)-1], " "))
		}
		return vm.test(args)
	case "kill":
		return vm.kill(args)
	case "killall", "pkill", "pgrep", "pidof":
		// No other process runs in a simulated container (nginx -s quit has ended it).
		return 1
	case "wget", "curl":
		return vm.fetch(base, args)
	case "nslookup", "getent", "host":
		return vm.lookupName(base, args)
	case "perl", "python", "python3", "ruby", "node":
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
				out(piDigits(n) + "\n")
				return 0
			}
		}
	case "stress", "stress-ng":
		vm.declareStress(args)
		for i, a := range args {
			if (a == "--timeout" || a == "-t") && i+1 < len(args) {
				vm.sleep(ParseDuration(args[i+1]))
				return 0
			}
		}
		vm.blockForever(base)
		return 0
	}
	if vm.env.Servers[base] {
		vm.blockForever(base)
		return 0
	}
	if last && vm.loops == 0 {
		// The container's main program, one we know nothing about.
		if vm.env.EndsUnknown {
			return 0
		}
		vm.blockForever(base)
		return 0
	}
	return 0
}

var bpiRe = regexp.MustCompile(`bpi\((\d+)\)`)

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

func (vm *interp) exported(name string) bool {
	_, ok := vm.env.Vars[name]
	return ok || vm.vars[name] != ""
}

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

func (vm *interp) textTool(base string, args []string, stdin *string) int {
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

func (vm *interp) ls(args []string) int {
	var paths []string
	long, all := false, false
	for _, a := range args {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			long = long || strings.Contains(a, "l")
			all = all || strings.Contains(a, "a")
			continue
		}
		paths = append(paths, a)
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	st := 0
	for i, p := range paths {
		names, ok := vm.listDir(p)
		if !ok {
			if _, isFile := vm.readFile(p); isFile {
				vm.write(1, p+"\n")
				continue
			}
			if vm.env.Restricted {
				vm.write(2, fmt.Sprintf("ls: cannot list '%s': kubelab: this node is simulated, it only knows the files of the container's volumes"+
					" and the ones its command wrote (for example: ls %s)\n", p, vm.env.Hint))
			} else {
				vm.write(2, fmt.Sprintf("ls: %s: No such file or directory\n", p))
			}
			st = 2
			continue
		}
		if len(paths) > 1 {
			if i > 0 {
				vm.write(1, "\n")
			}
			vm.write(1, p+":\n")
		}
		if long {
			vm.write(1, fmt.Sprintf("total %d\n", len(names)*4))
		}
		for _, n := range names {
			if strings.HasPrefix(n, ".") && !all {
				continue
			}
			if long {
				vm.write(1, vm.longEntry(strings.TrimSuffix(vm.abs(p), "/")+"/"+n, n))
				continue
			}
			vm.write(1, n+"\n")
		}
	}
	return st
}

func (vm *interp) test(args []string) int {
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

func (vm *interp) fetch(base string, args []string) int {
	var url, outFile string
	quiet := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "-O" || a == "-o") && i+1 < len(args):
			outFile = args[i+1]
			i++
		case a == "-q" || a == "-s" || a == "-qO-" || a == "-sS":
			quiet = true
			if a == "-qO-" {
				outFile = "-"
			}
		case strings.HasPrefix(a, "-"):
		default:
			url = a
		}
	}
	if url == "" {
		vm.write(2, base+": missing URL\n")
		return 1
	}
	host := url
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	host = strings.SplitN(host, "/", 2)[0]
	if h := strings.SplitN(host, ":", 2)[0]; !slices.Contains(vm.res.Fetched, h) {
		vm.res.Fetched = append(vm.res.Fetched, h)
	}
	body := fmt.Sprintf("<html><head></head><body><header>\n<title>%s</title>\n</header>\n\n<h1>%s</h1>\n<p>(kubelab: a simulated response; this node does not reach the network)</p>\n</body></html>\n", host, host)
	vm.sleep(200 * time.Millisecond)
	if base == "wget" {
		if outFile == "" {
			outFile = path.Base(strings.TrimSuffix(url, "/"))
			if outFile == host || outFile == "" {
				outFile = "index.html"
			}
		}
		if !quiet {
			vm.write(2, fmt.Sprintf("Connecting to %s (%s:80)\n", host, FakeIP(host)))
			if outFile != "-" {
				vm.write(2, fmt.Sprintf("saving to '%s'\n", outFile))
				vm.write(2, fmt.Sprintf("%-20s 100%% |********************************|  %4d  0:00:00 ETA\n", path.Base(outFile), len(body)))
				vm.write(2, fmt.Sprintf("'%s' saved\n", outFile))
			}
		}
	}
	if outFile == "" || outFile == "-" {
		vm.write(1, body)
	} else {
		vm.writeFile(outFile, body, false)
	}
	return 0
}

// FakeIP is the address the simulated network gives host, a name outside the cluster.
func FakeIP(host string) string {
	h := stablehash.Of(host)
	return fmt.Sprintf("%d.%d.%d.%d", 100+h%100, (h>>8)%256, (h>>16)%256, 1+(h>>24)%254)
}

// ParseDuration reads a duration as sleep does: 10, 1.5s, 2m, 1h, 1d, or Go's 1m30s (0 if it is none).
func ParseDuration(s string) time.Duration {
	if d, err := time.ParseDuration(s); err == nil {
		return d
	}
	mult := time.Second
	switch {
	case strings.HasSuffix(s, "s"):
		s = s[:len(s)-1]
	case strings.HasSuffix(s, "m"):
		s, mult = s[:len(s)-1], time.Minute
	case strings.HasSuffix(s, "h"):
		s, mult = s[:len(s)-1], time.Hour
	case strings.HasSuffix(s, "d"):
		s, mult = s[:len(s)-1], 24*time.Hour
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return time.Duration(f * float64(mult))
}

func unescape(s string) string {
	r := strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\\`, `\`, `\r`, "\r", `\a`, "", `\c`, "")
	return r.Replace(s)
}

func formatPrintf(format string, args []string) string {
	format = unescape(format)
	var b strings.Builder
	ai := 0
	next := func() string {
		if ai < len(args) {
			ai++
			return args[ai-1]
		}
		return ""
	}
	for {
		for i := 0; i < len(format); i++ {
			if format[i] != '%' || i+1 >= len(format) {
				b.WriteByte(format[i])
				continue
			}
			j := i + 1
			for j < len(format) && strings.IndexByte("-0123456789.", format[j]) >= 0 {
				j++
			}
			if j >= len(format) {
				b.WriteString(format[i:])
				break
			}
			spec := format[i : j+1]
			switch format[j] {
			case '%':
				b.WriteByte('%')
			case 'd', 'i':
				n, _ := strconv.Atoi(next())
				b.WriteString(fmt.Sprintf(strings.TrimSuffix(spec, "i")[:len(spec)-1]+"d", n))
			default:
				b.WriteString(fmt.Sprintf(spec[:len(spec)-1]+"s", next()))
			}
			i = j
		}
		if ai == 0 || ai >= len(args) {
			break
		}
	}
	return b.String()
}

func strftime(f string, t time.Time) string {
	r := strings.NewReplacer("%Y", "2006", "%m", "01", "%d", "02", "%H", "15", "%M", "04", "%S", "05",
		"%y", "06", "%b", "Jan", "%a", "Mon", "%Z", "MST", "%T", "15:04:05", "%F", "2006-01-02", "%%", "%")
	if f == "%s" {
		return strconv.FormatInt(t.Unix(), 10)
	}
	return t.Format(r.Replace(f))
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

// longEntry is a line of ls -l: owners and modes from the pod's volumes
// (files created by the process's user, in the fsGroup), root elsewhere.
func (vm *interp) longEntry(full, name string) string {
	when := vm.env.Start.UTC().Format("Jan _2 15:04")
	owner := func(id int64) string { return UserName(id) }
	if f, ok, in := vm.volStat(full); in && ok {
		if m, rel, _ := vm.inVol(full); rel == "" && m.SubPath == "" {
			// A volume's own directory: root's, in the fsGroup and setgid.
			if fg := vm.env.Volumes.FSGroup(); fg != nil {
				return fmt.Sprintf("drwxrwsrwx    2 root     %-8s      4096 %s %s\n", owner(*fg), when, name)
			}
			return fmt.Sprintf("drwxrwxrwx    2 root     root          4096 %s %s\n", when, name)
		}
		if f.Dir {
			mode := "drwxr-xr-x"
			if vm.env.Volumes.FSGroup() != nil {
				mode = "drwxr-sr-x"
			}
			return fmt.Sprintf("%s    2 %-8s %-8s      4096 %s %s\n", mode, owner(f.UID), owner(f.GID), when, name)
		}
		return fmt.Sprintf("-rw-r--r--    1 %-8s %-8s %9d %s %s\n", owner(f.UID), owner(f.GID), len(f.Data), when, name)
	}
	if vm.env.Files != nil {
		if target, ok := vm.env.Files.Readlink(full); ok {
			return fmt.Sprintf("lrwxrwxrwx    1 root     root     %9d %s %s -> %s\n", len(target), when, name, target)
		}
	}
	if data, isFile := vm.readFile(full); isFile {
		return fmt.Sprintf("-rw-r--r--    1 root     root     %9d %s %s\n", len(data), when, name)
	}
	return fmt.Sprintf("drwxr-xr-x    2 root     root          4096 %s %s\n", when, name)
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

// lookupName is nslookup, getent hosts and host against the cluster's DNS:
// Services resolve to their ClusterIP (a headless one to a pod address),
// names outside the cluster to an address of their own.
func (vm *interp) lookupName(base string, args []string) int {
	var name string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") && a != "hosts" {
			name = a
			break
		}
	}
	if name == "" || vm.env.Resolve == nil {
		return 0
	}
	vm.sleep(10 * time.Millisecond)
	fqdn, ip, ok := vm.env.Resolve(name)
	dns := vm.env.DNSServer
	if !ok {
		if !slices.Contains(vm.res.DNSMiss, name) {
			vm.res.DNSMiss = append(vm.res.DNSMiss, name)
		}
		if base == "nslookup" {
			vm.write(1, fmt.Sprintf("Server:\t\t%s\nAddress:\t%s:53\n\n", dns, dns))
			vm.write(1, fmt.Sprintf("** server can't find %s: NXDOMAIN\n\n", fqdn))
		} else if base == "host" {
			vm.write(1, fmt.Sprintf("Host %s not found: 3(NXDOMAIN)\n", name))
		}
		if base == "getent" {
			return 2
		}
		return 1
	}
	switch base {
	case "nslookup":
		vm.write(1, fmt.Sprintf("Server:\t\t%s\nAddress:\t%s:53\n\nName:\t%s\nAddress: %s\n\n", dns, dns, fqdn, ip))
	case "getent":
		vm.write(1, fmt.Sprintf("%-15s %s  %s\n", ip, fqdn, name))
	default:
		vm.write(1, fmt.Sprintf("%s has address %s\n", fqdn, ip))
	}
	return 0
}

// kill signals a process of the container. Only PID 1 exists; as the
// container's init it ignores signals it has no handler for (sleep, sh)
// and SIGKILL from inside the container; a server that handles SIGTERM
// (nginx, redis...) exits, and the kubelet restarts the container.
func (vm *interp) kill(args []string) int {
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
