#!/usr/bin/env bash
# Create .venv (once) and install gluegen with its test and demo extras (again when pyproject.toml changes).
# Sourced by scripts/demo.sh and scripts/test.sh; needs only python3 and the package registry.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
stamp="$venv/.gluegen-installed"
want="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "gluegen: installing into .venv (first run: a few minutes)..." >&2
    log="$venv/pip.log"
    if ! "$venv/bin/python" -m pip install -e "$root[test,demo,web]" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "gluegen: installation failed; the full log is $log" >&2
        exit 1
    fi
    echo "$want" > "$stamp"
fi
export PATH="$venv/bin:$PATH"
# Two cores: one thread per process keeps tiny models fast and avoids oversubscription.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_VERBOSITY=error HF_HUB_DISABLE_TELEMETRY=1
