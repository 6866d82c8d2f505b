"""Read shapes several domains list the same way."""

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.sql.expression import Select

from cop_app.models import Community, User


def with_place_and_author(model: Any, *columns: Any) -> Select:
    """`columns` of `model` (a thread, a resource) with its community's slug and name and its
    author's display name: plain tuples, since loading entities costs twice as much."""
    return (
        select(*columns, Community.slug, Community.name, User.display_name)
        .join(Community, Community.id == model.community_id)
        .join(User, User.id == model.author_id)
    )


class IdsIn:
    """A built-once statement filtered by `column IN (ids)`, one statement per list length:
    the same SQL as an expanding IN, without re-rendering it on every run (an expanding IN
    of a page's 30 ids cost a third of a thread page's queries)."""

    def __init__(self, build: Callable[[Any], Select], column: Any) -> None:
        """`build(condition)`: the statement with the IN condition on `column` in place."""
        self._build, self._column = build, column
        self._by_length: dict[int, Select] = {}

    def __call__(self, ids: Sequence[Any]) -> tuple[Select, dict[str, Any]]:
        """The statement for this many ids and its parameters for them."""
        n = len(ids)
        stmt = self._by_length.get(n)
        if stmt is None:
            binds = [bindparam(f"in_{i}", type_=self._column.type) for i in range(n)]
            stmt = self._build(col(self._column).in_(binds))
            if n <= IDS_IN_CACHED:  # page-sized lists; longer ones are built on each run
                self._by_length[n] = stmt
        return stmt, {f"in_{i}": v for i, v in enumerate(ids)}


# The longest id list whose statement is kept (a page of posts or threads, read marks).
IDS_IN_CACHED = 64
