"""Who is calling: the browser's session id, resolved on the server on every event."""

import hashlib
from typing import Any
from urllib.parse import quote

import reflex as rx

from cop_app import routes
from cop_app.models import User
from cop_app.services import accounts
from cop_app.services.access import CREATOR_ROLES
from cop_app.states.base import Caller, Refused, call, db, form_value, session_user


def safe_next(value: object) -> str:
    """A local path to return to after signing in; anything else goes home."""
    if (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and len(value) <= 300
    ):
        return value
    return routes.HOME


class AuthState(rx.State):
    """The session id lives only in `session_token`; public vars describe the user only."""

    session_token: str = rx.LocalStorage("", name="cop_session", sync=True)
    user_id: int = 0
    user_name: str = ""
    user_role: str = ""
    checked: bool = False
    session_ended: bool = False
    # Why this tab stopped receiving live updates (signed out, suspended, a new role...).
    access_notice: str = ""
    signin_errors: dict[str, str] = {}
    signup_errors: dict[str, str] = {}
    busy: bool = False

    @rx.var
    def signed_in(self) -> bool:
        """A session was found valid on the server."""
        return self.user_id > 0

    @rx.var
    def is_admin(self) -> bool:
        """Shows admin navigation; the services check the role again."""
        return self.user_role == "admin"

    @rx.var
    def can_create_community(self) -> bool:
        """Mentors and admins create communities."""
        return self.user_role in CREATOR_ROLES

    @rx.var
    def user_initials(self) -> str:
        """For the avatar in the top bar."""
        parts = self.user_name.split()
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    def _client_key(self) -> str:
        """The caller's address as Reflex resolved it when the socket connected: the peer,
        or the client behind `trusted_proxy_hops` proxies (rxconfig: COP_TRUSTED_PROXY_HOPS)."""
        ip = self.rx_router_session.client_ip or "unknown"
        return hashlib.sha256(ip.encode()).hexdigest()[:32]

    def _set_user(self, user: User | None) -> None:
        uid = user.id if user and user.id else 0
        if self.user_id != uid:
            self.user_id = uid
        name, role = (user.display_name, user.role) if user else ("", "")
        if self.user_name != name:
            self.user_name = name
        if self.user_role != role:
            self.user_role = role
        if not self.checked:
            self.checked = True

    def _signed_in(self, result: accounts.SignedIn | Refused) -> bool:
        """End a sign-in or sign-up form's wait; on success keep the new session and its user."""
        self.busy = False
        if isinstance(result, Refused):
            return False
        self.session_token = result.token
        self._set_user(result.user)
        return True

    def _actor(self) -> User | None:
        """The caller as a detached User row, or None; keeps the public vars in step."""
        if not self.session_token:
            return self._resolved(None)
        with db() as session:
            return self._resolved(session_user(session, self.session_token))

    def _resolved(self, user: User | None) -> User | None:
        """Keep the public vars in step with a lookup of `session_token` (None: not valid);
        `call` looks it up in the verb's own session (or worker thread) and reports here."""
        if user is None and self.session_token:
            self.session_token = ""
            # The open page stays readable (with what was typed) and says why nothing works.
            self.session_ended = self.user_id > 0
        self._set_user(user)
        return user

    @rx.event
    def check_session(self) -> None:
        """On every page load: refresh who is signed in."""
        if self._actor() is not None:
            self._page_opened()

    @rx.event
    def require_login(self) -> rx.event.EventSpec | None:
        """Page guard for signed-in pages: send visitors to sign in, then back here."""
        if self._actor() is None:
            here = self.router.url.path or "/"
            return rx.redirect(routes.signin_url(quote(here)))
        self._page_opened()
        return None

    def _page_opened(self) -> None:
        """A page opened with a valid session re-checked its rooms: the last notice is old."""
        if self.access_notice:
            self.access_notice = ""

    @rx.event
    def redirect_if_signed_in(self) -> rx.event.EventSpec | None:
        """The sign-in and sign-up pages send members home."""
        if self._actor() is not None:
            return rx.redirect(routes.HOME)
        return None

    @rx.event
    def ping(self) -> None:
        """A no-op round trip: the benchmark's floor and a liveness probe."""

    @rx.event
    async def sign_in(self, form_data: Any) -> Any:
        """Check credentials (throttled on the server) and keep the new session id."""
        self.signin_errors, self.busy = {}, True
        yield
        result = await call(
            self,
            accounts.check_sign_in,
            form_value(form_data, "email"),
            form_value(form_data, "password"),
            self._client_key(),
            actor=Caller.NOBODY,
            errors="signin_errors",
            off_loop=True,
        )
        if not self._signed_in(result):
            return
        self.session_ended, self.access_notice = False, ""
        target = safe_next(self.router.url.query_parameters.get("next", "/"))
        yield [rx.redirect(target), rx.toast.success(f"Welcome back, {self.user_name}.")]

    @rx.event
    async def sign_up(self, form_data: Any) -> Any:
        """Create an account; field errors come back next to the field."""
        self.signup_errors, self.busy = {}, True
        yield
        result = await call(
            self,
            accounts.check_sign_up,
            form_value(form_data, "email"),
            form_value(form_data, "display_name"),
            form_value(form_data, "password"),
            self._client_key(),
            actor=Caller.NOBODY,
            errors="signup_errors",
            off_loop=True,
        )
        if not self._signed_in(result):
            return
        yield [
            rx.redirect(routes.COMMUNITIES),
            rx.toast.success("Welcome! Join a community."),
        ]

    @rx.event
    async def sign_out(self) -> Any:
        """Revoke this browser's session on the server, then forget it here."""
        await call(self, accounts.check_sign_out, self.session_token, actor=Caller.NOBODY)
        self.session_token = ""
        self._set_user(None)
        return [rx.redirect(routes.HOME), rx.toast.info("You are signed out.")]


async def current_user(state: rx.State) -> User | None:
    """The caller of any handler, resolved from the server-side session table."""
    auth = await state.get_state(AuthState)
    return auth._actor()
