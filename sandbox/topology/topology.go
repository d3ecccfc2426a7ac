// Package topology is the shape of a sandbox's cluster: its region, its
// worker nodes (names, zones, instance types, addresses), the instance
// types' capacity and the default storage class. Both backends build the
// same cluster from it: simulated nodes in the embedded one, kind nodes in
// the kind one.
//
// A topology file (--topology) may also hold a "behaviour" section, which
// only the embedded backend's simulated kubelets read.
package topology

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"

	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

//go:embed default.yaml
var defaultTopology []byte

// Topology is the cluster: where it runs, its nodes and its storage.
type Topology struct {
	Region                  string                  `json:"region"`
	KubeletVersion          string                  `json:"kubeletVersion"`
	OSImage                 string                  `json:"osImage"`
	KernelVersion           string                  `json:"kernelVersion"`
	ContainerRuntimeVersion string                  `json:"containerRuntimeVersion"`
	InstanceTypes           map[string]InstanceType `json:"instanceTypes"`
	Nodes                   []NodeSpec              `json:"nodes"`
	Storage                 Storage                 `json:"storage"`
}

// InstanceType is an EC2 instance type's capacity.
type InstanceType struct {
	CPU     resource.Quantity `json:"cpu"`
	Memory  resource.Quantity `json:"memory"`
	MaxPods int64             `json:"maxPods"`
}

// NodeSpec is one worker node.
type NodeSpec struct {
	Name         string `json:"name"`
	Zone         string `json:"zone"`
	InstanceType string `json:"instanceType"`
	IP           string `json:"ip"`
	PodRange     string `json:"podRange"`
}

// Storage names the default StorageClass and its provisioner.
type Storage struct {
	ClassName   string `json:"className"`
	Provisioner string `json:"provisioner"`
}

// Default returns the built-in topology: three nodes over two zones.
func Default() (*Topology, error) {
	return Parse(defaultTopology)
}

// Load reads a topology file; an empty path gives Default.
func Load(path string) (*Topology, error) {
	b := defaultTopology
	if path != "" {
		var err error
		if b, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("topology: read %s: %w", path, err)
		}
	}
	return Parse(b)
}

// Parse reads a topology (YAML or JSON) and validates it. A "behaviour"
// section, the embedded backend's, is left to it; any other unknown key is
// an error.
func Parse(b []byte) (*Topology, error) {
	var file struct {
		Topology
		Behaviour json.RawMessage `json:"behaviour"`
	}
	if err := yaml.UnmarshalStrict(b, &file); err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	if err := file.Validate(); err != nil {
		return nil, err
	}
	return &file.Topology, nil
}

// Zones are the zones of the nodes, each once, in the order they first
// appear.
func (t *Topology) Zones() []string {
	seen := map[string]bool{}
	var zones []string
	for _, n := range t.Nodes {
		if !seen[n.Zone] {
			seen[n.Zone] = true
			zones = append(zones, n.Zone)
		}
	}
	return zones
}

// Validate checks that the topology has nodes, each named once, in a zone,
// of a known instance type, with an address and a pod range.
func (t *Topology) Validate() error {
	if len(t.Nodes) == 0 {
		return fmt.Errorf("topology: no nodes")
	}
	seen := map[string]bool{}
	for _, n := range t.Nodes {
		if seen[n.Name] {
			return fmt.Errorf("topology: node %q listed twice", n.Name)
		}
		seen[n.Name] = true
		if _, ok := t.InstanceTypes[n.InstanceType]; !ok {
			return fmt.Errorf("topology: node %s: unknown instance type %q", n.Name, n.InstanceType)
		}
		if _, err := netip.ParseAddr(n.IP); err != nil {
			return fmt.Errorf("topology: node %s: ip: %w", n.Name, err)
		}
		if _, err := netip.ParsePrefix(n.PodRange); err != nil {
			return fmt.Errorf("topology: node %s: podRange: %w", n.Name, err)
		}
		if n.Zone == "" {
			return fmt.Errorf("topology: node %s has no zone", n.Name)
		}
	}
	return nil
}
