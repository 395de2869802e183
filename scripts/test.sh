#!/usr/bin/env bash
# The test command (`npm test`): type-check (server and web app), lint and format check, build (the
# cluster and REPL tests start real node processes from dist/; the browser tests load the built
# web app), the web app's unit tests, then the suites on the embedded defaults, and
# once more against real Postgres and Redis when DATABASE_URL and REDIS_URL are set.
set -euo pipefail
cd "$(dirname "$0")/.."

npx tsc --noEmit
npx tsc -p web
npx eslint .
npx prettier --check . --log-level warn
# PGlite loads its WebAssembly with a dynamic import, which jest's VM allows only with this flag.
export NODE_OPTIONS="--experimental-vm-modules ${NODE_OPTIONS:-}"
npm run build --silent
echo "== web app unit tests (vitest) =="
npx vitest run --root web --reporter=dot

echo "== suites, embedded mode (PGlite, in-memory store) =="
env -u DATABASE_URL -u REDIS_URL -u TRANSPORTER -u JWT_SECRET npx jest --runInBand "$@"

if [[ -n "${DATABASE_URL:-}" && -n "${REDIS_URL:-}" ]]; then
  echo "== suites, cluster mode (Postgres at DATABASE_URL, Redis at REDIS_URL) =="
  # Data of "another application" in the same Redis must come through the pass untouched.
  sentinels="$(mktemp)"
  node scripts/redis-sentinels.mjs write "$REDIS_URL" "$sentinels"
  TEST_DATABASE_URL="$DATABASE_URL" TEST_REDIS_URL="$REDIS_URL" \
    env -u DATABASE_URL -u REDIS_URL -u TRANSPORTER -u JWT_SECRET npx jest --runInBand "$@"
  node scripts/redis-sentinels.mjs check "$REDIS_URL" "$sentinels"
  rm -f "$sentinels"
else
  echo "== cluster mode skipped: set DATABASE_URL and REDIS_URL to run the suites against real Postgres and Redis =="
fi
