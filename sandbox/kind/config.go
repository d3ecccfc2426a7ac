package kind

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"

	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/topology"
)

// The node labels a sandbox's nodes carry, as on the embedded sandbox's
// simulated nodes and on Amazon EKS.
const (
	LabelZone         = "topology.kubernetes.io/zone"
	LabelRegion       = "topology.kubernetes.io/region"
	LabelInstanceType = "node.kubernetes.io/instance-type"
	LabelNodegroup    = "eks.amazonaws.com/nodegroup"
	LabelCapacityType = "eks.amazonaws.com/capacityType"
)

// ControlPlaneInstanceType is the instance-type label of the control-plane
// node. EKS hides its control plane; kind cannot, so the node gets a value
// that no worker has: selectors by instance type still match only workers,
// and checks that every node has the label still hold.
const ControlPlaneInstanceType = "control-plane"

// NamePrefix starts the name of every kind cluster kubelab creates.
const NamePrefix = "kubelab-"

// MaxClusterName is the longest cluster name kind accepts without warning
// (the control-plane container's host name adds "-control-plane").
const MaxClusterName = 50

// hashLen is how many hex digits of a learner name's hash stand for the
// cut part of a long name.
const hashLen = 8

var (
	prefixRe      = regexp.MustCompile(`^[a-z0-9]{1,12}$`)
	kindClusterRe = regexp.MustCompile(`^[a-z0-9.-]+$`) // kind's own rule
)

// ValidPrefix reports whether prefix can tell this server's clusters from
// other servers': 1-12 lowercase letters and digits. Dashes are refused so
// that no prefix's cluster names start with another prefix's.
func ValidPrefix(prefix string) error {
	if !prefixRe.MatchString(prefix) {
		return fmt.Errorf("kind: invalid prefix %q: use 1-12 lowercase letters and digits", prefix)
	}
	return nil
}

// clusterPrefix is how the names of the clusters of one server start.
func clusterPrefix(prefix string) string { return NamePrefix + prefix + "-" }

// ClusterName returns the kind cluster name of a learner's sandbox:
// kubelab-<prefix>-<learner>. A learner name too long for kind's 50
// characters is cut and ends with a hash of the whole name; such names
// always fill the 50 characters, and names used whole are always shorter,
// so no two learners share a cluster.
func ClusterName(prefix, learner string) (string, error) {
	if err := ValidPrefix(prefix); err != nil {
		return "", err
	}
	if err := sandbox.ValidName(learner); err != nil {
		return "", err
	}
	head := clusterPrefix(prefix)
	budget := MaxClusterName - len(head)
	if len(learner) < budget {
		return head + learner, nil
	}
	sum := sha256.Sum256([]byte(learner))
	return head + learner[:budget-hashLen-1] + "-" + hex.EncodeToString(sum[:])[:hashLen], nil
}

// ownsCluster reports whether a kind cluster belongs to the server with
// this prefix.
func ownsCluster(prefix, cluster string) bool {
	return strings.HasPrefix(cluster, clusterPrefix(prefix)) && len(cluster) > len(clusterPrefix(prefix))
}

// LoadPrefix returns the server's prefix kept in dir/prefix, making a new
// random one (6 letters and digits) the first time. Keeping it in the data
// directory lets a restarted server find its clusters, and two servers on
// one Docker engine never touch each other's.
func LoadPrefix(dir string) (string, error) {
	path := filepath.Join(dir, "prefix")
	data, err := os.ReadFile(path)
	if err == nil {
		p := strings.TrimSpace(string(data))
		if err := ValidPrefix(p); err != nil {
			return "", fmt.Errorf("kind: %s: %w", path, err)
		}
		return p, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("kind: read prefix: %w", err)
	}
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("kind: random prefix: %w", err)
	}
	p := hex.EncodeToString(b)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("kind: %w", err)
	}
	if err := os.WriteFile(path, []byte(p+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("kind: write prefix: %w", err)
	}
	return p, nil
}

// ClusterConfig returns the kind configuration of a sandbox with the
// topology topo: one control-plane node, and one worker per node of topo
// carrying its zone, region and instance type as node labels (the kubelet
// sets them at registration; NodeRestriction allows these keys).
func ClusterConfig(topo *topology.Topology) *v1alpha4.Cluster {
	cfg := &v1alpha4.Cluster{TypeMeta: v1alpha4.TypeMeta{Kind: "Cluster", APIVersion: "kind.x-k8s.io/v1alpha4"}}
	cpZone := ""
	if len(topo.Nodes) > 0 {
		cpZone = topo.Nodes[0].Zone
	}
	cfg.Nodes = append(cfg.Nodes, v1alpha4.Node{Role: v1alpha4.ControlPlaneRole, Labels: map[string]string{
		LabelRegion:       topo.Region,
		LabelZone:         cpZone,
		LabelInstanceType: ControlPlaneInstanceType,
	}})
	for _, n := range topo.Nodes {
		cfg.Nodes = append(cfg.Nodes, v1alpha4.Node{Role: v1alpha4.WorkerRole, Labels: map[string]string{
			LabelRegion:       topo.Region,
			LabelZone:         n.Zone,
			LabelInstanceType: n.InstanceType,
			LabelNodegroup:    "kubelab-workers",
			LabelCapacityType: "ON_DEMAND",
		}})
	}
	return cfg
}

// ConfigYAML encodes a kind configuration as the YAML file `kind create
// cluster --config` reads.
func ConfigYAML(cfg *v1alpha4.Cluster) ([]byte, error) {
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("kind: encode cluster config: %w", err)
	}
	return b, nil
}
