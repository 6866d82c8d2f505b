"""Write limits on edits that have no natural cap: profile saves and community edits refuse
with a clear message once a person reaches the hourly limit, write nothing, and count again
once the window has passed."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from cop_app.models import ActivityEvent, Community, User
from cop_app.services import accounts, communities, settings
from cop_app.services.errors import RateLimited


def _age_events(session: Session, kind: str, by: timedelta) -> None:
    """Move every event of a kind back in time, as if the window had passed."""
    for event in session.exec(select(ActivityEvent).where(ActivityEvent.kind == kind)).all():
        event.created_at = event.created_at - by
        session.add(event)
    session.commit()


def test_profile_saves_are_limited_per_hour(
    session: Session, make_user, row_counts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "PROFILE_SAVES_PER_WINDOW", 3)
    user = make_user(session)
    for n in range(3):
        accounts.check_update_profile(session, user, f"Ada {n}", "", "", "")
    before = row_counts(session)
    with pytest.raises(RateLimited) as info:
        accounts.check_update_profile(session, user, "Ada again", "", "", "")
    assert "at most 3 profile saves an hour" in info.value.message
    assert "Try again in 60 minutes" in info.value.message
    assert 3500 < info.value.retry_after <= 3601
    session.rollback()
    assert row_counts(session) == before
    assert session.get(User, user.id).display_name == "Ada 2"
    # Another person is not affected, and the limit lifts when the window has passed.
    accounts.check_update_profile(session, make_user(session), "Grace", "", "", "")
    _age_events(session, "user.profile_updated", settings.WRITE_LIMIT_WINDOW)
    assert accounts.check_update_profile(session, user, "Ada again", "", "", "").display_name == (
        "Ada again"
    )


def test_community_edits_are_limited_per_hour(
    session: Session, make_user, make_community, row_counts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "COMMUNITY_EDITS_PER_WINDOW", 2)
    steward = make_user(session, role="mentor")
    community = make_community(session, steward, "Python Guild")

    def edit(name: str) -> Community:
        data = communities.clean_input(name, "cop", community.domain, "", "", "open")
        return communities.check_edit_community(session, steward, community.id, data)

    edit("Python Guild 1")
    edit("Python Guild 2")
    before = row_counts(session)
    with pytest.raises(RateLimited) as info:
        edit("Python Guild 3")
    assert "at most 2 community edits an hour" in info.value.message
    session.rollback()
    assert row_counts(session) == before
    assert session.get(Community, community.id).name == "Python Guild 2"
    _age_events(session, "community.edited", settings.WRITE_LIMIT_WINDOW)
    assert edit("Python Guild 3").name == "Python Guild 3"
