#!/usr/bin/env bash
# Side by side on the same bytes, in one run (issue 7): podtrace against `rg -c -F` with the
# literals podtrace needs, `jq` selecting pod creations from the audit log, and `cat` as the
# memory-bandwidth floor; peak RSS and 1-core vs 2-core speed-up.
#
#   benches/compare.sh [SIZE_PODS] [NOISE] [WORKDIR]
#   NODES=50 SKEW_MS=250 TIMEZONE=2 benches/compare.sh 2500 20   (issue 16's mid-size shape)
#   BEFORE=/tmp/podtrace-old benches/compare.sh …   adds an older binary's rows, side by side
#
# Needs: hyperfine, ripgrep, jq, GNU time (apt-get install hyperfine ripgrep jq time).
# Defaults make a bundle of about 1 GB. Results are printed as markdown for benches/README.md.
set -euo pipefail
PODS=${1:-30000}
NOISE=${2:-40}
WORK=${3:-/tmp/podtrace-compare}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NODES=${NODES:-3}
SKEW_MS=${SKEW_MS:-0}
TIMEZONE=${TIMEZONE:-0}
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/podtrace"

cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
rm -rf "$WORK" && mkdir -p "$WORK"
"$BIN" simulate "$WORK/bundle" --pods "$PODS" --nodes "$NODES" --noise "$NOISE" --seed 1 \
  --skew-ms "$SKEW_MS" --timezone "$TIMEZONE" >/dev/null
BYTES=$(du -sb "$WORK/bundle" | cut -f1)
AUDIT="$WORK/bundle/kind-control-plane/kubernetes/kube-apiserver-audit.log"
cat "$WORK"/bundle/*/*.log "$WORK"/bundle/*/*/*.log > /dev/null # warm the page cache

# The literals podtrace's prefilter looks for (each source's `literals` in src/sources/), for rg.
PATTERNS="$WORK/literals.txt"
awk '/literals: &\[/{on=1} on{print} on&&/\]/{on=0}' "$ROOT"/src/sources/*.rs | grep -o '"[^"]*"' | tr -d '"' > "$PATTERNS"
echo '"pods"' >> "$PATTERNS"

echo "### bundle: $PODS pods, $NODES nodes, noise $NOISE, skew ±$SKEW_MS ms, UTC+$TIMEZONE, $((BYTES / 1000000)) MB, $(nproc) cores"
echo
BEFORE_ROWS=()
if [ -n "${BEFORE:-}" ]; then
  BEFORE_ROWS=(-n "before: podtrace analyze (2 threads)" "$BEFORE analyze -q --format json $WORK/bundle > /dev/null")
fi
hyperfine --warmup 1 --runs 5 --style none --export-markdown "$WORK/times.md" \
  "${BEFORE_ROWS[@]}" \
  -n "podtrace analyze (2 threads)" "$BIN analyze -q --format json $WORK/bundle > /dev/null" \
  -n "podtrace analyze (1 thread)" "RAYON_NUM_THREADS=1 $BIN analyze -q --format json $WORK/bundle > /dev/null" \
  -n "podtrace inspect (no pod output)" "$BIN inspect $WORK/bundle > /dev/null" \
  -n "rg -c -F -f literals" "rg -c -F -f $PATTERNS $WORK/bundle > /dev/null" \
  -n "cat" "cat \$(find $WORK/bundle -name '*.log') > /dev/null" >/dev/null
cat "$WORK/times.md"
echo
echo "### audit log only ($(($(stat -c %s "$AUDIT") / 1000000)) MB)"
echo
hyperfine --warmup 1 --runs 3 --style none --export-markdown "$WORK/audit.md" \
  -n "podtrace analyze audit" "$BIN analyze -q --format json $AUDIT > /dev/null" \
  -n "jq pod creations" "jq -c 'select(.objectRef.resource==\"pods\" and .verb==\"create\" and (.objectRef.subresource|not))' $AUDIT > /dev/null" >/dev/null
cat "$WORK/audit.md"
echo
echo "### peak RSS"
echo
for cmd in ${BEFORE:+"$BEFORE analyze -q --format json $WORK/bundle"} "$BIN analyze -q --format json $WORK/bundle" "$BIN inspect $WORK/bundle"; do
  /usr/bin/time -f "%M" $cmd > /dev/null 2> "$WORK/rss.txt" || true
  echo "- \`${cmd/$WORK/\$WORK}\`: $(( $(tail -1 "$WORK/rss.txt") / 1024 )) MiB"
done
