"""Bare Reflex app used as the load-test baseline."""
