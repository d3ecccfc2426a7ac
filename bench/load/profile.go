package main

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
)

// historyFrames matches the stacks of the history recording: each
// learner's recorder goroutine (the stream's changes appended to the
// history log). The stream encodes each change once for the pages and the
// recorder (in package watch): that is the stream's cost, not counted here.
const historyFrames = `kubelab/server\.\(\*learner\)\.record$`

// stepSnapshotFrames matches the stacks of the snapshots kept at the start
// of each lab step, for a rewind (their lists run on goroutines of package
// snapshot).
const stepSnapshotFrames = `kubelab/server\.\(\*learner\)\.(keepStepSnapshot|takeStepSnapshot)$|kubelab/sandbox/snapshot\.`

// profileShare reads a CPU profile of the server and returns the CPU
// seconds of all its samples and of those whose stack passes through
// focus.
func profileShare(bin, profile, focus string) (total, focused float64, err error) {
	total, err = pprofSeconds(bin, profile, "")
	if err != nil {
		return 0, 0, err
	}
	focused, err = pprofSeconds(bin, profile, focus)
	return total, focused, err
}

var accountingRe = regexp.MustCompile(`Showing nodes accounting for ([0-9.]+)(m?s)`)

// pprofSeconds runs `go tool pprof -top` on a profile, restricted to the
// samples through focus when it is set, and returns their CPU seconds.
func pprofSeconds(bin, profile, focus string) (float64, error) {
	args := []string{"tool", "pprof", "-top", "-nodefraction=0"}
	if focus != "" {
		args = append(args, "-focus="+focus)
	}
	out, err := exec.Command("go", append(args, bin, profile)...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("go tool pprof %s: %w: %s", profile, err, out)
	}
	m := accountingRe.FindSubmatch(out)
	if m == nil {
		return 0, nil // no sample matched
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		return 0, fmt.Errorf("pprof output %q: %w", m[0], err)
	}
	if string(m[2]) == "ms" {
		v /= 1000
	}
	return v, nil
}
