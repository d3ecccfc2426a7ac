#!/usr/bin/env bash
# Measures embedded sandboxes on this machine:
#   cold start to ready (median of N), private memory and idle CPU of one
#   sandbox after the module's activity, disk per sandbox, and how many
#   sandboxes the machine holds with all of them answering.
# Usage: bench/sandbox.sh [starts=5] [max-sandboxes=0 (skip the capacity run)]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${KUBELAB_BIN:-bin/kubelab}
STARTS=${1:-5}
MAXN=${2:-0}
work=$(mktemp -d /tmp/kubelab-bench-XXXX)
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

start() { # dir -> prints pid once ready
  local dir=$1
  "$BIN" sandbox up --dir "$dir" > "$dir.out" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do
    grep -q '^ready in' "$dir.out" 2>/dev/null && { echo "$pid"; return 0; }
    kill -0 "$pid" 2>/dev/null || { echo "sandbox failed: $(cat "$dir.out")" >&2; return 1; }
    sleep 0.1
  done
  echo "sandbox not ready in 60s" >&2; return 1
}

echo "== cold start to ready (nodes Ready + default service account), $STARTS runs"
times=()
for i in $(seq 1 "$STARTS"); do
  d="$work/cold$i"; mkdir -p "$d"
  pid=$(start "$d")
  t=$(sed -n 's/^ready in \(.*\)s$/\1/p' "$d.out")
  times+=("$t")
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "runs: %d  min %.2fs  median %.2fs  max %.2fs\n", NR, a[1], a[int((NR+1)/2)], a[NR]}'

echo "== one sandbox after the module's activity"
d="$work/idle"; mkdir -p "$d"
pid=$(start "$d"); pids+=("$pid")
export KUBECONFIG="$d/kubeconfig"
kubectl create namespace my-ns >/dev/null
kubectl -n my-ns create deployment nginx-deploy --image=nginx:1.25.1 --replicas=2 >/dev/null
kubectl wait -n my-ns --for=condition=Available deployment/nginx-deploy --timeout=60s >/dev/null
sleep 30
read -r rss anon file < <(awk '/^Rss:/{r=$2} /^Anonymous:/{a=$2} /^Pss_File:/{f=$2} END{print r, a, f}' "/proc/$pid/smaps_rollup")
echo "memory: RSS $((rss/1024)) MiB = private (anonymous) $((anon/1024)) MiB + the binary's code $((file/1024)) MiB, which every sandbox process shares"
hz=$(getconf CLK_TCK)
c1=$(awk '{print $14+$15}' "/proc/$pid/stat"); sleep 60; c2=$(awk '{print $14+$15}' "/proc/$pid/stat")
awk -v a="$c1" -v b="$c2" -v hz="$hz" 'BEGIN {printf "idle CPU: %.2f%% of one core (60 s)\n", (b-a)/hz/60*100}'
echo "disk: $(du -sh "$d" | cut -f1) (etcd preallocates its write-ahead log)"
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true

if [ "$MAXN" -gt 0 ]; then
  echo "== capacity: sandboxes started one after another, all must answer /readyz within 2 s"
  held=0
  for i in $(seq 1 "$MAXN"); do
    d="$work/cap$i"; mkdir -p "$d"
    if ! pid=$(start "$d"); then echo "start $i failed"; break; fi
    pids+=("$pid")
    ok=0
    for j in $(seq 1 "$i"); do
      timeout 2 kubectl --kubeconfig "$work/cap$j/kubeconfig" get --raw /readyz >/dev/null 2>&1 && ok=$((ok+1))
    done
    avail=$(awk '/MemAvailable/{print int($2/1024)}' /proc/meminfo)
    load=$(cut -d' ' -f1 /proc/loadavg)
    echo "sandboxes: $i  answering: $ok  MemAvailable: ${avail} MiB  load: $load"
    [ "$ok" -eq "$i" ] || break
    held=$i
  done
  echo "held with all answering: $held"
fi
