#!/usr/bin/env bash
# Set up (if needed), lint the package, run the test suite. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$root"
ruff check src tests benchmarks
ruff format --check src tests benchmarks
pytest -q "$@"
