package embedded

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// A new sandbox's API server bootstraps the cluster (RBAC roles and
// bindings, priority classes, system namespaces) before it is ready:
// about 1.5 s of a 3.5 s start. The backend makes that bootstrap once, in
// a template (`kubelab sandbox template`), once the first new sandbox
// has started (so that the build does not slow down that start, a
// self-paced learner's first); every later new sandbox starts from a copy of the
// template's etcd (`sandbox up --template`), as a resumed sandbox does
// from its own. The template belongs to the running server: it is made
// by the same executable, and New removes it with the other directories
// no learner holds, so the system namespaces of a new sandbox are never
// older than the server.

// templateName is the template's directory under Options.Dir.
const templateName = ".template"

// templateRetry is how long after a failed template build the next new
// sandbox tries again.
const templateRetry = time.Minute

func (b *Backend) templateDir() string { return filepath.Join(b.opts.Dir, templateName) }

// templateArgsLocked returns the `sandbox up` arguments that start the
// sandbox in dir from the template: none for a sandbox that has an etcd
// already (a resume) or while there is no template, which is then
// wanted. b.mu must be held.
func (b *Backend) templateArgsLocked(dir string) []string {
	if _, err := os.Stat(filepath.Join(dir, "etcd")); err == nil {
		return nil
	}
	if b.template.ready {
		return []string{"--template", b.templateDir()}
	}
	b.template.wanted = true
	return nil
}

// buildTemplateIfWantedLocked starts the template's build if a new
// sandbox wanted it, none is running and the last did not fail within
// templateRetry; the backend calls it when a sandbox's start ends. b.mu
// must be held.
func (b *Backend) buildTemplateIfWantedLocked() {
	if !b.template.wanted || b.template.ready || b.template.done != nil || b.closed ||
		time.Since(b.template.failed) < templateRetry {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.template.cancel, b.template.done = cancel, make(chan struct{})
	go b.buildTemplate(ctx)
}

// templateState is where the template's build stands.
type templateState struct {
	// wanted is set once a new sandbox started without a template.
	ready, wanted bool
	failed        time.Time
	// cancel and done are set while a build runs.
	cancel context.CancelFunc
	done   chan struct{}
}

// stopTemplateBuild ends a build in progress and waits for it.
func (b *Backend) stopTemplateBuild() {
	b.mu.Lock()
	cancel, done := b.template.cancel, b.template.done
	b.mu.Unlock()
	if done != nil {
		cancel()
		<-done
	}
}

// buildTemplate runs `kubelab sandbox template` into a directory of its
// own and moves it into place once complete; a failure is written to
// Options.Dir/template.log.
func (b *Backend) buildTemplate(ctx context.Context) {
	err := b.runTemplateBuild(ctx)
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.template.done)
	b.template.cancel, b.template.done = nil, nil
	if err != nil {
		b.template.failed = time.Now()
		_ = os.WriteFile(filepath.Join(b.opts.Dir, "template.log"), []byte(err.Error()+"\n"), 0o600)
		return
	}
	b.template.ready = true
}

func (b *Backend) runTemplateBuild(ctx context.Context) error {
	tmp, err := os.MkdirTemp(b.opts.Dir, templateName+"-")
	if err != nil {
		return fmt.Errorf("embedded: make the sandbox template: %w", err)
	}
	args := []string{"sandbox", "template", "--dir", tmp}
	for i, a := range b.opts.Args {
		// The template runs at the sandboxes' priority.
		if strings.HasPrefix(a, "--nice=") {
			args = append(args, a)
		} else if a == "--nice" && i+1 < len(b.opts.Args) {
			args = append(args, a, b.opts.Args[i+1])
		}
	}
	cmd := exec.CommandContext(ctx, b.opts.Binary, args...)
	cmd.SysProcAttr = childAttrs()
	out, err := cmd.CombinedOutput()
	if err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("embedded: make the sandbox template: %w: %s", err, lastLine(out))
	}
	_ = os.RemoveAll(b.templateDir())
	if err := os.Rename(tmp, b.templateDir()); err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("embedded: make the sandbox template: %w", err)
	}
	return nil
}

// lastLine is the last non-empty line of a command's output.
func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}
