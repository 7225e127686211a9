#!/usr/bin/env bash
# npm test on a small machine: the checks run side by side, each a single-threaded process. The type
# check that compiles the tests and the SDK bundle come before the suite, which needs them; the linter
# and the layer check run beside the suite, on the core it leaves idle while its tests wait. Arguments
# go to tap. Fails when any part fails, after all have finished.
set -u
cd "$(dirname "$0")/.."

npm run --silent build:tests &
tests=$!
npm run --silent build:client &
client=$!
{ npm run --silent lint && npm run --silent check:layers; } &
lint=$!

status=0
wait "$tests" || status=1
wait "$client" || status=1
if [ "$status" -eq 0 ]; then npx tap "$@" || status=1; fi
wait "$lint" || status=1
exit "$status"
