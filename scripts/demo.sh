#!/usr/bin/env bash
# Set up (if needed), then run the demo. Extra arguments go to `gluegen demo`.
set -euo pipefail
# The demo and the page (`gluegen world serve`) need no test tools.
gluegen_extras="demo,web"
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$root"
gluegen demo "$@"
