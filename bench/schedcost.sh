#!/usr/bin/env bash
# What recording the scheduler's decisions costs, side by side in one run:
#   bench/schedcost.sh [ROUNDS=5] [PODS=100]
# PODS must fit the default topology (at most about 100 besides kube-system).
# Two sandboxes run at once: one records its decisions (the default), one
# runs the same scheduler without the recorder (--no-scheduling-records).
# Each round schedules PODS pods in each (a Deployment scaled from 0), the
# order alternating, so ROUNDS×PODS pods per sandbox. For each sandbox it
# prints the scheduler's CPU (a CPU profile of the sandbox process over the
# whole round, the samples of the goroutines the scheduler runs: they carry
# the profile label kubelab.component=kube-scheduler, informers, client
# connections and the decision writer included, the API server's handling
# of in-process requests not; of these, the recorder's own stacks) and the
# whole process's CPU, per round and per scheduled pod. With SCHEDCOST_PROFILES=DIR the CPU profiles
# are kept there (one per sandbox and round) for pprof; KUBELAB_BIN runs
# another build than bin/kubelab; SCHEDCOST_SECONDS sets the profile's
# length (default 40 s: a round must end within it).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}; pods=${2:-100}
bin=${KUBELAB_BIN:-bin/kubelab}
secs=${SCHEDCOST_SECONDS:-40}
[ -x "$bin" ] || { echo "run make build first" >&2; exit 1; }
work=$(mktemp -d /tmp/kubelab-schedcost-XXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
start() { # name args...
  local name=$1; shift
  "$bin" sandbox up --dir "$work/$name" "$@" >"$work/$name.out" 2>&1 &
  pids+=($!)
  echo $! >"$work/$name.pid"
  for _ in $(seq 900); do grep -q '^ready in' "$work/$name.out" 2>/dev/null && return; sleep 0.2; done
  echo "$name did not start" >&2; exit 1
}
start record
start plain --no-scheduling-records
cpu() { # process CPU seconds of a sandbox
  awk -v t="$(getconf CLK_TCK)" '{print ($14+$15)/t}' "/proc/$(cat "$work/$1.pid")/stat"
}
seconds() { # pprof profile pprof-filter... -> CPU seconds of the samples the filters keep
  local prof=$1; shift
  go tool pprof -nodefraction=0 "$@" -top "$prof" 2>/dev/null |
    sed -n 's/.*Showing nodes accounting for \([0-9.]*\)\(m\?s\),.*/\1 \2/p' | awk '{ if ($2=="ms") print $1/1000; else print $1 }'
}
round() { # name -> "schedulerCPU processCPU recorderCPU"
  local name=$1 kc="$work/$1/kubeconfig" sock prof before after
  sock=$(cat "$work/$name/stats.addr")
  prof="$work/$name.$RANDOM.pb.gz"
  kubectl --kubeconfig "$kc" create deployment bench --image=nginx --replicas=0 >/dev/null
  before=$(cpu "$name")
  curl -sf --unix-socket "$sock" "http://sandbox/debug/pprof/profile?seconds=$secs" -o "$prof" &
  local curlpid=$!
  sleep 0.5
  kubectl --kubeconfig "$kc" scale deployment bench --replicas="$pods" >/dev/null
  local t0=$SECONDS
  for _ in $(seq 200); do
    n=$(kubectl --kubeconfig "$kc" get pods -l app=bench -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | grep -c . || true)
    [ "$n" -ge "$pods" ] && break; sleep 0.1
  done
  [ $((SECONDS - t0)) -lt "$secs" ] || echo "round longer than the profile ($secs s): raise SCHEDCOST_SECONDS" >&2
  wait $curlpid
  [ -n "${SCHEDCOST_PROFILES:-}" ] && mkdir -p "$SCHEDCOST_PROFILES" && cp "$prof" "$SCHEDCOST_PROFILES/$name-$(date +%s%N).pb.gz"
  after=$(cpu "$name")
  sched=$(seconds "$prof" -tagfocus=kubelab.component=kube-scheduler)
  rec=$(seconds "$prof" -tagfocus=kubelab.component=kube-scheduler -focus=sandbox/schedrecord)
  kubectl --kubeconfig "$kc" delete deployment bench --wait=false >/dev/null
  for _ in $(seq 300); do
    [ "$(kubectl --kubeconfig "$kc" get pods -l app=bench --no-headers 2>/dev/null | wc -l)" -eq 0 ] && break; sleep 0.2
  done
  echo "${sched:-0} $(echo "$after - $before" | bc -l) ${rec:-0}"
}
declare -A s p o
s[record]=0; s[plain]=0; p[record]=0; p[plain]=0; o[record]=0; o[plain]=0
for r in $(seq "$rounds"); do
  order="record plain"; [ $((r % 2)) -eq 0 ] && order="plain record"
  for v in $order; do
    read -r sc pc oc < <(round "$v")
    s[$v]=$(echo "${s[$v]} + $sc" | bc -l); p[$v]=$(echo "${p[$v]} + $pc" | bc -l); o[$v]=$(echo "${o[$v]} + $oc" | bc -l)
    printf 'round %d %-7s scheduler %.3f CPU-s (%.2f ms/pod, recorder %.3f ms/pod)  process %.2f CPU-s (%.1f ms/pod)\n' "$r" "$v" "$sc" \
      "$(echo "$sc * 1000 / $pods" | bc -l)" "$(echo "$oc * 1000 / $pods" | bc -l)" "$pc" "$(echo "$pc * 1000 / $pods" | bc -l)"
  done
done
n=$((rounds * pods))
for v in plain record; do
  printf '%-7s %d pods: scheduler %.3f ms CPU/pod (recorder %.3f), whole sandbox process %.2f ms CPU/pod\n' "$v" "$n" \
    "$(echo "${s[$v]} * 1000 / $n" | bc -l)" "$(echo "${o[$v]} * 1000 / $n" | bc -l)" "$(echo "${p[$v]} * 1000 / $n" | bc -l)"
done
printf 'recorder stacks alone: %.1f %% of the plain scheduler CPU\n' "$(echo "${o[record]} / ${s[plain]} * 100" | bc -l)"
printf 'recording adds %.1f %% scheduler CPU and %.1f %% process CPU per scheduled pod\n' \
  "$(echo "(${s[record]} / ${s[plain]} - 1) * 100" | bc -l)" "$(echo "(${p[record]} / ${p[plain]} - 1) * 100" | bc -l)"
