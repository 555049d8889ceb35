#!/usr/bin/env bash
# Side by side on the same bytes, in one run (issue 7): podtrace against `rg -c -F` with the
# literals podtrace needs, `jq` selecting pod creations from the audit log, and `cat` as the
# memory-bandwidth floor; peak RSS and 1-core vs 2-core speed-up.
#
#   benches/compare.sh [SIZE_PODS] [NOISE] [WORKDIR]
#
# Needs: hyperfine, ripgrep, jq, GNU time (apt-get install hyperfine ripgrep jq time).
# Defaults make a bundle of about 1 GB. Results are printed as markdown for benches/README.md.
set -euo pipefail
PODS=${1:-30000}
NOISE=${2:-40}
WORK=${3:-/tmp/podtrace-compare}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/target/release/podtrace"

cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
rm -rf "$WORK" && mkdir -p "$WORK"
"$BIN" simulate "$WORK/bundle" --pods "$PODS" --nodes 3 --noise "$NOISE" --seed 1 >/dev/null
BYTES=$(du -sb "$WORK/bundle" | cut -f1)
AUDIT="$WORK/bundle/kind-control-plane/kubernetes/kube-apiserver-audit.log"
cat "$WORK"/bundle/*/*.log "$WORK"/bundle/*/*/*.log > /dev/null # warm the page cache

# The literals podtrace's prefilter looks for (each source's `literals` in src/sources/), for rg.
PATTERNS="$WORK/literals.txt"
awk '/literals: &\[/{on=1} on{print} on&&/\]/{on=0}' "$ROOT"/src/sources/*.rs | grep -o '"[^"]*"' | tr -d '"' > "$PATTERNS"
echo '"pods"' >> "$PATTERNS"

echo "### bundle: $PODS pods, noise $NOISE, $((BYTES / 1000000)) MB, $(nproc) cores"
echo
hyperfine --warmup 1 --runs 5 --style none --export-markdown "$WORK/times.md" \
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
for cmd in "$BIN analyze -q --format json $WORK/bundle" "$BIN inspect $WORK/bundle"; do
  /usr/bin/time -f "%M" $cmd > /dev/null 2> "$WORK/rss.txt" || true
  echo "- \`${cmd/$WORK/\$WORK}\`: $(( $(tail -1 "$WORK/rss.txt") / 1024 )) MiB"
done
