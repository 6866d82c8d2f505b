#!/usr/bin/env bash
# `make run`: install what is missing, bring the SQLite schema up to date, load the demo
# data (idempotent), then serve the PRODUCTION build on one port (http://localhost:3000):
# one Granian worker, embedded SQLite. The frontend export is reused while the sources are
# unchanged (cop_app/serve.py), so a restart takes seconds. `make dev` is the hot-reload mode.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
. scripts/env.sh
unset REFLEX_DB_URL REFLEX_REDIS_URL  # this mode is data/cop.db and one worker; see serve_scaled.sh

reflex db migrate                   # Alembic migrations under alembic/
python -m cop_app.manage seed       # adds the demo data only where it is missing
# Password-reset links go to this log while no COP_SMTP_HOST is set.
exec python -m cop_app.serve --port "${COP_PORT:-3000}"
