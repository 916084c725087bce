#!/usr/bin/env bash
# fastavro (PyPI) in a venv of its own: the export test's independent reader of
# the Avro container files `conveyor replay export` writes (avsc writes them, so
# avsc's own decoder would not count as independent). Tests only; first time only.
set -euo pipefail
cache="${CONVEYOR_CACHE_DIR:-$HOME/.cache/conveyor}"
want="fastavro==1.13.1"
venv="$cache/test-tools/fastavro"
if [ ! -f "$venv/.complete" ] || [ "$(cat "$venv/.complete")" != "$want" ]; then
  echo "setup: installing $want for the export test, first time only"
  rm -rf "$venv"; mkdir -p "$(dirname "$venv")"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/python3" -m pip install -q --disable-pip-version-check --cache-dir "$cache/pip" "$want"
  "$venv/bin/python3" -c 'import fastavro'
  echo "$want" > "$venv/.complete"
fi
