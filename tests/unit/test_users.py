"""users.*: public profiles (nothing private) and the admin's audited user management."""

import dataclasses
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from cop_app.models import ActivityEvent, AuditEntry, User
from cop_app.models.base import utcnow
from cop_app.services import settings, users
from cop_app.services.activity import feed_room
from cop_app.services.errors import Forbidden, Invalid, NotFound
from cop_app.services.events import Change


def audits(session: Session) -> list[AuditEntry]:
    session.expire_all()
    return list(session.exec(select(AuditEntry).order_by(AuditEntry.id)).all())


def kinds(session: Session) -> list[str]:
    session.expire_all()
    return [e.kind for e in session.exec(select(ActivityEvent).order_by(ActivityEvent.id)).all()]


# --- profile ----------------------------------------------------------------------------------


def test_profile_shows_public_fields_and_active_communities(
    session: Session, make_user, make_community
) -> None:
    viewer = make_user(session)
    person = make_user(
        session,
        email="secret.address@example.org",
        display_name="Ada",
        bio="Engines.",
        organisation="Analytical Ltd",
        expertise="math poetry",
    )
    zeta = make_community(session, person, "Zeta Circle", slug="zeta")
    alpha = make_community(session, viewer, "Alpha Guild", slug="alpha", members=[person])
    make_community(session, viewer, "Hidden Request", slug="hidden", pending=[person])

    view = users.profile(session, viewer, person.id)

    assert (view.id, view.display_name, view.role, view.bio, view.organisation) == (
        person.id,
        "Ada",
        "member",
        "Engines.",
        "Analytical Ltd",
    )
    assert view.expertise == ["math", "poetry"]
    assert view.joined_at == person.created_at
    assert view.communities == [
        {"slug": alpha.slug, "name": "Alpha Guild", "role": "member"},
        {"slug": zeta.slug, "name": "Zeta Circle", "role": "steward"},
    ]
    fields = {f.name for f in dataclasses.fields(view)}
    assert "email" not in fields and "password_hash" not in fields
    assert "secret.address" not in repr(view)
    assert "argon2" not in repr(view)


def test_profile_accepts_an_id_as_text(session: Session, make_user) -> None:
    person = make_user(session)
    assert users.profile(session, person, str(person.id)).id == person.id


@pytest.mark.parametrize("user_id", [None, "", "abc", -1, 0, True, 1.5, [1], "1; DROP TABLE"])
def test_profile_refuses_bad_ids(session: Session, make_user, user_id: object) -> None:
    with pytest.raises(Invalid) as err:
        users.profile(session, make_user(session), user_id)
    assert err.value.field == "user_id"


def test_profile_of_missing_or_deactivated_person(session: Session, make_user) -> None:
    viewer = make_user(session)
    gone = make_user(session, is_active=False)
    for user_id in (gone.id, 999_999, 2**40, 2**62):  # beyond PostgreSQL's int4 ids too
        with pytest.raises(NotFound):
            users.profile(session, viewer, user_id)


def test_profile_needs_a_signed_in_viewer(session: Session, make_user) -> None:
    person = make_user(session)
    with pytest.raises(Forbidden):
        users.profile(session, None, person.id)
    suspended = make_user(session, suspended_until=utcnow() + timedelta(days=1))
    with pytest.raises(Forbidden):
        users.profile(session, suspended, person.id)


# --- list_users -------------------------------------------------------------------------------


def _people(session: Session, make_user, make_community):
    admin = make_user(session, role="admin", display_name="Admin Root", email="root@example.org")
    ada = make_user(
        session, display_name="Ada Lovelace", email="ada@engines.org", organisation="Analytical Ltd"
    )
    grace = make_user(
        session,
        role="mentor",
        display_name="Grace Hopper",
        email="grace@navy.example",
        organisation="Navy",
    )
    make_community(session, grace, members=[ada])
    make_community(session, grace, visibility="approval", pending=[ada])
    return admin, ada, grace


