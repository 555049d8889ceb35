#!/usr/bin/env bash
# The release as a kubectl plugin, end to end: deploy/package.sh packs the release binary, the
# archive is unpacked and linked as krew does (`kubectl-podtrace` -> the manifest's `bin`), and
# the real kubectl finds and runs it: `kubectl plugin list`, `kubectl podtrace analyze`.
#   tests/e2e/plugin.sh BINARY
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
deploy/package.sh 0.0.0-ci https://example.invalid/releases "$work/dist" "$bin" > "$work/pkg.txt"
read -r archive sha < "$work/pkg.txt"
[ "$(sha256sum "$archive" | cut -d' ' -f1)" = "$sha" ]
grep -q "sha256: \"$sha\"" "$work/dist/podtrace.yaml"
grep -q 'version: "v0.0.0-ci"' "$work/dist/podtrace.yaml"
# What krew does on install: unpack into its store, link kubectl-<name> to `bin`.
mkdir -p "$work/store" "$work/bin"
tar -C "$work/store" -xzf "$archive"
[ -f "$work/store/LICENSE" ] && [ -f "$work/store/man/podtrace.1" ]
ln -s "$work/store/podtrace" "$work/bin/kubectl-podtrace"
export PATH="$work/bin:$PATH"
kubectl plugin list 2>/dev/null | grep -q "$work/bin/kubectl-podtrace"
kubectl podtrace analyze --help | grep -q "Usage: kubectl podtrace analyze"
# From a folder with no samples: the compiled-in demo.
(cd "$work" && kubectl podtrace analyze --format json) | head -1 | grep -q '"kubelet_e2e":5.943981402'
ls -l "$bin" | awk '{print "release binary:", $5, "bytes"}'
echo "kubectl plugin ok: $(kubectl podtrace --version)"
