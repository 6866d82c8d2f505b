"""Malformed browser events (cop_app/event_guard.py, installed by reflex_patches): refused at
the entry with a toast and one log line, the tab's state untouched, the tab still answered
and able to hydrate again; handler errors and refusals log one line each, rate limited."""

import asyncio
import logging

import pytest
import reflex as rx
from reflex.state import StateUpdate
from reflex_base.event import Event
from reflex_base.utils import format

from cop_app import event_guard, live
from cop_app.event_guard import LimitedLog, TabRate
from cop_app.services import settings
from cop_app.services.errors import Busy
from cop_app.states.auth import AuthState
from cop_app.states.discussions import NewThreadState
from tests.state.harness import SLUG, Browser, server_errors, start_server, toasts, var
from tests.state.harness import signed_in_browser as _browser


def _wire(updates: list[StateUpdate]) -> list[bytes]:
    """What the socket would send: the JSON text of each update, encoded as UTF-8 (raises on
    a lone surrogate, as the websocket does)."""
    return [format.json_dumps(u).encode("utf-8") for u in updates]


@pytest.fixture
def fresh_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty rate-limit window for every test."""
    monkeypatch.setattr(event_guard, "limited_log", LimitedLog(event_guard.logger, 10, 60.0))


def test_a_lone_surrogate_is_refused_and_the_tab_keeps_working(
    app_db: None, fresh_log: None, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        server = await start_server()
        author = await _browser(server, "ravi.iyer", f"/c/{SLUG}/new", slug=SLUG)
        await author.call(NewThreadState, "start")
        await author.call(NewThreadState, "set_title", value="Review checklists")
        caplog.clear()
        with (
            caplog.at_level(logging.WARNING, logger="cop_app.events"),
            server_errors(server) as errors,
        ):
            updates = await author.call(NewThreadState, "set_title", value="x\ud800y")
        assert errors == []
        assert toasts(updates) == [("error", event_guard.UNSAVABLE_TEXT)]
        assert all(not u.delta for u in updates)
        assert (await author.state(NewThreadState)).title == "Review checklists"
        assert [r.getMessage() for r in caplog.records] == [
            f"unsavable-text: refused event {NewThreadState.get_full_name()}.set_title"
        ]
        # The same token is still answered, and a reconnect hydrates the whole state.
        with server_errors(server) as errors:
            updates = await author.call(NewThreadState, "set_title", value="Review lists")
        assert errors == [] and _wire(updates)
        assert var(updates, NewThreadState, "title") == "Review lists"
        hydrated = await author.call(rx.State, "hydrate")
        assert hydrated and all(_wire(hydrated))
        # A surrogate hidden in a nested payload or in a key is refused the same way.
        updates = await author.call(NewThreadState, "set_title", value={"a": ["ok", "\udfff"]})
        assert toasts(updates) == [("error", event_guard.UNSAVABLE_TEXT)]
        updates = await author.call(AuthState, "sign_in", form_data={"\ud800": "x"})
        assert toasts(updates) == [("error", event_guard.UNSAVABLE_TEXT)]

    asyncio.run(scenario())


def test_a_payload_that_is_not_a_dict_of_names_is_refused(app_db: None, fresh_log: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        browser = Browser(server)
        await browser.call(AuthState, "ping")
        for payload in (["value"], "value", {1: "value"}):
            before = len(server.recorder.updates)
            event = Event(
                name=f"{NewThreadState.get_full_name()}.set_title",
                payload=payload,  # type: ignore[arg-type]
                router_data=browser._router_data(),
            )
            with server_errors(server) as errors:
                await asyncio.wait_for(await server.processor.enqueue(browser.token, event), 5)
            assert errors == []
            updates = [u for t, u in server.recorder.updates[before:] if t == browser.token]
            assert toasts(updates) == [("error", event_guard.MALFORMED)]
        with server_errors(server) as errors:
            await browser.call(AuthState, "ping")
        assert errors == []

    asyncio.run(scenario())


def test_log_lines_are_rate_limited_per_kind_then_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    log = LimitedLog(
        logging.getLogger("cop_app.events"), limit=3, seconds=60.0, clock=lambda: now[0]
    )
    with caplog.at_level(logging.WARNING, logger="cop_app.events"):
        for n in range(5):
            log.line("unsavable-text", f"refused {n}")
        log.line("malformed", "refused other")
        now[0] = 61.0
        log.line("unsavable-text", "refused later")
    assert [r.getMessage() for r in caplog.records] == [
        "unsavable-text: refused 0",
        "unsavable-text: refused 1",
        "unsavable-text: refused 2",
        "malformed: refused other",
        "unsavable-text: 2 more lines suppressed in the last 60 s",
        "unsavable-text: refused later",
    ]


def test_a_handler_error_logs_one_line_and_tells_the_person(
    fresh_log: None, caplog: pytest.LogCaptureFixture
) -> None:
    try:
        {}["missing"]
    except KeyError as exc:
        error = exc
    with caplog.at_level(logging.WARNING, logger="cop_app.events"):
        spec = event_guard.backend_exception_handler(error)
    [record] = caplog.records
    assert record.getMessage().startswith("handler-error KeyError: 'missing' at ")
    assert "test_event_guard.py" in record.getMessage()
    assert "\n" not in record.getMessage() and record.exc_info is None
    assert event_guard.HANDLER_FAILED in str(spec.args)


def test_a_busy_room_is_a_warning_to_try_again_and_no_log_line(
    fresh_log: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="cop_app.events"):
        spec = event_guard.backend_exception_handler(Busy(live.BUSY_MESSAGE))
    assert caplog.records == []
    assert "warning" in str(spec) and live.BUSY_MESSAGE in str(spec.args)
    assert event_guard.HANDLER_FAILED not in str(spec.args)


def test_a_flooding_tab_is_refused_told_once_and_other_tabs_keep_going(
    app_db: None, fresh_log: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [0.0]  # the clock stands still while the tab floods, so its bucket cannot refill
    monkeypatch.setattr(
        event_guard,
        "tab_rate",
        TabRate(
            settings.TAB_EVENTS_PER_SECOND,
            settings.TAB_EVENT_BURST,
            settings.TAB_FLOOD_NOTICE_SECONDS,
            clock=lambda: now[0],
        ),
    )

    async def scenario() -> None:
        server = await start_server()
        flooder = await _browser(server, "ravi.iyer", f"/c/{SLUG}/new", slug=SLUG)
        other = await _browser(server, "kwame.asante", f"/c/{SLUG}/new", slug=SLUG)
        await flooder.call(NewThreadState, "start")
        sent = settings.TAB_EVENT_BURST + 40
        with server_errors(server) as errors:
            answers = [
                await flooder.call(NewThreadState, "set_title", value=f"Title {i}")
                for i in range(sent)
            ]
        assert errors == []
        applied = [i for i, a in enumerate(answers) if var(a, NewThreadState, "title")]
        refused = [i for i, a in enumerate(answers) if not any(u.delta for u in a)]
        assert applied == list(range(len(applied))) and len(applied) < settings.TAB_EVENT_BURST
        assert refused == list(range(len(applied), sent)), "everything over the burst"
        told = [t for a in answers for t in toasts(a)]
        assert told == [("error", event_guard.TOO_FAST)], "one notice, not one per event"
        assert (await flooder.state(NewThreadState)).title == f"Title {applied[-1]}"

        # Another tab is not limited by this one's flood.
        updates = await other.call(NewThreadState, "set_title", value="Kwame's question")
        assert var(updates, NewThreadState, "title") == "Kwame's question"

        # A moment later the flooding tab is answered again.
        now[0] += 1.0
        updates = await flooder.call(NewThreadState, "set_title", value="Back to normal")
        assert var(updates, NewThreadState, "title") == "Back to normal"

    asyncio.run(scenario())


def test_the_bucket_refills_at_the_rate_and_forgets_idle_tabs() -> None:
    now = [0.0]
    rate = TabRate(10.0, 5, 5.0, clock=lambda: now[0])
    assert [rate.allow("a") for _ in range(6)] == [True] * 5 + [False]
    now[0] += 0.25  # 2.5 events' worth
    assert [rate.allow("a") for _ in range(3)] == [True, True, False]
    assert rate.tell("a") and not rate.tell("a")
    now[0] += 5.0
    assert rate.tell("a")
    now[0] += 61.0
    assert rate.allow("b")
    assert "a" not in rate._buckets, "idle tabs are swept"
