#!/usr/bin/env bash
# Memory of `podtrace follow` over an hour of logs, written live (issue 14): a bundle of PODS pods
# (about an hour of log time: one pod every 20–400 ms) is written by `simulate --live` at SPEED×
# into a folder that `follow` tails; follow's resident set is sampled every second.
#
#   benches/follow-memory.sh [PODTRACE] [PODS] [SPEED]
#
# --settle and --remember are scaled with the speed (1 s and 10 s of wall time at 60× are a
# minute and ten minutes of log time), so the run holds what a real-time run would.
set -euo pipefail
BIN=${1:-target/release/podtrace}
PODS=${2:-17000}
SPEED=${3:-60}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$BIN" follow "$WORK/live" -o json --settle 1s --remember 10s --exit-when-idle 3s \
  > "$WORK/follow.jsonl" 2> "$WORK/follow.err" &
FOLLOW=$!
"$BIN" simulate "$WORK/live" --live --speed "$SPEED" --pods "$PODS" --nodes 10 --noise 2 \
  --failures --init-containers > "$WORK/sim.txt" &
SIM=$!
START=$(date +%s.%N)
TCK=$(getconf CLK_TCK)
echo "wall_s rss_kib cpu_s"
while kill -0 "$FOLLOW" 2>/dev/null; do
  RSS=$(awk '/^VmRSS/ {print $2}' /proc/$FOLLOW/status 2>/dev/null || true)
  CPU=$(awk -v t="$TCK" '{printf "%.1f", ($14 + $15) / t}' /proc/$FOLLOW/stat 2>/dev/null || true)
  [ -n "$RSS" ] && printf '%.0f %s %s\n' "$(echo "$(date +%s.%N) - $START" | bc)" "$RSS" "$CPU"
  sleep 1
done
wait "$SIM"
wait "$FOLLOW" || true
cat "$WORK/sim.txt"
tail -1 "$WORK/follow.jsonl" | python3 -c 'import json,sys; s=json.load(sys.stdin); print("pods", s["pods"], "tally", s["tally"], "lines", s["lines"], "stopped", s["stopped"])'
grep -c '"type":"pod"' "$WORK/follow.jsonl" | sed 's/^/pod records /'
if [ -n "${KEEP:-}" ]; then cp -r "$WORK/live" "$KEEP/bundle"; cp "$WORK/follow.jsonl" "$KEEP/"; fi
