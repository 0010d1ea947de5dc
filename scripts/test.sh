#!/usr/bin/env bash
# Set up (if needed), lint the package, run the fast tests, then the slow ones (end-to-end runs).
# Extra arguments go to both pytest runs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$root"
# The web page's test drives Debian's Chromium (Playwright never downloads a browser here).
if ! command -v chromium >/dev/null; then
    echo "gluegen: installing Debian's chromium for the web page test..." >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq chromium >/dev/null
fi
ruff check src tests benchmarks
ruff format --check src tests benchmarks
pytest -q "$@"
pytest -q -m slow "$@"
