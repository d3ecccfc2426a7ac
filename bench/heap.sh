#!/usr/bin/env bash
# Heap profile of a running sandbox, broken down by component.
#   bench/heap.sh DIR [out.pb.gz]
# DIR is the sandbox's directory (`kubelab sandbox up --dir DIR`). The
# profile comes from the sandbox's stats socket (sandbox/procstats); each
# line is the live heap whose allocation stack passes through the
# component's packages (a stack can pass through two: shares overlap).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1
out=${2:-$(mktemp /tmp/kubelab-heap-XXXX.pb.gz)}
sock=$(cat "$dir/stats.addr")
curl -sf --unix-socket "$sock" http://sandbox/gc >/dev/null
curl -sf --unix-socket "$sock" "http://sandbox/debug/pprof/heap" -o "$out"
total=$(go tool pprof -sample_index=inuse_space -top "$out" 2>/dev/null | sed -n 's/.*of \([0-9.]*[kMG]B\) total.*/\1/p' | head -1)
echo "live heap (in use after a collection): $total   profile: $out"
share() { # name regexp
  local v
  v=$(go tool pprof -sample_index=inuse_space -nodefraction=0 -nodecount=1000000 -focus="$2" -top "$out" 2>/dev/null | sed -n 's/.*Showing nodes accounting for \([0-9.]*[kMG]*B\), \([0-9.]*%\) of .*/\1 (\2)/p' | head -1)
  printf '  %-46s %s\n' "$1" "${v:-0}"
}
share "etcd (raft log, MVCC index, bbolt)"               'go.etcd.io'
share "apiserver watch caches (cacher)"                 'k8s.io/apiserver/pkg/storage/cacher'
share "apiserver OpenAPI specs"                         'kube-openapi|openapi|apiserver/pkg/server/routes'
share "apiserver storage & registry"                    'k8s.io/apiserver/pkg/registry|k8s.io/kubernetes/pkg/registry'
share "client-go informers (all components)"            'k8s.io/client-go/tools/cache'
share "controller-manager"                              'k8s.io/kubernetes/pkg/controller|kube-controller-manager'
share "garbage collector graph / quota monitors"        'pkg/controller/garbagecollector|pkg/controller/resourcequota'
share "scheduler"                                       'k8s.io/kubernetes/pkg/scheduler'
share "simulated nodes"                                 'kubelab/sandbox/nodesim'
share "package initialisation (whole binary)"           'runtime.doInit'
