#!/usr/bin/env bash
# Set up (if needed), lint the package, run the fast tests, then the slow ones (end-to-end runs).
# Extra arguments go to both pytest runs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$root"
ruff check src tests benchmarks
ruff format --check src tests benchmarks
pytest -q "$@"
pytest -q -m slow "$@"
