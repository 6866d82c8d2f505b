"""Domain verbs: plain functions over a SQLModel session and the acting user, no Reflex."""
