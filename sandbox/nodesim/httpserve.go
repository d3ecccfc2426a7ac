package nodesim

import (
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubelab/kubelab/sandbox/nodesim/internal/shell"
)

// ImageHTTP is what an image's HTTP server serves: the paths of its own
// pages, and the files under its document root. Any other path answers
// 404, as the real server does.
type ImageHTTP struct {
	// Root is the directory it serves files from.
	Root string `json:"root"`
	// Paths are the pages the image itself holds under Root (hidden when
	// a volume is mounted over Root).
	Paths []string `json:"paths"`
	// NoIndex is the status of a directory without an index.html (nginx:
	// 403); 0 serves a listing (200).
	NoIndex int `json:"noIndex,omitempty"`
}

// httpStatus is the status an image's server answers for a GET of
// target (a path, maybe with a query) in container c, whose files env
// holds. An image the catalog says nothing of answers 200 for any path.
func (c *Catalog) httpStatus(image string, ctr *corev1.Container, target string, env *shell.Env) int {
	spec, _, _ := c.lookup(image)
	if spec == nil || spec.HTTP == nil {
		return http.StatusOK
	}
	h := spec.HTTP
	target, _, _ = strings.Cut(target, "?")
	p := path.Clean("/" + target)
	dir := strings.HasSuffix(target, "/") || p == "/"
	mounted := false // a volume over the root hides the image's own pages
	for _, vm := range ctr.VolumeMounts {
		mp := path.Clean(vm.MountPath)
		if h.Root == mp || strings.HasPrefix(h.Root, strings.TrimSuffix(mp, "/")+"/") {
			mounted = true
		}
	}
	if !mounted && slices.Contains(h.Paths, p) {
		return http.StatusOK
	}
	file := path.Join(h.Root, p)
	test := func(flag, f string) bool {
		res := shell.Run([]string{"test", flag, f}, env, time.Second)
		return res.Ended && res.Code == 0
	}
	if !dir && test("-f", file) {
		return http.StatusOK
	}
	if dir || test("-d", file) { // a directory (the server redirects to its "/")
		if test("-f", path.Join(file, "index.html")) {
			return http.StatusOK
		}
		if !mounted && slices.Contains(h.Paths, path.Join(p, "index.html")) {
			return http.StatusOK
		}
		if test("-d", file) || (p == "/" && !mounted) {
			if h.NoIndex != 0 {
				return h.NoIndex
			}
			return http.StatusOK
		}
	}
	return http.StatusNotFound
}

// servesFiles reports an image whose HTTP answers depend on its files.
func (c *Catalog) servesFiles(image string) bool {
	spec, _, _ := c.lookup(image)
	return spec != nil && spec.HTTP != nil
}
