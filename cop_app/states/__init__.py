"""Reflex states: one per domain, thin; every handler re-checks the caller."""
