"""Account recovery by e-mail: single-use, short-lived reset links stored hashed, the same
answer whether or not an address has an account, throttled per address and per client.

Suspended accounts may reset their password (an owner whose account was taken over can
secure it), but a reset never lifts a suspension: signing in stays refused until an admin
reactivates the account. Deactivated accounts get no link.
"""

import math
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, select

from cop_app import routes
from cop_app.models import PasswordReset, ResetRequest, User
from cop_app.models.base import utcnow
from cop_app.services import activity, mail, passwords, settings, validation
from cop_app.services.access import announce_access_change, require_admin
from cop_app.services.accounts import normalise_email, revoke_all_sessions, token_hash
from cop_app.services.edge import committed
from cop_app.services.errors import Invalid, NotFound, RateLimited

BAD_LINK = "This reset link is not valid or was already used. Ask for a new one."
EXPIRED_LINK = "This reset link has expired. Ask for a new one."


def reset_link(token: str) -> str:
    """The page a reset mail points to."""
    return mail.public_url() + routes.reset_url(token)


def _reset_mail(user: User, token: str, admin: User | None) -> mail.Message:
    minutes = int(settings.PASSWORD_RESET_LIFETIME.total_seconds() // 60)
    why = (
        f"{admin.display_name}, an administrator, sent you this link."
        if admin
        else "Someone (we hope you) asked to reset the password of this account."
    )
    return mail.Message(
        to=user.email,
        subject="Reset your Practica password",
        body=(
            f"Hello {user.display_name},\n\n{why} To choose a new password, open this link "
            f"within {minutes} minutes:\n\n{reset_link(token)}\n\nThe link works once. "
            "Choosing a new password signs you out everywhere. If you did not ask for this, "
            "ignore this message: your password stays as it is.\n"
        ),
    )


def _issue(session: Session, user: User, now: datetime, admin: User | None = None) -> None:
    """A new link in the caller's transaction; its mail leaves after commit."""
    token = secrets.token_urlsafe(settings.TOKEN_BYTES)
    session.add(
        PasswordReset(
            token_hash=token_hash(token),
            user_id=user.id,
            requested_by=admin.id if admin else None,
            created_at=now,
            expires_at=now + settings.PASSWORD_RESET_LIFETIME,
        )
    )
    mail.send_after_commit(session, _reset_mail(user, token, admin))


def _check_throttle(session: Session, email: str, client_key: str, now: datetime) -> None:
    window = settings.PASSWORD_RESET_WINDOW
    for column, value, limit, whose in (
        (ResetRequest.email, email, settings.PASSWORD_RESET_MAX_PER_ADDRESS, "for this address"),
        (ResetRequest.client_key, client_key, settings.PASSWORD_RESET_MAX_PER_CLIENT, "from here"),
    ):
        count, oldest = session.exec(
            select(func.count(), func.min(ResetRequest.created_at)).where(
                column == value, ResetRequest.created_at >= now - window
            )
        ).one()
        if count >= limit:
            minutes = max(1, math.ceil((oldest + window - now) / timedelta(minutes=1)))
            unit = "minute" if minutes == 1 else "minutes"
            raise RateLimited(
                f"Too many reset requests {whose}. Try again in {minutes} {unit}.",
                retry_after=minutes * 60,
                field="email",
            )


def check_request_reset(
    session: Session, email: object, client_key: str, now: datetime | None = None
) -> None:
    """Mail a reset link if the address has an active account; the caller learns nothing
    either way (the request is recorded and throttled the same for unknown addresses)."""
    now = now or utcnow()
    address = normalise_email(email)
    client = client_key[: settings.CLIENT_ID_MAX]
    _check_throttle(session, address, client, now)
    user = session.exec(select(User).where(User.email == address)).first()
    do_request_reset(session, address, client, user, now=now)
    session.commit()


def do_request_reset(
    session: Session, address: str, client_key: str, user: User | None, *, now: datetime
) -> None:
    """Record the request (it is what the throttle counts) and issue a link to an active
    account."""
    session.add(ResetRequest(email=address, client_key=client_key, created_at=now))
    if user is not None and user.is_active:
        _issue(session, user, now)
    session.flush()


def check_reset_password(
    session: Session, token: object, new_password: object, now: datetime | None = None
) -> User:
    """Set a new password with a link's token: once, before it expires; every session of
    the account ends and every other outstanding link of it dies."""
    now = now or utcnow()
    if not isinstance(token, str) or not (
        settings.TOKEN_TEXT_MIN <= len(token) <= settings.TOKEN_TEXT_MAX
    ):
        raise Invalid(BAD_LINK, "token")
    reset = session.exec(
        select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
    ).first()
    if reset is None or reset.used_at is not None:
        raise Invalid(BAD_LINK, "token")
    if reset.expires_at <= now:
        raise Invalid(EXPIRED_LINK, "token")
    user = session.get(User, reset.user_id)
    if user is None or not user.is_active:
        raise Invalid(BAD_LINK, "token")
    new_hash = passwords.hash_password(passwords.check_policy(new_password, user.email))
    if not do_reset_password(session, reset, user, new_hash, now=now):
        session.rollback()
        raise Invalid(BAD_LINK, "token")
    return committed(session, user)


def do_reset_password(
    session: Session, reset: PasswordReset, user: User, password_hash: str, *, now: datetime
) -> bool:
    """Claim the link and set the new hash, ending every session and every other link of
    the account; False (nothing to keep) when a concurrent use claimed the link first."""
    # The claim is one conditional UPDATE: of two concurrent uses of a link, one wins.
    claimed = session.exec(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))  # type: ignore[union-attr]
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        return False
    session.exec(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))  # type: ignore[union-attr]
        .values(used_at=now)
    )
    user.password_hash = password_hash
    session.add(user)
    revoke_all_sessions(session, user.id, now)
    announce_access_change(session, user.id, "You were signed out because your password was reset.")
    activity.record(
        session,
        "user.password_reset",
        user.id,
        target_type="user",
        target_id=user.id,
        summary=f"{user.display_name} set a new password with a reset link",
        now=now,
    )
    session.flush()
    return True


def check_admin_request_reset(session: Session, actor: User | None, user_id: object) -> User:
    """An admin mails a member a reset link from the users page (audited); the member's
    password and sessions stay as they are until the member uses the link."""
    admin = require_admin(actor)
    uid = validation.integer(user_id, "user_id", "Person")
    user = session.get(User, uid)
    if user is None:
        raise NotFound("This person does not exist.")
    if not user.is_active:
        raise Invalid("This account is deactivated.")
    do_admin_request_reset(session, admin, user, now=utcnow())
    return committed(session, user)


def do_admin_request_reset(session: Session, admin: User, user: User, *, now: datetime) -> None:
    """Issue a link on an admin's behalf; audited."""
    _issue(session, user, now, admin)
    activity.staff_action(
        session,
        "user.password_reset_sent",
        "user.password_reset",
        admin.id,
        "user",
        user.id,
        summary=f"{admin.display_name} sent {user.display_name} a password reset link",
        after="reset link sent",
        now=now,
    )
    session.flush()