@pytest.mark.parametrize("role", ["member", "mentor"])
def test_list_users_is_for_admins_only(session: Session, make_user, role: str) -> None:
    with pytest.raises(Forbidden):
        users.list_users(session, make_user(session, role=role))
    with pytest.raises(Forbidden):
        users.list_users(session, None)


def test_list_users_rows(session: Session, make_user, make_community) -> None:
    admin, ada, grace = _people(session, make_user, make_community)
    rows = users.list_users(session, admin)
    assert [r.display_name for r in rows] == ["Ada Lovelace", "Admin Root", "Grace Hopper"]
    by_id = {r.id: r for r in rows}
    assert (by_id[ada.id].email, by_id[ada.id].role, by_id[ada.id].organisation) == (
        "ada@engines.org",
        "member",
        "Analytical Ltd",
    )
    assert by_id[ada.id].communities == 1  # the pending request does not count
    assert by_id[grace.id].communities == 2
    assert by_id[admin.id].communities == 0
    assert by_id[ada.id].joined_at == ada.created_at
    assert not any(r.suspended for r in rows)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ada", {"Ada Lovelace"}),
        ("LOVELACE", {"Ada Lovelace"}),
        ("navy", {"Grace Hopper"}),
        ("engines.org", {"Ada Lovelace"}),
        ("analytical", {"Ada Lovelace"}),
        ("zzz", set()),
        ("", {"Ada Lovelace", "Admin Root", "Grace Hopper"}),
    ],
)
def test_list_users_search_over_name_email_and_organisation(
    session: Session, make_user, make_community, query: str, expected: set[str]
) -> None:
    admin, *_ = _people(session, make_user, make_community)
    assert {r.display_name for r in users.list_users(session, admin, query)} == expected


def test_list_users_role_filter(session: Session, make_user, make_community) -> None:
    admin, ada, grace = _people(session, make_user, make_community)
    assert [r.id for r in users.list_users(session, admin, role="mentor")] == [grace.id]
    assert [r.id for r in users.list_users(session, admin, role="admin")] == [admin.id]
    assert [r.id for r in users.list_users(session, admin, "ada", "member")] == [ada.id]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"role": "superuser"}, "role"),
        ({"role": 3}, "role"),
        ({"query": "q" * 101}, "query"),
        ({"query": ["ada"]}, "query"),
    ],
)
def test_list_users_refuses_bad_filters(
    session: Session, make_user, kwargs: dict, field: str
) -> None:
    with pytest.raises(Invalid) as err:
        users.list_users(session, make_user(session, role="admin"), **kwargs)
    assert err.value.field == field


def test_list_users_pages(session: Session, make_user) -> None:
    admin = make_user(session, role="admin", display_name="AAA Admin")
    session.add_all(
        User(email=f"u{i:03d}@example.org", display_name=f"User {i:03d}", password_hash="-")
        for i in range(settings.USERS_PAGE_SIZE + 5)
    )
    session.commit()
    first = users.list_users(session, admin)
    second = users.list_users(session, admin, page=1)
    assert len(first) == settings.USERS_PAGE_SIZE
    assert first[0].id == admin.id
    assert len(second) == 6
    assert {r.id for r in first}.isdisjoint({r.id for r in second})
    assert users.list_users(session, admin, page=-1) == first


def test_list_users_flags_current_suspensions(session: Session, make_user) -> None:
    admin = make_user(session, role="admin")
    now_suspended = make_user(session, suspended_until=utcnow() + timedelta(days=3))
    rows = {r.id: r for r in users.list_users(session, admin)}
    assert rows[now_suspended.id].suspended is True
    assert rows[admin.id].suspended is False


def test_list_users_does_not_flag_an_ended_suspension(session: Session, make_user) -> None:
    """Expected behaviour; FAILS today: users.list_users sets
    `suspended=u.suspended_until is not None`, so a suspension that ended long ago still
    shows the person as suspended on the admin page."""
    admin = make_user(session, role="admin")
    served = make_user(session, suspended_until=utcnow() - timedelta(days=30))
    rows = {r.id: r for r in users.list_users(session, admin)}
    assert rows[served.id].suspended is False


