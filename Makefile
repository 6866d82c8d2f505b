# Entry points. Every target installs what it needs first (fast when already done).
#   make run      install, migrate, seed demo data, serve the production build on :3000
#   make dev      the same data, served for development with hot reload (:3000, backend :8000)
#   make serve-scaled   production build, several workers on PostgreSQL + Redis, on :3000
#   make test     install (incl. Chromium, PostgreSQL, Redis if missing), lint, full test suite
#   make test ARGS="-k login"   pass extra arguments to pytest
#   make admin EMAIL=you@example.org   create an administrator

SHELL := /bin/bash
ENV := . scripts/env.sh &&
ARGS ?=

.PHONY: run dev serve-scaled test bootstrap bench screenshots lint format admin lock clean distclean

run:
	bash scripts/run.sh

dev:
	bash scripts/dev.sh

serve-scaled:
	bash scripts/serve_scaled.sh

test:
	bash scripts/test.sh $(ARGS)

bootstrap:
	bash scripts/bootstrap.sh

bench: bootstrap
	$(ENV) python -m bench.run_all $(ARGS)

screenshots: bootstrap
	$(ENV) python scripts/screenshots.py $(ARGS)

lint: bootstrap
	$(ENV) ruff check . && ruff format --check .

format: bootstrap
	$(ENV) ruff check --fix-only . && ruff format .

# Create an administrator (or promote an account): make admin EMAIL=you@example.org
# The password is prompted for.
admin: bootstrap
	$(ENV) python -m cop_app.manage create-admin $(if $(EMAIL),--email $(EMAIL)) $(ARGS)

# Re-resolve requirements.lock from pyproject.toml (needs the network to PyPI).
lock:
	bash scripts/lock.sh

# Build and test artefacts; keeps the installs and the app's data.
clean:
	rm -rf .web .states .pytest_cache .ruff_cache test-results
	find . -path ./.venv -prune -o -path ./.tools -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# Everything the scripts created, including the installs and the SQLite data in data/.
distclean: clean
	rm -rf .venv .tools data
