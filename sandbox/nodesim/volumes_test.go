package nodesim

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Containers of one pod share its volumes: what one writes, the others
// read from the moment it is written; an emptyDir outlives container
// restarts; the files belong to the user and the fsGroup.
func TestSharedVolumes(t *testing.T) {
	cases := []struct {
		name string
		pod  string
		wait time.Duration
		// checks: container, command, and what its output must contain.
		execs [][3]string
		// logs: container and what its logs must contain.
		logs [][2]string
	}{{
		name: "two containers (the shared-volume task)",
		pod: `
metadata: {name: two-containers}
spec:
  restartPolicy: Never
  volumes: [{name: shared-data, emptyDir: {}}]
  containers:
  - {name: nginx-container, image: nginx, volumeMounts: [{name: shared-data, mountPath: /usr/share/nginx/html}]}
  - name: debian-container
    image: debian
    volumeMounts: [{name: shared-data, mountPath: /pod-data}]
    command: ["/bin/sh"]
    args: ["-c", "echo Hello from the debian container > /pod-data/index.html"]
`,
		wait:  10 * time.Second,
		execs: [][3]string{{"nginx-container", "cat /usr/share/nginx/html/index.html", "Hello from the debian container"}},
	}, {
		name: "a sidecar follows the main container's log file",
		pod: `
metadata: {name: sidecar-log}
spec:
  volumes: [{name: logs, emptyDir: {}}]
  containers:
  - name: app
    image: busybox:1.36
    command: [sh, -c, 'i=0; while true; do echo "$i: $(date +%s)" >> /var/log/app.log; i=$((i+1)); sleep 1; done']
    volumeMounts: [{name: logs, mountPath: /var/log}]
  - name: tailer
    image: busybox:1.36
    command: [sh, -c, 'tail -F /opt/logs/app.log']
    volumeMounts: [{name: logs, mountPath: /opt/logs}]
`,
		wait:  12 * time.Second,
		execs: [][3]string{{"tailer", "ls /opt/logs", "app.log"}, {"tailer", "head -n 1 /opt/logs/app.log", "0: "}},
		logs:  [][2]string{{"tailer", "3: "}, {"app", ""}},
	}, {
		name: "a relative path in the working directory",
		pod: `
metadata: {name: workdir}
spec:
  volumes: [{name: data, emptyDir: {}}]
  containers:
  - {name: writer, image: busybox:1.36, workingDir: /data, command: [sh, -c, 'echo Hello > test-file; mkdir sub; touch sub/x; cp test-file copy; sleep 3600'], volumeMounts: [{name: data, mountPath: /data}]}
  - {name: reader, image: busybox:1.36, command: [sleep, "3600"], volumeMounts: [{name: data, mountPath: /in}]}
`,
		wait:  8 * time.Second,
		execs: [][3]string{{"reader", "cat /in/test-file", "Hello"}, {"reader", "ls /in", "copy\nsub\ntest-file"}, {"reader", "ls /in/sub", "x"}, {"writer", "cat copy", "Hello"}},
	}, {
		name: "users, groups and ownership (the security-context task)",
		pod: `
metadata: {name: security-context-demo}
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000]}
  volumes: [{name: sec-ctx-vol, emptyDir: {}}]
  containers:
  - name: sec-ctx-demo
    image: busybox:1.28
    command: [sh, -c, "echo hello > /data/demo/testfile; sleep 1h"]
    volumeMounts: [{name: sec-ctx-vol, mountPath: /data/demo}]
`,
		wait: 8 * time.Second,
		execs: [][3]string{
			{"sec-ctx-demo", "id", "uid=1000 gid=3000 groups=2000,3000,4000"},
			{"sec-ctx-demo", "ls -l /data", "drwxrwsrwx    2 root     2000"},
			{"sec-ctx-demo", "ls -l /data/demo", "-rw-r--r--    1 1000     2000             6"},
			{"sec-ctx-demo", "ps", "    1 1000      0:00 sh -c echo hello > /data/demo/testfile; sleep 1h"},
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			p := podFrom(t, c.pod)
			h.run(p, c.wait)
			for _, e := range c.execs {
				if out := h.s.execFor(p, e[0], "sh", "-c", e[1]); !strings.Contains(out, e[2]) {
					t.Errorf("exec %s -- %s: %q, want %q", e[0], e[1], out, e[2])
				}
			}
			for _, l := range c.logs {
				v, _, msg := h.s.logTargetFor(p, l[0])
				if v == nil {
					t.Fatalf("logs %s: %s", l[0], msg)
				}
				got := linesText(h.s.logLines(v, h.now))
				if !strings.Contains(got, l[1]) {
					t.Errorf("logs %s: %q, want %q", l[0], got, l[1])
				}
			}
		})
	}
}

// An emptyDir keeps what a container wrote when the container restarts;
// the container's own file system does not.
func TestEmptyDirSurvivesRestart(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: counter}
spec:
  volumes: [{name: cache, emptyDir: {}}]
  containers:
  - name: app
    image: busybox:1.36
    command: [sh, -c, 'echo run >> /cache/runs; echo mine > /tmp/own; cat /cache/runs | wc -l; sleep 2; exit 1']
    volumeMounts: [{name: cache, mountPath: /cache}]
