#!/usr/bin/env bash
# Install what the app and tests need into the repo: .venv (Python) and .tools/bun.
# Idempotent and fast on re-runs: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

# --- Python 3.11 virtualenv -------------------------------------------------
is_py311() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; }

if ! is_py311 .venv/bin/python; then
    # Missing, or made by another Python: start over.
    PY=""
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null && is_py311 "$candidate"; then
            PY="$candidate"
            break
        fi
    done
    [ -n "$PY" ] || { echo "bootstrap: Python 3.11 not found (tried python3.11, python3)" >&2; exit 1; }
    rm -rf .venv
    "$PY" -m venv .venv
fi

# The stamp is keyed on the lock's hash, so editing requirements.lock reinstalls.
stamp=".venv/.lock-$(sha256sum requirements.lock | cut -c1-64)"
if [ ! -e "$stamp" ]; then
    echo "bootstrap: installing Python packages from requirements.lock"
    # Hide pip's noise about the machine's optional local mirrors.
    .venv/bin/pip install --quiet -r requirements.lock \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    rm -f .venv/.lock-*
    touch "$stamp"
fi

# --- Bun, from the npm registry ----------------------------------------------
bun_bin=".tools/bun/node_modules/.bin/bun"
if [ "$("$bun_bin" --version 2>/dev/null)" != "$COP_BUN_VERSION" ]; then
    echo "bootstrap: installing bun $COP_BUN_VERSION into .tools/bun"
    npm install --prefix .tools/bun "bun@$COP_BUN_VERSION" --no-audit --no-fund --loglevel=error
    if [ "$("$bun_bin" --version 2>/dev/null)" != "$COP_BUN_VERSION" ]; then
        echo "bootstrap: $bun_bin does not run" >&2
        exit 1
    fi
fi
