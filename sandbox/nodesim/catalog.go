package nodesim

import (
	_ "embed"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

//go:embed images.yaml
var imagesYAML []byte

// Catalog is what the simulated registries and nodes know of images
// (images.yaml): which tags exist, the version each runs, its logs, ports
// and health endpoints.
type Catalog struct {
	// Registries are the registry hosts that resolve ("*." matches subdomains).
	Registries []string `json:"registries"`
	// Images by repository, as containerd names it (docker.io/library/nginx).
	Images map[string]ImageSpec `json:"images"`
}

// ImageSpec is one repository of the catalog.
type ImageSpec struct {
	Tags     string            `json:"tags,omitempty"`
	Latest   string            `json:"latest,omitempty"`
	Versions map[string]string `json:"versions,omitempty"`
	Logs     map[string]string `json:"logs,omitempty"`
	Ports    []int32           `json:"ports,omitempty"`
	Health   *ImageHealth      `json:"health,omitempty"`
	// HTTP is what its HTTP server serves; nil: any path answers 200.
	HTTP *ImageHTTP `json:"http,omitempty"`
	// IdleCPU is what its server uses with no traffic (instead of the
	// share of its request of default.yaml's metrics).
	IdleCPU *resource.Quantity `json:"idleCPU,omitempty"`

	tags *regexp.Regexp
}

// ImageHealth is what an image's HTTP endpoints answer.
type ImageHealth struct {
	// FailAfter: they answer 500 once the container has run this long.
	FailAfter Duration `json:"failAfter"`
	// Args: only when the container's arguments include one of these.
	Args []string `json:"args,omitempty"`
}

// catalog is the built-in catalog.
var catalog = mustCatalog(imagesYAML)

func mustCatalog(b []byte) *Catalog {
	c, err := parseCatalog(b)
	if err != nil {
		panic(err)
	}
	return c
}

func parseCatalog(b []byte) (*Catalog, error) {
	var c Catalog
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		return nil, fmt.Errorf("nodesim: images.yaml: %w", err)
	}
	for name, spec := range c.Images {
		if spec.Tags != "" {
			re, err := regexp.Compile(spec.Tags)
			if err != nil {
				return nil, fmt.Errorf("nodesim: images.yaml: %s tags: %w", name, err)
			}
			spec.tags = re
		}
		c.Images[name] = spec
	}
	return &c, nil
}

// lookup finds an image's catalog entry, its repository and tag.
func (c *Catalog) lookup(image string) (*ImageSpec, reference.Named, string) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return nil, nil, ""
	}
	spec, ok := c.Images[named.Name()]
	if !ok {
		return nil, named, tagOf(named)
	}
	return &spec, named, tagOf(named)
}

// pullError is the registry's answer to pulling an image it does not
// have: a host that does not resolve, or a tag the repository lacks.
func (c *Catalog) pullError(image string) (string, bool) {
	spec, named, tag := c.lookup(image)
	if named == nil {
		return "", false
	}
	if _, digested := named.(reference.Digested); digested {
		return "", false
	}
	host := reference.Domain(named)
	ref := reference.TagNameOnly(named).String()
	if !c.knownRegistry(host) {
		return fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: "+
			"failed to do request: Head \"https://%s/v2/%s/manifests/%s\": dial tcp: lookup %s on 192.168.0.2:53: no such host",
			ref, ref, host, reference.Path(named), tag, host), true
	}
	if spec != nil && spec.tags != nil && !spec.tags.MatchString(tag) {
		return fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: %s: not found", ref, ref, ref), true
	}
	return "", false
}

func (c *Catalog) knownRegistry(host string) bool {
	for _, r := range c.Registries {
		if r == host || (strings.HasPrefix(r, "*.") && strings.HasSuffix(host, r[1:])) {
			return true
		}
	}
	return false
}

// version is the version an image runs ("" when the catalog does not say).
func (c *Catalog) version(image string) string {
	spec, _, tag := c.lookup(image)
	if spec == nil {
		return ""
	}
	base, _, _ := strings.Cut(tag, "-")
	if v, ok := spec.Versions[base]; ok {
		return v
	}
	if strings.Count(base, ".") == 2 && base[0] >= '0' && base[0] <= '9' {
		return base
	}
	return spec.Latest
}

// logsFor is the serverLogs entry of an image's server, by its major version.
func (c *Catalog) logsFor(image string) string {
	spec, _, _ := c.lookup(image)
	if spec == nil || len(spec.Logs) == 0 {
		return ""
	}
	major, _, _ := strings.Cut(c.version(image), ".")
	if l, ok := spec.Logs[major]; ok {
		return l
	}
	return spec.Logs["*"]
}

// healthFailsAfter is when an image's HTTP endpoints start to fail, for a
// container run with argv (ok false: they do not).
func (c *Catalog) healthFailsAfter(image string, argv []string) (time.Duration, bool) {
	spec, _, _ := c.lookup(image)
	if spec == nil || spec.Health == nil {
		return 0, false
	}
	if len(spec.Health.Args) > 0 {
		found := false
		for _, a := range argv {
			if contains(spec.Health.Args, path.Base(a)) {
				found = true
			}
		}
		if !found {
			return 0, false
		}
	}
	return spec.Health.FailAfter.Duration, true
}

// idleCPU is the millicores an image's server uses with no traffic (ok
// false: the catalog does not say).
func (c *Catalog) idleCPU(image string) (int64, bool) {
	spec, _, _ := c.lookup(image)
	if spec == nil || spec.IdleCPU == nil {
		return 0, false
	}
	return spec.IdleCPU.MilliValue(), true
}
