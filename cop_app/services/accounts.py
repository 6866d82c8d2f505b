"""Accounts: sign-up, sign-in with throttling, server-side sessions, profile, password."""

import hashlib
import math
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import bindparam, func
from sqlmodel import Session, select, update

from cop_app.models import AuthSession, LoginAttempt, User
from cop_app.models.base import utcnow
from cop_app.services import activity, names, passwords, settings, validation
from cop_app.services.access import announce_access_change, require_user
from cop_app.services.edge import committed
from cop_app.services.errors import Invalid, NotFound, RateLimited

ROLES = ("member", "mentor", "admin")
# Sign-ups are kept among the attempts under this address, which no email can be.
SIGNUP_MARK = "signup"
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
# Verifying against this when the email is unknown keeps timing the same either way.
_DUMMY_HASH = passwords.pwd_context.hash("not-a-real-password-0")


@dataclass(frozen=True)
class SignedIn:
    """A user and the fresh session id for their browser (shown once, never stored)."""

    user: User
    token: str


def normalise_email(value: object) -> str:
    """Lowercase, trimmed and well-formed, or Invalid on the email field."""
    email = validation.text(value, "email", "Email", min_len=1, max_len=settings.EMAIL_MAX).lower()
    if not _EMAIL_RE.match(email):
        raise Invalid("Enter a valid email address, like name@example.org.", "email")
    return email


def display_name_of(value: object) -> str:
    """A display name: visible, without invisible or bidi characters, NFKC-normalised."""
    return validation.line(
        value,
        "display_name",
        "Display name",
        min_len=settings.DISPLAY_NAME_MIN,
        max_len=settings.DISPLAY_NAME_MAX,
        form="NFKC",
    )


def unique_handle(session: Session, display_name: str) -> str:
    """An @handle from the display name (ascii and dashes), made unique with a number."""
    ascii_name = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode()
    base = (
        re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[: settings.HANDLE_BASE_MAX]
        or "member"
    )
    if len(base) < 3:
        base = f"{base}-member"
    handle, n = base, 2
    while session.exec(select(User.id).where(User.handle == handle)).first() is not None:
        handle, n = f"{base}-{n}", n + 1
    return handle


def token_hash(token: str) -> str:
    """Only this digest is stored: a leaked table does not leak live sessions."""
    return hashlib.sha256(token.encode()).hexdigest()


def _record_own(
    session: Session, kind: str, user: User, summary: str, now: datetime | None = None
) -> None:
    """An event of a person's own account: they are both its actor and its target."""
    activity.record(
        session, kind, user.id, target_type="user", target_id=user.id, summary=summary, now=now
    )


def _new_session(session: Session, user: User, now: datetime) -> str:
    token = secrets.token_urlsafe(settings.TOKEN_BYTES)
    session.add(
        AuthSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + settings.SESSION_LIFETIME,
        )
    )
    return token


def _retry_minutes(oldest: datetime, window: timedelta) -> int:
    seconds = (oldest + window - utcnow()).total_seconds()
    return max(1, math.ceil(seconds / 60))


def _failures(session: Session, *where: Any) -> tuple[int, datetime | None, datetime | None]:
    """How many failed attempts match in the window, the oldest and the newest."""
    since = utcnow() - settings.LOGIN_FAILURE_WINDOW
    count, oldest, newest = session.exec(
        select(
            func.count(), func.min(LoginAttempt.created_at), func.max(LoginAttempt.created_at)
        ).where(
            *where,
            LoginAttempt.success == False,  # noqa: E712
            LoginAttempt.created_at >= since,
        )
    ).one()
    return count, oldest, newest


def _refuse(message: str, since: datetime, window: timedelta, field: str) -> NoReturn:
    minutes = _retry_minutes(since, window)
    unit = "minute" if minutes == 1 else "minutes"
    raise RateLimited(
        f"{message} Try again in {minutes} {unit}.", retry_after=minutes * 60, field=field
    )


