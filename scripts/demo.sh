#!/usr/bin/env bash
# Set up (if needed), then run the demo. Extra arguments go to `gluegen demo`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$root"
gluegen demo "$@"
