"""errors.* carry a readable message and the field at fault; settings hold the product limits."""

from datetime import timedelta

import pytest

from cop_app.services import settings
from cop_app.services.errors import DomainError, Forbidden, Invalid, NotFound, RateLimited


@pytest.mark.parametrize("cls", [NotFound, Forbidden, Invalid])
def test_domain_errors_carry_message_and_field(cls: type[DomainError]) -> None:
    err = cls("Something is off.", "email")
    assert isinstance(err, DomainError)
    assert isinstance(err, Exception)
    assert err.message == "Something is off."
    assert str(err) == "Something is off."
    assert err.field == "email"
    assert cls("No field.").field == ""


def test_rate_limited_carries_retry_after() -> None:
    err = RateLimited("Slow down.", retry_after=120, field="password")
    assert isinstance(err, DomainError)
    assert (err.message, err.retry_after, err.field) == ("Slow down.", 120, "password")
    assert RateLimited("Slow down.", 60).field == ""


def test_settings_match_the_documented_policy() -> None:
    assert settings.PASSWORD_MIN_LENGTH == 10
    assert settings.PASSWORD_MAX_LENGTH == 128
    assert settings.SESSION_LIFETIME == timedelta(days=14)
    assert timedelta(0) < settings.SESSION_TOUCH_INTERVAL < settings.SESSION_LIFETIME
    assert settings.LOGIN_MAX_FAILURES_PER_ACCOUNT == 5
    assert settings.LOGIN_MAX_FAILURES_PER_CLIENT == 20
    assert settings.LOGIN_FAILURE_WINDOW == timedelta(minutes=15)
    assert settings.SIGNUP_MAX_PER_CLIENT > 0
    assert settings.SIGNUP_WINDOW > timedelta(0)


def _length(model: type, column: str) -> int:
    return model.__table__.c[column].type.length  # type: ignore[attr-defined]


def test_settings_fit_the_database_columns() -> None:
    from cop_app.models import Community, User

    assert settings.DISPLAY_NAME_MAX <= _length(User, "display_name")
    assert settings.BIO_MAX <= _length(User, "bio")
    assert settings.ORGANISATION_MAX <= _length(User, "organisation")
    assert settings.COMMUNITY_NAME_MAX <= _length(Community, "name")
    assert settings.COMMUNITY_DOMAIN_MAX <= _length(Community, "domain")
    assert settings.COMMUNITY_DESCRIPTION_MAX <= _length(Community, "description")
    assert settings.COMMUNITY_NAME_MIN < settings.COMMUNITY_NAME_MAX
    assert settings.COMMUNITY_DOMAIN_MIN < settings.COMMUNITY_DOMAIN_MAX
    # Stored tags are "tag tag ...": the widest allowed set must fit in the column.
    widest = settings.COMMUNITY_MAX_TAGS * (settings.TAG_MAX_LENGTH + 1) - 1
    assert widest <= _length(Community, "tags")
    widest_expertise = settings.EXPERTISE_MAX_TAGS * (settings.TAG_MAX_LENGTH + 1) - 1
    assert widest_expertise <= _length(User, "expertise")
    for size in (
        settings.DIRECTORY_PAGE_SIZE,
        settings.MEMBERS_PAGE_SIZE,
        settings.USERS_PAGE_SIZE,
    ):
        assert 0 < size <= 100


def test_the_service_limits_fit_their_columns() -> None:
    from cop_app.models import ActivityEvent, AuditEntry, BoardCard, Community, Flag, User

    assert settings.EMAIL_MAX <= _length(User, "email")
    assert settings.HANDLE_BASE_MAX + len("-999") <= _length(User, "handle")
    assert settings.COMMUNITY_SLUG_BASE_MAX + len("-999") <= settings.COMMUNITY_SLUG_MAX
    assert settings.COMMUNITY_SLUG_MAX <= _length(Community, "slug")
    assert settings.ACTIVITY_SUMMARY_MAX <= _length(ActivityEvent, "summary")
    assert settings.AUDIT_REASON_MAX <= _length(AuditEntry, "reason")
    assert settings.AUDIT_VALUE_MAX <= _length(AuditEntry, "before")
    assert settings.FLAG_NOTE_MAX <= _length(Flag, "note")
    assert settings.MODERATION_REASON_MAX <= _length(User, "suspension_reason")
    assert settings.EVIDENCE_TEXT_MAX <= _length(BoardCard, "evidence_text")
    assert settings.TOKEN_TEXT_MIN < settings.TOKEN_TEXT_MAX
    assert settings.DATE_YEAR_MIN < settings.DATE_YEAR_MAX
