"""Scale-out: two workers (two event processors) share one Redis state store. A member
joins through one worker; a viewer served by the other worker sees the live room change."""

import asyncio
import os

import pytest
from redis.asyncio import Redis

from cop_app.live import CommunityRoom
from cop_app.states.communities import CommunityState
from tests.state.harness import SLUG, Browser, session_token_for, start_server


def redis_url() -> str:
    """The test Redis (scripts/services.sh starts one and exports COP_TEST_REDIS_URL)."""
    url = os.environ.get("COP_TEST_REDIS_URL", "")
    if not url:
        pytest.fail("COP_TEST_REDIS_URL is not set: run `make test`, or start Redis and export it")
    # A database of its own, emptied first: rooms live in Redis across runs.
    return url.rsplit("/", 1)[0] + "/14"


def test_rooms_cross_workers_through_redis(app_db: None) -> None:
    url = redis_url()

    async def scenario() -> None:
        redis = Redis.from_url(url)
        try:
            await redis.ping()
        except Exception as exc:  # the failure message names the server that did not answer
            pytest.fail(f"Redis at {url} does not answer: {exc}")
        await redis.flushdb()
        worker_a, worker_b = await start_server(url), await start_server(url)
        path, query = f"/c/{SLUG}", {"slug": SLUG}
        viewer = Browser(worker_a, path=path, query=query)
        await viewer.sign_in_with_token(session_token_for("ravi.iyer"))
        await viewer.call(CommunityState, "load_page")
        before = (await viewer.state(CommunityRoom)).member_count

        joiner = Browser(worker_b, path=path, query=query)
        await joiner.sign_in_with_token(session_token_for("kwame.asante"))
        await joiner.call(CommunityState, "load_page")
        await joiner.call(CommunityState, "join")

        room = await viewer.state(CommunityRoom)  # read through the other worker
        assert room.member_count == before + 1
        assert "Kwame Asante" in [m.display_name for m in room.members]
        await redis.flushdb()
        await redis.aclose()

    asyncio.run(scenario())
