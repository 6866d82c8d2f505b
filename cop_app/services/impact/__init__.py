"""The impact dashboard: exact measures of whether each community is working.

period.py (what range), scope.py (who may see what: the one access helper), sql.py (shared
SQL pieces), measures.py (each measure in SQL; growth, mentoring and
retention in people.py), dashboard.py (what is shown and exported).
"""

from datetime import datetime

from sqlmodel import Session

from cop_app.models import User
from cop_app.models.base import utcnow
from cop_app.services.errors import Invalid, NotFound
from cop_app.services.impact import period as periods
from cop_app.services.impact.dashboard import Dashboard, Figure, Section, compute, to_csv
from cop_app.services.impact.scope import (
    ALL,
    MENTEES,
    Scope,
    access_room,
    access_view,
    decode_ident,
    options,
    room_ident,
    scope_of_room,
)

__all__ = [
    "ALL",
    "MENTEES",
    "Dashboard",
    "Figure",
    "Scope",
    "Section",
    "access_room",
    "access_view",
    "check_open",
    "csv_for",
    "dashboard_for_room",
    "decode_ident",
    "options",
    "periods",
    "room_ident",
    "scope_of_room",
]


def check_open(
    session: Session,
    actor: User | None,
    view: object,
    preset: object,
    first: object = "",
    last: object = "",
) -> int:
    """Prove the actor may see `view` over the chosen period; the id of its room. `preset`
    is "7", "30", "90" or "custom" (then `first`/`last` are YYYY-MM-DD)."""
    scope = access_view(session, actor, view)
    if preset in periods.PRESETS:
        return room_ident(scope, int(preset))  # type: ignore[arg-type]
    if preset != "custom":
        raise Invalid("Choose 7, 30 or 90 days, or a custom range.", "period")
    return room_ident(scope, periods.custom(first, last))


def dashboard_for_room(session: Session, ident: int, now: datetime | None = None) -> Dashboard:
    """A room's dashboard (its access was checked when each browser linked)."""
    at = now or utcnow()
    _, _, a, b = decode_ident(ident)
    return compute(session, scope_of_room(ident), periods.decode(a, b, at), at)


def csv_for(
    session: Session, actor: User | None, ident: int, sections: list[Section], key: object
) -> tuple[str, str]:
    """(file name, CSV text) of one shown section, after proving the actor may see its
    room: the export is built from the very values on the screen."""
    if not isinstance(ident, int) or ident <= 0:
        raise NotFound("Open a dashboard first.")
    access_room(session, actor, ident, utcnow())
    for section in sections:
        if section.key == key:
            _, _, a, b = decode_ident(ident)
            label = periods.decode(a, b, utcnow()).label
            return f"impact-{section.key}.csv", to_csv(section, label)
    raise NotFound("That measure is not on this dashboard.")
