#!/usr/bin/env bash
# The browser editor: bundled from npm packages with esbuild into producers/editor-web/dist
# (skipped when its sources and the lock file are unchanged; fails when above its size budget).
set -euo pipefail
node node_modules/tsx/dist/cli.mjs producers/editor-web/build.ts
