"""wording: counts and articles read as English ("1 new event", "an admin")."""

import pytest

from cop_app.services import wording


@pytest.mark.parametrize(
    ("count", "singular", "plural_form", "expected"),
    [
        (0, "flag", None, "0 flags"),
        (1, "flag", None, "1 flag"),
        (2, "flag", None, "2 flags"),
        (1, "reply", "replies", "1 reply"),
        (3, "reply", "replies", "3 replies"),
    ],
)
def test_plural(count: int, singular: str, plural_form: str | None, expected: str) -> None:
    assert wording.plural(count, singular, plural_form) == expected


def test_with_article() -> None:
    assert [wording.with_article(r) for r in ("admin", "mentor", "member")] == [
        "an admin",
        "a mentor",
        "a member",
    ]
