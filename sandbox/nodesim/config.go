// Package nodesim simulates the data plane of an embedded sandbox: worker
// nodes with their kubelets, the EBS volume provisioner and the add-ons
// that an Amazon EKS cluster runs. Nothing is executed: the simulated
// kubelets write the statuses and events that real ones would.
package nodesim

import (
	_ "embed"
	"fmt"
	"os"
	"text/template"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/kubelab/kubelab/sandbox/topology"
)

//go:embed default.yaml
var defaultBehaviour []byte

// Config is the simulated data plane: its topology and its behaviour.
type Config struct {
	topology.Topology
	Behaviour Behaviour `json:"behaviour"`
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

// Behaviour is how the simulated kubelets behave: their heartbeats, the
// stages of a container's life (kwok-style: named steps with delays and
// the events they write), what the simulated processes do, and the usage
// that metrics.k8s.io reports.
type Behaviour struct {
	LeaseRenew   Duration      `json:"leaseRenew"`
	StatusReport Duration      `json:"statusReport"`
	Stages       []Stage       `json:"stages"`
	Processes    Processes     `json:"processes"`
	Metrics      MetricsConfig `json:"metrics"`
	// MissingImages are images the simulated registries do not have.
	MissingImages []string `json:"missingImages"`

	byName  map[string]*Stage
	missing []imagePattern
}

// Stage is one step of a container's life on a simulated node.
type Stage struct {
	Name string `json:"name"`
	// Delay is how long after the previous step this one happens.
	Delay Duration `json:"delay"`
	// Retry is how soon a step that cannot happen yet is tried again.
	Retry Duration `json:"retry,omitempty"`
	// Max caps a back-off that doubles from Delay (or Retry).
	Max Duration `json:"max,omitempty"`
	// Events are the events the kubelet writes at this stage, by role.
	Events map[string]EventSpec `json:"events,omitempty"`
}

// EventSpec is an event a kubelet writes; Message is a Go template.
type EventSpec struct {
	Type    string `json:"type"`
	Reason  string `json:"reason"`
	Message string `json:"message"`

	tmpl *template.Template
}

// Processes says what simulated containers run.
type Processes struct {
	Servers        []string            `json:"servers"`
	ShellImages    []string            `json:"shellImages"`
	OneShotImages  map[string][]string `json:"oneShotImages"`
	IgnoreSigterm  []string            `json:"ignoreSigterm"`
	ServerLogs     map[string][]string `json:"serverLogs"`
	WebServers     []string            `json:"webServers"`
	AccessEvery    Duration            `json:"accessEvery"`
	serverLogTmpls map[string][]*template.Template
}

// MetricsConfig is the synthetic usage served by metrics.k8s.io.
type MetricsConfig struct {
	CPUShare      float64           `json:"cpuShare"`
	MemoryShare   float64           `json:"memoryShare"`
	CPUDefault    resource.Quantity `json:"cpuDefault"`
	MemoryDefault resource.Quantity `json:"memoryDefault"`
	Noise         float64           `json:"noise"`
	Window        Duration          `json:"window"`
	FirstAfter    Duration          `json:"firstAfter"`
	// LoadPerClient is the CPU that the requests of one load generator (a
	// container that sends HTTP requests to a Service in an endless loop)
	// cost the Service's pods, shared among them.
	LoadPerClient resource.Quantity `json:"loadPerClient"`
	Image         string            `json:"image"`
}

// requiredStages are the stages the simulator looks up by name.
var requiredStages = []string{"mount", "sandbox", "pull", "repull", "imagePullBackOff", "configRetry", "create",
	"postStart", "run", "oomKill", "restart", "crashLoopBackOff", "probe", "preStop", "stop"}

// stage returns the named stage (validated to exist).
func (b *Behaviour) stage(name string) *Stage {
	if st := b.byName[name]; st != nil {
		return st
	}
	return &Stage{Name: name}
}

// d returns the stage's delay.
func (b *Behaviour) d(name string) time.Duration { return b.stage(name).Delay.Duration }

// backOff returns the n-th (from 0) wait of a stage that doubles up to Max.
func (st *Stage) backOff(n int) time.Duration {
	d := st.Delay.Duration
	if st.Retry.Duration > 0 {
		d = st.Retry.Duration
	}
	max := st.Max.Duration
	for i := 0; i < n && (max == 0 || d < max); i++ {
		d *= 2
	}
	if max > 0 && d > max {
		d = max
	}
	return d
}

// merge fills what b leaves out from def.
func (b *Behaviour) merge(def *Behaviour) {
	if b.LeaseRenew.Duration == 0 {
		b.LeaseRenew = def.LeaseRenew
	}
	if b.StatusReport.Duration == 0 {
		b.StatusReport = def.StatusReport
	}
	have := map[string]int{}
	for i, st := range b.Stages {
		have[st.Name] = i
	}
	for _, st := range def.Stages {
		i, ok := have[st.Name]
		if !ok {
			b.Stages = append(b.Stages, st)
			continue
		}
		if b.Stages[i].Events == nil {
			b.Stages[i].Events = map[string]EventSpec{}
		}
		for role, ev := range st.Events {
			if _, ok := b.Stages[i].Events[role]; !ok {
				b.Stages[i].Events[role] = ev
			}
		}
	}
	p, dp := &b.Processes, def.Processes
	if p.Servers == nil {
		p.Servers = dp.Servers
	}
	if p.ShellImages == nil {
		p.ShellImages = dp.ShellImages
	}
	if p.OneShotImages == nil {
		p.OneShotImages = dp.OneShotImages
	}
	if p.IgnoreSigterm == nil {
		p.IgnoreSigterm = dp.IgnoreSigterm
	}
	if p.ServerLogs == nil {
		p.ServerLogs = dp.ServerLogs
	}
	if p.WebServers == nil {
		p.WebServers = dp.WebServers
	}
	if p.AccessEvery.Duration == 0 {
		p.AccessEvery = dp.AccessEvery
	}
	if b.Metrics.Window.Duration == 0 && b.Metrics.CPUShare == 0 && b.Metrics.Image == "" {
		b.Metrics = def.Metrics
	}
	if b.MissingImages == nil {
		b.MissingImages = def.MissingImages
	}
}

// compile indexes the stages and parses the templates.
func (b *Behaviour) compile() error {
	b.byName = map[string]*Stage{}
	for i := range b.Stages {
		st := &b.Stages[i]
		if st.Name == "" {
			return fmt.Errorf("nodesim: behaviour: stage %d has no name", i)
		}
		if b.byName[st.Name] != nil {
			return fmt.Errorf("nodesim: behaviour: stage %q listed twice", st.Name)
		}
		b.byName[st.Name] = st
		for role, ev := range st.Events {
			t, err := template.New(st.Name + "/" + role).Option("missingkey=zero").Parse(ev.Message)
			if err != nil {
				return fmt.Errorf("nodesim: behaviour: stage %s event %s: %w", st.Name, role, err)
			}
			if ev.Type != corev1.EventTypeNormal && ev.Type != corev1.EventTypeWarning {
				return fmt.Errorf("nodesim: behaviour: stage %s event %s: type %q", st.Name, role, ev.Type)
			}
			ev.tmpl = t
			st.Events[role] = ev
		}
	}
	for _, name := range requiredStages {
		if b.byName[name] == nil {
			return fmt.Errorf("nodesim: behaviour: stage %q is missing", name)
		}
	}
	b.missing = nil
	for _, m := range b.MissingImages {
		ip, err := parseImagePattern(m)
		if err != nil {
			return fmt.Errorf("nodesim: behaviour: missingImages %q: %w", m, err)
		}
		b.missing = append(b.missing, ip)
	}
	b.Processes.serverLogTmpls = map[string][]*template.Template{}
	for img, lines := range b.Processes.ServerLogs {
		for i, l := range lines {
			t, err := template.New(fmt.Sprintf("%s/%d", img, i)).Parse(l)
			if err != nil {
				return fmt.Errorf("nodesim: behaviour: serverLogs %s line %d: %w", img, i+1, err)
			}
			b.Processes.serverLogTmpls[img] = append(b.Processes.serverLogTmpls[img], t)
		}
	}
	return nil
}

// DefaultConfig returns the built-in configuration: the default topology
// and behaviour.
func DefaultConfig() (*Config, error) {
	topo, err := topology.Default()
	if err != nil {
		return nil, fmt.Errorf("nodesim: %w", err)
	}
	def, err := defaultBehaviourOf()
	if err != nil {
		return nil, err
	}
	c := &Config{Topology: *topo, Behaviour: *def}
	if err := c.Behaviour.compile(); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadConfig reads a configuration file (a topology, and the behaviour it
// changes); an empty path gives DefaultConfig.
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

// defaultBehaviourOf parses the built-in behaviour.
func defaultBehaviourOf() (*Behaviour, error) {
	var def struct {
		Behaviour Behaviour `json:"behaviour"`
	}
	if err := yaml.UnmarshalStrict(defaultBehaviour, &def); err != nil {
		return nil, fmt.Errorf("nodesim: default behaviour: %w", err)
	}
	return &def.Behaviour, nil
}

// parseConfig reads a configuration: what its behaviour leaves out is the
// built-in one's.
func parseConfig(b []byte) (*Config, error) {
	var c Config
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		return nil, fmt.Errorf("nodesim: config: %w", err)
	}
	def, err := defaultBehaviourOf()
	if err != nil {
		return nil, err
	}
	c.Behaviour.merge(def)
	if err := c.Behaviour.compile(); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("nodesim: %w", err)
	}
	return &c, nil
}