def _check_throttle(
    session: Session,
    email: str,
    client_key: str,
    *,
    message: str = "Too many failed sign-in attempts.",
    field: str = "password",
) -> None:
    """Refuse a client over its own failure limit, or one that failed on an account under
    attack; a client that has not failed on the account may still try (see settings)."""
    window = settings.LOGIN_FAILURE_WINDOW
    count, oldest, _ = _failures(session, LoginAttempt.client_key == client_key)
    if count >= settings.LOGIN_MAX_FAILURES_PER_CLIENT and oldest is not None:
        _refuse(message, oldest, window, field)
    count, _, _ = _failures(session, LoginAttempt.email == email)
    if count < settings.LOGIN_MAX_FAILURES_PER_ACCOUNT:
        return
    mine, _, newest = _failures(
        session, LoginAttempt.email == email, LoginAttempt.client_key == client_key
    )
    if mine and newest is not None:
        _refuse(message, newest, window, field)


def _check_success_cap(session: Session, email: str, client_key: str) -> None:
    """Cap the sessions one client opens by signing in, for one account and for all (sign-ups
    have their own limit)."""
    window = settings.LOGIN_SUCCESS_WINDOW
    since = utcnow() - window
    count, mine, oldest, oldest_mine = session.exec(
        select(
            func.count(),
            func.count().filter(LoginAttempt.email == email),
            func.min(LoginAttempt.created_at),
            func.min(LoginAttempt.created_at).filter(LoginAttempt.email == email),
        ).where(
            LoginAttempt.client_key == client_key,
            LoginAttempt.email != SIGNUP_MARK,
            LoginAttempt.success == True,  # noqa: E712
            LoginAttempt.created_at >= since,
        )
    ).one()
    if count >= settings.LOGIN_MAX_SUCCESSES_PER_CLIENT and oldest is not None:
        _refuse("Too many sign-ins from this device.", oldest, window, "form")
    if mine >= settings.LOGIN_MAX_SUCCESSES_PER_ACCOUNT_AND_CLIENT and oldest_mine is not None:
        _refuse("Too many sign-ins to this account from this device.", oldest_mine, window, "form")


def check_sign_up(
    session: Session,
    email: object,
    display_name: object,
    password: object,
    client_key: str,
) -> SignedIn:
    """Create a member account and sign it in; nothing is written if any field is bad."""
    email = normalise_email(email)
    name = display_name_of(display_name)
    password = passwords.check_policy(password, email)
    now = utcnow()
    signups_here = session.exec(
        select(func.count()).where(
            LoginAttempt.client_key == client_key,
            LoginAttempt.email == SIGNUP_MARK,
            LoginAttempt.created_at >= now - settings.SIGNUP_WINDOW,
        )
    ).one()
    if signups_here >= settings.SIGNUP_MAX_PER_CLIENT:
        raise RateLimited(
            "Too many new accounts from this device. Try again later.",
            int(settings.SIGNUP_WINDOW.total_seconds()),
        )
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise Invalid("An account with this email already exists. Sign in instead.", "email")
    names.refuse_impersonation(session, name, None, "display_name")
    signed = do_sign_up(
        session, email, name, passwords.hash_password(password), client_key, now=now
    )
    committed(session, signed.user)
    return signed


