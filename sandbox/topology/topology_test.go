package topology

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDefault(t *testing.T) {
	topo, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if len(topo.Nodes) != 3 || topo.Region != "us-east-1" || topo.Storage.ClassName != "gp2" {
		t.Errorf("default topology: %d nodes, region %q, class %q", len(topo.Nodes), topo.Region, topo.Storage.ClassName)
	}
	if got := topo.Zones(); !slices.Equal(got, []string{"us-east-1a", "us-east-1b"}) {
		t.Errorf("zones %q", got)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "topology.yaml")
	if err := os.WriteFile(file, []byte(oneNode+"behaviour:\n  leaseRenew: 5s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	topo, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(topo.Nodes) != 1 || topo.Nodes[0].Name != "n1" {
		t.Errorf("nodes %+v", topo.Nodes)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.HasPrefix(err.Error(), "topology: read ") {
		t.Errorf("missing file: %v", err)
	}
	if topo, err := Load(""); err != nil || len(topo.Nodes) != 3 {
		t.Errorf("empty path: %v", err)
	}
}

// oneNode is a valid topology of one node.
const oneNode = `region: r
instanceTypes:
  small: {cpu: "1", memory: 1Gi, maxPods: 10}
nodes:
  - {name: n1, zone: z1, instanceType: small, ip: 10.0.0.1, podRange: 10.1.0.0/24}
`

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, yaml, err string
	}{
		{"no nodes", "region: r\n", "topology: no nodes"},
		{"unknown key", oneNode + "colour: blue\n", `unknown field "colour"`},
		{"node listed twice", oneNode + "  - {name: n1, zone: z1, instanceType: small, ip: 10.0.0.2, podRange: 10.2.0.0/24}\n",
			`topology: node "n1" listed twice`},
		{"unknown instance type", strings.Replace(oneNode, "instanceType: small", "instanceType: big", 1),
			`topology: node n1: unknown instance type "big"`},
		{"bad ip", strings.Replace(oneNode, "ip: 10.0.0.1", "ip: nowhere", 1), "topology: node n1: ip: "},
		{"bad pod range", strings.Replace(oneNode, "podRange: 10.1.0.0/24", "podRange: 10.1.0.0", 1), "topology: node n1: podRange: "},
		{"no zone", strings.Replace(oneNode, "zone: z1", `zone: ""`, 1), "topology: node n1 has no zone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("error %v, want one with %q", err, c.err)
			}
		})
	}
}