# --- set_role ---------------------------------------------------------------------------------


def test_set_role_is_audited(session: Session, make_user, changes) -> None:
    admin = make_user(session, role="admin")
    person = make_user(session)

    updated = users.check_set_role(session, admin, person.id, "mentor", "Runs the data clinic")

    assert updated.id == person.id and updated.role == "mentor"
    session.expire_all()
    assert session.get(User, person.id).role == "mentor"
    [entry] = audits(session)
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (
        admin.id,
        "user.role",
        "user",
        person.id,
    )
    assert (entry.before, entry.after, entry.reason) == ("member", "mentor", "Runs the data clinic")
    assert kinds(session) == ["user.role_changed"]
    assert Change("activity", (feed_room(0),), {"kind": "user.role_changed"}) in changes


def test_set_role_accepts_an_id_as_text_and_promotes_to_admin(session: Session, make_user) -> None:
    admin = make_user(session, role="admin")
    person = make_user(session, role="mentor")
    assert users.check_set_role(session, admin, str(person.id), "admin").role == "admin"
    assert audits(session)[0].before == "mentor"


def test_admins_cannot_demote_themselves(session: Session, make_user) -> None:
    admin = make_user(session, role="admin")
    for role in ("member", "mentor"):
        with pytest.raises(Invalid) as err:
            users.check_set_role(session, admin, admin.id, role)
        assert err.value.field == "role"
    session.rollback()
    assert session.get(User, admin.id).role == "admin"
    assert audits(session) == []
    assert users.check_set_role(session, admin, admin.id, "admin").role == "admin"  # a no-op
    assert audits(session) == []


def test_another_admin_can_be_demoted(session: Session, make_user) -> None:
    admin, other = make_user(session, role="admin"), make_user(session, role="admin")
    assert users.check_set_role(session, admin, other.id, "member").role == "member"


def test_same_role_writes_nothing(session: Session, make_user) -> None:
    admin, person = make_user(session, role="admin"), make_user(session, role="mentor")
    assert users.check_set_role(session, admin, person.id, "mentor").role == "mentor"
    assert audits(session) == []
    assert kinds(session) == []


@pytest.mark.parametrize(
    ("user_id", "role", "reason", "field"),
    [
        ("self", "superuser", "", "role"),
        ("person", "Admin", "", "role"),
        ("person", None, "", "role"),
        ("person", ["admin"], "", "role"),
        ("person", "mentor", "r" * 501, "reason"),
        ("person", "mentor", 42, "reason"),
        (None, "mentor", "", "user_id"),
        (-4, "mentor", "", "user_id"),
        ("abc", "mentor", "", "user_id"),
        (True, "mentor", "", "user_id"),
    ],
)
def test_set_role_refuses_bad_input(
    session: Session, make_user, row_counts, user_id, role, reason, field: str
) -> None:
    admin, person = make_user(session, role="admin"), make_user(session)
    target = {"self": admin.id, "person": person.id}.get(user_id, user_id)
    before = row_counts(session)
    with pytest.raises(Invalid) as err:
        users.check_set_role(session, admin, target, role, reason)
    assert err.value.field == field
    session.rollback()
    assert row_counts(session) == before
    assert session.get(User, person.id).role == "member"


def test_set_role_unknown_person(session: Session, make_user) -> None:
    with pytest.raises(NotFound):
        users.check_set_role(session, make_user(session, role="admin"), 999_999, "mentor")


@pytest.mark.parametrize("role", ["member", "mentor"])
def test_only_admins_set_roles(session: Session, make_user, role: str) -> None:
    actor, person = make_user(session, role=role), make_user(session)
    for who in (actor, None):
        with pytest.raises(Forbidden):
            users.check_set_role(session, who, person.id, "admin")
    assert session.get(User, person.id).role == "member"
    assert audits(session) == []
