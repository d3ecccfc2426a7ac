// Package nodesim simulates the data plane of an embedded sandbox: worker
// nodes with their kubelets, the EBS volume provisioner and the add-ons
// that an Amazon EKS cluster runs. Nothing is executed: the simulated
// kubelets write the statuses and events that real ones would.
package nodesim

import (
	_ "embed"
	"fmt"
	"net/netip"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

//go:embed default.yaml
var defaultConfig []byte

// Config is the simulated data plane: its topology and its behaviour.
type Config struct {
	Region                  string                  `json:"region"`
	KubeletVersion          string                  `json:"kubeletVersion"`
	OSImage                 string                  `json:"osImage"`
	KernelVersion           string                  `json:"kernelVersion"`
	ContainerRuntimeVersion string                  `json:"containerRuntimeVersion"`
	InstanceTypes           map[string]InstanceType `json:"instanceTypes"`
	Nodes                   []NodeSpec              `json:"nodes"`
	Storage                 Storage                 `json:"storage"`
	Behaviour               Behaviour               `json:"behaviour"`
}

// InstanceType is an EC2 instance type's capacity.
type InstanceType struct {
	CPU     resource.Quantity `json:"cpu"`
	Memory  resource.Quantity `json:"memory"`
	MaxPods int64             `json:"maxPods"`
}

// NodeSpec is one simulated worker node.
type NodeSpec struct {
	Name         string `json:"name"`
	Zone         string `json:"zone"`
	InstanceType string `json:"instanceType"`
	IP           string `json:"ip"`
	PodRange     string `json:"podRange"`
}

// Storage names the default StorageClass and its simulated provisioner.
type Storage struct {
	ClassName   string `json:"className"`
	Provisioner string `json:"provisioner"`
}

// Duration is a time.Duration written as "1s" in YAML.
type Duration struct{ time.Duration }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("nodesim: duration %q: %w", s, err)
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// Behaviour holds the simulated kubelets' timings.
type Behaviour struct {
	PullDelay             Duration `json:"pullDelay"`
	StartDelay            Duration `json:"startDelay"`
	InitContainerDuration Duration `json:"initContainerDuration"`
	FiniteRunDuration     Duration `json:"finiteRunDuration"`
	MaxGracePeriod        Duration `json:"maxGracePeriod"`
	CrashLoopBackOff      Duration `json:"crashLoopBackOff"`
	LeaseRenew            Duration `json:"leaseRenew"`
	StatusReport          Duration `json:"statusReport"`
}

// DefaultConfig returns the built-in topology: three nodes over two zones.
func DefaultConfig() (*Config, error) { return parseConfig(defaultConfig) }

// LoadConfig reads a configuration file; an empty path gives DefaultConfig.
func LoadConfig(path string) (*Config, error) {
	if path == "" {
		return DefaultConfig()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("nodesim: read %s: %w", path, err)
	}
	return parseConfig(b)
}

func parseConfig(b []byte) (*Config, error) {
	var c Config
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		return nil, fmt.Errorf("nodesim: config: %w", err)
	}
	return &c, c.validate()
}

func (c *Config) validate() error {
	if len(c.Nodes) == 0 {
		return fmt.Errorf("nodesim: config has no nodes")
	}
	seen := map[string]bool{}
	for _, n := range c.Nodes {
		if seen[n.Name] {
			return fmt.Errorf("nodesim: node %q listed twice", n.Name)
		}
		seen[n.Name] = true
		if _, ok := c.InstanceTypes[n.InstanceType]; !ok {
			return fmt.Errorf("nodesim: node %s: unknown instance type %q", n.Name, n.InstanceType)
		}
		if _, err := netip.ParseAddr(n.IP); err != nil {
			return fmt.Errorf("nodesim: node %s: ip: %w", n.Name, err)
		}
		if _, err := netip.ParsePrefix(n.PodRange); err != nil {
			return fmt.Errorf("nodesim: node %s: podRange: %w", n.Name, err)
		}
		if n.Zone == "" {
			return fmt.Errorf("nodesim: node %s has no zone", n.Name)
		}
	}
	return nil
}
