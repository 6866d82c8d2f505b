"""Spacing, widths and colours in one place (the dashboard template's styles.py)."""

PRODUCT_NAME = "Practica"
TAGLINE = "Communities of practice that grow people from interested to practising."
ACCENT = "teal"
SIDEBAR_WIDTH = "15rem"
CONTENT_MAX_WIDTH = "60rem"
TOPBAR_HEIGHT = "3.5rem"
