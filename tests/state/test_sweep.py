"""Every public event handler of every app state, called by a visitor and by an ordinary
member with hostile arguments: the database is unchanged and nothing private leaks.

Handlers are found automatically, so a new handler is swept without anyone adding it here.
"""

import asyncio
import inspect
from typing import Any

import pytest
import reflex as rx
from reflex.state import BaseState, State
from sqlalchemy import text
from sqlmodel import SQLModel, select

from cop_app.models import User
from cop_app.seed import email_of
from tests.state.conftest import session_token_for, user_id_of
from tests.state.harness import Browser, delta_text, start_server

# Handlers that take no argument and change only the caller's own rows (their session, their
# membership of the open page's community): the database check is waived, the rest is not.
SELF_SERVICE = {("AuthState", "sign_out"), ("CommunityState", "join"), ("CommunityState", "leave")}
PAGE = "surgical-technique-exchange"  # the sweeping member is not in it; its steward is not them
HUGE = "x" * 200_000


def app_handlers() -> list[tuple[type[BaseState], str, list[str]]]:
    """(state, handler, argument names) for every handler defined in cop_app."""
    found = []
    stack: list[type[BaseState]] = [State]
    while stack:
        cls = stack.pop()
        stack.extend(cls.get_substates())
        for name, handler in cls.event_handlers.items():
            fn = handler.fn
            if not getattr(fn, "__module__", "").startswith("cop_app") or name.startswith("_"):
                continue
            if fn.__qualname__.split(".")[0] != cls.__name__:
                continue
            params = [p for p in inspect.signature(fn).parameters if p != "self"]
            found.append((cls, name, params))
    return sorted(found, key=lambda item: (item[0].__name__, item[1]))


HANDLERS = app_handlers()


def hostile_payloads(params: list[str], other_id: int) -> list[dict[str, Any]]:
    """Wrong types, huge strings, injection text and another person's id."""
    values: list[Any] = [
        None,
        HUGE,
        -1,
        True,
        [1, 2, 3],
        {"email": HUGE, "password": 5, "name": None, "form": {"nested": True}},
        "<script>alert(1)</script>",
        other_id,
    ]
    if not params:
        return [{}]
    payloads = [dict.fromkeys(params, v) for v in values]
    payloads.append(dict.fromkeys(params, str(other_id)))
    return payloads


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table (the loginattempt and session tables included)."""
    with rx.session() as session:
        return {
            name: sorted(
                tuple(map(repr, row))
                for row in session.exec(text(f'SELECT * FROM "{name}"')).all()  # type: ignore[call-overload]
            )
            for name in SQLModel.metadata.tables
        }


def private_strings(exclude_email: str = "") -> list[str]:
    """Secrets that must never reach any browser in these sweeps."""
    with rx.session() as session:
        users = session.exec(select(User)).all()
        secrets = [u.password_hash for u in users]
        secrets += [u.email for u in users if u.email != exclude_email]
    return secrets


def test_the_sweep_finds_the_handlers() -> None:
    names = {(cls.__name__, name) for cls, name, _ in HANDLERS}
    assert ("AuthState", "sign_in") in names
    assert ("CommunityState", "join") in names
    assert ("AdminUsersState", "change_role") in names
    assert len(names) >= 20


@pytest.mark.parametrize("role", ["visitor", "member"])
def test_hostile_calls_change_nothing_and_leak_nothing(app_db: None, role: str) -> None:
    other_token = session_token_for("amara.okafor")  # an admin's live session
    member_token = session_token_for("hannah.kowalski") if role == "member" else ""
    other_id = user_id_of("amara.okafor")

    async def scenario() -> list[str]:
        server = await start_server()
        problems: list[str] = []
        for cls, name, params in HANDLERS:
            for payload in hostile_payloads(params, other_id):
                browser = Browser(
                    server, path=f"/c/{PAGE}", query={"slug": PAGE, "id": str(other_id)}
                )
                if member_token:
                    await browser.sign_in_with_token(member_token)
                before = snapshot()
                errors_before = len(server.errors)
                label = f"{cls.__name__}.{name}({', '.join(payload)})"
                try:
                    updates = await browser.call(cls, name, **payload)
                except Exception as exc:  # every failure is reported below
                    problems.append(f"{label} failed: {exc!r}")
                    continue
                if snapshot() != before and (cls.__name__, name) not in SELF_SERVICE:
                    problems.append(f"{label} changed the database")
                if len(server.errors) > errors_before:
                    problems.append(f"{label} raised {server.errors[-1]!r}")
                sent = delta_text(updates)
                if other_token in sent:
                    problems.append(f"{label} leaked another session id")
                for secret in private_strings(email_of("hannah.kowalski")):
                    if secret in sent:
                        problems.append(f"{label} leaked {secret[:12]}…")
                        break
        return problems

    problems = asyncio.run(scenario())
    assert problems == []