def _add_user(
    session: Session,
    email: str,
    display_name: str,
    password_hash: str,
    *,
    role: str,
    handle: str,
    now: datetime,
) -> User:
    """The account row with its id (flushed, not committed): sign-up records its event on it,
    and the first-admin command promotes it without one."""
    user = User(
        email=email,
        display_name=display_name,
        handle=handle or unique_handle(session, display_name),
        role=role,
        password_hash=password_hash,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def do_create_user(
    session: Session,
    email: str,
    display_name: str,
    password_hash: str,
    *,
    now: datetime,
    role: str = "member",
    handle: str = "",
    organisation: str = "",
    expertise: str = "",
    bio: str = "",
) -> User:
    """Write an account from clean values (a free @handle when none is given) and record it;
    sign-up and imports (the demo seed) both create accounts here."""
    user = _add_user(session, email, display_name, password_hash, role=role, handle=handle, now=now)
    user.organisation, user.expertise, user.bio = organisation, expertise, bio
    session.add(user)
    _record_own(session, "user.signed_up", user, f"{display_name} joined the platform", now)
    session.flush()
    return user


def do_sign_up(
    session: Session,
    email: str,
    display_name: str,
    password_hash: str,
    client_key: str,
    *,
    now: datetime,
) -> SignedIn:
    """Create the account, count the sign-up against the client and open its session."""
    user = do_create_user(session, email, display_name, password_hash, now=now)
    session.add(
        LoginAttempt(email=SIGNUP_MARK, client_key=client_key, success=True, created_at=now)
    )
    token = _new_session(session, user, now)
    session.flush()
    return SignedIn(user, token)


def check_sign_in(session: Session, email: object, password: object, client_key: str) -> SignedIn:
    """Verify credentials under per-account and per-client throttles; re-hash if outdated.
    A failure is recorded (it is what the throttles count) and committed here."""
    email = normalise_email(email)
    if not isinstance(password, str) or not password:
        raise Invalid("Enter your password.", "password")
    if len(password) > settings.PASSWORD_MAX_LENGTH:
        raise Invalid("Email or password is not right.", "password")
    _check_throttle(session, email, client_key)
    _check_success_cap(session, email, client_key)
    user = session.exec(select(User).where(User.email == email)).first()
    ok, new_hash = passwords.verify_password(password, user.password_hash if user else _DUMMY_HASH)
    if not user or not ok:
        session.add(LoginAttempt(email=email, client_key=client_key, success=False))
        if user:
            _record_own(
                session, "user.sign_in_failed", user, f"Failed sign-in for {user.display_name}"
            )
        session.commit()
        raise Invalid("Email or password is not right.", "password")
    require_user(user)
    signed = do_sign_in(session, user, client_key, new_hash, now=utcnow())
    committed(session, user)
    return signed


def do_sign_in(
    session: Session, user: User, client_key: str, new_hash: str | None, *, now: datetime
) -> SignedIn:
    """Open a session for a verified user (storing a re-hashed password if given)."""
    if new_hash:
        user.password_hash = new_hash
        session.add(user)
    session.add(LoginAttempt(email=user.email, client_key=client_key, success=True, created_at=now))
    token = _new_session(session, user, now)
    _record_own(session, "user.signed_in", user, f"{user.display_name} signed in", now)
    session.flush()
    return SignedIn(user, token)


# The session lookup of every event of every signed-in tab, built once: composing the
# statement (and its cache key) per call was half of the lookup's CPU.
_USER_FOR_TOKEN = (
    select(User, AuthSession.id, AuthSession.revoked_at, AuthSession.expires_at)
    .add_columns(AuthSession.last_seen_at)
    .join(AuthSession, User.id == AuthSession.user_id)
    .where(AuthSession.token_hash == bindparam("token_hash"))
)


def user_for_token(session: Session, token: object) -> User | None:
    """The signed-in user for a browser's session id, sliding its expiry; None if not valid."""
    if not isinstance(token, str) or not (
        settings.TOKEN_TEXT_MIN <= len(token) <= settings.TOKEN_TEXT_MAX
    ):
        return None
    now = utcnow()
    # One entity and four columns: this runs on every event of every signed-in tab.
    row = session.exec(_USER_FOR_TOKEN, params={"token_hash": token_hash(token)}).first()
    if row is None:
        return None
    user, auth_id, revoked_at, expires_at, last_seen_at = row
    if revoked_at is not None or expires_at <= now:
        return None
    if not user.is_active or (user.suspended_until is not None and user.suspended_until > now):
        return None
    if now - last_seen_at >= settings.SESSION_TOUCH_INTERVAL:
        session.exec(
            update(AuthSession)
            .where(AuthSession.id == auth_id)
            .values(last_seen_at=now, expires_at=now + settings.SESSION_LIFETIME)
        )
        committed(session, user)
    return user


def check_sign_out(session: Session, token: object) -> None:
    """Revoke this browser's session; every tab holding it loses its live rooms."""
    if not isinstance(token, str) or not token:
        return
    row = session.exec(
        select(AuthSession).where(
            AuthSession.token_hash == token_hash(token),
            AuthSession.revoked_at.is_(None),  # type: ignore[union-attr]
        )
    ).first()
    if row is None:
        return
    do_sign_out(session, row, now=utcnow())
    session.commit()


def do_sign_out(session: Session, auth: AuthSession, *, now: datetime) -> None:
    """Revoke one session row and tell that person's open tabs."""
    auth.revoked_at = now
    session.add(auth)
    announce_access_change(session, auth.user_id, "You were signed out.")
    session.flush()


def revoke_all_sessions(session: Session, user_id: int, now: datetime | None = None) -> None:
    """Revoke every session of a user (at `now`) in the caller's transaction."""
    session.exec(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=now or utcnow())
    )


