#!/usr/bin/env bash
# Create .venv (once) and install gluegen with the extras a command needs: $gluegen_extras,
# comma-separated (default: test,demo,web). Installs again when pyproject.toml changes or an
# extra is missing. Sourced by scripts/demo.sh and scripts/test.sh; needs only python3 and the
# package registry.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
# The stamp's first line is pyproject.toml's hash, its second the extras installed for it.
stamp="$venv/.gluegen-installed"
want="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)"
extras="${gluegen_extras:-test,demo,web}"
have=""
if [ -f "$stamp" ] && [ "$(sed -n 1p "$stamp")" = "$want" ]; then
    have="$(sed -n 2p "$stamp")"
fi
missing=""
for extra in ${extras//,/ }; do
    case ",$have," in *",$extra,"*) ;; *) missing="$missing,$extra" ;; esac
done
if [ -n "$missing" ]; then
    extras="$have$missing"
    extras="${extras#,}"
    echo "gluegen: installing into .venv with [$extras] (first run: a minute or two)..." >&2
    log="$venv/pip.log"
    # pip compiles every module on one core; compileall does the same on every core. A file
    # that does not compile (torch ships Python 3.12 syntax) is skipped, as pip skips it.
    if ! "$venv/bin/python" -m pip install --no-compile -e "$root[$extras]" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "gluegen: installation failed; the full log is $log" >&2
        exit 1
    fi
    "$venv/bin/python" -m compileall -q -j 0 "$venv/lib" >>"$log" 2>&1 || true
    printf '%s\n%s\n' "$want" "$extras" > "$stamp"
fi
export PATH="$venv/bin:$PATH"
# Two cores: one thread per process keeps tiny models fast and avoids oversubscription.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_VERBOSITY=error HF_HUB_DISABLE_TELEMETRY=1
