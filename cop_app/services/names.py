"""Names that could pass for an admin's or a steward's are refused (impersonation).

A name's skeleton is its NFKC form without invisible characters, casefolded, with every
character replaced by the ASCII letter or digit it can be confused with (the Unicode
confusables data shipped by `confusable-homoglyphs`), and only letters and digits kept. Two
names with the same skeleton look alike to a reader. Admins and stewards are few, so their
names are read and compared in Python rather than stored as a skeleton column.
"""

import unicodedata
from functools import lru_cache

from confusable_homoglyphs.confusables import confusables_data
from sqlalchemy import or_
from sqlmodel import Session, col, select

from cop_app.models import Membership, User
from cop_app.services.errors import Invalid
from cop_app.services.validation import strip_invisible

_LEFT_TO_RIGHT_MARK = "\u200e"


@lru_cache(maxsize=4096)
def _prototype(char: str) -> str:
    """The ASCII letter (preferred) or digit `char` can pass for, casefolded; else itself."""
    candidates = {char}
    for glyph in confusables_data.get(char, ()):
        candidates.add(glyph["c"].strip(_LEFT_TO_RIGHT_MARK))
    ascii_alnum = {c.casefold() for c in candidates if len(c) == 1 and c.isascii() and c.isalnum()}
    if not ascii_alnum:
        return char
    return min(ascii_alnum, key=lambda c: (not c.isalpha(), c))


def skeleton(name: str) -> str:
    """What a reader sees in a name, reduced so that look-alike names compare equal."""
    folded = unicodedata.normalize("NFKC", strip_invisible(name)).casefold()
    mapped = "".join(_prototype(c) for c in folded)
    return "".join(_prototype(c) for c in mapped.casefold() if c.isalnum())


def refuse_impersonation(session: Session, name: str, user_id: int | None, field: str) -> None:
    """Invalid when `name` looks like the name of an admin or steward other than `user_id`."""
    stewards = select(Membership.user_id).where(
        Membership.role == "steward", Membership.status == "active"
    )
    query = select(User.display_name).where(or_(User.role == "admin", col(User.id).in_(stewards)))
    if user_id is not None:
        query = query.where(User.id != user_id)
    wanted = skeleton(name)
    if any(skeleton(other) == wanted for other in session.exec(query).all()):
        raise Invalid(
            "This name looks like the name of an admin or steward. Choose another one.", field
        )
