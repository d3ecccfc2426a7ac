package schedrecord_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/kubelab/kubelab/sandbox/schedrecord"
)

// A scheduler in a process of its own sends its records in batches over
// the network; the sandbox's API server stores each as a record owned by
// its pod, and a later decision for the same pod replaces the first.
func TestBatchWriterStoresRecordsOverTheNetwork(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ns := "sched-batch"
	shared.MustKubectl(t, "create", "namespace", ns)
	t.Cleanup(func() { _, _ = shared.Kubectl(t, "delete", "namespace", ns, "--wait=false") })
	// Pods no scheduler serves: the sandbox's own writes no record for them.
	var pods []*corev1.Pod
	for _, name := range []string{"one", "two", "three"} {
		p, err := shared.Client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PodSpec{SchedulerName: "nobody",
				Containers: []corev1.Container{{Name: "web", Image: "nginx"}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pods = append(pods, p)
	}
	w, err := schedrecord.NewBatchWriter(shared.REST)
	if err != nil {
		t.Fatal(err)
	}
	go w.Run(ctx)
	decision := func(p *corev1.Pod, node string) *schedrecord.Decision {
		return &schedrecord.Decision{Pod: p.Name, Namespace: ns, UID: string(p.UID), Time: time.Now().UTC().Format(time.RFC3339Nano),
			Node: node, FilterPlugins: []string{"NodeName"},
			Nodes: []schedrecord.NodeResult{{Name: node, Feasible: true, Filters: []schedrecord.FilterResult{{Plugin: "NodeName", Passed: true}}}}}
	}
	for _, p := range pods {
		w.Put(decision(p, "first-"+p.Name))
	}
	dyn, err := dynamic.NewForConfig(shared.REST)
	if err != nil {
		t.Fatal(err)
	}
	wait := func(p *corev1.Pod, node string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			d, err := schedrecord.Get(ctx, dyn, ns, p.Name, string(p.UID))
			if err == nil && d.Node == node {
				u, err := dyn.Resource(schedrecord.GVR).Namespace(ns).Get(ctx, p.Name, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if refs := u.GetOwnerReferences(); len(refs) != 1 || refs[0].UID != p.UID || refs[0].Kind != "Pod" {
					t.Fatalf("record %s/%s owned by %+v, want the pod %s", ns, p.Name, refs, p.UID)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("record of %s/%s: %+v, %v; want node %q", ns, p.Name, d, err, node)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for _, p := range pods {
		wait(p, "first-"+p.Name)
	}
	w.Put(decision(pods[1], "second"))
	wait(pods[1], "second")
	wait(pods[0], "first-one")
}

// The batch endpoint refuses what is not a batch, says which records it
// could not store, and answers only a caller the API server lets in.
func TestBatchEndpointRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	hc, err := rest.HTTPClientFor(shared.REST)
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSuffix(shared.REST.Host, "/") + schedrecord.BatchPath
	send := func(c *http.Client, method string, body io.Reader) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, url, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(answer)
	}
	for _, c := range []struct {
		name, method, body string
		status             int
		says               string
	}{
		{"not JSON", http.MethodPost, "records: [one]", http.StatusBadRequest, "JSON array"},
		{"an object, not an array", http.MethodPost, `{"namespace":"default"}`, http.StatusBadRequest, "JSON array"},
		{"read", http.MethodGet, "", http.StatusMethodNotAllowed, "POST"},
		{"a record without its pod's uid", http.MethodPost, `[{"namespace":"default","pod":"p","decision":{}}]`, http.StatusOK, `"index":0`},
		{"a decision that is not an object", http.MethodPost, `[{"namespace":"default","pod":"p","uid":"u","decision":"x"}]`, http.StatusOK, `"index":0`},
		{"an empty batch", http.MethodPost, `[]`, http.StatusOK, `{"failed":[]}`},
	} {
		status, answer := send(hc, c.method, strings.NewReader(c.body))
		if status != c.status || !strings.Contains(answer, c.says) {
			t.Errorf("%s: %d %q, want %d saying %q", c.name, status, answer, c.status, c.says)
		}
	}
	// A record the API server refuses (no such namespace) is named.
	status, answer := send(hc, http.MethodPost, strings.NewReader(
		`[{"namespace":"no-such-namespace","pod":"p","uid":"u","decision":{"pod":"p"}}]`))
	var result struct {
		Failed []struct {
			Index int    `json:"index"`
			Error string `json:"error"`
		} `json:"failed"`
	}
	if err := json.Unmarshal([]byte(answer), &result); status != http.StatusOK || err != nil || len(result.Failed) != 1 ||
		!strings.Contains(result.Failed[0].Error, "no-such-namespace") {
		t.Errorf("a record in a missing namespace: %d %q", status, answer)
	}
	// Oversized.
	big := strings.NewReader("[" + strings.Repeat(" ", schedrecord.MaxBatchBytes) + "]")
	if status, answer := send(hc, http.MethodPost, big); status != http.StatusRequestEntityTooLarge {
		t.Errorf("a batch above %d bytes: %d %q", schedrecord.MaxBatchBytes, status, answer)
	}
	// No credentials: the API server's authentication answers first.
	anonymous := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if status, answer := send(anonymous, http.MethodPost, strings.NewReader(`[]`)); status != http.StatusUnauthorized && status != http.StatusForbidden {
		t.Errorf("a caller without credentials: %d %q", status, answer)
	}
}
