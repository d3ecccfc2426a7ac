package console

import (
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// secretHeaderRE finds the value of a credential header in kubectl's verbose
// output (-v=6 and up: round trippers, curl lines): Authorization,
// Proxy-Authorization, X-Auth-Token, Cookie and Impersonate-* values.
var secretHeaderRE = regexp.MustCompile(`(?i)\b((?:proxy-)?authorization|x-auth-token|cookie|set-cookie|impersonate-[a-z-]+)(:\s*|=)[^"'\r\n]*`)

// verboseRE matches kubectl's verbosity flag: -v, -v=9, -v9, --v=9 (its value may be the next word).
var verboseRE = regexp.MustCompile(`^--?v(=.*|\d+)?$`)

// verbose reports whether argv asks kubectl for verbose logs.
func verbose(argv []string) bool {
	for _, a := range argv {
		if a == "--" {
			return false
		}
		if verboseRE.MatchString(a) {
			return true
		}
	}
	return false
}

// redactOutput hides from what the learner sees the server's own places and
// any credential: kubectl's verbosity flags (-v=9) print the kubeconfig's
// path, the console's home and cache directories and request headers. Each
// path is replaced by a neutral name (the kubeconfig by "~/.kube/config",
// the home directory by "~", the sandbox's directory by "<sandbox>", the
// kubelab executable by "kubectl"); with a verbosity flag in argv, the
// values of credential headers become "<redacted>" too (only then: a
// learner's own ConfigMap may well hold "cookie: ..."). Output without any of
// them is returned as is.
func redactOutput(out string, argv []string, kubeconfig, home, binary string) string {
	repl := map[string]string{}
	add := func(path, as string) {
		if path == "" || path == "/" || path == "." {
			return
		}
		if _, ok := repl[path]; !ok {
			repl[path] = as
		}
	}
	if kubeconfig != "" {
		if kc, err := filepath.Abs(kubeconfig); err == nil {
			add(kc, "~/.kube/config")
			add(filepath.Dir(kc), "<sandbox>")
		}
	}
	add(home, "~")
	add(binary, "kubectl")
	// longest first, so that a path is replaced before its parent directory
	paths := make([]string, 0, len(repl))
	for p := range repl {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool { return len(paths[i]) > len(paths[j]) })
	pairs := make([]string, 0, 2*len(paths))
	for _, p := range paths {
		pairs = append(pairs, p, repl[p])
	}
	out = strings.NewReplacer(pairs...).Replace(out)
	if verbose(argv) {
		out = secretHeaderRE.ReplaceAllString(out, "$1$2<redacted>")
	}
	return out
}
