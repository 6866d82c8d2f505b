"""Rows the tests write straight to the database (no service, no slow hashing): people,
communities, memberships, and a row count per table to prove a refusal wrote nothing."""

import itertools
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from cop_app.models import Community, Membership, User
from cop_app.services import passwords

# A password that passes the policy; its argon2 hash is computed once per test session.
DEFAULT_PASSWORD = "lantern-harbour-tulip-42"
DEFAULT_DOMAIN = "Sharing day-to-day practice and lessons learned with peers."

_hash_cache: dict[str, str] = {}
_serial = itertools.count(1)


def password_hash_for(password: str) -> str:
    """A real argon2 hash of `password`, computed once per test session and then reused."""
    if password not in _hash_cache:
        _hash_cache[password] = passwords.hash_password(password)
    return _hash_cache[password]


def make_user(
    session: Session,
    email: str | None = None,
    role: str = "member",
    password: str = DEFAULT_PASSWORD,
    *,
    display_name: str | None = None,
    password_hash: str | None = None,
    **fields: Any,
) -> User:
    """Insert a user directly (no service, no slow hashing) and return it committed."""
    n = next(_serial)
    user = User(
        email=email if email is not None else f"person{n}@example.org",
        display_name=display_name if display_name is not None else f"Person {n:04d}",
        password_hash=password_hash or password_hash_for(password),
        role=role,
        **fields,
    )
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def add_member(
    session: Session,
    community: Community,
    user: User,
    role: str = "member",
    status: str = "active",
) -> Membership:
    """Insert a membership row and keep the community's member_count in step."""
    membership = Membership(community_id=community.id, user_id=user.id, role=role, status=status)
    session.add(membership)
    session.flush()
    community.member_count = session.exec(
        select(func.count()).where(
            Membership.community_id == community.id, Membership.status == "active"
        )
    ).one()
    session.add(community)
    session.commit()
    session.refresh(membership)
    session.refresh(community)
    return membership


def make_community(
    session: Session,
    creator: User | None = None,
    name: str | None = None,
    *,
    kind: str = "cop",
    visibility: str = "open",
    tags: str = "",
    domain: str = DEFAULT_DOMAIN,
    description: str = "",
    slug: str | None = None,
    stewards: Iterable[User] = (),
    members: Iterable[User] = (),
    pending: Iterable[User] = (),
    **fields: Any,
) -> Community:
    """Insert a community directly; `creator` (if any) and `stewards` become active stewards."""
    n = next(_serial)
    name = name if name is not None else f"Community {n:04d}"
    community = Community(
        slug=slug or f"community-{n:04d}",
        name=name,
        kind=kind,
        domain=domain,
        description=description,
        tags=tags,
        visibility=visibility,
        created_by=creator.id if creator else None,
        **fields,
    )
    session.add(community)
    session.flush()
    rows = [(u, "steward", "active") for u in ([creator] if creator else [])]
    rows += [(u, "steward", "active") for u in stewards]
    rows += [(u, "member", "active") for u in members]
    rows += [(u, "member", "pending") for u in pending]
    for user, role, status in rows:
        session.add(
            Membership(community_id=community.id, user_id=user.id, role=role, status=status)
        )
    community.member_count = sum(1 for _, _, status in rows if status == "active")
    session.add(community)
    session.commit()
    session.refresh(community)
    return community


def row_counts(session: Session) -> dict[str, int]:
    """How many rows each table holds (to prove that a refused action wrote nothing)."""
    session.expire_all()
    return {
        table.name: session.exec(select(func.count()).select_from(table)).one()
        for table in SQLModel.metadata.sorted_tables
    }


def copy_sqlite(source: Path, target: Path) -> None:
    """Replace target's whole content with source's, as one consistent database (SQLite's
    backup API: safe with the WAL files of an engine that has the target open)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
