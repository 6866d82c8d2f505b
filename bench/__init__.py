"""Load benchmarks over Reflex's event socket (see bench/README.md).

A package only so that ``python -m bench.run_all`` works; every script also
runs as ``python bench/<script>.py``.
"""
