package shell

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/kubelab/kubelab/sandbox/nodesim/internal/stablehash"
)

// fetch is wget and curl: a simulated page from the host of the URL.
func (vm *interp) fetch(c call) int {
	base, args := c.name, c.args
	var url, outFile string
	quiet := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "-O" || a == "-o") && i+1 < len(args):
			outFile = args[i+1]
			i++
		case a == "-q" || a == "-s" || a == "-qO-" || a == "-sS":
			quiet = true
			if a == "-qO-" {
				outFile = "-"
			}
		case strings.HasPrefix(a, "-"):
		default:
			url = a
		}
	}
	if url == "" {
		vm.write(2, base+": missing URL\n")
		return 1
	}
	host := url
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	host = strings.SplitN(host, "/", 2)[0]
	if h := strings.SplitN(host, ":", 2)[0]; !slices.Contains(vm.res.Fetched, h) {
		vm.res.Fetched = append(vm.res.Fetched, h)
	}
	body := fmt.Sprintf("<html><head></head><body><header>\n<title>%s</title>\n</header>\n\n<h1>%s</h1>\n<p>(kubelab: a simulated response; this node does not reach the network)</p>\n</body></html>\n", host, host)
	vm.sleep(200 * time.Millisecond)
	if base == "wget" {
		if outFile == "" {
			outFile = path.Base(strings.TrimSuffix(url, "/"))
			if outFile == host || outFile == "" {
				outFile = "index.html"
			}
		}
		if !quiet {
			vm.write(2, fmt.Sprintf("Connecting to %s (%s:80)\n", host, FakeIP(host)))
			if outFile != "-" {
				vm.write(2, fmt.Sprintf("saving to '%s'\n", outFile))
				vm.write(2, fmt.Sprintf("%-20s 100%% |********************************|  %4d  0:00:00 ETA\n", path.Base(outFile), len(body)))
				vm.write(2, fmt.Sprintf("'%s' saved\n", outFile))
			}
		}
	}
	if outFile == "" || outFile == "-" {
		vm.write(1, body)
	} else {
		vm.writeFile(outFile, body, false)
	}
	return 0
}

// FakeIP is the address the simulated network gives host, a name outside the cluster.
func FakeIP(host string) string {
	h := stablehash.Of(host)
	return fmt.Sprintf("%d.%d.%d.%d", 100+h%100, (h>>8)%256, (h>>16)%256, 1+(h>>24)%254)
}

// lookupName is nslookup, getent hosts and host against the cluster's DNS:
// Services resolve to their ClusterIP (a headless one to a pod address),
// names outside the cluster to an address of their own.
func (vm *interp) lookupName(c call) int {
	base, args := c.name, c.args
	var name string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") && a != "hosts" {
			name = a
			break
		}
	}
	if name == "" || vm.env.Resolve == nil {
		return 0
	}
	vm.sleep(10 * time.Millisecond)
	fqdn, ip, ok := vm.env.Resolve(name)
	dns := vm.env.DNSServer
	if !ok {
		if !slices.Contains(vm.res.DNSMiss, name) {
			vm.res.DNSMiss = append(vm.res.DNSMiss, name)
		}
		if base == "nslookup" {
			vm.write(1, fmt.Sprintf("Server:\t\t%s\nAddress:\t%s:53\n\n", dns, dns))
			vm.write(1, fmt.Sprintf("** server can't find %s: NXDOMAIN\n\n", fqdn))
		} else if base == "host" {
			vm.write(1, fmt.Sprintf("Host %s not found: 3(NXDOMAIN)\n", name))
		}
		if base == "getent" {
			return 2
		}
		return 1
	}
	switch base {
	case "nslookup":
		vm.write(1, fmt.Sprintf("Server:\t\t%s\nAddress:\t%s:53\n\nName:\t%s\nAddress: %s\n\n", dns, dns, fqdn, ip))
	case "getent":
		vm.write(1, fmt.Sprintf("%-15s %s  %s\n", ip, fqdn, name))
	default:
		vm.write(1, fmt.Sprintf("%s has address %s\n", fqdn, ip))
	}
	return 0
}
