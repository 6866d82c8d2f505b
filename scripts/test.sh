#!/usr/bin/env bash
# `make test` (and CI): install what is missing, start PostgreSQL/Redis if needed,
# lint, then run the whole pytest suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
. scripts/env.sh

# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
[ -x /usr/bin/chromium ] || apt_install chromium
. scripts/services.sh

# Lint first but keep going, so one run reports both lint and test failures.
lint_rc=0
ruff check . || lint_rc=1
ruff format --check . || lint_rc=1

test_rc=0
python -m pytest tests -q -p no:randomly --durations=15 "$@" || test_rc=$?
if [ "$test_rc" -eq 5 ]; then
    echo "test.sh: pytest collected no tests: that is a failure" >&2
fi
if [ "$lint_rc" -ne 0 ]; then
    echo "test.sh: ruff found problems (run 'make format' / 'make lint')" >&2
fi
if [ "$test_rc" -ne 0 ] || [ "$lint_rc" -ne 0 ]; then
    exit 1
fi
