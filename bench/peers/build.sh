#!/usr/bin/env bash
# Builds the peer cluster's binaries for bench/peers, with nothing downloaded
# but Go modules:
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler from the
#   module versions in kubelab's go.mod (the versions the embedded sandbox
#   runs), with the Makefile's version stamps;
#   kwokctl and kwok (the kwok controller) at KWOK_VERSION, built outside
#   kubelab's module so go.mod does not change.
#
# usage: bench/peers/build.sh [OUT_DIR]     (default /tmp/peers-bin)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/tmp/peers-bin}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The same version stamps as the Makefile, so the binaries report v1.37.2.
ldflags=$(make -s -f - print-ldflags <<'MK'
include Makefile
print-ldflags:
	@echo '$(LDFLAGS)'
MK
)

go build -ldflags "$ldflags" -o "$out/etcd" ./bench/peers/etcd
for c in kube-apiserver kube-controller-manager kube-scheduler; do
	go build -ldflags "$ldflags" -o "$out/$c" "k8s.io/kubernetes/cmd/$c"
done
# Outside the module: `go install pkg@version` ignores the current go.mod.
(cd / && GOBIN="$out" go install "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION" \
	&& GOBIN="$out" go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION")
"$out/kube-apiserver" --version
"$out/etcd" --version | head -1
"$out/kwokctl" --version
