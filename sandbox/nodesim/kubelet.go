package nodesim

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SimulatedMessage is what kubectl shows when it asks a simulated node for
// something that needs a real container.
const SimulatedMessage = "kubelab: this node is simulated (embedded sandbox): containers do not really run, so %s is not available here. " +
	"Use the kind backend for real containers. / kubelab: 이 노드는 시뮬레이션입니다(embedded 샌드박스). 컨테이너가 실제로 실행되지 않으므로 %s 기능을 쓸 수 없습니다."

// KubeletServer answers the API server's requests to the simulated nodes'
// kubelets: container logs are simulated; exec and attach reach the
// simulated shell, port-forward a simulated HTTP answer from the pod's
// server container; anything else gets a clear refusal instead of a
// network timeout.
func (s *Simulator) KubeletServer() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/containerLogs/{ns}/{pod}/{container}", s.serveLogs)
	refuse := func(what string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			writeStatus(w, http.StatusNotImplemented, fmt.Sprintf(SimulatedMessage, what, what))
		}
	}
	mux.HandleFunc("/exec/{ns}/{pod}/{container}", s.serveExec)
	mux.HandleFunc("/exec/", refuse("kubectl exec"))
	mux.HandleFunc("/attach/{ns}/{pod}/{container}", s.serveAttach)
	mux.HandleFunc("/attach/", refuse("kubectl attach"))
	mux.HandleFunc("/portForward/{ns}/{pod}", s.servePortForward)
	mux.HandleFunc("/portForward/{ns}/{pod}/{uid}", s.servePortForward)
	mux.HandleFunc("/portForward/", refuse("kubectl port-forward"))
	mux.HandleFunc("/run/", refuse("kubectl exec"))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	// metrics.k8s.io, reached by the aggregator through the metrics-server Service.
	mux.HandleFunc("/apis/", s.serveMetrics)
	notFound := func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusNotFound, "the server could not find the requested resource")
	}
	mux.HandleFunc("/apis", notFound)
	mux.HandleFunc("/openapi/", notFound)
	mux.HandleFunc("/livez", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("/", refuse("the node's "+"kubelet API"))
	return mux
}

func writeStatus(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status: metav1.StatusFailure, Message: msg, Reason: metav1.StatusReasonBadRequest, Code: int32(code)})
}

// ServeKubelet serves KubeletServer over TLS on l until ctx ends.
func (s *Simulator) ServeKubelet(ctx context.Context, l net.Listener, cert tls.Certificate) {
	srv := &http.Server{Handler: s.KubeletServer(), TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	_ = srv.ServeTLS(l, "", "")
}

// EgressProxy is the HTTP CONNECT proxy through which the API server
// reaches the cluster network. Every node address leads to the simulated
// kubelet endpoint at kubeletAddr, and so does an address route accepts
// (the metrics-server Service, see Simulator.Route); other pod and Service
// addresses, which only exist on paper here, are refused with a clear
// message.
func EgressProxy(kubeletAddr string, kubeletPort int32, route func(hostport string) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		_, port, err := net.SplitHostPort(r.Host)
		toKubelet := err == nil && port == strconv.Itoa(int(kubeletPort))
		if !toKubelet && (route == nil || !route(r.Host)) {
			http.Error(w, fmt.Sprintf(SimulatedMessage, "traffic to "+r.Host, "traffic to "+r.Host), http.StatusBadGateway)
			return
		}
		up, err := net.DialTimeout("tcp", kubeletAddr, 5*time.Second)
		if err != nil {
			http.Error(w, "kubelet endpoint: "+err.Error(), http.StatusBadGateway)
			return
		}
		hj, ok := w.(http.Hijacker)
		if !ok {
			up.Close()
			http.Error(w, "no hijack", http.StatusInternalServerError)
			return
		}
		conn, buf, err := hj.Hijack()
		if err != nil {
			up.Close()
			return
		}
		_, _ = conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
		go func() {
			defer up.Close()
			defer conn.Close()
			if buf.Reader.Buffered() > 0 {
				b, _ := buf.Reader.Peek(buf.Reader.Buffered())
				_, _ = up.Write(b)
			}
			go func() { _, _ = io.Copy(up, conn) }()
			_, _ = io.Copy(conn, up)
		}()
	})
}

var _ = strings.TrimSpace