def check_change_password(
    session: Session, actor: User | None, current: object, new: object, client_key: str
) -> str:
    """Check the current password (throttled like sign-in: a stolen session cannot guess it),
    set the new one, revoke every session, start a new one."""
    actor = require_user(actor)
    if not isinstance(current, str) or not current:
        raise Invalid("Enter your current password.", "current_password")
    user = session.get(User, actor.id)
    if user is None:
        raise NotFound("Account not found.")
    _check_throttle(
        session,
        user.email,
        client_key,
        message="Too many wrong passwords.",
        field="current_password",
    )
    ok = (
        len(current) <= settings.PASSWORD_MAX_LENGTH
        and (passwords.verify_password(current, user.password_hash)[0])
    )
    if not ok:
        session.add(LoginAttempt(email=user.email, client_key=client_key, success=False))
        session.commit()
        raise Invalid("Your current password is not right.", "current_password")
    try:
        new = passwords.check_policy(new, user.email)
    except Invalid as exc:
        raise Invalid(exc.message, "new_password") from None
    if new == current:
        raise Invalid("Choose a password different from the current one.", "new_password")
    token = do_change_password(session, user, passwords.hash_password(new), now=utcnow())
    session.commit()
    return token


def do_change_password(session: Session, user: User, password_hash: str, *, now: datetime) -> str:
    """Store the new hash, end every session and open a new one; returns its token."""
    user.password_hash = password_hash
    session.add(user)
    revoke_all_sessions(session, user.id, now)
    token = _new_session(session, user, now)
    announce_access_change(
        session, user.id, "You were signed out because your password was changed."
    )
    _record_own(
        session, "user.password_changed", user, f"{user.display_name} changed their password", now
    )
    session.flush()
    return token


def check_update_profile(
    session: Session,
    actor: User | None,
    display_name: object,
    bio: object,
    organisation: object,
    expertise: object,
) -> User:
    """Edit one's own profile; every field is checked before anything is written."""
    actor = require_user(actor)
    user = session.get(User, actor.id)
    if user is None:
        raise NotFound("Account not found.")
    activity.check_rate(
        session,
        user.id,
        "user.profile_updated",
        settings.PROFILE_SAVES_PER_WINDOW,
        settings.WRITE_LIMIT_WINDOW,
        "profile saves",
    )
    name = display_name_of(display_name)
    if name != user.display_name:
        names.refuse_impersonation(session, name, user.id, "display_name")
    bio_text = validation.text(bio, "bio", "Bio", max_len=settings.BIO_MAX)
    org = validation.text(
        organisation, "organisation", "Organisation", max_len=settings.ORGANISATION_MAX
    )
    tags = validation.tags(
        expertise,
        "expertise",
        max_tags=settings.EXPERTISE_MAX_TAGS,
        max_len=settings.TAG_MAX_LENGTH,
    )
    do_update_profile(session, user, name, bio_text, org, tags, now=utcnow())
    return committed(session, user)


def do_update_profile(
    session: Session,
    user: User,
    display_name: str,
    bio: str,
    organisation: str,
    expertise: str,
    *,
    now: datetime,
) -> None:
    """Write a profile's fields."""
    user.display_name, user.bio, user.organisation = display_name, bio, organisation
    user.expertise = expertise
    session.add(user)
    _record_own(session, "user.profile_updated", user, f"{display_name} updated their profile", now)
    session.flush()


def check_create_admin(
    session: Session, email: object, display_name: object, password: object
) -> User:
    """The first-admin command: a new admin, or promote an existing account."""
    email = normalise_email(email)
    existing = session.exec(select(User).where(User.email == email)).first()
    if existing:
        user = do_create_admin(session, existing, now=utcnow())
    else:
        name = display_name_of(display_name)
        password = passwords.check_policy(password, email)
        now = utcnow()
        new = _add_user(
            session,
            email,
            name,
            passwords.hash_password(password),
            role="member",
            handle="",
            now=now,
        )
        user = do_create_admin(session, new, now=now)
    return committed(session, user)


def do_create_admin(session: Session, user: User, *, now: datetime) -> User:
    """Make an account an admin from the command line (no admin exists to do it)."""
    user.role = "admin"
    session.add(user)
    _record_own(
        session,
        "user.role_changed",
        user,
        f"{user.display_name} became an admin (command line)",
        now,
    )
    session.flush()
    return user
