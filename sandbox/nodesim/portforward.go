package nodesim

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/httpstream/wsstream"
	"k8s.io/cri-streaming/pkg/streaming/portforward"
)

// portForwardIdle is how long a port-forward with no traffic stays open,
// as a kubelet's streaming idle timeout does.
const portForwardIdle = 4 * time.Hour

// servePortForward answers `kubectl port-forward`: each connection to a
// port that a running server container of the pod listens on (the image
// catalog's ports, or the container's declared containerPorts) gets a
// simulated HTTP server: an image with pages of its own (nginx, httpd)
// serves them and the files under its document root and answers 404 for
// any other path; other servers answer with a page saying which pod and
// container answered. A port nothing listens on is refused, as connecting
// to a closed port in a real pod is.
func (s *Simulator) servePortForward(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("ns"), r.PathValue("pod")
	pod, ok := s.reachablePod(w, ns, name)
	if !ok {
		return
	}
	var opts *portforward.V4Options
	if wsstream.IsWebSocketRequest(r) {
		var err error
		if opts, err = portforward.NewV4Options(r); err != nil {
			writeStatus(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	portforward.ServePortForward(w, r, forwarder{s: s, pod: pod}, name, string(pod.UID), opts,
		portForwardIdle, 30*time.Second, portforward.SupportedProtocols)
}

// forwarder is one port-forward session's view of its pod.
type forwarder struct {
	s   *Simulator
	pod *corev1.Pod
}

// PortForward serves one forwarded connection.
func (f forwarder) PortForward(ctx context.Context, _ string, _ string, port int32, stream io.ReadWriteCloser) error {
	defer func() { _ = stream.Close() }()
	ctr, server, status := f.listener(port)
	if ctr == "" {
		return fmt.Errorf("pod %s: nothing listens on port %d (kubelab: simulated node; only a running server container's ports answer)", f.pod.Name, port)
	}
	br := bufio.NewReader(stream)
	for ctx.Err() == nil {
		req, err := http.ReadRequest(br)
		if err != nil {
			return nil // the client closed, or spoke something other than HTTP
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(req.Body, 1<<20))
		_ = req.Body.Close()
		code := status(req.URL.RequestURI())
		title := server
		if code != http.StatusOK {
			title = fmt.Sprintf("%d %s", code, http.StatusText(code))
		}
		body := fmt.Sprintf("<!DOCTYPE html>\n<html><head><title>%[1]s</title></head>\n<body>\n<h1>%[1]s</h1>\n"+
			"<p>Answered by container %[2]s of pod %[3]s on port %[4]d, path %[5]s.</p>\n"+
			"<p>(kubelab: a simulated response; this node runs no containers. / 시뮬레이션 응답입니다. 이 노드는 컨테이너를 실제로 실행하지 않습니다.)</p>\n"+
			"<hr><center>%[6]s</center>\n</body></html>\n", html.EscapeString(title), html.EscapeString(ctr), html.EscapeString(f.pod.Name), port,
			html.EscapeString(req.URL.Path), html.EscapeString(server))
		resp := &http.Response{StatusCode: code, ProtoMajor: 1, ProtoMinor: 1, Request: req,
			Header:        http.Header{"Content-Type": {"text/html; charset=utf-8"}, "Server": {server}, "Content-Length": {strconv.Itoa(len(body))}},
			ContentLength: int64(len(body)), Close: req.Close, Body: io.NopCloser(strings.NewReader(body))}
		if err := resp.Write(stream); err != nil || req.Close {
			return nil
		}
	}
	return nil
}

// listener returns the running server container that listens on port,
// the server's name ("" when none does), and the status it answers for a
// request target (the paths it serves, as its probes see them).
func (f forwarder) listener(port int32) (container, server string, status func(target string) int) {
	st := f.s.lookupState(string(f.pod.UID))
	if st == nil {
		return "", "", nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, cs := range st.all() {
		if cs.cur == nil || cs.phase != cRunning || cs.cur.plan == nil || cs.cur.plan.server == "" {
			continue
		}
		c := containerSpec(f.pod, cs)
		if c == nil {
			continue
		}
		ports := []int32{}
		if spec, _, _ := catalog.lookup(c.Image); spec != nil {
			ports = append(ports, spec.Ports...)
		}
		for _, p := range c.Ports {
			ports = append(ports, p.ContainerPort)
		}
		if slices.Contains(ports, port) {
			in := cs.cur
			status = func(target string) int {
				st.mu.Lock()
				defer st.mu.Unlock()
				return catalog.httpStatus(c.Image, c, target, in.envAt(f.s.now().Sub(in.started), st.volView(f.pod, c, nil)))
			}
			return c.Name, cs.cur.plan.server, status
		}
	}
	return "", "", nil
}
