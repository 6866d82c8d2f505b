"""Pages, one module per route family."""
