package embedded

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"k8s.io/client-go/tools/clientcmd"
)

// A front is a sandbox's stable address: a TCP port on 127.0.0.1 that
// stays the same across the sandbox's stops and resumes (its API server
// gets a new port each time it starts) and that wakes the sandbox when a
// client connects: a frozen one is thawed, a stopped one resumed. The
// kubeconfig a learner downloads, and the console's, point at it, so a
// learner's own kubectl works whatever state the sandbox was left in.
// It relays bytes only: TLS is between the client and the API server.
type front struct {
	name string
	l    net.Listener
	port int
}

const frontPortFile = "front-port"

// openFrontLocked opens (or reopens, on the port it had) the front of the
// sandbox called name in directory id; b.mu must be held.
func (b *Backend) openFrontLocked(name, id string) (*front, error) {
	if f := b.fronts[id]; f != nil {
		return f, nil
	}
	dir := filepath.Join(b.opts.Dir, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	var l net.Listener
	if data, err := os.ReadFile(filepath.Join(dir, frontPortFile)); err == nil {
		l, _ = net.Listen("tcp", "127.0.0.1:"+strings.TrimSpace(string(data)))
	}
	if l == nil {
		var err error
		if l, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("embedded: front port for %s: %w", name, err)
		}
	}
	f := &front{name: name, l: l, port: l.Addr().(*net.TCPAddr).Port}
	if err := os.WriteFile(filepath.Join(dir, frontPortFile), []byte(strconv.Itoa(f.port)), 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("embedded: %w", err)
	}
	b.fronts[id] = f
	go b.serveFront(f)
	return f, nil
}

// closeFrontLocked closes the front of directory id; b.mu must be held.
func (b *Backend) closeFrontLocked(id string) {
	if f := b.fronts[id]; f != nil {
		_ = f.l.Close()
		delete(b.fronts, id)
	}
}

func (b *Backend) serveFront(f *front) {
	for {
		conn, err := f.l.Accept()
		if err != nil {
			return
		}
		go b.relay(f.name, conn)
	}
}

// relay wakes the sandbox and copies bytes both ways; the connection holds
// the sandbox (no freeze) while it is open.
func (b *Backend) relay(name string, in net.Conn) {
	defer in.Close()
	ctx, cancel := context.WithTimeout(context.Background(), b.opts.StartTimeout)
	box, err := b.Acquire(ctx, name)
	cancel()
	if err != nil {
		return
	}
	release := b.Hold(name)
	defer release()
	u, err := url.Parse(box.REST.Host)
	if err != nil {
		return
	}
	out, err := net.Dial("tcp", u.Host)
	if err != nil {
		return
	}
	defer out.Close()
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}
	go pipe(out, in)
	go pipe(in, out)
	wg.Wait()
}

// writeFrontKubeconfig writes dir/learner.kubeconfig: the sandbox's admin
// kubeconfig with the front's address as its server.
func writeFrontKubeconfig(adminKubeconfig string, port int) (string, error) {
	cfg, err := clientcmd.LoadFromFile(adminKubeconfig)
	if err != nil {
		return "", fmt.Errorf("embedded: read %s: %w", adminKubeconfig, err)
	}
	if len(cfg.Clusters) == 0 {
		return "", errors.New("embedded: kubeconfig without a cluster")
	}
	for _, c := range cfg.Clusters {
		c.Server = "https://127.0.0.1:" + strconv.Itoa(port)
	}
	path := filepath.Join(filepath.Dir(adminKubeconfig), "learner.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", fmt.Errorf("embedded: write %s: %w", path, err)
	}
	return path, os.Chmod(path, 0o600)
}
