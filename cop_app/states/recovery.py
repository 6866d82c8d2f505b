"""Forgot-password and reset-password forms. The reset token is read from the page URL on
each submit and never kept in a var; argon2 and the database run off the event loop."""

import asyncio
from typing import Any

import reflex as rx

from cop_app import routes
from cop_app.services import recovery
from cop_app.services.errors import DomainError, Invalid
from cop_app.states.auth import AuthState
from cop_app.states.base import db, form_value


def _request_reset(email: object, client_key: str) -> None:
    with db() as session:
        recovery.check_request_reset(session, email, client_key)


def _reset_password(token: object, password: object) -> None:
    with db() as session:
        recovery.check_reset_password(session, token, password)


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
        try:
            await asyncio.to_thread(_request_reset, form_value(form_data, "email"), client_key)
        except DomainError as err:
            self.forgot_errors = {err.field or "form": err.message}
            return
        finally:
            self.busy = False
        self.forgot_sent = True

    @rx.event
    async def reset_password(self, form_data: Any) -> Any:
        """Set the new password typed twice with the link's token, then go to sign in."""
        self.reset_errors, self.busy = {}, True
        yield
        token = self.router.url.query_parameters.get("token", "")
        password, confirm = form_value(form_data, "password"), form_value(form_data, "confirm")
        try:
            if isinstance(password, str) and password and password != confirm:
                raise Invalid("The two passwords are not the same.", "confirm")
            await asyncio.to_thread(_reset_password, token, password)
        except DomainError as err:
            self.reset_errors = {err.field or "form": err.message}
            return
        finally:
            self.busy = False
        yield [
            rx.redirect(routes.signin_url()),
            rx.toast.success("Your password is changed. Sign in with your new password."),
        ]
