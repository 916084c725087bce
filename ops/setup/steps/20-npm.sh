#!/usr/bin/env bash
# npm packages: reinstall only when package-lock.json or a patch of a dependency (patches/,
# applied by patch-package at postinstall) changed since the last install.
set -euo pipefail
stamp=node_modules/.conveyor-lock-hash
want=$(cat package-lock.json patches/*.patch | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
echo "setup: installing npm packages"
# A package patched by an older patch is neither clean nor patched by the new one, and patch-package
# cannot apply the new patch over it: the patched packages are reinstalled clean first.
if [ -d node_modules ]; then
  for p in patches/*.patch; do
    pkg=$(basename "$p" .patch); pkg=${pkg%+*}; pkg=${pkg//+//}
    rm -rf "node_modules/$pkg"
  done
fi
npm install --no-audit --no-fund --no-save
echo "$want" > "$stamp"
