"""activity.record / activity.audit: rows in the caller's transaction, announced after commit."""

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from cop_app.models import ActivityEvent, AuditEntry
from cop_app.services import activity


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as other:
        return len(other.exec(select(model)).all())


def test_record_joins_the_callers_transaction(
    engine: Engine, session: Session, make_user, make_community, changes
) -> None:
    user = make_user(session)
    community = make_community(session, user)
    event = activity.record(
        session,
        "community.joined",
        user.id,
        community_id=community.id,
        target_type="community",
        target_id=community.id,
        summary="Someone joined",
    )
    assert isinstance(event, ActivityEvent)
    session.flush()
    assert _count(engine, ActivityEvent) == 0  # not visible before the caller commits
    assert changes == []

    session.commit()

    assert _count(engine, ActivityEvent) == 1
    row = session.exec(select(ActivityEvent)).one()
    assert (row.kind, row.actor_id, row.community_id) == ("community.joined", user.id, community.id)
    assert (row.target_type, row.target_id, row.summary) == (
        "community",
        community.id,
        "Someone joined",
    )
    assert row.created_at is not None
    # The admins' feed hears of it, and so does each steward's feed of that community.
    assert len(changes) == 1
    assert changes[0].data == {"kind": "community.joined", "community_id": community.id}
    assert changes[0].rooms[0] == activity.feed_room(0)
    assert all(str(room).startswith("activity-") for room in changes[0].rooms)


def test_record_truncates_the_summary_and_allows_no_actor(session: Session, changes) -> None:
    activity.record(session, "system.note", None, summary="x" * 1000)
    session.commit()
    row = session.exec(select(ActivityEvent)).one()
    assert row.actor_id is None
    assert row.summary == "x" * 300
    assert len(changes) == 1


def test_record_rolled_back_leaves_nothing(
    engine: Engine, session: Session, make_user, changes
) -> None:
    user = make_user(session)
    activity.record(session, "user.signed_in", user.id)
    session.flush()
    session.rollback()
    session.commit()
    assert _count(engine, ActivityEvent) == 0
    assert changes == []


def test_audit_appends_with_truncation_and_no_announcement(
    session: Session, make_user, changes
) -> None:
    admin = make_user(session, role="admin")
    entry = activity.audit(
        session,
        admin.id,
        "user.role",
        "user",
        42,
        reason="r" * 600,
        before="b" * 2500,
        after="a" * 2500,
    )
    assert isinstance(entry, AuditEntry)
    session.commit()
    row = session.exec(select(AuditEntry)).one()
    assert (row.actor_id, row.action, row.target_type, row.target_id) == (
        admin.id,
        "user.role",
        "user",
        42,
    )
    assert row.reason == "r" * 500
    assert row.before == "b" * 2000
    assert row.after == "a" * 2000
    assert changes == []  # the audit log is not broadcast


def test_audit_defaults_are_empty(session: Session, make_user) -> None:
    admin = make_user(session, role="admin")
    activity.audit(session, admin.id, "community.edit", "community", None)
    session.commit()
    row = session.exec(select(AuditEntry)).one()
    assert (row.target_id, row.reason, row.before, row.after) == (None, "", "", "")
