"""The registry where access changes find a member's tabs (cop_app/live_tabs.py): entries
expire, a member's list is capped, a forgotten tab that linked again meanwhile stays, and
with Redis every worker sees every worker's tabs."""

import asyncio
import os

import pytest
from redis.asyncio import Redis

from cop_app import live_tabs
from cop_app.live_tabs import TabRegistry
from cop_app.services import settings


class Clock:
    """Stands in for time.time in live_tabs."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(live_tabs.time, "time", fake)
    return fake


def test_tabs_expire_and_are_swept(clock: Clock) -> None:
    async def scenario() -> None:
        tabs = TabRegistry()
        await tabs.add(None, 7, "tab-a")
        await tabs.add(None, 8, "tab-b")
        assert await tabs.tabs(None, 7) == {"tab-a"}
        clock.now += settings.LIVE_TAB_SECONDS + 1
        assert await tabs.tabs(None, 7) == set()
        await tabs.add(None, 9, "tab-c")  # the sweep drops both expired members
        assert tabs.size() == 1

    asyncio.run(scenario())


def test_a_members_tabs_are_capped_oldest_first(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "LIVE_TABS_PER_MEMBER", 3)

    async def scenario() -> None:
        tabs = TabRegistry()
        for i in range(5):
            clock.now += 1
            await tabs.add(None, 7, f"tab-{i}")
        assert await tabs.tabs(None, 7) == {"tab-2", "tab-3", "tab-4"}

    asyncio.run(scenario())


def test_forget_keeps_a_tab_that_registered_after_the_check(clock: Clock) -> None:
    async def scenario() -> None:
        tabs = TabRegistry()
        await tabs.add(None, 7, "idle")
        await tabs.add(None, 7, "relinked")
        checked_at = clock.now
        clock.now += 1
        await tabs.add(None, 7, "relinked", force=True)  # linked a room after the check
        await tabs.forget(None, 7, {"idle", "relinked"}, checked_at)
        assert await tabs.tabs(None, 7) == {"relinked"}
        await tabs.forget(None, 7, {"relinked"}, clock.now)
        assert tabs.size() == 0

    asyncio.run(scenario())


def test_a_recent_tab_is_not_written_again_unless_forced(clock: Clock) -> None:
    async def scenario() -> None:
        tabs = TabRegistry()
        await tabs.add(None, 7, "tab")
        first = clock.now
        clock.now += 5
        await tabs.add(None, 7, "tab")
        assert tabs._tabs[7]["tab"] == first
        await tabs.add(None, 7, "tab", force=True)
        assert tabs._tabs[7]["tab"] == clock.now

    asyncio.run(scenario())


def test_with_redis_a_worker_finds_another_workers_tabs() -> None:
    url = os.environ.get("COP_TEST_REDIS_URL", "")
    if not url:
        pytest.fail("COP_TEST_REDIS_URL is not set: run `make test`, or start Redis and export it")

    async def scenario() -> None:
        redis = Redis.from_url(url)
        user_id = 987_654_321  # a member id no other test registers
        await redis.delete(live_tabs.key(user_id))
        worker_a, worker_b = TabRegistry(), TabRegistry()
        await worker_a.add(redis, user_id, "tab-on-a")
        assert await worker_b.tabs(redis, user_id) == {"tab-on-a"}
        assert 0 < await redis.ttl(live_tabs.key(user_id)) <= settings.LIVE_TAB_SECONDS
        await worker_b.forget(redis, user_id, {"tab-on-a"}, checked_at=0.0)  # older check
        assert await worker_b.tabs(redis, user_id) == {"tab-on-a"}
        await worker_b.forget(redis, user_id, {"tab-on-a"}, checked_at=2e9)
        assert await worker_b.tabs(redis, user_id) == set()
        assert await redis.exists(live_tabs.key(user_id)) == 0
        await redis.aclose()

    asyncio.run(scenario())
