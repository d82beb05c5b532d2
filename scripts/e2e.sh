#!/usr/bin/env bash
# Browser end-to-end: build the H5 app, then walk the driver journeys in headless Chromium against the real
# server in demo mode (test/e2e). Needs Chromium at /usr/bin/chromium (apt-get install -y chromium) or
# PARKPAY_E2E_CHROMIUM. Screenshots: test-results/e2e/. Set PARKPAY_E2E_SKIP_BUILD=1 to reuse miniapp/dist/h5.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${PARKPAY_E2E_SKIP_BUILD:-}" != "1" ]; then
  mkdir -p test-results
  npm run build:h5 > test-results/build-h5.log 2>&1 || { tail -40 test-results/build-h5.log; exit 1; }
fi
# Arguments go to jest (e.g. one test file) — before --selectProjects, which would take them as project names.
PARKPAY_E2E=1 exec npx jest "$@" --selectProjects e2e
