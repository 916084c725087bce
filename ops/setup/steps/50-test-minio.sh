#!/usr/bin/env bash
# MinIO, the S3-compatible store that the S3 Parquet export test writes to,
# built from source with `go install` (first time only, several minutes on two
# cores) and cached under $CONVEYOR_CACHE_DIR. Tests and development only.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${CONVEYOR_CACHE_DIR:-$HOME/.cache/conveyor}"
version=$(cat "$here/infra/minio.version")
dir="$cache/minio-$version"
if [ ! -f "$dir/.complete" ] || [ "$(cat "$dir/.complete")" != "$version" ]; then
  echo "setup: building MinIO $version from source with go install (first time only, ~6 min on 2 cores)"
  rm -rf "$dir"; mkdir -p "$dir/bin"
  go=$(command -v go || echo /usr/local/go/bin/go)
  GOBIN="$dir/bin" GOTOOLCHAIN=local "$go" install "github.com/minio/minio@$version"
  "$dir/bin/minio" --version >/dev/null
  echo "$version" > "$dir/.complete"
fi
