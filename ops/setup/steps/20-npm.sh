#!/usr/bin/env bash
# npm packages: reinstall only when package-lock.json changed since the last install.
set -euo pipefail
stamp=node_modules/.conveyor-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
echo "setup: installing npm packages"
npm install --no-audit --no-fund --no-save
echo "$want" > "$stamp"
