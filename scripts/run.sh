#!/usr/bin/env bash
# `make run`: install what is missing, bring the SQLite schema up to date, load the demo
# data (idempotent), then serve the app: frontend :3000, backend :8000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
. scripts/env.sh

reflex db migrate                   # Alembic migrations under alembic/
python -m cop_app.manage seed       # adds the demo data only where it is missing
# Reload on code changes only: writes to data/, docs/ or bench/ must not restart the server.
export REFLEX_HOT_RELOAD_OVERRIDE_PATHS="$PWD/cop_app${REFLEX_HOT_RELOAD_OVERRIDE_PATHS:+:$REFLEX_HOT_RELOAD_OVERRIDE_PATHS}"
exec reflex run --frontend-port 3000 --backend-port 8000