`)
	ss := h.run(p, 6500*time.Millisecond)
	expectStates(t, ss, p, "0/1 Error 0", "1/1 Running 1")
	if out := h.s.execFor(p, "app", "cat", "/cache/runs"); strings.Count(out, "run") < 2 {
		t.Errorf("after a restart the emptyDir has %q, want a line per run", out)
	}
	v, _, _ := h.s.logTargetFor(p, "app")
	if got := linesText(h.s.logLines(v, h.now)); !strings.HasPrefix(got, "2") && !strings.HasPrefix(got, "3") {
		t.Errorf("the second run counts %q lines, want the earlier runs' too", got)
	}
}

// kubectl exec writes stay: in the volume for the other containers too.
func TestExecWritesReachVolume(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: exec-writes}
spec:
  volumes: [{name: data, emptyDir: {}}]
  containers:
  - {name: a, image: busybox:1.36, command: [sleep, "3600"], volumeMounts: [{name: data, mountPath: /data}]}
  - {name: b, image: busybox:1.36, command: [sleep, "3600"], volumeMounts: [{name: data, mountPath: /shared}]}
`)
	h.run(p, 6*time.Second)
	h.s.execFor(p, "a", "sh", "-c", "echo from-a > /data/note; mkdir /data/dir")
	h.now = h.now.Add(time.Second)
	h.clk.SetTime(h.now)
	for cmd, want := range map[string]string{"cat /shared/note": "from-a", "ls /shared": "dir\nnote", "test -d /shared/dir && echo yes": "yes"} {
		if out := h.s.execFor(p, "b", "sh", "-c", cmd); !strings.Contains(out, want) {
			t.Errorf("exec b -- %s: %q, want %q", cmd, out, want)
		}
	}
	if out := h.s.execFor(p, "b", "rm", "-rf", "/"); strings.Contains(out, "from") {
		t.Errorf("rm -rf /: %q", out)
	}
}

// ConfigMap volumes look as the kubelet writes them: keys are links into
// ..data, a link to a timestamped directory.
func TestConfigMapVolumeLinks(t *testing.T) {
	h := newHarness(t)
	h.add("cm", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "game-config", Namespace: "default"},
		Data: map[string]string{"game.properties": "enemies=aliens\n"}})
	p := podFrom(t, `
metadata: {name: cm-pod}
spec:
  containers: [{name: c, image: busybox:1.36, command: [sleep, "3600"], volumeMounts: [{name: config, mountPath: /etc/config}]}]
  volumes: [{name: config, configMap: {name: game-config}}]
`)
	h.run(p, 5*time.Second)
	cases := []struct{ cmd, want, not string }{
		{"ls /etc/config", "game.properties\n", "..data"},
		{"ls -la /etc/config", "..data -> ..", ""},
		{"ls -l /etc/config", "game.properties -> ..data/game.properties", ""},
		{"cat /etc/config/..data/game.properties", "enemies=aliens", ""},
		{"ls /etc/config/..data", "game.properties", ""},
	}
	for _, c := range cases {
		t.Run(c.cmd, func(t *testing.T) {
			out := h.s.execFor(p, "c", "sh", "-c", c.cmd)
			if !strings.Contains(out, c.want) || (c.not != "" && strings.Contains(out, c.not)) {
				t.Errorf("%s: %q, want %q", c.cmd, out, c.want)
			}
		})
	}
}

// A probe reads what another container of the pod writes.
func TestProbeReadsSharedVolume(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: probe-shared}
spec:
  volumes: [{name: state, emptyDir: {}}]
  containers:
  - name: app
    image: busybox:1.36
    command: [sleep, "3600"]
    volumeMounts: [{name: state, mountPath: /state}]
    readinessProbe: {exec: {command: [cat, /state/ready]}, periodSeconds: 2}
  - name: helper
    image: busybox:1.36
    command: [sh, -c, 'sleep 10; touch /work/ready; sleep 3600']
    volumeMounts: [{name: state, mountPath: /work}]
`)
	ss := h.run(p, 20*time.Second)
	expectStates(t, ss, p, "1/2 Running 0", "2/2 Running 0")
	for _, s := range ss {
		if s.at < 10*time.Second && strings.HasPrefix(summary(&corev1.Pod{Spec: p.Spec, Status: s.status}), "2/2") {
			t.Errorf("ready before the helper wrote the file:\n%s", timeline(ss, p))
		}
	}
}

// kill 1 in a container stops a server that handles SIGTERM (the kubelet
// restarts it); sleep as PID 1 ignores it.
func TestKillMainProcess(t *testing.T) {
	cases := []struct {
		image, command string
		restarts       int32
	}{
		{"nginx:1.25.1", "", 1},
		{"busybox:1.36", `[sleep, "3600"]`, 0},
	}
	for _, c := range cases {
		t.Run(c.image, func(t *testing.T) {
			h := newHarness(t)
			y := "metadata: {name: k}\nspec:\n  containers: [{name: c, image: \"" + c.image + "\""
			if c.command != "" {
				y += ", command: " + c.command
			}
			p := podFrom(t, y+"}]\n")
			h.run(p, 5*time.Second)
			h.s.execFor(p, "c", "sh", "-c", "kill 7; kill 1")
			ss := h.run(p, 5*time.Second)
			if got := p.Status.ContainerStatuses[0].RestartCount; got != c.restarts {
				t.Errorf("%s after kill 1: %d restarts, want %d\n%s", c.image, got, c.restarts, timeline(ss, p))
			}
		})
	}
}
