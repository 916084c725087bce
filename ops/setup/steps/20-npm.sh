#!/usr/bin/env bash
# npm packages: reinstall only when package-lock.json or a patch of a dependency (patches/,
# applied by patch-package at postinstall) changed since the last install.
set -euo pipefail
stamp=node_modules/.conveyor-lock-hash
want=$(cat package-lock.json patches/*.patch | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
echo "setup: installing npm packages"
npm install --no-audit --no-fund --no-save
echo "$want" > "$stamp"
