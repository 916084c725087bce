#!/usr/bin/env bash
# `npm test` after set-up and typecheck: the suite on the local infrastructure (Kafka, schema registry).
# It brings the infrastructure up when it is not running, and stops it again afterwards only if this run
# started its broker; a stack that was already running (a developer's `conveyor up` or `npm start`) is left
# as it was. Arguments go to jest (e.g. a test path).
set -uo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .state
up_json=$(node ops/cli/bin.cjs up --json) || exit $?
started_broker=$(node -e 'const r = JSON.parse(process.argv[1]); console.log(r.some((c) => c.component === "kafka" && c.started) ? "yes" : "no")' "$up_json") || exit $?
echo "test.sh: infrastructure $( [ "$started_broker" = yes ] && echo "started by this run; stopped after it" || echo "already running; left running" )"
npx jest --runInBand --forceExit --json --outputFile=.state/jest-results.json "$@"
status=$?
if [ "$started_broker" = yes ]; then
  node ops/cli/bin.cjs down || echo "test.sh: could not stop the infrastructure this run started" >&2
fi
exit $status
