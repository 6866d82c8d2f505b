"""Counts in words, one rule for the whole app ("1 flag", "2 flags"); the browser's twin is
components/ui.py: count_of."""


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 reply", "3 replies": the count with its noun in the right number."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


def with_article(noun: str) -> str:
    """ "a mentor", "an admin": the indefinite article a role or kind needs."""
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun
