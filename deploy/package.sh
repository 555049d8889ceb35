#!/usr/bin/env bash
# Packages a release for krew and for people: the stripped release binary, the license, the
# man pages and the shell completions in podtrace-VERSION-linux-amd64.tar.gz, and the krew
# manifest (deploy/krew/podtrace.yaml) filled with that archive's URL and sha256.
#   deploy/package.sh VERSION URL_BASE OUTDIR [BINARY]
# BINARY defaults to target/release/podtrace (build it first: cargo build --release --locked).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 3 ]; then
  echo "usage: deploy/package.sh VERSION URL_BASE OUTDIR [BINARY]" >&2
  exit 2
fi
version=$1 url_base=${2%/} out=$3 bin=${4:-target/release/podtrace}
[ -x "$bin" ] || { echo "package.sh: no binary at $bin (cargo build --release --locked)" >&2; exit 2; }
name="podtrace-$version-linux-amd64"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/man" "$stage/$name/completions" "$out"
cp "$bin" "$stage/$name/podtrace"
cp LICENSE "$stage/$name/"
"$bin" man --dir "$stage/$name/man" 2>/dev/null
for sh in bash zsh fish; do
  "$bin" completions "$sh" > "$stage/$name/completions/podtrace.$sh"
done
# krew unpacks the archive and looks for `podtrace` and LICENSE at its root.
tar -C "$stage/$name" --owner=0 --group=0 --sort=name -czf "$out/$name.tar.gz" .
sha=$(sha256sum "$out/$name.tar.gz" | cut -d' ' -f1)
sed -e "s|@VERSION@|$version|g" -e "s|@URL_BASE@|$url_base|g" -e "s|@SHA256_LINUX_AMD64@|$sha|g" \
  deploy/krew/podtrace.yaml > "$out/podtrace.yaml"
echo "$out/$name.tar.gz $sha"
echo "$out/podtrace.yaml"
