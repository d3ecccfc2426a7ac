package nodesim

import (
	"strings"
	"testing"
	"time"
)

// Catalogued HTTP servers answer only the paths they serve: the image's own
// pages and the files under their document root; any other path answers
// 404 (nginx answers 403 for a directory without an index), so an HTTP
// probe on it fails as on a real cluster.
func TestHTTPServersAnswerOnlyTheirPaths(t *testing.T) {
	cases := []struct {
		name, pod string
		summary   string // after 40 s, or part of it
		event     string // an event that must be there ("" none)
	}{
		{"nginx at a path it does not serve", `
  containers:
  - {name: web, image: nginx:1.25.3, livenessProbe: {httpGet: {path: /no-such-page, port: 80}, periodSeconds: 3, failureThreshold: 2}}`,
			"CrashLoopBackOff 2", "Unhealthy Liveness probe failed: HTTP probe failed with statuscode: 404"},
		{"nginx at /", `
  containers:
  - {name: web, image: nginx:1.25.3, livenessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 3, failureThreshold: 2}}`,
			"1/1 Running 0", ""},
		{"nginx at /index.html, with a query", `
  containers:
  - {name: web, image: nginx:1.25.3, livenessProbe: {httpGet: {path: "/index.html?probe=1", port: 80}, periodSeconds: 3, failureThreshold: 2}}`,
			"1/1 Running 0", ""},
		{"httpd at a path it does not serve", `
  containers:
  - {name: web, image: httpd:2.4, readinessProbe: {httpGet: {path: /healthz, port: 80}, periodSeconds: 3}}`,
			"0/1 Running 0", "Unhealthy Readiness probe failed: HTTP probe failed with statuscode: 404"},
		{"nginx serving a file another container wrote to its root", `
  volumes: [{name: html, emptyDir: {}}]
  initContainers:
  - {name: write, image: busybox:1.36, command: [sh, -c, "echo ok > /out/health.html"], volumeMounts: [{name: html, mountPath: /out}]}
  containers:
  - {name: web, image: nginx:1.25.3, volumeMounts: [{name: html, mountPath: /usr/share/nginx/html}],
     livenessProbe: {httpGet: {path: /health.html, port: 80}, periodSeconds: 3, failureThreshold: 2}}`,
			"1/1 Running 0", ""},
		{"nginx with a volume over its root and no index", `
  volumes: [{name: html, emptyDir: {}}]
  containers:
  - {name: web, image: nginx:1.25.3, volumeMounts: [{name: html, mountPath: /usr/share/nginx/html}],
     readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 3}}`,
			"0/1 Running 0", "Unhealthy Readiness probe failed: HTTP probe failed with statuscode: 403"},
		{"nginx whose page a sidecar writes later", `
  volumes: [{name: html, emptyDir: {}}]
  containers:
  - {name: web, image: nginx:1.25.3, volumeMounts: [{name: html, mountPath: /usr/share/nginx/html}],
     readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 3}}
  - {name: writer, image: busybox:1.36, command: [sh, -c, "sleep 10; echo hello > /pod-data/index.html; sleep 3600"], volumeMounts: [{name: html, mountPath: /pod-data}]}`,
			"2/2 Running 0", "Unhealthy Readiness probe failed: HTTP probe failed with statuscode: 403"},
		{"an image the catalog does not describe answers any path", `
  containers:
  - {name: app, image: registry.k8s.io/e2e-test-images/agnhost:2.40, args: [netexec, --http-port=8080], livenessProbe: {httpGet: {path: /anything, port: 8080}, periodSeconds: 3}}`,
			"1/1 Running 0", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			p := podFrom(t, "metadata: {name: web}\nspec:"+c.pod+"\n")
			ss := h.run(p, 40*time.Second)
			evs := h.events()
			if got := summary(p); !strings.Contains(got, c.summary) {
				t.Errorf("%s, want %s:\n%s\nevents %v", got, c.summary, timeline(ss, p), evs)
			}
			if c.event != "" && !hasEvent(evs, c.event) {
				t.Errorf("no event %q in %v", c.event, evs)
			}
		})
	}
}
