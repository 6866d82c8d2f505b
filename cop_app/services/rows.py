"""Read shapes several domains list the same way."""

from typing import Any

from sqlmodel import select
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
