package shell

import (
	"fmt"
	"path"
	"strings"
)

// tee copies its input to files (-a: appends) and to its output.
func (vm *interp) tee(c call) int {
	appendTo := false
	var files []string
	for _, a := range c.args {
		if a == "-a" || a == "--append" {
			appendTo = true
		} else if !strings.HasPrefix(a, "-") {
			files = append(files, a)
		}
	}
	in := ""
	if c.stdin != nil {
		in = *c.stdin
	}
	for _, f := range files {
		vm.writeFile(f, in, appendTo)
	}
	vm.write(1, in)
	return 0
}

// touch creates files, or writes them again as they are.
func (vm *interp) touch(c call) int {
	for _, a := range c.args {
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
}

// mkdir makes directories; with -p, their parents too. Outside the
// pod's volumes the image's directories are not known, so a missing
// parent is made as well; inside a volume, it is an error without -p.
func (vm *interp) mkdir(c call) int {
	parents := false
	var dirs []string
	for _, a := range c.args {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			parents = parents || strings.Contains(a, "p")
			continue
		}
		dirs = append(dirs, a)
	}
	st := 0
	for _, a := range dirs {
		p := vm.abs(a)
		parent := path.Dir(p)
		if _, _, in := vm.inVol(parent); in && !parents {
			if f, ok, _ := vm.volStat(parent); !ok || !f.Dir {
				vm.write(2, fmt.Sprintf("mkdir: can't create directory '%s': No such file or directory\n", a))
				st = 1
				continue
			}
		}
		if !parents {
			vm.makeDir(p)
			continue
		}
		var chain []string
		for d := p; d != "/" && d != "."; d = path.Dir(d) {
			chain = append(chain, d)
		}
		for i := len(chain) - 1; i >= 0; i-- {
			if f, ok, in := vm.volStat(chain[i]); in && ok && f.Dir {
				continue // already there
			}
			if _, _, in := vm.inVol(chain[i]); !in && vm.dirs[chain[i]] {
				continue
			}
			vm.makeDir(chain[i])
		}
	}
	return st
}

// rm removes files and directories (rmdir too); kubectl exec refuses to
// remove /.
func (vm *interp) rm(c call) int {
	for _, a := range c.args {
		if vm.env.Restricted && !strings.HasPrefix(a, "-") && vm.abs(a) == "/" {
			vm.write(2, fmt.Sprintf(ExecMessage+"\n", c.name))
			return 126
		}
	}
	force := false
	st := 0
	for _, a := range c.args {
		if strings.HasPrefix(a, "-") {
			force = force || strings.Contains(a, "f")
			continue
		}
		if !vm.removeFile(a) && !force {
			vm.write(2, fmt.Sprintf("rm: can't remove '%s': No such file or directory\n", a))
			st = 1
		}
	}
	return st
}

// copyFiles is cp and mv: files to a file or into a directory.
func (vm *interp) copyFiles(c call) int {
	var files []string
	for _, a := range c.args {
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
			vm.write(2, fmt.Sprintf("%s: can't stat '%s': No such file or directory\n", c.name, src))
			return 1
		}
		target := dst
		if _, isDir := vm.listDir(dst); isDir {
			target = dst + "/" + path.Base(src)
		}
		vm.writeFile(target, data, false)
		if c.name == "mv" {
			vm.removeFile(src)
		}
	}
	return 0
}

// ls lists directories (-l: long, -a: with dot files).
func (vm *interp) ls(c call) int {
	args := c.args
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
