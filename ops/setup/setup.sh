#!/usr/bin/env bash
# Installs everything Conveyor needs on a fresh machine, idempotently, with
# caches so a second run costs a few stat() calls. Each step lives in steps/
# and decides for itself whether it has work to do. `setup.sh run` skips what
# only the tests need (steps named *-test-*.sh), so `npm start` on a fresh
# machine does not build MinIO.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CONVEYOR_CACHE_DIR="${CONVEYOR_CACHE_DIR:-$HOME/.cache/conveyor}"
mkdir -p "$CONVEYOR_CACHE_DIR"
for step in ops/setup/steps/*.sh; do
  if [ "${1:-}" = run ] && [[ "$(basename "$step")" == *-test-* ]]; then continue; fi
  start=$(date +%s)
  bash "$step"
  took=$(( $(date +%s) - start ))
  if [ "$took" -gt 2 ]; then echo "setup: $(basename "$step") took ${took}s"; fi
done
