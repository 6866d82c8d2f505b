#!/usr/bin/env bash
# `make dev`: the development server with hot reload (Vite on :3000, backend on :8000).
# Slower page loads than `make run` (unbundled modules); for changing the code, not for use.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
. scripts/env.sh

reflex db migrate
python -m cop_app.manage seed
# Reload on code changes only: writes to data/, docs/ or bench/ must not restart the server.
export REFLEX_HOT_RELOAD_OVERRIDE_PATHS="$PWD/cop_app${REFLEX_HOT_RELOAD_OVERRIDE_PATHS:+:$REFLEX_HOT_RELOAD_OVERRIDE_PATHS}"
exec reflex run --frontend-port 3000 --backend-port 8000
