"""Forgot-password and reset-password forms. The reset token is read from the page URL on
each submit and never kept in a var; argon2 and the database run off the event loop."""

from typing import Any

import reflex as rx

from cop_app import routes
from cop_app.services import recovery
from cop_app.states.auth import AuthState
from cop_app.states.base import Caller, Refused, call, form_value


class RecoveryState(rx.State):
    """The two public recovery forms: their errors, the neutral answer and loading flag."""

    forgot_errors: dict[str, str] = {}
    forgot_sent: bool = False
    reset_errors: dict[str, str] = {}
    busy: bool = False

    @rx.event
    def open_forgot(self) -> None:
        """A fresh "forgot password" form."""
        self.forgot_errors, self.forgot_sent, self.busy = {}, False, False

    @rx.event
    def open_reset(self) -> None:
        """A fresh "new password" form."""
        self.reset_errors, self.busy = {}, False

    @rx.event
    async def request_reset(self, form_data: Any) -> Any:
        """Ask for a reset link; the answer is the same whether the address has an account."""
        self.forgot_errors, self.busy = {}, True
        yield
        client_key = (await self.get_state(AuthState))._client_key()
        sent = await call(
            self,
            recovery.check_request_reset,
            form_value(form_data, "email"),
            client_key,
            actor=Caller.NOBODY,
            errors="forgot_errors",
            off_loop=True,
        )
        self.busy = False
        if not isinstance(sent, Refused):
            self.forgot_sent = True

    @rx.event
    async def reset_password(self, form_data: Any) -> Any:
        """Set the new password typed twice with the link's token, then go to sign in."""
        self.reset_errors, self.busy = {}, True
        yield
        token = self.router.url.query_parameters.get("token", "")
        password, confirm = form_value(form_data, "password"), form_value(form_data, "confirm")
        if isinstance(password, str) and password and password != confirm:
            self.reset_errors, self.busy = {"confirm": "The two passwords are not the same."}, False
            return
        done = await call(
            self,
            recovery.check_reset_password,
            token,
            password,
            actor=Caller.NOBODY,
            errors="reset_errors",
            off_loop=True,
        )
        self.busy = False
        if isinstance(done, Refused):
            return
        yield [
            rx.redirect(routes.signin_url()),
            rx.toast.success("Your password is changed. Sign in with your new password."),
        ]
